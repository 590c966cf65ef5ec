//! The caller's own tokens, as JSON (`/profile/tokens...json`).

use actix_web::http::StatusCode;
use actix_web::http::header::ContentType;
use actix_web::web::{self, Bytes, Json};
use actix_web::{HttpRequest, HttpResponse};

use crate::actions::{self, Activation, Actor, Reach, TokenChange, TokenRequest};
use crate::auth::{Caller, Need, NeedWith, scope};
use crate::db::models::tokens::ApiToken;
use crate::db::{self, DbConn};
use crate::error::AppError;
use crate::extract::JsonBody;
use crate::lifecycle::ListQuery;
use crate::routes::no_store_json;
use crate::state::AppState;
use crate::views::tokens::{CreatedToken, TokenList, TokenView};

/// `GET /profile/tokens.json`.
#[utoipa::path(get, path = "/profile/tokens.json", tag = "tokens",
    params(
        ("sort" = Option<String>, Query, description = "blank: created", pattern = "^(created|last_used|expires|label)?$"),
        ("order" = Option<String>, Query, description = "blank: the sort's natural order", pattern = "^(asc|desc)?$"),
        ("status" = Option<String>, Query, description = "blank: any status", pattern = "^(active|deactivated|expired)?$"),
        ("q" = Option<String>, Query, description = "part of the label, any case", max_length = 100),
    ),
    responses((status = 200, body = TokenList)),
    security(("tokens:read" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    need: NeedWith<scope::TokensRead>,
) -> Result<HttpResponse, AppError> {
    let (caller, tokens) = need.own_tokens().await?;
    let query = ListQuery::parse(req.query_string())?;
    let now = db::now();
    // Unchanged rows make the same body until a token expires; each view
    // of them (sort, filter, search) its own.
    let account_id = caller.account.id;
    let variant = match query.is_default() {
        true => "json".to_owned(),
        false => format!("json {}", query.key()),
    };
    let body = state
        .kept
        .get_or_make(&tokens, account_id, &variant, now, || {
            let list = TokenList {
                tokens: query
                    .apply(&tokens.rows, now)
                    .into_iter()
                    .map(|t| TokenView::new(t, &caller.account.account_id, now))
                    .collect(),
            };
            serde_json::to_vec(&list)
                .map(Bytes::from)
                .map_err(|e| AppError::Internal(format!("token list: {e}")))
        })?;
    Ok(HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(body))
}

/// `POST /profile/tokens.json`: 201 with the secret, shown this once.
#[utoipa::path(post, path = "/profile/tokens.json", tag = "tokens",
    request_body = TokenRequest,
    responses(
        (status = 201, body = CreatedToken, description = "the token and its secret, shown this once"),
        (status = 409, body = crate::error::ErrorBody, description = "the account holds the most tokens allowed"),
    ),
    security(("tokens:write" = [])))]
pub async fn create(
    state: web::Data<AppState>,
    caller: Need<scope::TokensWrite>,
    JsonBody(request): JsonBody<TokenRequest>,
) -> Result<HttpResponse, AppError> {
    let caller = caller.caller;
    let spec = request.check(&state.config, &caller.account, caller.may_grant())?;
    let state2 = state.clone();
    let (token, secret, account_id) = state
        .db
        .run(move |conn| {
            let actor = Actor::new(&caller.account, caller.ip.as_deref());
            let (token, secret) =
                actions::create_token(conn, &state2.config, &caller.account, &spec, actor)?;
            Ok((token, secret, caller.account.account_id.clone()))
        })
        .await?;
    let view = TokenView::new(&token, &account_id, db::now());
    Ok(no_store_json(
        StatusCode::CREATED,
        &CreatedToken::new(view, secret),
    ))
}

/// Parses a token id from the path; anything that is not one is a token
/// that does not exist. Only the canonical spelling counts: `+1` or `01`
/// are not another name for token 1. The route table already turns away
/// what is not written so; this catches numbers too large to be an id.
pub fn token_id(raw: &str) -> Result<i64, AppError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0 && id.to_string() == raw)
        .ok_or(AppError::NotFound)
}

/// Deactivates, activates or deletes token `id`, as `reach` allows the
/// caller; the token as it is afterwards.
pub async fn change_token(
    state: &AppState,
    caller: &Caller,
    reach: Reach,
    id: i64,
    change: TokenChange,
) -> Result<TokenView, AppError> {
    token_as(state, caller, move |conn, actor| {
        actions::change_token(conn, reach, id, change, actor)
    })
    .await
}

/// Runs `change` as `caller` (for the audit log) and answers the token it
/// returns, as it is afterwards, with its owner's public id.
pub async fn token_as(
    state: &AppState,
    caller: &Caller,
    change: impl FnOnce(&mut DbConn, Actor<'_>) -> Result<(ApiToken, String), AppError> + Send + 'static,
) -> Result<TokenView, AppError> {
    let caller = caller.clone();
    let (token, owner) = state
        .db
        .run(move |conn| change(conn, Actor::new(&caller.account, caller.ip.as_deref())))
        .await?;
    Ok(TokenView::new(&token, &owner, db::now()))
}

/// A change to one of the caller's own tokens.
async fn change_own(
    state: &AppState,
    caller: Need<scope::TokensWrite>,
    raw_id: &str,
    change: TokenChange,
) -> Result<TokenView, AppError> {
    let caller = caller.caller;
    let reach = Reach::Own(caller.account.id);
    change_token(state, &caller, reach, token_id(raw_id)?, change).await
}

/// `DELETE /profile/tokens/{id}.json`: 204.
#[utoipa::path(delete, path = "/profile/tokens/{id}.json", tag = "tokens",
    params(("id" = i64, Path, minimum = 1)),
    responses((status = 204, description = "deleted; it stops working at once")),
    security(("tokens:write" = [])))]
pub async fn delete(
    state: web::Data<AppState>,
    caller: Need<scope::TokensWrite>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    change_own(&state, caller, &id, TokenChange::Delete).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /profile/tokens/{id}/deactivate.json` and `activate.json`: the
/// token as it is now.
#[utoipa::path(post, path = "/profile/tokens/{id}/{action}.json", tag = "tokens",
    params(("id" = i64, Path, minimum = 1), ("action" = Activation, Path)),
    responses((status = 200, body = TokenView)),
    security(("tokens:write" = [])))]
pub async fn activation(
    state: web::Data<AppState>,
    caller: Need<scope::TokensWrite>,
    path: web::Path<(String, Activation)>,
) -> Result<Json<TokenView>, AppError> {
    let (raw_id, action) = path.into_inner();
    Ok(Json(
        change_own(&state, caller, &raw_id, action.into()).await?,
    ))
}
