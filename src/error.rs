//! One error type for every handler.
//!
//! Each variant maps to one status code and a stable machine-readable
//! `code`; the JSON body is `{"error": {"code", "message", "field"}}`. An
//! internal cause (a database error, a failed task) is logged, never sent:
//! the client only learns that something went wrong on our side. HTML
//! requests get the same status with an error page instead (see
//! `startup::html_errors`).

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::auth::restrict::RateStatus;
use crate::tokens::Scope;

#[derive(Debug, Clone, thiserror::Error)]
pub enum AppError {
    /// 400: input that cannot be accepted, naming the field at fault.
    #[error("{message}")]
    Invalid { field: String, message: String },
    /// 401: no credentials, or credentials that do not identify anyone now.
    /// Deliberately silent about which.
    #[error("authentication required: send a valid API token or sign in")]
    Unauthenticated,
    /// 403: a valid token without the scope this call needs.
    #[error("this call needs the {0} scope")]
    MissingScope(Scope),
    /// 403: anything else that is not allowed (naming the field, if any).
    #[error("{message}")]
    Forbidden {
        field: Option<String>,
        message: String,
    },
    /// 403: a token used from outside its IP allowlist.
    #[error("this token may not be used from this address")]
    IpNotAllowed,
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("{0}")]
    Conflict(String),
    /// 409 for a value of one field that is already taken (a name).
    #[error("{message}")]
    Taken { field: String, message: String },
    #[error("request body too large (the limit is 16 KiB)")]
    PayloadTooLarge,
    #[error("request body must be JSON (Content-Type: application/json)")]
    UnsupportedMediaType,
    #[error("too many attempts; try again in {retry_after} seconds")]
    TooManyRequests { retry_after: u64 },
    /// 429: the token's own rate limit is spent.
    #[error("this token's rate limit is spent; try again in {}s", .0.retry_after)]
    RateLimited(RateStatus),
    #[error("the database is unavailable; try again shortly")]
    Unavailable,
    /// 403: an admin reset this account's password; the pages lead to the
    /// change-password form until a new one is chosen.
    #[error("an admin reset this account's password: choose a new one at /profile/password first")]
    PasswordChangeRequired,
    #[error("internal error")]
    Internal(String),
}

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.to_owned(),
            message: message.into(),
        }
    }

    pub fn taken(field: &str, message: impl Into<String>) -> Self {
        Self::Taken {
            field: field.to_owned(),
            message: message.into(),
        }
    }

    pub fn forbidden(field: Option<&str>, message: impl Into<String>) -> Self {
        Self::Forbidden {
            field: field.map(str::to_owned),
            message: message.into(),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::Invalid { .. } => "invalid_input",
            AppError::Unauthenticated => "unauthenticated",
            AppError::MissingScope(_) => "insufficient_scope",
            AppError::Forbidden { .. } | AppError::PasswordChangeRequired => "forbidden",
            AppError::IpNotAllowed => "ip_not_allowed",
            AppError::NotFound => "not_found",
            AppError::MethodNotAllowed => "method_not_allowed",
            AppError::Conflict(_) | AppError::Taken { .. } => "conflict",
            AppError::PayloadTooLarge => "payload_too_large",
            AppError::UnsupportedMediaType => "unsupported_media_type",
            AppError::TooManyRequests { .. } | AppError::RateLimited(_) => "rate_limited",
            AppError::Unavailable => "unavailable",
            AppError::Internal(_) => "internal",
        }
    }

    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::Invalid { field, .. } => Some(field),
            AppError::Forbidden { field, .. } => field.as_deref(),
            AppError::Taken { field, .. } => Some(field),
            AppError::MissingScope(_) => Some("scopes"),
            _ => None,
        }
    }
}

