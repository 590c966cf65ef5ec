use crate::restrictions::AllowedIps;
use serde::Serialize;
use time::PrimitiveDateTime;
use utoipa::ToSchema;

use crate::db::models::tokens::ApiToken;
use crate::tokens::PlainToken;
use crate::views::page::rfc3339;

/// The columns of a table of tokens, with their owners' or not; the last
/// holds the buttons.
pub fn token_columns(with_owner: bool) -> Vec<&'static str> {
    let owner = with_owner.then_some("Owner");
    let rest = [
        "Prefix",
        "Scopes",
        "Created",
        "Expires",
        "Last used",
        "Status",
        "",
    ];
    ["Label"].into_iter().chain(owner).chain(rest).collect()
}

/// A token as API callers and pages see it (never its secret).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Token)]
pub struct TokenView {
    pub id: i64,
    pub label: String,
    /// The first 12 characters of the token: `tsr_` and 8 more.
    #[schema(example = "tsr_4kP9xQ2m")]
    pub prefix: String,
    /// Built-in scopes and application scopes (`service:action`).
    #[schema(example = json!(["profile:read", "billing:read"]))]
    pub scopes: Vec<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// Null: it never expires.
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
    /// Null: never used. Written at most once a minute.
    #[schema(format = DateTime)]
    pub last_used_at: Option<String>,
    #[schema(value_type = TokenStatusName)]
    pub status: &'static str,
    pub account_id: String,
    /// Where it may be used from (addresses and CIDR ranges); empty:
    /// anywhere.
    #[schema(example = json!(["203.0.113.0/24"]))]
    pub allowed_ips: Vec<String>,
    /// Requests per minute; null: no limit.
    pub rate_limit_per_minute: Option<i32>,
}

/// A token's status.
#[derive(ToSchema)]
#[schema(as = TokenStatus, rename_all = "snake_case")]
#[allow(dead_code)] // only describes the strings in the OpenAPI document
pub enum TokenStatusName {
    Active,
    Deactivated,
    Expired,
}

impl TokenView {
    pub fn new(token: &ApiToken, account_id: &str, now: PrimitiveDateTime) -> Self {
        Self {
            id: token.id,
            label: token.label.clone(),
            prefix: token.prefix.clone(),
            scopes: token
                .scope_set()
                .names()
                .into_iter()
                .map(str::to_owned)
                .collect(),
            created_at: rfc3339(token.created_at),
            expires_at: token.expires_at.map(rfc3339),
            last_used_at: token.last_used_at.map(rfc3339),
            status: token.status(now).as_str(),
            account_id: account_id.to_owned(),
            allowed_ips: AllowedIps::from_stored(&token.allowed_ips).names(),
            rate_limit_per_minute: token.rate_limit_per_minute,
        }
    }

    pub fn is_deactivated(&self) -> bool {
        self.status == "deactivated"
    }
}

/// `GET /profile/tokens.json`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenList {
    pub tokens: Vec<TokenView>,
}

/// The answer to generating a token: the only time its secret is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedToken {
    pub token: TokenView,
    /// The token itself, `tsr_` and 38 more characters: shown this once.
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
