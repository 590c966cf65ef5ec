//! Who may do what: every route, HTML and JSON, read and write, against
//! every kind of caller, with the status each must get. One table; a new
//! route gets a row here.
//!
//! Placeholders in paths and bodies are filled per request with fresh
//! fixtures, so a write in one cell never changes what the next one sees:
//! `{own}` a token of the caller's own account, `{other}` a token of some
//! other account, `{missing}` a token id that never existed, `{acc}` an
//! active user account, `{inactive}` a deactivated one, `{name}` an unused
//! username, `{scope}` an application scope no token holds.

use std::sync::atomic::{AtomicUsize, Ordering};

use reqwest::{Method, Response};
use serde_json::Value;
use tessera::actions::{self, AccountChange, Actor};
use tessera::db::models::accounts::Account;
use tessera::scopes::{self, NewScope};
use tessera::tokens::Role;

use crate::helpers::{Browser, TestApp, TestUser, location};

/// The callers, in the order of each row's expectations.
const CALLERS: [&str; 10] = [
    "anonymous",
    "user session",
    "user token profile:read",
    "user token tokens:read",
    "user token tokens:write",
    "admin session",
    "admin token without admin scopes",
    "admin token with every scope",
    "token of a deactivated account",
    "token of a demoted admin (every scope)",
];

/// Every built-in scope.
const EVERY_SCOPE: &[&str] = &[
    "profile:read",
    "profile:write",
    "tokens:read",
    "tokens:write",
    "admin:read",
    "admin:write",
    "introspect",
    "metrics:read",
];

/// 303 to the sign-in page.
const L: u16 = 1;
/// 303 somewhere other than the sign-in page (a form that worked).
const S: u16 = 303;

pub(crate) struct Row {
    pub(crate) method: Method,
    pub(crate) path: &'static str,
    /// A JSON body (for `.json`) or `name=value&...` form fields (pages).
    body: Option<&'static str>,
    expect: [u16; 10],
}

fn row(method: Method, path: &'static str, body: Option<&'static str>, expect: [u16; 10]) -> Row {
    Row {
        method,
        path,
        body,
        expect,
    }
}

