//! `tessera backup PATH` (SPEC §12): a copy taken while the server writes
//! holds every token committed before the backup started, and a fresh
//! server on the copy (with the same secret key) accepts them.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use tessera::config::{DatabaseUrl, key_file_path};

use crate::helpers::{Served, TestDb, run_ok, run_refused, tessera};

#[tokio::test]
async fn a_backup_taken_during_writes_holds_every_token_committed_before_it() {
    let db = TestDb::new();
    let DatabaseUrl::Sqlite(path) = db.url.clone() else {
        let said = run_refused(&mut tessera(&db, &["backup", "/tmp/never-written.db"]));
        assert!(said.contains("pg_dump"), "{said}");
        return;
    };
    let server = Served::start(&db, |cmd| {
        cmd.env("TESSERA_MAX_TOKENS_PER_USER", "100000")
            .stderr(Stdio::null());
    });
    let writer_token = run_ok(
        &db,
        &["token", "create", "--user", "admin", "--label", "writer"]
            .into_iter()
            .chain(["--scope", "tokens:write", "--scope", "profile:read"])
            .collect::<Vec<_>>(),
    )
    .trim()
    .to_owned();

    // Each token created, with when its creation was answered.
    let created: Arc<Mutex<Vec<(Instant, String)>>> = Arc::default();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (created, done, base) = (created.clone(), done.clone(), server.base.clone());
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut i = 0;
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                i += 1;
                let resp = client
                    .post(format!("{base}/profile/tokens.json"))
                    .bearer_auth(&writer_token)
                    .json(&json!({"label": format!("w{i}"), "scopes": ["profile:read"]}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(resp.status(), 201);
                let body: serde_json::Value = resp.json().await.unwrap();
                let secret = body["secret"].as_str().unwrap().to_owned();
                created.lock().unwrap().push((Instant::now(), secret));
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;

    let copy = path.with_file_name("copy.db");
    let started = Instant::now();
    let said = {
        let db_url = db.url_string.clone();
        let copy = copy.to_str().unwrap().to_owned();
        tokio::task::spawn_blocking(move || {
            let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_tessera"));
            cmd.env_clear()
                .env("TESSERA_DATABASE_URL", db_url)
                .args(["backup", &copy]);
            let out = cmd.output().unwrap();
            assert!(out.status.success(), "{out:?}");
            String::from_utf8(out.stdout).unwrap()
        })
        .await
        .unwrap()
    };
    let finished = Instant::now();
    // The writer goes on a little after the copy, then stops.
    tokio::time::sleep(Duration::from_millis(100)).await;
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    writer.await.unwrap();
    assert!(said.contains("secret key"), "{said}");
    drop(server);

    let created = created.lock().unwrap().clone();
    let before: Vec<&String> = created
        .iter()
        .filter(|(at, _)| *at < started)
        .map(|(_, secret)| secret)
        .collect();
    let during = created
        .iter()
        .filter(|(at, _)| *at >= started && *at <= finished)
        .count();
    assert!(before.len() >= 5, "{} written before", before.len());

    // The copy, with the database's key beside it, as an operator restores.
    std::fs::copy(key_file_path(&path), key_file_path(&copy)).unwrap();
    let restored = Served::start(&db, |cmd| {
        cmd.env(
            "TESSERA_DATABASE_URL",
            format!("sqlite://{}", copy.display()),
        )
        .stderr(Stdio::null());
    });
    let client = reqwest::Client::new();
    for secret in &before {
        let resp = client
            .get(format!("{}/profile.json", restored.base))
            .bearer_auth(secret)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "a token committed before the backup");
    }
    println!(
        "backup figure: {} tokens before, {during} written during the {:?} copy, {} in all",
        before.len(),
        finished - started,
        created.len()
    );
}
