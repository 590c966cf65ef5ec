//! The HTTP server: middleware order and the one route table.

use std::net::{SocketAddr, TcpListener};

use actix_session::SessionMiddleware;
use actix_session::storage::CookieSessionStore;
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::Server;
use actix_web::middleware::{Condition, DefaultHeaders, Logger};
use actix_web::{App, HttpRequest, HttpServer, Resource, ResponseError, Route, guard, web};

use crate::config::Config;
use crate::db::Db;
use crate::error::AppError;
use crate::routes::{admin, assets, auth, errors, health, openapi, preferences, profile, tokens};
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "tessera_session";

/// Security headers on every response (SPEC §6). The policy allows no
/// inline script: the pages load their behaviour from `/static/`.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// A resource that answers 405 (as JSON or a page) for methods it lacks.
/// GET, and HEAD with it: a HEAD answers as its GET would, without the body
/// (actix drops the body of a HEAD response).
fn get() -> Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

fn resource(path: &str) -> Resource {
    web::resource(path).default_service(web::to(|req: HttpRequest| async move {
        // JSON endpoints name what they take (RFC 9110 asks for `Allow`),
        // as their OpenAPI document lists it.
        match req
            .match_pattern()
            .and_then(|p| openapi::allowed_methods(&p))
        {
            Some(allow) => {
                let mut resp = AppError::MethodNotAllowed.error_response();
                resp.headers_mut().insert(
                    actix_web::http::header::ALLOW,
                    actix_web::http::header::HeaderValue::from_static(allow),
                );
                Ok(resp)
            }
            None => Err(AppError::MethodNotAllowed),
        }
    }))
}

/// Every route of tessera, in one place.
///
/// A token id in a path is a positive whole number written the one way
/// (`{id:[1-9][0-9]*}`): anything else matches no route, so every method
/// gets the same 404, as for a path that does not exist. A named path such
/// as `/profile/tokens/current.json` can then be a route of its own, listed
/// before the `{id}` one.
pub fn configure(cfg: &mut web::ServiceConfig) {
    use web::{delete, post};
    cfg.service(resource("/").route(get().to(preferences::home)))
        .service(resource("/static/app.css").route(get().to(assets::css)))
        .service(resource("/static/app.js").route(get().to(assets::js)))
        .service(
            resource("/login")
                .route(get().to(auth::show))
                .route(post().to(auth::submit)),
        )
        .service(
            resource("/logout")
                .route(get().to(auth::confirm_logout))
                .route(post().to(auth::logout)),
        )
        .service(resource("/profile").route(get().to(preferences::show)))
        .service(resource("/profile/tokens").route(post().to(preferences::create)))
        .service(
            resource("/profile/tokens/{id:[1-9][0-9]*}/{action:deactivate|activate|delete}")
                .route(post().to(preferences::token_action)),
        )
        .service(resource("/healthz").route(get().to(health::healthz)))
        .service(resource("/openapi.json").route(get().to(openapi::openapi_json)))
        .service(resource("/profile.json").route(get().to(profile::profile_json)))
        .service(
            resource("/profile/tokens.json")
                .route(get().to(tokens::list))
                .route(post().to(tokens::create)),
        )
        .service(
            resource("/profile/tokens/{id:[1-9][0-9]*}.json").route(delete().to(tokens::delete)),
        )
        .service(
            resource("/profile/tokens/{id:[1-9][0-9]*}/deactivate.json")
                .route(post().to(tokens::deactivate)),
        )
        .service(
            resource("/profile/tokens/{id:[1-9][0-9]*}/activate.json")
                .route(post().to(tokens::activate)),
        );
    configure_admin(cfg);
}

