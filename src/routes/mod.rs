//! HTTP handlers, one file per area. Handlers extract, call `actions::` or
//! `db::`, and render; the route table is `startup::configure`.

pub mod health;
pub mod profile;
pub mod tokens;

use actix_web::HttpResponse;
use actix_web::http::header;
use serde::Serialize;

/// A JSON answer that must not be stored by any cache (it shows a secret).
pub fn no_store_json<T: Serialize>(status: actix_web::http::StatusCode, body: &T) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body)
}
