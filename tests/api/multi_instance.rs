//! Several instances on one database with one secret key, as behind a load
//! balancer (SPEC §2 "Revocation is immediate", §7). On PostgreSQL this is
//! the deployment the spec describes; on SQLite two servers share one file,
//! which works too, so the same tests run on both backends.
//!
//! Nothing here waits: every check is the very next request after the change.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tessera::db::models::accounts;

use crate::helpers::{Browser, TestApp, assert_error, assert_see_other, meta_csrf};

/// Two servers, A and B, on the same database and secret key.
async fn pair() -> (TestApp, TestApp) {
    let a = TestApp::spawn().await;
    let b = TestApp::start(a.test_db.share(), a.config.clone());
    assert_ne!(a.addr, b.addr);
    (a, b)
}

async fn status(app: &TestApp, path: &str, token: &str) -> StatusCode {
    app.get(path, token).await.status()
}

/// `secret` is refused, as unauthenticated, by each of `apps`.
async fn refused_by(apps: &[&TestApp], secret: &str) {
    for app in apps {
        app.assert_refused("/profile.json", secret).await;
    }
}

#[tokio::test]
async fn a_token_made_on_one_instance_works_and_dies_on_the_other_at_once() {
    let (a, b) = pair().await;
    let user = a.user();
    let boot = a.token(
        &user.account,
        &["profile:read", "tokens:read", "tokens:write"],
    );

    let created = a
        .mint(
            &boot,
            json!({"label": "made on A", "scopes": ["profile:read"]}),
        )
        .await;
    let secret = created["secret"].as_str().unwrap().to_owned();
    let id = created["token"]["id"].as_i64().unwrap();

    let resp = b.get("/profile.json", &secret).await;
    assert_eq!(resp.status(), 200);
    let profile: Value = resp.json().await.unwrap();
    assert_eq!(profile["account_id"], user.account.account_id.as_str());

    // Deactivated on A: refused by B on the very next request.
    let path = |what: &str| format!("/profile/tokens/{id}{what}.json");
    let resp = a
        .call(Method::POST, &path("/deactivate"), Some(&boot))
        .await;
    assert_eq!(resp.status(), 200);
    refused_by(&[&b], &secret).await;
    let list = b.get_json("/profile/tokens.json", &boot).await;
    let row = list["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id)
        .expect("B lists the token made on A");
    assert_eq!(row["status"], "deactivated");

    // Activated again on B: A accepts it at once.
    let resp = b.call(Method::POST, &path("/activate"), Some(&boot)).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(status(&a, "/profile.json", &secret).await, 200);
    assert_eq!(status(&b, "/profile.json", &secret).await, 200);

    // Deleted on A: refused by B on the very next request.
    let resp = a.call(Method::DELETE, &path(""), Some(&boot)).await;
    assert_eq!(resp.status(), 204);
    refused_by(&[&b, &a], &secret).await;
    // And B agrees that it is gone.
    let resp = b.call(Method::DELETE, &path(""), Some(&boot)).await;
    assert_eq!(resp.status(), 404);
}

#[tokio::test]
async fn tokens_die_on_every_instance_when_their_owner_is_deactivated() {
    let (a, b) = pair().await;
    let user = a.user();
    let token = a.token(&user.account, &["profile:read"]);
    assert_eq!(status(&b, "/profile.json", &token).await, 200);
    assert_eq!(status(&a, "/profile.json", &token).await, 200);

    a.with_conn(|conn| accounts::set_active(conn, user.account.id, false))
        .unwrap();
    assert_eq!(status(&b, "/profile.json", &token).await, 401);
    assert_eq!(status(&a, "/profile.json", &token).await, 401);

    a.with_conn(|conn| accounts::set_active(conn, user.account.id, true))
        .unwrap();
    assert_eq!(status(&b, "/profile.json", &token).await, 200);
}

#[tokio::test]
async fn a_browser_session_from_one_instance_works_on_the_other_until_sign_out() {
    let (a, b) = pair().await;
    let user = a.user();
    let on_a = Browser::signed_in(&a, &user).await;
    // The same browser, its requests now sent to B.
    let on_b = on_a.on(&b);

    // The same cookie on B: the page, its JSON twin, and a state change
    // with the CSRF token A's page handed out.
    let page = on_b.page("/profile").await;
    assert!(
        page.contains(&user.account.account_id),
        "B shows the account"
    );
    assert_eq!(meta_csrf(&page), on_a.csrf, "one session, one CSRF token");
    let (code, body) = on_b.fetch("/profile.json").await;
    assert_eq!(code, 200, "{body}");
    let profile: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(profile["username"], user.account.username.as_str());
    on_b.mint(json!({"label": "from B", "scopes": ["profile:read"]}))
        .await;

    // Signing out on A ends the session on B, even for a client that kept
    // the old cookie.
    let kept = on_a.cookie().unwrap();
    assert_see_other(&on_a.submit("/logout", &[]).await, "/login");
    let thief = Browser::new(&b);
    thief.set_cookie(&kept);
    assert_error(
        thief.get("/profile.json").await,
        401,
        "unauthenticated",
        None,
    )
    .await;
    assert_see_other(&thief.get("/profile").await, "/login");
    assert_eq!(thief.on(&a).get("/profile.json").await.status(), 401);
}

#[tokio::test]
async fn deactivating_the_account_ends_its_sessions_on_both_instances() {
    let (a, b) = pair().await;
    let user = a.user();
    let signed_in_on_a = Browser::signed_in(&a, &user).await;
    let signed_in_on_b = Browser::signed_in(&b, &user).await;
    let token = a.token(&user.account, &["profile:read"]);
    let everywhere = [
        signed_in_on_a.on(&a),
        signed_in_on_a.on(&b),
        signed_in_on_b.on(&a),
        signed_in_on_b.on(&b),
    ];
    for browser in &everywhere {
        assert_eq!(browser.get("/profile.json").await.status(), 200);
    }

    // An admin deactivates the account through A.
    let admin = a.admin();
    let admin_token = a.token(&admin.account, &["admin:write"]);
    let path = format!("/admin/users/{}/deactivate.json", user.account.account_id);
    let resp = a.call(Method::POST, &path, Some(&admin_token)).await;
    assert_eq!(resp.status(), 200);
    for browser in &everywhere {
        assert_eq!(browser.get("/profile.json").await.status(), 401);
    }
    assert_eq!(status(&b, "/profile.json", &token).await, 401);
    // And it cannot sign in again on either.
    for app in [&a, &b] {
        let resp = Browser::new(app)
            .try_sign_in(&user.account.username, &user.password)
            .await;
        assert_eq!(resp.status(), 401);
    }
}