/// The admin area (SPEC §4). Each `.json` twin comes before its page,
/// whose `{account_id}` would otherwise also match `acc_x.json`.
fn configure_admin(cfg: &mut web::ServiceConfig) {
    use admin::{audit, tokens, users};
    use web::{delete, post};
    cfg.service(
        resource("/admin/users.json")
            .route(get().to(users::list_json))
            .route(post().to(users::create_json)),
    )
    .service(
        resource("/admin/users")
            .route(get().to(users::list_page))
            .route(post().to(users::create_form)),
    )
    .service(resource("/admin/users/{account_id}.json").route(get().to(users::show_json)))
    .service(resource("/admin/users/{account_id}/role.json").route(post().to(users::role_json)))
    .service(
        resource("/admin/users/{account_id}/{action:deactivate|activate}.json")
            .route(post().to(users::activation_json)),
    )
    .service(resource("/admin/users/{account_id}").route(get().to(users::show_page)))
    .service(
        resource("/admin/users/{account_id}/{action:role|deactivate|activate}")
            .route(post().to(users::change_form)),
    )
    .service(resource("/admin/tokens.json").route(get().to(tokens::list_json)))
    .service(resource("/admin/tokens").route(get().to(tokens::list_page)))
    .service(
        resource("/admin/tokens/{id:[1-9][0-9]*}.json").route(delete().to(tokens::delete_json)),
    )
    .service(
        resource("/admin/tokens/{id:[1-9][0-9]*}/{action:deactivate|activate}.json")
            .route(post().to(tokens::activation_json)),
    )
    .service(
        resource("/admin/tokens/{id:[1-9][0-9]*}/{action:deactivate|activate|delete}")
            .route(post().to(tokens::action_form)),
    )
    .service(resource("/admin/audit.json").route(get().to(audit::list_json)))
    .service(resource("/admin/audit").route(get().to(audit::list_page)));
}

/// Never logs the query string as sent: it may hold `api_token`.
fn redacted_request_line(req: &actix_web::dev::ServiceRequest) -> String {
    let path = req.path();
    match req.query_string() {
        "" => format!("{} {}", req.method(), path),
        query => {
            let redacted: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some(("api_token", _)) => "api_token=[redacted]".to_owned(),
                    _ => pair.to_owned(),
                })
                .collect();
            format!("{} {}?{}", req.method(), path, redacted.join("&"))
        }
    }
}

async fn not_found(_req: HttpRequest) -> Result<String, AppError> {
    Err(AppError::NotFound)
}

/// Binds and builds the server; the caller awaits the returned `Server`.
pub fn build(config: Config, db: Db) -> std::io::Result<(Server, SocketAddr)> {
    let listener = TcpListener::bind(config.bind)?;
    let addr = listener.local_addr()?;
    let cookie_key = Key::from(&config.secret_key.derive("session-cookie"));
    let cookie_secure = config.cookie_secure;
    let state = web::Data::new(AppState {
        config,
        db,
        kept: Default::default(),
    });
    // actix's Logger renders its line on every request, written or not;
    // leave it out when the access log is filtered away (TESSERA_LOG=warn).
    let access_log =
        tracing::enabled!(target: "actix_web::middleware::logger", tracing::Level::INFO);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(web::PathConfig::default().error_handler(|_, _| AppError::NotFound.into()))
            .app_data(
                web::QueryConfig::default()
                    .error_handler(|e, _| AppError::invalid("query", e.to_string()).into()),
            )
            .configure(configure)
            .default_service(web::to(not_found))
            .wrap(actix_web::middleware::from_fn(errors::html_errors))
            .wrap(
                SessionMiddleware::builder(CookieSessionStore::default(), cookie_key.clone())
                    .cookie_name(SESSION_COOKIE.to_owned())
                    .cookie_http_only(true)
                    .cookie_same_site(SameSite::Lax)
                    .cookie_secure(cookie_secure)
                    .build(),
            )
            .wrap(
                DefaultHeaders::new()
                    .add(("X-Content-Type-Options", "nosniff"))
                    .add(("X-Frame-Options", "DENY"))
                    .add(("Referrer-Policy", "same-origin"))
                    .add(("Content-Security-Policy", CONTENT_SECURITY_POLICY)),
            )
            .wrap(Condition::new(
                access_log,
                Logger::new("%a \"%{request}xi\" %s %b %Dms")
                    .custom_request_replace("request", redacted_request_line),
            ))
    })
    .listen(listener)?
    .run();
    Ok((server, addr))
}
