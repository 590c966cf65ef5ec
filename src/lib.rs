//! tessera: a self-hosted API-token manager. See docs/ARCHITECTURE.md.

pub mod accounts;
pub mod actions;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod error;
pub mod extract;
pub mod i18n;
pub mod keys;
pub mod lifecycle;
pub mod metrics;
pub mod notices;
pub mod oidc;
pub mod preferences;
pub mod restrictions;
pub mod routes;
pub mod scopes;
pub mod shutdown;
pub mod sso;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod tokens;
pub mod usage;
pub mod views;
