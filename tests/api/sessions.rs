//! Browser sessions: signing in and out, the session cookie, rotation at
//! sign-in, and sessions ending when their account does (SPEC §6).

use std::collections::HashMap;

use actix_web::cookie::{Cookie, CookieJar, Key};
use diesel::prelude::*;
use reqwest::Response;
use tessera::db::models::{accounts, sessions as session_db};
use tessera::db::schema::{audit_events, sessions};
use tessera::startup::SESSION_COOKIE;
use tessera::tokens::SecretKey;

use crate::helpers::{Browser, TestApp, assert_see_other, meta_csrf, sign_in_form};

/// Whether `cookie` still signs anyone in, tried from a fresh client.
pub async fn signs_in(app: &TestApp, cookie: &str) -> bool {
    let thief = Browser::new(app);
    thief.set_cookie(cookie);
    let page = thief.get("/profile").await;
    let json = thief.get("/profile.json").await;
    match (page.status().as_u16(), json.status().as_u16()) {
        (200, 200) => true,
        (303, 401) => {
            assert_see_other(&page, "/login");
            false
        }
        other => panic!("a replayed cookie got {other:?}"),
    }
}

/// What the encrypted session cookie holds, opened with the server's key.
pub fn open_cookie(server_key: &SecretKey, value: &str) -> HashMap<String, String> {
    let key = Key::from(&server_key.derive("session-cookie"));
    let mut jar = CookieJar::new();
    // actix writes the sealed value percent-encoded.
    let cookie = Cookie::parse_encoded(format!("{SESSION_COOKIE}={value}")).unwrap();
    jar.add_original(cookie.into_owned());
    let plain = jar
        .private(&key)
        .get(SESSION_COOKIE)
        .expect("the cookie opens with the server's key")
        .value()
        .to_owned();
    let raw: HashMap<String, String> = serde_json::from_str(&plain).unwrap();
    raw.into_iter()
        .map(|(k, v)| {
            let v = serde_json::from_str::<String>(&v).unwrap_or(v);
            (k, v)
        })
        .collect()
}

fn session_count(app: &TestApp) -> i64 {
    app.with_conn(|c| sessions::table.count().get_result(c).unwrap())
}

/// `(event, target account id)` of every audit entry, oldest first.
fn audit(app: &TestApp) -> Vec<(String, Option<String>, Option<String>)> {
    app.with_conn(|c| {
        audit_events::table
            .order(audit_events::id)
            .select((
                audit_events::event,
                audit_events::target_account_id,
                audit_events::ip,
            ))
            .load(c)
            .unwrap()
    })
}

/// The parts of the session cookie a response sets (`name=value` first),
/// checked to include each of `wanted`.
fn cookie_attributes(resp: &Response, wanted: &[&str]) -> Vec<String> {
    let cookie = set_cookie_header(resp);
    let attrs: Vec<String> = cookie.split(';').map(|a| a.trim().to_owned()).collect();
    for want in wanted {
        assert!(attrs.iter().any(|a| a == want), "{want} in {cookie}");
    }
    attrs
}

fn set_cookie_header(resp: &Response) -> String {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with(&format!("{SESSION_COOKIE}=")))
        .expect("the response sets the session cookie")
}

#[tokio::test]
async fn sign_in_sets_an_http_only_same_site_cookie() {
    let app = TestApp::spawn().await;
    let user = app.user();
    let browser = Browser::new(&app);
    let resp = browser
        .try_sign_in(&user.account.username, &user.password)
        .await;
    assert_see_other(&resp, "/profile");
    let attrs = cookie_attributes(&resp, &["HttpOnly", "SameSite=Lax", "Path=/"]);
    assert!(
        !attrs.iter().any(|a| a.starts_with("Domain=")),
        "host-only: {attrs:?}"
    );
    assert!(
        !attrs.contains(&"Secure".into()),
        "not configured: {attrs:?}"
    );

    let page = browser.page("/profile").await;
    assert!(page.contains(&user.account.account_id));
    assert!(page.contains(&format!("Signed in as {}.", user.account.username)));
}

