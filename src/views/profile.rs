use serde::Serialize;

use crate::actions::rfc3339;
use crate::db::models::accounts::Account;

/// `GET /profile.json`: the account as its owner sees it.
#[derive(Debug, Clone, Serialize)]
pub struct ProfileView {
    pub account_id: String,
    pub username: String,
    pub display_name: String,
    pub role: &'static str,
    pub created_at: String,
}

impl ProfileView {
    pub fn new(account: &Account) -> Self {
        Self {
            account_id: account.account_id.clone(),
            username: account.username.clone(),
            display_name: account.display_name.clone(),
            role: account.role().as_str(),
            created_at: rfc3339(account.created_at),
        }
    }
}
