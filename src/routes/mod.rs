//! HTTP handlers, one file per area. Handlers extract, call `actions::` or
//! `db::`, and render; the route table is `startup::ENDPOINTS`.

pub mod account;
pub mod admin;
pub mod assets;
pub mod auth;
pub mod errors;
pub mod forward_auth;
pub mod health;
pub mod introspect;
pub mod kept;
pub mod lifecycle;
pub mod metrics;
pub mod oidc;
pub mod openapi;
pub mod preferences;
pub mod profile;
pub mod token_page;
pub mod tokens;

use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::web::{self, Bytes};
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use askama::Template;
use futures_util::future::{Ready, ready};
use serde::Serialize;

use crate::error::AppError;
use crate::state::AppState;

/// A JSON answer, or the error that replaces it.
pub type JsonResult<T> = Result<web::Json<T>, AppError>;

/// What a handler works with besides its guard and its input: the request,
/// its session and the application.
pub struct Ctx {
    pub req: HttpRequest,
    pub session: Session,
    pub state: web::Data<AppState>,
}

impl FromRequest for Ctx {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.app_data::<web::Data<AppState>>()
                .cloned()
                .map(|state| Ctx {
                    req: req.clone(),
                    session: req.get_session(),
                    state,
                })
                .ok_or_else(|| AppError::Internal("no application state".into())),
        )
    }
}

/// Renders a page. Every page carries a CSRF token and some show secrets,
/// so none is stored by a cache.
pub fn html(status: StatusCode, page: &impl Template) -> Result<HttpResponse, AppError> {
    Ok(html_response(status, render(page)?))
}

/// A page, rendered (escaped as its template says).
pub fn render<T: Template>(page: &T) -> Result<Bytes, AppError> {
    // askama's hint is a guess from the template's text alone; a page with
    // a long table would grow through many copies. Start large enough.
    let mut body = String::with_capacity(T::SIZE_HINT.max(16 * 1024));
    page.render_into(&mut body)
        .map_err(|e| AppError::Internal(format!("template: {e}")))?;
    Ok(Bytes::from(body))
}

pub fn html_response(status: StatusCode, body: Bytes) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

/// 303 See Other: where a form post goes next.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// A JSON answer that must not be stored by any cache (it shows a secret).
pub fn no_store_json<T: Serialize>(status: actix_web::http::StatusCode, body: &T) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body)
}
