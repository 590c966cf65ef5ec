//! The binary itself, as users run it.

use std::process::Stdio;

use serde_json::Value;

use crate::helpers::{Served, TestDb, contains, run_refused};

// Others reach the binary through these names too.
#[allow(unused_imports)]
pub(crate) use crate::helpers::{run_ok, tessera};

#[test]
fn user_and_token_commands() {
    let db = TestDb::new();
    let out = run_ok(&db, &["user", "create", "alice"]);
    let password = out.split_whitespace().last().unwrap();
    assert_eq!(password.len(), 20, "{out}");
    assert!(out.contains("acc_"));

    let token = run_ok(
        &db,
        &[
            "token",
            "create",
            "--user",
            "alice",
            "--label",
            "deploy",
            "--scope",
            "tokens:read",
            "--expires-in-hours",
            "24",
        ],
    );
    assert_eq!(
        token.trim_end().len(),
        42,
        "only the token is printed: {token:?}"
    );
    assert!(tessera::tokens::PlainToken::parse(token.trim_end()).is_ok());

    let list = run_ok(&db, &["token", "list", "--user", "alice"]);
    assert!(list.contains(&token[..12]), "{list}");
    assert!(
        !list.contains(token.trim_end()),
        "the list never shows the secret"
    );
    assert!(list.contains("deploy"));

    // Refusals are clear and name the problem.
    let create = ["token", "create", "--user"];
    for (args, says) in [
        (
            [
                &create[..],
                &["alice", "--label", "x", "--scope", "admin:read"],
            ]
            .concat(),
            "scopes",
        ),
        (
            [&create[..], &["nobody", "--label", "x"]].concat(),
            "nobody",
        ),
        (vec!["user", "create", "alice"], "taken"),
        (vec!["user", "create", "bad name!"], "username"),
    ] {
        let said = run_refused(&mut tessera(&db, &args));
        assert!(said.contains(says), "{args:?}: {said}");
    }

    let id = list
        .lines()
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let out = run_ok(&db, &["token", "revoke", &id]);
    assert!(out.contains(&token[..12]));
    let list = run_ok(&db, &["token", "list"]);
    assert!(!list.contains(&token[..12]));
    let out = tessera(&db, &["token", "revoke", &id]).output().unwrap();
    assert!(!out.status.success());
}

#[test]
fn bad_settings_are_refused_with_the_variable_named() {
    let db = TestDb::new();
    // (what is set, what is removed, the variable the refusal names)
    for (set, removed, says) in [
        (
            ("TESSERA_DATABASE_URL", "mysql://x"),
            None,
            "TESSERA_DATABASE_URL",
        ),
        (
            ("TESSERA_DATABASE_URL", "postgres://127.0.0.1:1/x"),
            Some("TESSERA_SECRET_KEY"),
            "TESSERA_SECRET_KEY",
        ),
        (
            ("TESSERA_SECRET_KEY", "tooshort"),
            None,
            "TESSERA_SECRET_KEY",
        ),
    ] {
        let mut cmd = tessera(&db, &["migrate"]);
        cmd.env(set.0, set.1);
        if let Some(name) = removed {
            cmd.env_remove(name);
        }
        let said = run_refused(&mut cmd);
        assert!(said.contains(says), "{set:?}: {said}");
    }
    assert_eq!(run_ok(&db, &["migrate"]).lines().count(), 1);
}

#[tokio::test]
async fn first_start_prints_the_admin_password_once_and_secrets_stay_secret() {
    let db = TestDb::new();
    let serve = || {
        Served::start(&db, |cmd| {
            cmd.env("TESSERA_LOG", "info").stderr(Stdio::piped());
        })
    };
    let server = serve();
    let password = server.first_password().expect("the first start prints it");
    assert_eq!(password.len(), 20);

    let token = run_ok(
        &db,
        &[
            "token",
            "create",
            "--user",
            "admin",
            "--label",
            "ops",
            "--scope",
            "tokens:read",
            "--scope",
            "tokens:write",
            "--scope",
            "profile:read",
        ],
    );
    let token = token.trim_end().to_owned();
    let client = reqwest::Client::new();
    let base = server.base.clone();
    let status_of = |path: String| {
        let request = client.get(format!("{base}{path}")).send();
        async { request.await.unwrap().status() }
    };
    assert_eq!(
        status_of(format!("/profile.json?api_token={token}")).await,
        200
    );
    let created: Value = client
        .post(format!("{base}/profile/tokens.json"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"label": "second", "scopes": ["tokens:read"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let second = created["secret"].as_str().unwrap().to_owned();
    let listed = status_of(format!("/profile/tokens.json?api_token={second}"));
    assert_eq!(listed.await, 200);
    // The log of the server that saw both tokens.
    let log = server.stop();

    // A second start prints no password.
    let again = serve();
    assert!(!again.stdout.join("\n").contains("password"));
    assert_eq!(again.first_password(), None);
    drop(again);

    // Neither token appears in the server's log or, on SQLite, in any file
    // of the database (main file, WAL, shared memory, key file).
    if let Some(dir) = db.sqlite_dir() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            for secret in [&token, &second] {
                assert!(!contains(&bytes, secret.as_bytes()));
                assert!(!contains(&bytes, password.as_bytes()));
            }
        }
    }
    assert!(
        log.contains("GET /profile.json"),
        "the log records requests"
    );
    for secret in [&token, &second] {
        assert!(!log.contains(&secret[12..]), "a secret in the log");
    }
}
