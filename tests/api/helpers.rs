//! What every test file starts from.
//!
//! - [`TestApp`]: a real server on its own database. `spawn`, `with_token`
//!   (a user and a token), `with_admin` / `with_user` (a token and a
//!   signed-in [`Browser`]); `token` mints as the CLI does, `mint` through
//!   the API; `get`, `get_json`, `call`, `post_json` send as API callers do.
//! - [`Browser`]: a person at a browser, with a cookie jar and the session's
//!   CSRF token; [`meta_csrf`], [`sign_in_form`], [`assert_see_other`].
//! - [`raw`] / [`request_bytes`]: requests no HTTP client would send.
//! - [`Served`], [`tessera`], [`run_ok`]: the real binary.
//! - [`assert_error`]: the JSON error shape.

use std::net::SocketAddr;
use std::path::PathBuf;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::Value;
use tessera::accounts::{DisplayName, Username};
use tessera::actions::{self, Actor, TokenRequest};
use tessera::config::{Config, DatabaseUrl, PasswordCost};
use tessera::db::models::accounts::Account;
use tessera::db::{Db, DbConn};
use tessera::tokens::{Role, SecretKey, random_chars};

mod browser;
mod raw;
mod served;

#[allow(unused_imports)] // each test module takes what it needs
pub use browser::{Browser, assert_see_other, location, meta_csrf, sign_in_form};
#[allow(unused_imports)] // each test module takes what it needs
pub use raw::{raw, request_bytes};
#[allow(unused_imports)] // each test module takes what it needs
pub use served::{Served, contains, run_ok, run_refused, tessera};

/// A database of its own for one test: a SQLite file in a temporary
/// directory, or a PostgreSQL schema dropped when the test ends.
pub struct TestDb {
    pub url: DatabaseUrl,
    /// The URL as the command line takes it.
    pub url_string: String,
    dir: Option<PathBuf>,
    pg_schema: Option<(String, String)>,
}

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}{}",
        random_chars(b"abcdefghijklmnopqrstuvwxyz0123456789", 12)
    )
}

pub fn backend_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

impl TestDb {
    pub fn new() -> Self {
        match backend_url() {
            Some(base) if base.starts_with("postgres") => Self::postgres(&base),
            _ => Self::sqlite(),
        }
    }

    /// A schema of its own in the PostgreSQL database at `base`.
    pub fn postgres(base: &str) -> Self {
        let schema = unique("t_");
        let mut admin = PgConnection::establish(base).expect("connect to the test database");
        admin
            .batch_execute(&format!("CREATE SCHEMA {schema}"))
            .expect("create schema");
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-csearch_path%3D{schema}");
        TestDb {
            url: DatabaseUrl::parse(&url).unwrap(),
            url_string: url,
            dir: None,
            pg_schema: Some((base.to_owned(), schema)),
        }
    }

    /// A SQLite file in a temporary directory, whatever TEST_DATABASE_URL
    /// says (for tests about SQLite itself).
    pub fn sqlite() -> Self {
        let dir = std::env::temp_dir().join(unique("tessera-test-"));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("tessera.db");
        let url_string = format!("sqlite://{}", path.display());
        TestDb {
            url: DatabaseUrl::Sqlite(path),
            url_string,
            dir: Some(dir),
            pg_schema: None,
        }
    }

    pub fn is_sqlite(&self) -> bool {
        self.url.is_sqlite()
    }

    pub fn sqlite_dir(&self) -> Option<&PathBuf> {
        self.dir.as_ref()
    }

