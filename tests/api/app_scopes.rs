//! Application scopes (SPEC section 8): admins create and delete them, the
//! generate form offers them to the roles that may grant them, deletion
//! takes them from every token at once, and the role cap applies to them
//! at request time.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Browser, TestApp, assert_error, find};

async fn create_scope(app: &TestApp, admin: &str, body: Value) -> reqwest::Response {
    app.post_json("/admin/scopes.json", admin, &body).await
}

/// Creates a scope, expecting 201.
async fn scope_made(app: &TestApp, admin: &str, body: Value) {
    let resp = create_scope(app, admin, body).await;
    assert_eq!(resp.status(), 201);
}

/// Asks for a token from a signed-in browser, whatever the answer.
async fn session_mint(browser: &Browser, body: Value) -> reqwest::Response {
    browser
        .json(Method::POST, "/profile/tokens.json")
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// What introspection says a token may do now.
async fn effective(app: &TestApp, introspector: &str, secret: &str) -> Value {
    let resp = app
        .request(Method::POST, "/oauth/introspect", Some(introspector))
        .form(&[("token", secret)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

#[tokio::test]
async fn admins_create_and_list_scopes_beside_the_built_in_ones() {
    let app = TestApp::spawn().await;
    let admin = app.with_admin().await;
    let resp = create_scope(
        &app,
        &admin.token,
        json!({"name": "billing:read", "description": "Read invoices", "grantable_by": ["user", "admin"]}),
    )
    .await;
    assert_eq!(resp.status(), 201);
    let created: Value = resp.json().await.unwrap();
    assert_eq!(
        created,
        json!({"name": "billing:read", "description": "Read invoices", "grantable_by": ["user", "admin"], "builtin": false, "token_count": 0})
    );
    let list = app.get_json("/admin/scopes.json", &admin.token).await;
    let items = list["items"].as_array().unwrap();
    let builtin: Vec<&str> = items
        .iter()
        .filter(|s| s["builtin"] == true)
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        builtin,
        [
            "profile:read",
            "profile:write",
            "tokens:read",
            "tokens:write",
            "admin:read",
            "admin:write",
            "introspect",
            "metrics:read"
        ]
    );
    assert_eq!(
        find(&list["items"], "name", "introspect")["grantable_by"],
        json!(["admin"])
    );
    assert_eq!(
        find(&list["items"], "name", "billing:read")["builtin"],
        false
    );
    // Audited, with the scope's name.
    let audit = app
        .get_json("/admin/audit.json?event=scope.created", &admin.token)
        .await;
    assert_eq!(audit["total"], 1);
    assert_eq!(audit["items"][0]["detail"], "billing:read");
    // The page lists it too.
    let page = admin.browser.page("/admin/scopes").await;
    assert!(page.contains("billing:read") && page.contains("Read invoices"));
}

#[tokio::test]
async fn bad_names_duplicates_and_built_in_names_are_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let admin = app.with_admin().await;
    let long = "x".repeat(201);
    let cases: [(Value, u16, &str); 9] = [
        (json!({"name": "Billing:read"}), 400, "name"),
        (json!({"name": "billing"}), 400, "name"),
        (json!({"name": "billing:read:all"}), 400, "name"),
        (json!({"description": "no name"}), 400, "name"),
        (json!({"name": "tokens:read"}), 409, "name"),
        (
            json!({"name": "billing:read", "description": long}),
            400,
            "description",
        ),
        (
            json!({"name": "billing:read", "grantable_by": ["root"]}),
            400,
            "grantable_by",
        ),
        (
            json!({"name": "billing:read", "grantable_by": []}),
            400,
            "grantable_by",
        ),
        (
            json!({"name": "billing:read", "colour": "red"}),
            400,
            "colour",
        ),
    ];
    for (body, status, field) in cases {
        let code = if status == 409 {
            "conflict"
        } else {
            "invalid_input"
        };
        assert_error(
            create_scope(&app, &admin.token, body.clone()).await,
            status,
            code,
            Some(field),
        )
        .await;
    }
    // Nothing was made by any of them.
    let list = app.get_json("/admin/scopes.json", &admin.token).await;
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["builtin"] == true)
    );
    scope_made(&app, &admin.token, json!({"name": "billing:read"})).await;
    assert_error(
        create_scope(&app, &admin.token, json!({"name": "billing:read"})).await,
        409,
        "conflict",
        Some("name"),
    )
    .await;
    // Built-in scopes cannot be deleted; unknown ones are not there.
    let resp = app
        .call(
            Method::DELETE,
            "/admin/scopes/tokens:read.json",
            Some(&admin.token),
        )
        .await;
    assert_error(resp, 409, "conflict", Some("name")).await;
    let resp = app
        .call(
            Method::DELETE,
            "/admin/scopes/nope:read.json",
            Some(&admin.token),
        )
        .await;
    assert_error(resp, 404, "not_found", None).await;
    // The form names the field too.
    let resp = admin
        .browser
        .submit(
            "/admin/scopes",
            &[("name", "tokens:write"), ("grantable_by", "user")],
        )
        .await;
    assert_eq!(resp.status(), 409);
    let page = resp.text().await.unwrap();
    assert!(page.contains("tokens:write is a built-in scope"), "{page}");
}

