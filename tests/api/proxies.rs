//! tessera's `/auth` behind real reverse proxies: Debian's nginx and Caddy,
//! each run as a child process with the very configuration shipped in
//! `deploy/` (only its placeholders filled in), in front of a tiny upstream
//! that answers every request with the headers it received.
//!
//! Each proxy is started once for the test binary's run (one test per
//! proxy, every scenario in it). Without nginx or Caddy the test says SKIP
//! loudly, and fails under CI=true (scripts/proxies.sh installs both).

use std::io::{Read, Write};
use std::net::{IpAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use tessera::actions::{self, Actor, TokenRequest};
use tessera::config::TrustedProxies;
use tessera::db::models::accounts::Account;
use tessera::db::schema::api_tokens;
use tessera::tokens::PlainToken;

use crate::helpers::TestApp;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// A child process, killed when dropped.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Whether `program` can be run; if not, a loud skip (or under CI=true, a
/// failure).
fn available(program: &str) -> bool {
    let found = Command::new(program)
        .arg(if program == "nginx" { "-v" } else { "version" })
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{program} is required when CI=true (scripts/proxies.sh installs it)"
        );
        eprintln!(
            "\n!!!!!!!!!!\n!!! SKIP: {program} is not installed; the proxy test did not run (scripts/proxies.sh)\n!!!!!!!!!!\n"
        );
    }
    found
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for(port: u16, what: &str, log: &Path) {
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        let log = std::fs::read_to_string(log).unwrap_or_default();
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "{what} did not start: {log}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn scratch(what: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "tessera-{what}-{}",
        &PlainToken::generate().into_exposed()[4..16]
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// An upstream that answers every request with the request's head, on a
/// thread of its own.
fn echo_upstream() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || echo(stream));
        }
    });
    port
}

fn echo(mut stream: TcpStream) {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let reply = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        head.len()
    );
    let _ = stream.write_all(reply.as_bytes());
    let _ = stream.write_all(&head);
}

/// tessera, believing the proxies on 127.0.0.1, with the `app:read` scope.
async fn tessera() -> TestApp {
    let app = TestApp::spawn_with(|c| {
        c.trusted_proxies = TrustedProxies::parse("127.0.0.1").unwrap();
    })
    .await;
    app.app_scope("app:read");
    app
}

/// nginx with deploy/nginx/tessera.conf; the port it listens on.
fn nginx(tessera: u16, upstream: u16) -> (Proc, u16) {
    let dir = scratch("nginx");
    let port = free_port();
    let site = std::fs::read_to_string(format!("{ROOT}/deploy/nginx/tessera.conf")).unwrap();
    let site = site
        .replace("${LISTEN}", &format!("127.0.0.1:{port}"))
        .replace("${TESSERA}", &format!("127.0.0.1:{tessera}"))
        .replace("${UPSTREAM}", &format!("127.0.0.1:{upstream}"))
        .replace("${SCOPE}", "app:read");
    std::fs::write(dir.join("tessera.conf"), site).unwrap();
    let d = dir.display();
    let main = format!(
        "pid {d}/nginx.pid;\nerror_log {d}/error.log warn;\ndaemon off;\nmaster_process off;\n\
         events {{ worker_connections 256; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n  \
         fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n  \
         include {d}/tessera.conf;\n}}\n"
    );
    std::fs::write(dir.join("nginx.conf"), main).unwrap();
    let child = Command::new("nginx")
        .args(["-p", &d.to_string(), "-c", &format!("{d}/nginx.conf")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start nginx");
    wait_for(port, "nginx", &dir.join("error.log"));
    (Proc(child), port)
}

/// Caddy with deploy/caddy/Caddyfile; the port it listens on.
fn caddy(tessera: u16, upstream: u16) -> (Proc, u16) {
    let dir = scratch("caddy");
    let port = free_port();
    let log = dir.join("caddy.log");
    let child = Command::new("caddy")
        .args(["run", "--adapter", "caddyfile", "--config"])
        .arg(format!("{ROOT}/deploy/caddy/Caddyfile"))
        .env("PROXY_LISTEN", format!("127.0.0.1:{port}"))
        .env("TESSERA_ADDR", format!("127.0.0.1:{tessera}"))
        .env("UPSTREAM_ADDR", format!("127.0.0.1:{upstream}"))
        .env("TESSERA_SCOPE", "app:read")
        .env("CADDY_ADMIN", "off")
        .env("HOME", &dir)
        .env("XDG_DATA_HOME", &dir)
        .env("XDG_CONFIG_HOME", &dir)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("start caddy");
    wait_for(port, "caddy", &log);
    (Proc(child), port)
}

/// A token of `account` for app:read, with these restrictions.
fn token(app: &TestApp, account: &Account, scope: &str, ips: &[&str], rate: Option<i64>) -> String {
    let spec = TokenRequest {
        label: Some("behind a proxy".into()),
        scopes: Some(vec![scope.into()]),
        allowed_ips: Some(ips.iter().map(|s| s.to_string()).collect()),
        rate_limit_per_minute: rate,
        ..Default::default()
    }
    .check(&app.config, account, None)
    .unwrap();
    let (_, plain) = actions::create_token(
        &mut app.conn(),
        &app.config,
        account,
        &spec,
        Actor::console(),
    )
    .unwrap();
    plain.into_exposed()
}

/// A client connecting from 127.0.0.`n`.
fn client_from(n: u8) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::from([127, 0, 0, n]))
        .build()
        .unwrap()
}

