//! `POST /oauth/introspect` (RFC 7662): for services that check tokens
//! themselves. The caller proves itself with its own token holding the
//! `introspect` scope; the token asked about is looked up as the token
//! check looks it up, without counting as a use of it.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use time::PrimitiveDateTime;
use utoipa::ToSchema;

use crate::auth::check::allowed;
use crate::auth::rotation::find_under_any_key;
use crate::auth::{Via, authenticate};
use crate::db;
use crate::error::AppError;
use crate::extract::FormBody;
use crate::state::AppState;
use crate::tokens::{PlainToken, Scope};

/// The answer: every field but `active` is absent for a token that is not
/// active now (unknown, malformed, expired, deactivated, or its owner's
/// account deactivated).
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct Introspection {
    pub active: bool,
    /// The effective scopes, space separated.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "profile:read billing:read")]
    pub scope: Option<String>,
    /// The owner's account id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "Bearer")]
    pub token_type: Option<&'static str>,
    /// Created, in seconds since 1970.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// Expires, in seconds since 1970; absent when the token never expires.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// The token's id (as a string, as RFC 7662 has it).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "42")]
    pub jti: Option<String>,
}

/// RFC 6749's error shape, which introspection clients expect.
#[derive(Debug, Serialize, ToSchema)]
pub struct OAuthError {
    #[schema(example = "invalid_request")]
    pub error: &'static str,
    pub error_description: &'static str,
}

/// The form body: `token` and an optional `token_type_hint`.
#[derive(ToSchema)]
#[allow(dead_code)] // only describes the form in the OpenAPI document
pub struct IntrospectionRequest {
    #[schema(example = "tsr_...", min_length = 1)]
    token: String,
    #[schema(example = "access_token")]
    token_type_hint: Option<String>,
}

/// `POST /oauth/introspect`.
#[utoipa::path(post, path = "/oauth/introspect", tag = "tokens",
    description = "RFC 7662 token introspection: whether a token is active, whose it is and what it may do. Does not count as a use of the token.",
    request_body(content = IntrospectionRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, body = Introspection),
        (status = 400, body = OAuthError, description = "no `token` in the form"),
        (status = 401, body = crate::error::ErrorBody, description = "the caller has no valid token with the introspect scope"),
    ),
    security(("introspect" = [])))]
pub async fn introspect(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    // Only a service's own token with the scope may ask: RFC 7662 answers
    // 401 to anyone else, whether they sent nothing or too little.
    let caller = authenticate(&req).await?;
    if !matches!(caller.via, Via::Token { .. }) || !caller.scopes.contains(Scope::Introspect) {
        return Err(AppError::Unauthenticated);
    }
    let form = FormBody::read(&req, &mut payload.into_inner()).await?;
    let Some(raw) = form.get("token").filter(|t| !t.is_empty()) else {
        return Ok(HttpResponse::build(StatusCode::BAD_REQUEST)
            .insert_header(("Cache-Control", "no-store"))
            .json(OAuthError {
                error: "invalid_request",
                error_description: "the form has no token",
            }));
    };
    let answer = inspect(&state, raw).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(answer))
}

/// What introspection says about `raw`; refusals are all `{"active": false}`.
async fn inspect(state: &AppState, raw: &str) -> Result<Introspection, AppError> {
    let Ok(token) = PlainToken::parse(raw) else {
        return Ok(Introspection::default());
    };
    // Under whichever key made its hash, as the token check finds it.
    let Some((found, hash)) = find_under_any_key(state, &token, false).await? else {
        return Ok(Introspection::default());
    };
    let (token, account) = &*found.live;
    let now = db::now();
    if !allowed(token, account, now) || token.grace_over(hash.as_bytes(), now) {
        return Ok(Introspection::default());
    }
    let scopes = state
        .grantable
        .effective(&state.db, &token.scope_set(), account.role())
        .await?;
    // A replaced secret in its grace period stops working when the grace
    // ends, if the token does not expire before.
    let grace_end = token
        .previous_valid_until
        .filter(|_| token.previous_hash.as_deref() == Some(hash.as_bytes()));
    let ends = match (token.expires_at, grace_end) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    Ok(Introspection {
        active: true,
        scope: Some(scopes.to_stored()),
        sub: Some(account.account_id.clone()),
        username: Some(account.username.clone()),
        token_type: Some("Bearer"),
        iat: Some(unix(token.created_at)),
        exp: ends.map(unix),
        jti: Some(token.id.to_string()),
    })
}

fn unix(at: PrimitiveDateTime) -> i64 {
    at.assume_utc().unix_timestamp()
}
