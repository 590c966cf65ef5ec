//! A person at a browser: a cookie jar the test can read and replace, no
//! redirects followed, signed in through the real sign-in form.

use std::net::IpAddr;
use std::sync::Arc;

use reqwest::cookie::{CookieStore, Jar};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use tessera::startup::SESSION_COOKIE;

use super::{TestApp, TestUser};

pub struct Browser {
    pub base: String,
    pub client: reqwest::Client,
    jar: Arc<Jar>,
    /// The session's CSRF token once signed in, from the page's
    /// `<meta name="csrf-token">`; empty before.
    pub csrf: String,
}

impl Browser {
    pub fn new(app: &TestApp) -> Self {
        Self::at(&app.url(""))
    }

    pub fn at(base: &str) -> Self {
        Self::at_from(base, None)
    }

    /// A browser whose requests come from `127.0.0.<n>` (all of 127/8 is
    /// this machine), for limits kept per client address.
    pub fn from_ip(app: &TestApp, n: u8) -> Self {
        Self::at_from(&app.url(""), Some(IpAddr::from([127, 0, 0, n])))
    }

    fn at_from(base: &str, local: Option<IpAddr>) -> Self {
        let jar = Arc::new(Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .local_address(local)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Browser {
            base: base.trim_end_matches('/').to_owned(),
            client,
            jar,
            csrf: String::new(),
        }
    }

    /// A new browser signed in as `user`, its CSRF token in `csrf`.
    pub async fn signed_in(app: &TestApp, user: &TestUser) -> Self {
        let mut browser = Self::new(app);
        browser.sign_in(user).await;
        browser
    }

    /// The same browser (cookies and all) talking to another instance, as
    /// behind a load balancer: cookies do not tell ports apart.
    pub fn on(&self, app: &TestApp) -> Self {
        Browser {
            base: app.url(""),
            client: self.client.clone(),
            jar: self.jar.clone(),
            csrf: self.csrf.clone(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// GETs a page expecting 200 and returns its body.
    pub async fn page(&self, path: &str) -> String {
        let (status, body) = self.fetch(path).await;
        assert_eq!(status, 200, "GET {path}");
        body
    }

    /// GETs `path` whatever it answers: status and body.
    pub async fn fetch(&self, path: &str) -> (StatusCode, String) {
        let resp = self.get(path).await;
        (resp.status(), resp.text().await.unwrap())
    }

    /// The CSRF token a page carries for its scripts.
    pub async fn csrf_of(&self, path: &str) -> String {
        meta_csrf(&self.page(path).await)
    }

    /// A form post exactly as given (no CSRF token added).
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        self.client
            .post(self.url(path))
            .form(fields)
            .send()
            .await
            .unwrap()
    }

    /// A form post carrying the session's CSRF token, as the page's forms do.
    pub async fn submit(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let mut all = vec![("csrf_token", self.csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_form(path, &all).await
    }

    /// The "Generate new token" form, sent as filled in with the session's
    /// CSRF token.
    pub async fn generate(&self, fields: &[(&str, &str)]) -> Response {
        self.submit("/profile/tokens", fields).await
    }

    /// A `.json` call from the page's scripts: state changes send the
    /// CSRF token in `X-CSRF-Token`.
    pub fn json(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, self.url(path))
            .header("X-CSRF-Token", &self.csrf)
    }

    /// Makes a token from the page's scripts, expecting 201; returns the
    /// answer (`secret`, `token`...).
    pub async fn mint(&self, body: serde_json::Value) -> serde_json::Value {
        let resp = self
            .json(Method::POST, "/profile/tokens.json")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 201);
        resp.json().await.unwrap()
    }

    /// The sign-in form as a person fills it in.
    pub async fn try_sign_in(&self, username: &str, password: &str) -> Response {
        let csrf = self.csrf_of("/login").await;
        self.post_form("/login", &sign_in_form(username, password, &csrf))
            .await
    }

    /// Signs in, checks that the session was renewed (no identifier from
    /// before sign-in survives), and keeps and returns the CSRF token.
    pub async fn sign_in(&mut self, user: &TestUser) -> String {
        let login = self.csrf_of("/login").await;
        let before = self.cookie();
        let resp = self
            .post_form(
                "/login",
                &sign_in_form(&user.account.username, &user.password, &login),
            )
            .await;
        assert_see_other(&resp, "/profile");
        assert_ne!(self.cookie(), before, "sign-in renews the session");
        self.csrf = self.csrf_of("/profile").await;
        self.csrf.clone()
    }

    /// The session cookie's current value.
    pub fn cookie(&self) -> Option<String> {
        let url = self.base.parse().unwrap();
        let header = self.jar.cookies(&url)?;
        header
            .to_str()
            .unwrap()
            .split("; ")
            .find_map(|c| c.strip_prefix(&format!("{SESSION_COOKIE}=")))
            .map(str::to_owned)
    }

    /// Replaces the session cookie, as a thief replaying a stolen one would.
    pub fn set_cookie(&self, value: &str) {
        let url = self.base.parse().unwrap();
        self.jar
            .add_cookie_str(&format!("{SESSION_COOKIE}={value}; Path=/"), &url);
    }
}

/// The sign-in form's fields, filled in.
pub fn sign_in_form<'a>(
    username: &'a str,
    password: &'a str,
    csrf: &'a str,
) -> [(&'a str, &'a str); 3] {
    [
        ("username", username),
        ("password", password),
        ("csrf_token", csrf),
    ]
}

/// The page's `<meta name="csrf-token" content="...">`, never empty.
pub fn meta_csrf(html: &str) -> String {
    let marker = r#"<meta name="csrf-token" content=""#;
    let start = html
        .find(marker)
        .expect("page carries <meta name=\"csrf-token\">")
        + marker.len();
    let len = html[start..].find('"').unwrap();
    let token = html[start..start + len].to_owned();
    assert!(!token.is_empty(), "the csrf-token meta is empty");
    token
}

/// The response is a 303 to `location`.
pub fn assert_see_other(resp: &Response, location: &str) {
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{}", resp.url());
    assert_eq!(
        resp.headers()["location"].to_str().unwrap(),
        location,
        "{}",
        resp.url()
    );
}

/// The `Location` a response names, or "" without one.
pub fn location(resp: &Response) -> &str {
    resp.headers()
        .get("location")
        .map_or("", |v| v.to_str().unwrap())
}
