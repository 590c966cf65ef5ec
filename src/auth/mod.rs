//! Who is calling, and what may they do.
//!
//! Two kinds of caller: an API token (any of the six forms of SPEC §3) or a
//! browser session. Either becomes a [`Caller`] holding the account and the
//! effective scopes: a token's scopes intersected with what its owner's role
//! allows *now*, or for a session everything the role allows. Handlers state
//! the scope they need in their signature with [`Need`]:
//!
//! ```text
//! async fn list(caller: Need<scope::TokensRead>, ...) -> Result<..., AppError>
//! ```
//!
//! Token checks cost one indexed query (on SQLite often none: `db::cache`;
//! on PostgreSQL shared with concurrent requests: `db::batch`). The token's
//! checksum is verified
//! first, so garbage never reaches the database; the lookup is by the HMAC
//! of the token under the server key, which an attacker cannot compute, so
//! the index lookup leaks nothing usable about any stored secret.

pub mod guards;
pub mod password;
pub mod rate_limit;
pub mod session;

use std::marker::PhantomData;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::{Method, header};
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use crate::db::cache::{Listed, ReadCache};
use crate::db::models::accounts::Account;
use crate::db::models::tokens::{self as token_db, ApiToken};
use crate::db::{self, DbConn};
use crate::error::AppError;
use crate::state::AppState;
use crate::tokens::{PlainToken, Scope, ScopeSet, TokenHash};

/// How the caller proved who they are.
#[derive(Debug, Clone)]
pub enum Via {
    Token { token_id: i64 },
    Session { csrf_token: String },
}

#[derive(Debug, Clone)]
pub struct Caller {
    pub account: Account,
    /// What this caller may do now.
    pub scopes: ScopeSet,
    pub via: Via,
    pub ip: Option<String>,
}

impl Caller {
    pub fn require(&self, scope: Scope) -> Result<(), AppError> {
        if self.scopes.contains(scope) {
            Ok(())
        } else {
            Err(AppError::MissingScope(scope))
        }
    }
}

/// A scope named at the type level, for [`Need`].
pub trait ScopeMarker {
    const SCOPE: Scope;
}

/// The scope markers: `Need<scope::TokensWrite>`.
pub mod scope {
    use super::{Scope, ScopeMarker};

    macro_rules! markers {
        ($($name:ident),*) => {$(
            pub struct $name;
            impl ScopeMarker for $name {
                const SCOPE: Scope = Scope::$name;
            }
        )*};
    }
    markers!(ProfileRead, TokensRead, TokensWrite, AdminRead, AdminWrite);
}

/// An authenticated caller holding scope `S`. Token or session; a session
/// changing state must also send `X-CSRF-Token`.
pub struct Need<S: ScopeMarker> {
    pub caller: Caller,
    _scope: PhantomData<S>,
}

impl<S: ScopeMarker + 'static> FromRequest for Need<S> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let caller = authenticate(&req).await?;
            Ok(Need {
                caller: allow::<S>(&req, caller)?,
                _scope: PhantomData,
            })
        })
    }
}

/// The checks after identification: CSRF for a session changing state, then
/// the scope.
fn allow<S: ScopeMarker>(req: &HttpRequest, caller: Caller) -> Result<Caller, AppError> {
    if let Via::Session { csrf_token } = &caller.via
        && !is_safe(req.method())
    {
        let sent = req
            .headers()
            .get("X-CSRF-Token")
            .and_then(|v| v.to_str().ok());
        session::check_csrf(sent, csrf_token)?;
    }
    caller.require(S::SCOPE)?;
    Ok(caller)
}

/// [`Need`] plus the caller's own tokens, for `GET /profile/tokens.json`,
/// the busiest read of the API ([`NeedWith::own_tokens`]). The token is
/// checked exactly as [`Need`] checks it, with the same errors.
pub struct NeedWith<S: ScopeMarker> {
    req: HttpRequest,
    _scope: PhantomData<S>,
}

impl<S: ScopeMarker + 'static> FromRequest for NeedWith<S> {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(NeedWith {
            req: req.clone(),
            _scope: PhantomData,
        }))
    }
}

