//! Single sign-on (SPEC §11) against a real OpenID provider: oidc-provider
//! 9, run by scripts/oidc.sh (tests/oidc/provider.js), signed in through
//! its own login and consent pages. The same process serves issuers that
//! answer with an ID token wrong in one way each (`/bad/MODE`), for the
//! checks tessera must make.
//!
//! Without the provider these tests say SKIP loudly, and fail when
//! `CI=true`.

use std::sync::OnceLock;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tessera::actions::{self, AccountChange, Actor};
use tessera::config::{OidcSettings, SsoConfig};
use tessera::tokens::Role;

use crate::helpers::{Browser, TestApp, assert_see_other, location};

/// The provider's URL: `TEST_OIDC_URL`, else what scripts/oidc.sh starts.
fn provider() -> Option<&'static str> {
    static URL: OnceLock<Option<String>> = OnceLock::new();
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var("TEST_OIDC_URL")
            && !url.is_empty()
        {
            return Some(url);
        }
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/oidc.sh");
        let out = std::process::Command::new(script)
            .stderr(std::process::Stdio::inherit())
            .output();
        match out {
            Ok(out) if out.status.success() => {
                Some(String::from_utf8(out.stdout).unwrap().trim().to_owned())
            }
            other => {
                let why = format!("scripts/oidc.sh could not start the OpenID provider: {other:?}");
                assert!(std::env::var("CI").as_deref() != Ok("true"), "{why}");
                eprintln!("\n!!! SKIP: {why}; the single sign-on tests did not run\n");
                None
            }
        }
    })
    .as_deref()
}

/// A port nobody listens on now: the test server's, which must be known
/// before it starts (it is in the redirect URL), or a provider that is down.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

const ADMINS: &str = "tessera-admins";

/// A server that signs people in through `issuer`.
async fn app_with(issuer: &str, tweak: impl FnOnce(&mut SsoConfig)) -> TestApp {
    let issuer = issuer.to_owned();
    TestApp::spawn_with(move |config| {
        let port = free_port();
        config.bind = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        config.sso = SsoConfig {
            oidc: Some(OidcSettings {
                issuer,
                client_id: "tessera".into(),
                client_secret: Some("tessera-test-secret".into()),
                redirect_url: format!("http://127.0.0.1:{port}/login/oidc/callback"),
                name: "Test IdP".into(),
                admin_group: Some(ADMINS.into()),
            }),
            password_login: true,
            public_url: Some(format!("http://127.0.0.1:{port}")),
        };
        tweak(&mut config.sso);
    })
    .await
}

/// A person at the provider: their login there and the claims it gives.
struct Person {
    login: String,
}

impl Person {
    /// A new user at the provider, named for this test only.
    async fn new(base: &str, claims: Value) -> Self {
        let login = format!("u{}", tessera::tokens::random_base62(10));
        let person = Person { login };
        person.set(base, claims).await;
        person
    }

