//! Several instances on one database with one secret key, as behind a load
//! balancer (SPEC §2 "Revocation is immediate", §7). On PostgreSQL this is
//! the deployment the spec describes; on SQLite two servers share one file,
//! which works too, so the same tests run on both backends.
//!
//! Nothing here waits: every check is the very next request after the change.

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use tessera::db::models::accounts;

use crate::helpers::{TestApp, assert_error};
use tessera::startup::SESSION_COOKIE;

/// Two servers, A and B, on the same database and secret key.
async fn pair() -> (TestApp, TestApp) {
    let a = TestApp::spawn().await;
    let b = TestApp::start(a.test_db.share(), a.config.clone());
    assert_ne!(a.addr, b.addr);
    (a, b)
}

/// The session cookie a response sets, as a `Cookie` header value.
pub(crate) fn session_cookie(resp: &Response) -> Option<String> {
    resp.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|pair| pair.starts_with(&format!("{SESSION_COOKIE}=")))
        .map(str::to_owned)
}

/// The page's `<meta name="csrf-token" content="...">`.
pub(crate) fn meta_csrf(html: &str) -> String {
    let marker = r#"<meta name="csrf-token" content=""#;
    let start = html.find(marker).expect("page carries a csrf-token meta") + marker.len();
    let len = html[start..].find('"').unwrap();
    let token = html[start..start + len].to_owned();
    assert!(!token.is_empty());
    token
}

