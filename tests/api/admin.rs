//! The admin area (SPEC §4 admin rows, §5): every endpoint's happy path and
//! refusals, the last-admin rule under concurrency, and the audit log's
//! integrity: a change and its entry commit together, and no entry ever
//! holds a secret.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use reqwest::{Method, Response};
use serde_json::{Value, json};
use tessera::db::models::accounts::{self, Account};
use tessera::db::models::audit::AuditEvent;
use tessera::db::schema::{accounts as accounts_t, api_tokens, audit_events, sessions};
use tessera::tokens::Role;

use crate::helpers::{
    Browser, SignedIn, TestApp, TestUser, assert_error, find, location, message, meta_csrf,
    sign_in_form,
};

/// What most admin tests start from: an administrator with a token, and an
/// ordinary user holding a token of their own for the administrator to act
/// on. Nobody is signed in yet: sign-ins are audited, and some tests count
/// the audit log's entries.
struct Cast {
    app: TestApp,
    admin: TestUser,
    /// The administrator's token: admin:read, admin:write, tokens:write.
    writer: String,
    user: TestUser,
    /// The user's token (profile:read), and its id.
    victim: String,
    victim_id: i64,
}

impl Cast {
    async fn new() -> Self {
        let app = TestApp::spawn().await;
        let admin = app.admin();
        let writer = app.token(
            &admin.account,
            &["admin:read", "admin:write", "tokens:write"],
        );
        let user = app.user();
        let victim = app.token(&user.account, &["profile:read"]);
        let victim_id = app.token_id(&victim);
        Cast {
            app,
            admin,
            writer,
            user,
            victim,
            victim_id,
        }
    }
}

/// Each query on `path` is refused as 400, naming its field.
async fn assert_invalid_queries(app: &TestApp, token: &str, path: &str, cases: &[(&str, &str)]) {
    for (query, field) in cases {
        let resp = app.get(&format!("{path}?{query}"), token).await;
        assert_error(resp, 400, "invalid_input", Some(field)).await;
    }
}

pub fn audit_rows(app: &TestApp) -> Vec<AuditEvent> {
    app.with_conn(|c| {
        audit_events::table
            .select(AuditEvent::as_select())
            .order(audit_events::id.asc())
            .load(c)
            .unwrap()
    })
}

fn find_account(app: &TestApp, account_id: &str) -> Account {
    app.with_conn(|c| {
        accounts::find_by_account_id(c, account_id)
            .unwrap()
            .unwrap()
    })
}

fn session_count(app: &TestApp, account: &Account) -> i64 {
    app.with_conn(|c| {
        sessions::table
            .filter(sessions::account_id.eq(account.id))
            .count()
            .get_result(c)
            .unwrap()
    })
}

async fn json_of(resp: Response, status: u16) -> Value {
    assert_eq!(resp.status().as_u16(), status, "status");
    resp.json().await.unwrap()
}

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    k.sort();
    k
}

// ---- lists -------------------------------------------------------------

#[tokio::test]
async fn users_list_searches_pages_and_counts_tokens() {
    let app = TestApp::spawn().await;
    let reader = app.with_admin().await.token;
    let zed = app.create_user("zed_search", Role::User);
    app.token(&zed.account, &["profile:read"]);
    app.token(&zed.account, &["tokens:read"]);
    app.create_user("zed_other", Role::User);
    app.create_user("amy", Role::User);

    let all = app.get_json("/admin/users.json", &reader).await;
    assert_eq!(keys(&all), ["items", "page", "per_page", "total"]);
    assert_eq!(all["total"], 4);
    assert_eq!(
        (all["page"].as_i64(), all["per_page"].as_i64()),
        (Some(1), Some(50))
    );
    let item = find(&all["items"], "username", "zed_search");
    for key in [
        "account_id",
        "username",
        "display_name",
        "role",
        "active",
        "created_at",
        "token_count",
        "last_login_at",
    ] {
        assert!(item.get(key).is_some(), "{key} in {item}");
    }
    assert_eq!(item["account_id"], zed.account.account_id);
    assert_eq!(item["role"], "user");
    assert_eq!(item["active"], true);
    assert_eq!(item["token_count"], 2);
    assert!(item["last_login_at"].is_null());

    let found = app.get_json("/admin/users.json?q=zed_", &reader).await;
    assert_eq!(found["total"], 2);
    // `_` is a wildcard in SQL LIKE; here it means itself.
    let literal = app.get_json("/admin/users.json?q=d_s", &reader).await;
    assert_eq!(literal["total"], 1);
    let none = app.get_json("/admin/users.json?q=%25", &reader).await;
    assert_eq!(none["total"], 0);

    let p2 = app
        .get_json("/admin/users.json?page=2&per_page=1", &reader)
        .await;
    assert_eq!(p2["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        (
            p2["page"].as_i64(),
            p2["per_page"].as_i64(),
            p2["total"].as_i64()
        ),
        (Some(2), Some(1), Some(4))
    );
    let p1 = app
        .get_json("/admin/users.json?page=1&per_page=1", &reader)
        .await;
    assert_ne!(p1["items"][0]["account_id"], p2["items"][0]["account_id"]);
    let beyond = app.get_json("/admin/users.json?page=99", &reader).await;
    assert_eq!(beyond["items"], json!([]));
    assert_eq!(beyond["total"], 4);
    let clamped = app
        .get_json("/admin/users.json?per_page=1000", &reader)
        .await;
    assert_eq!(clamped["per_page"], 100);

    let long_search = format!("q={}", "x".repeat(65));
    assert_invalid_queries(
        &app,
        &reader,
        "/admin/users.json",
        &[
            ("page=0", "page"),
            ("page=-3", "page"),
            ("page=two", "page"),
            ("page=99999999999999999999999", "page"),
            ("per_page=0", "per_page"),
            ("per_page=1.5", "per_page"),
            ("q=a%00b", "q"),
            (long_search.as_str(), "q"),
        ],
    )
    .await;
}

