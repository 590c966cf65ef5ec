//! The integration suite: the real server on 127.0.0.1:0, a fresh database
//! per test, real HTTP. Runs on SQLite by default and on PostgreSQL when
//! TEST_DATABASE_URL is a postgres:// URL (scripts/test.sh runs both).

mod helpers;

mod admin;
mod admin_race;
mod auth_forms;
mod authz_matrix;
mod change_stamp;
mod cli;
mod cli_limits;
mod concurrent_checks;
mod contention;
mod crash;
mod edges;
mod errors;
mod hostile;
mod lifecycle;
mod lifecycle_pages;
mod migrations;
mod multi_instance;
mod openapi;
mod outage;
mod read_cache;
mod route_table;
mod security;
mod sessions;
mod tokens_api;
