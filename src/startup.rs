//! The HTTP server: middleware order and the one route table.

use std::net::{SocketAddr, TcpListener};
use std::sync::OnceLock;

use actix_session::SessionMiddleware;
use actix_session::storage::CookieSessionStore;
use actix_web::cookie::SameSite;
use actix_web::dev::Server;
use actix_web::http::{Method, header};
use actix_web::middleware::{Condition, DefaultHeaders};
use actix_web::{App, HttpRequest, HttpServer, Resource, ResponseError, Route, guard, web};
use utoipa::openapi::path::HttpMethod;

pub use crate::auth::session::SESSION_COOKIE;
use crate::config::Config;
use crate::db::Db;
use crate::error::AppError;
use crate::routes::openapi::{self, ApiOp, document_path};
use crate::routes::{
    account, assets, auth, errors, forward_auth, health, introspect, metrics, oidc, preferences,
    profile, tokens,
};
use crate::state::AppState;
use crate::{keys, shutdown, telemetry};

/// Security headers on every response (SPEC §6). The policy allows no
/// inline script: the pages load their behaviour from `/static/`.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// A method a route answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verb {
    Get,
    Post,
    Patch,
    Delete,
}

impl Verb {
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "GET",
            Verb::Post => "POST",
            Verb::Patch => "PATCH",
            Verb::Delete => "DELETE",
        }
    }

    /// GET, and HEAD with it: a HEAD answers as its GET would, without the
    /// body (actix drops the body of a HEAD response).
    fn route(self) -> Route {
        match self {
            // One comparison: `guard::Get()` and its kind also note the
            // method in the request's extensions, for a 405 we make ourselves.
            Verb::Get => web::route().guard(guard::fn_guard(|ctx| {
                matches!(ctx.head().method, Method::GET | Method::HEAD)
            })),
            Verb::Post => web::post(),
            Verb::Patch => web::patch(),
            Verb::Delete => web::delete(),
        }
    }

    pub fn api_method(self) -> HttpMethod {
        match self {
            Verb::Get => HttpMethod::Get,
            Verb::Post => HttpMethod::Post,
            Verb::Patch => HttpMethod::Patch,
            Verb::Delete => HttpMethod::Delete,
        }
    }
}

/// One method of a resource: its handler and, on JSON endpoints, the
/// handler's OpenAPI description.
pub struct Op {
    pub verb: Verb,
    route: fn() -> Route,
    pub api: Option<ApiOp>,
}

/// One resource of the route table.
pub struct Endpoint {
    pub path: &'static str,
    pub ops: &'static [Op],
}

const fn resource(path: &'static str, ops: &'static [Op]) -> Endpoint {
    Endpoint { path, ops }
}

/// `op!(GET handler)` for a page; `op!(GET handler, __path_handler)` for a
/// JSON endpoint, whose `#[utoipa::path]` type goes into `/openapi.json`.
macro_rules! verb {
    (GET) => {
        Verb::Get
    };
    (POST) => {
        Verb::Post
    };
    (PATCH) => {
        Verb::Patch
    };
    (DELETE) => {
        Verb::Delete
    };
}

macro_rules! op {
    ($verb:ident $handler:path) => {
        Op {
            verb: verb!($verb),
            route: || verb!($verb).route().to($handler),
            api: None,
        }
    };
    ($verb:ident $handler:path, $doc:ty) => {
        Op {
            verb: verb!($verb),
            route: || verb!($verb).route().to($handler),
            api: Some(ApiOp::of::<$doc>()),
        }
    };
}

