//! The stylesheet and script, compiled into the binary so that tessera is
//! one file to deploy. No inline script anywhere: the CSP forbids it.

use actix_web::HttpResponse;
use actix_web::http::header;

const APP_CSS: &str = include_str!("../../static/css/app.css");
const APP_JS: &str = include_str!("../../static/js/app.js");

fn asset(content_type: &str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(body)
}

pub async fn css() -> HttpResponse {
    asset("text/css; charset=utf-8", APP_CSS)
}

pub async fn js() -> HttpResponse {
    asset("text/javascript; charset=utf-8", APP_JS)
}
