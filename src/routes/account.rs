//! Account Preferences' own settings (SPEC §10): the details, password,
//! sessions and preferences forms, and the email verification link. Each
//! form posts, then goes back to the page (303), or shows the page again
//! with the mistake beside its field (400).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use serde::Deserialize;

use crate::accounts::DisplayName;
use crate::auth::guards::{CsrfForm, SignedIn};
use crate::db::models::accounts::Account;
use crate::db::models::sessions;
use crate::error::AppError;
use crate::i18n::Tr;
use crate::preferences::{
    self, Changes, Choices, EmailOutcome, Notifications, PasswordChange, Zone, browser_language,
};
use crate::routes::preferences::{base_url, page};
use crate::routes::{Ctx, html, see_other};
use crate::views::page::{FieldErrors, Flash, PageCtx};
use crate::views::profile::{PasswordPage, ProfileView, SessionView, SettingsView, TokenForm};

/// Where an account goes until it has replaced a password an admin reset.
pub const CHANGE_PASSWORD: &str = "/profile/password";

/// The settings sections as they are now.
pub async fn settings(cx: &Ctx, user: &SignedIn) -> Result<SettingsView, AppError> {
    let account = &user.0.account;
    let current = user.0.session_id();
    let id = account.id;
    let rows = cx
        .state
        .db
        .run(move |conn| Ok(sessions::list_for_account(conn, id, crate::db::now())?))
        .await?;
    let sessions = rows.iter().map(|r| SessionView::new(r, current)).collect();
    let profile = ProfileView::new(account, browser_language(&cx.req));
    Ok(SettingsView::new(
        account,
        &profile,
        cx.state.config.mail.is_some(),
        sessions,
    ))
}

/// What the settings sections show, besides the sessions, that the kept
/// page must be made anew for when it changes. (A session signing in or
/// out moves the change stamp the page is kept under; "last seen" may be a
/// second old, as the kept page is.)
pub fn settings_key(account: &Account, req: &HttpRequest) -> String {
    format!(
        "{:?}|{:?}|{:?}|{}|{}|{}",
        account.display_name,
        account.email,
        account.pending_email,
        account.time_zone,
        ProfileView::new(account, browser_language(req)).language,
        account.notifications,
    )
}

/// The page again, `errors` beside the fields of the form sent, the
/// other fields as typed in `keep`.
async fn refused(
    cx: &Ctx,
    user: &SignedIn,
    errors: Vec<AppError>,
    fields: &[&str],
    keep: impl FnOnce(&mut SettingsView),
) -> Result<HttpResponse, AppError> {
    let mut settings = settings(cx, user).await?;
    keep(&mut settings);
    settings.errors =
        FieldErrors::new(&errors, fields).translated(Tr(crate::views::page::language(user)));
    let status = errors
        .first()
        .map_or(StatusCode::BAD_REQUEST, |e| e.status_code());
    let app_scopes = super::preferences::app_scopes_for(&cx.state, user).await?;
    let form = TokenForm::new(
        &user.0.account,
        &app_scopes,
        cx.state.config.max_token_lifetime_days,
        "",
        None,
        None,
    );
    let page = page(cx, user, form, Some(settings)).await?;
    html(status, &page)
}

