//! Key rotation (SPEC §12): `TESSERA_SECRET_KEYS`, the first key current.
//! What an older key made keeps working: tokens (re-hashed under the
//! current key on use), sessions, their CSRF tokens and cookies; `tessera
//! keys status` counts the tokens that still rely on each key.

use std::process::Stdio;

use serde_json::Value;
use tessera::config::Config;
use tessera::keys::fingerprint;
use tessera::tokens::SecretKey;

use crate::helpers::{Browser, Served, TestApp, TestDb, json_body, run_refused, tessera};

/// `config` with `keys`, the first current.
fn with_keys(config: &Config, keys: &[&SecretKey]) -> Config {
    let mut config = config.clone();
    config.secret_key = keys[0].clone();
    config.older_keys = keys[1..].iter().map(|k| (*k).clone()).collect();
    config
}

fn keys_env(keys: &[&SecretKey]) -> String {
    keys.iter()
        .map(|k| k.to_hex())
        .collect::<Vec<_>>()
        .join(",")
}

/// `tessera keys status` under `keys`: (fingerprint, role, tokens) per line.
fn keys_status(db: &TestDb, keys: &[&SecretKey]) -> Vec<(String, String, i64)> {
    let out = tessera(db, &["keys", "status"])
        .env_remove("TESSERA_SECRET_KEY")
        .env("TESSERA_SECRET_KEYS", keys_env(keys))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .skip(1)
        .map(|line| {
            let cols: Vec<&str> = line.split_whitespace().collect();
            (
                cols[0].to_owned(),
                cols[1].to_owned(),
                cols[2].parse().unwrap(),
            )
        })
        .collect()
}

fn row(key: &SecretKey, role: &str, tokens: i64) -> (String, String, i64) {
    (fingerprint(key), role.to_owned(), tokens)
}

#[tokio::test]
async fn what_an_older_key_made_works_until_that_key_is_dropped() {
    let key_a = SecretKey::generate();
    let key_b = SecretKey::generate();
    let on_a = TestApp::spawn_with(|c| c.secret_key = key_a.clone()).await;
    let user = on_a.user();
    let used = on_a.token(&user.account, &["profile:read"]);
    let unused = on_a.token(&user.account, &["profile:read"]);
    let mut browser = Browser::signed_in(&on_a, &user).await;
    assert_eq!(
        keys_status(&on_a.test_db, &[&key_a]),
        [row(&key_a, "current", 2)]
    );

    // Rotated: B is current, A still known.
    let on_ba = TestApp::start(
        on_a.test_db.share(),
        with_keys(&on_a.config, &[&key_b, &key_a]),
    );
    assert_eq!(on_ba.get("/profile.json", &used).await.status(), 200);
    assert_eq!(
        keys_status(&on_ba.test_db, &[&key_b, &key_a]),
        [row(&key_b, "current", 1), row(&key_a, "older", 1)],
        "the token used was re-hashed under B, the other is still on A"
    );
    // Used again: found under B at once; nothing more to re-hash.
    assert_eq!(on_ba.get("/profile.json", &used).await.status(), 200);

    // The session begun under A, its cookie sealed with A, and the CSRF
    // token of its page all still work.
    browser.base = on_ba.url("");
    assert!(
        browser
            .page("/profile")
            .await
            .contains(&user.account.username)
    );
    let resp = browser
        .generate(&[("label", "after rotation"), ("scopes", "profile:read")])
        .await;
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], "/profile");
    let listed = browser.json(reqwest::Method::GET, "/profile/tokens.json");
    let listed = json_body(listed.send().await.unwrap()).await;
    assert_eq!(listed["tokens"].as_array().unwrap().len(), 3, "{listed}");
    assert_eq!(
        keys_status(&on_ba.test_db, &[&key_b, &key_a]),
        [row(&key_b, "current", 2), row(&key_a, "older", 1)],
        "the new token is made with B"
    );

    // A dropped: the re-hashed token works, the never used one does not,
    // and neither does the session begun under A.
    let on_b = TestApp::start(on_a.test_db.share(), with_keys(&on_a.config, &[&key_b]));
    assert_eq!(on_b.get("/profile.json", &used).await.status(), 200);
    assert_eq!(on_b.get("/profile.json", &unused).await.status(), 401);
    browser.base = on_b.url("");
    assert_eq!(browser.get("/profile").await.status(), 303);
    assert_eq!(
        keys_status(&on_b.test_db, &[&key_b]),
        [row(&key_b, "current", 2), row(&key_a, "missing", 1)],
    );
}

#[tokio::test]
async fn the_rehash_is_logged_under_the_request_id() {
    let db = TestDb::new();
    let (key_a, key_b) = (SecretKey::generate(), SecretKey::generate());
    let start = |keys: &[&SecretKey]| {
        let keys = keys_env(keys);
        Served::start(&db, move |cmd| {
            cmd.env_remove("TESSERA_SECRET_KEY")
                .env("TESSERA_SECRET_KEYS", keys)
                .env("TESSERA_LOG", "info")
                .env("TESSERA_LOG_FORMAT", "json")
                .stderr(Stdio::piped());
        })
    };
    drop(start(&[&key_a]));
    let token = {
        let mut cmd = tessera(&db, &["token", "create", "--user", "admin", "--label", "x"]);
        cmd.env_remove("TESSERA_SECRET_KEY")
            .env("TESSERA_SECRET_KEYS", keys_env(&[&key_a]));
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    // As a token made before tokens recorded their key: a server started
    // with one key records it as that key's.
    let forget = "UPDATE api_tokens SET key_id = NULL";
    let conn = || tessera::db::Db::open(&db.url, 1).unwrap().get().unwrap();
    diesel::RunQueryDsl::execute(diesel::sql_query(forget), &mut *conn()).unwrap();
    let unrecorded = ("-".to_owned(), "unrecorded".to_owned(), 1);
    assert_eq!(keys_status(&db, &[&key_a])[1], unrecorded);
    drop(start(&[&key_a]));
    assert_eq!(keys_status(&db, &[&key_a]), [row(&key_a, "current", 1)]);

    let server = start(&[&key_b, &key_a]);
    let resp = reqwest::Client::new()
        .get(format!("{}/profile.json", server.base))
        .bearer_auth(&token)
        .header("X-Request-Id", "rotation-1")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let log = server.stop();
    let rehashed: Vec<Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["fields"]["message"] == "token re-hashed under the current key")
        .collect();
    assert_eq!(rehashed.len(), 1, "{log}");
    assert_eq!(rehashed[0]["span"]["id"], "rotation-1", "{log}");
    // Both keys are refused together with the single-key variable.
    let said = run_refused(
        tessera(&db, &["keys", "status"])
            .env("TESSERA_SECRET_KEY", key_a.to_hex())
            .env("TESSERA_SECRET_KEYS", key_a.to_hex()),
    );
    assert!(said.contains("not both"), "{said}");
}