pub(crate) fn table() -> Vec<Row> {
    use Method as M;
    // Columns: anon, u-session, u-pr, u-tr, u-tw, a-session, a-plain, a-all, deactivated, demoted.
    let page_for_anyone_signed_in = [L, 200, L, L, L, 200, L, L, L, L];
    let admin_page = [L, 403, L, L, L, 200, L, L, L, L];
    let own_form = [L, S, L, L, L, S, L, L, L, L];
    let other_form = [L, 404, L, L, L, 404, L, L, L, L];
    let admin_form = [L, 403, L, L, L, S, L, L, L, L];
    let admin_read = [401, 403, 403, 403, 403, 200, 403, 200, 401, 403];
    let admin_write_200 = [401, 403, 403, 403, 403, 200, 403, 200, 401, 403];
    let admin_write_201 = [401, 403, 403, 403, 403, 201, 403, 201, 401, 403];
    let admin_write_204 = [401, 403, 403, 403, 403, 204, 403, 204, 401, 403];
    let admin_missing = [401, 403, 403, 403, 403, 404, 403, 404, 401, 403];
    let tokens_write = |ok: u16| [401, ok, 403, 403, ok, ok, ok, ok, 401, ok];
    let tokens_write_404 = [401, 404, 403, 403, 404, 404, 404, 404, 401, 404];
    let tokens_read = [401, 200, 403, 200, 403, 200, 200, 200, 401, 200];
    let tokens_read_404 = [401, 404, 403, 404, 403, 404, 404, 404, 401, 404];
    vec![
        // Pages.
        row(M::GET, "/profile", None, page_for_anyone_signed_in),
        row(M::GET, "/admin/users", None, admin_page),
        row(M::GET, "/admin/users/{acc}", None, admin_page),
        row(M::GET, "/admin/tokens", None, admin_page),
        row(M::GET, "/admin/audit", None, admin_page),
        row(M::GET, "/admin/scopes", None, admin_page),
        row(M::GET, "/admin/notices", None, admin_page),
        // Forms.
        row(
            M::POST,
            "/profile/tokens",
            Some("label=m&scopes=profile:read&expires_in_hours=24"),
            own_form,
        ),
        row(
            M::POST,
            "/profile/tokens/{own}/deactivate",
            Some(""),
            own_form,
        ),
        row(
            M::POST,
            "/profile/tokens/{own}/activate",
            Some(""),
            own_form,
        ),
        row(
            M::POST,
            "/profile/tokens/{own}/delete",
            Some("confirmed=yes"),
            own_form,
        ),
        row(
            M::POST,
            "/profile/tokens/{other}/deactivate",
            Some(""),
            other_form,
        ),
        row(
            M::POST,
            "/profile/tokens/{other}/activate",
            Some(""),
            other_form,
        ),
        row(
            M::POST,
            "/profile/tokens/{other}/delete",
            Some("confirmed=yes"),
            other_form,
        ),
        row(
            M::POST,
            "/profile/tokens/{missing}/delete",
            Some("confirmed=yes"),
            other_form,
        ),
        row(
            M::POST,
            "/admin/tokens/{other}/deactivate",
            Some(""),
            admin_form,
        ),
        row(
            M::POST,
            "/admin/tokens/{other}/activate",
            Some(""),
            admin_form,
        ),
        row(
            M::POST,
            "/admin/tokens/{other}/delete",
            Some("confirmed=yes"),
            admin_form,
        ),
        row(
            M::POST,
            "/admin/users",
            Some("username={name}&role=user"),
            admin_form,
        ),
        row(
            M::POST,
            "/admin/users/{acc}/role",
            Some("role=admin"),
            admin_form,
        ),
        row(
            M::POST,
            "/admin/users/{acc}/deactivate",
            Some(""),
            admin_form,
        ),
        row(
            M::POST,
            "/admin/users/{inactive}/activate",
            Some(""),
            admin_form,
        ),
        row(
            M::POST,
            "/admin/scopes",
            Some("name=svc:{name}&grantable_by=user"),
            admin_form,
        ),
        row(
            M::POST,
            "/admin/scopes/{scope}/delete",
            Some(""),
            admin_form,
        ),
        // Only a token with the introspect scope may ask (RFC 7662: 401
        // to anyone else).
        row(
            M::POST,
            "/oauth/introspect",
            Some("token=tsr_unknown"),
            [401, 401, 401, 401, 401, 401, 401, 200, 401, 401],
        ),
        row(
            M::POST,
            "/admin/users/{acc}/email",
            Some("email=someone@example.org"),
            admin_form,
        ),
        row(M::POST, "/admin/users/{acc}/password", Some(""), admin_form),
        // Account Preferences' own settings (SPEC §10): sessions only.
        row(M::GET, "/profile/password", None, page_for_anyone_signed_in),
        row(
            M::POST,
            "/profile/details",
            Some("display_name=Someone&email="),
            own_form,
        ),
        row(
            M::POST,
            "/profile/password",
            Some(
                "current_password=wrong&new_password=long+enough+pw&confirm_password=long+enough+pw",
            ),
            [L, 400, L, L, L, 400, L, L, L, L],
        ),
        row(
            M::POST,
            "/profile/preferences",
            Some("time_zone=Europe/Amsterdam&language=en&notify=expired"),
            own_form,
        ),
        row(
            M::POST,
            "/profile/sessions/delete-others",
            Some(""),
            own_form,
        ),
        row(
            M::POST,
            "/profile/sessions/999999/delete",
            Some(""),
            other_form,
        ),
        row(
            M::GET,
            "/profile/tokens/{own}",
            None,
            page_for_anyone_signed_in,
        ),
        row(M::GET, "/profile/tokens/{other}", None, other_form),
        row(M::GET, "/admin/tokens/{other}", None, admin_page),
        row(
            M::POST,
            "/profile/tokens/{own}/edit",
            Some("label=e&description=d&scopes=profile:read"),
            own_form,
        ),
        row(
            M::POST,
            "/profile/tokens/{other}/edit",
            Some("label=e&description=d&scopes=profile:read"),
            other_form,
        ),
        row(
            M::POST,
            "/profile/tokens/{own}/regenerate",
            Some("grace_period_hours=1"),
            own_form,
        ),
        row(
            M::POST,
            "/profile/tokens/{other}/regenerate",
            Some("grace_period_hours=0"),
            other_form,
        ),
        row(
            M::POST,
            "/admin/users/{acc}/tokens/delete-all",
            Some("confirmed=yes"),
            admin_form,
        ),
        // JSON reads.
        row(M::GET, "/healthz", None, [200; 10]),
        row(M::GET, "/openapi.json", None, [200; 10]),
        // The Prometheus scrape: metrics:read, which only admins hold.
        row(
            M::GET,
            "/metrics",
            None,
            [401, 403, 403, 403, 403, 200, 403, 200, 401, 403],
        ),
        // The proxies' gate: any good token, never a session.
        row(
            M::GET,
            "/auth",
            None,
            [401, 401, 204, 204, 204, 401, 204, 204, 401, 204],
        ),
        row(
            M::GET,
            "/auth?scope=admin:read",
            None,
            [401, 401, 403, 403, 403, 401, 403, 204, 401, 403],
        ),
        row(
            M::GET,
            "/profile.json",
            None,
            [401, 200, 200, 403, 403, 200, 200, 200, 401, 200],
        ),
        row(
            M::GET,
            "/profile/sessions.json",
            None,
            [401, 200, 200, 403, 403, 200, 200, 200, 401, 200],
        ),
        row(
            M::GET,
            "/profile/tokens.json",
            None,
            [401, 200, 403, 200, 403, 200, 200, 200, 401, 200],
        ),
        row(M::GET, "/admin/users.json", None, admin_read),
        row(M::GET, "/admin/users/{acc}.json", None, admin_read),
        row(
            M::GET,
            "/admin/users/acc_missing000000.json",
            None,
            admin_missing,
        ),
        row(M::GET, "/admin/tokens.json", None, admin_read),
        row(M::GET, "/admin/audit.json", None, admin_read),
        row(M::GET, "/admin/scopes.json", None, admin_read),
        row(M::GET, "/admin/notices.json", None, admin_read),
        // JSON writes.
        row(
            M::PATCH,
            "/profile.json",
            Some(r#"{"time_zone": "Europe/Amsterdam"}"#),
            [401, 200, 403, 403, 403, 200, 403, 200, 401, 200],
        ),
        row(
            M::POST,
            "/profile/tokens.json",
            Some(r#"{"label": "m", "scopes": ["tokens:write"]}"#),
            tokens_write(201),
        ),
        row(
            M::DELETE,
            "/profile/tokens/{own}.json",
            None,
            tokens_write(204),
        ),
        row(
            M::POST,
            "/profile/tokens/{own}/deactivate.json",
            None,
            tokens_write(200),
        ),
        row(
            M::POST,
            "/profile/tokens/{own}/activate.json",
            None,
            tokens_write(200),
        ),
        row(
            M::DELETE,
            "/profile/tokens/{other}.json",
            None,
            tokens_write_404,
        ),
        row(
            M::POST,
            "/profile/tokens/{other}/deactivate.json",
            None,
            tokens_write_404,
        ),
        row(
            M::POST,
            "/profile/tokens/{other}/activate.json",
            None,
            tokens_write_404,
        ),
        row(
            M::DELETE,
            "/profile/tokens/{missing}.json",
            None,
            tokens_write_404,
        ),
        row(
            M::DELETE,
            "/admin/tokens/{other}.json",
            None,
            admin_write_204,
        ),
        row(
            M::POST,
            "/admin/tokens/{other}/deactivate.json",
            None,
            admin_write_200,
        ),
        row(
            M::POST,
            "/admin/tokens/{other}/activate.json",
            None,
            admin_write_200,
        ),
        row(
            M::DELETE,
            "/admin/tokens/{missing}.json",
            None,
            admin_missing,
        ),
        row(
            M::POST,
            "/admin/scopes.json",
            Some(r#"{"name": "svc:{name}"}"#),
            admin_write_201,
        ),
        row(
            M::DELETE,
            "/admin/scopes/{scope}.json",
            None,
            admin_write_204,
        ),
        row(
            M::POST,
            "/admin/users.json",
            Some(r#"{"username": "{name}"}"#),
            admin_write_201,
        ),
        row(
            M::POST,
            "/admin/users/{acc}/role.json",
            Some(r#"{"role": "admin"}"#),
            admin_write_200,
        ),
        row(
            M::POST,
            "/admin/users/{acc}/email.json",
            Some(r#"{"email": "someone@example.org"}"#),
            admin_write_200,
        ),
        row(
            M::POST,
            "/admin/users/{acc}/password.json",
            None,
            admin_write_200,
        ),
        row(
            M::POST,
            "/admin/users/{acc}/deactivate.json",
            None,
            admin_write_200,
        ),
        row(
            M::POST,
            "/admin/users/{inactive}/activate.json",
            None,
            admin_write_200,
        ),
        // The life of a token (SPEC section 9).
        row(M::GET, "/profile/tokens/{own}.json", None, tokens_read),
        row(
            M::GET,
            "/profile/tokens/{other}.json",
            None,
            tokens_read_404,
        ),
        row(
            M::GET,
            "/profile/tokens/{missing}.json",
            None,
            tokens_read_404,
        ),
        row(
            M::GET,
            "/profile/tokens/current.json",
            None,
            [401, 404, 200, 200, 200, 404, 200, 200, 401, 200],
        ),
        row(
            M::PATCH,
            "/profile/tokens/{own}.json",
            Some(r#"{"label": "renamed"}"#),
            tokens_write(200),
        ),
        row(
            M::PATCH,
            "/profile/tokens/{other}.json",
            Some(r#"{"label": "renamed"}"#),
            tokens_write_404,
        ),
        row(
            M::POST,
            "/profile/tokens/{own}/regenerate.json",
            Some(r#"{"grace_period_hours": 1}"#),
            tokens_write(201),
        ),
        row(
            M::POST,
            "/profile/tokens/{other}/regenerate.json",
            Some("{}"),
            tokens_write_404,
        ),
        row(M::GET, "/admin/tokens/{other}.json", None, admin_read),
        row(M::GET, "/admin/tokens/{missing}.json", None, admin_missing),
        row(
            M::DELETE,
            "/admin/users/{acc}/tokens.json",
            None,
            admin_write_200,
        ),
        row(M::POST, "/leaks.json", Some(r#"{"tokens": []}"#), [200; 10]),
        // Last: it revokes the caller's own tokens, the calling one too,
        // so the account's other callers (its tokens) find theirs gone:
        // the scope it needs is checked in lifecycle.rs.
        row(
            M::DELETE,
            "/profile/tokens.json",
            None,
            [401, 200, 401, 401, 401, 200, 401, 401, 401, 200],
        ),
        row(
            M::POST,
            "/profile/tokens/delete-all",
            Some("confirmed=yes"),
            own_form,
        ),
    ]
}

enum Credential {
    Anonymous,
    Session(Browser),
    Token(String),
}

struct Caller {
    credential: Credential,
    /// Whose `{own}` tokens are made for this caller.
    account: Account,
}

struct Fixtures<'a> {
    app: &'a TestApp,
    counter: AtomicUsize,
}

impl Fixtures<'_> {
    fn fresh_token(&self, account: &Account) -> i64 {
        let secret = self.app.token(account, &["profile:read"]);
        self.app.token_id(&secret)
    }

    fn fresh_name(&self) -> String {
        format!("made{}", self.counter.fetch_add(1, Ordering::Relaxed))
    }

    fn fresh_account(&self, active: bool) -> String {
        let user = self.app.create_user(&self.fresh_name(), Role::User);
        if !active {
            self.app.with_conn(|c| {
                actions::change_account(
                    c,
                    &user.account.account_id,
                    AccountChange::Deactivate,
                    Actor::console(),
                )
                .unwrap()
            });
        }
        user.account.account_id
    }

    fn fill(&self, template: &str, caller: &Caller) -> String {
        let mut out = template.to_owned();
        if out.contains("{own}") {
            out = out.replace("{own}", &self.fresh_token(&caller.account).to_string());
        }
        if out.contains("{other}") {
            // A new owner each time: one would soon reach the token cap.
            let owner = self.app.create_user(&self.fresh_name(), Role::User);
            out = out.replace("{other}", &self.fresh_token(&owner.account).to_string());
        }
        out = out.replace("{missing}", "987654321");
        if out.contains("{acc}") {
            out = out.replace("{acc}", &self.fresh_account(true));
        }
        if out.contains("{inactive}") {
            out = out.replace("{inactive}", &self.fresh_account(false));
        }
        if out.contains("{scope}") {
            let name = format!("svc:{}", self.fresh_name());
            let spec = NewScope {
                name: Some(name.clone()),
                ..NewScope::default()
            };
            self.app
                .with_conn(|c| scopes::create(c, &spec, Actor::console()).unwrap());
            out = out.replace("{scope}", &name);
        }
        if out.contains("{name}") {
            out = out.replace("{name}", &self.fresh_name());
        }
        out
    }
}

async fn send(
    app: &TestApp,
    caller: &Caller,
    method: Method,
    path: &str,
    body: Option<&str>,
) -> Response {
    let is_json = path.split('?').next().unwrap().ends_with(".json");
    let (client, token, csrf) = match &caller.credential {
        Credential::Anonymous => (&app.api, None, None),
        Credential::Session(b) => (&b.client, None, Some(b.csrf.as_str())),
        Credential::Token(t) => (&app.api, Some(t.as_str()), None),
    };
    let mut req = client.request(method.clone(), app.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if is_json {
        if let Some(csrf) = csrf.filter(|_| method != Method::GET) {
            req = req.header("X-CSRF-Token", csrf);
        }
        if let Some(b) = body {
            req = req
                .header("Content-Type", "application/json")
                .body(b.to_owned());
        }
    } else if let Some(fields) = body {
        let mut form = fields.to_owned();
        if let Some(csrf) = csrf {
            form = format!("csrf_token={csrf}&{form}");
        }
        req = req
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(form);
    }
    req.send().await.unwrap()
}

fn outcome(resp: &Response) -> u16 {
    match resp.status().as_u16() {
        303 if location(resp) == "/login" => L,
        status => status,
    }
}

fn describe(code: u16) -> String {
    match code {
        L => "303 to /login".into(),
        S => "303 (done)".into(),
        other => other.to_string(),
    }
}

async fn callers(app: &TestApp) -> Vec<Caller> {
    let user = app.user();
    let admin = app.admin();
    // Two more admins, so that neither deactivating nor demoting one of
    // them runs into the last-admin rule.
    let gone = app.admin();
    let demoted = app.admin();
    let gone_token = app.token(&gone.account, EVERY_SCOPE);
    let demoted_token = app.token(&demoted.account, EVERY_SCOPE);
    app.with_conn(|c| {
        actions::change_account(
            c,
            &gone.account.account_id,
            AccountChange::Deactivate,
            Actor::console(),
        )
        .unwrap();
        actions::change_account(
            c,
            &demoted.account.account_id,
            AccountChange::Role(Role::User),
            Actor::console(),
        )
        .unwrap();
    });
    let token =
        |who: &TestUser, scopes: &[&str]| Credential::Token(app.token(&who.account, scopes));
    let with = |credential, who: &TestUser| Caller {
        credential,
        account: who.account.clone(),
    };
    vec![
        with(Credential::Anonymous, &user),
        with(
            Credential::Session(Browser::signed_in(app, &user).await),
            &user,
        ),
        with(token(&user, &["profile:read"]), &user),
        with(token(&user, &["tokens:read"]), &user),
        with(token(&user, &["tokens:write"]), &user),
        with(
            Credential::Session(Browser::signed_in(app, &admin).await),
            &admin,
        ),
        with(
            token(&admin, &["profile:read", "tokens:read", "tokens:write"]),
            &admin,
        ),
        with(token(&admin, EVERY_SCOPE), &admin),
        with(Credential::Token(gone_token), &gone),
        with(Credential::Token(demoted_token), &demoted),
    ]
}

#[tokio::test]
async fn every_route_against_every_caller() {
    let app = TestApp::spawn().await;
    let callers = callers(&app).await;
    let fixtures = Fixtures {
        app: &app,
        counter: AtomicUsize::new(0),
    };
    let mut wrong = Vec::new();
    let rows = table();
    for row in &rows {
        for (i, caller) in callers.iter().enumerate() {
            let path = fixtures.fill(row.path, caller);
            let body = row.body.map(|b| fixtures.fill(b, caller));
            let resp = send(&app, caller, row.method.clone(), &path, body.as_deref()).await;
            let got = outcome(&resp);
            if got != row.expect[i] {
                wrong.push(format!(
                    "{} {} as {}: expected {}, got {}",
                    row.method,
                    row.path,
                    CALLERS[i],
                    describe(row.expect[i]),
                    describe(got)
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} cells wrong:\n{}",
        wrong.len(),
        rows.len() * CALLERS.len(),
        wrong.join("\n")
    );
}

/// A session changing state through a `.json` URL must send the CSRF
/// token; without it every write is refused and nothing happens.
#[tokio::test]
async fn session_json_writes_need_the_csrf_header() {
    let app = TestApp::spawn().await;
    let admin = app.admin();
    let mut browser = Browser::signed_in(&app, &admin).await;
    browser.csrf = "not-the-token".into();
    let caller = Caller {
        credential: Credential::Session(browser),
        account: admin.account.clone(),
    };
    let fixtures = Fixtures {
        app: &app,
        counter: AtomicUsize::new(0),
    };
    let before = crate::admin::audit_rows(&app).len();
    for row in table()
        .iter()
        // Leak reports take no credentials at all, so no CSRF token either.
        .filter(|r| r.path.ends_with(".json") && r.method != Method::GET && r.path != "/leaks.json")
    {
        let path = fixtures.fill(row.path, &caller);
        let body = row.body.map(|b| fixtures.fill(b, &caller));
        let resp = send(&app, &caller, row.method.clone(), &path, body.as_deref()).await;
        assert_eq!(resp.status(), 403, "{} {}", row.method, row.path);
        let err: Value = resp.json().await.unwrap();
        assert_eq!(err["error"]["field"], "csrf_token");
    }
    let made = crate::admin::audit_rows(&app)
        .into_iter()
        .skip(before)
        .filter(|e| e.actor_account_id.is_some())
        .count();
    assert_eq!(made, 0, "no change was made");
}

/// For someone who is not an admin, another account's token and a token
/// that does not exist get the very same answer.
#[tokio::test]
async fn someone_elses_token_looks_exactly_like_a_missing_one() {
    let (app, user, mine) = TestApp::with_token(&["tokens:read", "tokens:write"]).await;
    let other = app.user();
    let theirs = app.token_id(&app.token(&other.account, &["profile:read"]));
    let browser = Browser::signed_in(&app, &user).await;
    for (method, template) in [
        (Method::DELETE, "/profile/tokens/{}.json"),
        (Method::POST, "/profile/tokens/{}/deactivate.json"),
        (Method::POST, "/profile/tokens/{}/activate.json"),
    ] {
        let mut answers = Vec::new();
        for id in [theirs, 987654321] {
            let path = template.replace("{}", &id.to_string());
            let resp = app.call(method.clone(), &path, Some(&mine)).await;
            let status = resp.status();
            let mut headers: Vec<(String, String)> = resp
                .headers()
                .iter()
                // Each response has its own time and request id.
                .filter(|(k, _)| *k != "date" && *k != "x-request-id")
                .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_owned()))
                .collect();
            headers.sort();
            answers.push((status, headers, resp.text().await.unwrap()));
        }
        assert_eq!(answers[0].0, 404);
        assert_eq!(answers[0], answers[1], "{method} {template}");
    }
    for action in ["deactivate", "activate", "delete"] {
        let mut answers = Vec::new();
        for id in [theirs, 987654321] {
            let resp = browser
                .submit(
                    &format!("/profile/tokens/{id}/{action}"),
                    &[("confirmed", "yes")],
                )
                .await;
            answers.push((resp.status(), resp.text().await.unwrap()));
        }
        assert_eq!(answers[0].0, 404);
        assert_eq!(answers[0], answers[1], "{action}");
    }
    // And the other account's token is untouched.
    let still: Value = app
        .get_json(
            &format!("/admin/users/{}.json", other.account.account_id),
            &app.token(&app.admin().account, &["admin:read"]),
        )
        .await;
    assert_eq!(still["tokens"][0]["status"], "active");
}
