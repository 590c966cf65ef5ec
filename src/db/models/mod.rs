//! Queries, one file per table. Finders return `QueryResult<Option<T>>`;
//! nothing here swallows an error.

pub mod accounts;
pub mod app_scopes;
pub mod audit;
pub mod login_failures;
pub mod notices;
pub mod oidc_links;
pub mod sessions;
pub mod settings;
pub mod token_rate_counts;
pub mod tokens;
pub mod usage;