#[tokio::test]
async fn user_detail_shows_the_account_and_its_tokens() {
    let Cast {
        app,
        writer: reader,
        user,
        victim: secret,
        ..
    } = Cast::new().await;
    let path = format!("/admin/users/{}.json", user.account.account_id);
    let body = app.get_json(&path, &reader).await;
    assert_eq!(keys(&body), ["account", "tokens"]);
    assert_eq!(body["account"]["username"], user.account.username);
    assert_eq!(body["account"]["token_count"], 1);
    let token = &body["tokens"][0];
    assert_eq!(token["prefix"], &secret[..12]);
    assert_eq!(token["account_id"], user.account.account_id);
    assert_eq!(token["status"], "active");
    assert!(!body.to_string().contains(&secret), "never the secret");

    for missing in ["acc_doesnotexist", "x", "%00", "acc_1.json"] {
        let resp = app
            .get(&format!("/admin/users/{missing}.json"), &reader)
            .await;
        assert_error(resp, 404, "not_found", None).await;
    }
}

#[tokio::test]
async fn tokens_list_filters_sorts_and_pages() {
    let app = TestApp::spawn().await;
    let reader = app.with_admin().await.token;
    let alice = app.user();
    let bob = app.user();
    let a1 = app.token(&alice.account, &["profile:read"]);
    let a2 = app.token(&alice.account, &["tokens:read"]);
    let b1 = app.token(&bob.account, &["tokens:read"]);
    let (a1_id, a2_id, b1_id) = (app.token_id(&a1), app.token_id(&a2), app.token_id(&b1));
    app.with_conn(|c| {
        diesel::update(api_tokens::table.find(a2_id))
            .set(api_tokens::active.eq(false))
            .execute(c)
            .unwrap();
        let past = tessera::db::now() - time::Duration::hours(1);
        diesel::update(api_tokens::table.find(b1_id))
            .set(api_tokens::expires_at.eq(Some(past)))
            .execute(c)
            .unwrap();
    });
    // Used once, so it sorts first by last use.
    assert_eq!(app.get("/profile.json", &a1).await.status(), 200);

    let all = app.get_json("/admin/tokens.json", &reader).await;
    assert_eq!(keys(&all), ["items", "page", "per_page", "total"]);
    assert_eq!(all["total"], 4, "admin's own token too");
    for item in all["items"].as_array().unwrap() {
        assert_eq!(
            keys(item),
            [
                "account_id",
                "allowed_ips",
                "created_at",
                "description",
                "expires_at",
                "id",
                "label",
                "last_used_at",
                "prefix",
                "previous_secret_valid_until",
                "rate_limit_per_minute",
                "scopes",
                "status"
            ]
        );
    }

    let ids = |v: &Value| -> Vec<i64> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_i64().unwrap())
            .collect()
    };
    let of_alice = app
        .get_json(
            &format!("/admin/tokens.json?account_id={}", alice.account.account_id),
            &reader,
        )
        .await;
    let mut got = ids(&of_alice);
    got.sort();
    assert_eq!(got, [a1_id, a2_id]);
    assert!(
        of_alice["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["account_id"] == alice.account.account_id)
    );

    for (status, expected) in [("deactivated", vec![a2_id]), ("expired", vec![b1_id])] {
        let body = app
            .get_json(&format!("/admin/tokens.json?status={status}"), &reader)
            .await;
        assert_eq!(ids(&body), expected, "{status}");
        assert!(
            body["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|t| t["status"] == status)
        );
    }
    let active = app
        .get_json("/admin/tokens.json?status=active", &reader)
        .await;
    assert_eq!(active["total"], 2);

    let by_use = app
        .get_json("/admin/tokens.json?sort=last_used", &reader)
        .await;
    let first_two = &ids(&by_use)[..2];
    assert!(first_two.contains(&a1_id), "{by_use}");
    let by_created = app
        .get_json("/admin/tokens.json?sort=created&per_page=1&page=2", &reader)
        .await;
    assert_eq!(by_created["items"].as_array().unwrap().len(), 1);
    assert_eq!(by_created["total"], 4);

    let nobody = app
        .get_json("/admin/tokens.json?account_id=acc_nobody", &reader)
        .await;
    assert_eq!(
        (nobody["total"].as_i64(), nobody["items"].clone()),
        (Some(0), json!([]))
    );
    // Empty filters, as a GET form sends them, mean "any".
    let blank = app
        .get_json("/admin/tokens.json?account_id=&status=&sort=", &reader)
        .await;
    assert_eq!(blank["total"], 4);

    assert_invalid_queries(
        &app,
        &reader,
        "/admin/tokens.json",
        &[
            ("status=bogus", "status"),
            ("status=ACTIVE", "status"),
            ("sort=name", "sort"),
            ("account_id=acc%00x", "account_id"),
            ("account_id=acc%20x", "account_id"),
            ("page=0", "page"),
            ("per_page=-1", "per_page"),
        ],
    )
    .await;
}

#[tokio::test]
async fn audit_log_is_newest_first_and_filters() {
    let Cast {
        app,
        admin,
        writer: reader,
        user,
        victim,
        victim_id,
    } = Cast::new().await;
    let resp = app
        .call(
            Method::POST,
            &format!("/admin/tokens/{victim_id}/deactivate.json"),
            Some(&reader),
        )
        .await;
    assert_eq!(resp.status(), 200);

    let log = app.get_json("/admin/audit.json", &reader).await;
    assert_eq!(keys(&log), ["items", "page", "per_page", "total"]);
    let items = log["items"].as_array().unwrap();
    let newest = &items[0];
    assert_eq!(
        keys(newest),
        [
            "actor_account_id",
            "at",
            "detail",
            "event",
            "id",
            "ip",
            "target_account_id",
            "token_prefix"
        ]
    );
    assert_eq!(newest["event"], "token.deactivated");
    assert_eq!(newest["actor_account_id"], admin.account.account_id);
    assert_eq!(newest["target_account_id"], user.account.account_id);
    assert_eq!(newest["token_prefix"], &victim[..12]);
    assert_eq!(newest["ip"], "127.0.0.1");
    let ids: Vec<i64> = items.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    let mut sorted = ids.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(ids, sorted, "newest first");
    // Made by the console: no actor, and null rather than absent.
    let created = items
        .iter()
        .find(|e| e["event"] == "account.created")
        .unwrap();
    assert!(created["actor_account_id"].is_null());
    assert!(created["token_prefix"].is_null());

    let only = app
        .get_json("/admin/audit.json?event=token.deactivated", &reader)
        .await;
    assert_eq!(only["total"], 1);
    let by_actor = app
        .get_json(
            &format!("/admin/audit.json?actor={}", admin.account.account_id),
            &reader,
        )
        .await;
    assert_eq!(by_actor["total"], 1);
    let by_target = app
        .get_json(
            &format!(
                "/admin/audit.json?target={}&event=token.created",
                user.account.account_id
            ),
            &reader,
        )
        .await;
    assert_eq!(by_target["total"], 1);
    let paged = app
        .get_json("/admin/audit.json?per_page=2&page=2", &reader)
        .await;
    assert_eq!(paged["items"].as_array().unwrap().len(), 2);
    assert_eq!(paged["items"][0]["id"], ids[2]);

    assert_invalid_queries(
        &app,
        &reader,
        "/admin/audit.json",
        &[
            ("event=token.exploded", "event"),
            ("actor=%00", "actor"),
            ("target=acc_1%27%20OR%201=1", "target"),
            ("page=0", "page"),
            ("per_page=x", "per_page"),
        ],
    )
    .await;
}

#[tokio::test]
async fn admin_pages_render_lists_filters_and_pagination() {
    let app = TestApp::spawn().await;
    let SignedIn {
        user: admin,
        browser,
        ..
    } = app.with_admin().await;
    let user = app.create_user("pagewalker", Role::User);
    let label_owner = app.token(&user.account, &["profile:read"]);
    let token_id = app.token_id(&label_owner);
    app.with_conn(|c| {
        diesel::update(api_tokens::table.find(token_id))
            .set(api_tokens::label.eq("<script>alert(1)</script>"))
            .execute(c)
            .unwrap();
    });

    let (status, html) = browser.fetch("/admin/users?per_page=1").await;
    assert_eq!(status, 200);
    assert!(html.contains(r#"name="q""#) && html.contains(r#"for="q""#));
    assert!(html.contains(r#"rel="next""#), "a next-page link");
    assert!(html.contains(r#"action="/admin/users""#), "the create form");
    let (_, html) = browser.fetch("/admin/users?q=pagewalker").await;
    assert!(html.contains(&format!("/admin/users/{}", user.account.account_id)));
    assert!(!html.contains(&format!("/admin/users/{}\"", admin.account.account_id)));

    let resp = browser
        .get(&format!("/admin/users/{}", user.account.account_id))
        .await;
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let html = resp.text().await.unwrap();
    assert!(html.contains(&format!(r#"data-token-id="{token_id}""#)));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains("<script>alert(1)"));
    assert!(html.contains(&format!(r#"action="/admin/tokens/{token_id}/deactivate""#)));
    assert!(html.contains(&format!(r#"action="/admin/tokens/{token_id}/delete""#)));

    let (status, html) = browser
        .fetch(&format!(
            "/admin/tokens?account_id={}&status=active&sort=last_used",
            user.account.account_id
        ))
        .await;
    assert_eq!(status, 200);
    assert!(html.contains(&format!(r#"data-token-id="{token_id}""#)));
    assert!(html.contains("pagewalker"), "the owner's name");
    for control in ["filter-user", "filter-status", "filter-sort"] {
        assert!(
            html.contains(&format!(r#"for="{control}""#)),
            "{control} labelled"
        );
    }
    let (status, html) = browser.fetch("/admin/audit?event=token.created").await;
    assert_eq!(status, 200);
    assert!(html.contains(&label_owner[..12]));
    for control in ["filter-event", "filter-actor", "filter-target"] {
        assert!(
            html.contains(&format!(r#"for="{control}""#)),
            "{control} labelled"
        );
    }

    let (status, html) = browser.fetch("/admin/tokens?status=bogus").await;
    assert_eq!(status, 400);
    assert!(html.contains("Status is active, deactivated or expired"));
    let (status, _) = browser.fetch("/admin/users/acc_nobody").await;
    assert_eq!(status, 404);

    let person = app.user();
    let pb = Browser::signed_in(&app, &person).await;
    for path in ["/admin/users", "/admin/tokens", "/admin/audit"] {
        assert_eq!(pb.fetch(path).await.0, 403, "{path}");
    }
}

// ---- token actions ------------------------------------------------------

#[tokio::test]
async fn admins_deactivate_activate_and_delete_anyones_token_as_json() {
    let Cast {
        app,
        admin,
        writer,
        user,
        victim,
        victim_id: id,
    } = Cast::new().await;
    let path = |what: &str| format!("/admin/tokens/{id}{what}.json");
    let before = audit_rows(&app).len();

    let resp = app
        .call(Method::POST, &path("/deactivate"), Some(&writer))
        .await;
    let token = json_of(resp, 200).await;
    assert_eq!(token["status"], "deactivated");
    assert_eq!(token["account_id"], user.account.account_id);
    assert_eq!(
        app.get("/profile.json", &victim).await.status(),
        401,
        "stopped at once"
    );

    let resp = app
        .call(Method::POST, &path("/activate"), Some(&writer))
        .await;
    assert_eq!(json_of(resp, 200).await["status"], "active");
    assert_eq!(app.get("/profile.json", &victim).await.status(), 200);

    let resp = app.call(Method::DELETE, &path(""), Some(&writer)).await;
    assert_eq!(resp.status(), 204);
    assert_eq!(app.get("/profile.json", &victim).await.status(), 401);

    let log = audit_rows(&app);
    let events: Vec<&str> = log[before..].iter().map(|e| e.event.as_str()).collect();
    assert_eq!(
        events,
        ["token.deactivated", "token.activated", "token.deleted"]
    );
    for e in &log[before..] {
        assert_eq!(
            e.actor_account_id.as_deref(),
            Some(admin.account.account_id.as_str())
        );
        assert_eq!(
            e.target_account_id.as_deref(),
            Some(user.account.account_id.as_str())
        );
        assert_eq!(e.token_prefix.as_deref(), Some(&victim[..12]));
    }

    for path in [
        format!("/admin/tokens/{id}/deactivate.json"),
        "/admin/tokens/999999/activate.json".into(),
        "/admin/tokens/abc/activate.json".into(),
    ] {
        let resp = app.call(Method::POST, &path, Some(&writer)).await;
        assert_error(resp, 404, "not_found", None).await;
    }
    let resp = app.call(Method::DELETE, &path(""), Some(&writer)).await;
    assert_error(resp, 404, "not_found", None).await;
    let resp = app.call(Method::PUT, &path(""), Some(&writer)).await;
    assert_error(resp, 405, "method_not_allowed", None).await;
}

#[tokio::test]
async fn admin_token_buttons_post_back_to_a_safe_next() {
    let Cast {
        app,
        admin,
        user,
        victim,
        victim_id: id,
        ..
    } = Cast::new().await;
    let browser = Browser::signed_in(&app, &admin).await;
    let back = format!("/admin/users/{}", user.account.account_id);

    let resp = browser
        .submit(
            &format!("/admin/tokens/{id}/deactivate"),
            &[("next", &back)],
        )
        .await;
    assert_eq!(resp.status(), 303);
    assert_eq!(location(&resp), back);
    let (_, html) = browser.fetch(&back).await;
    assert!(html.contains("deactivated."), "flash");
    assert_eq!(app.get("/profile.json", &victim).await.status(), 401);

    for evil in [
        "https://evil.example/",
        "//evil.example/admin/",
        "/profile",
        "/admin",
    ] {
        let resp = browser
            .submit(&format!("/admin/tokens/{id}/activate"), &[("next", evil)])
            .await;
        assert_eq!(resp.status(), 303);
        assert_eq!(location(&resp), "/admin/tokens", "{evil}");
    }
    // `next` may also come in the action's query string.
    let resp = browser
        .submit(
            &format!("/admin/tokens/{id}/activate?next=/admin/audit"),
            &[],
        )
        .await;
    assert_eq!(location(&resp), "/admin/audit");

    // Without the CSRF token: refused, nothing changed.
    let resp = browser
        .client
        .post(browser.url(&format!("/admin/tokens/{id}/deactivate")))
        .form(&[("csrf_token", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    assert_eq!(app.get("/profile.json", &victim).await.status(), 200);

    // Without JavaScript a deletion asks first.
    let resp = browser
        .submit(&format!("/admin/tokens/{id}/delete"), &[("next", &back)])
        .await;
    assert_eq!(resp.status(), 200);
    let html = resp.text().await.unwrap();
    assert!(html.contains("Delete token"));
    assert!(html.contains(&format!("/admin/tokens/{id}/delete?next=")));
    assert_eq!(
        app.get("/profile.json", &victim).await.status(),
        200,
        "not yet"
    );
    let resp = browser
        .submit(
            &format!("/admin/tokens/{id}/delete"),
            &[("confirmed", "yes"), ("next", &back)],
        )
        .await;
    assert_eq!(location(&resp), back);
    assert_eq!(app.get("/profile.json", &victim).await.status(), 401);
    let resp = browser
        .submit(
            &format!("/admin/tokens/{id}/delete"),
            &[("confirmed", "yes")],
        )
        .await;
    assert_eq!(resp.status(), 404);
}

// ---- accounts -----------------------------------------------------------

#[tokio::test]
async fn create_account_as_json_returns_the_password_once() {
    let app = TestApp::spawn().await;
    let writer = app.with_admin().await.token;
    let resp = app
        .post_json(
            "/admin/users.json",
            &writer,
            &json!({"username": "new.person", "display_name": "New Person", "role": "user"}),
        )
        .await;
    assert_eq!(resp.status(), 201);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(keys(&body), ["account", "password"]);
    let account = &body["account"];
    assert_eq!(account["username"], "new.person");
    assert_eq!(account["display_name"], "New Person");
    assert_eq!(account["role"], "user");
    assert_eq!(account["active"], true);
    assert_eq!(account["token_count"], 0);
    assert!(account["account_id"].as_str().unwrap().starts_with("acc_"));
    let password = body["password"].as_str().unwrap().to_owned();
    assert!(password.len() >= 16);

    // The password works, in the browser.
    let person = TestUser {
        account: find_account(&app, account["account_id"].as_str().unwrap()),
        password,
    };
    Browser::signed_in(&app, &person).await;

    // Role defaults to user; admins can be made too.
    let resp = app
        .post_json("/admin/users.json", &writer, &json!({"username": "plain"}))
        .await;
    assert_eq!(json_of(resp, 201).await["account"]["role"], "user");
    let resp = app
        .post_json(
            "/admin/users.json",
            &writer,
            &json!({"username": "boss", "role": "admin"}),
        )
        .await;
    assert_eq!(json_of(resp, 201).await["account"]["role"], "admin");

    let created = audit_rows(&app)
        .into_iter()
        .filter(|e| e.event == "account.created" && e.actor_account_id.is_some())
        .count();
    assert_eq!(created, 3);

    let cases: [(Value, &str); 7] = [
        (json!({}), "username"),
        (json!({"username": ""}), "username"),
        (json!({"username": "has space"}), "username"),
        (json!({"username": "x".repeat(65)}), "username"),
        (json!({"username": 5}), "username"),
        (json!({"username": "ok", "role": "root"}), "role"),
        (
            json!({"username": "ok", "display_name": "a\u{7}b"}),
            "display_name",
        ),
    ];
    for (body, field) in cases {
        let resp = app.post_json("/admin/users.json", &writer, &body).await;
        assert_error(resp, 400, "invalid_input", Some(field)).await;
    }
    let resp = app
        .post_json(
            "/admin/users.json",
            &writer,
            &json!({"username": "new.person"}),
        )
        .await;
    let body = assert_error(resp, 409, "conflict", None).await;
    assert!(message(&body).contains("new.person"));
    let resp = app
        .request(Method::POST, "/admin/users.json", Some(&writer))
        .body("username=x")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    assert_error(resp, 415, "unsupported_media_type", None).await;
}

#[tokio::test]
async fn create_account_form_shows_the_password_once() {
    let app = TestApp::spawn().await;
    let browser = app.with_admin().await.browser;
    let resp = browser
        .submit(
            "/admin/users",
            &[
                ("username", " formuser "),
                ("display_name", "Form User"),
                ("role", "user"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 303);
    let page = location(&resp).to_owned();
    assert!(page.starts_with("/admin/users/acc_"), "{page}");
    let account_id = page.trim_start_matches("/admin/users/");
    let account = find_account(&app, account_id);
    assert_eq!(account.username, "formuser");

    let resp = browser.get(&page).await;
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let html = resp.text().await.unwrap();
    assert!(html.contains(r#"<dialog id="password-reveal""#));
    let marker =
        r#"<code id="initial-password" class="secret" aria-labelledby="initial-password-name">"#;
    let start = html.find(marker).unwrap() + marker.len();
    let password = html[start..start + html[start..].find('<').unwrap()].to_owned();
    let (_, again) = browser.fetch(&page).await;
    assert!(!again.contains("password-reveal"), "shown once");
    assert!(!again.contains(&password));
    Browser::signed_in(&app, &TestUser { account, password }).await;

    // Mistakes come back with what was typed and the reason.
    let resp = browser
        .submit(
            "/admin/users",
            &[
                ("username", "bad name!"),
                ("display_name", "Typed"),
                ("role", "user"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 400);
    let html = resp.text().await.unwrap();
    assert!(html.contains(r#"id="new-username-error""#));
    assert!(html.contains(r#"value="Typed""#));
    let resp = browser
        .submit(
            "/admin/users",
            &[("username", "formuser"), ("role", "admin")],
        )
        .await;
    assert_eq!(resp.status(), 409);
    assert!(resp.text().await.unwrap().contains("is taken"));
    let resp = browser
        .submit("/admin/users", &[("username", "other"), ("role", "king")])
        .await;
    assert_eq!(resp.status(), 400);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains(r#"id="new-role-error""#)
    );
}

#[tokio::test]
async fn role_changes_are_checked_audited_and_take_effect_at_once() {
    let Cast {
        app,
        admin,
        writer,
        user,
        victim: user_token,
        ..
    } = Cast::new().await;
    let path = format!("/admin/users/{}/role.json", user.account.account_id);

    let resp = app
        .post_json(&path, &writer, &json!({"role": "admin"}))
        .await;
    let account = json_of(resp, 200).await;
    assert_eq!(account["role"], "admin");
    assert_eq!(account["account_id"], user.account.account_id);
    assert_eq!(find_account(&app, &user.account.account_id).role, "admin");
    // Asking again changes and records nothing.
    let resp = app
        .post_json(&path, &writer, &json!({"role": "admin"}))
        .await;
    assert_eq!(json_of(resp, 200).await["role"], "admin");
    let resp = app
        .post_json(&path, &writer, &json!({"role": "user"}))
        .await;
    assert_eq!(json_of(resp, 200).await["role"], "user");
    let changes: Vec<AuditEvent> = audit_rows(&app)
        .into_iter()
        .filter(|e| e.event == "account.role_changed")
        .collect();
    assert_eq!(changes.len(), 2);
    assert_eq!(
        changes[0].actor_account_id.as_deref(),
        Some(admin.account.account_id.as_str())
    );
    assert_eq!(
        changes[0].target_account_id.as_deref(),
        Some(user.account.account_id.as_str())
    );
    assert_eq!(app.get("/profile.json", &user_token).await.status(), 200);

    for (body, field) in [
        (json!({}), "role"),
        (json!({"role": "root"}), "role"),
        (json!({"role": 1}), "role"),
        (json!({"role": ""}), "role"),
    ] {
        let resp = app.post_json(&path, &writer, &body).await;
        assert_error(resp, 400, "invalid_input", Some(field)).await;
    }
    for nobody in ["acc_nobody", "acc%00", "acc%20x", "%E2%9C%93"] {
        let resp = app
            .post_json(
                &format!("/admin/users/{nobody}/role.json"),
                &writer,
                &json!({"role": "user"}),
            )
            .await;
        assert_error(resp, 404, "not_found", None).await;
    }
    let resp = app
        .post_json(&path, &writer, &json!({"role": "admin", "extra": 1}))
        .await;
    assert_error(resp, 400, "invalid_input", None).await;

    // The last active admin stays.
    let self_path = format!("/admin/users/{}/role.json", admin.account.account_id);
    let resp = app
        .post_json(&self_path, &writer, &json!({"role": "user"}))
        .await;
    let body = assert_error(resp, 409, "conflict", None).await;
    assert!(message(&body).contains("last active admin"));
    let resp = app
        .call(
            Method::POST,
            &format!("/admin/users/{}/deactivate.json", admin.account.account_id),
            Some(&writer),
        )
        .await;
    assert_error(resp, 409, "conflict", None).await;
    assert!(find_account(&app, &admin.account.account_id).is_admin());

    // With a second admin the first may step down, and loses admin power
    // at once, tokens included.
    app.admin();
    let resp = app
        .post_json(&self_path, &writer, &json!({"role": "user"}))
        .await;
    assert_eq!(json_of(resp, 200).await["role"], "user");
    let resp = app.get("/admin/users.json", &writer).await;
    assert_error(resp, 403, "insufficient_scope", Some("scopes")).await;
}

#[tokio::test]
async fn a_deactivated_account_is_signed_out_everywhere_and_its_tokens_stop() {
    let Cast {
        app,
        writer,
        user,
        victim: token,
        ..
    } = Cast::new().await;
    let laptop = Browser::signed_in(&app, &user).await;
    let phone = Browser::signed_in(&app, &user).await;
    assert_eq!(session_count(&app, &user.account), 2);

    let resp = app
        .call(
            Method::POST,
            &format!("/admin/users/{}/deactivate.json", user.account.account_id),
            Some(&writer),
        )
        .await;
    let account = json_of(resp, 200).await;
    assert_eq!(account["active"], false);
    assert_eq!(account["token_count"], 1);
    assert_eq!(session_count(&app, &user.account), 0);
    for browser in [&laptop, &phone] {
        let resp = browser.get("/profile").await;
        assert_eq!(resp.status(), 303);
        assert_eq!(location(&resp), "/login");
    }
    assert_eq!(app.get("/profile.json", &token).await.status(), 401);
    let again = Browser::new(&app);
    let resp = again
        .try_sign_in(&user.account.username, &user.password)
        .await;
    assert_eq!(resp.status(), 401, "cannot sign in");

    let resp = app
        .call(
            Method::POST,
            &format!("/admin/users/{}/activate.json", user.account.account_id),
            Some(&writer),
        )
        .await;
    assert_eq!(json_of(resp, 200).await["active"], true);
    assert_eq!(app.get("/profile.json", &token).await.status(), 200);
    assert_eq!(
        laptop.get("/profile").await.status(),
        303,
        "old sessions stay ended"
    );
    Browser::signed_in(&app, &user).await;

    let events: Vec<String> = audit_rows(&app)
        .into_iter()
        .filter(|e| e.event.starts_with("account.") && e.actor_account_id.is_some())
        .map(|e| e.event)
        .collect();
    assert_eq!(events, ["account.deactivated", "account.activated"]);
}

#[tokio::test]
async fn account_forms_redirect_flash_and_refuse_the_last_admin() {
    let Cast {
        app, admin, user, ..
    } = Cast::new().await;
    let browser = Browser::signed_in(&app, &admin).await;
    let page = format!("/admin/users/{}", user.account.account_id);

    let resp = browser
        .submit(&format!("{page}/role"), &[("role", "admin")])
        .await;
    assert_eq!(
        (resp.status().as_u16(), location(&resp)),
        (303, page.as_str())
    );
    let (_, html) = browser.fetch(&page).await;
    assert!(html.contains("is now admin."));
    let resp = browser.submit(&format!("{page}/deactivate"), &[]).await;
    assert_eq!(location(&resp), page);
    assert!(!find_account(&app, &user.account.account_id).active);
    let resp = browser.submit(&format!("{page}/activate"), &[]).await;
    assert_eq!(location(&resp), page);
    assert!(find_account(&app, &user.account.account_id).active);
    let resp = browser
        .submit(&format!("{page}/role"), &[("role", "user")])
        .await;
    assert_eq!(location(&resp), page);

    let own = format!("/admin/users/{}", admin.account.account_id);
    let resp = browser.submit(&format!("{own}/deactivate"), &[]).await;
    assert_eq!(resp.status(), 409);
    let html = resp.text().await.unwrap();
    assert!(
        html.contains("last active admin"),
        "the reason, on the account's page"
    );
    assert!(html.contains(r#"id="account-role""#));
    let resp = browser
        .submit(&format!("{own}/role"), &[("role", "user")])
        .await;
    assert_eq!(resp.status(), 409);
    let resp = browser
        .submit(&format!("{own}/role"), &[("role", "emperor")])
        .await;
    assert_eq!(resp.status(), 400);
    let resp = browser
        .submit("/admin/users/acc_nobody/activate", &[])
        .await;
    assert_eq!(resp.status(), 404);
    let resp = browser
        .client
        .post(browser.url(&format!("{page}/deactivate")))
        .form(&[("csrf_token", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    assert!(find_account(&app, &user.account.account_id).active);

    // An admin who steps down lands on their own preferences.
    app.admin();
    let resp = browser
        .submit(&format!("{own}/role"), &[("role", "user")])
        .await;
    assert_eq!(location(&resp), "/profile");
    assert_eq!(browser.fetch(&own).await.0, 403);
}

#[tokio::test]
async fn concurrent_demotions_never_leave_no_admin() {
    let app = TestApp::spawn().await;
    for round in 0..6 {
        let a = app.admin();
        let b = app.admin();
        // Everyone else steps down, so a and b are the only active admins.
        app.leave_only_admins(&[&a, &b]);
        let ta = app.token(&a.account, &["admin:write"]);
        let tb = app.token(&b.account, &["admin:write"]);
        // Each removes the other, one by demotion and one by deactivation
        // in odd rounds, so both kinds of change race each other.
        let (path_a, body_a) = (
            format!("/admin/users/{}/role.json", b.account.account_id),
            json!({"role": "user"}),
        );
        let path_b = if round % 2 == 0 {
            format!("/admin/users/{}/role.json", a.account.account_id)
        } else {
            format!("/admin/users/{}/deactivate.json", a.account.account_id)
        };
        let body_b = json!({"role": "user"});
        let (ra, rb) = tokio::join!(
            app.post_json(&path_a, &ta, &body_a),
            app.post_json(&path_b, &tb, &body_b),
        );
        let mut statuses = [ra.status().as_u16(), rb.status().as_u16()];
        statuses.sort();
        // The loser either sees the conflict or, having lost admin power
        // (or its account) a moment before, is refused at the door.
        assert!(
            statuses[0] == 200 && [401, 403, 409].contains(&statuses[1]),
            "round {round}: {statuses:?}"
        );
        let admins = app.with_conn(|c| accounts::count_active_admins(c).unwrap());
        assert_eq!(admins, 1, "round {round}");
    }
}

// ---- audit integrity ------------------------------------------------------

/// Makes every audit insert fail, in this test's own database only.
fn break_audit(app: &TestApp) {
    let sql = if app.test_db.is_sqlite() {
        "CREATE TRIGGER audit_refused BEFORE INSERT ON audit_events \
         BEGIN SELECT RAISE(ABORT, 'audit refused'); END;"
    } else {
        "CREATE OR REPLACE FUNCTION audit_refused() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN RAISE EXCEPTION 'audit refused'; END $$; \
         CREATE TRIGGER audit_refused BEFORE INSERT ON audit_events \
         FOR EACH ROW EXECUTE FUNCTION audit_refused();"
    };
    app.with_conn(|c| c.batch_execute(sql).unwrap());
}

fn mend_audit(app: &TestApp) {
    let sql = if app.test_db.is_sqlite() {
        "DROP TRIGGER audit_refused;"
    } else {
        "DROP TRIGGER audit_refused ON audit_events;"
    };
    app.with_conn(|c| c.batch_execute(sql).unwrap());
}

/// What the changes below could alter, to compare before and after.
fn snapshot(app: &TestApp) -> String {
    app.with_conn(|c| {
        let accounts: Vec<(String, String, bool, Option<time::PrimitiveDateTime>)> =
            accounts_t::table
                .select((
                    accounts_t::account_id,
                    accounts_t::role,
                    accounts_t::active,
                    accounts_t::last_login_at,
                ))
                .order(accounts_t::id)
                .load(c)
                .unwrap();
        let tokens: Vec<(i64, bool)> = api_tokens::table
            .select((api_tokens::id, api_tokens::active))
            .order(api_tokens::id)
            .load(c)
            .unwrap();
        let sessions: i64 = sessions::table.count().get_result(c).unwrap();
        let audit: i64 = audit_events::table.count().get_result(c).unwrap();
        format!("{accounts:?} {tokens:?} sessions={sessions} audit={audit}")
    })
}

#[tokio::test]
async fn a_change_and_its_audit_entry_commit_together() {
    let Cast {
        app,
        admin,
        writer,
        user,
        victim_id,
        ..
    } = Cast::new().await;
    let signed_in = Browser::signed_in(&app, &user).await;
    let account_path = format!("/admin/users/{}", user.account.account_id);

    // Each change, and the one audit event it must leave.
    type Change<'a> = (&'a str, Method, String, Option<Value>);
    let changes: Vec<Change> = vec![
        (
            "token.created",
            Method::POST,
            "/profile/tokens.json".into(),
            Some(json!({"label": "x", "scopes": ["tokens:write"]})),
        ),
        (
            "token.deactivated",
            Method::POST,
            format!("/admin/tokens/{victim_id}/deactivate.json"),
            None,
        ),
        (
            "token.activated",
            Method::POST,
            format!("/admin/tokens/{victim_id}/activate.json"),
            None,
        ),
        (
            "account.created",
            Method::POST,
            "/admin/users.json".into(),
            Some(json!({"username": "audited"})),
        ),
        (
            "account.role_changed",
            Method::POST,
            format!("{account_path}/role.json"),
            Some(json!({"role": "admin"})),
        ),
        (
            "account.deactivated",
            Method::POST,
            format!("{account_path}/deactivate.json"),
            None,
        ),
        (
            "account.activated",
            Method::POST,
            format!("{account_path}/activate.json"),
            None,
        ),
        (
            "token.deleted",
            Method::DELETE,
            format!("/admin/tokens/{victim_id}.json"),
            None,
        ),
    ];
    for (event, method, path, body) in changes {
        let send = || {
            let req = app.request(method.clone(), &path, Some(&writer));
            match &body {
                Some(b) => req.json(b),
                None => req,
            }
        };
        break_audit(&app);
        let before = snapshot(&app);
        let resp = send().send().await.unwrap();
        assert_eq!(resp.status(), 500, "{event}: the audit insert failed");
        assert_eq!(
            snapshot(&app),
            before,
            "{event}: nothing applied without its entry"
        );
        if event == "account.deactivated" {
            assert_eq!(
                signed_in.get("/profile").await.status(),
                200,
                "sessions kept"
            );
        }
        mend_audit(&app);

        let count = audit_rows(&app).len();
        let resp = send().send().await.unwrap();
        assert!(resp.status().is_success(), "{event}: {}", resp.status());
        let log = audit_rows(&app);
        assert_eq!(log.len(), count + 1, "{event}: exactly one entry");
        let entry = log.last().unwrap();
        assert_eq!(entry.event, event);
        assert_eq!(
            entry.actor_account_id.as_deref(),
            Some(admin.account.account_id.as_str())
        );
        assert!(entry.target_account_id.is_some(), "{event}: a target");
    }

    // Sign-in too: no session without its login.succeeded.
    break_audit(&app);
    let before = snapshot(&app);
    let browser = Browser::new(&app);
    let resp = browser
        .try_sign_in(&admin.account.username, &admin.password)
        .await;
    assert_eq!(resp.status(), 500);
    assert_eq!(snapshot(&app), before);
    assert_eq!(browser.get("/profile").await.status(), 303);
    mend_audit(&app);
}

#[tokio::test]
async fn no_audit_entry_ever_holds_a_secret() {
    let app = TestApp::spawn().await;
    let admin = app.admin();
    let writer = app.token(
        &admin.account,
        &["admin:write", "admin:read", "tokens:write"],
    );
    let mut secrets = vec![admin.password.clone(), writer.clone()];

    let body = json!({"label": "api made", "scopes": ["tokens:write"]});
    let made = app.mint(&writer, body).await;
    let api_secret = made["secret"].as_str().unwrap().to_owned();
    secrets.push(api_secret.clone());
    let resp = app
        .post_json(
            "/admin/users.json",
            &writer,
            &json!({"username": "secretive"}),
        )
        .await;
    let created = json_of(resp, 201).await;
    let password = created["password"].as_str().unwrap().to_owned();
    secrets.push(password.clone());
    let account_id = created["account"]["account_id"]
        .as_str()
        .unwrap()
        .to_owned();

    // A browser: sign in, make a token through the form, fail to sign in
    // with a secret typed in the wrong box.
    let person = TestUser {
        account: find_account(&app, &account_id),
        password: password.clone(),
    };
    let browser = Browser::signed_in(&app, &person).await;
    let resp = browser
        .generate(&[
            ("label", "form made"),
            ("scopes", "profile:read"),
            ("expires_in_hours", "24"),
        ])
        .await;
    assert_eq!(resp.status(), 303);
    let (_, html) = browser.fetch("/profile").await;
    let marker = r#"<code id="token-secret" class="secret" aria-labelledby="token-secret-name">"#;
    let start = html.find(marker).unwrap() + marker.len();
    let form_secret = html[start..start + html[start..].find('<').unwrap()].to_owned();
    secrets.push(form_secret.clone());
    let stranger = Browser::new(&app);
    let login = stranger.get("/login").await.text().await.unwrap();
    for (name, typed) in [
        (person.account.username.as_str(), api_secret.as_str()),
        (api_secret.as_str(), password.as_str()),
        ("secretive", "hunter2-wrong-password"),
    ] {
        let resp = stranger
            .client
            .post(stranger.url("/login"))
            .form(&sign_in_form(name, typed, &meta_csrf(&login)))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 401);
    }
    secrets.push("hunter2-wrong-password".into());

    // Token and account changes through every door.
    let id = app.token_id(&form_secret);
    for path in [
        format!("/admin/tokens/{id}/deactivate.json"),
        format!("/admin/tokens/{id}/activate.json"),
    ] {
        assert_eq!(
            app.call(Method::POST, &path, Some(&writer)).await.status(),
            200
        );
    }
    let resp = app
        .call(
            Method::DELETE,
            &format!("/profile/tokens/{}.json", made["token"]["id"]),
            Some(&writer),
        )
        .await;
    assert_eq!(resp.status(), 204);
    for change in ["deactivate", "activate"] {
        let resp = app
            .call(
                Method::POST,
                &format!("/admin/users/{account_id}/{change}.json"),
                Some(&writer),
            )
            .await;
        assert_eq!(resp.status(), 200);
    }

    let log = audit_rows(&app);
    assert!(log.len() >= 12, "{} entries", log.len());
    for entry in &log {
        let columns = [
            Some(entry.event.clone()),
            Some(format!("{:?}", entry.at)),
            entry.actor_account_id.clone(),
            entry.target_account_id.clone(),
            entry.token_prefix.clone(),
            entry.ip.clone(),
        ];
        for column in columns.iter().flatten() {
            for secret in &secrets {
                assert!(
                    !column.contains(secret.as_str()),
                    "{entry:?} holds a secret"
                );
                if secret.starts_with("tsr_") {
                    // Not even the part after the public prefix.
                    assert!(
                        !column.contains(&secret[12..24]),
                        "{entry:?} holds part of a token"
                    );
                }
            }
        }
        if let Some(prefix) = &entry.token_prefix {
            assert_eq!(prefix.len(), 12, "only the 12-character prefix");
        }
    }
    // And the JSON view of the log neither.
    let body = app
        .get_text("/admin/audit.json?per_page=100", &writer)
        .await;
    for secret in &secrets {
        assert!(!body.contains(secret.as_str()));
    }
}

#[tokio::test]
async fn a_signed_in_admin_calls_the_json_twins_with_the_csrf_header() {
    let app = TestApp::spawn().await;
    let browser = app.with_admin().await.browser;
    let user = app.user();

    let resp = browser
        .json(Method::GET, "/admin/users.json")
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(resp, 200).await["total"], 2);
    let path = format!("/admin/users/{}/role.json", user.account.account_id);
    let resp = browser
        .json(Method::POST, &path)
        .json(&json!({"role": "admin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(resp, 200).await["role"], "admin");
    let resp = browser
        .client
        .post(browser.url(&path))
        .json(&json!({"role": "user"}))
        .send()
        .await
        .unwrap();
    assert_error(resp, 403, "forbidden", Some("csrf_token")).await;
    assert!(find_account(&app, &user.account.account_id).is_admin());
}
