//! The token check: the one way a presented token becomes a [`Caller`].
//! Every token-authenticated path calls [`check_from`] (through `Need`, or
//! directly), in this order:
//!
//! 1. **presented form** ([`presented_token`]): `Authorization` (Bearer,
//!    Token, apiToken or bare), `API-KEY`, or for GET the `api_token` query
//!    parameter;
//! 2. **checksum** (`PlainToken::parse`): garbage never reaches the
//!    database;
//! 3. **keyed hash**: HMAC-SHA256 under the server key, which an attacker
//!    cannot compute, so the index lookup leaks nothing usable; after a
//!    key rotation, under each older key too (`rotation.rs`);
//! 4. **lookup** (`Db::live_token`): the token's row and its owner's, from
//!    the read cache, the PostgreSQL batch or one query; which one is the
//!    database layer's business;
//! 5. **decision** ([`allowed`]): active, unexpired, owner active; the
//!    token's own restrictions (`restrict::admit`: IP allowlist, rate
//!    limit); then the scopes capped by what the owner's role allows now
//!    (for application scopes, the roles that may grant them:
//!    `crate::scopes`);
//! 6. **use recorded** ([`record_use`]): last used time and address, at most
//!    once a minute per token.

use actix_web::http::header::HeaderMap;
use actix_web::http::{Method, header};
use actix_web::{HttpMessage, HttpRequest};
use std::sync::Arc;
use time::PrimitiveDateTime;

use super::restrict::{self, RateStatus};
use super::{Caller, Via};
use crate::db::models::accounts::Account;
use crate::db::models::tokens::{ApiToken, TokenStatus};
use crate::db::rows::{AccountTokens, Found, LiveToken};
use crate::db::{self};
use crate::error::AppError;
use crate::metrics::{self, CheckResult};
use crate::state::AppState;
use crate::tokens::{PlainToken, TokenHash};

/// A token presented with the request, in whichever form it came.
#[derive(Debug, PartialEq, Eq)]
pub enum Presented<'a> {
    None,
    Token(&'a str),
    /// Something was sent as credentials but cannot be a token.
    Malformed,
}

/// The header a token may come in besides `Authorization`.
pub const API_KEY: header::HeaderName = header::HeaderName::from_static("api-key");

/// Finds a token in the `Authorization` header (Bearer, Token, apiToken or
/// bare), the `API-KEY` header, or for GET the `api_token` query parameter.
pub fn presented_token(req: &HttpRequest, allow_query: bool) -> Presented<'_> {
    if let Some(value) = req.headers().get(header::AUTHORIZATION) {
        let Ok(value) = value.to_str() else {
            return Presented::Malformed;
        };
        return parse_authorization(value);
    }
    if let Some(value) = req.headers().get(API_KEY) {
        return match value.to_str() {
            Ok(v) if !v.trim().is_empty() => Presented::Token(v.trim()),
            _ => Presented::Malformed,
        };
    }
    if allow_query
        && matches!(*req.method(), Method::GET | Method::HEAD)
        && let Some(v) = query_token(req.query_string())
    {
        return Presented::Token(v);
    }
    Presented::None
}

pub fn parse_authorization(value: &str) -> Presented<'_> {
    let value = value.trim();
    match value.split_once(char::is_whitespace) {
        Some((scheme, rest)) => {
            let known = ["bearer", "token", "apitoken"]
                .iter()
                .any(|s| scheme.eq_ignore_ascii_case(s));
            let rest = rest.trim();
            if known && !rest.is_empty() && !rest.contains(char::is_whitespace) {
                Presented::Token(rest)
            } else {
                Presented::Malformed
            }
        }
        None if !value.is_empty() => Presented::Token(value),
        None => Presented::Malformed,
    }
}

pub fn query_token(query: &str) -> Option<&str> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == "api_token")
        .map(|(_, v)| v)
}

/// A checked token: who calls, and the owner's tokens when asked for.
pub struct Checked {
    pub caller: Caller,
    /// The token's row and its owner's, as checked.
    pub live: LiveToken,
    /// Where the token's rate limit stands, if it has one.
    pub rate: Option<RateStatus>,
    pub list: Option<AccountTokens>,
    /// When the token expires, if it does.
    pub expires_at: Option<PrimitiveDateTime>,
}

