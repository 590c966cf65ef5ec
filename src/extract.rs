//! `JsonBody<T>`: the one way JSON bodies come in. It enforces the content
//! type (415), the 16 KiB limit (413), and turns a parse failure into a 400
//! that names the field at fault, found with `serde_path_to_error`.

use actix_web::HttpRequest;
use actix_web::dev::Payload;
use actix_web::http::header;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use crate::error::AppError;

pub const BODY_LIMIT: usize = 16 * 1024;

pub struct JsonBody<T>(pub T);

fn is_json(req: &HttpRequest) -> bool {
    let Some(value) = req.headers().get(header::CONTENT_TYPE) else {
        return false;
    };
    let Ok(value) = value.to_str() else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
        || (essence.len() > 5
            && essence.to_ascii_lowercase().starts_with("application/")
            && essence.to_ascii_lowercase().ends_with("+json"))
}

/// Reads the body up to [`BODY_LIMIT`], refusing early on a declared length
/// over it.
pub async fn read_limited(req: &HttpRequest, payload: &mut Payload) -> Result<Vec<u8>, AppError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > BODY_LIMIT as u64) {
        return Err(AppError::PayloadTooLarge);
    }
    let mut body = Vec::with_capacity(declared.unwrap_or(0) as usize);
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|_| AppError::invalid("body", "the request body could not be read"))?;
        if body.len() + chunk.len() > BODY_LIMIT {
            return Err(AppError::PayloadTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let field = match path.split(['.', '[']).next() {
            Some(first) if !first.is_empty() && first != "?" => first.to_owned(),
            _ => "body".to_owned(),
        };
        AppError::invalid(&field, format!("invalid JSON: {inner}"))
    })?;
    de.end()
        .map_err(|e| AppError::invalid("body", format!("invalid JSON: {e}")))?;
    Ok(value)
}

/// Reads a body of the right type (else 415) within the limit and makes a
/// `T` of it.
async fn read_as<T>(
    req: &HttpRequest,
    payload: &mut Payload,
    is_type: fn(&HttpRequest) -> bool,
    make: impl FnOnce(Vec<u8>) -> Result<T, AppError>,
) -> Result<T, AppError> {
    if !is_type(req) {
        return Err(AppError::UnsupportedMediaType);
    }
    make(read_limited(req, payload).await?)
}

/// `FromRequest` for an extractor made by its own
/// `async fn read(&HttpRequest, &mut Payload) -> Result<Self, AppError>`.
macro_rules! from_read {
    ([$($generics:tt)*] $extractor:ty) => {
        impl<$($generics)*> actix_web::FromRequest for $extractor {
            type Error = $crate::error::AppError;
            type Future = futures_util::future::LocalBoxFuture<'static, Result<Self, Self::Error>>;

            fn from_request(
                req: &actix_web::HttpRequest,
                payload: &mut actix_web::dev::Payload,
            ) -> Self::Future {
                let (req, mut payload) = (req.clone(), payload.take());
                Box::pin(async move { Self::read(&req, &mut payload).await })
            }
        }
    };
}
pub(crate) use from_read;

impl<T: DeserializeOwned> JsonBody<T> {
    pub async fn read(req: &HttpRequest, payload: &mut Payload) -> Result<Self, AppError> {
        read_as(req, payload, is_json, |body| {
            parse_json(&body).map(JsonBody)
        })
        .await
    }
}

from_read!([T: DeserializeOwned + 'static] JsonBody<T>);

/// An HTML form post (`application/x-www-form-urlencoded`), kept as its
/// pairs so that repeated fields (the `scopes` checkboxes) survive.
pub struct FormBody(pub Vec<(String, String)>);

impl FormBody {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

fn is_form(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

impl FormBody {
    /// Reads the form. Pages take it through `auth::guards::CsrfForm`,
    /// which checks the sender first; only the sign-in and sign-out forms,
    /// which have their own checks, take it bare.
    pub async fn read(req: &HttpRequest, payload: &mut Payload) -> Result<Self, AppError> {
        read_as(req, payload, is_form, |body| {
            Ok(FormBody(
                form_urlencoded::parse(&body).into_owned().collect(),
            ))
        })
        .await
    }
}

from_read!([] FormBody);

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Req {
        label: Option<String>,
        expires_in_hours: Option<i64>,
        scopes: Option<Vec<String>>,
    }

    fn field_of(body: &str) -> String {
        parse_json::<Req>(body.as_bytes())
            .unwrap_err()
            .field()
            .unwrap()
            .to_owned()
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(field_of(r#"{"label": 5}"#), "label");
        assert_eq!(
            field_of(r#"{"expires_in_hours": 1e400}"#),
            "expires_in_hours"
        );
        assert_eq!(
            field_of(r#"{"expires_in_hours": 99999999999999999999}"#),
            "expires_in_hours"
        );
        assert_eq!(field_of(r#"{"scopes": ["a", 1]}"#), "scopes");
        assert_eq!(field_of(r#"[1,2]"#), "body");
        assert_eq!(field_of(r#"{"label": "x"} trailing"#), "body");
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(field_of(&format!(r#"{{"label": {deep}}}"#)), "label");
    }
}