#[tokio::test]
async fn secure_cookies_when_configured() {
    let app = TestApp::spawn_with(|c| c.cookie_secure = true).await;
    let user = app.user();
    // A Secure cookie is not sent back over plain http, so this browser
    // carries it by hand.
    let login = app.api.get(app.url("/login")).send().await.unwrap();
    let value = cookie_attributes(&login, &["Secure"]).remove(0);
    let csrf = meta_csrf(&login.text().await.unwrap());
    let form = sign_in_form(&user.account.username, &user.password, &csrf);
    let resp = app.post_sign_in(&form, Some(&value)).await;
    assert_see_other(&resp, "/profile");
    cookie_attributes(&resp, &["Secure", "HttpOnly", "SameSite=Lax"]);
}

#[tokio::test]
async fn failures_read_the_same_whatever_went_wrong() {
    let app = TestApp::spawn().await;
    let user = app.user();
    let gone = app.user();
    app.with_conn(|c| accounts::set_active(c, gone.account.id, false).unwrap());
    let mut browser = Browser::new(&app);
    let attempts = [
        (user.account.username.as_str(), "wrong password"),
        ("nobody-by-this-name", user.password.as_str()),
        (gone.account.username.as_str(), gone.password.as_str()),
    ];
    let mut bodies = Vec::new();
    for (name, password) in attempts {
        let resp = browser.try_sign_in(name, password).await;
        assert_eq!(resp.status(), 401, "{name}");
        let body = resp.text().await.unwrap();
        assert!(
            body.contains("Incorrect username or password."),
            "{name}: {body}"
        );
        // The form comes back with the name typed, never the password.
        assert!(body.contains(&format!(r#"value="{name}""#)));
        assert!(!body.contains(password));
        bodies.push(body.replace(name, "NAME"));
        assert_see_other(&browser.get("/profile").await, "/login");
    }
    assert_eq!(session_count(&app), 0);
    // Apart from the name typed, the three answers are the same page (the
    // CSRF token in it is the visitor's, unchanged between attempts).
    assert_eq!(bodies[0], bodies[1]);
    assert_eq!(bodies[0], bodies[2]);

    browser.sign_in(&user).await;
    let events: Vec<_> = audit(&app)
        .into_iter()
        .filter(|(e, _, _)| e.starts_with("login."))
        .collect();
    let expected = [
        ("login.failed", Some(&user.account.account_id)),
        ("login.failed", None),
        ("login.failed", Some(&gone.account.account_id)),
        ("login.succeeded", Some(&user.account.account_id)),
    ];
    assert_eq!(events.len(), expected.len(), "{events:?}");
    for ((event, target, ip), (want, want_target)) in events.iter().zip(expected) {
        assert_eq!(event, want);
        assert_eq!(target.as_ref(), want_target);
        assert_eq!(ip.as_deref(), Some("127.0.0.1"));
    }
}

#[tokio::test]
async fn the_session_is_renewed_at_sign_in() {
    let app = TestApp::spawn().await;
    let user = app.user();
    let mut browser = Browser::new(&app);
    let login_csrf = browser.csrf_of("/login").await;
    let before = browser.cookie().expect("the sign-in form sets a cookie");
    assert!(!open_cookie(&app.config.secret_key, &before).contains_key("sid"));

    let csrf = browser.sign_in(&user).await;
    let after = browser.cookie().unwrap();
    assert_ne!(before, after);
    assert_ne!(login_csrf, csrf, "the signed-in session has its own token");
    let opened = open_cookie(&app.config.secret_key, &after);
    assert!(opened.contains_key("sid"));
    assert!(
        !opened.contains_key("csrf"),
        "the visitor's token is dropped"
    );

    // The cookie from before sign-in, replayed, is still nobody.
    assert!(!signs_in(&app, &before).await);
    assert!(signs_in(&app, &after).await);
}

#[tokio::test]
async fn the_cookie_is_sealed() {
    let (app, user, browser) = TestApp::with_browser().await;
    let cookie = browser.cookie().unwrap();
    let sid = open_cookie(&app.config.secret_key, &cookie)["sid"].clone();
    assert!(!cookie.contains(&sid));
    assert!(!cookie.contains("sid"));

    // Any change to the sealed value is refused, not half-read.
    let mut bytes = cookie.into_bytes();
    let i = bytes.len() / 2;
    bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
    assert!(!signs_in(&app, &String::from_utf8(bytes).unwrap()).await);

    // A cookie sealed with another key (another deployment) opens nothing.
    let other = TestApp::spawn().await;
    let stranger = other.create_user(&user.account.username, tessera::tokens::Role::User);
    let elsewhere = Browser::signed_in(&other, &stranger).await;
    assert!(!signs_in(&app, &elsewhere.cookie().unwrap()).await);
}

#[tokio::test]
async fn sign_out_ends_the_session_for_every_holder_of_the_cookie() {
    let (app, _, browser) = TestApp::with_browser().await;
    let stolen = browser.cookie().unwrap();
    assert!(signs_in(&app, &stolen).await);
    assert_eq!(session_count(&app), 1);

    let resp = browser.submit("/logout", &[]).await;
    assert_see_other(&resp, "/login");
    assert_eq!(session_count(&app), 0, "the database row is gone");
    assert_see_other(&browser.get("/profile").await, "/login");
    assert!(
        !signs_in(&app, &stolen).await,
        "a copy taken before signing out"
    );
    // The sign-in page is offered again, not a redirect.
    assert_eq!(browser.get("/login").await.status(), 200);
}

#[tokio::test]
async fn sign_out_needs_the_session_csrf_token() {
    let (app, _, browser) = TestApp::with_browser().await;
    let mut other = Browser::new(&app);
    let others_csrf = other.sign_in(&app.user()).await;
    for fields in [
        vec![],
        vec![("csrf_token", "not-the-token")],
        vec![("csrf_token", others_csrf.as_str())],
    ] {
        let resp = browser.post_form("/logout", &fields).await;
        assert_eq!(resp.status(), 403, "{fields:?}");
        let body = resp.text().await.unwrap();
        assert!(body.contains("did not come from this site"), "{body}");
        assert_eq!(browser.get("/profile").await.status(), 200, "{fields:?}");
    }
    assert_eq!(session_count(&app), 2);
}

#[tokio::test]
async fn deactivating_the_account_ends_its_sessions_at_once() {
    let (app, user, mut browser) = TestApp::with_browser().await;
    let second = Browser::signed_in(&app, &user).await;
    assert_eq!(browser.get("/profile").await.status(), 200);

    // Flipping the flag alone already locks the sessions out...
    app.with_conn(|c| accounts::set_active(c, user.account.id, false).unwrap());
    assert_see_other(&browser.get("/profile").await, "/login");
    assert_eq!(second.get("/profile.json").await.status(), 401);

    // ...and deleting them means reactivating does not bring them back.
    app.with_conn(|c| {
        assert_eq!(
            session_db::delete_for_account(c, user.account.id).unwrap(),
            2
        );
        accounts::set_active(c, user.account.id, true).unwrap()
    });
    assert_see_other(&browser.get("/profile").await, "/login");
    assert_see_other(&second.get("/profile").await, "/login");
    browser.sign_in(&user).await;
}

#[tokio::test]
async fn expired_sessions_are_refused() {
    let (app, _, browser) = TestApp::with_browser().await;
    let past = tessera::db::now() - time::Duration::seconds(1);
    app.with_conn(|c| {
        diesel::update(sessions::table)
            .set(sessions::expires_at.eq(past))
            .execute(c)
            .unwrap()
    });
    assert_see_other(&browser.get("/profile").await, "/login");
    assert_eq!(browser.get("/profile.json").await.status(), 401);
}

#[tokio::test]
async fn an_admin_deactivating_an_account_ends_its_sessions_for_good() {
    let app = TestApp::spawn().await;
    let admin = Browser::signed_in(&app, &app.admin()).await;
    let user = app.user();
    let browser = Browser::signed_in(&app, &user).await;
    let cookie = browser.cookie().unwrap();
    let acc = &user.account.account_id;

    let resp = admin
        .submit(&format!("/admin/users/{acc}/deactivate"), &[])
        .await;
    assert_eq!(resp.status(), 303);
    assert_see_other(&browser.get("/profile").await, "/login");
    let resp = admin
        .submit(&format!("/admin/users/{acc}/activate"), &[])
        .await;
    assert_eq!(resp.status(), 303);
    assert!(
        !signs_in(&app, &cookie).await,
        "reactivating does not revive old sessions"
    );
    Browser::new(&app).sign_in(&user).await;
}
