//! The maximum token lifetime binds the command line too: a server records
//! it in the database when it starts, and `tessera token create` (run
//! without the server's environment) reads it from there.

use std::io::{BufRead, BufReader};
use std::process::{Output, Stdio};

use tessera::actions::{self, Actor, TokenRequest};
use tessera::config::resolve_secret_key;
use tessera::db::Db;
use tessera::db::models::accounts;

use crate::cli::{run_ok, tessera};
use crate::helpers::{TestDb, test_config};

/// Starts the real server with these variables, waits until it listens
/// (its settings are recorded by then), and stops it.
fn start_server(db: &TestDb, vars: &[(&str, &str)]) {
    let mut cmd = tessera(db, &["serve", "--bind", "127.0.0.1:0"]);
    cmd.envs(vars.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let listening = lines.any(|line| line.unwrap().starts_with("tessera listening on"));
    let _ = child.kill();
    let _ = child.wait();
    assert!(listening, "the server did not start");
}

fn create(db: &TestDb, vars: &[(&str, &str)], extra: &[&str]) -> Output {
    let mut args = vec!["token", "create", "--user", "alice", "--label", "ci"];
    args.extend_from_slice(extra);
    tessera(db, &args)
        .envs(vars.iter().copied())
        .output()
        .unwrap()
}

fn refused(out: &Output) -> String {
    assert!(!out.status.success(), "accepted: {out:?}");
    assert!(out.stdout.is_empty(), "a refusal prints no token");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The EXPIRES column of `token list` for the newest token (highest id).
fn newest_expiry(db: &TestDb) -> String {
    let list = run_ok(db, &["token", "list", "--user", "alice"]);
    let columns = list
        .lines()
        .skip(1)
        .map(|line| line.split_whitespace().collect::<Vec<_>>())
        .max_by_key(|columns| columns[0].parse::<i64>().unwrap())
        .expect("a token is listed");
    columns[5].to_owned()
}

#[test]
fn token_create_obeys_the_lifetime_limit_the_server_started_with() {
    let db = TestDb::new();
    run_ok(&db, &["user", "create", "alice"]);
    start_server(&db, &[("TESSERA_MAX_TOKEN_LIFETIME_DAYS", "30")]);

    // Without the flag it would never expire: refused, naming the limit
    // and the flag to give.
    let err = refused(&create(&db, &[], &[]));
    assert!(err.contains("--expires-in-hours"), "{err}");
    assert!(err.contains("30 days"), "{err}");
    assert!(err.contains("720"), "{err}");
    let err = refused(&create(&db, &[], &["--expires-in-hours", "0"]));
    assert!(err.contains("30 days"), "{err}");
    let err = refused(&create(&db, &[], &["--expires-in-hours", "721"]));
    assert!(err.contains("720 hours"), "{err}");
    let listed = run_ok(&db, &["token", "list", "--user", "alice"]);
    assert_eq!(listed.lines().count(), 1, "nothing was created: {listed}");

    let out = create(&db, &[], &["--expires-in-hours", "720"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap();
    assert_eq!(token.trim_end().len(), 42);
    assert_ne!(newest_expiry(&db), "never");

    // The stricter of the database's limit and the command's own.
    let own_week = [("TESSERA_MAX_TOKEN_LIFETIME_DAYS", "7")];
    let err = refused(&create(&db, &own_week, &["--expires-in-hours", "240"]));
    assert!(err.contains("7 days"), "{err}");
    let own_longer = [("TESSERA_MAX_TOKEN_LIFETIME_DAYS", "60")];
    let err = refused(&create(&db, &own_longer, &["--expires-in-hours", "1000"]));
    assert!(err.contains("30 days"), "{err}");

    // Every other writer too: a server process started without the
    // setting, creating a token on this database.
    let mut config = test_config(&db);
    config.secret_key = resolve_secret_key(
        (!db.is_sqlite()).then(|| "ab".repeat(32)).as_deref(),
        &db.url,
    )
    .unwrap();
    assert_eq!(config.max_token_lifetime_days, None);
    let app_db = Db::open(&config.database, 1).unwrap();
    let mut conn = app_db.get().unwrap();
    let alice = accounts::find_by_username(&mut conn, "alice")
        .unwrap()
        .unwrap();
    let spec = TokenRequest {
        label: Some("from a server".into()),
        scopes: Some(vec!["tokens:read".into()]),
        expires_in_hours: None,
        ..Default::default()
    }
    .check(&config, &alice, None)
    .expect("the process alone would allow it");
    let err = actions::create_token(&mut conn, &config, &alice, &spec, Actor::console())
        .expect_err("the database's limit applies");
    assert_eq!(err.field(), Some("expires_in_hours"));
    drop(conn);

    // A server started again without the variable lifts the limit.
    start_server(&db, &[]);
    let out = create(&db, &[], &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(newest_expiry(&db), "never");
}
