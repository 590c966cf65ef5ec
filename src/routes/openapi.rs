//! `GET /openapi.json`: the OpenAPI 3.1 description of every JSON endpoint,
//! generated from the handlers' `#[utoipa::path]` attributes and the view
//! structs' `ToSchema` derives, so it describes what the code does.
//! Its paths are the route table's JSON endpoints (`startup::ENDPOINTS`),
//! each described by its handler's `#[utoipa::path]`: a JSON route cannot
//! be added without its description, and the document lists nothing else.
//!
//! The attributes state only what is particular to an endpoint: its success
//! answers, the scope it needs (written as `security(("tokens:read" = []))`)
//! and the errors only it gives (409). [`document`] then adds what every
//! endpoint shares: the ways to present a token, and the errors that follow
//! from the endpoint's shape (a body can be too large, a path id missing).

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde_json::{Value, json};
use utoipa::OpenApi;
use utoipa::openapi::path::{HttpMethod, Operation};
use utoipa::openapi::{RefOr, schema::Schema};

use crate::auth::session::SESSION_COOKIE;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "tessera",
        description = "API tokens of tessera accounts, and their administration. \
            Every `.json` URL takes a token as `Authorization: Bearer tsr_...` \
            (or the `Token` and `apiToken` realms, or the bare token), as an \
            `API-KEY` header, or on GET as `?api_token=`. A browser session may \
            call them too, with `X-CSRF-Token` on requests that change state."
    ),
    // Bodies bring their schemas along; those used only by parameters are
    // named here.
    components(schemas(
        crate::error::ErrorBody,
        crate::views::tokens::TokenStatusName,
        crate::actions::Activation,
    )),
    tags(
        (name = "profile", description = "The caller's account"),
        (name = "tokens", description = "The caller's tokens"),
        (name = "admin", description = "Every account and token, and the audit log"),
        (name = "health"),
        (name = "forward-auth", description = "The gate reverse proxies ask before letting a request through"),
    )
)]
struct ApiDoc;

/// A handler's `#[utoipa::path]` description, kept by the route table
/// beside the handler it describes.
#[derive(Clone, Copy)]
pub struct ApiOp {
    /// The path and methods the attribute names, for checking them against
    /// the route's.
    pub path: fn() -> String,
    pub methods: fn() -> Vec<HttpMethod>,
    operation: fn() -> Operation,
    /// The schemas its bodies refer to.
    schemas: fn(&mut Vec<(String, RefOr<Schema>)>),
}

impl ApiOp {
    /// `P` is the type `#[utoipa::path]` makes for a handler `f`: `__path_f`.
    pub const fn of<P: utoipa::Path + utoipa::__dev::SchemaReferences>() -> Self {
        Self {
            path: P::path,
            methods: P::methods,
            operation: P::operation,
            schemas: P::schemas,
        }
    }
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

fn error(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    })
}

/// The security requirement of an operation whose scopes the caller names
/// (`GET /auth?scope=...`) rather than the route.
pub const ASKED_SCOPES: &str = "scope";

