//! `/openapi.json` against the route table: the same JSON paths, each with
//! the same methods, in both directions.
//!
//! The route table's paths are read from `startup.rs`, where every route is
//! a `resource("...")`; which methods each one takes is asked of the
//! running server, whose resources answer 405 for any other method.

use std::collections::{BTreeMap, BTreeSet};

use reqwest::Method;
use serde_json::Value;

use crate::helpers::{TestApp, find, json_body};

const STARTUP_RS: &str = include_str!("../../src/startup.rs");
const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

type Table = BTreeMap<String, BTreeSet<String>>;

/// `{name:a|b}` becomes `{name}` (the document lists the choices as an
/// enum); the choices are returned for probing. A pattern that is no list
/// of words (the token id's `[1-9][0-9]*`) is probed with `1`.
fn normalise(pattern: &str) -> (String, Vec<(String, String)>) {
    let mut path = String::new();
    let mut samples = Vec::new();
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        path.push_str(&rest[..open]);
        let close = rest[open..].find('}').unwrap() + open;
        let inner = &rest[open + 1..close];
        let (name, sample) = match inner.split_once(':') {
            Some((name, choices))
                if choices.chars().all(|c| c.is_ascii_lowercase() || c == '|') =>
            {
                (name, choices.split('|').next().unwrap().to_owned())
            }
            Some((name, _)) => (name, "1".to_owned()),
            None if inner == "account_id" => (inner, "acc_000000000000".to_owned()),
            None => (inner, "1".to_owned()),
        };
        path.push_str(&format!("{{{name}}}"));
        samples.push((name.to_owned(), sample));
        rest = &rest[close + 1..];
    }
    path.push_str(rest);
    (path, samples)
}

/// The route table's JSON resources: `.json` paths, the health check and
/// the proxies' gate.
fn json_resources() -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = STARTUP_RS;
    while let Some(at) = rest.find("resource(\"") {
        rest = &rest[at + "resource(\"".len()..];
        let end = rest.find('"').unwrap();
        let pattern = &rest[..end];
        if pattern.ends_with(".json") || ["/healthz", "/auth"].contains(&pattern) {
            found.push(pattern.to_owned());
        }
    }
    found
}

async fn route_table(app: &TestApp) -> Table {
    let mut table = Table::new();
    for pattern in json_resources() {
        let (path, samples) = normalise(&pattern);
        let mut url = path.clone();
        for (name, sample) in &samples {
            url = url.replace(&format!("{{{name}}}"), sample);
        }
        let mut methods = BTreeSet::new();
        let mut allow = BTreeSet::new();
        for method in METHODS {
            let resp = app
                .api
                .request(
                    Method::from_bytes(method.as_bytes()).unwrap(),
                    app.url(&url),
                )
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            assert_ne!(status, 404, "{method} {url}: the pattern matched nothing");
            if status == 405 {
                let header = resp.headers().get("allow");
                let header = header.unwrap_or_else(|| panic!("{method} {url}: 405 without Allow"));
                allow.extend(header.to_str().unwrap().split(", ").map(str::to_owned));
            } else {
                methods.insert(method.to_owned());
            }
        }
        assert!(!methods.is_empty(), "{pattern} takes no method");
        if !allow.is_empty() {
            let mut expected = methods.clone();
            if expected.contains("GET") {
                expected.insert("HEAD".to_owned());
            }
            assert_eq!(allow, expected, "Allow of {url}");
        }
        assert!(
            table.insert(path.clone(), methods).is_none(),
            "{path} is listed twice"
        );
    }
    table
}

fn documented(doc: &Value) -> Table {
    doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(path, item)| {
            let methods = METHODS
                .iter()
                .filter(|m| item.get(m.to_lowercase()).is_some())
                .map(|m| m.to_string())
                .collect();
            (path.clone(), methods)
        })
        .collect()
}

#[tokio::test]
async fn the_document_lists_exactly_the_json_routes() {
    let app = TestApp::spawn().await;
    let resp = app.api.get(app.url("/openapi.json")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let doc = json_body(resp).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(doc, tessera::startup::api_document());

    let table = route_table(&app).await;
    assert!(table.len() >= 14, "found only {table:?}");
    assert!(table.contains_key("/admin/users/{account_id}/{action}.json"));
    assert_eq!(documented(&doc), table);
}

#[tokio::test]
async fn the_documented_choices_are_the_routes_choices() {
    // `{action}` is an enum in the document and an alternation in the
    // route table: the same words.
    let doc = tessera::startup::api_document();
    for pattern in json_resources() {
        let Some(start) = pattern.find("{action:") else {
            continue;
        };
        let end = pattern[start..].find('}').unwrap() + start;
        let choices: BTreeSet<&str> = pattern[start + "{action:".len()..end].split('|').collect();
        let (path, _) = normalise(&pattern);
        let op = doc["paths"][&path]
            .as_object()
            .and_then(|item| item.values().next())
            .unwrap_or_else(|| panic!("{path} is not documented"));
        let param = find(&op["parameters"], "name", "action");
        let schema = match param["schema"].get("$ref") {
            Some(r) => {
                let name = r.as_str().unwrap().rsplit('/').next().unwrap();
                doc["components"]["schemas"][name].clone()
            }
            None => param["schema"].clone(),
        };
        let documented: BTreeSet<&str> = schema["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(documented, choices, "{path}");
    }
}