impl<S: ScopeMarker + 'static> NeedWith<S> {
    /// The caller and its account's tokens: on PostgreSQL asked in the
    /// batch of the moment ([`db::batch`]); on SQLite from the read cache
    /// when it holds them (one read of its stamp), else the token check and
    /// the list in one trip to the blocking pool, on one connection. A
    /// browser session is checked as [`Need`] checks it.
    pub async fn own_tokens(self) -> Result<(Caller, Arc<Listed>), AppError> {
        let state = state(&self.req);
        let Credentials::Token(hash) = credentials(&self.req, &state)? else {
            let caller = allow::<S>(&self.req, session_caller(&self.req, &state).await?)?;
            let tokens = state.db.tokens_of(caller.account.id).await?;
            return Ok((caller, tokens));
        };
        let check = TokenCheck::new(&state, hash, client_ip(&self.req));
        if state.db.batcher().is_some() {
            let (caller, tokens) = check.together(&state, true).await?;
            caller.require(S::SCOPE)?;
            let tokens = tokens
                .ok_or_else(|| AppError::Internal("the batch left out the tokens asked".into()))?;
            return Ok((caller, tokens));
        }
        let version = check.version;
        if let Some(caller) = check.cached(&state) {
            caller.require(S::SCOPE)?;
            let tokens = state.db.tokens_of_at(caller.account.id, version).await?;
            return Ok((caller, tokens));
        }
        let (caller, rows) = check
            .ask_then(&state, |conn, caller| {
                caller.require(S::SCOPE)?;
                let rows = token_db::list_for_account(conn, caller.account.id)?;
                Ok((caller, rows))
            })
            .await?;
        let tokens = state.db.keep_tokens(caller.account.id, rows, version);
        Ok((caller, tokens))
    }
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

pub fn state(req: &HttpRequest) -> web::Data<AppState> {
    req.app_data::<web::Data<AppState>>()
        .expect("AppState is registered in startup::build")
        .clone()
}

/// The client's address: the socket's peer, or behind a trusted load
/// balancer (`TESSERA_TRUSTED_PROXIES`) the one it forwarded for. The
/// sign-in limits key on this, so nobody else's `X-Forwarded-For` counts.
pub fn client_ip(req: &HttpRequest) -> Option<String> {
    let peer = req.peer_addr()?.ip();
    let trusted = &state(req).config.trusted_proxies;
    if trusted.is_empty() {
        return Some(peer.to_string());
    }
    let forwarded = req
        .headers()
        .get_all("X-Forwarded-For")
        .filter_map(|v| v.to_str().ok());
    Some(forwarded_client(peer, forwarded, trusted).to_string())
}

/// Walks `X-Forwarded-For` from the nearest hop outwards and returns the
/// first address that is not one of our proxies. Anything unreadable ends
/// the walk: what lies beyond it cannot be trusted.
pub fn forwarded_client<'a>(
    peer: std::net::IpAddr,
    headers: impl Iterator<Item = &'a str>,
    trusted: &[std::net::IpAddr],
) -> std::net::IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let hops: Vec<&str> = headers.flat_map(|h| h.split(',')).map(str::trim).collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop.parse::<std::net::IpAddr>() {
            Ok(ip) if trusted.contains(&ip) => client = ip,
            Ok(ip) => return ip,
            Err(_) => break,
        }
    }
    client
}

/// A token presented with the request, in whichever form it came.
#[derive(Debug, PartialEq, Eq)]
pub enum Presented<'a> {
    None,
    Token(&'a str),
    /// Something was sent as credentials but cannot be a token.
    Malformed,
}

