//! Account Preferences' own settings (SPEC §10): details and the email
//! verification link, password, sessions, preferences, and the JSON twins
//! (`GET`/`PATCH /profile.json`, `GET /profile/sessions.json`).

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::mail::{MailSink, fresh_address};
use crate::helpers::{Browser, TestApp, assert_error, assert_see_other, location};

/// A `.json` page as the browser's own scripts read it.
async fn json_of(browser: &Browser, path: &str) -> Value {
    let resp = browser.json(Method::GET, path).send().await.unwrap();
    assert_eq!(resp.status(), 200, "{path}");
    resp.json().await.unwrap()
}

/// `/profile.json` as the browser's own scripts read it.
async fn profile_of(browser: &Browser) -> Value {
    json_of(browser, "/profile.json").await
}

/// How many audit entries of `event` there are.
pub fn audit_count(app: &TestApp, event: &str) -> i64 {
    use diesel::prelude::*;
    use tessera::db::schema::audit_events;
    app.with_conn(|c| {
        audit_events::table
            .filter(audit_events::event.eq(event))
            .count()
            .get_result(c)
            .unwrap()
    })
}

/// The verification link in a mail's text.
fn link_in(text: &str) -> String {
    let start = text.find("http://").expect("a link in the mail");
    text[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .trim_end_matches('>')
        .to_owned()
}

#[tokio::test]
async fn a_new_email_is_used_only_after_its_link_is_followed() {
    let Some(mail) = MailSink::shared("a_new_email_is_used_only_after_its_link_is_followed") else {
        return;
    };
    let app = TestApp::spawn_with(|c| mail.configure(c)).await;
    let user = app.user();
    let browser = Browser::signed_in(&app, &user).await;
    let first = fresh_address("first");
    let resp = browser
        .submit(
            "/profile/details",
            &[("display_name", "Ada Lovelace"), ("email", &first)],
        )
        .await;
    assert_see_other(&resp, "/profile");
    let profile = profile_of(&browser).await;
    assert_eq!(profile["display_name"], "Ada Lovelace", "at once");
    assert_eq!(profile["email"], Value::Null, "not before the link");
    assert_eq!(profile["email_verified"], false);
    assert!(
        browser
            .page("/profile")
            .await
            .contains("waits for you to follow the link")
    );

    let got = mail.wait_for(&first, 1, 15).await;
    assert_eq!(got.len(), 1, "one verification mail");
    let link = link_in(&got[0].text());
    assert!(link.contains("/profile/email/verify?token="), "{link}");
    assert!(got[0].html().contains("/profile/email/verify?token="));

    // Someone else's browser, not signed in: the signed link is the proof.
    let stranger = Browser::new(&app);
    let path = &link[link.find("/profile").unwrap()..];
    let resp = stranger.get(path).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let profile = profile_of(&browser).await;
    assert_eq!(profile["email"], first.as_str());
    assert_eq!(profile["email_verified"], true);

    // A second address, then a third: the second's link does nothing now.
    let second = fresh_address("second");
    let third = fresh_address("third");
    browser
        .submit(
            "/profile/details",
            &[("display_name", "Ada"), ("email", &second)],
        )
        .await;
    let second_link = link_in(&mail.wait_for(&second, 1, 15).await[0].text());
    browser
        .submit(
            "/profile/details",
            &[("display_name", "Ada"), ("email", &third)],
        )
        .await;
    let stale = &second_link[second_link.find("/profile").unwrap()..];
    stranger.get(stale).await;
    assert_eq!(
        profile_of(&browser).await["email"],
        first.as_str(),
        "stale link"
    );
    // Following the first link again changes nothing either.
    stranger.get(path).await;
    assert_eq!(profile_of(&browser).await["email"], first.as_str());
    // A forged token is refused, naming it.
    let (status, body) = stranger
        .fetch(&format!("{}x", &stale[..stale.len() - 1]))
        .await;
    assert_eq!(status, 400, "{body}");
    let audit = audit_count(&app, "account.email_changed");
    assert_eq!(audit, 1);
}

#[tokio::test]
async fn details_refuse_bad_input_beside_the_field() {
    let (app, _user, browser) = TestApp::with_browser().await;
    let resp = browser
        .submit(
            "/profile/details",
            &[("display_name", "Ada"), ("email", "not-an-address")],
        )
        .await;
    assert_eq!(resp.status(), 400);
    let body = resp.text().await.unwrap();
    assert!(body.contains(r#"id="email-error""#), "{body}");
    assert!(body.contains("not an email address"));
    let resp = browser
        .submit(
            "/profile/details",
            &[("display_name", &"x".repeat(101)), ("email", "")],
        )
        .await;
    assert_eq!(resp.status(), 400);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains(r#"id="display_name-error""#)
    );
    // Nothing changed, and without mail the page says why no link comes.
    let page = browser.page("/profile").await;
    assert!(
        page.contains("Verification is disabled"),
        "no mail settings"
    );
    assert!(page.contains("TESSERA_SMTP_URL"));
    assert!(page.contains("Notifications are disabled"));
    drop(app);
}

#[tokio::test]
async fn changing_the_password_signs_out_every_other_session_on_every_instance() {
    let a = TestApp::spawn().await;
    let b = TestApp::start(a.test_db.share(), a.config.clone());
    let user = a.user();
    let here = Browser::signed_in(&a, &user).await;
    let elsewhere = Browser::signed_in(&b, &user).await;
    let new = "a much longer password";
    for (fields, field) in [
        (["wrong password", new, new], "current_password"),
        ([user.password.as_str(), "short", "short"], "new_password"),
        (
            [
                user.password.as_str(),
                &user.account.username.to_uppercase(),
                &user.account.username.to_uppercase(),
            ],
            "new_password",
        ),
        (
            [user.password.as_str(), new, "something else entirely"],
            "confirm_password",
        ),
    ] {
        let resp = here
            .submit(
                "/profile/password",
                &[
                    ("current_password", fields[0]),
                    ("new_password", fields[1]),
                    ("confirm_password", fields[2]),
                ],
            )
            .await;
        assert_eq!(resp.status(), 400, "{field}");
        let body = resp.text().await.unwrap();
        assert!(
            body.contains(&format!(r#"id="{field}-error""#)),
            "{field}: {body}"
        );
    }
    // Nothing was changed by the refusals.
    assert_eq!(elsewhere.fetch("/profile").await.0, 200);
    let resp = here
        .submit(
            "/profile/password",
            &[
                ("current_password", &user.password),
                ("new_password", new),
                ("confirm_password", new),
            ],
        )
        .await;
    assert_see_other(&resp, "/profile");
    assert_eq!(here.fetch("/profile").await.0, 200, "this session stays");
    let resp = elsewhere.get("/profile").await;
    assert_see_other(&resp, "/login");
    let resp = elsewhere
        .json(Method::GET, "/profile.json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    // The new password signs in, the old one no longer.
    let fresh = Browser::new(&a);
    assert_eq!(
        location(
            &fresh
                .try_sign_in(&user.account.username, &user.password)
                .await
        ),
        ""
    );
    assert_see_other(
        &fresh.try_sign_in(&user.account.username, new).await,
        "/profile",
    );
    let audit = audit_count(&a, "account.password_changed");
    assert_eq!(audit, 1);
}

#[tokio::test]
async fn sessions_are_listed_and_signed_out_one_by_one_or_all_others() {
    let a = TestApp::spawn().await;
    let b = TestApp::start(a.test_db.share(), a.config.clone());
    let user = a.user();
    let one = Browser::signed_in(&a, &user).await;
    let two = Browser::signed_in(&a, &user).await;
    let three = Browser::signed_in(&b, &user).await;
    let list = json_of(&one, "/profile/sessions.json").await;
    let sessions = list["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 3, "{list}");
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
    for s in sessions {
        assert_eq!(s["ip"], "127.0.0.1");
        assert!(s["user_agent"].is_string() || s["user_agent"].is_null());
        assert!(s["created_at"].as_str().unwrap().ends_with('Z'));
        assert!(s["last_seen_at"].as_str().unwrap().ends_with('Z'));
    }
    // A token sees the same list, none of it "current".
    let token = a.token(&user.account, &["profile:read"]);
    let by_token = a.get_json("/profile/sessions.json", &token).await;
    assert_eq!(by_token["sessions"].as_array().unwrap().len(), 3);
    assert!(
        by_token["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["current"] == false)
    );
    // The page lists them, "this session" marked.
    let page = one.page("/profile").await;
    assert_eq!(page.matches("data-session-id=").count(), 3);
    assert!(page.contains("this session"));

    // Two's session, signed out from one, on instance B too.
    let two_id = {
        let mine = json_of(&two, "/profile/sessions.json").await;
        mine["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["current"] == true)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let resp = one
        .submit(&format!("/profile/sessions/{two_id}/delete"), &[])
        .await;
    assert_see_other(&resp, "/profile");
    assert_see_other(&two.get("/profile").await, "/login");
    assert_see_other(&two.on(&b).get("/profile").await, "/login");
    // Someone else's session, or one gone, is not found.
    let other = Browser::signed_in(&a, &a.user()).await;
    let resp = other
        .submit(&format!("/profile/sessions/{two_id}/delete"), &[])
        .await;
    assert_eq!(resp.status(), 404);

    let resp = one.submit("/profile/sessions/delete-others", &[]).await;
    assert_see_other(&resp, "/profile");
    assert_see_other(&three.get("/profile").await, "/login");
    assert_eq!(one.fetch("/profile").await.0, 200);
    let left = a.get_json("/profile/sessions.json", &token).await;
    assert_eq!(left["sessions"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_session_is_seen_at_most_once_a_minute() {
    use diesel::prelude::*;
    use tessera::db::schema::sessions;
    let (app, _user, browser) = TestApp::with_browser().await;
    let seen = || -> time::PrimitiveDateTime {
        app.with_conn(|c| {
            sessions::table
                .select(sessions::last_seen_at)
                .first::<Option<time::PrimitiveDateTime>>(c)
                .unwrap()
                .unwrap()
        })
    };
    let set = |ago: i64| {
        let at = tessera::db::now() - time::Duration::seconds(ago);
        app.with_conn(|c| {
            diesel::update(sessions::table)
                .set(sessions::last_seen_at.eq(Some(at)))
                .execute(c)
                .unwrap()
        });
        at
    };
    let recent = set(30);
    browser.page("/profile").await;
    assert_eq!(seen(), recent, "within the minute: not written again");
    let old = set(120);
    browser.page("/profile").await;
    assert!(seen() > old + time::Duration::seconds(100), "written down");
}

#[tokio::test]
async fn preferences_show_every_time_in_the_chosen_zone() {
    // Mail set up (to a server nobody listens on: nothing is due to it),
    // so the notification checkboxes count.
    let app = TestApp::spawn_with(|c| crate::helpers::mail::configure(c, "127.0.0.1:9")).await;
    let user = app.user();
    let browser = Browser::signed_in(&app, &user).await;
    let token = app.token(&user.account, &["profile:read", "tokens:read"]);
    let page = browser.page("/profile").await;
    assert!(page.contains(" UTC</span>"), "UTC by default");
    let resp = browser
        .submit(
            "/profile/preferences",
            &[
                ("time_zone", "Asia/Tokyo"),
                ("language", "nl"),
                ("notify", "expired"),
                ("notify", "token_leaked"),
            ],
        )
        .await;
    assert_see_other(&resp, "/profile");
    let page = browser.page("/profile").await;
    assert!(page.contains(" JST</span>"), "times in Tokyo's zone");
    assert!(!page.contains(" UTC</span>"), "no time left in UTC");
    let profile = app.get_json("/profile.json", &token).await;
    assert_eq!(profile["time_zone"], "Asia/Tokyo");
    assert_eq!(profile["language"], "nl");
    assert_eq!(
        profile["notifications"],
        json!({"expiry_7d": false, "expiry_1d": false, "expired": true, "token_created": false, "token_leaked": true})
    );
    // JSON stays UTC.
    let tokens = app.get_json("/profile/tokens.json", &token).await;
    assert!(
        tokens["tokens"][0]["created_at"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    // Bad values, each named.
    for (zone, language, field) in [
        ("Mars/Olympus_Mons", "en", "time_zone"),
        ("UTC", "fr", "language"),
    ] {
        let resp = browser
            .submit(
                "/profile/preferences",
                &[("time_zone", zone), ("language", language)],
            )
            .await;
        assert_eq!(resp.status(), 400, "{field}");
        let body = resp.text().await.unwrap();
        assert!(
            body.contains(&format!(r#"id="{}-error""#, field.replace('_', "-"))),
            "{field}: {body}"
        );
    }
    assert_eq!(
        app.get_json("/profile.json", &token).await["time_zone"],
        "Asia/Tokyo"
    );
}

#[tokio::test]
async fn the_language_follows_the_browser_until_chosen() {
    let (app, user, token) = TestApp::with_token(&["profile:read", "profile:write"]).await;
    let ask = |lang: &'static str| {
        app.request(Method::GET, "/profile.json", Some(&token))
            .header("Accept-Language", lang)
            .send()
    };
    let nl: Value = ask("nl-NL,nl;q=0.9,en;q=0.5")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(nl["language"], "nl");
    let en: Value = ask("de-DE, fr;q=0.8").await.unwrap().json().await.unwrap();
    assert_eq!(en["language"], "en");
    let resp = app
        .request(Method::PATCH, "/profile.json", Some(&token))
        .json(&json!({"language": "en"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let chosen: Value = ask("nl").await.unwrap().json().await.unwrap();
    assert_eq!(chosen["language"], "en");
    drop(user);
}

#[tokio::test]
async fn patch_profile_changes_what_it_is_given_and_names_what_it_refuses() {
    let (app, user, token) = TestApp::with_token(&["profile:read", "profile:write"]).await;
    let patch = |body: Value| {
        app.request(Method::PATCH, "/profile.json", Some(&token))
            .json(&body)
            .send()
    };
    let resp = patch(json!({"display_name": "Grace", "time_zone": "Europe/Amsterdam"}))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["display_name"], "Grace");
    assert_eq!(body["time_zone"], "Europe/Amsterdam");
    let resp = patch(json!({"notifications": {"expiry_7d": false, "expiry_1d": true, "expired": true, "token_created": false, "token_leaked": true}}))
        .await
        .unwrap();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["display_name"], "Grace", "absent fields stay");
    assert_eq!(body["time_zone"], "Europe/Amsterdam");
    assert_eq!(body["notifications"]["expiry_7d"], false);
    for (bad, field) in [
        (json!({"time_zone": "Nowhere/Land"}), "time_zone"),
        (json!({"language": "xx"}), "language"),
        (json!({"display_name": "x".repeat(101)}), "display_name"),
        (json!({"email": "a@example.org"}), "email"),
        (
            json!({"notifications": {"expired": "yes"}}),
            "notifications",
        ),
    ] {
        let resp = patch(bad.clone()).await.unwrap();
        let err = assert_error(resp, 400, "invalid_input", None).await;
        assert!(
            err["error"]["field"].as_str().unwrap().starts_with(field),
            "{bad}: {err}"
        );
    }
    let after = app.get_json("/profile.json", &token).await;
    assert_eq!(
        after["time_zone"], "Europe/Amsterdam",
        "refusals changed nothing"
    );
    assert_eq!(after["email"], Value::Null);
    // profile:read alone may not; a session needs its CSRF header.
    let reader = app.token(&user.account, &["profile:read"]);
    let resp = app
        .request(Method::PATCH, "/profile.json", Some(&reader))
        .json(&json!({"language": "nl"}))
        .send()
        .await
        .unwrap();
    assert_error(resp, 403, "insufficient_scope", None).await;
    let browser = Browser::signed_in(&app, &user).await;
    let resp = browser
        .client
        .patch(browser.url("/profile.json"))
        .json(&json!({"language": "nl"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    let resp = browser
        .json(Method::PATCH, "/profile.json")
        .json(&json!({"language": "nl"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}
