//! The life of a token, as JSON: its page, edit, regenerate, revoke all,
//! who am I, and leak reports (SPEC section 9).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::web::{self, Json};
use actix_web::{HttpRequest, HttpResponse};

use crate::actions::{Actor, Reach};
use crate::auth::{self, Caller, Need, Via, scope};
use crate::db;
use crate::db::models::accounts;
use crate::error::AppError;
use crate::extract::JsonBody;
use crate::lifecycle::{self, LeakReport, RegenerateRequest, TokenEdit};
use crate::routes::no_store_json;
use crate::routes::tokens::{token_as, token_id};
use crate::state::AppState;
use crate::views::tokens::{CreatedToken, CurrentToken, Deleted, Received, TokenDetail, TokenView};

/// Token `id` as `reach` sees it, with its usage and effective scopes,
/// and its owner's username.
pub async fn detail_of(
    state: &AppState,
    reach: Reach,
    id: i64,
) -> Result<(TokenDetail, String), AppError> {
    let record = state
        .db
        .run(move |conn| lifecycle::token_record(conn, reach, id))
        .await?;
    let effective = state
        .grantable
        .effective(&state.db, &record.token.scope_set(), record.owner.role())
        .await?;
    let detail = TokenDetail::new(&record, &effective, db::now());
    Ok((detail, record.owner.username))
}

async fn detail(state: &AppState, reach: Reach, id: i64) -> Result<TokenDetail, AppError> {
    Ok(detail_of(state, reach, id).await?.0)
}

/// `GET /profile/tokens/{id}.json`.
#[utoipa::path(get, path = "/profile/tokens/{id}.json", tag = "tokens",
    params(("id" = i64, Path, minimum = 1)),
    responses((status = 200, body = TokenDetail)),
    security(("tokens:read" = [])))]
pub async fn show(
    state: web::Data<AppState>,
    caller: Need<scope::TokensRead>,
    id: web::Path<String>,
) -> Result<Json<TokenDetail>, AppError> {
    let reach = Reach::Own(caller.caller.account.id);
    Ok(Json(detail(&state, reach, token_id(&id)?).await?))
}

/// `GET /admin/tokens/{id}.json`: anyone's token, as its owner sees it.
#[utoipa::path(get, path = "/admin/tokens/{id}.json", tag = "admin",
    params(("id" = i64, Path, minimum = 1)),
    responses((status = 200, body = TokenDetail)),
    security(("admin:read" = [])))]
pub async fn admin_show(
    state: web::Data<AppState>,
    _caller: Need<scope::AdminRead>,
    id: web::Path<String>,
) -> Result<Json<TokenDetail>, AppError> {
    Ok(Json(detail(&state, Reach::Any, token_id(&id)?).await?))
}

/// Applies `edit` to token `id` as `caller`, as `reach` allows.
pub async fn edit_token(
    state: &AppState,
    caller: &Caller,
    reach: Reach,
    id: i64,
    edit: TokenEdit,
) -> Result<TokenView, AppError> {
    token_as(state, caller, move |conn, actor| {
        lifecycle::edit_token(conn, reach, id, &edit, actor)
    })
    .await
}

/// `PATCH /profile/tokens/{id}.json`: narrows the token; the token as it
/// is now.
#[utoipa::path(patch, path = "/profile/tokens/{id}.json", tag = "tokens",
    params(("id" = i64, Path, minimum = 1)),
    request_body = TokenEdit,
    responses(
        (status = 200, body = TokenView),
        (status = 400, body = crate::error::ErrorBody, description = "the edit would widen the token (names the field)"),
    ),
    security(("tokens:write" = [])))]
pub async fn edit(
    state: web::Data<AppState>,
    caller: Need<scope::TokensWrite>,
    id: web::Path<String>,
    JsonBody(body): JsonBody<TokenEdit>,
) -> Result<Json<TokenView>, AppError> {
    let caller = caller.caller;
    let reach = Reach::Own(caller.account.id);
    Ok(Json(
        edit_token(&state, &caller, reach, token_id(&id)?, body).await?,
    ))
}

