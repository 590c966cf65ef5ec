//! An admin sets a user's email address and resets a user's password
//! (SPEC §10), on the user's page and in `.json`; `tessera user
//! reset-password` does the same from the console.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Browser, TestApp, assert_error, assert_see_other, meta_csrf, run_ok};

#[tokio::test]
async fn an_admin_sets_an_email_address_used_at_once() {
    let app = TestApp::spawn().await;
    let admin = app.with_admin().await;
    let user = app.user();
    let path = format!("/admin/users/{}/email.json", user.account.account_id);
    let resp = app
        .post_json(&path, &admin.token, &json!({"email": "ada@example.org"}))
        .await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["email"], "ada@example.org");
    let token = app.token(&user.account, &["profile:read"]);
    let profile = app.get_json("/profile.json", &token).await;
    assert_eq!(profile["email"], "ada@example.org");
    assert_eq!(profile["email_verified"], true);
    // Bad input names the field; nobody is not found.
    for bad in [json!({"email": "nope"}), json!({})] {
        let resp = app.post_json(&path, &admin.token, &bad).await;
        assert_error(resp, 400, "invalid_input", Some("email")).await;
    }
    let resp = app
        .post_json(
            "/admin/users/acc_missing000000/email.json",
            &admin.token,
            &json!({"email": null}),
        )
        .await;
    assert_error(resp, 404, "not_found", None).await;
    // The form, from the user's page: blank removes it.
    let page_path = format!("/admin/users/{}", user.account.account_id);
    let resp = admin
        .browser
        .submit(&format!("{page_path}/email"), &[("email", "")])
        .await;
    assert_see_other(&resp, &page_path);
    assert_eq!(
        app.get_json("/profile.json", &token).await["email"],
        Value::Null
    );
    let resp = admin
        .browser
        .submit(
            &format!("{page_path}/email"),
            &[("email", "grace@example.org")],
        )
        .await;
    assert_see_other(&resp, &page_path);
    assert!(
        admin
            .browser
            .page(&page_path)
            .await
            .contains("grace@example.org")
    );
}

/// Signs in with `password` and follows where the sign-in leads.
async fn sign_in_leads_to(app: &TestApp, username: &str, password: &str) -> (Browser, String) {
    let browser = Browser::new(app);
    let resp = browser.try_sign_in(username, password).await;
    assert_eq!(resp.status(), 303);
    let to = resp.headers()["location"].to_str().unwrap().to_owned();
    (browser, to)
}

#[tokio::test]
async fn a_reset_password_is_shown_once_and_must_be_replaced_at_sign_in() {
    let app = TestApp::spawn().await;
    let admin = app.with_admin().await;
    let user = app.user();
    let before = Browser::signed_in(&app, &user).await;
    let path = format!("/admin/users/{}/password.json", user.account.account_id);
    let resp = app.call(Method::POST, &path, Some(&admin.token)).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let body: Value = resp.json().await.unwrap();
    let one_time = body["password"].as_str().unwrap().to_owned();
    assert_eq!(
        body["account"]["account_id"],
        user.account.account_id.as_str()
    );
    // Signed out everywhere; the old password no longer works.
    assert_see_other(&before.get("/profile").await, "/login");
    let resp = Browser::new(&app)
        .try_sign_in(&user.account.username, &user.password)
        .await;
    assert_eq!(resp.status(), 401);
    // The one-time password leads to the change-password page, and so
    // does Account Preferences, until a new one is chosen.
    let (browser, to) = sign_in_leads_to(&app, &user.account.username, &one_time).await;
    assert_eq!(to, "/profile/password");
    assert_see_other(&browser.get("/profile").await, "/profile/password");
    // Every other page too, until a new password is chosen.
    let tokens = format!(
        "/profile/tokens/{}",
        app.token_id(&app.token(&user.account, &["profile:read"]))
    );
    assert_see_other(&browser.get(&tokens).await, "/profile/password");
    let page = browser.page("/profile/password").await;
    assert!(page.contains(r#"id="password-forced""#));
    let csrf = meta_csrf(&page);
    let new = "my very own password";
    let resp = browser
        .post_form(
            "/profile/password",
            &[
                ("csrf_token", &csrf),
                ("current_password", &one_time),
                ("new_password", new),
                ("confirm_password", new),
            ],
        )
        .await;
    assert_see_other(&resp, "/profile");
    assert_eq!(browser.fetch("/profile").await.0, 200);
    let (_, to) = sign_in_leads_to(&app, &user.account.username, new).await;
    assert_eq!(to, "/profile");
    // The form on the admin page shows the next one once, in its dialog.
    let page_path = format!("/admin/users/{}", user.account.account_id);
    let resp = admin
        .browser
        .submit(&format!("{page_path}/password"), &[])
        .await;
    assert_see_other(&resp, &page_path);
    let shown = admin.browser.page(&page_path).await;
    assert!(shown.contains(r#"<dialog id="password-reveal""#));
    assert!(shown.contains("One-time password"));
    assert!(
        !admin
            .browser
            .page(&page_path)
            .await
            .contains("password-reveal\""),
        "once"
    );
    let resets = app.with_conn(|c| {
        use diesel::prelude::*;
        use tessera::db::schema::audit_events;
        audit_events::table
            .filter(audit_events::event.eq("account.password_reset"))
            .count()
            .get_result::<i64>(c)
            .unwrap()
    });
    assert_eq!(resets, 2);
}

#[tokio::test]
async fn the_console_resets_a_password_too() {
    let app = TestApp::spawn().await;
    let user = app.user();
    let out = run_ok(
        &app.test_db,
        &["user", "reset-password", &user.account.username],
    );
    let password = out.split_whitespace().last().unwrap().to_owned();
    assert!(password.len() >= 12, "{out}");
    let (_, to) = sign_in_leads_to(&app, &user.account.username, &password).await;
    assert_eq!(to, "/profile/password");
}
