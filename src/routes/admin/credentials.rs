//! An admin's help with an account's way in (SPEC §10): setting its email
//! address, resetting its password to a one-time one that its owner must
//! replace at the next sign-in. Pages and `.json` twins.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::{self, Json};
use serde::Deserialize;

use crate::actions::Actor;
use crate::auth::guards::{AdminPage, CsrfForm};
use crate::auth::{Caller, Need, NeedJson, scope};
use crate::db::models::tokens as token_db;
use crate::error::AppError;
use crate::preferences;
use crate::routes::admin::users::REVEAL_KEY;
use crate::routes::admin::{account_id, tr};
use crate::routes::{Ctx, JsonResult, no_store_json, see_other};
use crate::state::AppState;
use crate::views::admin::{AccountView, CreatedAccount, PasswordReveal};
use crate::views::page::Flash;

/// `{"email": "..." | null}`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = EmailChange)]
pub struct EmailRequest {
    /// The address, used at once; null or blank: none.
    #[schema(required = true, value_type = Option<String>, example = "ada@example.org")]
    #[serde(default, deserialize_with = "present")]
    pub email: Option<Option<String>>,
}

/// A field that must be sent, though it may be null: `Some(None)` is
/// null, `None` (by `default`) absent.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

async fn set_email(
    state: &AppState,
    caller: Caller,
    raw_id: String,
    raw_email: Option<String>,
) -> Result<AccountView, AppError> {
    let account_id = account_id(&raw_id)?;
    let email = match raw_email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        Some(raw) => Some(preferences::parse_email(raw)?),
        None => None,
    };
    state
        .db
        .run(move |conn| {
            let actor = Actor::new(&caller.account, caller.ip.as_deref());
            let account = preferences::set_email_now(conn, &account_id, email.as_deref(), actor)?;
            let tokens = token_db::count_for_account(conn, account.id)?;
            Ok(AccountView::new(&account, tokens))
        })
        .await
}

/// `POST /admin/users/{account_id}/email.json`.
#[utoipa::path(post, path = "/admin/users/{account_id}/email.json", tag = "admin",
    description = "Sets the account's email address, used at once (the admin vouches for it).",
    params(("account_id" = String, Path)),
    request_body = EmailRequest,
    responses((status = 200, body = AccountView)),
    security(("admin:write" = [])))]
pub async fn email_json(
    state: web::Data<AppState>,
    path: web::Path<String>,
    need: NeedJson<scope::AdminWrite, EmailRequest>,
) -> JsonResult<AccountView> {
    let email = need.body.email.ok_or_else(|| {
        AppError::invalid(
            "email",
            "send the address, or null to remove the one there is",
        )
    })?;
    let view = set_email(&state, need.caller, path.into_inner(), email).await?;
    Ok(Json(view))
}

/// `POST /admin/users/{account_id}/email`: the form on the account's page.
pub async fn email_form(
    cx: Ctx,
    path: web::Path<String>,
    CsrfForm { user, form }: CsrfForm<AdminPage>,
) -> Result<HttpResponse, AppError> {
    let raw = form.get("email").map(str::to_owned);
    let view = set_email(&cx.state, user.0.0.clone(), path.into_inner(), raw).await?;
    let tr = tr(&user);
    let message = match &view.email {
        Some(email) => tr.t2(
            "admin-flash-email-set",
            "username",
            &view.username,
            "email",
            email,
        ),
        None => tr.t1("admin-flash-email-removed", "username", &view.username),
    };
    Flash::set(&cx.session, "success", message);
    Ok(see_other(&format!("/admin/users/{}", view.account_id)))
}

async fn reset(
    state: &AppState,
    caller: Caller,
    raw_id: String,
) -> Result<(AccountView, String), AppError> {
    let account_id = account_id(&raw_id)?;
    let cost = state.config.password_cost;
    state
        .db
        .run(move |conn| {
            let actor = Actor::new(&caller.account, caller.ip.as_deref());
            let (account, password) = preferences::reset_password(conn, cost, &account_id, actor)?;
            let tokens = token_db::count_for_account(conn, account.id)?;
            Ok((AccountView::new(&account, tokens), password))
        })
        .await
}

/// `POST /admin/users/{account_id}/password.json`: a one-time password,
/// shown this once; the account is signed out everywhere and must choose
/// a new password at its next sign-in.
#[utoipa::path(post, path = "/admin/users/{account_id}/password.json", tag = "admin",
    description = "Resets the password to a one-time password, shown this once; its owner must choose a new one at the next sign-in.",
    params(("account_id" = String, Path)),
    responses((status = 200, body = CreatedAccount, description = "the account and its one-time password")),
    security(("admin:write" = [])))]
pub async fn password_json(
    state: web::Data<AppState>,
    path: web::Path<String>,
    need: Need<scope::AdminWrite>,
) -> Result<HttpResponse, AppError> {
    let (account, password) = reset(&state, need.caller, path.into_inner()).await?;
    Ok(no_store_json(
        StatusCode::OK,
        &CreatedAccount { account, password },
    ))
}

/// `POST /admin/users/{account_id}/password`: the account's page then
/// shows the one-time password once, in its reveal dialog.
pub async fn password_form(
    cx: Ctx,
    path: web::Path<String>,
    CsrfForm { user, .. }: CsrfForm<AdminPage>,
) -> Result<HttpResponse, AppError> {
    let (account, password) = reset(&cx.state, user.0.0.clone(), path.into_inner()).await?;
    cx.session
        .insert(
            REVEAL_KEY,
            PasswordReveal {
                account_id: account.account_id.clone(),
                username: account.username.clone(),
                password,
                reset: true,
            },
        )
        .map_err(|e| AppError::Internal(format!("session: {e}")))?;
    Flash::set(
        &cx.session,
        "success",
        tr(&user).t1("admin-flash-password-reset", "username", &account.username),
    );
    Ok(see_other(&format!("/admin/users/{}", account.account_id)))
}
