use serde::Serialize;
use time::PrimitiveDateTime;

use crate::actions::rfc3339;
use crate::db::models::tokens::ApiToken;
use crate::tokens::PlainToken;

/// A token as API callers and pages see it (never its secret).
#[derive(Debug, Clone, Serialize)]
pub struct TokenView {
    pub id: i64,
    pub label: String,
    pub prefix: String,
    pub scopes: Vec<&'static str>,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
    pub status: &'static str,
    pub account_id: String,
}

impl TokenView {
    pub fn new(token: &ApiToken, account_id: &str, now: PrimitiveDateTime) -> Self {
        Self {
            id: token.id,
            label: token.label.clone(),
            prefix: token.prefix.clone(),
            scopes: token.scope_set().names(),
            created_at: rfc3339(token.created_at),
            expires_at: token.expires_at.map(rfc3339),
            last_used_at: token.last_used_at.map(rfc3339),
            status: token.status(now).as_str(),
            account_id: account_id.to_owned(),
        }
    }

    pub fn is_active(&self) -> bool {
        self.status == "active"
    }
}

/// `GET /profile/tokens.json`.
#[derive(Debug, Serialize)]
pub struct TokenList {
    pub tokens: Vec<TokenView>,
}

/// The answer to generating a token: the only time its secret is shown.
#[derive(Debug, Serialize)]
pub struct CreatedToken {
    pub token: TokenView,
    pub secret: String,
    pub account_id: String,
}

impl CreatedToken {
    pub fn new(token: TokenView, secret: PlainToken) -> Self {
        Self {
            account_id: token.account_id.clone(),
            token,
            secret: secret.into_exposed(),
        }
    }
}