/// `POST /profile/details`: display name at once; a new email address
/// only once its owner follows the link mailed to it. A blank address
/// removes the one there is (no link needed for that).
pub async fn details(cx: Ctx, CsrfForm { user, form }: CsrfForm) -> Result<HttpResponse, AppError> {
    let raw_name = form.get("display_name").unwrap_or("").to_owned();
    let raw_email = form.get("email").unwrap_or("").trim().to_owned();
    let name = DisplayName::parse(&raw_name);
    let email = match raw_email.as_str() {
        "" => Ok(None),
        raw => preferences::parse_email(raw).map(Some),
    };
    let (name, email) = match (name, email) {
        (Ok(name), Ok(email)) => (name, email),
        (name, email) => {
            let errors = [name.err(), email.err()].into_iter().flatten().collect();
            return refused(&cx, &user, errors, &["display_name", "email"], |s| {
                s.display_name = raw_name;
                s.email = raw_email;
            })
            .await;
        }
    };
    let account = user.0.account.clone();
    let state = cx.state.clone();
    let base = base_url(&cx.req);
    let outcome = cx
        .state
        .db
        .run(move |conn| {
            let changes = Changes {
                display_name: Some(name),
                choices: None,
            };
            let account = preferences::change(conn, &account, changes)?;
            match email {
                None if account.email.is_some() || account.pending_email.is_some() => {
                    preferences::set_email_now(
                        conn,
                        &account.account_id,
                        None,
                        crate::actions::Actor::new(&account, None),
                    )?;
                    Ok(EmailOutcome::Unchanged)
                }
                None => Ok(EmailOutcome::Unchanged),
                Some(email) => {
                    preferences::request_email(conn, &state.config, &account, Some(&email), &base)
                }
            }
        })
        .await?;
    let tr = Tr(crate::views::page::language(&user));
    let message = match outcome {
        EmailOutcome::Unchanged => tr.t("flash-details-saved"),
        EmailOutcome::LinkSent => tr.t1("flash-details-link-sent", "email", &raw_email),
        EmailOutcome::MailOff => tr.t1("flash-details-mail-off", "email", &raw_email),
    };
    Flash::set(&cx.session, "success", message);
    Ok(see_other("/profile"))
}

#[derive(Debug, Deserialize)]
pub struct VerifyQuery {
    token: Option<String>,
}

/// `GET /profile/email/verify?token=...`: the link mailed to a new
/// address. Works signed in or not: the signed token is the proof.
pub async fn verify_email(
    cx: Ctx,
    query: web::Query<VerifyQuery>,
) -> Result<HttpResponse, AppError> {
    let token = query.into_inner().token.unwrap_or_default();
    let state = cx.state.clone();
    let verified = cx
        .state
        .db
        .run(move |conn| preferences::verify_email(conn, &state.config, &token, crate::db::now()))
        .await?;
    let browser = browser_language(&cx.req);
    let message = match verified {
        Some((account, email)) => Tr::chosen(account.language.as_deref(), browser).t1(
            "flash-email-verified",
            "email",
            email,
        ),
        None => Tr(browser).t("flash-email-link-used"),
    };
    Flash::set(&cx.session, "success", message);
    Ok(see_other("/profile"))
}

/// `GET /profile/password`: the password form alone.
pub async fn password_page(cx: Ctx, user: SignedIn) -> Result<HttpResponse, AppError> {
    password_form(&cx, &user, StatusCode::OK, FieldErrors::default())
}

fn password_form(
    cx: &Ctx,
    user: &SignedIn,
    status: StatusCode,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let page = PasswordPage {
        ctx: PageCtx::signed_in("title-change-password", "profile", &cx.session, user),
        forced: user.0.account.must_change_password,
        no_password: user.0.account.has_no_password(),
        errors,
    };
    html(status, &page)
}