    /// The same database for a second server (a multi-instance deployment,
    /// a restart); only the original cleans up when dropped.
    #[allow(dead_code)]
    pub fn share(&self) -> TestDb {
        TestDb {
            url: self.url.clone(),
            url_string: self.url_string.clone(),
            dir: None,
            pg_schema: None,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some((base, schema)) = &self.pg_schema
            && let Ok(mut conn) = PgConnection::establish(base)
        {
            let _ = conn.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"));
        }
    }
}

pub fn test_config(db: &TestDb) -> Config {
    Config {
        database: db.url.clone(),
        bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        secret_key: SecretKey::generate(),
        pool_size: 4,
        cookie_secure: false,
        allow_query_token: true,
        max_token_lifetime_days: None,
        max_tokens_per_user: Config::DEFAULT_MAX_TOKENS_PER_USER,
        password_cost: PasswordCost::CHEAP,
        login_limit: Config::DEFAULT_LOGIN_LIMIT,
        session_hours: 12,
        trusted_proxies: Vec::new(),
    }
}

#[allow(dead_code)] // fields used by some test modules only
pub struct TestApp {
    /// First, so it is dropped first: the server stops before its
    /// database goes.
    _server: ServerGuard,
    pub addr: SocketAddr,
    pub config: Config,
    pub db: Db,
    /// A client without cookies, as API callers are.
    pub api: reqwest::Client,
    pub test_db: TestDb,
}

/// A test server on a thread of its own, stopped (workers and all) when
/// dropped. Servers left running at the end of the test process would still
/// hold database connections while the process exits, which libpq does not
/// survive reliably.
pub struct ServerGuard {
    handle: actix_web::dev::ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ServerGuard {
    pub fn start(config: Config, db: Db) -> (Self, SocketAddr) {
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let (server, addr) = tessera::startup::build(config, db).expect("bind");
                tx.send((server.handle(), addr))
                    .expect("test waits for the address");
                let _ = server.await;
            })
        });
        let (handle, addr) = rx.recv().expect("server started");
        (
            Self {
                handle,
                thread: Some(thread),
            },
            addr,
        )
    }
}

impl Drop for ServerGuard {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        // `stop` is async; wait for it from a thread outside the test's
        // own runtime.
        let _ = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime")
                .block_on(handle.stop(false))
        })
        .join();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[allow(dead_code)]
pub struct TestUser {
    pub account: Account,
    pub password: String,
}

/// Someone with both ways in: an API token and a signed-in browser.
#[allow(dead_code)] // fields used by some test modules only
pub struct SignedIn {
    pub user: TestUser,
    pub token: String,
    pub browser: Browser,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> Self {
        let test_db = TestDb::new();
        let mut config = test_config(&test_db);
        tweak(&mut config);
        Self::start(test_db, config)
    }

    /// A server with one user holding a token with `scopes`: how most
    /// tests begin.
    #[allow(dead_code)] // used by some test modules only
    pub async fn with_token(scopes: &[&str]) -> (Self, TestUser, String) {
        let app = Self::spawn().await;
        let user = app.user();
        let token = app.token(&user.account, scopes);
        (app, user, token)
    }

    /// A server with one user signed in at a browser (and no token).
    #[allow(dead_code)] // used by some test modules only
    pub async fn with_browser() -> (Self, TestUser, Browser) {
        let app = Self::spawn().await;
        let user = app.user();
        let browser = Browser::signed_in(&app, &user).await;
        (app, user, browser)
    }

    /// Every active admin but `keep` steps down, as the console would make
    /// them, so the accounts in `keep` are the only active admins.
    #[allow(dead_code)] // used by some test modules only
    pub fn leave_only_admins(&self, keep: &[&TestUser]) {
        use diesel::prelude::*;
        use tessera::actions::AccountChange;
        use tessera::db::schema::accounts;
        let kept: Vec<&str> = keep.iter().map(|u| u.account.account_id.as_str()).collect();
        let others: Vec<String> = self.with_conn(|c| {
            accounts::table
                .filter(accounts::role.eq("admin"))
                .filter(accounts::active.eq(true))
                .filter(accounts::account_id.ne_all(kept))
                .select(accounts::account_id)
                .load(c)
                .unwrap()
        });
        for other in others {
            self.with_conn(|c| {
                actions::change_account(
                    c,
                    &other,
                    AccountChange::Role(Role::User),
                    Actor::console(),
                )
                .unwrap()
            });
        }
    }