#[tokio::test]
async fn users_grant_only_the_scopes_their_role_may_grant() {
    let app = TestApp::spawn().await;
    let admin = app.with_admin().await;
    for body in [
        json!({"name": "billing:read", "description": "Read invoices", "grantable_by": ["user", "admin"]}),
        json!({"name": "ops:deploy", "description": "Deploy services", "grantable_by": ["admin"]}),
    ] {
        scope_made(&app, &admin.token, body).await;
    }
    let user = app.with_user(&["tokens:write"]).await;
    // The form offers the user's one application scope, with its
    // description, below the built-in ones; not the admin-only one.
    let page = user.browser.page("/profile").await;
    let builtin_at = page.find("value=\"tokens:write\"").unwrap();
    let app_at = page
        .find("value=\"billing:read\"")
        .expect("billing:read offered");
    assert!(builtin_at < app_at);
    assert!(page.contains("Read invoices"));
    assert!(!page.contains("ops:deploy"));
    let admin_page = admin.browser.page("/profile").await;
    assert!(admin_page.contains("value=\"ops:deploy\""));

    // By session: the role decides.
    let made = user
        .browser
        .mint(json!({"label": "billing", "scopes": ["billing:read"]}))
        .await;
    assert_eq!(made["token"]["scopes"], json!(["billing:read"]));
    let refused = session_mint(
        &user.browser,
        json!({"label": "ops", "scopes": ["ops:deploy"]}),
    )
    .await;
    assert_error(refused, 403, "forbidden", Some("scopes")).await;
    let unknown = session_mint(
        &user.browser,
        json!({"label": "x", "scopes": ["billing:write"]}),
    )
    .await;
    assert_error(unknown, 400, "invalid_input", Some("scopes")).await;
    // By token: also only what the calling token holds.
    let body = app
        .mint_refused(
            &user.token,
            json!({"label": "x", "scopes": ["billing:read"]}),
            403,
            "forbidden",
        )
        .await;
    assert_eq!(body["error"]["field"], "scopes");
    let writer = app.token(&user.user.account, &["tokens:write", "billing:read"]);
    let child = app
        .mint(
            &writer,
            json!({"label": "child", "scopes": ["billing:read"]}),
        )
        .await;
    assert_eq!(child["token"]["scopes"], json!(["billing:read"]));
}

#[tokio::test]
async fn deleting_a_scope_takes_it_from_every_token_in_one_go() {
    let app = TestApp::spawn().await;
    let admin = app.with_admin().await;
    scope_made(&app, &admin.token, json!({"name": "billing:read"})).await;
    let user = app.user();
    let both = app.token(&user.account, &["tokens:read", "billing:read"]);
    let only = app.token(&user.account, &["billing:read"]);
    let list = app.get_json("/admin/scopes.json", &admin.token).await;
    assert_eq!(
        find(&list["items"], "name", "billing:read")["token_count"],
        2
    );

    let resp = app
        .call(
            Method::DELETE,
            "/admin/scopes/billing:read.json",
            Some(&admin.token),
        )
        .await;
    assert_eq!(resp.status(), 204);
    let tokens = app.get_json("/profile/tokens.json", &both).await;
    for t in tokens["tokens"].as_array().unwrap() {
        assert!(
            !t["scopes"]
                .as_array()
                .unwrap()
                .contains(&json!("billing:read")),
            "{t}"
        );
    }
    // The token that held nothing else holds nothing: it may do nothing.
    assert_error(
        app.get("/profile.json", &only).await,
        403,
        "insufficient_scope",
        None,
    )
    .await;
    let audit = app
        .get_json("/admin/audit.json?event=scope.deleted", &admin.token)
        .await;
    assert_eq!(
        audit["items"][0]["detail"],
        "billing:read: taken from 2 tokens"
    );
    let list = app.get_json("/admin/scopes.json", &admin.token).await;
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["name"] != "billing:read")
    );
    // The form button deletes as well.
    scope_made(&app, &admin.token, json!({"name": "billing:write"})).await;
    let resp = admin
        .browser
        .submit("/admin/scopes/billing:write/delete", &[])
        .await;
    assert_eq!(resp.status(), 303);
    let list = app.get_json("/admin/scopes.json", &admin.token).await;
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["name"] != "billing:write")
    );
}

#[tokio::test]
async fn the_role_cap_applies_to_application_scopes_at_request_time() {
    let app = TestApp::spawn().await;
    let admin = app.with_admin().await;
    assert_eq!(
        create_scope(
            &app,
            &admin.token,
            json!({"name": "ops:deploy", "grantable_by": ["admin"]})
        )
        .await
        .status(),
        201
    );
    scope_made(&app, &admin.token, json!({"name": "billing:read"})).await;
    let introspector = app.token(&admin.user.account, &["introspect"]);
    let other_admin = app.admin();
    let secret = app.token(
        &other_admin.account,
        &["profile:read", "ops:deploy", "billing:read"],
    );
    assert_eq!(
        effective(&app, &introspector, &secret).await["scope"],
        "profile:read billing:read ops:deploy"
    );
    let resp = app
        .post_json(
            &format!("/admin/users/{}/role.json", other_admin.account.account_id),
            &admin.token,
            &json!({"role": "user"}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    // Demoted: the admin-only scope no longer applies (the roles are
    // re-read within a second).
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(
        effective(&app, &introspector, &secret).await["scope"],
        "profile:read billing:read"
    );
}
