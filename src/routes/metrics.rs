//! `GET /metrics` (SPEC §12): the Prometheus text format (`crate::metrics`).

use actix_web::{FromRequest, HttpRequest, HttpResponse, web};

use crate::auth::{Need, scope};
use crate::error::AppError;
use crate::metrics;
use crate::state::AppState;

/// On the main listener: for a token (or an admin's session) with
/// `metrics:read`. Not there at all when `TESSERA_METRICS_BIND` gives it a
/// listener of its own.
pub async fn metrics(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    if state.config.metrics_bind.is_some() {
        return Err(AppError::NotFound);
    }
    Need::<scope::MetricsRead>::extract(&req).await?;
    Ok(exposition(&state))
}

/// On the `TESSERA_METRICS_BIND` listener: to whoever reaches it.
pub async fn open_metrics(state: web::Data<AppState>) -> HttpResponse {
    exposition(&state)
}

fn exposition(state: &AppState) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(metrics::CONTENT_TYPE)
        .insert_header(("Cache-Control", "no-store"))
        .body(metrics::render(&state.db))
}