    /// Starts a server on an existing database and settings (several
    /// instances on one database, a restart).
    pub fn start(test_db: TestDb, config: Config) -> Self {
        let db = Db::open(&config.database, config.pool_size).expect("open test database");
        let (server, addr) = ServerGuard::start(config.clone(), db.clone());
        TestApp {
            _server: server,
            addr,
            config,
            db,
            api: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            test_db,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn conn(&self) -> tessera::db::Conn {
        self.db.get().expect("database connection")
    }

    pub fn create_user(&self, username: &str, role: Role) -> TestUser {
        self.create_user_named(username, None, role)
    }

    /// An account with a display name of its own, made as the CLI makes it.
    pub fn create_user_named(
        &self,
        username: &str,
        display_name: Option<&str>,
        role: Role,
    ) -> TestUser {
        let (account, password) = actions::create_account(
            &mut self.conn(),
            self.config.password_cost,
            &Username::parse(username).expect("a valid username"),
            display_name
                .map(|name| DisplayName::parse(name).expect("a valid display name"))
                .as_ref()
                .and_then(Option::as_ref),
            role,
            Actor::console(),
        )
        .expect("create account");
        TestUser { account, password }
    }

    pub fn user(&self) -> TestUser {
        self.create_user(&unique("user"), Role::User)
    }

    pub fn admin(&self) -> TestUser {
        self.create_user(&unique("admin"), Role::Admin)
    }

    /// A token for `account` with these scopes, made as the CLI makes them.
    pub fn token(&self, account: &Account, scopes: &[&str]) -> String {
        self.labelled_token(account, "test token", scopes)
    }

    /// A token labelled `label`, made as the CLI makes them.
    pub fn labelled_token(&self, account: &Account, label: &str, scopes: &[&str]) -> String {
        let spec = TokenRequest {
            label: Some(label.into()),
            scopes: Some(scopes.iter().map(|s| s.to_string()).collect()),
            expires_in_hours: self
                .config
                .max_token_lifetime_days
                .map(|d| i64::from(d) * 24),
            ..Default::default()
        }
        .check(&self.config, account, None)
        .expect("token request");
        let (_, plain) = actions::create_token(
            &mut self.conn(),
            &self.config,
            account,
            &spec,
            Actor::console(),
        )
        .expect("create token");
        plain.into_exposed()
    }

    pub fn request(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let req = self.api.request(method, self.url(path));
        match token {
            Some(t) => req.bearer_auth(t),
            None => req,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.request(Method::GET, path, Some(token))
            .send()
            .await
            .unwrap()
    }

    pub async fn post_json(&self, path: &str, token: &str, body: &Value) -> Response {
        self.request(Method::POST, path, Some(token))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn create_token_api(&self, token: &str, body: Value) -> (StatusCode, Value) {
        let resp = self.post_json("/profile/tokens.json", token, &body).await;
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Makes a token through the API with `token`, expecting 201; returns
    /// the answer (`secret`, `token`, `account_id`).
    #[allow(dead_code)] // used by some test modules only
    pub async fn mint(&self, token: &str, body: Value) -> Value {
        let (status, created) = self.create_token_api(token, body).await;
        assert_eq!(status, 201, "{created}");
        created
    }

    /// Asks for a token through the API with `token`, expecting the JSON
    /// error `status` and `code`; returns the error body.
    #[allow(dead_code)] // used by some test modules only
    pub async fn mint_refused(&self, token: &str, body: Value, status: u16, code: &str) -> Value {
        let resp = self.post_json("/profile/tokens.json", token, &body).await;
        assert_error(resp, status, code, None).await
    }

    /// GETs `path` with `token` and returns the body as text, whatever the
    /// status.
    #[allow(dead_code)] // used by some test modules only
    pub async fn get_text(&self, path: &str, token: &str) -> String {
        self.get(path, token).await.text().await.unwrap()
    }

    /// The id of the token `secret` among its owner's listed tokens.
    #[allow(dead_code)] // used by some test modules only
    pub async fn own_token_id(&self, secret: &str) -> i64 {
        let list: Value = self
            .get("/profile/tokens.json", secret)
            .await
            .json()
            .await
            .unwrap();
        list["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| secret.starts_with(t["prefix"].as_str().unwrap()))
            .expect("the caller's own token is listed")["id"]
            .as_i64()
            .unwrap()
    }

    /// The id of the token `secret`, read from the database.
    #[allow(dead_code)] // used by some test modules only
    pub fn token_id(&self, secret: &str) -> i64 {
        use diesel::prelude::*;
        use tessera::db::schema::api_tokens;
        self.with_conn(|c| {
            api_tokens::table
                .filter(api_tokens::prefix.eq(&secret[..12]))
                .select(api_tokens::id)
                .first(c)
                .unwrap()
        })
    }

    /// Asserts that `path` refuses `token` as unauthenticated (401).
    #[allow(dead_code)] // used by some test modules only
    pub async fn assert_refused(&self, path: &str, token: &str) {
        assert_error(self.get(path, token).await, 401, "unauthenticated", None).await;
    }

    /// Sends `method` to `path` with `token` (if any), no body.
    #[allow(dead_code)] // used by some test modules only
    pub async fn call(&self, method: Method, path: &str, token: Option<&str>) -> Response {
        self.request(method, path, token).send().await.unwrap()
    }

    /// GETs `path` with `token`, expects 200 and returns the JSON body.
    #[allow(dead_code)] // used by some test modules only
    pub async fn get_json(&self, path: &str, token: &str) -> Value {
        let resp = self.get(path, token).await;
        assert_eq!(resp.status(), 200, "GET {path}");
        resp.json().await.unwrap()
    }

    /// An administrator ready to act: a token with both admin scopes and a
    /// browser signed in as them.
    #[allow(dead_code)] // used by some test modules only
    pub async fn with_admin(&self) -> SignedIn {
        self.signed_in(self.admin(), &["admin:read", "admin:write"])
            .await
    }

    /// An ordinary user ready to act: a token with `scopes` and a browser
    /// signed in as them.
    #[allow(dead_code)] // used by some test modules only
    pub async fn with_user(&self, scopes: &[&str]) -> SignedIn {
        self.signed_in(self.user(), scopes).await
    }

    async fn signed_in(&self, user: TestUser, scopes: &[&str]) -> SignedIn {
        let token = self.token(&user.account, scopes);
        let browser = Browser::signed_in(self, &user).await;
        SignedIn {
            user,
            token,
            browser,
        }
    }

    /// Posts the sign-in form from a client without a cookie store,
    /// carrying `cookie` (`name=value`) if given.
    #[allow(dead_code)] // used by some test modules only
    pub async fn post_sign_in(&self, form: &[(&str, &str)], cookie: Option<&str>) -> Response {
        let mut req = self.request(Method::POST, "/login", None).form(form);
        if let Some(cookie) = cookie {
            req = req.header("cookie", cookie);
        }
        req.send().await.unwrap()
    }

    /// Runs SQL through the app's own pool (both backends), as an operator
    /// would behind tessera's back; then tells the read cache, as tessera's
    /// own writes do, so the next request sees it.
    pub fn with_conn<T>(&self, f: impl FnOnce(&mut DbConn) -> T) -> T {
        let result = f(&mut self.conn());
        self.db.note_change();
        result
    }
}

/// Asserts the body is a JSON error with this code (and field, if given).
pub async fn assert_error(resp: Response, status: u16, code: &str, field: Option<&str>) -> Value {
    assert_eq!(resp.status().as_u16(), status, "status");
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert!(ct.starts_with("application/json"), "content type {ct}");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    if let Some(field) = field {
        assert_eq!(body["error"]["field"], field, "{body}");
    }
    body
}

/// The message of a JSON error body.
#[allow(dead_code)] // used by some test modules only
pub fn message(body: &Value) -> &str {
    body["error"]["message"].as_str().expect("an error message")
}

/// One field (`label`, `status`...) of every token in a token list.
#[allow(dead_code)] // used by some test modules only
pub fn listed<'a>(list: &'a Value, key: &str) -> Vec<&'a str> {
    list["tokens"]
        .as_array()
        .expect("a token list")
        .iter()
        .map(|t| t[key].as_str().unwrap())
        .collect()
}

/// The body of a JSON response, checked to say it is JSON.
#[allow(dead_code)] // used by some test modules only
pub async fn json_body(resp: Response) -> Value {
    let content_type = resp.headers()["content-type"].to_str().unwrap();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    resp.json().await.unwrap()
}

/// The item of the JSON array `items` whose `key` is `value`.
#[allow(dead_code)] // used by some test modules only
pub fn find<'a>(items: &'a Value, key: &str, value: &str) -> &'a Value {
    items
        .as_array()
        .expect("an array")
        .iter()
        .find(|item| item[key] == value)
        .unwrap_or_else(|| panic!("no {key} = {value} in {items}"))
}
