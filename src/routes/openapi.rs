//! `GET /openapi.json`: the OpenAPI 3.1 description of every JSON endpoint,
//! generated from the handlers' `#[utoipa::path]` attributes and the view
//! structs' `ToSchema` derives, so it describes what the code does.
//! `tests/api/openapi.rs` checks its paths and methods against the route
//! table in `startup::configure`.
//!
//! The attributes state only what is particular to an endpoint: its success
//! answers, the scope it needs (written as `security(("tokens:read" = []))`)
//! and the errors only it gives (409). [`document`] then adds what every
//! endpoint shares: the ways to present a token, and the errors that follow
//! from the endpoint's shape (a body can be too large, a path id missing).

use std::collections::HashMap;
use std::sync::OnceLock;

use actix_web::HttpResponse;
use actix_web::http::header;
use serde_json::{Value, json};
use utoipa::{OpenApi, ToSchema};

use crate::routes::admin;
use crate::routes::{health, profile, tokens};
use crate::startup::SESSION_COOKIE;

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
    paths(
        health::healthz,
        openapi_json,
        profile::profile_json,
        tokens::list,
        tokens::create,
        tokens::delete,
        tokens::deactivate,
        tokens::activate,
        admin::users::list_json,
        admin::users::create_json,
        admin::users::show_json,
        admin::users::role_json,
        admin::users::activation_json,
        admin::tokens::list_json,
        admin::tokens::delete_json,
        admin::tokens::activation_json,
        admin::audit::list_json,
    ),
    // Bodies bring their schemas along; those used only by parameters are
    // named here.
    components(schemas(
        crate::error::ErrorBody,
        crate::views::tokens::TokenStatusName,
        Activation,
    )),
    tags(
        (name = "profile", description = "The caller's account"),
        (name = "tokens", description = "The caller's tokens"),
        (name = "admin", description = "Every account and token, and the audit log"),
        (name = "health"),
    )
)]
struct ApiDoc;

/// The `{action}` of the admins' activation URLs.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)] // only describes the strings in the OpenAPI document
pub enum Activation {
    Deactivate,
    Activate,
}

/// `GET /healthz`.
#[derive(ToSchema)]
#[allow(dead_code)] // only describes the JSON in the OpenAPI document
pub struct Health {
    /// `ok` or `unavailable`.
    #[schema(example = "ok")]
    status: String,
    /// Present when the database does not answer.
    error: Option<crate::error::ErrorDetail<'static>>,
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

fn error(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    })
}

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
        let mut alternatives = vec![
            json!({"bearer": [scope]}),
            json!({"api_key": [scope]}),
            json!({"session": [scope]}),
        ];
        if method == "get" {
            alternatives.push(json!({"api_token": [scope]}));
        }
        op["security"] = Value::Array(alternatives);
        let needs = format!("Needs the `{scope}` scope.");
        op["description"] = match op["description"].as_str() {
            Some(d) if !d.is_empty() => Value::String(format!("{d}\n\n{needs}")),
            _ => Value::String(needs),
        };
    } else if let Some(op) = op.as_object_mut() {
        op.remove("security");
    }
}

/// The whole document, as served.
pub fn document() -> Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).expect("the document is JSON");
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

/// The `Allow` header for a resource of the route table (its pattern, as
/// actix matched it), if it is a JSON endpoint: the methods the document
/// lists, and HEAD wherever GET is.
pub fn allowed_methods(pattern: &str) -> Option<&'static str> {
    static ALLOW: OnceLock<HashMap<String, &'static str>> = OnceLock::new();
    let table = ALLOW.get_or_init(|| {
        let doc = document();
        let Some(paths) = doc["paths"].as_object() else {
            return HashMap::new();
        };
        paths
            .iter()
            .map(|(path, item)| {
                let mut methods: Vec<String> = METHODS
                    .iter()
                    .filter(|m| item.get(**m).is_some())
                    .map(|m| m.to_uppercase())
                    .collect();
                if item.get("get").is_some() {
                    methods.insert(1, "HEAD".to_owned());
                }
                let allow: &'static str = Box::leak(methods.join(", ").into_boxed_str());
                (path.clone(), allow)
            })
            .collect()
    });
    table.get(&document_path(pattern)).copied()
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

/// `GET /openapi.json`.
#[utoipa::path(get, path = "/openapi.json", tag = "health",
    responses((status = 200, description = "this document", body = Object)),
    security(()))]
pub async fn openapi_json() -> HttpResponse {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    let body = DOCUMENT.get_or_init(|| document().to_string());
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(body.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_audit_events_are_the_recorded_ones() {
        let doc = document();
        let params = doc["paths"]["/admin/audit.json"]["get"]["parameters"]
            .as_array()
            .unwrap();
        let event = params.iter().find(|p| p["name"] == "event").unwrap();
        let pattern = event["schema"]["pattern"].as_str().unwrap();
        let inner = &pattern[pattern.find('(').unwrap() + 1..pattern.find(")?").unwrap()];
        let documented: Vec<String> = inner.split('|').map(|e| e.replace("\\.", ".")).collect();
        let recorded: Vec<&str> = crate::db::models::audit::Event::ALL
            .iter()
            .map(|e| e.as_str())
            .collect();
        assert_eq!(documented, recorded);
    }

    #[test]
    fn allow_lists_the_documented_methods() {
        assert_eq!(
            document_path("/admin/tokens/{id}/{action:deactivate|activate}.json"),
            "/admin/tokens/{id}/{action}.json"
        );
        assert_eq!(
            allowed_methods("/profile/tokens.json"),
            Some("GET, HEAD, POST")
        );
        assert_eq!(allowed_methods("/profile/tokens/{id}.json"), Some("DELETE"));
        assert_eq!(
            allowed_methods("/admin/users/{account_id}/{action:deactivate|activate}.json"),
            Some("POST")
        );
        assert_eq!(allowed_methods("/profile"), None);
    }

    #[test]
    fn every_operation_says_how_to_authenticate_and_how_it_fails() {
        let doc = document();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        let paths = doc["paths"].as_object().unwrap();
        assert!(paths.len() >= 15, "{}", paths.len());
        for (path, item) in paths {
            for method in METHODS {
                let Some(op) = item.get(method) else { continue };
                let responses = op["responses"].as_object().unwrap();
                assert!(responses.contains_key("503"), "{method} {path}");
                let public = path == "/healthz" || path == "/openapi.json";
                assert_eq!(op.get("security").is_none(), public, "{method} {path}");
                if !public {
                    assert!(responses.contains_key("401"), "{method} {path}");
                    assert!(
                        op["description"].as_str().unwrap().contains("scope"),
                        "{method} {path}"
                    );
                }
            }
        }
        // Every reference resolves.
        let text = doc.to_string();
        for reference in text.split("\"#/components/schemas/").skip(1) {
            let name = &reference[..reference.find('"').unwrap()];
            assert!(
                doc["components"]["schemas"].get(name).is_some(),
                "{name} is referred to but not defined"
            );
        }
        for schema in ["Token", "Error", "Account", "AuditEntry", "NewToken"] {
            assert!(
                doc["components"]["schemas"].get(schema).is_some(),
                "{schema}"
            );
        }
    }
}
