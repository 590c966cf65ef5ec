//! The edges a new user runs into (issue 12): token ids that cannot be
//! ids, unknown paths asked for by programs, `GET /logout`, and what a
//! script is told when it forgets the CSRF header.

use reqwest::Response;

use crate::admin::{Browser, meta_csrf};
use crate::helpers::TestApp;

fn content_type(resp: &Response) -> String {
    resp.headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn get_logout_shows_a_sign_out_button() {
    let app = TestApp::spawn().await;
    let user = app.user();

    // Not signed in: to the sign-in form.
    let resp = app.api.get(app.url("/logout")).send().await.unwrap();
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], "/login");

    let browser = Browser::sign_in(&app, &user).await;
    let resp = browser.get("/logout").await;
    assert_eq!(resp.status(), 200);
    assert!(content_type(&resp).starts_with("text/html"));
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let csp = resp.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let page = resp.text().await.unwrap();
    let csrf = meta_csrf(&page);
    assert_eq!(csrf, browser.csrf, "the session's token in <meta>");
    assert!(
        page.contains(r#"<form method="post" action="/logout""#),
        "{page}"
    );
    assert!(page.contains(&format!(r#"name="csrf_token" value="{csrf}""#)));
    assert!(page.contains(r#"<h1 id="logout-title">Sign out"#), "{page}");
    // No inline script: every script is loaded from the site.
    assert_eq!(
        page.matches("<script").count(),
        page.matches("<script src=\"/static/").count()
    );

    // Looking at the page signed nobody out; its button does.
    assert_eq!(browser.get("/profile").await.status(), 200);
    let resp = browser.post_form("/logout", &[]).await;
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], "/login");
    let resp = browser.get("/logout").await;
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], "/login");
    assert_eq!(browser.get("/profile").await.status(), 303);
}
