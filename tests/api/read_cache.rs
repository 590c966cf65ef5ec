//! The read cache (src/db/cache.rs): answers kept in memory must never
//! outlive a change. Changes made through tessera (its HTTP interface, its
//! CLI in another process) are seen on the very next request; changes made
//! behind its back (plain SQL) within the cache's maximum age.

use std::time::Duration;

use diesel::{Connection, RunQueryDsl};
use reqwest::Method;
use serde_json::Value;
use tessera::config::DatabaseUrl;

use crate::cli::run_ok;
use crate::helpers::TestApp;

#[tokio::test]
async fn a_token_revoked_by_the_cli_is_refused_by_a_running_server_at_once() {
    let app = TestApp::spawn().await;
    let user = app.user();
    let secret = app.token(&user.account, &["profile:read", "tokens:read"]);
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
    let app = TestApp::spawn().await;
    let user = app.user();
    let secret = app.token(&user.account, &["tokens:read", "tokens:write"]);
    let before: Value = app
        .get("/profile/tokens.json", &secret)
        .await
        .json()
        .await
        .unwrap();
    let again: Value = app
        .get("/profile/tokens.json", &secret)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(before, again);
    assert_eq!(before["tokens"].as_array().unwrap().len(), 1);

    let (code, created) = app
        .create_token_api(
            &secret,
            serde_json::json!({"label": "second", "scopes": ["tokens:read"]}),
        )
        .await;
    assert_eq!(code, 201, "{created}");
    let after: Value = app
        .get("/profile/tokens.json", &secret)
        .await
        .json()
        .await
        .unwrap();
    let labels: Vec<&str> = after["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["second", "test token"]);

    // Deactivated through the API: its status changes in the list at once.
    let new_id = created["token"]["id"].as_i64().unwrap();
    let resp = app
        .request(
            Method::POST,
            &format!("/profile/tokens/{new_id}/deactivate.json"),
            Some(&secret),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let after: Value = app
        .get("/profile/tokens.json", &secret)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(after["tokens"][0]["status"], "deactivated");
}

#[tokio::test]
async fn a_change_made_behind_tesseras_back_is_seen_within_the_cache_age() {
    let app = TestApp::spawn().await;
    let DatabaseUrl::Sqlite(path) = app.test_db.url.clone() else {
        return; // nothing is cached on PostgreSQL
    };
    let user = app.user();
    let secret = app.token(&user.account, &["profile:read"]);
    for _ in 0..3 {
        assert_eq!(app.get("/profile.json", &secret).await.status(), 200);
    }

    // An operator's own SQL: no change stamp is written.
    let mut raw = diesel::SqliteConnection::establish(&path.to_string_lossy()).unwrap();
    diesel::sql_query("UPDATE api_tokens SET active = 0")
        .execute(&mut raw)
        .unwrap();

    tokio::time::sleep(tessera::db::cache::MAX_AGE + Duration::from_millis(100)).await;
    app.assert_refused("/profile.json", &secret).await;
}

#[tokio::test]
async fn a_kept_page_belongs_to_its_session_and_shows_changes_at_once() {
    use crate::multi_instance::{browse, meta_csrf, sign_in};
    let app = TestApp::spawn().await;
    let user = app.user();
    let first = sign_in(&app, &user.account.username, &user.password).await;
    let second = sign_in(&app, &user.account.username, &user.password).await;
    // The first view after sign-in carries the one-time welcome; the next
    // ones are the page that is kept.
    for cookie in [&first, &second] {
        browse(&app, "/profile", cookie).await;
    }
    let (code, page_one) = browse(&app, "/profile", &first).await;
    assert_eq!(code, 200);
    let (_, page_one_again) = browse(&app, "/profile", &first).await;
    assert_eq!(page_one, page_one_again);
    let (_, page_two) = browse(&app, "/profile", &second).await;
    assert_ne!(
        meta_csrf(&page_one),
        meta_csrf(&page_two),
        "each session's page carries its own CSRF token"
    );

    // A token made elsewhere (the API) shows on both pages at once.
    let secret = app.token(&user.account, &["tokens:read", "tokens:write"]);
    let (code, _) = app
        .create_token_api(
            &secret,
            serde_json::json!({"label": "made meanwhile", "scopes": ["tokens:read"]}),
        )
        .await;
    assert_eq!(code, 201);
    for cookie in [&first, &second] {
        let (code, page) = browse(&app, "/profile", cookie).await;
        assert_eq!(code, 200);
        assert!(page.contains("made meanwhile"));
    }
}
