//! `GET /auth` and `HEAD /auth` (SPEC §8, "Forward authentication"): what a
//! reverse proxy is told for every kind of forwarded request.

use diesel::prelude::*;
use reqwest::header::HeaderMap;
use reqwest::{Method, Response};
use serde_json::Value;
use tessera::config::DatabaseUrl;
use tessera::db::Db;
use tessera::db::schema::api_tokens;
use tessera::tokens::PlainToken;

use crate::helpers::{ServerGuard, TestApp, TestDb, raw, test_config};

async fn gate(app: &TestApp, query: &str, headers: &[(&str, &str)]) -> Response {
    let mut req = app.api.get(app.url(&format!("/auth{query}")));
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    req.send().await.unwrap()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .unwrap_or_else(|| panic!("no {name}"))
        .to_str()
        .unwrap()
}

/// A refusal: its status, a short JSON error, no cookie.
async fn assert_refused(resp: Response, status: u16, code: &str) -> HeaderMap {
    assert_eq!(resp.status(), status);
    let headers = resp.headers().clone();
    assert!(headers.get("set-cookie").is_none());
    // The body may reach a browser (Caddy and Traefik pass it on).
    assert_eq!(header(&headers, "x-content-type-options"), "nosniff");
    assert!(header(&headers, "content-type").starts_with("application/json"));
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], code, "{body}");
    if status == 401 {
        assert!(header(&headers, "www-authenticate").starts_with("Bearer"));
    }
    headers
}

#[tokio::test]
async fn a_good_token_is_answered_with_who_holds_it() {
    let app = TestApp::spawn().await;
    app.app_scope("app:read");
    let user = app.user();
    let token = app.token(&user.account, &["app:read", "profile:read"]);
    let bearer = format!("Bearer {token}");
    let resp = gate(&app, "?scope=app:read", &[("Authorization", &bearer)]).await;
    assert_eq!(resp.status(), 204);
    let h = resp.headers();
    assert_eq!(
        header(h, "x-tessera-account-id"),
        user.account.account_id.as_str()
    );
    assert_eq!(
        header(h, "x-tessera-username"),
        user.account.username.as_str()
    );
    assert_eq!(header(h, "x-tessera-role"), "user");
    assert_eq!(
        header(h, "x-tessera-token-id"),
        app.token_id(&token).to_string()
    );
    assert_eq!(header(h, "x-tessera-token-prefix"), &token[..12]);
    assert_eq!(header(h, "x-tessera-scopes"), "profile:read app:read");
    assert_eq!(header(h, "x-tessera-expires"), "");
    assert!(h.get("set-cookie").is_none());
    assert_eq!(resp.bytes().await.unwrap().len(), 0);

    // HEAD answers the same, and no scope asks only for a good token.
    let head = app
        .api
        .head(app.url("/auth"))
        .header("API-KEY", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 204);
    assert_eq!(header(head.headers(), "x-tessera-role"), "user");
    // Other methods are not the gate's.
    let post = app.request(Method::POST, "/auth", Some(&token)).send();
    assert_eq!(post.await.unwrap().status(), 405);
}

#[tokio::test]
async fn the_token_is_read_in_every_form_and_from_the_original_uri() {
    let app = TestApp::spawn().await;
    let user = app.user();
    let token = app.token(&user.account, &["profile:read"]);
    let expires = tessera::db::now() + time::Duration::days(2);
    app.with_conn(|c| {
        diesel::update(api_tokens::table.find(app.token_id(&token)))
            .set(api_tokens::expires_at.eq(Some(expires)))
            .execute(c)
            .unwrap()
    });
    let query = format!("/app/x?a=1&api_token={token}");
    let forms = [
        ("Authorization", format!("Bearer {token}")),
        ("Authorization", format!("Token {token}")),
        ("Authorization", format!("apiToken {token}")),
        ("Authorization", token.clone()),
        ("API-KEY", token.clone()),
        ("X-Original-URI", query.clone()),
        ("X-Forwarded-Uri", query.clone()),
    ];
    for (name, value) in &forms {
        let resp = gate(&app, "?scope=profile:read", &[(name, value)]).await;
        assert_eq!(resp.status(), 204, "{name}: {value}");
        let at = header(resp.headers(), "x-tessera-expires");
        let at = time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339);
        assert_eq!(
            at.unwrap().unix_timestamp(),
            expires.assume_utc().unix_timestamp()
        );
    }
    // The gate's own query holds scopes, not tokens.
    let own = gate(&app, &format!("?api_token={token}"), &[]).await;
    assert_refused(own, 401, "unauthenticated").await;

    let app = TestApp::spawn_with(|c| c.allow_query_token = false).await;
    let user = app.user();
    let token = app.token(&user.account, &["profile:read"]);
    let query = format!("/app?api_token={token}");
    for name in ["X-Original-URI", "X-Forwarded-Uri"] {
        let resp = gate(&app, "", &[(name, &query)]).await;
        assert_refused(resp, 401, "unauthenticated").await;
    }
}

