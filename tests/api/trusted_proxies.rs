//! `TESSERA_TRUSTED_PROXIES` (SPEC §8): `X-Forwarded-For` and `X-Real-IP`
//! are believed from the listed networks only, and then name the client
//! wherever tessera needs its address (here: the token's last use).

use diesel::prelude::*;
use tessera::config::TrustedProxies;
use tessera::db::schema::api_tokens;

use crate::helpers::{Browser, TestApp};

fn last_used_ip(app: &TestApp, token: &str) -> Option<String> {
    let id = app.token_id(token);
    app.with_conn(|c| {
        api_tokens::table
            .find(id)
            .select(api_tokens::last_used_ip)
            .first(c)
            .unwrap()
    })
}

/// Uses a fresh token from local address `127.0.0.{from}` with one
/// forwarding header; the address tessera wrote down for it.
async fn seen_as(app: &TestApp, from: u8, header: (&str, &str)) -> Option<String> {
    let user = app.user();
    let token = app.token(&user.account, &["profile:read"]);
    let client = Browser::from_ip(app, from).client;
    let resp = client
        .get(app.url("/auth"))
        .header("API-KEY", &token)
        .header(header.0, header.1)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    last_used_ip(app, &token)
}

#[tokio::test]
async fn forwarded_addresses_count_only_from_the_listed_networks() {
    let app = TestApp::spawn_with(|c| {
        c.trusted_proxies = TrustedProxies::parse("127.0.0.8/29, ::1").unwrap();
    })
    .await;
    let xff = "X-Forwarded-For";
    let seen = |s: &str| Some(s.to_owned());
    // From inside the range: the rightmost address that is not a proxy.
    let chain = "6.6.6.6, 198.51.100.7, 127.0.0.12";
    assert_eq!(seen_as(&app, 9, (xff, chain)).await, seen("198.51.100.7"));
    assert_eq!(
        seen_as(&app, 15, ("X-Real-IP", "2001:db8::5")).await,
        seen("2001:db8::5")
    );
    // From outside it: the headers are someone's claim, not evidence.
    assert_eq!(
        seen_as(&app, 16, (xff, "198.51.100.7")).await,
        seen("127.0.0.16")
    );
    assert_eq!(
        seen_as(&app, 7, ("X-Real-IP", "198.51.100.7")).await,
        seen("127.0.0.7")
    );
    // Garbage from a proxy leaves the proxy's own address.
    assert_eq!(
        seen_as(&app, 9, ("X-Real-IP", "nonsense")).await,
        seen("127.0.0.9")
    );

    // With nothing listed, nobody's headers count.
    let app = TestApp::spawn().await;
    assert_eq!(
        seen_as(&app, 9, (xff, "198.51.100.7")).await,
        seen("127.0.0.9")
    );
}