/// `POST /profile/password`: never through a token (a form post of a
/// signed-in browser, with the current password); every other session of
/// the account ends.
pub async fn change_password(
    cx: Ctx,
    CsrfForm { user, form }: CsrfForm,
) -> Result<HttpResponse, AppError> {
    let field = |name| form.get(name).unwrap_or("").to_owned();
    let sent = PasswordChange {
        current: field("current_password"),
        new: field("new_password"),
        confirm: field("confirm_password"),
    };
    let account = user.0.account.clone();
    let session_id = user.0.session_id().ok_or(AppError::Unauthenticated)?;
    let (cost, ip) = (cx.state.config.password_cost, user.0.ip.clone());
    let changed = cx
        .state
        .db
        .run(move |conn| {
            preferences::change_password(conn, cost, &account, session_id, &sent, ip.as_deref())
        })
        .await;
    match changed {
        Ok(()) => {
            Flash::set(
                &cx.session,
                "success",
                Tr(crate::views::page::language(&user)).t("flash-password-changed"),
            );
            Ok(see_other("/profile"))
        }
        Err(e @ AppError::Invalid { .. }) => {
            let fields = ["current_password", "new_password", "confirm_password"];
            let errors =
                FieldErrors::new(&[e], &fields).translated(Tr(crate::views::page::language(&user)));
            password_form(&cx, &user, StatusCode::BAD_REQUEST, errors)
        }
        Err(e) => Err(e),
    }
}

/// `POST /profile/sessions/{id}/delete`: signs that browser out (this one
/// too, if it is this one's).
pub async fn sign_out_session(
    cx: Ctx,
    path: web::Path<i64>,
    CsrfForm { user, .. }: CsrfForm,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let account_id = user.0.account.id;
    let ended = cx
        .state
        .db
        .run(move |conn| Ok(sessions::delete_own(conn, account_id, id)?))
        .await?;
    if ended == 0 {
        return Err(AppError::NotFound);
    }
    if user.0.session_id() == Some(id) {
        cx.session.purge();
        return Ok(see_other("/login"));
    }
    Flash::set(
        &cx.session,
        "success",
        Tr(crate::views::page::language(&user)).t("flash-session-ended"),
    );
    Ok(see_other("/profile"))
}

/// `POST /profile/sessions/delete-others`.
pub async fn sign_out_others(
    cx: Ctx,
    CsrfForm { user, .. }: CsrfForm,
) -> Result<HttpResponse, AppError> {
    let account_id = user.0.account.id;
    let keep = user.0.session_id().ok_or(AppError::Unauthenticated)?;
    let ended = cx
        .state
        .db
        .run(move |conn| Ok(sessions::delete_others(conn, account_id, keep)?))
        .await?;
    Flash::set(
        &cx.session,
        "success",
        Tr(crate::views::page::language(&user)).t1("flash-sessions-ended", "n", ended),
    );
    Ok(see_other("/profile"))
}

/// `POST /profile/preferences`: time zone, language and notifications.
pub async fn save_preferences(
    cx: Ctx,
    CsrfForm { user, form }: CsrfForm,
) -> Result<HttpResponse, AppError> {
    let raw_zone = form.get("time_zone").unwrap_or("").to_owned();
    let zone = Zone::parse(&raw_zone);
    let language = preferences::parse_language(form.get("language").unwrap_or(""));
    let notify = form.all("notify");
    let notifications = if cx.state.config.mail.is_some() {
        Notifications::from_form(&notify)
    } else {
        // The checkboxes are disabled without mail: keep what was chosen.
        Ok(Notifications::from_stored(&user.0.account.notifications))
    };
    let choices = match (zone, language, notifications) {
        (Ok(zone), Ok(language), Ok(notifications)) => Choices {
            zone,
            language: Some(language),
            notifications,
        },
        (zone, language, notifications) => {
            let errors = [zone.err(), language.err(), notifications.err()]
                .into_iter()
                .flatten()
                .collect();
            let fields = ["time_zone", "language", "notify"];
            return refused(&cx, &user, errors, &fields, |s| s.time_zone = raw_zone).await;
        }
    };
    let account = user.0.account.clone();
    // Said in the language just chosen: the next page speaks it.
    let saved = Tr(choices.language.unwrap_or("en")).t("flash-preferences-saved");
    cx.state
        .db
        .run(move |conn| {
            let changes = Changes {
                display_name: None,
                choices: Some(choices),
            };
            preferences::change(conn, &account, changes)
        })
        .await?;
    Flash::set(&cx.session, "success", saved);
    Ok(see_other("/profile"))
}
