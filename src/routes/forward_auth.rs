//! `GET /auth` and `HEAD /auth`: the gate a reverse proxy (nginx
//! `auth_request`, Caddy `forward_auth`, Traefik `forwardAuth`) asks before
//! letting a request through to the service it protects (SPEC §8).
//!
//! The proxy forwards the original request's headers; the token is taken
//! from them in any form of SPEC §3, the query form from the original URI
//! (`X-Original-URI`, `X-Forwarded-Uri`). The scopes the service needs are
//! on the URL the proxy was configured with: `/auth?scope=a:b&scope=c:d`.
//!
//! This is tessera's hottest path: every request to every protected service
//! passes here. Refusals are answered from static text, a bad checksum
//! never reaches the database, and a good token costs what the token check
//! of every `.json` route costs (`auth::check`), nothing more.

use std::borrow::Cow;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};

use crate::auth::check::{self, Presented};
use crate::error::AppError;
use crate::state::AppState;
use crate::tokens::{Scope, is_app_scope_name};
use crate::views::page::rfc3339;

/// The path the proxies call; it never reads or sets a cookie.
pub const PATH: &str = "/auth";

/// More required scopes than any service needs is a mistake in the proxy's
/// configuration, or someone probing: refused before any work.
const MAX_REQUIRED_SCOPES: usize = 16;

/// The headers carrying the original request's URI, by proxy: nginx's
/// conventional `X-Original-URI`, Caddy's and Traefik's `X-Forwarded-Uri`.
const ORIGINAL_URI: [HeaderName; 2] = [
    HeaderName::from_static("x-original-uri"),
    HeaderName::from_static("x-forwarded-uri"),
];

const ACCOUNT_ID: HeaderName = HeaderName::from_static("x-tessera-account-id");
const USERNAME: HeaderName = HeaderName::from_static("x-tessera-username");
const ROLE: HeaderName = HeaderName::from_static("x-tessera-role");
const TOKEN_ID: HeaderName = HeaderName::from_static("x-tessera-token-id");
const TOKEN_PREFIX: HeaderName = HeaderName::from_static("x-tessera-token-prefix");
const SCOPES: HeaderName = HeaderName::from_static("x-tessera-scopes");
const EXPIRES: HeaderName = HeaderName::from_static("x-tessera-expires");
const MISSING_SCOPE: HeaderName = HeaderName::from_static("x-tessera-missing-scope");

/// `GET /auth` (and `HEAD`): 204 with who the token's holder is, or why not.
#[utoipa::path(get, path = "/auth", tag = "forward-auth",
    description = "For reverse proxies (nginx `auth_request`, Caddy `forward_auth`, Traefik `forwardAuth`): \
        checks the token of the forwarded request (any form; the `api_token` query parameter is read from \
        `X-Original-URI` or `X-Forwarded-Uri`). Every `scope` parameter names a scope the token must hold. \
        204 carries `X-Tessera-Account-Id`, `X-Tessera-Username`, `X-Tessera-Role`, `X-Tessera-Token-Id`, \
        `X-Tessera-Token-Prefix`, `X-Tessera-Scopes` and `X-Tessera-Expires`; 403 names the missing scope in \
        `X-Tessera-Missing-Scope`. Never reads or sets a cookie.",
    params(("scope" = Option<Vec<crate::tokens::Scope>>, Query, description = "a scope the token must hold (built-in, or an application scope `service:action`); repeat for several, at most 16", max_items = 16)),
    responses(
        (status = 204, description = "the token is good and holds every scope asked for"),
        (status = 429, body = crate::error::ErrorBody, description = "the token's rate limit is spent; `Retry-After` says when to try again"),
    ),
    // `openapi::ASKED_SCOPES`: the scopes are the caller's to name.
    security(("scope" = [])))]
pub async fn auth(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let required = match required_scopes(req.query_string()) {
        Ok(required) => required,
        Err(body) => return error(StatusCode::BAD_REQUEST, body),
    };
    let raw = match forwarded_token(&req, state.config.allow_query_token) {
        Presented::Token(raw) => raw,
        Presented::None | Presented::Malformed => return unauthenticated(),
    };
    let checked = match check::check_from(&req, &state, raw, false).await {
        Ok(checked) => checked,
        Err(AppError::Unauthenticated) => return unauthenticated(),
        Err(e) => return refused(&e),
    };
    let scopes = &checked.caller.scopes;
    if let Some(missing) = required.iter().find(|s| !scopes.contains_name(s)) {
        let mut response = error(StatusCode::FORBIDDEN, FORBIDDEN_BODY);
        response.headers_mut().insert(MISSING_SCOPE, value(missing));
        checked.write_headers(response.headers_mut());
        return response;
    }
    let (token, account) = &*checked.live;
    let mut response = HttpResponse::new(StatusCode::NO_CONTENT);
    let headers = response.headers_mut();
    headers.insert(ACCOUNT_ID, value(&account.account_id));
    headers.insert(USERNAME, value(&account.username));
    headers.insert(ROLE, HeaderValue::from_static(account.role().as_str()));
    headers.insert(TOKEN_ID, HeaderValue::from(token.id));
    headers.insert(TOKEN_PREFIX, value(&token.prefix));
    headers.insert(SCOPES, value(&scopes.names().join(" ")));
    let expires = match token.expires_at {
        Some(at) => value(&rfc3339(at)),
        None => HeaderValue::from_static(""),
    };
    headers.insert(EXPIRES, expires);
    headers.insert(header::CACHE_CONTROL, NO_STORE);
    checked.write_headers(headers);
    response
}