/// Every error's JSON body (also its schema in `/openapi.json`).
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail<'a> {
    /// Stable and machine-readable, e.g. `invalid_input`, `not_found`.
    #[schema(value_type = String, example = "invalid_input")]
    code: &'a str,
    /// For people; may change.
    message: String,
    /// The input at fault, if any.
    #[schema(value_type = Option<String>, example = "label")]
    field: Option<&'a str>,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::Invalid { .. } => StatusCode::BAD_REQUEST,
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::MissingScope(_)
            | AppError::Forbidden { .. }
            | AppError::IpNotAllowed
            | AppError::PasswordChangeRequired => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Conflict(_) | AppError::Taken { .. } => StatusCode::CONFLICT,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::TooManyRequests { .. } | AppError::RateLimited(_) => {
                StatusCode::TOO_MANY_REQUESTS
            }
            AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let AppError::Internal(cause) = self {
            tracing::error!(%cause, "request failed");
        }
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        match self {
            AppError::Unauthenticated => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"tessera\""));
            }
            AppError::MissingScope(scope) => {
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    format!(
                        "Bearer realm=\"tessera\", error=\"insufficient_scope\", scope=\"{scope}\""
                    ),
                ));
            }
            AppError::TooManyRequests { retry_after } => {
                response.insert_header((header::RETRY_AFTER, retry_after.to_string()));
            }
            AppError::RateLimited(status) => {
                response.insert_header((header::RETRY_AFTER, status.retry_after.to_string()));
                for (name, value) in status.headers() {
                    response.insert_header((name, value));
                }
            }
            AppError::Unavailable => {
                response.insert_header((header::RETRY_AFTER, "5"));
            }
            _ => {}
        }
        response.json(ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.to_string(),
                field: self.field(),
            },
        })
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => AppError::NotFound,
            Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                info,
            ) => {
                tracing::warn!(error = %info.message(), "database connection lost");
                AppError::Unavailable
            }
            // Two requests raced for the same unique value; the loser
            // learns it conflicts, as it would have a moment later.
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                AppError::Conflict("that already exists".into())
            }
            // SQLite's "database is locked" after the busy timeout.
            Error::DatabaseError(_, info) if info.message().contains("database is locked") => {
                tracing::warn!("database busy");
                AppError::Unavailable
            }
            other => AppError::Internal(format!("database error: {other}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_its_status() {
        let cases = [
            (AppError::invalid("label", "x"), 400),
            (AppError::Unauthenticated, 401),
            (AppError::MissingScope(Scope::TokensRead), 403),
            (AppError::forbidden(None, "no"), 403),
            (AppError::NotFound, 404),
            (AppError::MethodNotAllowed, 405),
            (AppError::Conflict("x".into()), 409),
            (AppError::PayloadTooLarge, 413),
            (AppError::UnsupportedMediaType, 415),
            (AppError::TooManyRequests { retry_after: 3 }, 429),
            (AppError::IpNotAllowed, 403),
            (AppError::RateLimited(RateStatus::default()), 429),
            (AppError::Unavailable, 503),
            (AppError::Internal("boom".into()), 500),
        ];
        for (err, status) in cases {
            assert_eq!(err.status_code().as_u16(), status, "{err:?}");
            assert_eq!(err.error_response().status().as_u16(), status);
        }
    }

    #[test]
    fn internal_cause_is_not_in_the_message() {
        let err = AppError::Internal("password=hunter2 in query".into());
        assert!(!err.to_string().contains("hunter2"));
    }

    #[test]
    fn unauthenticated_says_bearer_and_nothing_more() {
        let resp = AppError::Unauthenticated.error_response();
        let www = resp.headers().get(header::WWW_AUTHENTICATE).unwrap();
        assert!(www.to_str().unwrap().starts_with("Bearer"));
        assert_eq!(
            AppError::MissingScope(Scope::AdminRead).field(),
            Some("scopes")
        );
        assert!(
            AppError::MissingScope(Scope::AdminRead)
                .to_string()
                .contains("admin:read")
        );
    }
}
