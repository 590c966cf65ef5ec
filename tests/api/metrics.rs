//! `GET /metrics` (SPEC §12): the Prometheus text format, for `metrics:read`
//! tokens, or on `TESSERA_METRICS_BIND` alone. (scripts/metrics-check.sh
//! parses it with Prometheus's own Python parser.)

use std::collections::HashMap;
use std::process::Stdio;

use reqwest::Method;
use tessera::tokens::PlainToken;

use crate::helpers::{Served, TestApp, TestDb, assert_error};

/// `series{labels}` -> value, from the text format.
fn samples(text: &str) -> HashMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (series, value) = l.rsplit_once(' ').unwrap();
            (series.to_owned(), value.parse().unwrap())
        })
        .collect()
}

async fn scrape(app: &TestApp, token: &str) -> (String, HashMap<String, f64>) {
    let resp = app.get("/metrics", token).await;
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = resp.text().await.unwrap();
    let parsed = samples(&text);
    (text, parsed)
}

fn moved(before: &HashMap<String, f64>, after: &HashMap<String, f64>, series: &str) -> f64 {
    after
        .get(series)
        .copied()
        .unwrap_or_else(|| panic!("no {series}"))
        - before.get(series).copied().unwrap_or(0.0)
}

#[tokio::test]
async fn counters_move_by_route_status_and_check_result() {
    let app = TestApp::spawn().await;
    let admin = app.admin();
    let watcher = app.token(&admin.account, &["metrics:read"]);
    let user = app.user();
    let reader = app.token(&user.account, &["profile:read"]);

    // Who may scrape: metrics:read only.
    assert_error(
        app.call(Method::GET, "/metrics", None).await,
        401,
        "unauthenticated",
        None,
    )
    .await;
    assert_eq!(app.get("/metrics", &reader).await.status(), 403);
    let plain_admin = app.token(&admin.account, &["profile:read"]);
    assert_eq!(app.get("/metrics", &plain_admin).await.status(), 403);

    let (_, before) = scrape(&app, &watcher).await;
    let unknown = PlainToken::generate().into_exposed();
    for _ in 0..3 {
        assert_eq!(app.get("/profile.json", &reader).await.status(), 200);
    }
    assert_eq!(app.get("/profile.json", &unknown).await.status(), 401);
    assert_eq!(app.get("/profile.json", "tsr_garbage").await.status(), 401);
    let resp = app.request(Method::DELETE, "/profile/tokens/987654.json", Some(&reader));
    assert_eq!(resp.send().await.unwrap().status(), 403);
    assert_eq!(
        app.call(Method::GET, "/no/such/987654", None)
            .await
            .status(),
        404
    );
    let (text, after) = scrape(&app, &watcher).await;

    // The counters are the process's, shared with other tests running at
    // the same time: they moved at least this much.
    let at_least = |series: &str, n: f64| {
        let by = moved(&before, &after, series);
        assert!(by >= n, "{series} moved by {by}, not {n}");
    };
    at_least(
        r#"tessera_http_requests_total{route="/profile.json",status="200"}"#,
        3.0,
    );
    at_least(
        r#"tessera_http_requests_total{route="/profile.json",status="401"}"#,
        2.0,
    );
    at_least(
        r#"tessera_http_requests_total{route="/profile/tokens/{id}.json",status="403"}"#,
        1.0,
    );
    at_least(
        r#"tessera_http_requests_total{route="unmatched",status="404"}"#,
        1.0,
    );
    at_least(
        r#"tessera_http_request_duration_seconds_count{route="/profile.json"}"#,
        5.0,
    );
    at_least(
        r#"tessera_http_request_duration_seconds_bucket{route="/profile.json",le="+Inf"}"#,
        5.0,
    );
    at_least(r#"tessera_token_checks_total{result="ok"}"#, 4.0);
    at_least(r#"tessera_token_checks_total{result="unknown"}"#, 1.0);
    at_least(r#"tessera_token_checks_total{result="bad_checksum"}"#, 1.0);
    if app.test_db.is_sqlite() {
        at_least(r#"tessera_cache_requests_total{kind="token"}"#, 4.0);
        assert!(after.contains_key(r#"tessera_cache_misses_total{kind="token"}"#));
    }
    assert!(after[r#"tessera_db_pool_max_connections"#] >= 1.0);
    assert!(after.contains_key("tessera_db_pool_connections"));
    assert!(after.contains_key("tessera_db_pool_waits_total"));
    assert!(after.contains_key(r#"tessera_mails_total{result="sent"}"#));
    // No id, path or token became a label.
    for secret in ["987654", &reader[4..], &unknown[4..], "garbage", "/no/such"] {
        assert!(!text.contains(secret), "{secret} in /metrics");
    }
}

#[tokio::test]
async fn on_its_own_listener_metrics_are_open_there_and_gone_from_the_main_one() {
    let db = TestDb::new();
    let server = Served::start(&db, |cmd| {
        cmd.env("TESSERA_METRICS_BIND", "127.0.0.1:0")
            .stderr(Stdio::null());
    });
    let url = server
        .stdout
        .iter()
        .find_map(|l| l.strip_prefix("tessera metrics on "))
        .expect("the metrics address is printed")
        .to_owned();
    let client = reqwest::Client::new();
    let resp = client.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.unwrap();
    assert!(
        text.contains("# TYPE tessera_http_requests_total counter"),
        "{text}"
    );
    let elsewhere = url.replace("/metrics", "/profile.json");
    assert_eq!(client.get(elsewhere).send().await.unwrap().status(), 404);
    let main = client
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(main.status(), 404);
}