/// Gives token `id` a new secret as `caller`; the answer shown once.
pub async fn regenerate_token(
    state: &web::Data<AppState>,
    caller: &Caller,
    id: i64,
    request: RegenerateRequest,
) -> Result<CreatedToken, AppError> {
    let caller = caller.clone();
    let state2 = state.clone();
    let (token, secret, owner) = state
        .db
        .run(move |conn| {
            let actor = Actor::new(&caller.account, caller.ip.as_deref());
            let reach = Reach::Own(caller.account.id);
            lifecycle::regenerate_token(conn, &state2.config, reach, id, &request, actor)
        })
        .await?;
    Ok(CreatedToken::new(
        TokenView::new(&token, &owner, db::now()),
        secret,
    ))
}

/// `POST /profile/tokens/{id}/regenerate.json`: 201 with the new secret,
/// shown this once. A request without a body takes the defaults.
#[utoipa::path(post, path = "/profile/tokens/{id}/regenerate.json", tag = "tokens",
    params(("id" = i64, Path, minimum = 1)),
    request_body = RegenerateRequest,
    responses((status = 201, body = CreatedToken, description = "the token and its new secret, shown this once")),
    security(("tokens:write" = [])))]
pub async fn regenerate(
    state: web::Data<AppState>,
    caller: Need<scope::TokensWrite>,
    id: web::Path<String>,
    req: HttpRequest,
    body: web::Payload,
) -> Result<HttpResponse, AppError> {
    let id = token_id(&id)?;
    let request = optional_json(&req, body.into_inner()).await?;
    let created = regenerate_token(&state, &caller.caller, id, request).await?;
    Ok(no_store_json(StatusCode::CREATED, &created))
}

/// A JSON body that may be left out (then the defaults); one that is sent
/// is read as `JsonBody` reads it (415, 413, 400).
async fn optional_json<T: serde::de::DeserializeOwned + Default + 'static>(
    req: &HttpRequest,
    mut payload: actix_web::dev::Payload,
) -> Result<T, AppError> {
    let empty = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .is_none_or(|v| v.as_bytes() == b"0")
        && !req
            .headers()
            .contains_key(actix_web::http::header::TRANSFER_ENCODING);
    if empty
        && !req
            .headers()
            .contains_key(actix_web::http::header::CONTENT_TYPE)
    {
        return Ok(T::default());
    }
    Ok(JsonBody::<T>::read(req, &mut payload).await?.0)
}

/// Deletes every token of `owner` as `caller`; how many.
pub async fn delete_all(
    state: &AppState,
    caller: &Caller,
    owner: accounts::Account,
) -> Result<usize, AppError> {
    let caller = caller.clone();
    state
        .db
        .run(move |conn| {
            let actor = Actor::new(&caller.account, caller.ip.as_deref());
            lifecycle::delete_all_tokens(conn, &owner, actor)
        })
        .await
}

/// The account with this public id (admins' pages and calls).
pub async fn account(state: &AppState, account_id: String) -> Result<accounts::Account, AppError> {
    state
        .db
        .run(move |conn| accounts::find_by_account_id(conn, &account_id)?.ok_or(AppError::NotFound))
        .await
}

/// `DELETE /profile/tokens.json`: revokes every token of the caller's
/// account, the calling one too.
#[utoipa::path(delete, path = "/profile/tokens.json", tag = "tokens",
    responses((status = 200, body = Deleted)),
    security(("tokens:write" = [])))]
pub async fn delete_all_own(
    state: web::Data<AppState>,
    caller: Need<scope::TokensWrite>,
) -> Result<Json<Deleted>, AppError> {
    let caller = caller.caller;
    let deleted = delete_all(&state, &caller, (*caller.account).clone()).await?;
    Ok(Json(Deleted { deleted }))
}

