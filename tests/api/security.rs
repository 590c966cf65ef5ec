//! The promises of SPEC §6 and docs/SECURITY.md, tried from outside: CSRF on
//! every state change, the one-time reveal, sign-in throttling, escaping,
//! security headers, and secrets that never reach the disk or the log.

use std::net::IpAddr;
use std::process::{Command, Stdio};

use diesel::prelude::*;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use tessera::accounts::Username;
use tessera::actions::{self, Actor};
use tessera::config::{LoginLimit, key_file_path};
use tessera::db::models::tokens as token_db;
use tessera::db::schema::{api_tokens, audit_events, sessions};
use tessera::tokens::{PlainToken, Role, SecretKey};

use crate::helpers::{
    Browser, Served, TestApp, TestDb, TestUser, assert_error, assert_see_other, contains,
    json_body, sign_in_form,
};
use crate::sessions::open_cookie;

fn token_ids(app: &TestApp, user: &TestUser) -> Vec<(i64, bool)> {
    app.with_conn(|c| {
        api_tokens::table
            .filter(api_tokens::account_id.eq(user.account.id))
            .order(api_tokens::id)
            .select((api_tokens::id, api_tokens::active))
            .load(c)
            .unwrap()
    })
}

fn session_count(app: &TestApp) -> i64 {
    app.with_conn(|c| sessions::table.count().get_result(c).unwrap())
}

/// The secret shown in the reveal dialog, if the page has one.
fn revealed_secret(html: &str) -> Option<String> {
    let at = html.find(r#"id="token-secret""#)?;
    let start = at + html[at..].find('>')? + 1;
    let len = html[start..].find('<')?;
    Some(html[start..start + len].trim().to_owned())
}

// --- CSRF ---------------------------------------------------------------

/// Sends each form with no CSRF token, a wrong one and `borrowed` (another
/// session's): each is refused with a 403 page and leaves `state` as it was.
async fn assert_csrf_refused<S: PartialEq + std::fmt::Debug>(
    browser: &Browser,
    borrowed: &str,
    forms: &[(String, Vec<(&str, &str)>)],
    state: impl Fn() -> S,
) {
    let before = state();
    let wrong = "x".repeat(browser.csrf.len());
    for sent in [None, Some(wrong.as_str()), Some(borrowed)] {
        for (path, fields) in forms {
            let mut fields = fields.clone();
            if let Some(token) = sent {
                fields.push(("csrf_token", token));
            }
            let resp = browser.post_form(path, &fields).await;
            assert_eq!(resp.status(), 403, "{path} with {sent:?}");
            let content_type = resp.headers()["content-type"].to_str().unwrap();
            assert!(content_type.starts_with("text/html"), "{path}");
            assert_eq!(state(), before, "{path} with {sent:?} changed nothing");
        }
    }
}

#[tokio::test]
async fn every_form_refuses_a_missing_wrong_or_borrowed_csrf_token() {
    let app = TestApp::spawn().await;
    let user = app.user();
    let mut browser = Browser::new(&app);
    let csrf = browser.sign_in(&user).await;
    let mut other = Browser::new(&app);
    let borrowed = other.sign_in(&app.user()).await;
    assert_ne!(csrf, borrowed);
    app.token(&user.account, &["tokens:read"]);
    app.token(&user.account, &["tokens:read"]);
    let ids = token_ids(&app, &user);
    let (live, dormant) = (ids[0].0, ids[1].0);
    app.with_conn(|c| token_db::set_active(c, dormant, false).unwrap());

    let forms: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            "/profile/tokens".into(),
            vec![
                ("label", "sneaky"),
                ("scopes", "tokens:read"),
                ("expires_in_hours", "720"),
            ],
        ),
        (format!("/profile/tokens/{live}/deactivate"), vec![]),
        (format!("/profile/tokens/{dormant}/activate"), vec![]),
        (
            format!("/profile/tokens/{live}/delete"),
            vec![("confirmed", "yes")],
        ),
        ("/logout".into(), vec![]),
    ];
    let state = || (token_ids(&app, &user), session_count(&app));
    assert_eq!(state(), (vec![(live, true), (dormant, false)], 2));
    assert_csrf_refused(&browser, &borrowed, &forms, state).await;

    // The same forms with the session's own token do what they say, so the
    // refusals above were the CSRF check and nothing else.
    for (path, fields) in &forms {
        let mut fields = fields.clone();
        fields.push(("csrf_token", &csrf));
        let resp = browser.post_form(path, &fields).await;
        let back = if *path == "/logout" {
            "/login"
        } else {
            "/profile"
        };
        assert_see_other(&resp, back);
    }
    let after = token_ids(&app, &user);
    assert_eq!(after.len(), 2, "one created, one deleted: {after:?}");
    assert_eq!(after[0], (dormant, true));
    assert_eq!(session_count(&app), 1, "signed out");
}