/// Every scenario, through the proxy listening on `port`.
async fn scenarios(name: &str, app: &TestApp, port: u16) {
    let url = |path: &str| format!("http://127.0.0.1:{port}{path}");
    let client = client_from(1);
    let get = |token: Option<&str>| {
        let req = client.get(url("/service/x?a=1"));
        match token {
            Some(t) => req.bearer_auth(t),
            None => req,
        }
        .send()
    };
    let user = app.user();
    let good = token(app, &user.account, "app:read", &[], None);

    // Allowed: the upstream sees who calls, whatever the client claimed.
    let resp = client
        .get(url("/service/x?a=1"))
        .bearer_auth(&good)
        .header("X-Tessera-Username", "mallory")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{name}: allowed");
    let seen = resp.text().await.unwrap().to_ascii_lowercase();
    let username = format!(
        "x-tessera-username: {}",
        user.account.username.to_ascii_lowercase()
    );
    assert!(seen.contains(&username), "{name}: {seen}");
    assert!(!seen.contains("mallory"), "{name}: {seen}");
    assert!(seen.contains("x-tessera-role: user"), "{name}: {seen}");
    assert!(
        seen.contains("x-tessera-scopes: app:read"),
        "{name}: {seen}"
    );
    let prefix = format!(
        "x-tessera-token-prefix: {}",
        good[..12].to_ascii_lowercase()
    );
    assert!(seen.contains(&prefix), "{name}: {seen}");
    // The query form, read from the original URI.
    let resp = client
        .get(url(&format!("/service/y?api_token={good}")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{name}: query token");

    // Missing, bad, expired, deactivated: 401, and the upstream never asked.
    let expired = token(app, &user.account, "app:read", &[], None);
    let deactivated = token(app, &user.account, "app:read", &[], None);
    app.expire(&expired);
    app.with_conn(|c| {
        diesel::update(api_tokens::table.find(app.token_id(&deactivated)))
            .set(api_tokens::active.eq(false))
            .execute(c)
            .unwrap();
    });
    let unknown = PlainToken::generate().into_exposed();
    for (what, token) in [
        ("missing", None),
        ("unknown", Some(unknown.as_str())),
        ("garbage", Some("tsr_nonsense")),
        ("expired", Some(expired.as_str())),
        ("deactivated", Some(deactivated.as_str())),
    ] {
        let resp = get(token).await.unwrap();
        assert_eq!(resp.status(), 401, "{name}: {what}");
    }

    // Without the route's scope: 403.
    let other = token(app, &user.account, "profile:read", &[], None);
    assert_eq!(
        get(Some(&other)).await.unwrap().status(),
        403,
        "{name}: scope"
    );

    // Deleted in tessera: refused on the very next request.
    let doomed = token(app, &user.account, "app:read", &[], None);
    assert_eq!(get(Some(&doomed)).await.unwrap().status(), 200, "{name}");
    app.with_conn(|c| {
        diesel::delete(api_tokens::table.find(app.token_id(&doomed)))
            .execute(c)
            .unwrap()
    });
    assert_eq!(
        get(Some(&doomed)).await.unwrap().status(),
        401,
        "{name}: deleted"
    );

    // The rate limit: 429 with Retry-After once spent.
    let limited = token(app, &user.account, "app:read", &[], Some(2));
    for _ in 0..2 {
        assert_eq!(get(Some(&limited)).await.unwrap().status(), 200, "{name}");
    }
    let resp = get(Some(&limited)).await.unwrap();
    assert_eq!(resp.status(), 429, "{name}: rate limit");
    let retry = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    assert!(
        retry.is_some_and(|r| r.parse::<u64>().unwrap() >= 1),
        "{name}"
    );

    // The allowlist judges the address the proxy reports, never one a
    // client claims.
    let fenced = token(app, &user.account, "app:read", &["127.0.0.5"], None);
    let ask = |n: u8, spoof: Option<&str>| {
        let mut req = client_from(n).get(url("/service/z")).bearer_auth(&fenced);
        if let Some(claimed) = spoof {
            req = req
                .header("X-Forwarded-For", claimed)
                .header("X-Real-IP", claimed);
        }
        req.send()
    };
    assert_eq!(
        ask(5, None).await.unwrap().status(),
        200,
        "{name}: allowed address"
    );
    assert_eq!(
        ask(6, None).await.unwrap().status(),
        403,
        "{name}: other address"
    );
    let spoofed = ask(6, Some("127.0.0.5")).await.unwrap().status();
    assert_eq!(spoofed, 403, "{name}: spoofed X-Forwarded-For");
    let used_from: Option<String> = app.with_conn(|c| {
        api_tokens::table
            .find(app.token_id(&fenced))
            .select(api_tokens::last_used_ip)
            .first(c)
            .unwrap()
    });
    assert_eq!(used_from.as_deref(), Some("127.0.0.5"), "{name}");
}

#[tokio::test]
async fn through_nginx() {
    if !available("nginx") {
        return;
    }
    let app = tessera().await;
    let upstream = echo_upstream();
    let (_nginx, port) = nginx(app.addr.port(), upstream);
    scenarios("nginx", &app, port).await;
}

#[tokio::test]
async fn through_caddy() {
    if !available("caddy") {
        return;
    }
    let app = tessera().await;
    let upstream = echo_upstream();
    let (_caddy, port) = caddy(app.addr.port(), upstream);
    scenarios("caddy", &app, port).await;
}
