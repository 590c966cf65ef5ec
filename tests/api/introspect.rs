//! `POST /oauth/introspect` (SPEC section 8, RFC 7662).

use reqwest::Method;
use serde_json::{Value, json};
use tessera::actions::{self, AccountChange, Actor};

use crate::helpers::{TestApp, assert_error};

async fn introspect(
    app: &TestApp,
    caller: Option<&str>,
    form: &[(&str, &str)],
) -> reqwest::Response {
    app.request(Method::POST, "/oauth/introspect", caller)
        .form(form)
        .send()
        .await
        .unwrap()
}

async fn ask(app: &TestApp, caller: &str, token: &str) -> Value {
    let resp = introspect(
        app,
        Some(caller),
        &[("token", token), ("token_type_hint", "access_token")],
    )
    .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    resp.json().await.unwrap()
}

#[tokio::test]
async fn an_active_token_is_described_and_anything_else_is_only_inactive() {
    let app = TestApp::spawn().await;
    let admin = app.admin();
    let caller = app.token(&admin.account, &["introspect"]);
    let user = app.user();
    let made = app.with_conn(|c| {
        let spec = tessera::actions::TokenRequest {
            label: Some("ci".into()),
            scopes: Some(vec!["profile:read".into(), "tokens:read".into()]),
            expires_in_hours: Some(48),
            ..Default::default()
        }
        .check(&app.config, &user.account, None)
        .unwrap();
        actions::create_token(c, &app.config, &user.account, &spec, Actor::console()).unwrap()
    });
    let (row, secret) = (made.0, made.1.into_exposed());
    let answer = ask(&app, &caller, &secret).await;
    let iat = row.created_at.assume_utc().unix_timestamp();
    let exp = row.expires_at.unwrap().assume_utc().unix_timestamp();
    assert_eq!(
        answer,
        json!({
            "active": true,
            "scope": "profile:read tokens:read",
            "sub": user.account.account_id,
            "username": user.account.username,
            "token_type": "Bearer",
            "iat": iat,
            "exp": exp,
            "jti": row.id.to_string(),
        })
    );
    assert_eq!(exp - iat, 48 * 3600);
    // A token that never expires has no `exp`.
    let forever = app.token(&user.account, &["profile:read"]);
    let answer = ask(&app, &caller, &forever).await;
    assert_eq!(answer["active"], true);
    assert!(answer.get("exp").is_none(), "{answer}");

    // Introspection is not a use of the token.
    let listed = app
        .get_json(
            "/admin/tokens.json",
            &app.token(&admin.account, &["admin:read"]),
        )
        .await;
    let item = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == row.id)
        .unwrap()
        .clone();
    assert_eq!(item["last_used_at"], Value::Null);

    // Unknown, malformed, a bad checksum, deactivated, expired, and an
    // owner deactivated: `{"active": false}` and nothing else.
    let mut bad_checksum = secret.clone();
    bad_checksum.replace_range(41..42, if secret.ends_with('A') { "B" } else { "A" });
    let deactivated = app.token(&user.account, &["profile:read"]);
    let id = app.token_id(&deactivated);
    let writer = app.token(&admin.account, &["admin:write"]);
    let resp = app
        .request(
            Method::POST,
            &format!("/admin/tokens/{id}/deactivate.json"),
            Some(&writer),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let expired = app.token(&user.account, &["profile:read"]);
    let expired_id = app.token_id(&expired);
    app.with_conn(|c| {
        use diesel::prelude::*;
        use tessera::db::schema::api_tokens;
        diesel::update(api_tokens::table.find(expired_id))
            .set(api_tokens::expires_at.eq(Some(tessera::db::now() - time::Duration::hours(1))))
            .execute(c)
            .unwrap();
    });
    for token in ["tsr_nothing", "x", &bad_checksum, &deactivated, &expired] {
        assert_eq!(
            ask(&app, &caller, token).await,
            json!({"active": false}),
            "{token}"
        );
    }
    app.with_conn(|c| {
        actions::change_account(
            c,
            &user.account.account_id,
            AccountChange::Deactivate,
            Actor::console(),
        )
        .unwrap()
    });
    assert_eq!(ask(&app, &caller, &secret).await, json!({"active": false}));
}

#[tokio::test]
async fn only_a_token_with_the_introspect_scope_may_ask() {
    let app = TestApp::spawn().await;
    let admin = app.admin();
    let subject = app.token(&admin.account, &["profile:read"]);
    // Nobody, a token without the scope, a bad token: 401.
    for caller in [None, Some(subject.as_str()), Some("tsr_nothing")] {
        let resp = introspect(&app, caller, &[("token", &subject)]).await;
        assert_error(resp, 401, "unauthenticated", None).await;
    }
    // Users may not grant it.
    let user = app.user();
    let session = crate::helpers::Browser::signed_in(&app, &user).await;
    let refused = session
        .json(Method::POST, "/profile/tokens.json")
        .json(&json!({"label": "x", "scopes": ["introspect"]}))
        .send()
        .await
        .unwrap();
    assert_error(refused, 403, "forbidden", Some("scopes")).await;
    // A missing token is RFC 6749's invalid_request.
    let caller = app.token(&admin.account, &["introspect"]);
    for form in [
        &[][..],
        &[("token", "")][..],
        &[("token_type_hint", "access_token")][..],
    ] {
        let resp = introspect(&app, Some(&caller), form).await;
        assert_eq!(resp.status(), 400);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request", "{body}");
    }
}
