//! tessera: a self-hosted API-token manager. See docs/ARCHITECTURE.md.

pub mod accounts;
pub mod actions;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod error;
pub mod extract;
pub mod lifecycle;
pub mod routes;
pub mod scopes;
pub mod startup;
pub mod state;
pub mod tokens;
pub mod usage;
pub mod views;