/// Every route of tessera, in one place: `configure` serves them and
/// `/openapi.json` describes the JSON ones. In the admin area each `.json`
/// twin comes before its page, whose `{account_id}` would otherwise also
/// match `acc_x.json`.
///
/// A token id in a path is a positive whole number written the one way
/// (`{id:[1-9][0-9]*}`): anything else matches no route, so every method
/// gets the same 404, as for a path that does not exist. A named path such
/// as `/profile/tokens/current.json` can then be a route of its own, listed
/// before the `{id}` one.
#[rustfmt::skip]
pub const ENDPOINTS: &[Endpoint] = {
    use crate::routes::admin::{
        audit as a_audit, credentials as a_cred, notices as a_notices, scopes as a_scopes,
        tokens as a_tokens, users as a_users,
    };
    use crate::routes::lifecycle as life;
    use crate::routes::token_page as page;
    &[
    // The routes on every API call's path first: the router tries each
    // resource in turn, so these are found without trying the pages'
    // patterns (docs/PERFORMANCE.md).
    resource("/auth", &[op!(GET forward_auth::auth, forward_auth::__path_auth)]),
    resource("/profile.json", &[op!(GET profile::profile_json, profile::__path_profile_json), op!(PATCH profile::patch_profile, profile::__path_patch_profile)]),
    resource("/profile/tokens.json", &[op!(GET tokens::list, tokens::__path_list), op!(POST tokens::create, tokens::__path_create), op!(DELETE life::delete_all_own, life::__path_delete_all_own)]),
    resource("/healthz", &[op!(GET health::healthz, health::__path_healthz)]),
    resource("/", &[op!(GET preferences::home)]),
    resource("/static/app.css", &[op!(GET assets::css)]),
    resource("/static/app.js", &[op!(GET assets::js)]),
    resource("/login", &[op!(GET auth::show), op!(POST auth::submit)]),
    resource("/login/oidc", &[op!(GET oidc::start)]),
    resource("/login/oidc/callback", &[op!(GET oidc::callback)]),
    resource("/logout", &[op!(GET auth::confirm_logout), op!(POST auth::logout)]),
    resource("/profile", &[op!(GET preferences::show)]),
    resource("/profile/tokens", &[op!(POST preferences::create)]),
    resource("/profile/tokens/{id:[1-9][0-9]*}/{action:deactivate|activate|delete}", &[op!(POST preferences::token_action)]),
    resource("/profile/details", &[op!(POST account::details)]),
    resource("/profile/email/verify", &[op!(GET account::verify_email)]),
    resource("/profile/password", &[op!(GET account::password_page), op!(POST account::change_password)]),
    resource("/profile/sessions/{id:[1-9][0-9]*}/delete", &[op!(POST account::sign_out_session)]),
    resource("/profile/sessions/delete-others", &[op!(POST account::sign_out_others)]),
    resource("/profile/preferences", &[op!(POST account::save_preferences)]),
    resource("/profile/tokens/delete-all", &[op!(POST page::delete_all_form)]),
    resource("/profile/tokens/{id:[1-9][0-9]*}", &[op!(GET page::show)]),
    resource("/profile/tokens/{id:[1-9][0-9]*}/edit", &[op!(POST page::edit_form)]),
    resource("/profile/tokens/{id:[1-9][0-9]*}/regenerate", &[op!(POST page::regenerate_form)]),
    resource("/oauth/introspect", &[op!(POST introspect::introspect, introspect::__path_introspect)]),
    resource("/openapi.json", &[op!(GET openapi::openapi_json, openapi::__path_openapi_json)]),
    resource("/metrics", &[op!(GET metrics::metrics)]),
    resource("/profile/sessions.json", &[op!(GET profile::sessions_json, profile::__path_sessions_json)]),
    resource("/profile/tokens/current.json", &[op!(GET life::current, life::__path_current)]),
    resource("/profile/tokens/{id:[1-9][0-9]*}.json", &[op!(GET life::show, life::__path_show), op!(PATCH life::edit, life::__path_edit), op!(DELETE tokens::delete, tokens::__path_delete)]),
    resource("/profile/tokens/{id:[1-9][0-9]*}/{action:deactivate|activate}.json", &[op!(POST tokens::activation, tokens::__path_activation)]),
    resource("/profile/tokens/{id:[1-9][0-9]*}/regenerate.json", &[op!(POST life::regenerate, life::__path_regenerate)]),
    resource("/leaks.json", &[op!(POST life::leaks, life::__path_leaks)]),
    resource("/admin/users.json", &[op!(GET a_users::list_json, a_users::__path_list_json), op!(POST a_users::create_json, a_users::__path_create_json)]),
    resource("/admin/users", &[op!(GET a_users::list_page), op!(POST a_users::create_form)]),
    resource("/admin/users/{account_id}.json", &[op!(GET a_users::show_json, a_users::__path_show_json)]),
    resource("/admin/users/{account_id}/role.json", &[op!(POST a_users::role_json, a_users::__path_role_json)]),
    resource("/admin/users/{account_id}/{action:deactivate|activate}.json", &[op!(POST a_users::activation_json, a_users::__path_activation_json)]),
    resource("/admin/users/{account_id}/email.json", &[op!(POST a_cred::email_json, a_cred::__path_email_json)]),
    resource("/admin/users/{account_id}/password.json", &[op!(POST a_cred::password_json, a_cred::__path_password_json)]),
    resource("/admin/users/{account_id}/tokens.json", &[op!(DELETE life::delete_all_of, life::__path_delete_all_of)]),
    resource("/admin/users/{account_id}", &[op!(GET a_users::show_page)]),
    resource("/admin/users/{account_id}/{action:role|deactivate|activate}", &[op!(POST a_users::change_form)]),
    resource("/admin/users/{account_id}/email", &[op!(POST a_cred::email_form)]),
    resource("/admin/users/{account_id}/password", &[op!(POST a_cred::password_form)]),
    resource("/admin/users/{account_id}/tokens/delete-all", &[op!(POST page::admin_delete_all_form)]),
    resource("/admin/tokens.json", &[op!(GET a_tokens::list_json, a_tokens::__path_list_json)]),
    resource("/admin/tokens", &[op!(GET a_tokens::list_page)]),
    resource("/admin/tokens/{id:[1-9][0-9]*}.json", &[op!(GET life::admin_show, life::__path_admin_show), op!(DELETE a_tokens::delete_json, a_tokens::__path_delete_json)]),
    resource("/admin/tokens/{id:[1-9][0-9]*}/{action:deactivate|activate}.json", &[op!(POST a_tokens::activation_json, a_tokens::__path_activation_json)]),
    resource("/admin/tokens/{id:[1-9][0-9]*}/{action:deactivate|activate|delete}", &[op!(POST a_tokens::action_form)]),
    resource("/admin/tokens/{id:[1-9][0-9]*}", &[op!(GET page::admin_show)]),
    resource("/admin/audit.json", &[op!(GET a_audit::list_json, a_audit::__path_list_json)]),
    resource("/admin/audit", &[op!(GET a_audit::list_page)]),
    resource("/admin/scopes.json", &[op!(GET a_scopes::list_json, a_scopes::__path_list_json), op!(POST a_scopes::create_json, a_scopes::__path_create_json)]),
    resource("/admin/scopes", &[op!(GET a_scopes::list_page), op!(POST a_scopes::create_form)]),
    resource("/admin/scopes/{name}.json", &[op!(DELETE a_scopes::delete_json, a_scopes::__path_delete_json)]),
    resource("/admin/scopes/{name}/delete", &[op!(POST a_scopes::delete_form)]),
    resource("/admin/notices.json", &[op!(GET a_notices::list_json, a_notices::__path_list_json)]),
    resource("/admin/notices", &[op!(GET a_notices::list_page)]),
    ]
};

