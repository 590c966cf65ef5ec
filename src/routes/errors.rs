//! Errors for people: on HTML pages an [`AppError`] becomes an error page
//! with the same status (or, for "not signed in", a redirect to /login).
//! JSON URLs keep the JSON body that `AppError` renders itself.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, ResponseError};

use crate::error::AppError;
use crate::routes::{html, see_other};
use crate::views::auth::ErrorPage;
use crate::views::page::PageCtx;

/// Whether a path answers people (HTML) rather than programs (JSON).
pub fn is_page(path: &str) -> bool {
    !(path.ends_with(".json") || path == "/healthz" || path.starts_with("/static/"))
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
        Some(AppError::Unauthenticated) => Some(see_other("/login")),
        Some(err) => Some(error_page(err)),
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

fn error_page(err: &AppError) -> HttpResponse {
    let status = err.status_code();
    let heading = match status {
        StatusCode::NOT_FOUND => "Page not found",
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::TOO_MANY_REQUESTS => "Too many requests",
        StatusCode::SERVICE_UNAVAILABLE => "Temporarily unavailable",
        s if s.is_client_error() => "That did not work",
        _ => "Something went wrong",
    };
    let message = match err {
        AppError::Internal(_) => {
            "An unexpected error occurred on our side. Please try again.".to_owned()
        }
        other => other.to_string(),
    };
    let page = ErrorPage {
        ctx: PageCtx {
            title: heading.to_owned(),
            csrf_token: String::new(),
            user: None,
            flash: None,
            section: "error",
        },
        status: status.as_u16(),
        heading: heading.to_owned(),
        message,
    };
    let mut resp = html(status, &page).unwrap_or_else(|e| e.error_response());
    // Keep the headers that tell a client what to do next.
    let original = err.error_response();
    for name in [header::RETRY_AFTER] {
        if let Some(v) = original.headers().get(&name) {
            resp.headers_mut().insert(name.clone(), v.clone());
        }
    }
    resp
}
