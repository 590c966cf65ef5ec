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
//! A token is checked by [`check`], the one token check every
//! token-authenticated path goes through; a session by [`session`].

pub mod check;
pub mod guards;
pub mod password;
pub mod rate_limit;
pub mod restrict;
pub mod rotation;
pub mod session;

use std::marker::PhantomData;
use std::net::IpAddr;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::Method;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::config::TrustedProxies;
use crate::db::models::accounts::Account;
use crate::db::rows::AccountTokens;
use crate::error::AppError;
use crate::extract::{JsonBody, from_read};
use crate::state::AppState;
use crate::tokens::{Scope, ScopeSet};

/// How the caller proved who they are.
#[derive(Debug, Clone)]
pub enum Via {
    Token {
        token_id: i64,
    },
    /// `session_id`: the session's row, "this session" in the list.
    Session {
        csrf_token: String,
        session_id: i64,
        /// The language its pages speak: the account's choice, else what
        /// the browser's `Accept-Language` asks for.
        language: &'static str,
    },
}

#[derive(Debug, Clone)]
pub struct Caller {
    pub account: Arc<Account>,
    /// What this caller may do now.
    pub scopes: ScopeSet,
    pub via: Via,
    pub ip: Option<String>,
}

impl Caller {
    /// What this caller may put on a new token: a token hands on at most
    /// its own scopes; a session, whatever its role allows.
    pub fn may_grant(&self) -> Option<&ScopeSet> {
        match self.via {
            Via::Token { .. } => Some(&self.scopes),
            Via::Session { .. } => None,
        }
    }

    /// The browser session's row, when the caller is one.
    pub fn session_id(&self) -> Option<i64> {
        match self.via {
            Via::Session { session_id, .. } => Some(session_id),
            Via::Token { .. } => None,
        }
    }

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
    markers!(
        ProfileRead,
        ProfileWrite,
        TokensRead,
        TokensWrite,
        AdminRead,
        AdminWrite,
        Introspect,
        MetricsRead
    );
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

/// [`Need`], then a JSON body: the body is read only once the caller has
/// been let in, so nobody learns from its validation what they may not do.
pub struct NeedJson<S: ScopeMarker, T> {
    pub caller: Caller,
    pub body: T,
    _scope: PhantomData<S>,
}

impl<S: ScopeMarker + 'static, T: DeserializeOwned + 'static> NeedJson<S, T> {
    pub async fn read(req: &HttpRequest, payload: &mut Payload) -> Result<Self, AppError> {
        let caller = allow::<S>(req, authenticate(req).await?)?;
        let JsonBody(body) = JsonBody::read(req, payload).await?;
        Ok(NeedJson {
            caller,
            body,
            _scope: PhantomData,
        })
    }
}

from_read!([S: ScopeMarker + 'static, T: DeserializeOwned + 'static] NeedJson<S, T>);

/// The checks after identification: CSRF for a session changing state, then
/// the scope.
fn allow<S: ScopeMarker>(req: &HttpRequest, caller: Caller) -> Result<Caller, AppError> {
    if let Via::Session { csrf_token, .. } = &caller.via
        && !is_safe(req.method())
    {
        let sent = req
            .headers()
            .get(session::CSRF_HEADER)
            .and_then(|v| v.to_str().ok());
        session::check_csrf_header(sent, csrf_token)?;
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
    /// The caller and its account's tokens: for a token, read together with
    /// its check (`check::check_from`); a browser session is checked as [`Need`]
    /// checks it.
    pub async fn own_tokens(self) -> Result<(Caller, AccountTokens), AppError> {
        let state = state(&self.req);
        let Some(raw) = presented(&self.req, &state)? else {
            let caller = allow::<S>(&self.req, session_caller(&self.req, &state).await?)?;
            let tokens = state.db.tokens_of(caller.account.id).await?;
            return Ok((caller, tokens));
        };
        let checked = check::check_request(&self.req, &state, raw, true).await?;
        checked.caller.require(S::SCOPE)?;
        let tokens = checked.list.ok_or_else(|| {
            AppError::Internal("the token check left out the tokens asked".into())
        })?;
        Ok((checked.caller, tokens))
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

/// The client's address: the socket's peer, or behind a trusted proxy
/// (`TESSERA_TRUSTED_PROXIES`) the one it forwarded for. The sign-in
/// limits, the audit log and the tokens' IP allowlists key on this, so
/// nobody else's `X-Forwarded-For` counts.
pub fn client_ip(req: &HttpRequest, state: &AppState) -> Option<String> {
    client_addr(req, &state.config.trusted_proxies).map(ip_text)
}

/// An address as text, as `Display` writes it. An IPv4 address, nearly
/// every caller, is written digit by digit: on the token check's path
/// `Display` cost a tenth of tessera's own work.
fn ip_text(ip: IpAddr) -> String {
    let IpAddr::V4(v4) = ip else {
        return ip.to_string();
    };
    let mut text = String::with_capacity(15);
    for (i, octet) in v4.octets().into_iter().enumerate() {
        if i > 0 {
            text.push('.');
        }
        text.push_str(itoa::Buffer::new().format(octet));
    }
    text
}

/// [`client_ip`] as an address.
pub fn client_addr(req: &HttpRequest, trusted: &TrustedProxies) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    if trusted.is_empty() || !trusted.contains(&peer) {
        return Some(peer);
    }
    let headers = req.headers();
    let mut forwarded = headers
        .get_all("X-Forwarded-For")
        .filter_map(|v| v.to_str().ok())
        .peekable();
    if forwarded.peek().is_some() {
        return Some(forwarded_client(peer, forwarded, trusted));
    }
    // nginx's other convention: one address, set by the proxy itself.
    let real = headers
        .get("X-Real-IP")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok());
    Some(real.unwrap_or(peer))
}

/// The browser's own description of itself, as far as a person needs it
/// to tell their sessions apart.
pub fn user_agent(req: &HttpRequest) -> Option<String> {
    let ua = req
        .headers()
        .get(actix_web::http::header::USER_AGENT)?
        .to_str()
        .ok()?;
    let ua: String = ua.trim().chars().take(300).collect();
    (!ua.is_empty()).then_some(ua)
}

/// Walks `X-Forwarded-For` from the nearest hop outwards and returns the
/// first address that is not one of our proxies. Anything unreadable ends
/// the walk: what lies beyond it cannot be trusted.
pub fn forwarded_client<'a>(
    peer: IpAddr,
    headers: impl Iterator<Item = &'a str>,
    trusted: &TrustedProxies,
) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let hops: Vec<&str> = headers.flat_map(|h| h.split(',')).map(str::trim).collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) if trusted.contains(&ip) => client = ip,
            Ok(ip) => return ip,
            Err(_) => break,
        }
    }
    client
}

