//! The route table against what describes it: every JSON route of
//! `startup::ENDPOINTS` is in the served `/openapi.json` with its method,
//! and has a row in the authorization matrix (`authz_matrix::table`), so a
//! route cannot be added without saying who may call it.

use actix_web::dev::ResourceDef;
use serde_json::Value;
use tessera::routes::openapi::document_path;
use tessera::startup::ENDPOINTS;

use crate::helpers::TestApp;

/// `(method, route pattern)` of every JSON operation in the route table.
fn json_routes() -> Vec<(&'static str, &'static str)> {
    let routes: Vec<_> = ENDPOINTS
        .iter()
        .flat_map(|e| {
            e.ops
                .iter()
                .filter(|op| op.api.is_some())
                .map(|op| (op.verb.as_str(), e.path))
        })
        .collect();
    assert!(routes.len() >= 16, "only {routes:?}");
    routes
}

#[tokio::test]
async fn every_json_route_is_in_the_served_document() {
    let app = TestApp::spawn().await;
    let doc: Value = app
        .api
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let missing: Vec<String> = json_routes()
        .into_iter()
        .filter(|(method, pattern)| {
            doc["paths"][document_path(pattern)]
                .get(method.to_lowercase())
                .is_none()
        })
        .map(|(method, pattern)| format!("{method} {pattern}"))
        .collect();
    assert!(missing.is_empty(), "not in /openapi.json: {missing:?}");
}

/// The route a request for `path` reaches: the first whose pattern
/// matches, as actix routes. The matrix's placeholders (`{own}`, `{acc}`)
/// stand for ids, which the routes take as positive numbers.
fn route_of(path: &str) -> Option<&'static str> {
    let mut concrete = String::new();
    for (i, part) in path.split(['{', '}']).enumerate() {
        concrete.push_str(if i % 2 == 1 { "1" } else { part });
    }
    ENDPOINTS
        .iter()
        .map(|e| e.path)
        .find(|pattern| ResourceDef::new(*pattern).is_match(&concrete))
}

#[test]
fn every_json_route_has_a_row_in_the_authorization_matrix() {
    let rows: Vec<(String, &str)> = crate::authz_matrix::table()
        .iter()
        .filter_map(|row| Some((row.method.to_string(), route_of(row.path)?)))
        .collect();
    let missing: Vec<String> = json_routes()
        .into_iter()
        .filter(|(method, pattern)| !rows.iter().any(|(m, p)| m == method && p == pattern))
        .map(|(method, pattern)| format!("{method} {pattern}"))
        .collect();
    assert!(
        missing.is_empty(),
        "no row in tests/api/authz_matrix.rs: {missing:?}"
    );
}
