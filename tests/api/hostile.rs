//! Hostile input: oversized bodies and headers, invalid UTF-8, NUL bytes,
//! deep nesting, huge numbers, odd ids. Every one gets a 4xx (an oversized
//! cookie is ignored instead), never a 500 or a dropped connection, and the
//! server keeps serving afterwards.
//! (errors.rs covers the plain cases: bad fields, a big Content-Length body,
//! one huge Authorization header, odd ids on DELETE.)
//!
//! Some requests cannot be built with an HTTP client at all (NUL in a
//! header, raw bytes in the path), so [`raw`](crate::helpers::raw) writes them to the socket.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, assert_error, raw, request_bytes};

fn assert_4xx(status: u16, what: &str) {
    assert!((400..500).contains(&status), "{what}: answered {status}");
}

/// The server still answers normally (nothing hostile broke a worker).
async fn still_serving(app: &TestApp, token: &str) {
    assert_eq!(app.get("/profile.json", token).await.status(), 200);
}

#[tokio::test]
async fn oversized_bodies_are_413_even_without_a_declared_length() {
    let (app, _, token) = TestApp::with_token(&["profile:read", "tokens:write"]).await;

    // Chunked: no Content-Length to refuse early, so the limit is counted
    // while reading.
    let mut chunked = Vec::new();
    for _ in 0..64 {
        chunked.extend_from_slice(b"400\r\n");
        chunked.extend_from_slice(&[b' '; 1024]);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let mut request = request_bytes(
        "POST",
        b"/profile/tokens.json",
        &[
            format!("Authorization: Bearer {token}").as_bytes(),
            b"Content-Type: application/json",
            b"Transfer-Encoding: chunked",
        ],
        b"",
    );
    request.extend_from_slice(&chunked);
    assert_eq!(raw(&app, &request).await, 413);

    // A declared length far beyond the limit, with no body sent at all: the
    // answer comes at once instead of the server waiting for 1 GB.
    let status = raw(
        &app,
        &request_bytes(
            "POST",
            b"/profile/tokens.json",
            &[
                format!("Authorization: Bearer {token}").as_bytes(),
                b"Content-Type: application/json",
                b"Content-Length: 1000000000",
            ],
            b"",
        ),
    )
    .await;
    assert_eq!(status, 413);

    // A sign-in form that big is refused too.
    let resp = app
        .api
        .post(app.url("/login"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("username=a&password={}", "p".repeat(64 * 1024)))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    still_serving(&app, &token).await;
}

#[tokio::test]
async fn oversized_headers_and_urls_are_4xx_and_oversized_cookies_ignored() {
    let (app, _, token) = TestApp::with_token(&["profile:read"]).await;

    let auth = format!("Authorization: Bearer {token}");
    let fillers: Vec<String> = (0..200).map(|i| format!("X-Filler-{i}: x")).collect();
    let mut headers: Vec<&[u8]> = fillers.iter().map(|h| h.as_bytes()).collect();
    headers.push(auth.as_bytes());
    let status = raw(&app, &request_bytes("GET", b"/profile.json", &headers, b"")).await;
    assert_4xx(status, "200 headers");

    // A cookie too big to be a session is no session, and does not spoil a
    // token call that carries it: ignored, neither refused nor a 500.
    let cookie = format!("Cookie: tessera_session={}", "A".repeat(60 * 1024));
    for (headers, status) in [
        (vec![cookie.as_bytes()], 401),
        (vec![cookie.as_bytes(), auth.as_bytes()], 200),
    ] {
        let request = request_bytes("GET", b"/profile.json", &headers, b"");
        assert_eq!(raw(&app, &request).await, status, "a 60 KiB cookie");
    }
    let resp = app
        .api
        .get(app.url("/profile.json"))
        .header(
            "Cookie",
            format!("tessera_session={}", "A".repeat(3 * 1024)),
        )
        .send()
        .await
        .unwrap();
    assert_error(resp, 401, "unauthenticated", None).await;

    // Refused even with a good token, which would otherwise be answered
    // (a 405 or 404 for the token path, a 200 for the query).
    let nines = "9".repeat(100 * 1024);
    for target in [
        format!("/profile/tokens/{nines}.json"),
        format!("/profile.json?page={nines}"),
    ] {
        let request = request_bytes("GET", target.as_bytes(), &[auth.as_bytes()], b"");
        assert_eq!(raw(&app, &request).await, 400, "a 100 KiB path");
    }
    let long_query = format!("/profile.json?api_token={}", "x".repeat(8 * 1024));
    let resp = app.api.get(app.url(&long_query)).send().await.unwrap();
    assert_error(resp, 401, "unauthenticated", None).await;
    let resp = app
        .api
        .get(app.url("/profile.json"))
        .header("API-KEY", "k".repeat(16 * 1024))
        .send()
        .await
        .unwrap();
    assert_error(resp, 401, "unauthenticated", None).await;
    still_serving(&app, &token).await;
}

#[tokio::test]
async fn invalid_utf8_and_nul_bytes_anywhere_are_4xx() {
    let (app, _, token) = TestApp::with_token(&["profile:read", "tokens:write"]).await;
    let auth = format!("Authorization: Bearer {token}");

    // In credentials: raw bytes that are no UTF-8, and a NUL.
    for header in [
        b"Authorization: Bearer tsr_\xff\xfe\xfd".as_slice(),
        b"Authorization: \xc3\x28",
        b"API-KEY: \xff",
        b"Authorization: Bearer tsr_\x00abc",
        b"API-KEY: tsr_\x00",
    ] {
        let status = raw(
            &app,
            &request_bytes("GET", b"/profile.json", &[header], b""),
        )
        .await;
        assert_4xx(status, &String::from_utf8_lossy(header));
    }
    // In the path and the query, raw and percent-encoded.
    for target in [
        b"/profile/tokens/\xff.json".as_slice(),
        b"/profile/tokens/%ff%fe.json",
        b"/profile/tokens/1%00/deactivate.json",
        b"/profile.json?api_token=%ff%fe",
        b"/profile.json?api_token=tsr_%00",
        b"/profile.json?%ff=%ff&api_token",
    ] {
        let status = raw(&app, &request_bytes("GET", target, &[], b"")).await;
        assert_4xx(status, &String::from_utf8_lossy(target));
        let status = raw(
            &app,
            &request_bytes("POST", target, &[auth.as_bytes()], b"{}"),
        )
        .await;
        assert_4xx(status, &String::from_utf8_lossy(target));
    }
    // In a JSON body: a raw NUL inside a string, an overlong encoding, a
    // lone surrogate escape.
    for body in [
        b"{\"label\": \"a\x00b\", \"scopes\": [\"profile:read\"]}".as_slice(),
        b"{\"label\": \"\xc0\xaf\", \"scopes\": [\"profile:read\"]}",
        b"{\"label\": \"\\ud800\", \"scopes\": [\"profile:read\"]}",
        b"\xef\xbb\xbf{\"label\": \"bom\", \"scopes\": [\"profile:read\"]}",
    ] {
        let resp = app
            .request(Method::POST, "/profile/tokens.json", Some(&token))
            .header("Content-Type", "application/json")
            .body(body.to_vec())
            .send()
            .await
            .unwrap();
        assert_error(resp, 400, "invalid_input", None).await;
    }
    // In a sign-in form, percent-encoded and raw.
    for body in [
        b"username=%ff%fe&password=%00&csrf_token=%ff".as_slice(),
        b"username=\xff\xfe&password=\x00",
    ] {
        let resp = app
            .api
            .post(app.url("/login"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body.to_vec())
            .send()
            .await
            .unwrap();
        assert_4xx(resp.status().as_u16(), "a sign-in form with bad bytes");
    }
    // In the session cookie: it is simply no session.
    let status = raw(
        &app,
        &request_bytes(
            "GET",
            b"/profile.json",
            &[b"Cookie: tessera_session=\xff\xfe\x00"],
            b"",
        ),
    )
    .await;
    assert_4xx(status, "a cookie with bad bytes");

    let list = app.get_text("/profile/tokens.json", &token).await;
    assert!(!list.contains("bom"), "nothing was created: {list}");
    still_serving(&app, &token).await;
}

#[tokio::test]
async fn deep_nesting_anywhere_in_a_body_is_400() {
    let (app, _, token) = TestApp::with_token(&["profile:read", "tokens:write"]).await;
    let depth = 7000; // as deep as fits in 16 KiB
    let objects = format!("{}1{}", "{\"a\":".repeat(depth / 5), "}".repeat(depth / 5));
    let arrays = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    for body in [
        // Under a field the handler does not know, which is skipped, not
        // parsed into anything: it must still not blow the stack.
        format!(r#"{{"label": "x", "scopes": ["profile:read"], "extra": {arrays}}}"#),
        format!(r#"{{"label": "x", "scopes": ["profile:read"], "extra": {objects}}}"#),
        format!(r#"{{"scopes": {arrays}}}"#),
        arrays.clone(),
        objects.clone(),
    ] {
        assert!(body.len() <= 16 * 1024);
        let resp = app
            .request(Method::POST, "/profile/tokens.json", Some(&token))
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_error(resp, 400, "invalid_input", None).await;
    }
    still_serving(&app, &token).await;
}

#[tokio::test]
async fn unknown_fields_are_refused_not_ignored() {
    let (app, _, token) = TestApp::with_token(&["profile:read", "tokens:write"]).await;
    // A misspelt expiry would otherwise make a token that never expires.
    let body = json!({"label": "x", "scopes": ["profile:read"], "expires_in_hour": 24});
    let body = app.mint_refused(&token, body, 400, "invalid_input").await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expires_in_hour"),
        "{body}"
    );
    let list = app
        .get("/profile/tokens.json", &token)
        .await
        .text()
        .await
        .unwrap();
    assert!(!list.contains("\"label\":\"x\""), "nothing was created");
}

#[tokio::test]
async fn huge_and_odd_numbers_are_400() {
    let (app, _, token) = TestApp::with_token(&["profile:read", "tokens:write"]).await;
    for hours in [
        "9223372036854775807",
        "-9223372036854775808",
        "9223372036854775808",
        "1e308",
        "0.5",
        "1e-3",
        "NaN",
        "Infinity",
        "0x10",
        "true",
        "[]",
        "{}",
    ] {
        let body =
            format!(r#"{{"label": "x", "scopes": ["profile:read"], "expires_in_hours": {hours}}}"#);
        let resp = app
            .request(Method::POST, "/profile/tokens.json", Some(&token))
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_error(resp, 400, "invalid_input", None).await;
    }
    // JSON does not tell 24 from 24.0: both are a whole number of hours.
    let resp = app
        .request(Method::POST, "/profile/tokens.json", Some(&token))
        .header("Content-Type", "application/json")
        .body(r#"{"label": "float", "scopes": ["profile:read"], "expires_in_hours": 24.0}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let created: serde_json::Value = resp.json().await.unwrap();
    assert!(created["token"]["expires_at"].is_string(), "{created}");
    // A label of the longest allowed length in characters, each four bytes
    // in UTF-8, is fine; one more is not.
    let emoji = "\u{1F511}";
    let (status, body) = app
        .create_token_api(
            &token,
            json!({"label": emoji.repeat(100), "scopes": ["profile:read"]}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, _) = app
        .create_token_api(
            &token,
            json!({"label": emoji.repeat(101), "scopes": ["profile:read"]}),
        )
        .await;
    assert_eq!(status, 400);
    still_serving(&app, &token).await;
}

#[tokio::test]
async fn non_numeric_and_overflowing_ids_are_404_on_every_token_route() {
    let (app, _, token) = TestApp::with_token(&["profile:read", "tokens:write"]).await;
    let ids = [
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775808",
        "1e3",
        "0x10",
        "+1",
        "01",
        "%201",
        "1.0",
        "%D9%A1", // an Arabic-Indic digit one
        "1;DROP%20TABLE%20api_tokens",
        "%27%20OR%201=1--",
    ];
    for id in ids {
        for (method, path) in [
            (Method::DELETE, format!("/profile/tokens/{id}.json")),
            (
                Method::POST,
                format!("/profile/tokens/{id}/deactivate.json"),
            ),
            (Method::POST, format!("/profile/tokens/{id}/activate.json")),
        ] {
            let resp = app.call(method.clone(), &path, Some(&token)).await;
            assert_eq!(resp.status(), 404, "{method} {path}");
        }
    }
    still_serving(&app, &token).await;
}