/// Signs in on `app` as a browser does; returns the session cookie.
pub(crate) async fn sign_in(app: &TestApp, username: &str, password: &str) -> String {
    let resp = app.api.get(app.url("/login")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let cookie = session_cookie(&resp).expect("GET /login sets the session cookie");
    let csrf = meta_csrf(&resp.text().await.unwrap());
    let resp = app
        .api
        .post(app.url("/login"))
        .header(COOKIE, &cookie)
        .form(&[
            ("username", username),
            ("password", password),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()[LOCATION], "/profile");
    let signed_in = session_cookie(&resp).expect("sign-in renews the cookie");
    assert_ne!(
        signed_in, cookie,
        "no identifier from before sign-in survives"
    );
    signed_in
}

/// GET with a session cookie; returns status and body.
pub(crate) async fn browse(app: &TestApp, path: &str, cookie: &str) -> (StatusCode, String) {
    let resp = app
        .api
        .get(app.url(path))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap();
    (resp.status(), resp.text().await.unwrap())
}

async fn status(app: &TestApp, path: &str, token: &str) -> StatusCode {
    app.get(path, token).await.status()
}

#[tokio::test]
async fn a_token_made_on_one_instance_works_and_dies_on_the_other_at_once() {
    let (a, b) = pair().await;
    let user = a.user();
    let boot = a.token(
        &user.account,
        &["profile:read", "tokens:read", "tokens:write"],
    );

    let (code, created) = a
        .create_token_api(
            &boot,
            json!({"label": "made on A", "scopes": ["profile:read"]}),
        )
        .await;
    assert_eq!(code, 201, "{created}");
    let secret = created["secret"].as_str().unwrap().to_owned();
    let id = created["token"]["id"].as_i64().unwrap();

    let resp = b.get("/profile.json", &secret).await;
    assert_eq!(resp.status(), 200);
    let profile: Value = resp.json().await.unwrap();
    assert_eq!(profile["account_id"], user.account.account_id.as_str());

    // Deactivated on A: refused by B on the very next request.
    let resp = a
        .request(
            Method::POST,
            &format!("/profile/tokens/{id}/deactivate.json"),
            Some(&boot),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_error(
        b.get("/profile.json", &secret).await,
        401,
        "unauthenticated",
        None,
    )
    .await;
    let list: Value = b
        .get("/profile/tokens.json", &boot)
        .await
        .json()
        .await
        .unwrap();
    let row = list["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id)
        .expect("B lists the token made on A");
    assert_eq!(row["status"], "deactivated");

    // Activated again on B: A accepts it at once.
    let resp = b
        .request(
            Method::POST,
            &format!("/profile/tokens/{id}/activate.json"),
            Some(&boot),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(status(&a, "/profile.json", &secret).await, 200);
    assert_eq!(status(&b, "/profile.json", &secret).await, 200);

    // Deleted on A: refused by B on the very next request.
    let resp = a
        .request(
            Method::DELETE,
            &format!("/profile/tokens/{id}.json"),
            Some(&boot),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    assert_error(
        b.get("/profile.json", &secret).await,
        401,
        "unauthenticated",
        None,
    )
    .await;
    assert_eq!(status(&a, "/profile.json", &secret).await, 401);
    // And B agrees that it is gone.
    let resp = b
        .request(
            Method::DELETE,
            &format!("/profile/tokens/{id}.json"),
            Some(&boot),
        )
        .send()
        .await
        .unwrap();
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
    let cookie = sign_in(&a, &user.account.username, &user.password).await;

    // The same cookie on B: the page, its JSON twin, and a state change
    // with the CSRF token A's page handed out.
    let (code, page) = browse(&b, "/profile", &cookie).await;
    assert_eq!(code, 200);
    assert!(
        page.contains(&user.account.account_id),
        "B shows the account"
    );
    let csrf = meta_csrf(&page);
    let (code, body) = browse(&b, "/profile.json", &cookie).await;
    assert_eq!(code, 200, "{body}");
    let profile: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(profile["username"], user.account.username.as_str());
    let (_, page_a) = browse(&a, "/profile", &cookie).await;
    assert_eq!(meta_csrf(&page_a), csrf, "one session, one CSRF token");
    let resp = b
        .api
        .post(b.url("/profile/tokens.json"))
        .header(COOKIE, &cookie)
        .header("X-CSRF-Token", &csrf)
        .json(&json!({"label": "from B", "scopes": ["profile:read"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);

    // Signing out on A ends the session on B, even for a client that kept
    // the old cookie.
    let resp = a
        .api
        .post(a.url("/logout"))
        .header(COOKIE, &cookie)
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()[LOCATION], "/login");
    let resp = b
        .api
        .get(b.url("/profile.json"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_error(resp, 401, "unauthenticated", None).await;
    let resp = b
        .api
        .get(b.url("/profile"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()[LOCATION], "/login");
    assert_eq!(browse(&a, "/profile.json", &cookie).await.0, 401);
}

#[tokio::test]
async fn deactivating_the_account_ends_its_sessions_on_both_instances() {
    let (a, b) = pair().await;
    let user = a.user();
    let on_a = sign_in(&a, &user.account.username, &user.password).await;
    let on_b = sign_in(&b, &user.account.username, &user.password).await;
    let token = a.token(&user.account, &["profile:read"]);
    for cookie in [&on_a, &on_b] {
        assert_eq!(browse(&a, "/profile.json", cookie).await.0, 200);
        assert_eq!(browse(&b, "/profile.json", cookie).await.0, 200);
    }

    // An admin deactivates the account through A.
    let admin = a.admin();
    let admin_token = a.token(&admin.account, &["admin:write"]);
    let resp = a
        .request(
            Method::POST,
            &format!("/admin/users/{}/deactivate.json", user.account.account_id),
            Some(&admin_token),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    for cookie in [&on_a, &on_b] {
        assert_eq!(browse(&a, "/profile.json", cookie).await.0, 401);
        assert_eq!(browse(&b, "/profile.json", cookie).await.0, 401);
    }
    assert_eq!(status(&b, "/profile.json", &token).await, 401);
    // And it cannot sign in again on either.
    for app in [&a, &b] {
        let resp = app.api.get(app.url("/login")).send().await.unwrap();
        let cookie = session_cookie(&resp).unwrap();
        let csrf = meta_csrf(&resp.text().await.unwrap());
        let resp = app
            .api
            .post(app.url("/login"))
            .header(COOKIE, &cookie)
            .form(&[
                ("username", user.account.username.as_str()),
                ("password", user.password.as_str()),
                ("csrf_token", csrf.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 401);
    }
}