#[tokio::test]
async fn missing_bad_expired_deactivated_and_deleted_tokens_get_401() {
    let app = TestApp::spawn().await;
    let user = app.user();
    let good = app.token(&user.account, &["profile:read"]);
    let expired = app.token(&user.account, &["profile:read"]);
    let deactivated = app.token(&user.account, &["profile:read"]);
    let deleted = app.token(&user.account, &["profile:read"]);
    // Each was good once: a refusal below is not a cache's old answer.
    for t in [&good, &expired, &deactivated, &deleted] {
        let resp = gate(&app, "", &[("API-KEY", t)]).await;
        assert_eq!(resp.status(), 204);
    }
    app.expire(&expired);
    let id = app.token_id(&deactivated);
    let path = format!("/profile/tokens/{id}/deactivate.json");
    let resp = app.request(Method::POST, &path, Some(&good)).send().await;
    assert_eq!(
        resp.unwrap().status(),
        403,
        "profile:read cannot deactivate"
    );
    let writer = app.token(&user.account, &["tokens:write"]);
    let resp = app.request(Method::POST, &path, Some(&writer)).send().await;
    assert_eq!(resp.unwrap().status(), 200);
    let id = app.token_id(&deleted);
    let path = format!("/profile/tokens/{id}.json");
    let resp = app
        .request(Method::DELETE, &path, Some(&writer))
        .send()
        .await;
    assert_eq!(resp.unwrap().status(), 204);

    let unknown = PlainToken::generate().into_exposed();
    let mut bad_checksum = good.clone();
    bad_checksum.replace_range(41.., if good.ends_with('A') { "B" } else { "A" });
    let cases = [
        ("nothing", None),
        ("unknown", Some(unknown)),
        ("bad checksum", Some(bad_checksum)),
        ("expired", Some(expired)),
        ("deactivated", Some(deactivated)),
        ("deleted", Some(deleted)),
        ("not a token", Some("Basic dXNlcjpwYXNz".to_owned())),
    ];
    for (what, token) in cases {
        let auth = token.map(|t| ("Authorization", t));
        let headers: Vec<(&str, &str)> = auth.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let resp = gate(&app, "?scope=profile:read", &headers).await;
        println!("{what}");
        assert_refused(resp, 401, "unauthenticated").await;
    }
}

#[tokio::test]
async fn every_scope_asked_for_is_required() {
    let app = TestApp::spawn().await;
    app.app_scope("billing:read");
    app.app_scope("billing:write");
    let user = app.user();
    let reader = app.token(&user.account, &["billing:read"]);
    let both = app.token(&user.account, &["billing:read", "billing:write"]);
    let key = |t: &str| [("API-KEY", t.to_owned())];
    let two = "?scope=billing:read&scope=billing%3Awrite";
    for (token, query, missing) in [
        (&reader, two, Some("billing:write")),
        (&reader, "?scope=profile:read", Some("profile:read")),
        (&reader, "?scope=admin:read", Some("admin:read")),
        (&both, two, None),
        (&reader, "?scope=billing:read", None),
    ] {
        let headers = key(token);
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let resp = gate(&app, query, &headers).await;
        match missing {
            None => assert_eq!(resp.status(), 204, "{query}"),
            Some(scope) => {
                let h = assert_refused(resp, 403, "insufficient_scope").await;
                assert_eq!(header(&h, "x-tessera-missing-scope"), scope);
            }
        }
    }
    // A user's token never gains admin power by naming it.
    let admin = app.admin();
    let admins = app.token(&admin.account, &["admin:read"]);
    let resp = gate(&app, "?scope=admin:read", &[("API-KEY", &admins)]).await;
    assert_eq!(resp.status(), 204);
}

#[tokio::test]
async fn a_session_cookie_opens_nothing_and_none_is_set() {
    let (app, _user, browser) = TestApp::with_browser().await;
    let resp = browser.client.get(app.url("/auth")).send().await.unwrap();
    assert_refused(resp, 401, "unauthenticated").await;
}

#[tokio::test]
async fn hostile_input_gets_4xx() {
    let app = TestApp::spawn().await;
    let user = app.user();
    let token = app.token(&user.account, &["profile:read"]);
    let fifty = vec!["scope=profile:read"; 50].join("&");
    let resp = gate(&app, &format!("?{fifty}"), &[("API-KEY", &token)]).await;
    assert_refused(resp, 400, "invalid_input").await;
    for bad in ["%0d%0aX-Evil:%201", "%ff%fe", "no%20such"] {
        let resp = gate(&app, &format!("?scope={bad}"), &[("API-KEY", &token)]).await;
        assert_refused(resp, 400, "invalid_input").await;
    }
    let huge = format!("Bearer {}", "a".repeat(10 * 1024));
    let resp = gate(&app, "", &[("Authorization", &huge)]).await;
    assert_refused(resp, 401, "unauthenticated").await;
    let request = b"GET /auth HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \xff\xfe\xfd\r\nX-Original-URI: /?api_token=\xc3\x28\r\nConnection: close\r\n\r\n";
    assert_eq!(raw(&app, request).await, 401);
    let request = b"GET /auth HTTP/1.1\r\nHost: x\r\nX-Original-URI: /?api_token=\xc3\x28\r\nConnection: close\r\n\r\n";
    assert_eq!(raw(&app, request).await, 401);
}

/// A token whose checksum is wrong is refused before the database is
/// asked: with the database unreachable it still gets 401, while a
/// well-formed token gets 503.
#[tokio::test]
async fn a_bad_checksum_never_reaches_the_database() {
    let test_db = TestDb::sqlite();
    let config = test_config(&test_db);
    let down = DatabaseUrl::Postgres("postgres://tessera@127.0.0.1:1/none".into());
    let (_server, addr) = ServerGuard::start(config, Db::new(&down, 2));
    let client = reqwest::Client::new();
    let good = PlainToken::generate().into_exposed();
    let mut bad = good.clone();
    bad.replace_range(41.., if good.ends_with('A') { "B" } else { "A" });
    let ask = |token: &str| {
        client
            .get(format!("http://{addr}/auth?scope=app:read"))
            .header("API-KEY", token)
            .send()
    };
    let resp = ask(&bad).await.unwrap();
    assert_refused(resp, 401, "unauthenticated").await;
    let resp = ask(&good).await.unwrap();
    assert_refused(resp, 503, "unavailable").await;
}
