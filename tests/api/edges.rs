//! The edges a new user runs into (issue 12): token ids that cannot be
//! ids, unknown paths asked for by programs, `GET /logout`, and what a
//! script is told when it forgets the CSRF header.

use reqwest::{Method, Response};
use serde_json::{Value, json};

use crate::admin::{Browser, meta_csrf};
use crate::helpers::{TestApp, assert_error};

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

#[tokio::test]
async fn a_script_without_the_csrf_header_is_told_which_header() {
    let app = TestApp::spawn().await;
    let user = app.user();
    let browser = Browser::sign_in(&app, &user).await;
    let created = browser
        .json(Method::POST, "/profile/tokens.json")
        .json(&json!({"label": "mine", "scopes": ["tokens:read"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let id = created.json::<Value>().await.unwrap()["token"]["id"].clone();

    for (method, path) in [
        (Method::POST, "/profile/tokens.json".to_owned()),
        (
            Method::POST,
            format!("/profile/tokens/{id}/deactivate.json"),
        ),
        (Method::DELETE, format!("/profile/tokens/{id}.json")),
    ] {
        for header in [None, Some("wrong")] {
            let mut req = browser
                .client
                .request(method.clone(), browser.url(&path))
                .json(&json!({"label": "x", "scopes": ["tokens:read"]}));
            if let Some(h) = header {
                req = req.header("X-CSRF-Token", h);
            }
            let body = assert_error(req.send().await.unwrap(), 403, "forbidden", None).await;
            let message = body["error"]["message"].as_str().unwrap();
            assert!(
                message.contains("X-CSRF-Token header"),
                "{method} {path}: {message}"
            );
            assert!(!message.contains("form"), "{method} {path}: {message}");
            assert_eq!(body["error"]["field"], "X-CSRF-Token", "{method} {path}");
        }
    }

    // A form without its field is still told about the form.
    let resp = browser
        .client
        .post(browser.url("/profile/tokens"))
        .form(&[("label", "x"), ("scopes", "tokens:read")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    assert!(resp.text().await.unwrap().contains("the form has expired"));
}