impl Endpoint {
    /// Whether `/openapi.json` describes it (its ops carry descriptions).
    pub fn is_api(&self) -> bool {
        self.ops.iter().any(|op| op.api.is_some())
    }

    /// The `Allow` header of a JSON endpoint: its methods, and HEAD
    /// wherever GET is.
    pub fn allow(&self) -> String {
        let mut verbs: Vec<Verb> = self.ops.iter().map(|op| op.verb).collect();
        verbs.sort();
        let mut names: Vec<&str> = Vec::new();
        for verb in verbs {
            names.push(verb.as_str());
            if verb == Verb::Get {
                names.push("HEAD");
            }
        }
        names.join(", ")
    }

    /// The resource, answering 405 (as JSON or a page) for other methods;
    /// `id` is its place in [`ENDPOINTS`], what `/metrics` counts it under.
    fn build(&self, id: usize) -> Resource {
        // JSON endpoints name what they take (RFC 9110 asks for `Allow`).
        let allow = self.is_api().then(|| self.allow());
        let mut resource = web::resource(self.path)
            .app_data(RouteId(id))
            .default_service(web::to(move || {
                let allow = allow.clone();
                async move {
                    let Some(allow) = allow else {
                        return Err(AppError::MethodNotAllowed);
                    };
                    let mut resp = AppError::MethodNotAllowed.error_response();
                    resp.headers_mut().insert(
                        header::ALLOW,
                        header::HeaderValue::from_str(&allow).expect("method names are ASCII"),
                    );
                    Ok(resp)
                }
            }));
        for op in self.ops {
            resource = resource.route((op.route)());
        }
        resource
    }
}

