//! Crash safety on SQLite: the real binary is killed with SIGKILL in the
//! middle of a burst of token creations. After a restart the database file
//! must be intact and every creation that was answered 201 must have
//! survived, since a client may already have stored that secret.
//!
//! SQLite-only by nature (PostgreSQL's durability is PostgreSQL's), so it
//! uses its own SQLite file whatever TEST_DATABASE_URL says.

use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use diesel::sql_types::Text;
use diesel::{Connection, QueryableByName, RunQueryDsl, SqliteConnection};
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::helpers::{Served, TestDb, run_ok};

/// Writers hammering the server at once.
const WRITERS: usize = 8;
/// Answered creations to wait for before pulling the plug.
const KILL_AFTER: usize = 200;

/// The real binary on `db`, its log thrown away: nobody would read it,
/// and a full pipe stalls the server.
fn start(db: &TestDb) -> Served {
    Served::start(db, |cmd| {
        cmd.env("TESSERA_MAX_TOKENS_PER_USER", "100000")
            .env("TESSERA_LOG", "warn")
            .stderr(Stdio::null());
    })
}

#[derive(QueryableByName)]
struct IntegrityCheck {
    #[diesel(sql_type = Text)]
    integrity_check: String,
}

#[tokio::test]
async fn sigkill_during_a_burst_of_creations_loses_no_answered_token() {
    let db = TestDb::sqlite();
    run_ok(&db, &["user", "create", "crash"]);
    let boot = run_ok(
        &db,
        &[
            "token",
            "create",
            "--user",
            "crash",
            "--label",
            "writer",
            "--scope",
            "profile:read",
            "--scope",
            "tokens:write",
        ],
    )
    .trim_end()
    .to_owned();

    let mut server = start(&db);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let answered = Arc::new(Mutex::new(Vec::<String>::new()));
    let count = Arc::new(AtomicUsize::new(0));
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let (client, base, boot) = (client.clone(), server.base.clone(), boot.clone());
        let (answered, count) = (answered.clone(), count.clone());
        writers.push(tokio::spawn(async move {
            // Bounded: the kill normally ends the loop long before this.
            for i in 0..2_000 {
                let resp = client
                    .post(format!("{base}/profile/tokens.json"))
                    .bearer_auth(&boot)
                    .json(&json!({"label": format!("w{w} #{i}"), "scopes": ["profile:read"]}))
                    .send()
                    .await;
                let Ok(resp) = resp else { break };
                if resp.status() != 201 {
                    panic!("creation answered {} before the crash", resp.status());
                }
                // A body cut off by the kill does not count as answered.
                let Ok(body) = resp.json::<Value>().await else {
                    break;
                };
                answered
                    .lock()
                    .await
                    .push(body["secret"].as_str().unwrap().to_owned());
                count.fetch_add(1, Ordering::SeqCst);
            }
        }));
    }

    let started = Instant::now();
    while count.load(Ordering::SeqCst) < KILL_AFTER {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the burst never got going"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    // SIGKILL: no shutdown hook, no checkpoint, requests in flight.
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    for writer in writers {
        writer.await.unwrap();
    }
    let answered = answered.lock().await.clone();
    assert!(answered.len() >= KILL_AFTER);
    eprintln!("{} creations answered before SIGKILL", answered.len());

    let server = start(&db);
    let path = match &db.url {
        tessera::config::DatabaseUrl::Sqlite(path) => path.clone(),
        other => panic!("not SQLite: {other:?}"),
    };
    let mut conn = SqliteConnection::establish(&path.to_string_lossy()).unwrap();
    let check: Vec<IntegrityCheck> = diesel::sql_query("PRAGMA integrity_check")
        .load(&mut conn)
        .unwrap();
    assert_eq!(check.len(), 1);
    assert_eq!(check[0].integrity_check, "ok");

    for secret in &answered {
        let url = format!("{}/profile.json", server.base);
        let status = client.get(url).bearer_auth(secret).send().await.unwrap();
        assert_eq!(
            status.status(),
            200,
            "a token answered 201 before the crash ({}) was lost",
            &secret[..12]
        );
    }
}

/// The serving process checkpoints SQLite's WAL itself (`Db::
/// checkpoint_periodically`): without it, steady load never lets SQLite
/// restart the WAL and the file grows without bound.
#[tokio::test]
async fn the_wal_is_checkpointed_and_truncated_while_serving() {
    let db = TestDb::sqlite();
    let app = crate::helpers::TestApp::start(db.share(), crate::helpers::test_config(&db));
    let wal = match &db.url {
        tessera::config::DatabaseUrl::Sqlite(path) => path.with_extension("db-wal"),
        other => panic!("not SQLite: {other:?}"),
    };
    let wal_size = || {
        std::fs::metadata(&wal)
            .expect("the database is in WAL mode: the WAL is beside it")
            .len()
    };
    let user = app.user();
    for _ in 0..20 {
        app.token(&user.account, &["profile:read"]);
    }
    // Nothing checkpoints yet: the writes are in the WAL.
    assert!(wal_size() > 0, "the writes went to the WAL");

    app.db.checkpoint_periodically(Duration::from_millis(50));
    let started = Instant::now();
    loop {
        let size = wal_size();
        if size == 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the WAL still holds {size} bytes"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
