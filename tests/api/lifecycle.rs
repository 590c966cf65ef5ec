//! The life of a token (SPEC section 9): description, the token's own
//! page and usage, narrowing edits, regeneration with a grace period on
//! several instances, revoking all, finding, the expiry header, who am I,
//! and leak reports.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::admin::audit_rows;
use crate::helpers::{Browser, TestApp, assert_error, listed};

const ALL_OWN: [&str; 3] = ["profile:read", "tokens:read", "tokens:write"];

/// The details of every audit entry of `event`, oldest first.
fn details(app: &TestApp, event: &str) -> Vec<String> {
    audit_rows(app)
        .into_iter()
        .filter(|e| e.event == event)
        .map(|e| e.detail.unwrap_or_default())
        .collect()
}

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Value,
) -> reqwest::Response {
    app.request(method, path, Some(token))
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_description_is_kept_beside_the_label() {
    let (app, _, boot) = TestApp::with_token(&ALL_OWN).await;
    let created = app
        .mint(
            &boot,
            json!({"label": "deploy", "scopes": ["profile:read"], "description": "  CI deploys to staging\nand prod "}),
        )
        .await;
    assert_eq!(
        created["token"]["description"],
        "CI deploys to staging\nand prod"
    );
    let list = app.get_json("/profile/tokens.json", &boot).await;
    assert!(listed(&list, "description").contains(&"CI deploys to staging\nand prod"));
    let body = json!({"label": "x", "scopes": ["profile:read"], "description": "d".repeat(1001)});
    let resp = app.post_json("/profile/tokens.json", &boot, &body).await;
    assert_error(resp, 400, "invalid_input", Some("description")).await;
}

#[tokio::test]
async fn the_token_page_shows_usage_once_flushed() {
    let (app, user, boot) = TestApp::with_token(&ALL_OWN).await;
    let id = app.token_id(&boot);
    for _ in 0..3 {
        let resp = app
            .request(Method::GET, "/profile.json", Some(&boot))
            .header("User-Agent", "probe/1.0")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
    }
    let path = format!("/profile/tokens/{id}.json");
    // Counted in memory: nothing written yet (the flush runs every few
    // seconds; this test asks sooner).
    let before = app.get_json(&path, &boot).await;
    let today = before["usage"].as_array().unwrap().last().unwrap().clone();
    assert!(today["count"].as_i64().unwrap() < 3, "{today}");

    app.db.flush_usage().await;
    let detail = app.get_json(&path, &boot).await;
    let usage = detail["usage"].as_array().unwrap();
    assert_eq!(usage.len(), 30);
    assert_eq!(usage.last().unwrap()["day"], today["day"]);
    assert!(
        usage.last().unwrap()["count"].as_i64().unwrap() >= 4,
        "{detail}"
    );
    assert!(usage[..29].iter().all(|d| d["count"] == 0));
    assert_eq!(detail["last_used_user_agent"], "probe/1.0".to_owned() + "");
    assert_eq!(detail["recent_ips"][0]["ip"], "127.0.0.1");
    assert_eq!(detail["id"], id);
    assert_eq!(detail["account_id"], user.account.account_id.as_str());
    assert_eq!(detail["effective_scopes"], json!(ALL_OWN));

    // Someone else's token looks missing; admins see it at their own URL.
    let other = app.user();
    let theirs = app.token_id(&app.token(&other.account, &["profile:read"]));
    let resp = app
        .get(&format!("/profile/tokens/{theirs}.json"), &boot)
        .await;
    assert_error(resp, 404, "not_found", None).await;
    let admin = app.token(&app.admin().account, &["admin:read"]);
    let seen = app
        .get_json(&format!("/admin/tokens/{theirs}.json"), &admin)
        .await;
    assert_eq!(seen["account_id"], other.account.account_id.as_str());
}

#[tokio::test]
async fn scopes_the_role_no_longer_allows_are_not_effective() {
    use tessera::actions::{self, AccountChange, Actor};
    let app = TestApp::spawn().await;
    let admin = app.admin();
    app.admin(); // so that the first may step down
    let secret = app.token(&admin.account, &["tokens:read", "admin:read"]);
    app.with_conn(|c| {
        actions::change_account(
            c,
            &admin.account.account_id,
            AccountChange::Role(tessera::tokens::Role::User),
            Actor::console(),
        )
        .unwrap()
    });
    let id = app.token_id(&secret);
    let detail = app
        .get_json(&format!("/profile/tokens/{id}.json"), &secret)
        .await;
    assert_eq!(detail["scopes"], json!(["tokens:read", "admin:read"]));
    assert_eq!(detail["effective_scopes"], json!(["tokens:read"]));
    let current = app.get_json("/profile/tokens/current.json", &secret).await;
    assert_eq!(current["effective_scopes"], json!(["tokens:read"]));
}

#[tokio::test]
async fn edits_may_only_narrow() {
    let (app, _, boot) = TestApp::with_token(&ALL_OWN).await;
    let created = app
        .mint(
            &boot,
            json!({"label": "wide", "scopes": ["profile:read", "tokens:read"], "expires_in_hours": 48}),
        )
        .await;
    let id = created["token"]["id"].as_i64().unwrap();
    let path = format!("/profile/tokens/{id}.json");
    let expires = created["token"]["expires_at"].as_str().unwrap().to_owned();

    for (body, field) in [
        (
            json!({"scopes": ["profile:read", "tokens:write"]}),
            "scopes",
        ),
        (json!({"scopes": []}), "scopes"),
        (json!({"expires_at": "2099-01-01T00:00:00Z"}), "expires_at"),
        (json!({"expires_at": null}), "expires_at"),
        (json!({"expires_at": "next week"}), "expires_at"),
        (json!({"label": ""}), "label"),
        (json!({"allowed_ips": ["ten dot zero"]}), "allowed_ips"),
        (json!({"rate_limit_per_minute": 0}), "rate_limit_per_minute"),
        (
            json!({"rate_limit_per_minute": 2.5}),
            "rate_limit_per_minute",
        ),
    ] {
        let resp = send(&app, Method::PATCH, &path, &boot, body.clone()).await;
        assert_error(resp, 400, "invalid_input", Some(field)).await;
    }
    assert!(
        details(&app, "token.updated").is_empty(),
        "refused edits change nothing"
    );

    let sooner = time::OffsetDateTime::now_utc() + time::Duration::hours(1);
    let sooner = sooner
        .replace_nanosecond(0)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let resp = send(
        &app,
        Method::PATCH,
        &path,
        &boot,
        json!({"label": "narrow", "description": "only reads", "scopes": ["tokens:read"], "expires_at": sooner}),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let token: Value = resp.json().await.unwrap();
    assert_eq!(token["label"], "narrow");
    assert_eq!(token["description"], "only reads");
    assert_eq!(token["scopes"], json!(["tokens:read"]));
    assert_eq!(token["expires_at"], sooner.as_str());
    assert_ne!(token["expires_at"], expires.as_str());
    assert_eq!(
        details(&app, "token.updated"),
        ["label, description, scopes, expires_at"]
    );
    // Absent fields stay; the same values again change nothing.
    let resp = send(
        &app,
        Method::PATCH,
        &path,
        &boot,
        json!({"label": "narrow"}),
    )
    .await;
    let token: Value = resp.json().await.unwrap();
    assert_eq!(token["description"], "only reads");
    assert_eq!(details(&app, "token.updated").len(), 1);
}

#[tokio::test]
async fn edits_set_and_clear_the_allowlist_and_the_rate_limit() {
    let (app, _, boot) = TestApp::with_token(&ALL_OWN).await;
    let created = app
        .mint(&boot, json!({"label": "robot", "scopes": ["profile:read"]}))
        .await;
    let secret = created["secret"].as_str().unwrap().to_owned();
    let id = created["token"]["id"].as_i64().unwrap();
    let path = format!("/profile/tokens/{id}.json");
    assert_eq!(app.get("/profile.json", &secret).await.status(), 200);

    // Elsewhere only, and at most 1 a minute: refused from here at once.
    let resp = send(
        &app,
        Method::PATCH,
        &path,
        &boot,
        json!({"allowed_ips": ["10.1.2.3/8", "2001:db8::1"], "rate_limit_per_minute": 1}),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let token: Value = resp.json().await.unwrap();
    assert_eq!(token["allowed_ips"], json!(["10.0.0.0/8", "2001:db8::1"]));
    assert_eq!(token["rate_limit_per_minute"], 1);
    assert_eq!(
        details(&app, "token.updated"),
        ["allowed_ips, rate_limit_per_minute"]
    );
    assert_error(
        app.get("/profile.json", &secret).await,
        403,
        "ip_not_allowed",
        None,
    )
    .await;

    // Anywhere again, still limited: one request, then 429.
    let resp = send(
        &app,
        Method::PATCH,
        &path,
        &boot,
        json!({"allowed_ips": []}),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let first = app.get("/profile.json", &secret).await;
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["x-ratelimit-limit"], "1");
    assert_eq!(app.get("/profile.json", &secret).await.status(), 429);

    // No limit: null removes it; the list says so.
    let resp = send(
        &app,
        Method::PATCH,
        &path,
        &boot,
        json!({"rate_limit_per_minute": null}),
    )
    .await;
    let token: Value = resp.json().await.unwrap();
    assert_eq!(token["allowed_ips"], json!([]));
    assert_eq!(token["rate_limit_per_minute"], Value::Null);
    for _ in 0..3 {
        assert_eq!(app.get("/profile.json", &secret).await.status(), 200);
    }
}

/// Two servers on the same database and secret key.
fn pair(a: &TestApp) -> TestApp {
    TestApp::start(a.test_db.share(), a.config.clone())
}

async fn regenerate(app: &TestApp, token: &str, id: i64, body: Value) -> reqwest::Response {
    send(
        app,
        Method::POST,
        &format!("/profile/tokens/{id}/regenerate.json"),
        token,
        body,
    )
    .await
}

#[tokio::test]
async fn the_old_secret_works_on_every_instance_until_its_grace_ends() {
    let a = TestApp::spawn().await;
    let b = pair(&a);
    let user = a.user();
    let boot = a.token(&user.account, &ALL_OWN);
    let old = a.token(&user.account, &["profile:read"]);
    let id = a.token_id(&old);
    // Seen by both (and kept in their caches) before the change.
    for app in [&a, &b] {
        assert_eq!(app.get("/profile.json", &old).await.status(), 200);
    }

    let resp = regenerate(&a, &boot, id, json!({"grace_period_hours": 1})).await;
    assert_eq!(resp.status(), 201);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let created: Value = resp.json().await.unwrap();
    let new = created["secret"].as_str().unwrap().to_owned();
    assert_eq!(created["token"]["id"], id);
    assert_eq!(created["account_id"], user.account.account_id.as_str());
    assert!(new.starts_with(created["token"]["prefix"].as_str().unwrap()));
    assert!(created["token"]["previous_secret_valid_until"].is_string());
    for app in [&a, &b] {
        assert_eq!(app.get("/profile.json", &new).await.status(), 200);
        assert_eq!(app.get("/profile.json", &old).await.status(), 200);
    }
    assert_eq!(details(&a, "token.regenerated").len(), 1);

    // The grace ends in two seconds, as the database says: then the old
    // secret fails on both, rows kept in memory or not.
    a.with_conn(|c| {
        use diesel::prelude::*;
        use tessera::db::schema::api_tokens;
        let soon = tessera::db::now() + time::Duration::seconds(2);
        diesel::update(api_tokens::table.find(id))
            .set(api_tokens::previous_valid_until.eq(Some(soon)))
            .execute(c)
            .unwrap();
    });
    for app in [&a, &b] {
        assert_eq!(app.get("/profile.json", &old).await.status(), 200);
    }
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    for app in [&a, &b] {
        app.assert_refused("/profile.json", &old).await;
        assert_eq!(app.get("/profile.json", &new).await.status(), 200);
    }

    // Without a grace period the replaced secret stops at once.
    let resp = regenerate(&b, &boot, id, json!({})).await;
    let newer: Value = resp.json().await.unwrap();
    for app in [&a, &b] {
        app.assert_refused("/profile.json", &new).await;
        let secret = newer["secret"].as_str().unwrap();
        assert_eq!(app.get("/profile.json", secret).await.status(), 200);
    }
}

#[tokio::test]
async fn regeneration_checks_its_choices() {
    let (app, _, boot) = TestApp::with_token(&ALL_OWN).await;
    let id = app.token_id(&app.token(&app.user().account, &["profile:read"]));
    let own = app.own_token_id(&boot).await;
    let resp = regenerate(&app, &boot, own, json!({"grace_period_hours": 2})).await;
    assert_error(resp, 400, "invalid_input", Some("grace_period_hours")).await;
    let resp = regenerate(&app, &boot, own, json!({"expires_in_hours": -1})).await;
    assert_error(resp, 400, "invalid_input", Some("expires_in_hours")).await;
    let resp = regenerate(&app, &boot, id, json!({})).await;
    assert_error(resp, 404, "not_found", None).await;
    // No body at all: the defaults, and a new expiry when asked.
    let resp = app
        .call(
            Method::POST,
            &format!("/profile/tokens/{own}/regenerate.json"),
            Some(&boot),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let created: Value = resp.json().await.unwrap();
    assert!(created["token"]["previous_secret_valid_until"].is_null());
    let secret = created["secret"].as_str().unwrap();
    let resp = regenerate(&app, secret, own, json!({"expires_in_hours": 24})).await;
    let created: Value = resp.json().await.unwrap();
    assert!(created["token"]["expires_at"].is_string());
}

#[tokio::test]
async fn revoking_all_deletes_every_token_with_an_entry_each() {
    let (app, user, boot) = TestApp::with_token(&ALL_OWN).await;
    app.token(&user.account, &["profile:read"]);
    app.token(&user.account, &["tokens:read"]);
    let other = app.user();
    let theirs = app.token(&other.account, &["profile:read"]);
    let reader = app.token(&user.account, &["tokens:read"]);
    let resp = app
        .call(Method::DELETE, "/profile/tokens.json", Some(&reader))
        .await;
    assert_error(resp, 403, "insufficient_scope", None).await;
    let resp = app
        .call(Method::DELETE, "/profile/tokens.json", Some(&boot))
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.json::<Value>().await.unwrap(), json!({"deleted": 4}));
    app.assert_refused("/profile.json", &boot).await;
    assert_eq!(details(&app, "token.deleted").len(), 4);
    assert_eq!(app.get("/profile.json", &theirs).await.status(), 200);

    // Admins, per user.
    let admin = app.token(&app.admin().account, &["admin:write"]);
    let path = format!("/admin/users/{}/tokens.json", other.account.account_id);
    let resp = app.call(Method::DELETE, &path, Some(&admin)).await;
    assert_eq!(resp.json::<Value>().await.unwrap(), json!({"deleted": 1}));
    app.assert_refused("/profile.json", &theirs).await;
    let resp = app
        .call(
            Method::DELETE,
            "/admin/users/acc_nobody000000/tokens.json",
            Some(&admin),
        )
        .await;
    assert_error(resp, 404, "not_found", None).await;
}

#[tokio::test]
async fn lists_sort_filter_and_search() {
    let (app, user, boot) = TestApp::with_token(&ALL_OWN).await;
    for label in ["Beta deploy", "alpha", "gamma deploy"] {
        app.labelled_token(&user.account, label, &["profile:read"]);
    }
    let gamma = app.token_id(&app.labelled_token(&user.account, "old", &["profile:read"]));
    app.with_conn(|c| {
        tessera::db::models::tokens::set_active(c, gamma, false).unwrap();
    });
    let labels = |list: &Value| -> Vec<String> {
        listed(list, "label")
            .into_iter()
            .map(str::to_owned)
            .collect()
    };
    let list = app.get_json("/profile/tokens.json?sort=label", &boot).await;
    assert_eq!(
        labels(&list),
        ["alpha", "Beta deploy", "gamma deploy", "old", "test token"]
    );
    let list = app
        .get_json("/profile/tokens.json?sort=label&order=desc&q=DEPLOY", &boot)
        .await;
    assert_eq!(labels(&list), ["gamma deploy", "Beta deploy"]);
    let list = app
        .get_json("/profile/tokens.json?status=deactivated", &boot)
        .await;
    assert_eq!(labels(&list), ["old"]);
    // The default view is still the whole list, newest first.
    let list = app.get_json("/profile/tokens.json", &boot).await;
    assert_eq!(labels(&list)[0], "old");
    assert_eq!(labels(&list).len(), 5);
    for (query, field) in [
        ("sort=size", "sort"),
        ("order=sideways", "order"),
        ("status=lost", "status"),
    ] {
        let resp = app
            .get(&format!("/profile/tokens.json?{query}"), &boot)
            .await;
        assert_error(resp, 400, "invalid_input", Some(field)).await;
    }
}

#[tokio::test]
async fn tokens_expiring_within_a_week_say_so() {
    let (app, _, boot) = TestApp::with_token(&ALL_OWN).await;
    let resp = app.get("/profile.json", &boot).await;
    assert!(resp.headers().get("tessera-token-expires").is_none());
    let soon = app
        .mint(
            &boot,
            json!({"label": "soon", "scopes": ["profile:read"], "expires_in_hours": 24}),
        )
        .await;
    let month = app
        .mint(
            &boot,
            json!({"label": "month", "scopes": ["profile:read"], "expires_in_hours": 720}),
        )
        .await;
    let resp = app
        .get("/profile.json", soon["secret"].as_str().unwrap())
        .await;
    assert_eq!(
        resp.headers()["tessera-token-expires"],
        soon["token"]["expires_at"].as_str().unwrap()
    );
    // Refusals say it too: the caller is the one to warn.
    let resp = app
        .get("/profile/tokens.json", soon["secret"].as_str().unwrap())
        .await;
    assert_eq!(resp.status(), 403);
    assert_eq!(
        resp.headers()["tessera-token-expires"],
        soon["token"]["expires_at"].as_str().unwrap()
    );
    // And so does the proxies' gate, admitting or not.
    for (query, status) in [("", 204), ("?scope=tokens:read", 403)] {
        let resp = app
            .get(&format!("/auth{query}"), soon["secret"].as_str().unwrap())
            .await;
        assert_eq!(resp.status(), status);
        assert_eq!(
            resp.headers()["tessera-token-expires"],
            soon["token"]["expires_at"].as_str().unwrap(),
            "/auth{query}"
        );
    }
    let resp = app
        .get("/profile.json", month["secret"].as_str().unwrap())
        .await;
    assert!(resp.headers().get("tessera-token-expires").is_none());
}

#[tokio::test]
async fn who_am_i_answers_the_calling_token() {
    let (app, user, boot) = TestApp::with_token(&ALL_OWN).await;
    let created = app
        .mint(
            &boot,
            json!({"label": "narrow", "scopes": ["profile:read"]}),
        )
        .await;
    let secret = created["secret"].as_str().unwrap();
    let me = app.get_json("/profile/tokens/current.json", secret).await;
    assert_eq!(me["id"], created["token"]["id"]);
    assert_eq!(me["label"], "narrow");
    assert_eq!(me["effective_scopes"], json!(["profile:read"]));
    let browser = Browser::signed_in(&app, &user).await;
    let resp = browser
        .json(Method::GET, "/profile/tokens/current.json")
        .send()
        .await
        .unwrap();
    assert_error(resp, 404, "not_found", None).await;
    app.assert_refused("/profile/tokens/current.json", "tsr_nonsense")
        .await;
}

/// Sends a leak report, as a scanner does (no credentials); its answer.
async fn report(app: &TestApp, body: &Value) -> Value {
    let resp = app
        .api
        .post(app.url("/leaks.json"))
        .json(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

#[tokio::test]
async fn leaked_tokens_are_deleted_without_telling_the_reporter_which() {
    let (app, user, boot) = TestApp::with_token(&ALL_OWN).await;
    let leaked = app.labelled_token(&user.account, "in a gist", &["profile:read"]);
    let bystander = app.token(&app.user().account, &["profile:read"]);
    let browser = Browser::signed_in(&app, &user).await;
    let body = json!({
        "tokens": [leaked, "tsr_not_a_token", "hello"],
        "url": "https://gist.example/abc",
        "source": "scanner"
    });
    assert_eq!(report(&app, &body).await, json!({"received": 3}));
    app.assert_refused("/profile.json", &leaked).await;
    assert_eq!(app.get("/profile.json", &boot).await.status(), 200);
    assert_eq!(app.get("/profile.json", &bystander).await.status(), 200);
    assert_eq!(details(&app, "token.leaked"), ["https://gist.example/abc"]);
    // The same report again finds nothing live, and answers the same.
    assert_eq!(report(&app, &body).await, json!({"received": 3}));
    assert_eq!(details(&app, "token.leaked").len(), 1);

    // The owner sees it on their next visit, once.
    let page = browser.page("/profile").await;
    assert!(page.contains("id=\"leak-notice\""), "{page}");
    assert!(page.contains("https://gist.example/abc"));
    assert!(!browser.page("/profile").await.contains("leak-notice"));
}

#[tokio::test]
async fn leak_reports_refuse_bad_bodies_and_floods() {
    let app = TestApp::spawn().await;
    let post = |body: String, content_type: &'static str| {
        app.api
            .post(app.url("/leaks.json"))
            .header("Content-Type", content_type)
            .body(body)
            .send()
    };
    let many: Vec<String> = (0..101).map(|i| format!("tsr_{i}")).collect();
    let resp = post(json!({"tokens": many}).to_string(), "application/json")
        .await
        .unwrap();
    assert_error(resp, 400, "invalid_input", Some("tokens")).await;
    let resp = post("{}".into(), "application/json").await.unwrap();
    assert_error(resp, 400, "invalid_input", None).await;
    let resp = post("tokens=x".into(), "application/x-www-form-urlencoded")
        .await
        .unwrap();
    assert_error(resp, 415, "unsupported_media_type", None).await;
    let huge = json!({"tokens": ["x"], "url": "u".repeat(20_000)}).to_string();
    let resp = post(huge, "application/json").await.unwrap();
    assert_error(resp, 413, "payload_too_large", None).await;
    let mut last = StatusCode::OK;
    for _ in 0..tessera::routes::lifecycle::LEAK_REPORTS_PER_MINUTE {
        last = post(json!({"tokens": []}).to_string(), "application/json")
            .await
            .unwrap()
            .status();
    }
    assert_eq!(last, 429, "the limit counts every report, bad ones too");
    let resp = post(json!({"tokens": []}).to_string(), "application/json")
        .await
        .unwrap();
    assert!(resp.headers().contains_key("retry-after"));
    assert_error(resp, 429, "rate_limited", None).await;
}
