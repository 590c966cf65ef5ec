//! The change stamp (SQLite's read cache): bumped by the writes that change
//! a row, and by nothing else. These run on SQLite whatever the suite's
//! backend: PostgreSQL has no stamp and no read cache.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Browser, TestApp, TestDb, test_config};

fn sqlite_app() -> TestApp {
    let db = TestDb::sqlite();
    let config = test_config(&db);
    TestApp::start(db, config)
}

fn stamp(app: &TestApp) -> u64 {
    app.db.stamp().expect("SQLite keeps a change stamp")
}

/// Asserts that `what` left the stamp as it was.
fn unchanged(app: &TestApp, before: u64, what: &str) {
    assert_eq!(stamp(app), before, "{what} changed the stamp");
}

#[tokio::test]
async fn refused_and_empty_posts_leave_the_stamp_alone() {
    let app = sqlite_app();
    let user = app.user();
    let token = app.token(&user.account, &["tokens:read", "tokens:write"]);
    let id = app.own_token_id(&token).await;
    let browser = Browser::signed_in(&app, &user).await;
    let before = stamp(&app);

    // Anonymous: a page post is sent to sign in, a JSON post refused.
    let resp = app
        .api
        .post(app.url("/profile/tokens"))
        .form(&[("label", "x"), ("scopes", "tokens:read")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    unchanged(&app, before, "an anonymous form post");
    let resp = app
        .api
        .post(app.url("/profile/tokens.json"))
        .json(&json!({"label": "x", "scopes": ["tokens:read"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    unchanged(&app, before, "an anonymous JSON post");

    // Signed in, without the CSRF token.
    let resp = browser
        .post_form(
            "/profile/tokens",
            &[("label", "x"), ("scopes", "tokens:read")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    unchanged(&app, before, "a post refused for its CSRF token");

    // Bad input.
    let (status, _) = app
        .create_token_api(&token, json!({"label": "", "scopes": ["tokens:read"]}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    unchanged(&app, before, "a refused creation");

    // Asking for what already is: activating an active token.
    let resp = app
        .post_json(
            &format!("/profile/tokens/{id}/activate.json"),
            &token,
            &json!({}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    unchanged(&app, before, "activating an active token");
}

#[tokio::test]
async fn every_real_change_bumps_the_stamp() {
    let app = sqlite_app();
    let user = app.user();
    let token = app.token(&user.account, &["tokens:read", "tokens:write"]);
    app.own_token_id(&token).await;

    let mut before = stamp(&app);
    let mut changed = |what: &str| {
        let now = stamp(&app);
        assert_ne!(now, before, "{what} left the stamp as it was");
        before = now;
    };
    let (status, created) = app
        .create_token_api(&token, json!({"label": "new", "scopes": ["tokens:read"]}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    changed("creating a token");
    let id = created["token"]["id"].as_i64().unwrap();
    for action in ["deactivate", "activate"] {
        let path = format!("/profile/tokens/{id}/{action}.json");
        let resp = app.post_json(&path, &token, &json!({})).await;
        assert_eq!(resp.status(), StatusCode::OK);
        changed(action);
    }
    let resp = app
        .request(
            reqwest::Method::DELETE,
            &format!("/profile/tokens/{id}.json"),
            Some(&token),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    changed("deleting a token");
    Browser::signed_in(&app, &user).await;
    changed("signing in");
}

/// A reader's cache hit rate, while anyone else may be posting.
async fn reader_hits(app: &TestApp, token: &str, posting: Option<&TestApp>) -> (u64, u64) {
    // Warm: the token's use is recorded (a change) on its first call.
    assert_eq!(app.get("/profile.json", token).await.status(), 200);
    let stop = Arc::new(AtomicBool::new(false));
    let poster = posting.map(|app| {
        let (client, url, stop) = (app.api.clone(), app.url("/profile/tokens"), stop.clone());
        tokio::spawn(async move {
            let mut sent = 0;
            while sent < 1000 && !stop.load(Ordering::Relaxed) {
                let resp = client
                    .post(&url)
                    .form(&[("label", "x")])
                    .send()
                    .await
                    .unwrap();
                assert_eq!(resp.status(), StatusCode::SEE_OTHER);
                sent += 1;
            }
            sent
        })
    });
    let before = app.db.cache().unwrap().stats().tokens;
    for _ in 0..300 {
        assert_eq!(app.get("/profile.json", token).await.status(), 200);
    }
    let after = app.db.cache().unwrap().stats().tokens;
    stop.store(true, Ordering::Relaxed);
    if let Some(poster) = poster {
        assert!(
            poster.await.unwrap() > 100,
            "the posts ran beside the reader"
        );
    }
    (after.asked - before.asked, after.loaded - before.loaded)
}

#[tokio::test]
async fn anonymous_posts_do_not_empty_the_cache() {
    let app = sqlite_app();
    let user = app.user();
    let token = app.token(&user.account, &["profile:read"]);
    let (asked, quiet_loads) = reader_hits(&app, &token, None).await;
    assert_eq!(asked, 300);
    let (asked, busy_loads) = reader_hits(&app, &token, Some(&app)).await;
    assert_eq!(asked, 300);
    // Each load is a miss: the answer is kept for a second, so a few
    // misses are the clock's; anonymous posts must add none.
    assert!(
        busy_loads <= quiet_loads + 2,
        "misses went from {quiet_loads} to {busy_loads} of 300 under anonymous posts"
    );
}

#[tokio::test]
async fn concurrent_misses_for_one_token_read_the_database_once() {
    let app = sqlite_app();
    let user = app.user();
    let token = app.token(&user.account, &["profile:read"]);
    // Its use recorded, so the calls below write nothing.
    assert_eq!(app.get("/profile.json", &token).await.status(), 200);
    for round in 0..5 {
        app.db.note_change();
        let before = app.db.cache().unwrap().stats().tokens;
        let calls = (0..50).map(|_| app.get("/profile.json", &token));
        for resp in futures_util::future::join_all(calls).await {
            assert_eq!(resp.status(), 200);
        }
        let after = app.db.cache().unwrap().stats().tokens;
        assert_eq!(after.asked - before.asked, 50);
        assert_eq!(
            after.loaded - before.loaded,
            1,
            "round {round}: 50 concurrent misses for one token"
        );
    }
}