/// `/openapi.json`, made from the route table.
pub fn api_document() -> serde_json::Value {
    openapi::document(ENDPOINTS.iter().flat_map(|endpoint| {
        endpoint
            .ops
            .iter()
            .filter_map(|op| op.api.map(|api| (endpoint.path, op.verb.api_method(), api)))
    }))
}

/// The routes that reverse proxies call before every request they pass
/// on: they never read a cookie or answer with a page, so they are served
/// outside the session and page layers, with nothing around them but the
/// request's id, count and log line (`telemetry::request_scope`).
const GATES: [&str; 1] = [forward_auth::PATH];

/// Serves every route of [`ENDPOINTS`] but the [`GATES`].
pub fn configure(cfg: &mut web::ServiceConfig) {
    static DOCUMENT: OnceLock<web::Bytes> = OnceLock::new();
    let document = DOCUMENT.get_or_init(|| api_document().to_string().into());
    cfg.app_data(web::Data::new(openapi::Published(document.clone())));
    serve_endpoints(cfg, |path| !GATES.contains(&path));
}

/// Serves the [`GATES`].
pub fn configure_gates(cfg: &mut web::ServiceConfig) {
    serve_endpoints(cfg, |path| GATES.contains(&path));
}

fn serve_endpoints(cfg: &mut web::ServiceConfig, wanted: impl Fn(&str) -> bool) {
    for (id, endpoint) in ENDPOINTS.iter().enumerate() {
        if wanted(endpoint.path) {
            cfg.service(endpoint.build(id));
        }
    }
}

/// Which route of [`ENDPOINTS`] answered a request (its place there): found
/// among the request's data once routed, so `/metrics` counts by route
/// without matching the path again.
#[derive(Debug, Clone, Copy)]
pub struct RouteId(pub usize);

/// The routes of [`ENDPOINTS`] as `/metrics` labels them, in order: the
/// path patterns as the OpenAPI document writes them (`/profile/tokens/{id}.json`).
pub fn route_labels() -> impl Iterator<Item = String> {
    ENDPOINTS.iter().map(|e| document_path(e.path))
}

async fn not_found(_req: HttpRequest) -> Result<String, AppError> {
    Err(AppError::NotFound)
}

/// Binds and builds the server; the caller awaits the returned `Server`.
pub fn build(config: Config, db: Db) -> std::io::Result<(Server, SocketAddr)> {
    serve(app_state(config, db))
}

/// The state every handler shares. `tessera serve` keeps a handle on it to
/// run its shutdown hooks once the server has stopped.
pub fn app_state(config: Config, db: Db) -> web::Data<AppState> {
    web::Data::new(AppState {
        sso: crate::oidc::Sso::new(config.sso.oidc.clone()),
        config,
        db,
        kept: Default::default(),
        grantable: Default::default(),
        limits: Default::default(),
        on_shutdown: Default::default(),
        leak_limit: Default::default(),
    })
}

