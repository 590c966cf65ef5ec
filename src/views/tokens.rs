use crate::restrictions::AllowedIps;
use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, PrimitiveDateTime};
use utoipa::ToSchema;

use crate::db::models::tokens::ApiToken;
use crate::tokens::{PlainToken, ScopeSet};
use crate::views::page::rfc3339;

/// The columns of a table of tokens, with their owners' or not; the last
/// holds the buttons.
pub fn token_columns(with_owner: bool) -> Vec<&'static str> {
    let owner = with_owner.then_some("Owner");
    let rest = ["Scopes", "Created", "Expires", "Last used", "Status", ""];
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
    /// What the token is for; empty: none given.
    pub description: String,
    /// After a regeneration with a grace period: until when the replaced
    /// secret still works; null otherwise.
    #[schema(format = DateTime)]
    pub previous_secret_valid_until: Option<String>,
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
            description: token.description.clone(),
            previous_secret_valid_until: token
                .previous_valid_until
                .filter(|until| *until > now)
                .map(rfc3339),
        }
    }

    /// Days left when the token expires within a week (0: today), for the
    /// "expires in N days" badge.
    pub fn expires_soon(&self) -> Option<i64> {
        if self.status != "active" {
            return None;
        }
        let at = OffsetDateTime::parse(self.expires_at.as_deref()?, &Rfc3339).ok()?;
        let left = at - OffsetDateTime::now_utc();
        (left <= time::Duration::days(7)).then(|| left.whole_days())
    }

    /// "expires in 3 days", "expires today": for tokens that expire
    /// within a week.
    pub fn expiry_badge(&self) -> Option<String> {
        Some(match self.expires_soon()? {
            0 => "expires today".to_owned(),
            1 => "expires in 1 day".to_owned(),
            n => format!("expires in {n} days"),
        })
    }

    /// A deactivated token whose expiry has passed too: it says both, so
    /// that activating it does not look like bringing it back.
    pub fn expired_too(&self) -> bool {
        self.is_deactivated()
            && self
                .expires_at
                .as_deref()
                .and_then(|at| OffsetDateTime::parse(at, &Rfc3339).ok())
                .is_some_and(|at| at <= OffsetDateTime::now_utc())
    }

    /// Its status's message in the catalogues.
    pub fn status_key(&self) -> String {
        format!("status-{}", self.status)
    }

    pub fn is_expired(&self) -> bool {
        self.status == "expired"
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

/// `GET /profile/tokens/current.json`: the calling token and what it may
/// do now.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CurrentToken)]
pub struct CurrentToken {
    #[serde(flatten)]
    pub token: TokenView,
    /// Its scopes as capped by its owner's role now.
    #[schema(value_type = Vec<crate::tokens::Scope>)]
    pub effective_scopes: Vec<String>,
}

/// Uses of a token on one day (UTC).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UsageDay {
    /// `YYYY-MM-DD`.
    #[schema(example = "2026-12-04")]
    pub day: String,
    pub count: i64,
}

/// An address a token was used from, and when last.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecentIp {
    pub ip: String,
    #[schema(format = DateTime)]
    pub last_seen_at: String,
}

/// `GET /profile/tokens/{id}.json`: the token's page.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = TokenDetail)]
pub struct TokenDetail {
    #[serde(flatten)]
    pub token: TokenView,
    /// Its scopes as capped by its owner's role now; the others are held
    /// but do nothing.
    #[schema(value_type = Vec<crate::tokens::Scope>)]
    pub effective_scopes: Vec<String>,
    pub last_used_ip: Option<String>,
    pub last_used_user_agent: Option<String>,
    /// The distinct addresses of the last 30 days, most recent first (up
    /// to 20).
    pub recent_ips: Vec<RecentIp>,
    /// Uses per day over the last 30 days, oldest first, every day listed.
    /// Counted in memory and written every few seconds.
    pub usage: Vec<UsageDay>,
}

impl TokenDetail {
    pub fn new(
        record: &crate::lifecycle::TokenRecord,
        effective: &ScopeSet,
        now: PrimitiveDateTime,
    ) -> Self {
        let token = &record.token;
        let first = now.date() - time::Duration::days(crate::lifecycle::USAGE_DAYS - 1);
        let usage = (0..crate::lifecycle::USAGE_DAYS)
            .map(|i| {
                let day = (first + time::Duration::days(i)).to_string();
                let count = record
                    .days
                    .iter()
                    .find(|(d, _)| *d == day)
                    .map_or(0, |(_, n)| *n);
                UsageDay { day, count }
            })
            .collect();
        Self {
            token: TokenView::new(token, &record.owner.account_id, now),
            effective_scopes: effective.names().into_iter().map(str::to_owned).collect(),
            last_used_ip: token.last_used_ip.clone(),
            last_used_user_agent: record.user_agent.clone(),
            recent_ips: record
                .ips
                .iter()
                .map(|(ip, at)| RecentIp {
                    ip: ip.clone(),
                    last_seen_at: rfc3339(*at),
                })
                .collect(),
            usage,
        }
    }

    /// Scopes the token holds that its owner's role no longer allows.
    pub fn stripped(&self) -> Vec<&str> {
        self.token
            .scopes
            .iter()
            .filter(|s| !self.effective_scopes.contains(s))
            .map(String::as_str)
            .collect()
    }
}

/// `{"deleted": n}`: revoking all of an account's tokens.
#[derive(Debug, Serialize, ToSchema)]
pub struct Deleted {
    pub deleted: usize,
}

/// `{"received": n}`: a leak report, whatever it held.
#[derive(Debug, Serialize, ToSchema)]
pub struct Received {
    pub received: usize,
}