/// Checks the token `raw` presented with `req`; with `with_list`, the
/// owner's tokens come with the answer (read in the same trip where the
/// backend allows). The client's address and user agent are counted with
/// the use. Every refusal is the same 401, whatever its reason. The caller
/// writes the token's headers ([`Checked::write_headers`]).
pub async fn check_from(
    req: &HttpRequest,
    state: &AppState,
    raw: &str,
    with_list: bool,
) -> Result<Checked, AppError> {
    // A bad checksum is refused before any other work, even the address.
    let token = PlainToken::parse(raw).map_err(|_| refused(CheckResult::BadChecksum))?;
    let agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    let ip = super::client_ip(req, state);
    check_parsed(state, &token, ip, agent, with_list).await
}

/// [`check_from`], with where the token's rate limit stands and whether it
/// expires soon noted for the response's headers ([`token_headers`]).
pub async fn check_request(
    req: &HttpRequest,
    state: &AppState,
    raw: &str,
    with_list: bool,
) -> Result<Checked, AppError> {
    let checked = check_from(req, state, raw, with_list).await?;
    restrict::note(req, checked.rate);
    note_expiry(req, checked.expires_at);
    Ok(checked)
}

impl Checked {
    /// The token's headers ([`token_headers`]) on a response made without
    /// that middleware.
    pub fn write_headers(&self, headers: &mut HeaderMap) {
        write_token_headers(headers, self.rate, expires_soon(self.expires_at));
    }
}

/// [`check_from`] once the token's checksum is known to be good.
async fn check_parsed(
    state: &AppState,
    token: &PlainToken,
    ip: Option<String>,
    user_agent: Option<&str>,
    with_list: bool,
) -> Result<Checked, AppError> {
    let (Found { live, mut list }, hash) =
        super::rotation::find_under_any_key(state, token, with_list)
            .await?
            .ok_or_else(|| refused(CheckResult::Unknown))?;
    let (token, account) = &*live;
    let now = db::now();
    if !allowed(token, account, now) || token.grace_over(hash.as_bytes(), now) {
        return Err(refused(CheckResult::Refused));
    }
    metrics::token_check(CheckResult::Ok);
    let rate = restrict::admit(state, token, account, ip.as_deref()).await?;
    state
        .db
        .usage()
        .count(token.id, now, ip.as_deref(), user_agent);
    if record_use(state, token, &hash, now, ip.as_deref()).await
        && let Some(list) = &mut list
    {
        show_use(list, token.id, now, ip.as_deref());
    }
    let scopes = state
        .grantable
        .effective(&state.db, &token.scope_set(), account.role())
        .await?;
    Ok(Checked {
        caller: Caller {
            account: account.clone(),
            scopes,
            via: Via::Token { token_id: token.id },
            ip,
        },
        live: live.clone(),
        rate,
        list,
        expires_at: token.expires_at,
    })
}

/// The one refusal, whatever its reason; the reason is counted
/// (`/metrics`), never told.
fn refused(why: CheckResult) -> AppError {
    metrics::token_check(why);
    AppError::Unauthenticated
}

/// How soon before its expiry a token's responses say when it expires.
pub const EXPIRY_WARNING: time::Duration = time::Duration::days(7);

/// When the request's token expires, if within [`EXPIRY_WARNING`].
#[derive(Clone, Copy)]
struct ExpiresSoon(PrimitiveDateTime);

fn expires_soon(expires_at: Option<PrimitiveDateTime>) -> Option<ExpiresSoon> {
    expires_at
        .filter(|at| *at - db::now() <= EXPIRY_WARNING)
        .map(ExpiresSoon)
}

fn note_expiry(req: &HttpRequest, expires_at: Option<PrimitiveDateTime>) {
    if let Some(soon) = expires_soon(expires_at) {
        req.extensions_mut().insert(soon);
    }
}