/// Binds and builds the server over `state`. Stopped gracefully (by
/// `shutdown::stop_on_signal` on SIGTERM), it stops accepting and gives the
/// requests in flight [`shutdown::GRACE`] to finish (SPEC §12).
pub fn serve(state: web::Data<AppState>) -> std::io::Result<(Server, SocketAddr)> {
    let config = &state.config;
    let listener = TcpListener::bind(config.bind)?;
    let addr = listener.local_addr()?;
    let cookie_key = keys::cookie_key(&config.secret_key);
    let cookie_secure = config.cookie_secure;
    let rotating = !config.older_keys.is_empty();
    // Every instance sends the notices that are due; the claim in the
    // database keeps two from sending the same one.
    crate::notices::scheduler::spawn(state.clone());
    // Token uses gathered in memory go to the database every few seconds
    // (`crate::usage`); the last of them when the server stops (`cli`).
    let flushing = state.db.clone();
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(crate::usage::FLUSH_EVERY);
        loop {
            tick.tick().await;
            flushing.flush_usage().await;
        }
    });
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(web::PathConfig::default().error_handler(|_, _| AppError::NotFound.into()))
            .app_data(
                web::QueryConfig::default()
                    .error_handler(|e, _| AppError::invalid("query", e.to_string()).into()),
            )
            // The proxies' gate first, bare: no session (it must never
            // read a cookie), no page headers (it answers proxies, with no
            // body on success; its refusals are JSON).
            .configure(configure_gates)
            // Everything else, in a scope that holds every path.
            .service(
                web::scope("")
                    .configure(configure)
                    .default_service(web::to(not_found))
                    .wrap(actix_web::middleware::from_fn(errors::html_errors))
                    .wrap(actix_web::middleware::from_fn(
                        crate::auth::check::token_headers,
                    ))
                    .wrap(
                        SessionMiddleware::builder(
                            CookieSessionStore::default(),
                            cookie_key.clone(),
                        )
                        .cookie_name(SESSION_COOKIE.to_owned())
                        .cookie_http_only(true)
                        .cookie_same_site(SameSite::Lax)
                        .cookie_secure(cookie_secure)
                        .build(),
                    )
                    .wrap(Condition::new(
                        rotating,
                        actix_web::middleware::from_fn(keys::reseal_older_session_cookie),
                    ))
                    .wrap(
                        DefaultHeaders::new()
                            .add(("X-Content-Type-Options", "nosniff"))
                            .add(("X-Frame-Options", "DENY"))
                            .add(("Referrer-Policy", "same-origin"))
                            .add(("Content-Security-Policy", CONTENT_SECURITY_POLICY)),
                    ),
            )
            .wrap(actix_web::middleware::from_fn(telemetry::request_scope))
    })
    .shutdown_timeout(shutdown::GRACE.as_secs())
    // `tessera serve` stops on signals itself (`shutdown::stop_on_signal`).
    .disable_signals()
    .listen(listener)?
    .run();
    Ok((server, addr))
}

