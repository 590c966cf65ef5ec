//! Account Preferences: the page and its token forms.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};

use crate::actions::{self, Actor, Reach, TokenChange, TokenRequest};
use crate::auth::guards::{CsrfForm, SignedIn};
use crate::db;
use crate::db::models::accounts;
use crate::db::models::app_scopes::AppScopeRow;
use crate::db::rows::AccountTokens;
use crate::error::AppError;
use crate::extract::FormBody;
use crate::lifecycle::ListQuery;
use crate::preferences::browser_language;
use crate::restrictions::AllowedIps;
use crate::routes::account;
use crate::routes::tokens::{change_token, token_id};
use crate::routes::{Ctx, html, html_response, render, see_other};
use crate::state::AppState;
use crate::views::page::{FieldErrors, Flash, PageCtx, take};
use crate::views::profile::{
    AdvancedFields, ConfirmDeletePage, ProfilePage, ProfileView, Reveal, SettingsView, TokenForm,
};
use crate::views::tokens::{TokenList, TokenView};

pub(crate) const REVEAL_KEY: &str = "reveal";

/// Builds the page around a form (fresh, or as typed with its errors),
/// and the settings sections (fresh when `None`).
pub async fn page(
    cx: &Ctx,
    user: &SignedIn,
    form: TokenForm,
    settings: Option<SettingsView>,
) -> Result<ProfilePage, AppError> {
    let tokens = cx.state.db.tokens_of(user.0.account.id).await?;
    let settings = match settings {
        Some(settings) => settings,
        None => account::settings(cx, user).await?,
    };
    Ok(page_with(
        cx,
        user,
        &tokens,
        form,
        settings,
        None,
        ListQuery::default(),
    ))
}

fn page_with(
    Ctx {
        req,
        session,
        state,
    }: &Ctx,
    user: &SignedIn,
    tokens: &AccountTokens,
    form: TokenForm,
    settings: SettingsView,
    reveal: Option<Reveal>,
    query: ListQuery,
) -> ProfilePage {
    let account = &user.0.account;
    let now = db::now();
    ProfilePage {
        ctx: PageCtx::signed_in("title-preferences", "profile", session, user),
        profile: ProfileView::new(account, browser_language(req)),
        tokens: TokenList {
            tokens: query
                .apply(&tokens.rows, now)
                .into_iter()
                .map(|t| TokenView::new(t, &account.account_id, now))
                .collect(),
        },
        held: tokens.rows.len(),
        query,
        token_cap: state.config.max_tokens_per_user,
        form,
        settings,
        reveal,
        base_url: base_url(req),
        leak_notice: None,
    }
}

