use reqwest::Method;
use serde_json::{Value, json};
use tessera::db::models::accounts;
use tessera::tokens::{PlainToken, Role};

use crate::helpers::{TestApp, assert_error, listed, message};

#[tokio::test]
async fn profile_json_shows_the_account() {
    let (app, user, token) = TestApp::with_token(&["profile:read"]).await;
    let resp = app.get("/profile.json", &token).await;
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers().get("set-cookie").is_none(),
        "token calls never set a cookie"
    );
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["account_id"], user.account.account_id);
    assert_eq!(body["username"], user.account.username);
    assert_eq!(body["display_name"], user.account.username);
    assert_eq!(body["role"], "user");
    assert!(body["created_at"].as_str().unwrap().ends_with('Z'));
    assert!(body["account_id"].as_str().unwrap().starts_with("acc_"));
}

#[tokio::test]
async fn create_list_deactivate_activate_delete() {
    let (app, user, master) = TestApp::with_token(&["tokens:read", "tokens:write"]).await;

    let resp = app
        .post_json(
            "/profile/tokens.json",
            &master,
            &json!({"label": "CI deploy", "scopes": ["tokens:read"], "expires_in_hours": 48}),
        )
        .await;
    assert_eq!(resp.status(), 201);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let created: Value = resp.json().await.unwrap();
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(PlainToken::parse(&secret).is_ok());
    assert_eq!(created["account_id"], user.account.account_id);
    let token = &created["token"];
    assert_eq!(token["label"], "CI deploy");
    assert_eq!(token["prefix"], &secret[..12]);
    assert_eq!(token["scopes"], json!(["tokens:read"]));
    assert_eq!(token["status"], "active");
    assert_eq!(token["account_id"], user.account.account_id);
    assert!(token["last_used_at"].is_null());
    let created_at = time::OffsetDateTime::parse(
        token["created_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let expires_at = time::OffsetDateTime::parse(
        token["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(expires_at - created_at, time::Duration::hours(48));
    let id = token["id"].as_i64().unwrap();
    let path = |what: &str| format!("/profile/tokens/{id}{what}.json");

    // The new token works and sees both tokens, newest first; its use is recorded.
    let resp = app.get("/profile/tokens.json", &secret).await;
    assert_eq!(resp.status(), 200);
    let list: Value = resp.json().await.unwrap();
    let tokens = list["tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 2);
    assert_eq!(tokens[0]["id"], id);
    assert!(tokens[0]["last_used_at"].is_string());
    assert!(tokens.iter().all(|t| t.get("secret").is_none()));
    let keys: Vec<&str> = tokens[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for key in [
        "id",
        "label",
        "prefix",
        "scopes",
        "created_at",
        "expires_at",
        "last_used_at",
        "status",
        "account_id",
    ] {
        assert!(keys.contains(&key), "{key} missing from {keys:?}");
    }

    // Deactivate: the next call with it is refused.
    let resp = app
        .call(Method::POST, &path("/deactivate"), Some(&master))
        .await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "deactivated");
    app.assert_refused("/profile/tokens.json", &secret).await;

    // Activate again: it works again.
    let resp = app
        .call(Method::POST, &path("/activate"), Some(&master))
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.json::<Value>().await.unwrap()["status"], "active");
    assert_eq!(app.get("/profile/tokens.json", &secret).await.status(), 200);

    // Delete: 204, gone from the list, refused at once.
    let resp = app.call(Method::DELETE, &path(""), Some(&master)).await;
    assert_eq!(resp.status(), 204);
    app.assert_refused("/profile/tokens.json", &secret).await;
    let list: Value = app.get_json("/profile/tokens.json", &master).await;
    assert_eq!(list["tokens"].as_array().unwrap().len(), 1);
    let resp = app.call(Method::DELETE, &path(""), Some(&master)).await;
    assert_error(resp, 404, "not_found", None).await;
}

#[tokio::test]
async fn another_accounts_token_looks_missing() {
    let (app, _, alice_token) = TestApp::with_token(&["tokens:read", "tokens:write"]).await;
    let bob = app.user();
    let bob_token = app.token(&bob.account, &["tokens:read", "tokens:write"]);
    let bob_list: Value = app.get_json("/profile/tokens.json", &bob_token).await;
    let bob_id = bob_list["tokens"][0]["id"].as_i64().unwrap();
    let path = |what: &str| format!("/profile/tokens/{bob_id}{what}.json");

    for (method, path) in [
        (Method::DELETE, path("")),
        (Method::POST, path("/deactivate")),
        (Method::POST, path("/activate")),
        (Method::DELETE, "/profile/tokens/999999.json".to_owned()),
    ] {
        let resp = app.call(method, &path, Some(&alice_token)).await;
        let body = assert_error(resp, 404, "not_found", None).await;
        assert_eq!(body["error"]["message"], "not found");
    }
    // Bob's token is untouched.
    assert_eq!(
        app.get("/profile/tokens.json", &bob_token).await.status(),
        200
    );
}

#[tokio::test]
async fn scopes_are_enforced_and_named() {
    let (app, _, read_only) = TestApp::with_token(&["tokens:read"]).await;
    let body = assert_error(
        app.get("/profile.json", &read_only).await,
        403,
        "insufficient_scope",
        Some("scopes"),
    )
    .await;
    assert!(message(&body).contains("profile:read"));
    let body = json!({"label": "x", "scopes": ["tokens:read"]});
    let body = app
        .mint_refused(&read_only, body, 403, "insufficient_scope")
        .await;
    assert!(message(&body).contains("tokens:write"));
}

/// Asks for a token with `token`; asserts the answer's status and, for a
/// refusal, the field it names. Returns the answer.
async fn mint_answers(app: &TestApp, token: &str, body: Value, status: u16, field: &str) -> Value {
    let (got, answer) = app.create_token_api(token, body).await;
    assert_eq!(got, status, "{answer}");
    if status >= 400 {
        assert_eq!(answer["error"]["field"], field, "{answer}");
    }
    answer
}

#[tokio::test]
async fn a_token_cannot_mint_broader_scopes() {
    let (app, _, writer) = TestApp::with_token(&["tokens:write"]).await;
    for (scopes, status) in [
        (json!(["tokens:write", "profile:read"]), 403),
        (json!(["tokens:write"]), 201),
    ] {
        let body = json!({"label": "x", "scopes": scopes});
        mint_answers(&app, &writer, body, status, "scopes").await;
    }
}

#[tokio::test]
async fn a_user_cannot_mint_admin_scopes_and_a_demoted_admin_loses_them() {
    let (app, _, token) = TestApp::with_token(&["tokens:write", "tokens:read"]).await;
    let admin = app.admin();
    let admin_token = app.token(&admin.account, &["tokens:write", "admin:read"]);
    let body = || json!({"label": "x", "scopes": ["admin:read"]});
    mint_answers(&app, &token, body(), 403, "scopes").await;
    mint_answers(&app, &admin_token, body(), 201, "").await;
    // Demoted: the same token may no longer hand on admin:read.
    app.with_conn(|c| accounts::set_role(c, admin.account.id, Role::User).unwrap());
    mint_answers(&app, &admin_token, body(), 403, "scopes").await;
}

#[tokio::test]
async fn deactivated_owner_is_refused_at_once() {
    let (app, user, token) = TestApp::with_token(&["profile:read"]).await;
    assert_eq!(app.get("/profile.json", &token).await.status(), 200);
    app.with_conn(|c| accounts::set_active(c, user.account.id, false).unwrap());
    app.assert_refused("/profile.json", &token).await;
}

#[tokio::test]
async fn expired_tokens_are_refused_and_shown_expired() {
    use diesel::prelude::*;
    use tessera::db::schema::api_tokens;
    let (app, user, reader) = TestApp::with_token(&["tokens:read"]).await;
    let old = app.token(&user.account, &["profile:read"]);
    let past = tessera::db::now() - time::Duration::hours(1);
    app.with_conn(|c| {
        diesel::update(api_tokens::table.filter(api_tokens::prefix.eq(&old[..12])))
            .set(api_tokens::expires_at.eq(Some(past)))
            .execute(c)
            .unwrap()
    });
    app.assert_refused("/profile.json", &old).await;
    let list: Value = app.get_json("/profile/tokens.json", &reader).await;
    let statuses = listed(&list, "status");
    assert!(statuses.contains(&"expired"), "{statuses:?}");
}

#[tokio::test]
async fn the_token_cap_is_enforced() {
    let app = TestApp::spawn_with(|c| c.max_tokens_per_user = 3).await;
    let user = app.user();
    let token = app.token(&user.account, &["tokens:write"]);
    for label in ["t0", "t1"] {
        app.mint(&token, json!({"label": label, "scopes": ["tokens:write"]}))
            .await;
    }
    let body = json!({"label": "one too many", "scopes": ["tokens:write"]});
    let body = app.mint_refused(&token, body, 409, "conflict").await;
    assert!(message(&body).contains('3'));
    let n = app
        .with_conn(|c| tessera::db::models::tokens::count_for_account(c, user.account.id).unwrap());
    assert_eq!(n, 3, "nothing was half-created");
}

#[tokio::test]
async fn lifetime_limits_and_never() {
    let app = TestApp::spawn_with(|c| c.max_token_lifetime_days = Some(30)).await;
    let open = TestApp::spawn().await;
    // (server, hours asked for, status): with a 30-day limit, a token must
    // expire, and within it; without one, 0 hours means never.
    for (server, hours, status) in [
        (&app, None, 400),
        (&app, Some(24 * 31), 400),
        (&app, Some(24 * 30), 201),
        (&open, Some(0), 201),
    ] {
        let user = server.user();
        let token = server.token(&user.account, &["tokens:write"]);
        let mut body = json!({"label": "x", "scopes": ["tokens:write"]});
        if let Some(hours) = hours {
            body["expires_in_hours"] = json!(hours);
        }
        let answer = mint_answers(server, &token, body, status, "expires_in_hours").await;
        if hours.is_none() {
            assert!(message(&answer).contains("30 days"));
        }
        if hours == Some(0) {
            assert!(answer["token"]["expires_at"].is_null());
        }
    }
}

#[tokio::test]
async fn labels_are_any_unicode_and_kept_verbatim() {
    let (app, _, token) = TestApp::with_token(&["tokens:write", "tokens:read"]).await;
    let label = "<script>alert('x')</script> 🚀 日本語";
    let body = app
        .mint(&token, json!({"label": label, "scopes": ["tokens:read"]}))
        .await;
    assert_eq!(body["token"]["label"], label);
}