    /// Changes what the provider says about them from now on.
    async fn set(&self, base: &str, claims: Value) {
        let resp = reqwest::Client::new()
            .post(format!("{base}/test/users"))
            .json(&json!({"login": self.login, "claims": claims}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
    }
}

/// What a page's form says: its action and the value of `prompt`.
fn form_of(html: &str) -> Option<(String, String)> {
    let action = html.split("action=\"").nth(1)?.split('"').next()?;
    let prompt = html
        .split("name=\"prompt\" value=\"")
        .nth(1)?
        .split('"')
        .next()?;
    Some((action.replace("&amp;", "&"), prompt.to_owned()))
}

/// What the person does on the provider's consent page.
#[derive(Clone, Copy, PartialEq, Eq)]
enum AtConsent {
    Allow,
    Cancel,
}

/// Goes from tessera's "Sign in with" button through the provider's pages
/// (signing in as `login`), and returns the URL the provider sends the
/// browser back to, without visiting it.
async fn to_callback(browser: &Browser, login: &str, choice: AtConsent) -> String {
    let callback = format!("{}/login/oidc/callback", browser.base);
    let client = &browser.client;
    let mut resp = browser.get("/login/oidc").await;
    for _ in 0..20 {
        let here = resp.url().clone();
        if resp.status().is_redirection() {
            let next = here.join(location(&resp)).unwrap().to_string();
            if next.starts_with(&callback) {
                return next;
            }
            resp = client.get(&next).send().await.unwrap();
            continue;
        }
        let status = resp.status();
        let html = resp.text().await.unwrap();
        let Some((action, prompt)) = form_of(&html) else {
            panic!("no form at {here} ({status}): {html}");
        };
        let action = here.join(&action).unwrap();
        resp = match (prompt.as_str(), choice) {
            ("login", _) => client.post(action).form(&[
                ("prompt", "login"),
                ("login", login),
                ("password", "anything"),
            ]),
            ("consent", AtConsent::Allow) => client.post(action).form(&[("prompt", "consent")]),
            ("consent", AtConsent::Cancel) => {
                let abort = html
                    .split("href=\"")
                    .filter_map(|s| s.split('"').next())
                    .find(|href| href.ends_with("/abort"))
                    .expect("the consent page offers to cancel");
                client.get(here.join(abort).unwrap())
            }
            (other, _) => panic!("unexpected prompt {other}"),
        }
        .send()
        .await
        .unwrap();
    }
    panic!("the provider never sent the browser back");
}

/// Signs `person` in all the way; returns tessera's answer to the callback.
async fn sign_in(browser: &Browser, person: &Person) -> reqwest::Response {
    let back = to_callback(browser, &person.login, AtConsent::Allow).await;
    browser.client.get(back).send().await.unwrap()
}

/// The signed-in account, as `/profile.json` shows it to the session.
async fn me(browser: &Browser) -> Value {
    let resp = browser.get("/profile.json").await;
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

async fn audit(app: &TestApp, event: &str) -> Value {
    let admin = app.admin();
    let token = app.token(&admin.account, &["admin:read"]);
    app.get_json(&format!("/admin/audit.json?event={event}"), &token)
        .await
}

#[tokio::test]
async fn the_first_sign_in_makes_an_account_and_later_ones_find_it_by_subject() {
    let Some(base) = provider() else { return };
    let app = app_with(base, |_| {}).await;
    let person = Person::new(
        base,
        json!({"preferred_username": "grace", "name": "Grace Hopper",
               "email": "grace@example.test", "email_verified": true}),
    )
    .await;

    let browser = Browser::new(&app);
    let resp = sign_in(&browser, &person).await;
    assert_see_other(&resp, "/profile");
    let first = me(&browser).await;
    assert_eq!(first["username"], "grace");
    assert_eq!(first["display_name"], "Grace Hopper");
    assert_eq!(first["role"], "user");
    // The provider vouches for the address, as an admin would.
    assert_eq!(first["email"], "grace@example.test");
    assert_eq!(first["email_verified"], true);
    // No password of its own: the page offers no form to change one, and
    // a post is refused naming the field.
    let page = browser.page("/profile").await;
    assert!(page.contains("id=\"password-sso\""), "{page}");
    assert!(!page.contains("id=\"password-form\""));
    let csrf = browser.csrf_of("/profile").await;
    let refused = browser
        .post_form(
            "/profile/password",
            &[
                ("csrf_token", &csrf),
                ("current_password", "!oidc"),
                ("new_password", "a long new password"),
                ("confirm_password", "a long new password"),
            ],
        )
        .await;
    assert_eq!(refused.status(), 400);
    assert!(refused.text().await.unwrap().contains("single sign-on"));

    // Renamed at the provider: the same account, found by (issuer, sub).
    person
        .set(base, json!({"preferred_username": "grace.h"}))
        .await;
    let again = Browser::new(&app);
    assert_see_other(&sign_in(&again, &person).await, "/profile");
    let second = me(&again).await;
    assert_eq!(second["account_id"], first["account_id"]);
    assert_eq!(second["username"], "grace");

    let created = audit(&app, "account.created").await;
    let sso_created: Vec<&Value> = created["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["target_account_id"] == first["account_id"])
        .collect();
    assert_eq!(sso_created.len(), 1, "{created}");
    assert_eq!(sso_created[0]["detail"], "method=oidc");
    let logins = audit(&app, "login.succeeded").await;
    assert_eq!(logins["total"], 2);
    assert!(
        logins["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["detail"] == "method=oidc"),
        "{logins}"
    );
}

#[tokio::test]
async fn usernames_are_made_unique_and_never_select_an_existing_account() {
    let Some(base) = provider() else { return };
    let app = app_with(base, |_| {}).await;
    let name = format!("ada{}", tessera::tokens::random_base62(4));
    let local = app.create_user(&name, Role::Admin);
    let claims = json!({"preferred_username": name, "name": "Ada"});

    let first = Browser::new(&app);
    assert_see_other(
        &sign_in(&first, &Person::new(base, claims.clone()).await).await,
        "/profile",
    );
    let first = me(&first).await;
    assert_eq!(first["username"], format!("{name}-2"));
    assert_ne!(first["account_id"], local.account.account_id.as_str());
    assert_eq!(first["role"], "user", "not the local admin of that name");

    let second = Browser::new(&app);
    let odd = json!({"preferred_username": format!("{name} "), "name": "Ada Two"});
    assert_see_other(
        &sign_in(&second, &Person::new(base, odd).await).await,
        "/profile",
    );
    assert_eq!(me(&second).await["username"], format!("{name}-3"));
}

#[tokio::test]
async fn the_role_follows_the_admin_group_but_never_leaves_no_admin() {
    let Some(base) = provider() else { return };
    let app = app_with(base, |_| {}).await;
    // Another admin, so that leaving the group can demote.
    app.admin();
    let person = Person::new(
        base,
        json!({"preferred_username": "lin", "groups": [ADMINS, "staff"]}),
    )
    .await;
    let browser = Browser::new(&app);
    assert_see_other(&sign_in(&browser, &person).await, "/profile");
    let account = me(&browser).await;
    assert_eq!(account["role"], "admin");

    // Out of the group: admin no more at the next sign-in.
    person.set(base, json!({"groups": ["staff"]})).await;
    let browser = Browser::new(&app);
    assert_see_other(&sign_in(&browser, &person).await, "/profile");
    assert_eq!(me(&browser).await["role"], "user");
    let changed = audit(&app, "account.role_changed").await;
    assert_eq!(
        changed["items"][0]["target_account_id"],
        account["account_id"]
    );
    assert_eq!(changed["items"][0]["detail"], "method=oidc");

    // Back in, and the only active admin left: leaving the group again
    // keeps the role, or nobody could manage tessera.
    person.set(base, json!({"groups": [ADMINS]})).await;
    let browser = Browser::new(&app);
    assert_see_other(&sign_in(&browser, &person).await, "/profile");
    assert_eq!(me(&browser).await["role"], "admin");
    let username = me(&browser).await["username"].as_str().unwrap().to_owned();
    let only = crate::helpers::TestUser {
        account: tessera::db::models::accounts::find_by_username(&mut app.conn(), &username)
            .unwrap()
            .unwrap(),
        password: String::new(),
    };
    app.leave_only_admins(&[&only]);
    person.set(base, json!({"groups": []})).await;
    let browser = Browser::new(&app);
    assert_see_other(&sign_in(&browser, &person).await, "/profile");
    assert_eq!(me(&browser).await["role"], "admin");
}

#[tokio::test]
async fn a_deactivated_account_cannot_sign_in_by_sso() {
    let Some(base) = provider() else { return };
    let app = app_with(base, |_| {}).await;
    let person = Person::new(base, json!({"preferred_username": "mo"})).await;
    let browser = Browser::new(&app);
    assert_see_other(&sign_in(&browser, &person).await, "/profile");
    let account_id = me(&browser).await["account_id"]
        .as_str()
        .unwrap()
        .to_owned();
    actions::change_account(
        &mut app.conn(),
        &account_id,
        AccountChange::Deactivate,
        Actor::console(),
    )
    .unwrap();

    let browser = Browser::new(&app);
    let resp = sign_in(&browser, &person).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(resp.text().await.unwrap().contains("Account deactivated"));
    assert_eq!(browser.get("/profile.json").await.status(), 401);
    let failed = audit(&app, "login.failed").await;
    assert_eq!(failed["items"][0]["target_account_id"], account_id.as_str());
    assert_eq!(failed["items"][0]["detail"], "method=oidc");
}

#[tokio::test]
async fn the_login_page_offers_sso_above_passwords_or_alone() {
    let Some(base) = provider() else { return };
    let both = app_with(base, |_| {}).await;
    let page = Browser::new(&both).page("/login").await;
    let button = page.find("Sign in with Test IdP").expect("the SSO button");
    let form = page.find("name=\"password\"").expect("the password form");
    assert!(button < form, "the button comes first");
    // The password way still works, and says so in the audit log.
    let user = both.user();
    Browser::signed_in(&both, &user).await;
    let logins = audit(&both, "login.succeeded").await;
    assert_eq!(logins["items"][0]["detail"], "method=password");

    let sso_only = app_with(base, |sso| sso.password_login = false).await;
    let browser = Browser::new(&sso_only);
    let page = browser.page("/login").await;
    assert!(page.contains("Sign in with Test IdP"));
    assert!(!page.contains("name=\"password\""), "{page}");
    let user = sso_only.user();
    let resp = browser
        .try_sign_in(&user.account.username, &user.password)
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("password is turned off")
    );
    assert_eq!(browser.get("/profile.json").await.status(), 401);
}

/// tessera's answer to a sign-in that goes wrong: a page with this status
/// that says `words`, and nobody signed in.
async fn assert_refused(browser: &Browser, resp: reqwest::Response, status: u16, words: &str) {
    assert_eq!(resp.status().as_u16(), status, "{}", resp.url());
    let page = resp.text().await.unwrap();
    assert!(page.contains(words), "{words:?} not in {page}");
    assert!(page.contains("id=\"back-to-login\""));
    assert_eq!(browser.get("/profile.json").await.status(), 401);
}

#[tokio::test]
async fn a_provider_that_is_down_is_a_clear_page_and_tessera_still_serves() {
    let down = format!("http://127.0.0.1:{}", free_port());
    let app = app_with(&down, |_| {}).await;
    assert_eq!(
        app.api
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let browser = Browser::new(&app);
    let resp = browser.get("/login/oidc").await;
    assert_refused(&browser, resp, 502, "could not reach Test IdP").await;
    // Its token endpoint failing is the same to the person.
    let Some(base) = provider() else { return };
    let app = app_with(&format!("{base}/bad/token-error"), |_| {}).await;
    let browser = Browser::new(&app);
    let back = to_callback(&browser, "anyone", AtConsent::Allow).await;
    let resp = browser.client.get(back).send().await.unwrap();
    assert_refused(&browser, resp, 502, "could not reach Test IdP").await;
}

/// A new person on their way back from the provider (after `choice` on
/// its consent page): the server, the browser, and the URL the provider
/// sends them to, not yet visited.
async fn at_the_callback(choice: AtConsent) -> Option<(TestApp, Browser, String)> {
    let base = provider()?;
    let app = app_with(base, |_| {}).await;
    let person = Person::new(base, json!({"preferred_username": "pat"})).await;
    let browser = Browser::new(&app);
    let back = to_callback(&browser, &person.login, choice).await;
    Some((app, browser, back))
}

#[tokio::test]
async fn cancelling_at_the_provider_is_a_clear_page() {
    let Some((_app, browser, back)) = at_the_callback(AtConsent::Cancel).await else {
        return;
    };
    assert!(back.contains("error=access_denied"), "{back}");
    let resp = browser.client.get(back).send().await.unwrap();
    assert_refused(&browser, resp, 403, "You did not allow tessera").await;
}

#[tokio::test]
async fn a_tampered_state_is_refused() {
    let Some((_app, browser, back)) = at_the_callback(AtConsent::Allow).await else {
        return;
    };
    let mut url = reqwest::Url::parse(&back).unwrap();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "state" {
                format!("{v}x")
            } else {
                v.into()
            };
            (k.into(), v)
        })
        .collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
    let resp = browser.client.get(url).send().await.unwrap();
    assert_refused(&browser, resp, 400, "Sign-in expired").await;
    // The state was used up by the attempt: the genuine one is refused too.
    let resp = browser.client.get(back).send().await.unwrap();
    assert_refused(&browser, resp, 400, "Sign-in expired").await;
}

#[tokio::test]
async fn a_replayed_code_is_refused() {
    let Some((app, victim, back)) = at_the_callback(AtConsent::Allow).await else {
        return;
    };
    assert_see_other(&victim.client.get(&back).send().await.unwrap(), "/profile");
    // The same redirect again, in the same browser: its state is used up.
    let resp = victim.client.get(&back).send().await.unwrap();
    assert_eq!(resp.status(), 400);
    assert!(resp.text().await.unwrap().contains("Sign-in expired"));

    // In a sign-in of its own, with a fresh state: the provider refuses
    // the used code.
    let thief = Browser::new(&app);
    let fresh = to_callback(&thief, "admin-demo", AtConsent::Allow).await;
    let state = query_value(&fresh, "state");
    let old_code = query_value(&back, "code");
    let mut replay = reqwest::Url::parse(&fresh).unwrap();
    replay
        .query_pairs_mut()
        .clear()
        .append_pair("code", &old_code)
        .append_pair("state", &state);
    let resp = thief.client.get(replay).send().await.unwrap();
    assert_refused(&thief, resp, 400, "did not confirm this sign-in").await;
    let failed = audit(&app, "login.failed").await;
    assert_eq!(failed["items"][0]["detail"], "method=oidc");
}

/// The value of `key` in `url`'s query.
fn query_value(url: &str, key: &str) -> String {
    let url = reqwest::Url::parse(url).unwrap();
    let (_, value) = url.query_pairs().find(|(k, _)| k == key).unwrap();
    value.into_owned()
}

/// Signs in through the issuer `/bad/{mode}`, which answers at once.
async fn through_bad_issuer(base: &str, mode: &str) -> (TestApp, Browser, reqwest::Response) {
    let app = app_with(&format!("{base}/bad/{mode}"), |_| {}).await;
    let browser = Browser::new(&app);
    let back = to_callback(&browser, "anyone", AtConsent::Allow).await;
    let resp = browser.client.get(back).send().await.unwrap();
    (app, browser, resp)
}

#[tokio::test]
async fn id_tokens_that_fail_a_check_are_refused() {
    let Some(base) = provider() else { return };
    // The same issuer answering correctly signs in: what the others
    // change is what is refused.
    let (_app, browser, resp) = through_bad_issuer(base, "ok").await;
    assert_see_other(&resp, "/profile");
    assert_eq!(me(&browser).await["username"], "fake-ok");

    // Each mode on its own, all of them checked before the verdict.
    let mut wrong = Vec::new();
    for (mode, words) in [
        ("wrong-nonce", "it was not made for this sign-in"),
        ("expired", "it has expired"),
        ("wrong-issuer", "it comes from an unexpected issuer"),
        ("unknown-key", "its signature does not match"),
        ("wrong-audience", "it was made for another application"),
    ] {
        let (app, browser, resp) = through_bad_issuer(base, mode).await;
        let status = resp.status();
        let page = resp.text().await.unwrap();
        let signed_in = browser.get("/profile.json").await.status() != 401;
        let failed = audit(&app, "login.failed").await;
        if status != 400
            || !page.contains(words)
            || signed_in
            || failed["total"] != 1
            || failed["items"][0]["detail"] != "method=oidc"
        {
            wrong.push(format!(
                "{mode}: {status}, signed in: {signed_in}, audit: {failed}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[tokio::test]
async fn a_callback_nobody_started_is_refused_without_a_500() {
    let Some(base) = provider() else { return };
    let app = app_with(base, |_| {}).await;
    let browser = Browser::new(&app);
    for query in [
        "",
        "?code=x",
        "?code=x&state=y",
        "?state=%ff",
        "?error=server_error",
    ] {
        let resp = browser.get(&format!("/login/oidc/callback{query}")).await;
        assert!(
            resp.status().is_client_error() || resp.status() == 502,
            "{query}: {}",
            resp.status()
        );
    }
    // Without single sign-on configured the routes are not there.
    let plain = TestApp::spawn().await;
    assert_eq!(Browser::new(&plain).get("/login/oidc").await.status(), 404);
}
