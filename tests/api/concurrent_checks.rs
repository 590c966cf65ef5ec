//! Token checks under concurrency. On PostgreSQL the checks of concurrent
//! requests are asked together (src/db/batch.rs); on SQLite many are
//! answered from memory (src/db/cache.rs). Either way each caller must get
//! exactly its own answer, and a revocation must reach the very next
//! request while other callers keep the server busy.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use diesel::prelude::*;
use futures_util::future::join_all;
use reqwest::Method;
use serde_json::Value;
use tessera::db::schema::accounts;

use crate::helpers::TestApp;

/// The ids of the tokens listed for `secret`, asked alone.
async fn listed_ids(app: &TestApp, secret: &str) -> BTreeSet<i64> {
    let resp = app.get("/profile/tokens.json", secret).await;
    assert_eq!(resp.status(), 200);
    ids_in(&resp.json().await.unwrap())
}

fn ids_in(list: &Value) -> BTreeSet<i64> {
    list["tokens"]
        .as_array()
        .expect("a token list")
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect()
}

/// Deactivates (`"deactivate"`) or deletes (`"delete"`) token `id` through
/// the API, with `manager`'s tokens:write token.
async fn revoke(app: &TestApp, manager: &str, id: i64, how: &str) {
    let (method, path) = match how {
        "deactivate" => (
            Method::POST,
            format!("/profile/tokens/{id}/deactivate.json"),
        ),
        _ => (Method::DELETE, format!("/profile/tokens/{id}.json")),
    };
    let resp = app.call(method, &path, Some(manager)).await;
    assert!(resp.status().is_success(), "{how}: {}", resp.status());
}

/// What one caller must be told.
enum Expect {
    /// 200: this account, and on the token list exactly these tokens.
    Ok {
        account_id: String,
        ids: BTreeSet<i64>,
    },
    /// 200 for the profile, 403 for the token list.
    NoTokenScope {
        account_id: String,
    },
    Refused,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_callers_each_get_their_own_answer() {
    let app = TestApp::spawn().await;
    let mut callers: Vec<(String, Expect)> = Vec::new();
    // Five accounts holding one to five tokens each; the caller lists them.
    for extra in 0..5 {
        let user = app.user();
        let secret = app.token(&user.account, &["profile:read", "tokens:read"]);
        for _ in 0..extra {
            app.token(&user.account, &["profile:read"]);
        }
        let ids = listed_ids(&app, &secret).await;
        assert_eq!(ids.len(), extra + 1);
        callers.push((
            secret,
            Expect::Ok {
                account_id: user.account.account_id.clone(),
                ids,
            },
        ));
    }
    // One that may read the profile but not list tokens.
    let reader = app.user();
    callers.push((
        app.token(&reader.account, &["profile:read"]),
        Expect::NoTokenScope {
            account_id: reader.account.account_id.clone(),
        },
    ));
    // Refused: a deactivated token, a deleted one, one whose owner was
    // deactivated.
    let owner = app.user();
    let manager = app.token(&owner.account, &["tokens:read", "tokens:write"]);
    let deactivated = app.token(&owner.account, &["profile:read", "tokens:read"]);
    let deleted = app.token(&owner.account, &["profile:read", "tokens:read"]);
    for (secret, action) in [(&deactivated, "deactivate"), (&deleted, "delete")] {
        let id = app.own_token_id(secret).await;
        revoke(&app, &manager, id, action).await;
    }
    let gone = app.user();
    let orphan = app.token(&gone.account, &["profile:read", "tokens:read"]);
    app.with_conn(|conn| {
        diesel::update(accounts::table.find(gone.account.id))
            .set(accounts::active.eq(false))
            .execute(conn)
            .unwrap()
    });
    for secret in [deactivated, deleted, orphan] {
        callers.push((secret, Expect::Refused));
    }

    // 12 rounds of every caller on both endpoints, all at once.
    let callers = Arc::new(callers);
    let requests = (0..12 * callers.len() * 2).map(|k| {
        let (app, callers) = (&app, callers.clone());
        async move {
            let (secret, expect) = &callers[(k / 2) % callers.len()];
            let path = if k % 2 == 0 {
                "/profile/tokens.json"
            } else {
                "/profile.json"
            };
            let resp = app.get(path, secret).await;
            let status = resp.status().as_u16();
            let body: Value = resp.json().await.unwrap_or(Value::Null);
            match (expect, path) {
                (Expect::Ok { ids, .. }, "/profile/tokens.json") => {
                    assert_eq!(status, 200, "{path}: {body}");
                    assert_eq!(&ids_in(&body), ids, "another caller's tokens");
                }
                (Expect::Ok { account_id, .. }, _)
                | (Expect::NoTokenScope { account_id }, "/profile.json") => {
                    assert_eq!(status, 200, "{path}: {body}");
                    assert_eq!(&body["account_id"], account_id.as_str());
                }
                (Expect::NoTokenScope { .. }, _) => {
                    assert_eq!(status, 403, "{path}: {body}");
                    assert_eq!(body["error"]["code"], "insufficient_scope");
                }
                (Expect::Refused, _) => {
                    assert_eq!(status, 401, "{path}: {body}");
                    assert_eq!(body["error"]["code"], "unauthenticated");
                }
            }
        }
    });
    join_all(requests).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_revocation_reaches_the_next_request_while_others_keep_the_server_busy() {
    let app = Arc::new(TestApp::spawn().await);
    let busy = app.user();
    let busy_token = app.token(&busy.account, &["profile:read", "tokens:read"]);
    let user = app.user();
    let manager = app.token(&user.account, &["tokens:read", "tokens:write"]);

    // Eight callers asking without pause, so checks are in flight (and on
    // PostgreSQL, batches queued) whenever the revoked token is presented.
    let stop = Arc::new(AtomicBool::new(false));
    let load: Vec<_> = (0..8)
        .map(|_| {
            let (app, stop, token) = (app.clone(), stop.clone(), busy_token.clone());
            tokio::spawn(async move {
                let mut answered = 0u32;
                while !stop.load(Ordering::Relaxed) {
                    let resp = app.get("/profile/tokens.json", &token).await;
                    assert_eq!(resp.status(), 200);
                    answered += 1;
                }
                answered
            })
        })
        .collect();

    for round in 0..10 {
        let victim = app.token(&user.account, &["profile:read", "tokens:read"]);
        let id = app.own_token_id(&victim).await;
        assert_eq!(app.get("/profile.json", &victim).await.status(), 200);
        let action = if round % 2 == 0 {
            "delete"
        } else {
            "deactivate"
        };
        revoke(&app, &manager, id, action).await;
        app.assert_refused("/profile/tokens.json", &victim).await;
        app.assert_refused("/profile.json", &victim).await;
    }

    stop.store(true, Ordering::Relaxed);
    for task in load {
        assert!(task.await.unwrap() > 0, "the load ran alongside");
    }
}