pub fn base_url(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

/// `GET /profile`. Shows a new token's secret once: it was put in the
/// encrypted session by the post that created it and is removed here.
///
/// The ordinary view (no secret, no message) of unchanged tokens is the
/// same page each time for one session and address: it is kept while the
/// tokens are unchanged (`routes::kept`), as rendered, escaping and all.
pub async fn show(cx: Ctx, user: SignedIn) -> Result<HttpResponse, AppError> {
    let Ctx {
        req,
        session,
        state,
    } = &cx;
    let query = ListQuery::parse(req.query_string())?;
    let reveal = take::<Reveal>(session, REVEAL_KEY);
    let account_id = user.0.account.id;
    // Taken (a write) only when the account's row says there is one.
    let leak_notice = match user.0.account.leak_notice {
        Some(_) => {
            state
                .db
                .run(move |conn| Ok(accounts::take_leak_notice(conn, account_id)?))
                .await?
        }
        None => None,
    };
    let showing_once = reveal.is_some() || leak_notice.is_some();
    let tokens = state.db.tokens_of(account_id).await?;
    // Nothing shown once is on this view: it is kept, for this session and
    // address, while the tokens and the account's settings stay as they are
    // (the change stamp moves with the sessions, too). What only the page's
    // making needs is read only when it is made.
    let now = db::now();
    let variant = (!showing_once && !Flash::is_waiting(session)).then(|| {
        format!(
            "profile {} {} {} {} {}",
            crate::views::page::language(&user),
            user.csrf_token(),
            base_url(req),
            account::settings_key(&user.0.account, req),
            query.key()
        )
    });
    if let Some(variant) = &variant
        && let Some(body) = state.kept.get(&tokens, account_id, variant, now)
    {
        return Ok(html_response(StatusCode::OK, body));
    }
    let app_scopes = app_scopes_for(state, &user).await?;
    let settings = account::settings(&cx, &user).await?;
    let page = {
        let form = TokenForm::new(
            &user.0.account,
            &app_scopes,
            state.config.max_token_lifetime_days,
            "",
            None,
            None,
        );
        let mut page = page_with(
            &cx,
            &user,
            &tokens,
            form,
            settings.clone(),
            reveal.clone(),
            query.clone(),
        );
        page.leak_notice = leak_notice
            .as_deref()
            .map(|n| n.lines().map(str::to_owned).collect());
        page
    };
    match variant {
        Some(variant) => {
            let body = render(&page)?;
            state
                .kept
                .keep(&tokens, account_id, &variant, now, body.clone());
            Ok(html_response(StatusCode::OK, body))
        }
        None => html(StatusCode::OK, &page),
    }
}

/// `POST /profile/tokens`: the "Generate new token" form.
pub async fn create(cx: Ctx, CsrfForm { user, form }: CsrfForm) -> Result<HttpResponse, AppError> {
    let (session, state) = (&cx.session, &cx.state);
    let label = form.get("label").unwrap_or("").to_owned();
    let scopes = form.all("scopes");
    let hours_raw = form.get("expires_in_hours").unwrap_or("").trim().to_owned();
    let advanced = AdvancedFields {
        allowed_ips: form.get("allowed_ips").unwrap_or("").to_owned(),
        rate_limit_per_minute: form
            .get("rate_limit_per_minute")
            .unwrap_or("")
            .trim()
            .to_owned(),
    };
    let description = form.get("description").unwrap_or("").to_owned();
    match create_checked(
        state,
        &user,
        &label,
        &scopes,
        &hours_raw,
        &advanced,
        &description,
    )
    .await?
    {
        Ok(reveal) => {
            session
                .insert(REVEAL_KEY, reveal)
                .map_err(|e| AppError::Internal(format!("session: {e}")))?;
            Flash::set(
                session,
                "success",
                crate::i18n::Tr(crate::views::page::language(&user)).t1(
                    "flash-token-created",
                    "label",
                    label.trim(),
                ),
            );
            Ok(see_other("/profile"))
        }
        Err(errors) => {
            let app_scopes = app_scopes_for(state, &user).await?;
            let mut form = TokenForm::new(
                &user.0.account,
                &app_scopes,
                state.config.max_token_lifetime_days,
                &label,
                Some(&scopes),
                Some(&hours_raw),
            );
            form.open = true;
            form.advanced = advanced;
            form.description = description;
            form.errors = FieldErrors::new(&errors, &FORM_FIELDS)
                .translated(crate::i18n::Tr(crate::views::page::language(&user)));
            let status = errors
                .first()
                .map_or(StatusCode::BAD_REQUEST, |e| e.status_code());
            let page = page(&cx, &user, form, None).await?;
            html(status, &page)
        }
    }
}

/// The application scopes the user's role may grant, for the form.
pub(crate) async fn app_scopes_for(
    state: &AppState,
    user: &SignedIn,
) -> Result<Vec<AppScopeRow>, AppError> {
    state
        .grantable
        .grantable(&state.db, user.0.account.role())
        .await
}

/// The generate form's fields, in the order their messages are shown.
const FORM_FIELDS: [&str; 6] = [
    "label",
    "scopes",
    "expires_in_hours",
    "description",
    "allowed_ips",
    "rate_limit_per_minute",
];

/// A whole number typed or chosen in `field`; blank: none.
pub(crate) fn parse_whole(raw: &str, field: &str, message: &str) -> Result<Option<i64>, AppError> {
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse::<i64>()
        .map(Some)
        .map_err(|_| AppError::invalid(field, message))
}

/// Creates the token the form asks for. The inner `Err` holds what the
/// user can fix (every field at fault, or the token cap), to show on the
/// form; the outer one anything else.
async fn create_checked(
    state: &web::Data<AppState>,
    user: &SignedIn,
    label: &str,
    scopes: &[String],
    hours_raw: &str,
    advanced: &AdvancedFields,
    description: &str,
) -> Result<Result<Reveal, Vec<AppError>>, AppError> {
    let caller = user.0.clone();
    let hours = parse_whole(
        hours_raw,
        "expires_in_hours",
        "choose how long the token should last",
    );
    let rate = parse_whole(
        &advanced.rate_limit_per_minute,
        "rate_limit_per_minute",
        "a rate limit is a whole number of requests per minute, or blank for none",
    );
    let request = TokenRequest {
        label: Some(label.to_owned()),
        scopes: Some(scopes.to_vec()),
        expires_in_hours: hours.as_ref().ok().copied().flatten(),
        allowed_ips: Some(
            AllowedIps::split_text(&advanced.allowed_ips)
                .into_iter()
                .map(str::to_owned)
                .collect(),
        ),
        rate_limit_per_minute: rate.as_ref().ok().copied().flatten(),
        description: Some(description.to_owned()),
    };
    let checked = request.check_fields(&state.config, &caller.account, None);
    let spec = match (checked, hours, rate) {
        (Ok(spec), Ok(_), Ok(_)) => spec,
        (checked, hours, rate) => {
            let mut errors = checked.err().unwrap_or_default();
            for e in [hours.err(), rate.err()].into_iter().flatten() {
                errors.retain(|x| x.field() != e.field());
                errors.push(e);
            }
            errors.sort_by_key(|e| FORM_FIELDS.iter().position(|f| Some(*f) == e.field()));
            return Ok(Err(errors));
        }
    };
    let state2 = state.clone();
    let created = state
        .db
        .run(move |conn| {
            let actor = Actor::new(&caller.account, caller.ip.as_deref());
            let (_, secret) =
                actions::create_token(conn, &state2.config, &caller.account, &spec, actor)?;
            Ok(Reveal {
                secret: secret.into_exposed(),
                account_id: caller.account.account_id.clone(),
            })
        })
        .await;
    match created {
        Ok(reveal) => Ok(Ok(reveal)),
        Err(cap @ AppError::Conflict(_)) => Ok(Err(vec![cap])),
        Err(other) => Err(other),
    }
}

/// `POST /profile/tokens/{id}/{deactivate|activate|delete}`. A deletion
/// without `confirmed=yes` (no JavaScript to ask) gets a confirmation page.
pub async fn token_action(
    Ctx { session, state, .. }: Ctx,
    path: web::Path<(String, TokenChange)>,
    CsrfForm { user, form }: CsrfForm,
) -> Result<HttpResponse, AppError> {
    let (raw_id, change) = path.into_inner();
    let id = token_id(&raw_id)?;
    let reach = Reach::Own(user.0.account.id);
    if change == TokenChange::Delete && !confirmed(&form) {
        let ctx = PageCtx::signed_in("title-delete-token", "profile", &session, &user);
        let action = format!("/profile/tokens/{id}/delete");
        return confirm_delete(&state, reach, id, ctx, action, "/profile".into()).await;
    }
    let token = change_token(&state, &user.0, reach, id, change).await?;
    Flash::set(
        &session,
        "success",
        crate::i18n::Tr(crate::views::page::language(&user)).t1(
            &format!("flash-token-{}", change.done()),
            "label",
            &token.label,
        ),
    );
    Ok(see_other("/profile"))
}

/// Whether a delete button's form says its deletion was confirmed.
pub fn confirmed(form: &FormBody) -> bool {
    form.get("confirmed") == Some("yes")
}

/// The no-JavaScript confirmation before deleting token `id` (as `reach`
/// sees it): its form posts to `action`; `cancel` goes back.
pub async fn confirm_delete(
    state: &AppState,
    reach: Reach,
    id: i64,
    ctx: PageCtx,
    action: String,
    cancel: String,
) -> Result<HttpResponse, AppError> {
    let (token, owner) = state
        .db
        .run(move |conn| actions::find_token(conn, reach, id))
        .await?;
    let page = ConfirmDeletePage {
        ctx,
        token: TokenView::new(&token, &owner, db::now()),
        action,
        cancel,
    };
    html(StatusCode::OK, &page)
}

/// `GET /`: people land on their preferences (or the sign-in page).
pub async fn home() -> HttpResponse {
    see_other("/profile")
}