/// Adds what every operation shares to one operation.
fn complete(method: &str, op: &mut Value) {
    let scope = op["security"]
        .as_array()
        .and_then(|reqs| reqs.first())
        .and_then(Value::as_object)
        .and_then(|req| req.keys().next().cloned());
    let has_body = op.get("requestBody").is_some();
    let params = op["parameters"].as_array().cloned().unwrap_or_default();
    let in_path = params.iter().any(|p| p["in"] == "path");
    let in_query = params.iter().any(|p| p["in"] == "query");
    let Some(responses) = op["responses"].as_object_mut() else {
        return;
    };
    let mut add = |status: &str, description: &str| {
        responses
            .entry(status)
            .or_insert_with(|| error(description));
    };
    if has_body || in_query {
        add("400", "invalid input; `field` names it");
    }
    if has_body {
        add("413", "the body is over 16 KiB");
        add("415", "the body is not `application/json`");
    }
    if in_path {
        add("404", "no such thing, or not the caller's");
    }
    add(
        "503",
        "the database is unavailable; `Retry-After` says when to try again",
    );
    if let Some(scope) = &scope {
        add(
            "401",
            "no token, or one that is malformed, unknown, expired or deactivated",
        );
        add(
            "403",
            "the token lacks the scope, or a session sent no valid `X-CSRF-Token`",
        );
        let gate = scope == ASKED_SCOPES;
        let mut alternatives = vec![json!({"bearer": [scope]}), json!({"api_key": [scope]})];
        // The proxies' gate takes tokens only, and its own query holds
        // scopes, not a token (`routes::forward_auth`).
        if !gate {
            alternatives.push(json!({"session": [scope]}));
        }
        if method == "get" && !gate {
            alternatives.push(json!({"api_token": [scope]}));
        }
        op["security"] = Value::Array(alternatives);
        let needs = if gate {
            "Needs a token holding every scope named by `scope`; never a session.".to_owned()
        } else {
            format!("Needs the `{scope}` scope.")
        };
        op["description"] = match op["description"].as_str() {
            Some(d) if !d.is_empty() => Value::String(format!("{d}\n\n{needs}")),
            _ => Value::String(needs),
        };
    } else if let Some(op) = op.as_object_mut() {
        op.remove("security");
    }
}

/// The whole document, as served, for the JSON operations of the route
/// table: each one's route pattern, method and description.
pub fn document<'a>(ops: impl IntoIterator<Item = (&'a str, HttpMethod, ApiOp)>) -> Value {
    let mut api = ApiDoc::openapi();
    let mut schemas = Vec::new();
    for (pattern, method, op) in ops {
        api.paths
            .add_path_operation(document_path(pattern), vec![method], (op.operation)());
        (op.schemas)(&mut schemas);
    }
    api.components
        .get_or_insert_with(Default::default)
        .schemas
        .extend(schemas);
    let mut doc = serde_json::to_value(api).expect("the document is JSON");
    if let Some(paths) = doc["paths"].as_object_mut() {
        for item in paths.values_mut() {
            for method in METHODS {
                if let Some(op) = item.get_mut(method) {
                    complete(method, op);
                }
            }
        }
    }
    doc["components"]["securitySchemes"] = json!({
        "bearer": {"type": "http", "scheme": "bearer",
                   "description": "`Authorization: Bearer tsr_...`; `Token` and `apiToken` realms and the bare token work too"},
        "api_key": {"type": "apiKey", "in": "header", "name": "API-KEY"},
        "api_token": {"type": "apiKey", "in": "query", "name": "api_token",
                      "description": "GET only; can be switched off by the server's settings"},
        "session": {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE,
                    "description": "a browser session; requests that change state also need `X-CSRF-Token`"},
    });
    doc
}

/// `/admin/tokens/{id}/{action:deactivate|activate}.json` as the document
/// writes it: `/admin/tokens/{id}/{action}.json`.
pub fn document_path(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut skipping = false;
    for c in pattern.chars() {
        match c {
            '{' => out.push(c),
            ':' if out.rfind('{') > out.rfind('}') => skipping = true,
            '}' => {
                skipping = false;
                out.push(c);
            }
            _ if !skipping => out.push(c),
            _ => {}
        }
    }
    out
}

/// The document as served, made once from the route table at start-up.
pub struct Published(pub web::Bytes);

/// `GET /openapi.json`.
#[utoipa::path(get, path = "/openapi.json", tag = "health",
    responses((status = 200, description = "this document", body = Object)),
    security(()))]
pub async fn openapi_json(doc: web::Data<Published>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(doc.0.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_paths_drop_the_choices() {
        assert_eq!(
            document_path("/admin/tokens/{id}/{action:deactivate|activate}.json"),
            "/admin/tokens/{id}/{action}.json"
        );
        assert_eq!(document_path("/profile.json"), "/profile.json");
    }
}
