//! Pages in the reader's language (SPEC §10): the account's choice, else
//! what the browser's `Accept-Language` asks for, else English; JSON stays
//! English.

use reqwest::Method;
use serde_json::json;

use crate::helpers::mail::{MailSink, fresh_address};
use crate::helpers::{Browser, TestApp};

/// A page as a browser asking for `accept` reads it.
async fn page_in(browser: &Browser, path: &str, accept: &str) -> String {
    let resp = browser
        .client
        .get(browser.url(path))
        .header("Accept-Language", accept)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "GET {path}");
    resp.text().await.unwrap()
}

/// `PATCH /profile.json` with `body`, as a program holding `token`.
async fn patch_profile(app: &TestApp, token: &str, body: serde_json::Value) -> reqwest::Response {
    app.request(Method::PATCH, "/profile.json", Some(token))
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// The Preferences form, sent with a time zone and a language.
async fn save_preferences(browser: &Browser, zone: &str, language: &str) -> reqwest::Response {
    browser
        .submit(
            "/profile/preferences",
            &[("time_zone", zone), ("language", language)],
        )
        .await
}

/// The sign-in form, sent from a Dutch browser.
async fn sign_in_dutch(browser: &Browser, username: &str, password: &str) -> reqwest::Response {
    let csrf = browser.csrf_of("/login").await;
    browser
        .client
        .post(browser.url("/login"))
        .header("Accept-Language", "nl")
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("username", username),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
}

fn is_dutch(page: &str) -> bool {
    page.contains(r#"<html lang="nl">"#) && page.contains("Accountvoorkeuren")
}

#[tokio::test]
async fn a_dutch_browser_gets_dutch_pages_until_english_is_chosen() {
    let (_app, _user, browser) = TestApp::with_browser().await;
    let page = page_in(&browser, "/profile", "nl-BE,nl;q=0.9,en;q=0.5").await;
    assert!(is_dutch(&page), "{page}");
    assert!(page.contains(r#"<h1 class="page-title">Accountvoorkeuren</h1>"#));
    assert!(page.contains(r#"id="sessions-title">Sessies</h2>"#));
    // English for a browser that asks for neither language.
    let page = page_in(&browser, "/profile", "de, fr;q=0.5").await;
    assert!(page.contains(r#"<html lang="en">"#));
    assert!(page.contains(r#"<h1 class="page-title">Account Preferences</h1>"#));
    // Chosen on the form: English wins over the browser's Dutch.
    let resp = save_preferences(&browser, "UTC", "en").await;
    assert_eq!(resp.status(), 303);
    let page = page_in(&browser, "/profile", "nl").await;
    assert!(page.contains(r#"<html lang="en">"#), "{page}");
    assert!(page.contains("Preferences saved."));
    assert!(!page.contains("Accountvoorkeuren"));
}

#[tokio::test]
async fn choosing_dutch_through_the_api_makes_the_pages_dutch() {
    let (app, user, browser) = TestApp::with_browser().await;
    let token = app.token(&user.account, &["profile:write"]);
    let resp = patch_profile(&app, &token, json!({"language": "nl"})).await;
    assert_eq!(resp.status(), 200);
    // JSON stays English.
    let body = resp.text().await.unwrap();
    assert!(!body.contains("Accountvoorkeuren"));
    let page = browser.page("/profile").await;
    assert!(is_dutch(&page), "{page}");
    assert!(page.contains("Afmelden"));
    assert!(page.contains("<title>Accountvoorkeuren · tessera</title>"));
    // The token page too.
    let page = browser
        .page(&format!("/profile/tokens/{}", app.token_id(&token)))
        .await;
    assert!(page.contains(r#"<html lang="nl">"#));
    assert!(
        page.contains(r#"id="danger-title">Gevarenzone</h2>"#),
        "{page}"
    );
    assert!(page.contains("Gebruik per dag, laatste 30 dagen"));
}

#[tokio::test]
async fn the_sign_in_page_follows_the_browser() {
    let app = TestApp::spawn().await;
    let browser = Browser::new(&app);
    let page = page_in(&browser, "/login", "nl").await;
    assert!(page.contains(r#"<html lang="nl">"#), "{page}");
    assert!(page.contains("Aanmelden bij tessera"));
    let page = page_in(&browser, "/login", "en-GB").await;
    assert!(page.contains(r#"<html lang="en">"#));
    assert!(page.contains("Sign in to tessera"));
    // A wrong password, said in Dutch.
    let resp = sign_in_dutch(&browser, "nobody", "wrong").await;
    assert_eq!(resp.status(), 401);
    let page = resp.text().await.unwrap();
    assert!(
        page.contains("Onjuiste gebruikersnaam of onjuist wachtwoord."),
        "{page}"
    );
    // Signed in: welcomed in Dutch on the first page.
    let user = app.user();
    let resp = sign_in_dutch(&browser, &user.account.username, &user.password).await;
    assert_eq!(resp.status(), 303);
    let page = page_in(&browser, "/profile", "nl").await;
    let welcome = format!("Aangemeld als {}.", user.account.username);
    assert!(page.contains(&welcome), "{page}");
}

#[tokio::test]
async fn a_refused_form_on_a_dutch_page_says_why_in_dutch() {
    let (app, user, browser) = TestApp::with_browser().await;
    let token = app.token(&user.account, &["profile:write"]);
    patch_profile(&app, &token, json!({"language": "nl"})).await;
    let resp = save_preferences(&browser, "Mars/Olympus", "nl").await;
    assert_eq!(resp.status(), 400);
    let page = resp.text().await.unwrap();
    assert!(page.contains(r#"id="time-zone-error""#), "{page}");
    assert!(
        page.contains("onbekende tijdzone &quot;Mars/Olympus&quot;; gebruik een IANA-naam"),
        "{page}"
    );
    let resp = browser
        .submit(
            "/profile/password",
            &[
                ("current_password", &user.password),
                ("new_password", "short"),
                ("confirm_password", "short"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 400);
    let page = resp.text().await.unwrap();
    assert!(
        page.contains("een wachtwoord heeft minstens 12 tekens"),
        "{page}"
    );
    // The JSON error keeps its English words.
    let resp = patch_profile(&app, &token, json!({"time_zone": "Mars/Olympus"})).await;
    assert!(resp.text().await.unwrap().contains("unknown time zone"));
}

/// `path` as a Dutch browser reads it, whatever its status.
async fn dutch_answer(browser: &Browser, path: &str) -> (u16, String) {
    let resp = browser
        .client
        .get(browser.url(path))
        .header("Accept-Language", "nl")
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

#[tokio::test]
async fn error_pages_and_single_sign_on_pages_speak_dutch() {
    let (app, _user, browser) = TestApp::with_browser().await;
    // A user on an admin page: heading and message in Dutch.
    let (status, page) = dutch_answer(&browser, "/admin/users").await;
    assert_eq!(status, 403);
    assert!(page.contains(r#"<html lang="nl">"#), "{page}");
    assert!(page.contains("Niet toegestaan"), "{page}");
    assert!(
        page.contains("De beheerpagina&#x27;s zijn voor beheerders")
            || page.contains("De beheerpagina's zijn voor beheerders"),
        "{page}"
    );
    assert!(!page.contains("admin pages are for admins"), "{page}");
    // A page that does not exist.
    let (status, page) = dutch_answer(&browser, "/profile/tokens/999999").await;
    assert_eq!(status, 404);
    assert!(page.contains("Hier is niets te vinden."), "{page}");
    // Single sign-on on a server without it.
    let (status, page) = dutch_answer(&Browser::new(&app), "/login/oidc").await;
    assert_eq!(status, 404);
    assert!(page.contains("Single sign-on is niet ingesteld"), "{page}");
    assert!(page.contains("Meld je aan met je wachtwoord."), "{page}");
    // A verification link that is not one.
    let (status, page) = dutch_answer(&browser, "/profile/email/verify?token=nonsense").await;
    assert_eq!(status, 400);
    assert!(
        page.contains("Deze bevestigingslink is niet geldig; vraag een nieuwe aan."),
        "{page}"
    );
    // English for an English browser, as the JSON error words it.
    let (status, page) = browser.fetch("/profile/email/verify?token=nonsense").await;
    assert_eq!(status, 400);
    assert!(
        page.contains("This verification link is not valid; ask for a new one."),
        "{page}"
    );
}

#[tokio::test]
async fn notice_mails_speak_their_owners_language() {
    let Some(mail) = MailSink::shared("notice_mails_speak_their_owners_language") else {
        return;
    };
    let app = TestApp::spawn_with(|c| mail.configure(c)).await;
    let (dutch, english) = (fresh_address("nl"), fresh_address("en"));
    for (email, language) in [(&dutch, Some("nl")), (&english, None)] {
        let user = app.user();
        app.with_conn(|c| {
            tessera::preferences::set_email_now(
                c,
                &user.account.account_id,
                Some(email),
                tessera::actions::Actor::console(),
            )
            .unwrap();
            use diesel::prelude::*;
            use tessera::db::schema::accounts;
            diesel::update(accounts::table.find(user.account.id))
                .set(accounts::language.eq(language))
                .execute(c)
                .unwrap();
        });
        // A token made on the account: a "created" notice.
        app.token(&user.account, &["profile:read"]);
    }
    let got = mail.wait_for(&dutch, 1, 20).await;
    let nl = &got[0];
    assert_eq!(
        nl.subject(),
        "Er is een nieuw API-token aangemaakt op je account"
    );
    assert!(nl.text().starts_with("Hallo "), "{}", nl.text());
    assert!(
        nl.text()
            .contains("Onder Voorkeuren op je pagina Accountvoorkeuren")
    );
    assert!(nl.html().contains(r#"<html lang="nl">"#));
    let got = mail.wait_for(&english, 1, 20).await;
    assert_eq!(
        got[0].subject(),
        "A new API token was created on your account"
    );
    assert!(got[0].html().contains(r#"<html lang="en">"#));
}

/// Sets an account's language as the Preferences form would.
fn speaks(app: &TestApp, user: &crate::helpers::TestUser, language: &str) {
    use diesel::prelude::*;
    use tessera::db::schema::accounts;
    app.with_conn(|c| {
        diesel::update(accounts::table.find(user.account.id))
            .set(accounts::language.eq(Some(language)))
            .execute(c)
            .unwrap();
    });
}

#[tokio::test]
async fn the_admin_area_speaks_the_admins_language() {
    let app = TestApp::spawn().await;
    let (dutch, english) = (app.admin(), app.admin());
    speaks(&app, &dutch, "nl");
    let owner = app.user();
    let secret = app.labelled_token(&owner.account, "deploy", &["profile:read"]);
    let id = app.token_id(&secret);
    let browser = Browser::signed_in(&app, &dutch).await;

    let page = browser.page("/admin/users").await;
    assert!(page.contains(r#"<html lang="nl">"#), "{page}");
    assert!(page.contains(r#"aria-current="page">Gebruikers</a>"#));
    assert!(page.contains(r#"<h2 id="users-title">Accounts</h2>"#));
    assert!(page.contains("+ Account aanmaken"));
    assert!(page.contains(r#"<label for="q">Zoeken op gebruikersnaam</label>"#));
    assert!(page.contains(r#"<span class="badge badge-role">beheerder</span>"#));
    assert!(page.contains(r#"<button type="submit" class="btn">Zoeken</button>"#));
    assert!(!page.contains("Create account") && !page.contains("Search"));

    let page = browser.page("/admin/tokens").await;
    assert!(
        page.contains("<title>Alle tokens · tessera</title>"),
        "{page}"
    );
    assert!(page.contains("Tokens van alle accounts"));
    assert!(page.contains(r#"<option value="" selected>Elke status</option>"#));
    assert!(page.contains(">Nieuwste eerst</option>"));
    assert!(page.contains(r#"<th scope="col">Eigenaar</th>"#));
    assert!(page.contains("Token deploy deactiveren"));
    assert!(!page.contains("Any status") && !page.contains(">Deactivate<"));

    // An admin's change: the message after it is Dutch too.
    let resp = browser
        .submit(
            &format!("/admin/tokens/{id}/deactivate"),
            &[("next", "/admin/tokens")],
        )
        .await;
    assert_eq!(resp.status(), 303);
    let page = browser.page("/admin/tokens").await;
    assert!(page.contains("Token “deploy” (tsr_"), "{page}");
    assert!(page.contains("…) gedeactiveerd."), "{page}");
    assert!(page.contains(r#"<span class="badge badge-deactivated">gedeactiveerd</span>"#));

    let page = browser.page("/admin/audit").await;
    assert!(page.contains("<title>Auditlog · tessera</title>"), "{page}");
    assert!(page.contains("Wat er gebeurde, nieuwste eerst"));
    assert!(
        page.contains(r#"<span title="token.deactivated">Token gedeactiveerd</span>"#),
        "{page}"
    );
    assert!(page.contains(r#"<span title="login.succeeded">Aangemeld</span>"#));
    assert!(page.contains(r#"<option value="token.created">Token aangemaakt</option>"#));
    assert!(page.contains(r#"<th scope="col">Gebeurtenis</th>"#));
    assert!(
        page.contains("opdrachtregel"),
        "the token made on the command line"
    );
    assert!(!page.contains("Token deactivated") && !page.contains("Any event"));

    let page = browser.page("/admin/scopes").await;
    assert!(page.contains("+ Scope aanmaken"), "{page}");
    assert!(page.contains(r#"<span class="badge">ingebouwd</span>"#));
    assert!(page.contains("<legend>Wie mag hem toekennen</legend>"));
    assert!(
        page.contains("Je accountgegevens lezen"),
        "a built-in scope's description"
    );
    assert!(page.contains("gebruiker, beheerder"));
    assert!(!page.contains("built-in") && !page.contains("Read your account details"));

    // An account's page, and a change made on it.
    let page = browser
        .page(&format!("/admin/users/{}", owner.account.account_id))
        .await;
    assert!(page.contains(">Account deactiveren</button>"), "{page}");
    assert!(page.contains(">Wachtwoord opnieuw instellen</button>"));
    assert!(page.contains("1 token. Deactiveren of verwijderen stopt een token meteen."));
    let resp = browser
        .submit(
            &format!("/admin/users/{}/role", owner.account.account_id),
            &[("role", "admin")],
        )
        .await;
    assert_eq!(resp.status(), 303);
    let page = browser
        .page(&format!("/admin/users/{}", owner.account.account_id))
        .await;
    assert!(
        page.contains(&format!("{} is nu beheerder.", owner.account.username)),
        "{page}"
    );

    // Another admin, without a language of their own, reads English.
    let en_browser = Browser::signed_in(&app, &english).await;
    let page = en_browser.page("/admin/users").await;
    assert!(page.contains(r#"<html lang="en">"#), "{page}");
    assert!(page.contains("+ Create account"));
    assert!(page.contains(r#"<span class="badge badge-role">admin</span>"#));
    let page = en_browser.page("/admin/tokens").await;
    assert!(page.contains(r#"<option value="" selected>Any status</option>"#));
    assert!(page.contains(">Activate</button>"), "{page}");
    let page = en_browser.page("/admin/audit").await;
    assert!(page.contains(r#"<span title="token.deactivated">Token deactivated</span>"#));
    assert!(page.contains(r#"<option value="token.created">Token created</option>"#));
    let page = en_browser.page("/admin/scopes").await;
    assert!(page.contains(r#"<span class="badge">built-in</span>"#));
    assert!(page.contains("Read your account details"));
    assert!(!page.contains("Gebruikers") && !page.contains("ingebouwd"));

    // A refusal is said in Dutch too: the last active admin may not step
    // down.
    app.leave_only_admins(&[&dutch]);
    let resp = browser
        .submit(
            &format!("/admin/users/{}/role", dutch.account.account_id),
            &[("role", "user")],
        )
        .await;
    assert_eq!(resp.status(), 409);
    let page = resp.text().await.unwrap();
    assert!(
        page.contains(&format!(
            "{} is de laatste actieve beheerder; maak eerst een ander account beheerder",
            dutch.account.username
        )),
        "{page}"
    );
}
