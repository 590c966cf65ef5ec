//! Every request's id (SPEC §12): taken from a sane `X-Request-Id`, else
//! made; sent back, and in that request's log lines.

use std::process::Stdio;

use reqwest::Method;
use serde_json::Value;

use crate::helpers::{Served, TestApp, TestDb};

fn id_of(resp: &reqwest::Response) -> String {
    resp.headers()["x-request-id"].to_str().unwrap().to_owned()
}

fn is_made(id: &str) -> bool {
    id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

#[tokio::test]
async fn a_sane_id_is_kept_and_any_other_replaced() {
    let (app, _, token) = TestApp::with_token(&["profile:read"]).await;
    let long = "x".repeat(200);
    for (path, token) in [
        ("/profile.json", Some(token.as_str())),
        ("/profile.json", None),
        ("/no/such/page", None),
        ("/login", None),
    ] {
        let given = app
            .request(Method::GET, path, token)
            .header("X-Request-Id", "ticket-4711/a.b")
            .send()
            .await
            .unwrap();
        assert_eq!(id_of(&given), "ticket-4711/a.b", "{path}");
        let long_kept = app.request(Method::GET, path, token);
        let long_kept = long_kept
            .header("X-Request-Id", &long)
            .send()
            .await
            .unwrap();
        assert_eq!(id_of(&long_kept), long, "{path}");

        let mut made = Vec::new();
        for bad in [None, Some("two words"), Some(""), Some(&*"y".repeat(201))] {
            let mut req = app.request(Method::GET, path, token);
            if let Some(bad) = bad {
                req = req.header("X-Request-Id", bad);
            }
            let id = id_of(&req.send().await.unwrap());
            assert!(is_made(&id), "{path} {bad:?}: {id}");
            made.push(id);
        }
        made.sort();
        made.dedup();
        assert_eq!(made.len(), 4, "each request its own id");
    }
}

#[tokio::test]
async fn the_json_log_carries_the_request_id_on_the_requests_lines() {
    let db = TestDb::new();
    let server = Served::start(&db, |cmd| {
        cmd.env("TESSERA_LOG", "info")
            .env("TESSERA_LOG_FORMAT", "json")
            .stderr(Stdio::piped());
    });
    let client = reqwest::Client::new();
    for (id, path) in [("first-call", "/healthz"), ("second-call", "/profile.json")] {
        let resp = client
            .get(format!("{}{path}", server.base))
            .header("X-Request-Id", id)
            .send()
            .await
            .unwrap();
        assert_eq!(id_of(&resp), id);
    }
    let made = id_of(
        &client
            .get(format!("{}/login", server.base))
            .send()
            .await
            .unwrap(),
    );
    let log = server.stop();
    let entries: Vec<Value> = log
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect();
    let access: Vec<&Value> = entries
        .iter()
        .filter(|e| e["target"] == "tessera::access")
        .collect();
    assert_eq!(access.len(), 3, "{log}");
    for (entry, (id, request, status)) in access.iter().zip([
        ("first-call", "GET /healthz", 200),
        ("second-call", "GET /profile.json", 401),
        (made.as_str(), "GET /login", 200),
    ]) {
        assert_eq!(entry["span"]["id"], id, "{entry}");
        assert_eq!(entry["fields"]["request"], request, "{entry}");
        assert_eq!(entry["fields"]["status"], status, "{entry}");
        assert_eq!(entry["level"], "INFO");
    }
    // Lines written outside any request (start-up) carry no id.
    assert!(entries.iter().any(|e| e.get("span").is_none()), "{log}");
}
