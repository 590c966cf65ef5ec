//! SIGTERM under load (SPEC §12): the real binary stops accepting,
//! finishes every request it accepted, and exits 0.

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{Served, TestDb, run_ok};

const REQUESTS: usize = 200;

#[tokio::test]
async fn sigterm_finishes_the_requests_in_flight_and_exits_0() {
    let db = TestDb::new();
    let mut server = Served::start(&db, |cmd| {
        cmd.env("TESSERA_LOG", "info")
            .env("TESSERA_MAX_TOKENS_PER_USER", "1000")
            .stderr(Stdio::piped());
    });
    let token = run_ok(
        &db,
        &["token", "create", "--user", "admin", "--label", "load"]
            .into_iter()
            .chain(["--scope", "tokens:write", "--scope", "tokens:read"])
            .collect::<Vec<_>>(),
    );
    let token = token.trim().to_owned();
    // A connection per request, closed after it: none sits idle in a pool,
    // where the server would close it under a request being sent.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let answered = Arc::new(AtomicUsize::new(0));
    // Real work: each request creates a token (a write transaction).
    let requests: Vec<_> = (0..REQUESTS)
        .map(|i| {
            let request = client
                .post(format!("{}/profile/tokens.json", server.base))
                .bearer_auth(&token)
                .json(&json!({"label": format!("load {i}"), "scopes": ["tokens:read"]}))
                .send();
            let answered = answered.clone();
            tokio::spawn(async move {
                let result = request.await.map(|r| r.status().as_u16());
                answered.fetch_add(1, Ordering::SeqCst);
                result
            })
        })
        .collect();
    while answered.load(Ordering::SeqCst) < 20 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let at_signal = answered.load(Ordering::SeqCst);
    let pid = server.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );

    let mut created = 0;
    let mut refused = 0;
    for request in requests {
        match request.await.unwrap() {
            Ok(status) => {
                assert_eq!(status, 201, "every accepted request is answered in full");
                created += 1;
            }
            // Connections made after the listener closed are refused: never
            // accepted, so never half answered.
            Err(e) if e.is_connect() => refused += 1,
            Err(e) => panic!("an accepted request failed: {e:?}"),
        }
    }
    assert!(
        created > at_signal,
        "requests were in flight at the signal: {at_signal} answered then, {created} in all, {refused} refused"
    );

    let started = Instant::now();
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < Duration::from_secs(40), "still running");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(status.success(), "exit status {status:?}");
    let mut log = String::new();
    server
        .child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(log.lines().last().unwrap().ends_with("stopped"), "{log}");

    // Everything answered 201 is there, and nothing else.
    let listed = run_ok(&db, &["token", "list", "--user", "admin"]);
    assert_eq!(
        listed.lines().filter(|l| l.contains("load ")).count(),
        created
    );
    println!(
        "shutdown figure: {at_signal} answered at SIGTERM, {created} created, {refused} refused, exit after {:?}",
        started.elapsed()
    );
}
