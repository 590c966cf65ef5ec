//! What each page shows: one serde struct per page, rendered as HTML by its
//! template and as JSON by the page's `.json` twin, so the two cannot drift.

pub mod admin;
pub mod auth;
pub mod messages;
pub mod notices;
pub mod page;
pub mod profile;
pub mod token_page;
pub mod tokens;
