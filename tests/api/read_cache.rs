//! The read cache (src/db/cache.rs): answers kept in memory must never
//! outlive a change. Changes made through tessera (its HTTP interface, its
//! CLI in another process, another instance) are seen on the very next
//! request; changes made behind its back (plain SQL) within the cache's
//! maximum age. Each runs on both backends: what a caller sees must not
//! depend on whether anything was kept.

use std::time::Duration;

use diesel::prelude::*;
use reqwest::Method;
use serde_json::json;
use tessera::db::schema::api_tokens;

use crate::cli::run_ok;
use crate::helpers::{Browser, TestApp, listed, meta_csrf};

#[tokio::test]
async fn a_token_revoked_by_the_cli_is_refused_by_a_running_server_at_once() {
    let (app, _, secret) = TestApp::with_token(&["profile:read", "tokens:read"]).await;
    let id = app.own_token_id(&secret).await;
    // Used again and again: on SQLite, answered from memory by now.
    for _ in 0..3 {
        assert_eq!(app.get("/profile/tokens.json", &secret).await.status(), 200);
        assert_eq!(app.get("/profile.json", &secret).await.status(), 200);
    }

    // Another process (the CLI) deletes it.
    run_ok(&app.test_db, &["token", "revoke", &id.to_string()]);

    app.assert_refused("/profile/tokens.json", &secret).await;
    app.assert_refused("/profile.json", &secret).await;
}

#[tokio::test]
async fn a_list_read_from_memory_shows_a_change_made_through_the_api_at_once() {
    let (app, _, secret) = TestApp::with_token(&["tokens:read", "tokens:write"]).await;
    let before = app.get_json("/profile/tokens.json", &secret).await;
    let again = app.get_json("/profile/tokens.json", &secret).await;
    assert_eq!(before, again);
    assert_eq!(before["tokens"].as_array().unwrap().len(), 1);

    let created = app
        .mint(
            &secret,
            json!({"label": "second", "scopes": ["tokens:read"]}),
        )
        .await;
    let after = app.get_json("/profile/tokens.json", &secret).await;
    let labels = listed(&after, "label");
    assert_eq!(labels, ["second", "test token"]);

    // Deactivated through the API: its status changes in the list at once.
    let new_id = created["token"]["id"].as_i64().unwrap();
    let path = format!("/profile/tokens/{new_id}/deactivate.json");
    let resp = app.call(Method::POST, &path, Some(&secret)).await;
    assert_eq!(resp.status(), 200);
    let after = app.get_json("/profile/tokens.json", &secret).await;
    assert_eq!(after["tokens"][0]["status"], "deactivated");
}

#[tokio::test]
async fn a_change_made_behind_tesseras_back_is_seen_within_the_cache_age() {
    let (app, _, secret) = TestApp::with_token(&["profile:read"]).await;
    for _ in 0..3 {
        assert_eq!(app.get("/profile.json", &secret).await.status(), 200);
    }

    // An operator's own SQL: tessera is not told.
    app.with_conn(|c| {
        diesel::update(api_tokens::table)
            .set(api_tokens::active.eq(false))
            .execute(c)
            .unwrap()
    });

    tokio::time::sleep(tessera::db::cache::MAX_AGE + Duration::from_millis(100)).await;
    app.assert_refused("/profile.json", &secret).await;
}

/// The profile page is kept per session; whatever is kept, each session
/// gets its own page, and a token made or revoked in one session shows in
/// the other at once, while the token itself is refused on the next
/// request by every instance.
#[tokio::test]
async fn a_kept_page_belongs_to_its_session_and_shows_changes_at_once() {
    let app = TestApp::spawn().await;
    let other = TestApp::start(app.test_db.share(), app.config.clone());
    let user = app.user();
    let first = Browser::signed_in(&app, &user).await;
    let second = Browser::signed_in(&app, &user).await;
    assert_ne!(first.csrf, second.csrf, "two sessions, two CSRF tokens");
    // The first view after sign-in carries the one-time welcome; the next
    // ones are the page that is kept.
    for browser in [&first, &second] {
        for _ in 0..3 {
            let page = browser.page("/profile").await;
            assert_eq!(meta_csrf(&page), browser.csrf, "a page of its own session");
        }
    }

    // Made in the first session: shown on the second session's page.
    let created = first
        .mint(json!({"label": "made meanwhile", "scopes": ["profile:read"]}))
        .await;
    let secret = created["secret"].as_str().unwrap();
    let id = created["token"]["id"].as_i64().unwrap();
    for browser in [&second, &first] {
        let page = browser.page("/profile").await;
        assert!(page.contains("made meanwhile"), "the new token is listed");
        assert_eq!(meta_csrf(&page), browser.csrf);
    }
    for instance in [&app, &other, &app, &other] {
        assert_eq!(instance.get("/profile.json", secret).await.status(), 200);
    }

    // Deleted in the second session: gone from the first session's page,
    // and refused by both instances on the very next request.
    let resp = second
        .json(Method::DELETE, &format!("/profile/tokens/{id}.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    for browser in [&first, &second] {
        let page = browser.page("/profile").await;
        assert!(!page.contains("made meanwhile"), "the token is gone");
    }
    app.assert_refused("/profile.json", secret).await;
    other.assert_refused("/profile.json", secret).await;
}
