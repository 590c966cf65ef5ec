use reqwest::Method;
use serde_json::{Value, json};
use tessera::tokens::PlainToken;

use crate::helpers::{TestApp, assert_error};

async fn assert_401(resp: reqwest::Response) -> Value {
    assert_eq!(
        resp.headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap().starts_with("Bearer")),
        Some(true)
    );
    assert!(resp.headers().get("set-cookie").is_none());
    assert_error(resp, 401, "unauthenticated", None).await
}

#[tokio::test]
async fn all_six_forms_authenticate() {
    let (app, user, token) = TestApp::with_token(&["profile:read"]).await;
    let url = app.url("/profile.json");
    let requests = [
        app.api
            .get(&url)
            .header("Authorization", format!("Bearer {token}")),
        app.api
            .get(&url)
            .header("Authorization", format!("Token {token}")),
        app.api
            .get(&url)
            .header("Authorization", format!("apiToken {token}")),
        app.api.get(&url).header("Authorization", token.clone()),
        app.api.get(&url).header("API-KEY", token.clone()),
        app.api.get(format!("{url}?api_token={token}")),
    ];
    for (i, req) in requests.into_iter().enumerate() {
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 200, "form {i}");
        assert!(
            resp.headers().get("set-cookie").is_none(),
            "form {i} set a cookie"
        );
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["account_id"], user.account.account_id, "form {i}");
    }
}

#[tokio::test]
async fn refusals_do_not_say_why() {
    let (app, _, token) = TestApp::with_token(&["profile:read"]).await;
    let mut tampered = token.clone().into_bytes();
    tampered[10] = if tampered[10] == b'a' { b'b' } else { b'a' };
    let tampered = String::from_utf8(tampered).unwrap();
    let unknown = PlainToken::generate().into_exposed();
    let mut messages = Vec::new();
    for bad in [
        tampered.as_str(),
        unknown.as_str(),
        "tsr_short",
        "not a token at all",
        "Basic dXNlcjpwYXNz",
        "",
    ] {
        let resp = app
            .api
            .get(app.url("/profile.json"))
            .header("Authorization", bad)
            .send()
            .await
            .unwrap();
        let body = assert_401(resp).await;
        messages.push(body["error"]["message"].as_str().unwrap().to_owned());
    }
    // No credentials at all.
    let body = assert_401(app.api.get(app.url("/profile.json")).send().await.unwrap()).await;
    messages.push(body["error"]["message"].as_str().unwrap().to_owned());
    messages.dedup();
    assert_eq!(
        messages.len(),
        1,
        "every refusal reads the same: {messages:?}"
    );
}

#[tokio::test]
async fn query_tokens_only_for_get_and_only_when_allowed() {
    let (app, _, token) = TestApp::with_token(&["tokens:read", "tokens:write"]).await;
    let resp = app
        .api
        .post(app.url(&format!("/profile/tokens.json?api_token={token}")))
        .json(&json!({"label": "x", "scopes": ["tokens:read"]}))
        .send()
        .await
        .unwrap();
    assert_401(resp).await;

    let strict = TestApp::spawn_with(|c| c.allow_query_token = false).await;
    let u = strict.user();
    let t = strict.token(&u.account, &["tokens:read"]);
    let path = format!("/profile/tokens.json?api_token={t}");
    let resp = strict.call(Method::GET, &path, None).await;
    assert_401(resp).await;
    assert_eq!(strict.get("/profile/tokens.json", &t).await.status(), 200);
}

#[tokio::test]
async fn last_use_is_recorded_at_most_once_a_minute() {
    let (app, _, token) = TestApp::with_token(&["tokens:read"]).await;
    let first: Value = app.get_json("/profile/tokens.json", &token).await;
    let used = first["tokens"][0]["last_used_at"]
        .as_str()
        .unwrap()
        .to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let second: Value = app.get_json("/profile/tokens.json", &token).await;
    assert_eq!(
        second["tokens"][0]["last_used_at"],
        used.as_str(),
        "no second write within a minute"
    );
    let ip: Option<String> = app.with_conn(|c| {
        use diesel::prelude::*;
        use tessera::db::schema::api_tokens;
        api_tokens::table
            .select(api_tokens::last_used_ip)
            .first(c)
            .unwrap()
    });
    assert_eq!(ip.as_deref(), Some("127.0.0.1"));
}

/// A use recorded through one token shows at once in the list read with
/// another, although the list was just kept (a use moves no change stamp).
#[tokio::test]
async fn a_use_shows_at_once_in_a_list_kept_before_it() {
    let (app, user, lister) = TestApp::with_token(&["tokens:read"]).await;
    let other = app.token(&user.account, &["profile:read"]);
    let other_id = app.token_id(&other);
    let last_used = |list: &Value| {
        list["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == other_id)
            .unwrap()["last_used_at"]
            .clone()
    };
    // The lister's first call records its own use; the second is kept.
    for _ in 0..2 {
        let before: Value = app.get_json("/profile/tokens.json", &lister).await;
        assert_eq!(last_used(&before), Value::Null);
    }
    assert_eq!(app.get("/profile.json", &other).await.status(), 200);
    let after: Value = app.get_json("/profile/tokens.json", &lister).await;
    assert!(last_used(&after).is_string(), "{after}");
}

/// HEAD answers as GET would, without the body; a method a resource does
/// not take is 405 with `Allow` naming those it does (SPEC-NOTES).
#[tokio::test]
async fn head_and_unknown_methods_are_refused_cleanly() {
    let (app, _, token) = TestApp::with_token(&["tokens:read"]).await;
    let get = app.get("/profile/tokens.json", &token).await;
    let head = app
        .call(Method::HEAD, "/profile/tokens.json", Some(&token))
        .await;
    assert_eq!(head.status(), 200);
    assert_eq!(
        head.headers()["content-type"],
        get.headers()["content-type"]
    );
    assert!(head.bytes().await.unwrap().is_empty(), "no body");
    let head = app.call(Method::HEAD, "/profile/tokens.json", None).await;
    assert_eq!(head.status(), 401);
    assert!(head.headers().contains_key("www-authenticate"));

    let brew = Method::from_bytes(b"BREW").unwrap();
    let deactivate = "/profile/tokens/1/deactivate.json";
    for (method, path, allow) in [
        (
            Method::PUT,
            "/profile/tokens.json",
            "GET, HEAD, POST, DELETE",
        ),
        (
            Method::PATCH,
            "/profile/tokens.json",
            "GET, HEAD, POST, DELETE",
        ),
        (brew, "/profile/tokens.json", "GET, HEAD, POST, DELETE"),
        (Method::HEAD, deactivate, "POST"),
        (Method::GET, deactivate, "POST"),
    ] {
        let what = format!("{method} {path}");
        let resp = app.call(method.clone(), path, Some(&token)).await;
        assert_eq!(resp.headers()["allow"], allow, "{what}");
        if method == Method::HEAD {
            assert_eq!(resp.status(), 405, "{what}");
        } else {
            assert_error(resp, 405, "method_not_allowed", None).await;
        }
    }
}