/// With `TESSERA_METRICS_BIND`, the listener that serves `/metrics`, and
/// nothing else, to whoever reaches it (the main listener then does not
/// serve it at all).
pub fn metrics_server(state: web::Data<AppState>) -> std::io::Result<Option<(Server, SocketAddr)>> {
    let Some(bind) = state.config.metrics_bind else {
        return Ok(None);
    };
    let listener = TcpListener::bind(bind)?;
    let addr = listener.local_addr()?;
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .route("/metrics", web::get().to(metrics::open_metrics))
            .default_service(web::to(not_found))
    })
    .workers(1)
    .shutdown_timeout(shutdown::GRACE.as_secs())
    .disable_signals()
    .listen(listener)?
    .run();
    Ok(Some((server, addr)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::openapi::document_path;

    const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

    fn document() -> serde_json::Value {
        api_document()
    }

    fn allowed_methods(path: &str) -> Option<String> {
        let endpoint = ENDPOINTS.iter().find(|e| e.path == path)?;
        endpoint.is_api().then(|| endpoint.allow())
    }

    /// Each JSON route's description is its own handler's: the path and
    /// method its `#[utoipa::path]` names are the route's. Pages have none.
    #[test]
    fn every_json_route_is_described_by_its_handler() {
        for endpoint in ENDPOINTS {
            for op in endpoint.ops {
                let path = endpoint.path;
                let is_json = crate::routes::errors::is_documented_api(path);
                assert_eq!(op.api.is_some(), is_json, "{path}");
                let Some(api) = op.api else { continue };
                assert_eq!((api.path)(), document_path(path), "{path}");
                assert!((api.methods)() == vec![op.verb.api_method()], "{path}");
            }
        }
    }

    #[test]
    fn the_gate_is_documented_as_taking_tokens_only() {
        let doc = document();
        let op = &doc["paths"]["/auth"]["get"];
        let schemes: Vec<&str> = op["security"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|alt| alt.as_object().unwrap().keys())
            .map(String::as_str)
            .collect();
        assert_eq!(schemes, ["bearer", "api_key"]);
        assert!(
            op["description"]
                .as_str()
                .unwrap()
                .contains("never a session")
        );
    }

    #[test]
    fn the_documented_audit_events_are_the_recorded_ones() {
        let doc = document();
        let params = doc["paths"]["/admin/audit.json"]["get"]["parameters"]
            .as_array()
            .unwrap();
        let event = params.iter().find(|p| p["name"] == "event").unwrap();
        let pattern = event["schema"]["pattern"].as_str().unwrap();
        let inner = &pattern[pattern.find('(').unwrap() + 1..pattern.find(")?").unwrap()];
        let documented: Vec<String> = inner.split('|').map(|e| e.replace("\\.", ".")).collect();
        let recorded: Vec<&str> = crate::db::models::audit::Event::ALL
            .iter()
            .map(|e| e.as_str())
            .collect();
        assert_eq!(documented, recorded);
    }

    #[test]
    fn allow_lists_the_documented_methods() {
        assert_eq!(
            document_path("/admin/tokens/{id:[1-9][0-9]*}/{action:deactivate|activate}.json"),
            "/admin/tokens/{id}/{action}.json"
        );
        assert_eq!(
            allowed_methods("/profile/tokens.json").as_deref(),
            Some("GET, HEAD, POST, DELETE")
        );
        assert_eq!(
            allowed_methods("/profile/tokens/{id:[1-9][0-9]*}.json").as_deref(),
            Some("GET, HEAD, PATCH, DELETE")
        );
        assert_eq!(
            allowed_methods("/admin/users/{account_id}/{action:deactivate|activate}.json")
                .as_deref(),
            Some("POST")
        );
        assert_eq!(allowed_methods("/profile"), None);
    }

    #[test]
    fn every_operation_says_how_to_authenticate_and_how_it_fails() {
        let doc = document();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        let paths = doc["paths"].as_object().unwrap();
        assert!(paths.len() >= 14, "{}", paths.len());
        for (path, item) in paths {
            for method in METHODS {
                let Some(op) = item.get(method) else { continue };
                let responses = op["responses"].as_object().unwrap();
                assert!(responses.contains_key("503"), "{method} {path}");
                let public = ["/healthz", "/openapi.json", "/leaks.json"].contains(&path.as_str());
                assert_eq!(op.get("security").is_none(), public, "{method} {path}");
                if !public {
                    assert!(responses.contains_key("401"), "{method} {path}");
                    assert!(
                        op["description"].as_str().unwrap().contains("scope"),
                        "{method} {path}"
                    );
                }
            }
        }
        // Every reference resolves.
        let text = doc.to_string();
        for reference in text.split("\"#/components/schemas/").skip(1) {
            let name = &reference[..reference.find('"').unwrap()];
            assert!(
                doc["components"]["schemas"].get(name).is_some(),
                "{name} is referred to but not defined"
            );
        }
        for schema in ["Token", "Error", "Account", "AuditEntry", "NewToken"] {
            assert!(
                doc["components"]["schemas"].get(schema).is_some(),
                "{schema}"
            );
        }
    }
}