/// The token the request presents, if any; something presented that
/// cannot be a token is refused here.
fn presented<'r>(req: &'r HttpRequest, state: &AppState) -> Result<Option<&'r str>, AppError> {
    match check::presented_token(req, state.config.allow_query_token) {
        check::Presented::Token(raw) => Ok(Some(raw)),
        check::Presented::Malformed => Err(AppError::Unauthenticated),
        check::Presented::None => Ok(None),
    }
}

/// The caller of a browser session: everything its account's role allows.
pub(crate) async fn session_caller(
    req: &HttpRequest,
    state: &AppState,
) -> Result<Caller, AppError> {
    let (session, account) = session::current(req, state)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let language = crate::i18n::Tr::chosen(
        account.language.as_deref(),
        crate::preferences::browser_language(req),
    )
    .code();
    Ok(Caller {
        scopes: ScopeSet::for_role(account.role()),
        account: Arc::new(account),
        via: Via::Session {
            session_id: session.row.id,
            csrf_token: session.csrf_token,
            language,
        },
        ip: client_ip(req, state),
    })
}

/// Resolves the caller from a token, or failing that a browser session.
pub async fn authenticate(req: &HttpRequest) -> Result<Caller, AppError> {
    let state = state(req);
    match presented(req, &state)? {
        Some(raw) => Ok(check::check_request(req, &state, raw, false).await?.caller),
        None => session_caller(req, &state).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn addresses_are_written_as_display_writes_them(v4: u32, v6: u128) {
            for ip in [IpAddr::from(v4.to_be_bytes()), IpAddr::from(v6.to_be_bytes())] {
                proptest::prop_assert_eq!(ip_text(ip), ip.to_string());
            }
        }
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let lb = TrustedProxies::parse("10.0.0.1").unwrap();
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
        // Ranges: every hop inside them is a proxy of ours.
        let nets = TrustedProxies::parse("10.0.0.0/8 fd00::/8").unwrap();
        assert_eq!(
            forwarded_client(
                ip("10.1.2.3"),
                ["203.0.113.5, fd00::7, 10.9.9.9"].into_iter(),
                &nets
            ),
            ip("203.0.113.5")
        );
    }
}