/// Finds a token in the `Authorization` header (Bearer, Token, apiToken or
/// bare), the `API-KEY` header, or for GET the `api_token` query parameter.
pub fn presented_token(req: &HttpRequest, allow_query: bool) -> Presented<'_> {
    if let Some(value) = req.headers().get(header::AUTHORIZATION) {
        let Ok(value) = value.to_str() else {
            return Presented::Malformed;
        };
        return parse_authorization(value);
    }
    if let Some(value) = req.headers().get("API-KEY") {
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

/// What a request presents, read and checked without the database: a
/// token's keyed hash (its checksum verified), or nothing, in which case
/// the browser session decides.
enum Credentials {
    Token(TokenHash),
    Session,
}

fn credentials(req: &HttpRequest, state: &AppState) -> Result<Credentials, AppError> {
    match presented_token(req, state.config.allow_query_token) {
        Presented::Token(raw) => {
            let token = PlainToken::parse(raw).map_err(|_| AppError::Unauthenticated)?;
            Ok(Credentials::Token(token.hash(&state.config.secret_key)))
        }
        Presented::Malformed => Err(AppError::Unauthenticated),
        Presented::None => Ok(Credentials::Session),
    }
}

/// One token check: the token, and the read cache's stamp taken before
/// anything is asked of the database (see `db::cache`).
struct TokenCheck {
    hash: TokenHash,
    ip: Option<String>,
    version: Option<u64>,
}

/// What the database said about a token: its row and its owner's, or that
/// its use was just recorded (a write: nothing to keep).
enum Found {
    Rows(Box<(ApiToken, Account)>),
    Recorded,
}

impl TokenCheck {
    fn new(state: &AppState, hash: TokenHash, ip: Option<String>) -> Self {
        let version = state.db.cache().map(ReadCache::version);
        Self { hash, ip, version }
    }

    /// The caller from the read cache: an answer read at the current stamp,
    /// for a token still unexpired whose use was recorded within the minute
    /// (otherwise the database is asked, and records it).
    fn cached(&self, state: &AppState) -> Option<Caller> {
        let (cache, version) = (state.db.cache()?, self.version?);
        let (token, account) = cache.tokens.get(&self.hash.0, version)?;
        let now = db::now();
        let unexpired = token.expires_at.is_none_or(|at| at > now);
        (unexpired && !token.use_due(now)).then(|| caller_of(&token, account, self.ip.clone()))
    }

    /// The check on a connection already off the async workers: the one
    /// lookup, and the throttled last-used write.
    fn ask(&self, conn: &mut DbConn) -> Result<(Caller, Found), AppError> {
        let now = db::now();
        let (token, account) =
            token_db::find_live_by_hash(conn, &self.hash, now)?.ok_or(AppError::Unauthenticated)?;
        let caller = caller_of(&token, account.clone(), self.ip.clone());
        // At most one write a minute per token; a failed bookkeeping write
        // must not fail the caller's read.
        if token.use_due(now) {
            match token_db::touch(conn, token.id, now, self.ip.as_deref()) {
                Ok(_) => return Ok((caller, Found::Recorded)),
                Err(e) => {
                    tracing::warn!(error = %e, token_id = token.id, "could not record token use");
                }
            }
        }
        Ok((caller, Found::Rows(Box::new((token, account)))))
    }

    /// On PostgreSQL: the check, and with `with_tokens` the owner's tokens,
    /// asked together with other requests' checks of the moment
    /// ([`db::batch`]); as fresh as [`TokenCheck::ask`].
    async fn together(
        self,
        state: &AppState,
        with_tokens: bool,
    ) -> Result<(Caller, Option<Arc<Listed>>), AppError> {
        let found = state
            .db
            .check_together(&self.hash, self.ip.clone(), with_tokens)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        Ok((
            caller_of(&found.token, found.account, self.ip),
            found.tokens,
        ))
    }

    /// The check, then `then` with its caller, in one trip to the blocking
    /// pool on one connection; back on the worker, the answer is kept.
    async fn ask_then<T, F>(self, state: &AppState, then: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn, Caller) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let (check, found, result) = state
            .db
            .run(move |conn| {
                let (caller, found) = self.ask(conn)?;
                // `then` failing (a missing scope, say) leaves the check good.
                let result = then(conn, caller);
                Ok((self, found, result))
            })
            .await?;
        check.remember(state, found);
        result
    }

    /// Back on the worker: keeps the answer, or after the use was recorded
    /// tells every instance the database changed.
    fn remember(self, state: &AppState, found: Found) {
        match (found, state.db.cache(), self.version) {
            (Found::Recorded, ..) => state.db.note_change(),
            (Found::Rows(rows), Some(cache), Some(version)) => {
                cache.tokens.put(self.hash.0, *rows, version);
            }
            (Found::Rows(_), ..) => {}
        }
    }
}

fn caller_of(token: &ApiToken, account: Account, ip: Option<String>) -> Caller {
    let scopes = token
        .scope_set()
        .intersect(ScopeSet::for_role(account.role()));
    Caller {
        account,
        scopes,
        via: Via::Token { token_id: token.id },
        ip,
    }
}

async fn session_caller(req: &HttpRequest, state: &AppState) -> Result<Caller, AppError> {
    let (session, account) = session::current(req, state)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    Ok(Caller {
        scopes: ScopeSet::for_role(account.role()),
        account,
        via: Via::Session {
            csrf_token: session.csrf_token,
        },
        ip: client_ip(req),
    })
}

/// Resolves the caller from a token, or failing that a browser session.
pub async fn authenticate(req: &HttpRequest) -> Result<Caller, AppError> {
    let state = state(req);
    match credentials(req, &state)? {
        Credentials::Token(hash) => {
            let check = TokenCheck::new(&state, hash, client_ip(req));
            if state.db.batcher().is_some() {
                return Ok(check.together(&state, false).await?.0);
            }
            match check.cached(&state) {
                Some(caller) => Ok(caller),
                None => check.ask_then(&state, |_, caller| Ok(caller)).await,
            }
        }
        Credentials::Session => session_caller(req, &state).await,
    }
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
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
        let lb = [ip("10.0.0.1")];
        // Not from the balancer: the header is ignored.
        assert_eq!(
            forwarded_client(ip("192.0.2.7"), ["1.2.3.4"].into_iter(), &lb),
            ip("192.0.2.7")
        );
        // From the balancer: the nearest address it did not add itself.
        assert_eq!(
            forwarded_client(ip("10.0.0.1"), ["6.6.6.6, 198.51.100.9"].into_iter(), &lb),
            ip("198.51.100.9")
        );
        assert_eq!(
            forwarded_client(
                ip("10.0.0.1"),
                ["198.51.100.9", "10.0.0.1"].into_iter(),
                &lb
            ),
            ip("198.51.100.9")
        );
        assert_eq!(
            forwarded_client(ip("10.0.0.1"), ["garbage"].into_iter(), &lb),
            ip("10.0.0.1")
        );
        assert_eq!(
            forwarded_client(ip("10.0.0.1"), std::iter::empty(), &lb),
            ip("10.0.0.1")
        );
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
