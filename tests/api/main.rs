//! The integration suite: the real server on 127.0.0.1:0, a fresh database
//! per test, real HTTP. Runs on SQLite by default and on PostgreSQL when
//! TEST_DATABASE_URL is a postgres:// URL (scripts/test.sh runs both).

mod admin;
mod admin_credentials;
mod admin_race;
mod app_scopes;
mod auth_forms;
mod authz_matrix;
mod backup;
mod change_stamp;
mod cli;
mod cli_limits;
mod concurrent_checks;
mod contention;
mod crash;
mod edges;
mod errors;
mod forward_auth;
mod helpers;
mod hostile;
mod introspect;
mod key_rotation;
mod languages;
mod lifecycle;
mod lifecycle_pages;
mod metrics;
mod migrations;
mod multi_instance;
mod notices;
mod oidc;
mod openapi;
mod outage;
mod preferences;
mod proxies;
mod read_cache;
mod request_ids;
mod restrictions;
mod route_table;
mod security;
mod sessions;
mod shutdown;
mod tokens_api;
mod trusted_proxies;
