//! The binary itself, as users run it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use crate::helpers::{TestDb, backend_url};

const BIN: &str = env!("CARGO_BIN_EXE_tessera");

pub(crate) fn tessera(db: &TestDb, args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TESSERA_DATABASE_URL", &db.url_string);
    if !db.is_sqlite() {
        cmd.env("TESSERA_SECRET_KEY", "ab".repeat(32));
    }
    cmd.args(args);
    cmd
}

pub(crate) fn run_ok(db: &TestDb, args: &[&str]) -> String {
    let out = tessera(db, args).output().unwrap();
    assert!(
        out.status.success(),
        "tessera {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

struct Served {
    child: Child,
    addr: String,
    stdout: Vec<String>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// The child is reaped by `Served`'s Drop, or by the test's exit on a panic.
#[allow(clippy::zombie_processes)]
fn serve(db: &TestDb) -> Served {
    let mut child = tessera(db, &["serve", "--bind", "127.0.0.1:0"])
        .env("TESSERA_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut stdout = Vec::new();
    loop {
        let mut line = String::new();
        assert!(
            reader.read_line(&mut line).unwrap() > 0,
            "server exited early: {stdout:?}"
        );
        let line = line.trim_end().to_owned();
        stdout.push(line.clone());
        if let Some(addr) = line.strip_prefix("tessera listening on http://") {
            let addr = addr.to_owned();
            return Served {
                child,
                addr,
                stdout,
            };
        }
    }
}

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
    let out = tessera(
        &db,
        &[
            "token",
            "create",
            "--user",
            "alice",
            "--label",
            "x",
            "--scope",
            "admin:read",
        ],
    )
    .output()
    .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("scopes"));
    let out = tessera(
        &db,
        &["token", "create", "--user", "nobody", "--label", "x"],
    )
    .output()
    .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nobody"));
    let out = tessera(&db, &["user", "create", "alice"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("taken"));
    let out = tessera(&db, &["user", "create", "bad name!"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("username"));

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
    let out = tessera(&db, &["migrate"])
        .env("TESSERA_DATABASE_URL", "mysql://x")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("TESSERA_DATABASE_URL"));
    let out = tessera(&db, &["migrate"])
        .env("TESSERA_DATABASE_URL", "postgres://127.0.0.1:1/x")
        .env_remove("TESSERA_SECRET_KEY")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("TESSERA_SECRET_KEY"));
    let out = tessera(&db, &["migrate"])
        .env("TESSERA_SECRET_KEY", "tooshort")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("TESSERA_SECRET_KEY"));
    assert_eq!(run_ok(&db, &["migrate"]).lines().count(), 1);
}

#[tokio::test]
async fn first_start_prints_the_admin_password_once_and_secrets_stay_secret() {
    let db = TestDb::new();
    let server = serve(&db);
    let first = server.stdout.join("\n");
    assert!(first.contains("username admin, password "), "{first}");
    let password = first
        .split("password ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
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
    let base = format!("http://{}", server.addr);
    let resp = client
        .get(format!("{base}/profile.json?api_token={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
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
    let resp = client
        .get(format!("{base}/profile/tokens.json?api_token={second}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    drop(server);

    // A second start prints no password.
    let again = serve(&db);
    assert!(!again.stdout.join("\n").contains("password"));
    let mut again = again;
    let _ = again.child.kill();
    let mut log = String::new();
    std::io::Read::read_to_string(&mut again.child.stderr.take().unwrap(), &mut log).unwrap();
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
    let _ = backend_url();
    assert!(!log.contains(&token[12..]));
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
