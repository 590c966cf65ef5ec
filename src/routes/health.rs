use actix_web::{HttpResponse, web};
use diesel::connection::SimpleConnection;
use serde_json::json;

use crate::error::AppError;
use crate::state::AppState;

/// `GET /healthz`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // only describes the JSON in the OpenAPI document
pub struct Health {
    /// `ok` or `unavailable`.
    #[schema(example = "ok")]
    status: String,
    /// Present when the database does not answer.
    error: Option<crate::error::ErrorDetail<'static>>,
}

/// `GET /healthz`: 200 when the database answers, 503 when it does not.
#[utoipa::path(get, path = "/healthz", tag = "health",
    responses(
        (status = 200, body = Health, description = "the database answers"),
        (status = 503, body = Health, description = "the database does not answer"),
    ),
    security(()))]
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let result = state
        .db
        .run(|conn| Ok(conn.batch_execute("SELECT 1")?))
        .await;
    match result {
        Ok(()) => HttpResponse::Ok().json(json!({"status": "ok"})),
        Err(e) => {
            tracing::warn!(error = %e, "health check failed");
            HttpResponse::ServiceUnavailable().json(json!({
                "status": "unavailable",
                "error": {"code": AppError::Unavailable.code(), "message": AppError::Unavailable.to_string(), "field": null}
            }))
        }
    }
}