/// Middleware: the headers of a response to a token, from what the token
/// check left in the request's extensions: `X-RateLimit-*` for a token with
/// a rate limit (refusals carry them already), and `Tessera-Token-Expires`
/// (RFC 3339) for a token expiring within seven days, so that scripts can
/// warn before they stop working. One layer for both: it wraps every
/// request.
pub async fn token_headers(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    let (rate, soon) = {
        let notes = res.request().extensions();
        (
            notes.get::<RateStatus>().copied(),
            notes.get::<ExpiresSoon>().copied(),
        )
    };
    write_token_headers(res.headers_mut(), rate, soon);
    Ok(res)
}

fn write_token_headers(
    headers: &mut HeaderMap,
    rate: Option<RateStatus>,
    soon: Option<ExpiresSoon>,
) {
    if let Some(status) = rate {
        for (name, value) in status.headers() {
            headers.insert(name, value);
        }
    }
    if let Some(ExpiresSoon(at)) = soon
        && let Ok(value) = header::HeaderValue::from_str(&crate::views::page::rfc3339(at))
    {
        headers.insert(
            header::HeaderName::from_static("tessera-token-expires"),
            value,
        );
    }
}

/// Whether a token found live may still be used at `now`: the lookup's rows
/// may be up to a second old (`db::cache`), so status, expiry and the
/// owner's flag are checked again here.
pub fn allowed(token: &ApiToken, owner: &Account, now: PrimitiveDateTime) -> bool {
    token.status(now) == TokenStatus::Active && owner.active
}

/// Writes down a use of `token` when one is due (at most once a minute);
/// whether this request wrote it. A failed write is logged: bookkeeping
/// must not fail the caller's request.
pub async fn record_use(
    state: &AppState,
    token: &ApiToken,
    hash: &TokenHash,
    now: PrimitiveDateTime,
    ip: Option<&str>,
) -> bool {
    if !token.use_due(now) {
        return false;
    }
    let recorded = state
        .db
        .record_use(token, hash, now, ip.map(str::to_owned))
        .await;
    // The owner's lists as shown (`tokens.json`, Account Preferences) show
    // the use; the stamp did not move for it (`tokens::touch`).
    state.kept.forget_account(token.account_id);
    match recorded {
        Ok(recorded) => recorded,
        Err(e) => {
            tracing::warn!(error = %e, token_id = token.id, "could not record token use");
            false
        }
    }
}

/// The owner's list, read before the use of token `id` at `now` from `ip`
/// was written down, as it reads after.
fn show_use(list: &mut AccountTokens, id: i64, now: PrimitiveDateTime, ip: Option<&str>) {
    let mut rows = Vec::clone(&list.rows);
    if let Some(row) = rows.iter_mut().find(|t| t.id == id) {
        row.last_used_at = Some(now);
        row.last_used_ip = ip.map(str::to_owned);
    }
    list.rows = Arc::new(rows);
    // Not the rows read under that stamp any more: not to be kept.
    list.stamp = None;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorization_forms() {
        let t = "tsr_abc";
        assert_eq!(parse_authorization("Bearer tsr_abc"), Presented::Token(t));
        assert_eq!(parse_authorization("bearer  tsr_abc "), Presented::Token(t));
        assert_eq!(parse_authorization("Token tsr_abc"), Presented::Token(t));
        assert_eq!(parse_authorization("apiToken tsr_abc"), Presented::Token(t));
        assert_eq!(parse_authorization("tsr_abc"), Presented::Token(t));
        assert_eq!(
            parse_authorization("Basic dXNlcjpwYXNz"),
            Presented::Malformed
        );
        assert_eq!(parse_authorization("Bearer a b"), Presented::Malformed);
        assert_eq!(parse_authorization("Bearer"), Presented::Token("Bearer"));
        assert_eq!(parse_authorization(""), Presented::Malformed);
    }

    #[test]
    fn query_parameter() {
        assert_eq!(query_token("a=1&api_token=tsr_x"), Some("tsr_x"));
        assert_eq!(query_token("api_tokens=tsr_x"), None);
        assert_eq!(query_token(""), None);
    }

    proptest::proptest! {
        #[test]
        fn authorization_parser_never_panics(s in "\\PC{0,80}") {
            let _ = parse_authorization(&s);
            let _ = query_token(&s);
        }
    }
}
