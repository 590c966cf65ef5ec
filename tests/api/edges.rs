//! The edges a new user runs into (issue 12): token ids that cannot be
//! ids, unknown paths asked for by programs, `GET /logout`, and what a
//! script is told when it forgets the CSRF header.

use reqwest::{Method, Response};
use serde_json::{Value, json};

use crate::helpers::{Browser, TestApp, assert_error, meta_csrf};

fn content_type(resp: &Response) -> String {
    resp.headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// A 404 as JSON, or for HEAD (no body) its status and type.
async fn assert_json_404(resp: Response, method: &Method, what: &str) {
    if *method == Method::HEAD {
        assert_eq!(resp.status(), 404, "{what}");
        assert!(
            content_type(&resp).starts_with("application/json"),
            "{what}"
        );
    } else {
        let body = assert_error(resp, 404, "not_found", None).await;
        assert!(body["error"]["field"].is_null(), "{what}: {body}");
    }
}

#[tokio::test]
async fn a_token_id_that_cannot_be_one_is_404_for_every_method() {
    let app = TestApp::spawn().await;
    let user = app.user();
    let admin = app.admin();
    let own = app.token(&user.account, &["tokens:read", "tokens:write"]);
    let any = app.token(&admin.account, &["admin:read", "admin:write"]);
    let methods = [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
    ];
    let mut paths = Vec::new();
    // (`current` is a route of its own: /profile/tokens/current.json.)
    for id in ["abc", "01", "+1", "0", "-1", "1.5", "1e3"] {
        for (path, token) in [
            (format!("/profile/tokens/{id}.json"), &own),
            (format!("/profile/tokens/{id}/deactivate.json"), &own),
            (format!("/profile/tokens/{id}/activate.json"), &own),
            (format!("/admin/tokens/{id}.json"), &any),
            (format!("/admin/tokens/{id}/deactivate.json"), &any),
            (format!("/admin/tokens/{id}/activate.json"), &any),
        ] {
            paths.push((path, token));
        }
    }
    for (path, token) in &paths {
        for method in &methods {
            // With the token that could act there, and with none: nothing
            // exists at such a path, so who asks makes no difference.
            for token in [Some(token.as_str()), None] {
                let what = format!("{method} {path} with token: {}", token.is_some());
                let resp = app
                    .request(method.clone(), path, token)
                    .send()
                    .await
                    .unwrap();
                assert!(resp.headers().get("allow").is_none(), "{what}");
                assert_json_404(resp, method, &what).await;
            }
        }
    }

    // The page forms, as the browser of a signed-in owner or admin posts them.
    let owner = Browser::signed_in(&app, &user).await;
    let boss = Browser::signed_in(&app, &admin).await;
    for (browser, base) in [(&owner, "/profile/tokens"), (&boss, "/admin/tokens")] {
        for action in ["deactivate", "activate", "delete"] {
            let path = format!("{base}/current/{action}");
            for method in [Method::GET, Method::POST] {
                let resp = browser
                    .client
                    .request(method.clone(), browser.url(&path))
                    .form(&[("csrf_token", browser.csrf.as_str()), ("confirmed", "yes")])
                    .send()
                    .await
                    .unwrap();
                assert_eq!(resp.status(), 404, "{method} {path}");
                assert!(
                    content_type(&resp).starts_with("text/html"),
                    "{method} {path}"
                );
            }
        }
    }

    // A real id keeps its 405 and says what it takes.
    let id = app.own_token_id(&own).await;
    for (method, path, token, allow) in [
        (
            Method::POST,
            format!("/profile/tokens/{id}.json"),
            &own,
            "GET, HEAD, PATCH, DELETE",
        ),
        (
            Method::PUT,
            format!("/profile/tokens/{id}.json"),
            &own,
            "GET, HEAD, PATCH, DELETE",
        ),
        (
            Method::GET,
            format!("/profile/tokens/{id}/deactivate.json"),
            &own,
            "POST",
        ),
        (
            Method::PATCH,
            format!("/admin/tokens/{id}.json"),
            &any,
            "GET, HEAD, DELETE",
        ),
        (
            Method::DELETE,
            format!("/admin/tokens/{id}/activate.json"),
            &any,
            "POST",
        ),
    ] {
        let resp = app
            .request(method.clone(), &path, Some(token))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.headers()["allow"], allow, "{method} {path}");
        assert_error(resp, 405, "method_not_allowed", None).await;
    }
    // And the token is still there, untouched by all of the above.
    assert_eq!(app.own_token_id(&own).await, id);
}

