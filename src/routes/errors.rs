//! Errors for people: on HTML pages an [`AppError`] becomes an error page
//! with the same status (or, for "not signed in", a redirect to /login).
//! JSON URLs keep the JSON body that `AppError` renders itself.
//!
//! A path that does not exist, or a method a page lacks, is no page at all:
//! there the caller decides. A program (it presents a token, or its
//! `Accept` ranks JSON above HTML) gets the JSON error it can parse; a
//! browser gets the page.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{Error, HttpRequest, HttpResponse, ResponseError};

use crate::error::AppError;
use crate::i18n::Tr;
use crate::preferences::browser_language;
use crate::routes::account::CHANGE_PASSWORD;
use crate::routes::{html, see_other};
use crate::views::auth::ErrorPage;
use crate::views::messages::field_message;
use crate::views::page::PageCtx;

/// Whether a path answers people (HTML) rather than programs (JSON).
pub fn is_page(path: &str) -> bool {
    !(path.ends_with(".json")
        || path == "/healthz"
        || path == super::forward_auth::PATH
        || path.starts_with("/oauth/")
        || path == "/metrics"
        || path.starts_with("/static/"))
}

/// Whether a path is one of the JSON API's, described in `/openapi.json`:
/// what programs call, but for `/metrics` (Prometheus text) and the static
/// files.
pub fn is_documented_api(path: &str) -> bool {
    !is_page(path) && path != "/metrics" && !path.starts_with("/static/")
}

/// Whether the request comes from a program rather than a browser: it
/// carries a token in any of the forms of SPEC §3 (well-formed or not), or
/// asks for JSON before HTML.
pub fn is_api_caller(req: &HttpRequest) -> bool {
    let headers = req.headers();
    headers.contains_key(header::AUTHORIZATION)
        || headers.contains_key(crate::auth::check::API_KEY)
        || req
            .query_string()
            .split('&')
            .any(|pair| pair.split('=').next() == Some("api_token"))
        || headers
            .get_all(header::ACCEPT)
            .filter_map(|v| v.to_str().ok())
            .any(prefers_json)
}

/// Whether an `Accept` header ranks JSON above HTML. Each of the two gets
/// the weight of the most specific range that matches it (RFC 9110
/// §12.5.1); `application/*+json` types count as JSON. A tie (no header,
/// `*/*`) is not a preference.
pub fn prefers_json(accept: &str) -> bool {
    weight(accept, "application", "json") > weight(accept, "text", "html")
}

fn weight(accept: &str, ty: &str, subtype: &str) -> f32 {
    let mut best: Option<(u8, f32)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let Some((t, s)) = parts.next().and_then(|m| m.trim().split_once('/')) else {
            continue;
        };
        let specificity = if t.eq_ignore_ascii_case(ty)
            && (s.eq_ignore_ascii_case(subtype)
                || (subtype == "json" && s.to_ascii_lowercase().ends_with("+json")))
        {
            2
        } else if t.eq_ignore_ascii_case(ty) && s == "*" {
            1
        } else if t == "*" && s == "*" {
            0
        } else {
            continue;
        };
        let q = parts
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("q"))
            .and_then(|(_, v)| v.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if best.is_none_or(|(b, _)| specificity > b) {
            best = Some((specificity, q));
        }
    }
    best.map_or(0.0, |(_, q)| q)
}

pub async fn html_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let page = is_page(req.path());
    let res = next.call(req).await?;
    if !page {
        return Ok(res.map_into_left_body());
    }
    let replacement = match res
        .response()
        .error()
        .and_then(|e| e.as_error::<AppError>())
    {
        // No page answers here: what the caller can read.
        Some(AppError::NotFound | AppError::MethodNotAllowed) if is_api_caller(res.request()) => {
            None
        }
        Some(AppError::Unauthenticated) => Some(see_other("/login")),
        Some(AppError::PasswordChangeRequired) => Some(see_other(CHANGE_PASSWORD)),
        Some(err) => Some(error_page(err, browser_language(res.request()))),
        None => None,
    };
    match replacement {
        Some(resp) => {
            let (req, _) = res.into_parts();
            Ok(ServiceResponse::new(req, resp).map_into_right_body())
        }
        None => Ok(res.map_into_left_body()),
    }
}

/// An error's message as a sentence for a page: capitalised, with its
/// full stop (the JSON `message` stays as it is).
fn sentence(message: &str) -> String {
    let mut chars = message.trim().chars();
    let Some(first) = chars.next() else {
        return String::new();
    };
    let mut out: String = first.to_uppercase().chain(chars).collect();
    if !out.ends_with(['.', '!', '?', ')']) {
        out.push('.');
    }
    out
}

/// The error page in `lang`: its heading and its message (in English, as
/// the JSON error words it, when the catalogues do not know the message).
fn error_page(err: &AppError, lang: &'static str) -> HttpResponse {
    let tr = Tr(lang);
    let status = err.status_code();
    let heading = tr.t(match status {
        StatusCode::NOT_FOUND => "err-not-found",
        StatusCode::FORBIDDEN => "err-forbidden",
        StatusCode::TOO_MANY_REQUESTS => "err-too-many",
        StatusCode::SERVICE_UNAVAILABLE => "err-unavailable",
        s if s.is_client_error() => "err-client",
        _ => "err-server",
    });
    let message = match err {
        AppError::Internal(_) => tr.t("err-internal"),
        other => {
            let english = other.to_string();
            sentence(&field_message(tr, &english).unwrap_or(english))
        }
    };
    let mut resp = message_page(status, &heading, message, "/profile", lang);
    // Keep the headers that tell a client what to do next.
    let original = err.error_response();
    for name in [header::RETRY_AFTER] {
        if let Some(v) = original.headers().get(&name) {
            resp.headers_mut().insert(name.clone(), v.clone());
        }
    }
    resp
}

/// An error page: its status, heading and message, and where its one
/// button leads (Account Preferences, or the sign-in page when signing in
/// failed).
pub fn message_page(
    status: StatusCode,
    heading: &str,
    message: String,
    back: &'static str,
    lang: &'static str,
) -> HttpResponse {
    let page = ErrorPage {
        ctx: PageCtx {
            title: heading.to_owned(),
            csrf_token: String::new(),
            user: None,
            flash: None,
            section: "error",
            zone: crate::preferences::Zone::utc(),
            lang,
        },
        status: status.as_u16(),
        heading: heading.to_owned(),
        message,
        back,
    };
    html(status, &page).unwrap_or_else(|e| e.error_response())
}

#[cfg(test)]
mod tests {
    use super::{prefers_json, sentence};

    #[test]
    fn error_pages_speak_in_sentences() {
        assert_eq!(sentence("not found"), "Not found.");
        assert_eq!(sentence("choose a time (UTC)."), "Choose a time (UTC).");
        assert_eq!(sentence(""), "");
    }

    #[test]
    fn accept_decides_only_when_it_ranks_json_first() {
        for accept in [
            "application/json",
            "application/json, text/plain;q=0.5",
            "text/html;q=0.5, application/json",
            "application/problem+json",
            "application/*",
            "text/html;q=0, */*",
        ] {
            assert!(prefers_json(accept), "{accept}");
        }
        for accept in [
            "",
            "*/*",
            "text/html",
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "application/json, text/html",
            "application/json;q=0.5, text/*",
            "application/json;q=0",
            "garbage",
        ] {
            assert!(!prefers_json(accept), "{accept}");
        }
    }
}
