//! Many writers at once on one account: every change is answered 2xx.
//!
//! On SQLite a transaction that reads before it writes cannot wait for the
//! write lock once another connection has committed since its read began:
//! SQLite answers "database is locked" at once (SQLITE_BUSY_SNAPSHOT), which
//! tessera turns into a 503. bench/soak.sh found deactivations and
//! deletions failing that way; write transactions now take the lock first.

use futures_util::future::join_all;
use reqwest::Method;
use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn concurrent_creations_changes_and_deletions_never_answer_503() {
    let app = TestApp::spawn_with(|c| {
        c.pool_size = 8;
        c.max_tokens_per_user = 10_000;
    })
    .await;
    let user = app.user();
    let token = app.token(&user.account, &["profile:read", "tokens:write"]);
    let app = &app;
    let token = token.as_str();

    let workers = (0..16).map(|w| async move {
        let mut statuses = Vec::new();
        for i in 0..8 {
            let (status, created) = app
                .create_token_api(
                    token,
                    json!({"label": format!("w{w} #{i}"), "scopes": ["profile:read"]}),
                )
                .await;
            statuses.push(("create", status.as_u16()));
            let Some(id) = created["token"]["id"].as_i64() else {
                continue;
            };
            for (method, path) in [
                (
                    Method::POST,
                    format!("/profile/tokens/{id}/deactivate.json"),
                ),
                (Method::POST, format!("/profile/tokens/{id}/activate.json")),
                (Method::DELETE, format!("/profile/tokens/{id}.json")),
            ] {
                let resp = app.call(method, &path, Some(token)).await;
                statuses.push(("change", resp.status().as_u16()));
            }
        }
        statuses
    });
    let statuses: Vec<_> = join_all(workers).await.into_iter().flatten().collect();
    assert_eq!(statuses.len(), 16 * 8 * 4);
    let failed: Vec<_> = statuses
        .iter()
        .filter(|(_, s)| !(200..300).contains(s))
        .collect();
    assert!(failed.is_empty(), "{} failed: {failed:?}", failed.len());
}
