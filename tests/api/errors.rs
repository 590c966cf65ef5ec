use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error, raw, request_bytes};

async fn create(
    app: &TestApp,
    token: &str,
    body: impl Into<reqwest::Body>,
    content_type: &str,
) -> reqwest::Response {
    app.request(Method::POST, "/profile/tokens.json", Some(token))
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn bad_input_names_the_field_and_changes_nothing() {
    let (app, _, token) = TestApp::with_token(&["tokens:write", "tokens:read"]).await;
    let cases: [(Value, &str); 9] = [
        (json!({"scopes": ["tokens:read"]}), "label"),
        (json!({"label": "", "scopes": ["tokens:read"]}), "label"),
        (
            json!({"label": "x".repeat(101), "scopes": ["tokens:read"]}),
            "label",
        ),
        (json!({"label": 7, "scopes": ["tokens:read"]}), "label"),
        (json!({"label": "x"}), "scopes"),
        (json!({"label": "x", "scopes": []}), "scopes"),
        (
            json!({"label": "x", "scopes": ["tokens:everything"]}),
            "scopes",
        ),
        (
            json!({"label": "x", "scopes": ["tokens:read"], "expires_in_hours": 87601}),
            "expires_in_hours",
        ),
        (
            json!({"label": "x", "scopes": ["tokens:read"], "expires_in_hours": -5}),
            "expires_in_hours",
        ),
    ];
    for (body, field) in cases {
        let resp = app.post_json("/profile/tokens.json", &token, &body).await;
        assert_error(resp, 400, "invalid_input", Some(field)).await;
    }
    let deep = format!("{{\"label\": {}1{}}}", "[".repeat(5000), "]".repeat(5000));
    let hours = |h: &str| {
        format!(r#"{{"label": "x", "scopes": ["tokens:read"], "expires_in_hours": {h}}}"#)
    };
    // (body as sent, the field the refusal names, if any)
    let raw_cases: [(Vec<u8>, Option<&str>); 9] = [
        (hours("1e999").into(), Some("expires_in_hours")),
        (
            hours("123456789012345678901234567890").into(),
            Some("expires_in_hours"),
        ),
        (hours("\"24\"").into(), Some("expires_in_hours")),
        (b"{not json".to_vec(), Some("body")),
        (Vec::new(), Some("body")),
        (b"\"just a string\"".to_vec(), Some("body")),
        (deep.into(), None),
        (
            b"{\"label\": \"a\x00b\", \"scopes\": [\"tokens:read\"]}".to_vec(),
            Some("label"),
        ),
        (vec![b'{', 0xff, 0xfe, b'}'], None),
    ];
    for (raw, field) in raw_cases {
        let resp = create(&app, &token, raw, "application/json").await;
        assert_error(resp, 400, "invalid_input", field).await;
    }

    let list: Value = app.get_json("/profile/tokens.json", &token).await;
    assert_eq!(
        list["tokens"].as_array().unwrap().len(),
        1,
        "no token was created"
    );
}

#[tokio::test]
async fn wrong_content_type_is_415_and_big_bodies_413() {
    let (app, _, token) = TestApp::with_token(&["tokens:write"]).await;
    let body = r#"{"label": "x", "scopes": ["tokens:write"]}"#;
    let big = format!(
        r#"{{"label": "{}", "scopes": ["tokens:write"]}}"#,
        "x".repeat(17 * 1024)
    );
    for (sent, content_type, status, code) in [
        (body, "text/plain", 415, "unsupported_media_type"),
        (
            body,
            "application/x-www-form-urlencoded",
            415,
            "unsupported_media_type",
        ),
        (&big, "application/json", 413, "payload_too_large"),
    ] {
        let resp = create(&app, &token, sent.to_owned(), content_type).await;
        assert_error(resp, status, code, None).await;
    }
    let resp = create(&app, &token, body, "application/json; charset=utf-8").await;
    assert_eq!(resp.status(), 201);
}

#[tokio::test]
async fn odd_ids_and_paths_are_404() {
    let (app, _, token) = TestApp::with_token(&["tokens:write"]).await;
    for path in [
        "/profile/tokens/abc.json",
        "/profile/tokens/99999999999999999999999.json",
        "/profile/tokens/-1.json",
        "/profile/tokens/0.json",
        "/profile/tokens/1%00.json",
    ] {
        let resp = app.call(Method::DELETE, path, Some(&token)).await;
        assert_error(resp, 404, "not_found", None).await;
    }
    let resp = app.get("/no/such/thing.json", &token).await;
    assert_error(resp, 404, "not_found", None).await;
}

/// A head bigger than the server reads (actix reads 128 KiB) is refused
/// with 431 even when it carries a good token; a 64 KiB Authorization
/// header, which it does read, is a wrong token like any other.
#[tokio::test]
async fn a_huge_header_is_refused_with_a_4xx() {
    let (app, _, token) = TestApp::with_token(&["profile:read"]).await;
    let auth = format!("Authorization: Bearer {token}");
    let with_padding = |kib: usize| {
        let padding = format!("X-Padding: {}", "a".repeat(kib * 1024));
        request_bytes(
            "GET",
            b"/profile.json",
            &[auth.as_bytes(), padding.as_bytes()],
            b"",
        )
    };
    assert_eq!(raw(&app, &with_padding(1)).await, 200, "a small head");
    assert_eq!(raw(&app, &with_padding(200)).await, 431, "a 200 KiB head");

    let resp = app
        .api
        .get(app.url("/profile.json"))
        .header("Authorization", format!("Bearer {}", "a".repeat(64 * 1024)))
        .send()
        .await
        .unwrap();
    assert_error(resp, 401, "unauthenticated", None).await;
    assert_eq!(app.get("/profile.json", &token).await.status(), 200);
}

#[tokio::test]
async fn healthz_says_ok() {
    let app = TestApp::spawn().await;
    let resp = app.api.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.json::<Value>().await.unwrap(), json!({"status": "ok"}));
}

#[tokio::test]
async fn database_down_is_503_within_bounded_time() {
    // A server whose database cannot be reached: nothing listens on port 1.
    let db = tessera::db::Db::new(
        &tessera::config::DatabaseUrl::Postgres(
            "postgres://tessera@127.0.0.1:1/none?connect_timeout=1".into(),
        ),
        2,
    );
    let test_db = crate::helpers::TestDb::new();
    let config = crate::helpers::test_config(&test_db);
    let (_server, addr) = crate::helpers::ServerGuard::start(config, db);
    let client = reqwest::Client::new();
    let started = std::time::Instant::now();
    let token = tessera::tokens::PlainToken::generate().into_exposed();
    let (health, api) = tokio::join!(
        client.get(format!("http://{addr}/healthz")).send(),
        client
            .get(format!("http://{addr}/profile.json"))
            .bearer_auth(&token)
            .send(),
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(15));
    assert_eq!(health.unwrap().status(), 503);
    let api = api.unwrap();
    assert_eq!(api.headers()["retry-after"], "5");
    assert_error(api, 503, "unavailable", None).await;
}
