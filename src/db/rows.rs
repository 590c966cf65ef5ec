//! What the reads on every request's path return (`lookup.rs`), however
//! they were answered.

use std::sync::Arc;

use crate::db::models::accounts::Account;
use crate::db::models::tokens::ApiToken;

/// A live token and its owner, as read; shared, not copied, by the cache
/// and every request that finds it there.
pub type LiveToken = Arc<(ApiToken, Arc<Account>)>;

/// A live token and its owner, as the database has them now; with the
/// owner's tokens when they were asked for.
pub struct Found {
    pub live: LiveToken,
    pub list: Option<AccountTokens>,
}

/// An account's tokens, newest first, and the change stamp read before them
/// (SQLite): whatever is made of these rows may be kept under that stamp.
#[derive(Clone)]
pub struct AccountTokens {
    pub rows: Arc<Vec<ApiToken>>,
    pub stamp: Option<u64>,
}