#[tokio::test]
async fn the_sign_in_form_needs_the_visitors_own_csrf_token() {
    let app = TestApp::spawn().await;
    let user = app.user();
    let mut browser = Browser::new(&app);
    let own = browser.csrf_of("/login").await;
    let stranger = Browser::new(&app);
    let strangers = stranger.csrf_of("/login").await;
    let mut signed_in = Browser::new(&app);
    let sessions_token = signed_in.sign_in(&app.user()).await;
    let wrong = "x".repeat(own.len());
    for sent in [
        None,
        Some(wrong.as_str()),
        Some(strangers.as_str()),
        Some(sessions_token.as_str()),
    ] {
        let mut fields = vec![
            ("username", user.account.username.as_str()),
            ("password", user.password.as_str()),
        ];
        if let Some(token) = sent {
            fields.push(("csrf_token", token));
        }
        let resp = browser.post_form("/login", &fields).await;
        assert_eq!(resp.status(), 403, "{sent:?}");
        assert!(resp.text().await.unwrap().contains("form has expired"));
        assert_see_other(&browser.get("/profile").await, "/login");
    }
    // Without any cookie there is nothing to match, whatever is sent.
    let form = sign_in_form(&user.account.username, &user.password, &own);
    let resp = app.post_sign_in(&form, None).await;
    assert_eq!(resp.status(), 403);
    assert_eq!(session_count(&app), 1, "only the other browser's");
    let attempts: Vec<String> = app.with_conn(|c| {
        audit_events::table
            .filter(audit_events::event.like("login.%"))
            .select(audit_events::event)
            .load(c)
            .unwrap()
    });
    assert_eq!(
        attempts,
        ["login.succeeded"],
        "refused forms never reach the password check"
    );

    browser.sign_in(&user).await;
}

#[tokio::test]
async fn json_changes_from_a_session_need_the_csrf_header() {
    let app = TestApp::spawn().await;
    let user = app.user();
    let mut browser = Browser::new(&app);
    let csrf = browser.sign_in(&user).await;
    let borrowed = Browser::new(&app).sign_in(&app.user()).await;
    let body = json!({"label": "from a script", "scopes": ["tokens:read"]});
    let post = |path: &str| browser.client.post(browser.url(path));

    for header in [None, Some("nope"), Some(borrowed.as_str())] {
        let mut req = post("/profile/tokens.json").json(&body);
        if let Some(h) = header {
            req = req.header("X-CSRF-Token", h);
        }
        let resp = req.send().await.unwrap();
        assert_error(resp, 403, "forbidden", Some("csrf_token")).await;
    }
    assert!(token_ids(&app, &user).is_empty());
    // Reads need no header.
    assert_eq!(browser.get("/profile/tokens.json").await.status(), 200);

    let resp = post("/profile/tokens.json")
        .header("X-CSRF-Token", &csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let id = token_ids(&app, &user)[0].0;

    for (method, path, ok) in [
        ("POST", format!("/profile/tokens/{id}/deactivate.json"), 200),
        ("POST", format!("/profile/tokens/{id}/activate.json"), 200),
        ("DELETE", format!("/profile/tokens/{id}.json"), 204),
    ] {
        let method: reqwest::Method = method.parse().unwrap();
        let before = token_ids(&app, &user);
        let resp = browser
            .client
            .request(method.clone(), browser.url(&path))
            .send()
            .await
            .unwrap();
        assert_error(resp, 403, "forbidden", Some("csrf_token")).await;
        assert_eq!(token_ids(&app, &user), before, "{path}");
        let resp = browser
            .client
            .request(method, browser.url(&path))
            .header("X-CSRF-Token", &csrf)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), ok, "{path}");
    }
    assert!(token_ids(&app, &user).is_empty());
}