#[tokio::test]
async fn an_unknown_path_answers_programs_in_json_and_browsers_with_a_page() {
    let app = TestApp::spawn().await;
    let user = app.user();
    let token = app.token(&user.account, &["profile:read"]);
    let client = &app.api;
    let url = app.url("/no/such/page");
    let programs = [
        client.get(&url).bearer_auth(&token),
        client
            .get(&url)
            .header("Authorization", format!("Token {token}")),
        client
            .get(&url)
            .header("Authorization", format!("apiToken {token}")),
        client.get(&url).header("Authorization", token.as_str()),
        client.get(&url).header("API-KEY", token.as_str()),
        client.get(format!("{url}?api_token={token}")),
        // A token that is no token still marks a program.
        client.get(&url).bearer_auth("tsr_not_a_real_token"),
        client.post(&url).bearer_auth(&token).json(&json!({})),
        client.delete(&url).header("API-KEY", token.as_str()),
        client.get(&url).header("Accept", "application/json"),
        client
            .get(&url)
            .header("Accept", "application/json, text/plain;q=0.5"),
        client
            .get(&url)
            .header("Accept", "text/html;q=0.5, application/json"),
        client
            .get(&url)
            .header("Accept", "application/problem+json"),
        // The token wins over what a careless client accepts.
        client
            .get(&url)
            .bearer_auth(&token)
            .header("Accept", "text/html"),
    ];
    for (i, req) in programs.into_iter().enumerate() {
        let resp = req.send().await.unwrap();
        let body = assert_error(resp, 404, "not_found", None).await;
        assert!(body["error"]["field"].is_null(), "program {i}: {body}");
    }

    let browser_accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    for (i, req) in [
        client.get(&url).header("Accept", browser_accept),
        client.get(&url),
        client.get(&url).header("Accept", "*/*"),
        client
            .get(&url)
            .header("Accept", "application/json, text/html"),
    ]
    .into_iter()
    .enumerate()
    {
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 404, "browser {i}");
        assert!(content_type(&resp).starts_with("text/html"), "browser {i}");
        assert!(resp.text().await.unwrap().contains("Page not found"));
    }

    // A method a page lacks, the same way.
    let resp = client
        .put(app.url("/profile"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_error(resp, 405, "method_not_allowed", None).await;
    let resp = client
        .put(app.url("/profile"))
        .header("Accept", browser_accept)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405);
    assert!(content_type(&resp).starts_with("text/html"));

    // A page that exists is still a page, or the way to the sign-in form.
    let resp = client
        .get(app.url("/profile"))
        .bearer_auth(&token)
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], "/login");
}

#[tokio::test]
async fn get_logout_shows_a_sign_out_button() {
    let app = TestApp::spawn().await;
    let user = app.user();

    // Not signed in: to the sign-in form.
    let resp = app.api.get(app.url("/logout")).send().await.unwrap();
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], "/login");

    let browser = Browser::signed_in(&app, &user).await;
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
    let resp = browser
        .client
        .post(browser.url("/logout"))
        .form(&[("csrf_token", &csrf)])
        .send()
        .await
        .unwrap();
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
    let browser = Browser::signed_in(&app, &user).await;
    let created = browser
        .client
        .post(browser.url("/profile/tokens.json"))
        .header("X-CSRF-Token", &browser.csrf)
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
            assert_eq!(body["error"]["field"], "csrf_token", "{method} {path}");
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
    assert!(resp.text().await.unwrap().contains("The form has expired"));
}
