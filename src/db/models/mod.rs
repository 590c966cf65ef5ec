//! Queries, one file per table. Finders return `QueryResult<Option<T>>`;
//! nothing here swallows an error.

pub mod accounts;
pub mod app_scopes;
pub mod audit;
pub mod login_failures;
pub mod sessions;
pub mod settings;
pub mod tokens;
pub mod usage;