/// `DELETE /admin/users/{account_id}/tokens.json`.
#[utoipa::path(delete, path = "/admin/users/{account_id}/tokens.json", tag = "admin",
    params(("account_id" = String, Path)),
    responses((status = 200, body = Deleted)),
    security(("admin:write" = [])))]
pub async fn delete_all_of(
    state: web::Data<AppState>,
    caller: Need<scope::AdminWrite>,
    account_id: web::Path<String>,
) -> Result<Json<Deleted>, AppError> {
    let owner = account(&state, account_id.into_inner()).await?;
    let deleted = delete_all(&state, &caller.caller, owner).await?;
    Ok(Json(Deleted { deleted }))
}

/// `GET /profile/tokens/current.json`: the calling token. Any valid token
/// may ask, whatever its scopes; a browser session has no token (404).
#[utoipa::path(get, path = "/profile/tokens/current.json", tag = "tokens",
    responses((status = 200, body = CurrentToken)),
    security(("any scope" = [])))]
pub async fn current(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<Json<CurrentToken>, AppError> {
    let caller = auth::authenticate(&req).await?;
    let Via::Token { token_id } = caller.via else {
        return Err(AppError::NotFound);
    };
    let owner = caller.account.id;
    let token = state
        .db
        .run(move |conn| {
            crate::db::models::tokens::find_owned(conn, owner, token_id)?.ok_or(AppError::NotFound)
        })
        .await?;
    Ok(Json(CurrentToken {
        token: TokenView::new(&token, &caller.account.account_id, db::now()),
        effective_scopes: caller
            .scopes
            .names()
            .into_iter()
            .map(str::to_owned)
            .collect(),
    }))
}

/// Leak reports a client address may send per minute.
pub const LEAK_REPORTS_PER_MINUTE: u32 = 60;

/// Leak reports per client address, in one-minute windows (in memory: a
/// report costs a transaction, and the window need not be shared).
#[derive(Default)]
pub struct LeakLimiter {
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl LeakLimiter {
    fn admit(&self, ip: &str) -> Result<(), AppError> {
        const WINDOW: Duration = Duration::from_secs(60);
        let now = Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        // Bounded: forget finished windows when many addresses piled up.
        if windows.len() > 10_000 {
            windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let (start, count) = windows.entry(ip.to_owned()).or_insert((now, 0));
        if now.duration_since(*start) >= WINDOW {
            *start = now;
            *count = 0;
        }
        if *count >= LEAK_REPORTS_PER_MINUTE {
            let left = WINDOW.saturating_sub(now.duration_since(*start));
            return Err(AppError::TooManyRequests {
                retry_after: left.as_secs().max(1),
            });
        }
        *count += 1;
        Ok(())
    }
}

/// `POST /leaks.json`: tokens found published, as a secret-scanning
/// service reports them. No authentication. Each live one is deleted and
/// its owner told; the answer is the same whatever was found.
#[utoipa::path(post, path = "/leaks.json", tag = "tokens",
    request_body = LeakReport,
    responses(
        (status = 200, body = Received),
        (status = 429, body = crate::error::ErrorBody, description = "too many reports from this address"),
    ))]
pub async fn leaks(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Payload,
) -> Result<Json<Received>, AppError> {
    let ip = auth::client_ip(&req, &state);
    // Counted before the body is read: a flood costs no parsing.
    state.leak_limit.admit(ip.as_deref().unwrap_or(""))?;
    let JsonBody(report) = JsonBody::<LeakReport>::read(&req, &mut body.into_inner()).await?;
    report.check()?;
    let received = report.tokens.len();
    let state2 = state.clone();
    state
        .db
        .run(move |conn| lifecycle::report_leaks(conn, &state2.config, &report, ip.as_deref()))
        .await?;
    Ok(Json(Received { received }))
}