#[tokio::test]
async fn token_callers_need_no_csrf() {
    let (app, _, master) = TestApp::with_token(&["tokens:read", "tokens:write"]).await;
    let (status, created) = app
        .create_token_api(&master, json!({"label": "ci", "scopes": ["tokens:read"]}))
        .await;
    assert_eq!(status, 201);
    let id = created["token"]["id"].as_i64().unwrap();
    let resp = app
        .post_json(
            &format!("/profile/tokens/{id}/deactivate.json"),
            &master,
            &json!({}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let path = format!("/profile/tokens/{id}.json");
    let resp = app
        .call(reqwest::Method::DELETE, &path, Some(&master))
        .await;
    assert_eq!(resp.status(), 204);
    assert!(resp.headers().get("set-cookie").is_none());
}

// --- The one-time reveal ------------------------------------------------

#[tokio::test]
async fn a_new_token_is_shown_once_and_works() {
    let (app, user, browser) = TestApp::with_browser().await;
    let resp = browser
        .generate(&[
            ("label", "laptop"),
            ("scopes", "tokens:read"),
            ("expires_in_hours", "720"),
        ])
        .await;
    assert_see_other(&resp, "/profile");
    assert!(resp.text().await.unwrap().is_empty());

    let resp = browser.get("/profile").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let page = resp.text().await.unwrap();
    assert!(page.contains(r#"<dialog id="token-reveal""#));
    let secret = revealed_secret(&page).expect("the reveal dialog shows the token");
    assert!(PlainToken::parse(&secret).is_ok(), "{secret}");
    assert!(page.contains(&format!(
        r#"id="reveal-account-id" aria-labelledby="reveal-account-name">{}<"#,
        user.account.account_id
    )));
    assert!(!browser.cookie().unwrap().contains(&secret[4..]));

    for _ in 0..2 {
        let resp = browser.get("/profile").await;
        assert_eq!(resp.headers()["cache-control"], "no-store");
        let again = resp.text().await.unwrap();
        assert!(!again.contains(&secret[4..]), "shown a second time");
        assert!(!again.contains("token-reveal"));
        assert!(again.contains(&secret[..12]), "the list shows the prefix");
    }

    let listed: Value = app.get_json("/profile/tokens.json", &secret).await;
    assert_eq!(listed["tokens"][0]["label"], "laptop");
    assert!(!listed.to_string().contains(&secret[4..]));
}

// --- Sign-in throttling -------------------------------------------------

fn retry_after(resp: &Response) -> u64 {
    resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .expect("Retry-After is a number of seconds")
}

const THREE_A_MINUTE: LoginLimit = LoginLimit {
    max_failures: 3,
    window_secs: 60,
};

#[tokio::test]
async fn a_username_is_throttled_whatever_address_it_is_tried_from() {
    let app = TestApp::spawn_with(|c| c.login_limit = THREE_A_MINUTE).await;
    let user = app.user();
    let bystander = app.user();
    for n in 2..5 {
        let resp = Browser::from_ip(&app, n)
            .try_sign_in(&user.account.username, "guess")
            .await;
        assert_eq!(resp.status(), 401, "attempt from 127.0.0.{n}");
    }
    // The fourth attempt is refused even with the right password.
    for name in [
        user.account.username.clone(),
        user.account.username.to_uppercase(),
    ] {
        let browser = Browser::from_ip(&app, 5);
        let resp = browser.try_sign_in(&name, &user.password).await;
        assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
        let wait = retry_after(&resp);
        assert!((1..=60).contains(&wait), "Retry-After {wait}");
        let body = resp.text().await.unwrap();
        assert!(body.contains("Too many failed sign-in attempts"), "{body}");
        assert_see_other(&browser.get("/profile").await, "/login");
    }
    assert_eq!(session_count(&app), 0);
    // Others are not locked out by someone guessing at this name.
    Browser::from_ip(&app, 5).sign_in(&bystander).await;
}

#[tokio::test]
async fn an_address_is_throttled_across_usernames_and_forwarded_headers_do_not_help() {
    let app = TestApp::spawn_with(|c| c.login_limit = THREE_A_MINUTE).await;
    let user = app.user();
    let attacker = Browser::from_ip(&app, 7);
    for i in 0..3 {
        let csrf = attacker.csrf_of("/login").await;
        let resp = attacker
            .client
            .post(attacker.url("/login"))
            .header("X-Forwarded-For", format!("10.0.0.{i}"))
            .header("Forwarded", format!("for=10.0.0.{i}"))
            .form(&sign_in_form(format!("victim{i}").as_str(), "guess", &csrf))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 401);
    }
    let resp = attacker
        .try_sign_in(&user.account.username, &user.password)
        .await;
    assert_eq!(resp.status(), 429);
    assert!(retry_after(&resp) > 0);
    // The same account from elsewhere is fine: it was the address.
    Browser::from_ip(&app, 8).sign_in(&user).await;
    let ips: Vec<Option<String>> = app.with_conn(|c| {
        audit_events::table
            .filter(audit_events::event.eq("login.failed"))
            .select(audit_events::ip)
            .load(c)
            .unwrap()
    });
    assert_eq!(ips, vec![Some("127.0.0.7".to_owned()); 3]);
}

/// A sign-in attempt relayed by a load balancer for `client`.
async fn sign_in_via(browser: &Browser, client: &str, username: &str, password: &str) -> Response {
    let csrf = browser.csrf_of("/login").await;
    browser
        .client
        .post(browser.url("/login"))
        .header("X-Forwarded-For", client)
        .form(&sign_in_form(username, password, &csrf))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn behind_a_trusted_balancer_each_forwarded_client_is_counted_apart() {
    let app = TestApp::spawn_with(|c| {
        c.login_limit = THREE_A_MINUTE;
        c.trusted_proxies = [IpAddr::from([127, 0, 0, 9])].into_iter().collect();
    })
    .await;
    let user = app.user();
    let balancer = Browser::from_ip(&app, 9);
    for i in 0..3 {
        let resp = sign_in_via(&balancer, "198.51.100.1", &format!("victim{i}"), "guess").await;
        assert_eq!(resp.status(), 401);
    }
    let resp = sign_in_via(
        &balancer,
        "198.51.100.1",
        &user.account.username,
        &user.password,
    )
    .await;
    assert_eq!(resp.status(), 429, "the guessing client is stopped");
    let resp = sign_in_via(
        &balancer,
        "198.51.100.2",
        &user.account.username,
        &user.password,
    )
    .await;
    assert_see_other(&resp, "/profile");
    let ips: Vec<Option<String>> = app.with_conn(|c| {
        audit_events::table
            .filter(audit_events::event.like("login.%"))
            .order(audit_events::id)
            .select(audit_events::ip)
            .load(c)
            .unwrap()
    });
    let mut expected = vec![Some("198.51.100.1".to_owned()); 3];
    expected.push(Some("198.51.100.2".to_owned()));
    assert_eq!(ips, expected);
}

#[tokio::test]
async fn the_limit_lifts_when_the_window_has_passed() {
    let app = TestApp::spawn_with(|c| {
        c.login_limit = LoginLimit {
            max_failures: 1,
            window_secs: 2,
        }
    })
    .await;
    let user = app.user();
    let mut browser = Browser::new(&app);
    let resp = browser.try_sign_in(&user.account.username, "guess").await;
    assert_eq!(resp.status(), 401);
    let resp = browser
        .try_sign_in(&user.account.username, &user.password)
        .await;
    assert_eq!(resp.status(), 429);
    // Waiting as long as told is enough.
    let wait = retry_after(&resp);
    assert!((1..=2).contains(&wait), "Retry-After {wait}");
    tokio::time::sleep(std::time::Duration::from_millis(wait * 1000 + 20)).await;
    browser.sign_in(&user).await;
}

// --- Escaping -----------------------------------------------------------

const PAYLOADS: [&str; 3] = [
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "'><svg onload=alert(1)>",
];

/// What askama writes for `s` in HTML.
fn escaped(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
}

/// `page` shows `payload`, and only escaped.
fn assert_escaped(page: &str, payload: &str, what: &str) {
    for raw in ["<script>alert", "<img src=x", "<svg onload", payload] {
        assert!(!page.contains(raw), "{what}: {raw:?} unescaped");
    }
    assert!(
        page.contains(&escaped(payload)),
        "{what}: {payload:?} not shown"
    );
}

#[tokio::test]
async fn usernames_are_plain_and_never_markup() {
    let app = TestApp::spawn().await;
    for payload in PAYLOADS.iter().chain(&["a b", "ünïcode", ""]) {
        let err = Username::parse(payload).expect_err(payload);
        assert_eq!(err.field(), Some("username"), "{payload}");
    }
    assert!(
        actions::create_account(
            &mut app.conn(),
            app.config.password_cost,
            &Username::parse("Dot.dash-under_score9").unwrap(),
            None,
            Role::User,
            Actor::console(),
        )
        .is_ok()
    );

    // Typed into the sign-in form, the name comes back escaped.
    let browser = Browser::new(&app);
    for payload in PAYLOADS {
        let resp = browser.try_sign_in(payload, "whatever").await;
        assert_eq!(resp.status(), 401);
        assert_escaped(&resp.text().await.unwrap(), payload, "login form");
    }
}

#[tokio::test]
async fn display_names_and_labels_are_escaped_wherever_they_appear() {
    let app = TestApp::spawn().await;
    for (i, payload) in PAYLOADS.into_iter().enumerate() {
        let user = app.create_user_named(&format!("xss{i}"), Some(payload), Role::User);
        assert_eq!(user.account.display_name, payload, "stored as typed");
        let browser = Browser::signed_in(&app, &user).await;

        let resp = browser
            .generate(&[
                ("label", payload),
                ("scopes", "tokens:read"),
                ("expires_in_hours", "720"),
            ])
            .await;
        assert_see_other(&resp, "/profile");
        // Flash, navigation, account details, token table, reveal dialog.
        let page = browser.page("/profile").await;
        assert_escaped(&page, payload, "profile");
        assert!(
            page.matches(&escaped(payload)).count() >= 4,
            "label and display name each shown: {page}"
        );
        let page = browser.page("/profile").await;
        assert_escaped(&page, payload, "profile again");

        // The confirmation page names the token.
        let id = token_ids(&app, &user)[0].0;
        let resp = browser
            .submit(&format!("/profile/tokens/{id}/delete"), &[])
            .await;
        assert_eq!(resp.status(), 200);
        assert_escaped(&resp.text().await.unwrap(), payload, "confirm delete");

        // A refused form is shown again as typed.
        let resp = browser
            .generate(&[("label", payload), ("expires_in_hours", "720")])
            .await;
        assert_eq!(resp.status(), 400);
        assert_escaped(&resp.text().await.unwrap(), payload, "form with errors");

        // JSON carries it verbatim; its content type and nosniff keep a
        // browser from reading it as a page.
        let body = json_body(browser.get("/profile.json").await).await;
        assert_eq!(body["display_name"], payload);
    }
}

#[tokio::test]
async fn error_pages_do_not_echo_the_url() {
    let app = TestApp::spawn().await;
    let resp = app
        .api
        .get(app.url("/%3Cscript%3Ealert(1)%3C/script%3E?q=%3Cimg%20src=x%3E"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    let body = resp.text().await.unwrap();
    assert!(!body.contains("<script>alert"));
    assert!(!body.contains("<img src=x"));
}

// --- Headers ------------------------------------------------------------

/// The headers every response carries, HTML or JSON.
fn assert_security_headers(resp: &Response, what: &str) {
    let h = resp.headers();
    let get = |name: &str| {
        h.get(name)
            .unwrap_or_else(|| panic!("{what}: no {name}"))
            .to_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(get("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(get("referrer-policy"), "same-origin", "{what}");
    let csp = get("content-security-policy");
    let directive = |name: &str| {
        csp.split(';')
            .map(str::trim)
            .find_map(|d| d.strip_prefix(name)?.strip_prefix(' '))
            .map(str::to_owned)
    };
    let scripts = directive("script-src")
        .or_else(|| directive("default-src"))
        .unwrap_or_else(|| panic!("{what}: no script-src in {csp}"));
    assert!(!scripts.contains("'unsafe-inline'"), "{what}: {csp}");
    assert!(!scripts.contains("'unsafe-eval'"), "{what}: {csp}");
    assert!(!scripts.contains('*'), "{what}: {csp}");
    assert_eq!(
        directive("frame-ancestors").as_deref(),
        Some("'none'"),
        "{what}"
    );
    assert_eq!(directive("object-src").as_deref(), Some("'none'"), "{what}");
}

/// Nothing a CSP without 'unsafe-inline' would block: scripts come from
/// files, no handlers in attributes, no `javascript:` links.
fn assert_no_inline_script(page: &str, what: &str) {
    for (i, _) in page.match_indices("<script") {
        let tag = &page[i..i + page[i..].find('>').unwrap()];
        assert!(tag.contains(r#" src="/static/"#), "{what}: {tag}");
    }
    let lower = page.to_lowercase();
    assert!(!lower.contains("javascript:"), "{what}");
    for word in lower.split(|c: char| c.is_whitespace()) {
        assert!(
            !(word.starts_with("on") && word.contains('=')),
            "{what}: an inline handler {word}"
        );
    }
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let (app, user, token) = TestApp::with_token(&["profile:read"]).await;
    let mut browser = Browser::new(&app);

    let resp = browser.get("/login").await;
    assert_security_headers(&resp, "/login");
    assert_eq!(resp.headers()["cache-control"], "no-store");
    assert_no_inline_script(&resp.text().await.unwrap(), "/login");

    browser.sign_in(&user).await;
    let resp = browser
        .generate(&[("label", "t"), ("scopes", "tokens:read")])
        .await;
    assert_security_headers(&resp, "303 after a form");
    let resp = browser.get("/profile").await;
    assert_security_headers(&resp, "/profile");
    let page = resp.text().await.unwrap();
    assert!(page.contains("token-reveal"));
    assert_no_inline_script(&page, "/profile with the reveal dialog");
    let id = token_ids(&app, &user)[0].0;
    let resp = browser
        .submit(&format!("/profile/tokens/{id}/delete"), &[])
        .await;
    assert_security_headers(&resp, "confirm delete");
    assert_no_inline_script(&resp.text().await.unwrap(), "confirm delete");

    let resp = browser.post_form("/logout", &[]).await;
    assert_eq!(resp.status(), 403);
    assert_security_headers(&resp, "403 page");
    let resp = browser.get("/no/such/page").await;
    assert_eq!(resp.status(), 404);
    assert_security_headers(&resp, "404 page");
    assert_no_inline_script(&resp.text().await.unwrap(), "404 page");

    let resp = app.get("/profile.json", &token).await;
    assert_eq!(resp.status(), 200);
    assert_security_headers(&resp, "/profile.json");
    let resp = app.api.get(app.url("/profile.json")).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    assert_security_headers(&resp, "401 JSON");
    // No CORS: another origin's script cannot read what a session sees.
    let resp = browser
        .client
        .get(browser.url("/profile/tokens.json"))
        .header("Origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        200,
        "still signed in: the sign-out was refused"
    );
    assert!(resp.headers().get("access-control-allow-origin").is_none());
    let resp = browser
        .client
        .request(
            reqwest::Method::OPTIONS,
            browser.url("/profile/tokens.json"),
        )
        .header("Origin", "https://evil.example")
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "x-csrf-token")
        .send()
        .await
        .unwrap();
    assert!(resp.headers().get("access-control-allow-origin").is_none());
    assert!(resp.headers().get("access-control-allow-headers").is_none());
    let resp = app.api.get(app.url("/healthz")).send().await.unwrap();
    assert_security_headers(&resp, "/healthz");

    let resp = app.api.get(app.url("/static/app.js")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("javascript"),
        "nosniff needs the right type"
    );
    assert_security_headers(&resp, "/static/app.js");
}

// --- Secrets at rest and in the log -------------------------------------

/// Every row of every table of the test's PostgreSQL schema, as text.
fn postgres_rows(db: &TestDb) -> String {
    use diesel::sql_types::Text;
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        row: String,
    }
    let mut conn = PgConnection::establish(&db.url_string).unwrap();
    let tables: Vec<Row> = diesel::sql_query(
        "SELECT table_name::text AS row FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
    )
    .load(&mut conn)
    .unwrap();
    assert!(tables.iter().any(|t| t.row == "api_tokens"));
    let mut out = String::new();
    for table in tables {
        let rows: Vec<Row> = diesel::sql_query(format!(
            "SELECT row_to_json(t)::text AS row FROM \"{}\" t",
            table.row
        ))
        .load(&mut conn)
        .unwrap();
        for r in rows {
            out.push_str(&r.row);
            out.push('\n');
        }
    }
    out
}

/// `pg_dump` of the test's schema, when the tool is installed.
fn postgres_dump(db: &TestDb) -> Option<String> {
    let (base, options) = db.url_string.rsplit_once("options=-csearch_path%3D")?;
    let schema = options.split('&').next()?;
    let base = base.trim_end_matches(['?', '&']);
    let out = Command::new("pg_dump")
        .args(["--data-only", "--schema", schema, base])
        .output()
        .ok()?;
    if !out.status.success() {
        // A client older or newer than the server; the row dump still ran.
        eprintln!(
            "pg_dump did not run: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return None;
    }
    Some(String::from_utf8(out.stdout).unwrap())
}

/// Everything the database holds, as bytes: the SQLite files (main, WAL,
/// shared memory) or a dump of the PostgreSQL schema.
fn database_bytes(db: &TestDb) -> Vec<(String, Vec<u8>)> {
    match db.sqlite_dir() {
        // The key file beside the database holds the server key by design.
        Some(dir) => std::fs::read_dir(dir)
            .unwrap()
            .filter(|e| {
                !e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".secret-key")
            })
            .map(|e| {
                let path = e.unwrap().path();
                (
                    path.file_name().unwrap().to_string_lossy().into_owned(),
                    std::fs::read(&path).unwrap(),
                )
            })
            .collect(),
        None => {
            let mut all = vec![("rows".to_owned(), postgres_rows(db).into_bytes())];
            if let Some(dump) = postgres_dump(db) {
                all.push(("pg_dump".to_owned(), dump.into_bytes()));
            }
            all
        }
    }
}

/// No secret in any byte of the database, yet the token's prefix is there
/// (so we did read the data we meant to).
fn assert_database_holds_no_secret(db: &TestDb, secrets: &[(&str, &str)], prefix: &str) {
    let files = database_bytes(db);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    if db.is_sqlite() {
        assert!(names.contains(&"tessera.db"), "{names:?}");
    }
    for (name, bytes) in &files {
        for (what, secret) in secrets {
            assert!(
                !contains(bytes, secret.as_bytes()),
                "{what} found in {name}"
            );
        }
    }
    assert!(
        files
            .iter()
            .any(|(_, bytes)| contains(bytes, prefix.as_bytes())),
        "the prefix {prefix} is stored somewhere in {names:?}"
    );
}

#[tokio::test]
async fn no_secret_is_stored_in_clear() {
    let app = TestApp::spawn().await;
    let user = app.user();
    let mut browser = Browser::new(&app);
    let login_csrf = browser.csrf_of("/login").await;
    let csrf = browser.sign_in(&user).await;
    let sid = open_cookie(&app.config.secret_key, &browser.cookie().unwrap())["sid"].clone();
    assert!(sid.len() >= 32);

    let resp = browser
        .generate(&[
            ("label", "from the form"),
            ("scopes", "tokens:read"),
            ("scopes", "tokens:write"),
        ])
        .await;
    assert_see_other(&resp, "/profile");
    let from_form = revealed_secret(&browser.page("/profile").await).unwrap();
    let resp = app
        .api
        .post(app.url("/profile/tokens.json"))
        .bearer_auth(&from_form)
        .json(&json!({"label": "from the API", "scopes": ["tokens:read"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let from_api = resp.json::<Value>().await.unwrap()["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/profile/tokens.json?api_token={from_api}");
    let resp = app.call(reqwest::Method::GET, &path, None).await;
    assert_eq!(resp.status(), 200, "used, so last_used_* are written too");

    // The sessions table holds a 32-byte HMAC per session and nothing that
    // could be replayed.
    let hashes: Vec<Vec<u8>> = app.with_conn(|c| {
        sessions::table
            .select(sessions::session_hash)
            .load(c)
            .unwrap()
    });
    assert_eq!(hashes.len(), 1);
    assert_eq!(hashes[0].len(), 32);

    let secrets = [
        ("the form's token", &from_form[4..]),
        ("the API's token", &from_api[4..]),
        ("the session secret", sid.as_str()),
        ("the session's CSRF token", csrf.as_str()),
        ("the sign-in form's CSRF token", login_csrf.as_str()),
        ("the password", user.password.as_str()),
        ("the server key", &app.config.secret_key.to_hex()),
    ];
    assert_database_holds_no_secret(&app.test_db, &secrets, &from_form[..12]);

    // Signing out leaves nothing behind either.
    let resp = browser.submit("/logout", &[]).await;
    assert_see_other(&resp, "/login");
    assert_database_holds_no_secret(&app.test_db, &secrets, &from_api[..12]);
}

/// `tessera serve` as an operator runs it, its log kept in `format`, with
/// `key` as its secret key if given; and the first account's password it
/// printed.
fn serve(db: &TestDb, key: Option<&str>, format: &str) -> (Served, String) {
    let server = Served::start(db, |cmd| {
        cmd.env("TESSERA_LOG", "info")
            .env("TESSERA_LOG_FORMAT", format)
            .stderr(Stdio::piped());
        match key {
            Some(key) => cmd.env("TESSERA_SECRET_KEY", key),
            None => cmd.env_remove("TESSERA_SECRET_KEY"),
        };
    });
    let password = server.first_password().unwrap_or_default();
    (server, password)
}

#[tokio::test]
async fn secrets_stay_out_of_the_log_and_the_database_files() {
    secrets_stay_out_of_the_log_written_as("text").await;
}

#[tokio::test]
async fn secrets_stay_out_of_the_json_log_too() {
    let log = secrets_stay_out_of_the_log_written_as("json").await;
    for line in log.lines() {
        let entry: Value = serde_json::from_str(line).expect("one JSON object per line");
        assert!(entry["timestamp"].is_string(), "{line}");
    }
}

/// Runs a server writing its log in `format`, uses every secret there is,
/// and finds none in the log or the database files; returns the log.
async fn secrets_stay_out_of_the_log_written_as(format: &str) -> String {
    let db = TestDb::new();
    // On SQLite the key is generated into <db>.secret-key; PostgreSQL needs
    // it configured.
    let configured = (!db.is_sqlite()).then(|| SecretKey::generate().to_hex());
    let (server, admin_password) = serve(&db, configured.as_deref(), format);
    assert_eq!(admin_password.len(), 20);
    let key = match (&configured, &db.url) {
        (Some(hex), _) => SecretKey::from_hex(hex).unwrap(),
        (None, tessera::config::DatabaseUrl::Sqlite(path)) => {
            use std::os::unix::fs::PermissionsExt;
            let file = key_file_path(path);
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{}", file.display());
            SecretKey::from_hex(&std::fs::read_to_string(file).unwrap()).unwrap()
        }
        _ => unreachable!(),
    };

    let browser = Browser::at(&server.base);
    let wrong_password = "not-the-admin-password-0123";
    let resp = browser.try_sign_in("admin", wrong_password).await;
    assert_eq!(resp.status(), 401);
    let csrf = {
        let resp = browser.try_sign_in("admin", &admin_password).await;
        assert_see_other(&resp, "/profile");
        browser.csrf_of("/profile").await
    };
    let sid = open_cookie(&key, &browser.cookie().unwrap())["sid"].clone();
    let resp = browser
        .post_form(
            "/profile/tokens",
            &[
                ("label", "ops"),
                ("scopes", "profile:read"),
                ("scopes", "tokens:read"),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    assert_see_other(&resp, "/profile");
    let token = revealed_secret(&browser.page("/profile").await).unwrap();
    let unknown = PlainToken::generate().into_exposed();

    let api = reqwest::Client::new();
    let url = |path: &str| format!("{}{path}", server.base);
    for (path, status) in [
        (format!("/profile.json?api_token={token}"), 200),
        (
            format!("/profile/tokens.json?page=1&api_token={token}"),
            200,
        ),
        (format!("/profile.json?api_token={unknown}"), 401),
        (format!("/no/such/page.json?api_token={token}"), 404),
    ] {
        let resp = api.get(url(&path)).send().await.unwrap();
        assert_eq!(resp.status(), status, "{path}");
    }
    let resp = api
        .get(url("/profile.json"))
        .header("API-KEY", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    // A token sent by mistake where it is not accepted is not logged either.
    let resp = api
        .post(url(&format!("/profile/tokens.json?api_token={token}")))
        .json(&json!({"label": "x", "scopes": ["tokens:read"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);

    let secrets = [
        ("the token", &token[4..]),
        ("the unknown token", &unknown[4..]),
        ("the session secret", sid.as_str()),
        ("the session's CSRF token", csrf.as_str()),
        ("the admin password", admin_password.as_str()),
        ("a wrong password", wrong_password),
        ("the server key", &key.to_hex()),
    ];
    let secrets: Vec<(&str, &str)> = secrets.iter().map(|(w, s)| (*w, &**s)).collect();
    // While the server runs (SQLite's WAL and shared memory are live)...
    assert_database_holds_no_secret(&db, &secrets, &token[..12]);
    let log = server.stop();
    // ...and after it stopped.
    assert_database_holds_no_secret(&db, &secrets, &token[..12]);

    assert!(
        log.contains("GET /profile.json?api_token=[redacted]"),
        "the requests were logged: {log}"
    );
    assert!(log.contains("/profile/tokens.json?page=1&api_token=[redacted]"));
    for (what, secret) in &secrets {
        assert!(!log.contains(secret), "{what} in the log:\n{log}");
    }
    log
}

// --- The admin area -------------------------------------------------------

#[tokio::test]
async fn admin_pages_escape_names_labels_and_what_was_searched_for() {
    let app = TestApp::spawn().await;
    let admin = app.admin();
    let mut accounts = Vec::new();
    for (i, payload) in PAYLOADS.into_iter().enumerate() {
        let user = app.create_user_named(&format!("xss{i}"), Some(payload), Role::User);
        app.labelled_token(&user.account, payload, &["tokens:read"]);
        accounts.push(user.account);
    }
    let browser = Browser::signed_in(&app, &admin).await;

    // Every payload as a display name (users) or a label (tokens).
    for path in ["/admin/users", "/admin/users?q=xss", "/admin/tokens"] {
        let page = browser.page(path).await;
        for payload in PAYLOADS {
            assert_escaped(&page, payload, path);
        }
    }
    // Each account's page and token filter show its own name and label.
    for (account, payload) in accounts.iter().zip(PAYLOADS) {
        for path in [
            format!("/admin/users/{}", account.account_id),
            format!("/admin/tokens?account_id={}", account.account_id),
        ] {
            assert_escaped(&browser.page(&path).await, payload, &path);
        }
    }
    let audit = browser.page("/admin/audit").await;
    for raw in ["<script>alert", "<img src=x", "<svg onload"] {
        assert!(!audit.contains(raw), "/admin/audit: {raw}");
    }

    // What was typed into a filter comes back escaped (or is refused).
    for payload in PAYLOADS {
        let encoded: String = form_urlencoded::byte_serialize(payload.as_bytes()).collect();
        for path in [
            format!("/admin/users?q={encoded}"),
            format!("/admin/tokens?account_id={encoded}"),
            format!("/admin/audit?actor={encoded}&target={encoded}"),
        ] {
            let resp = browser.get(&path).await;
            assert!(
                [200, 400].contains(&resp.status().as_u16()),
                "{path}: {}",
                resp.status()
            );
            let page = resp.text().await.unwrap();
            for raw in ["<script>alert", "<img src=x", "<svg onload", payload] {
                assert!(!page.contains(raw), "{path}: {raw:?} unescaped");
            }
        }
    }

    // The create-account form: a hostile username is refused and shown back
    // escaped; a hostile display name is kept and shown escaped.
    for (i, payload) in PAYLOADS.into_iter().enumerate() {
        let resp = browser
            .submit(
                "/admin/users",
                &[
                    ("username", payload),
                    ("display_name", payload),
                    ("role", "user"),
                ],
            )
            .await;
        assert_eq!(resp.status(), 400, "{payload}");
        assert_escaped(&resp.text().await.unwrap(), payload, "refused form");

        let resp = browser
            .submit(
                "/admin/users",
                &[
                    ("username", &format!("made{i}")),
                    ("display_name", payload),
                    ("role", "user"),
                ],
            )
            .await;
        assert_eq!(resp.status(), 303, "{payload}");
        let next = resp.headers()["location"].to_str().unwrap().to_owned();
        let resp = browser.get(&next).await;
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["cache-control"], "no-store");
        assert_escaped(&resp.text().await.unwrap(), payload, &next);
    }
}

/// Every account's (username, role, active) and every token's (id, active).
type AdminSnapshot = (Vec<(String, String, bool)>, Vec<(i64, bool)>);

/// What the admin forms can change, to see that a refused post changed
/// nothing.
fn admin_snapshot(app: &TestApp) -> AdminSnapshot {
    use tessera::db::schema::accounts;
    app.with_conn(|c| {
        let people = accounts::table
            .order(accounts::id)
            .select((accounts::username, accounts::role, accounts::active))
            .load(c)
            .unwrap();
        let tokens = api_tokens::table
            .order(api_tokens::id)
            .select((api_tokens::id, api_tokens::active))
            .load(c)
            .unwrap();
        (people, tokens)
    })
}

#[tokio::test]
async fn every_admin_form_refuses_a_missing_wrong_or_borrowed_csrf_token() {
    let app = TestApp::spawn().await;
    let admin = app.admin();
    let mut browser = Browser::new(&app);
    let csrf = browser.sign_in(&admin).await;
    let borrowed = Browser::new(&app).sign_in(&app.admin()).await;
    let target = app.user();
    let dormant = app.user();
    app.token(&target.account, &["tokens:read"]);
    app.token(&target.account, &["tokens:read"]);
    let ids = token_ids(&app, &target);
    let (live, sleeping) = (ids[0].0, ids[1].0);
    app.with_conn(|c| {
        token_db::set_active(c, sleeping, false).unwrap();
        tessera::db::models::accounts::set_active(c, dormant.account.id, false).unwrap();
    });

    let acc = &target.account.account_id;
    let forms: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            "/admin/users".into(),
            vec![
                ("username", "newcomer"),
                ("display_name", "New"),
                ("role", "user"),
            ],
        ),
        (format!("/admin/users/{acc}/role"), vec![("role", "admin")]),
        (format!("/admin/users/{acc}/deactivate"), vec![]),
        (
            format!("/admin/users/{}/activate", dormant.account.account_id),
            vec![],
        ),
        (format!("/admin/tokens/{live}/deactivate"), vec![]),
        (format!("/admin/tokens/{sleeping}/activate"), vec![]),
        (
            format!("/admin/tokens/{live}/delete"),
            vec![("confirmed", "yes")],
        ),
    ];
    assert_csrf_refused(&browser, &borrowed, &forms, || admin_snapshot(&app)).await;

    // With the session's own token each form does what it says.
    for (path, fields) in &forms {
        let mut fields = fields.clone();
        fields.push(("csrf_token", &csrf));
        let earlier = admin_snapshot(&app);
        let resp = browser.post_form(path, &fields).await;
        assert_eq!(resp.status(), 303, "{path}");
        assert_ne!(admin_snapshot(&app), earlier, "{path} changed something");
    }
}