/// The `scope` parameters of the `/auth` URL, each a scope's name (built-in
/// or of the application shape). Borrowed from the query unless
/// percent-encoded; a refusal is the 400's body.
fn required_scopes(query: &str) -> Result<Vec<Cow<'_, str>>, &'static str> {
    let mut required = Vec::new();
    for (key, value) in query_pairs(query) {
        if key != "scope" {
            continue;
        }
        if required.len() == MAX_REQUIRED_SCOPES {
            return Err(TOO_MANY_SCOPES_BODY);
        }
        if Scope::parse(&value).is_none() && !is_app_scope_name(&value) {
            return Err(BAD_SCOPE_BODY);
        }
        required.push(value);
    }
    Ok(required)
}

/// The query's pairs as `application/x-www-form-urlencoded` reads them;
/// only a pair with something to decode (`%`, `+`) goes through the
/// decoder, the usual `scope=app:read` is borrowed as it stands.
fn query_pairs(query: &str) -> impl Iterator<Item = (Cow<'_, str>, Cow<'_, str>)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.contains(['%', '+']) {
            false => {
                let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                (Cow::Borrowed(key), Cow::Borrowed(value))
            }
            true => form_urlencoded::parse(pair.as_bytes())
                .next()
                .unwrap_or_default(),
        })
}

/// The token of the forwarded request: its headers as any `.json` route
/// reads them, else the `api_token` parameter of the original URI. The
/// query form counts whatever the original method was: the proxies do not
/// all say which it was, and `/auth`'s own method is theirs.
pub fn forwarded_token(req: &HttpRequest, allow_query: bool) -> Presented<'_> {
    match check::presented_token(req, false) {
        Presented::None if allow_query => ORIGINAL_URI
            .iter()
            .filter_map(|name| req.headers().get(name))
            .filter_map(|uri| uri.to_str().ok())
            .find_map(|uri| check::query_token(uri.split_once('?')?.1))
            .map_or(Presented::None, Presented::Token),
        presented => presented,
    }
}

/// A header value from text that the database holds; the fields sent are
/// ASCII by construction (ids, usernames, prefixes, scope names, times), so
/// the empty fallback is never seen.
fn value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or(HeaderValue::from_static(""))
}

const UNAUTHENTICATED_BODY: &str =
    r#"{"error":{"code":"unauthenticated","message":"send a valid API token","field":null}}"#;
const FORBIDDEN_BODY: &str = r#"{"error":{"code":"insufficient_scope","message":"the token lacks a scope this service needs; X-Tessera-Missing-Scope names it","field":"scope"}}"#;
const TOO_MANY_SCOPES_BODY: &str =
    r#"{"error":{"code":"invalid_input","message":"at most 16 scope parameters","field":"scope"}}"#;
const BAD_SCOPE_BODY: &str = r#"{"error":{"code":"invalid_input","message":"a scope parameter is not a scope's name","field":"scope"}}"#;

/// A short JSON error from static text, with no allocation but the
/// response's own. Refusals have a body (Caddy and Traefik pass it on to
/// the client), so they say not to sniff it.
fn error(status: StatusCode, body: &'static str) -> HttpResponse {
    let mut response = HttpResponse::with_body(status, body).map_into_boxed_body();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, NO_STORE);
    let (name, value) = NOSNIFF;
    headers.insert(name, value);
    response
}

const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");

const NOSNIFF: (HeaderName, HeaderValue) = (
    header::X_CONTENT_TYPE_OPTIONS,
    HeaderValue::from_static("nosniff"),
);

fn unauthenticated() -> HttpResponse {
    let mut response = error(StatusCode::UNAUTHORIZED, UNAUTHENTICATED_BODY);
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"tessera\""),
    );
    response
}

/// Any other refusal of the token check (an IP outside the token's
/// allowlist, a spent rate limit, the database down) as the `.json` routes
/// answer it, with its headers.
fn refused(e: &AppError) -> HttpResponse {
    let mut response = actix_web::ResponseError::error_response(e);
    let (name, value) = NOSNIFF;
    response.headers_mut().insert(name, value);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_parameters() {
        let names = |q| {
            required_scopes(q)
                .map(|v| v.into_iter().map(Cow::into_owned).collect::<Vec<_>>())
                .map_err(|_| StatusCode::BAD_REQUEST)
        };
        assert_eq!(
            names("scope=billing:read&x=1&scope=profile%3Aread"),
            Ok(vec!["billing:read".into(), "profile:read".into()])
        );
        assert_eq!(names(""), Ok(vec![]));
        assert_eq!(
            names("scope=%0d%0aSet-Cookie"),
            Err(StatusCode::BAD_REQUEST)
        );
        assert_eq!(names("scope=%ff"), Err(StatusCode::BAD_REQUEST));
        let many = vec!["scope=a:b"; 50].join("&");
        assert_eq!(names(&many), Err(StatusCode::BAD_REQUEST));
    }

    proptest::proptest! {
        #[test]
        fn pairs_read_as_the_form_decoder_reads_them(q in "[a-z=&%+:0-9A-F]{0,40}") {
            let ours: Vec<_> = query_pairs(&q).collect();
            let decoder: Vec<_> = form_urlencoded::parse(q.as_bytes()).collect();
            proptest::prop_assert_eq!(ours, decoder);
        }
    }
}
