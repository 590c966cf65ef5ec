use askama::Template;
use serde::{Deserialize, Serialize};

use crate::db::models::accounts::Account;
use crate::tokens::{Scope, ScopeSet};
use crate::views::page::{FieldErrors, PageCtx, rfc3339};
use crate::views::tokens::{TokenList, TokenView};

/// `GET /profile.json`: the account as its owner sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = Profile)]
pub struct ProfileView {
    #[schema(example = "acc_7f3kq9d2m1x8")]
    pub account_id: String,
    pub username: String,
    pub display_name: String,
    #[schema(value_type = RoleName)]
    pub role: &'static str,
    #[schema(format = DateTime)]
    pub created_at: String,
}

/// An account's role.
#[derive(utoipa::ToSchema)]
#[schema(as = Role, rename_all = "snake_case")]
#[allow(dead_code)] // only describes the strings in the OpenAPI document
pub enum RoleName {
    User,
    Admin,
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

/// One scope checkbox on the "Generate new token" form.
#[derive(Debug, Clone, Serialize)]
pub struct ScopeOption {
    pub name: &'static str,
    pub description: &'static str,
    pub checked: bool,
}

/// One choice of lifetime on the form; `hours` 0 is never.
#[derive(Debug, Clone, Serialize)]
pub struct ExpiryOption {
    pub hours: i64,
    pub label: &'static str,
    pub selected: bool,
}

/// The "Generate new token" form, with what the user typed.
#[derive(Debug, Clone, Serialize)]
pub struct TokenForm {
    /// Shown unfolded: it came back with a mistake to fix.
    pub open: bool,
    pub label: String,
    pub scopes: Vec<ScopeOption>,
    pub expiry: Vec<ExpiryOption>,
    pub errors: FieldErrors,
}

impl TokenForm {
    /// `selected_hours` and `checked` keep what was typed; the defaults are
    /// 30 days and profile:read + tokens:read.
    pub fn new(
        account: &Account,
        max_days: Option<u32>,
        label: &str,
        checked: Option<&[String]>,
        selected_hours: Option<&str>,
    ) -> Self {
        let allowed = ScopeSet::for_role(account.role());
        let scopes = Scope::ALL
            .into_iter()
            .filter(|s| allowed.contains(*s))
            .map(|s| ScopeOption {
                name: s.as_str(),
                description: scope_description(s),
                checked: match checked {
                    Some(names) => names.iter().any(|n| n == s.as_str()),
                    None => matches!(s, Scope::ProfileRead | Scope::TokensRead),
                },
            })
            .collect();
        let presets: [(i64, &'static str); 5] = [
            (7 * 24, "7 days"),
            (30 * 24, "30 days"),
            (90 * 24, "90 days"),
            (365 * 24, "365 days"),
            (0, "Never"),
        ];
        let limit = max_days.map(|d| i64::from(d) * 24);
        let selected = selected_hours.unwrap_or("720");
        let expiry = presets
            .into_iter()
            .filter(|(h, _)| match limit {
                Some(max) => *h != 0 && *h <= max,
                None => true,
            })
            .map(|(hours, label)| ExpiryOption {
                hours,
                label,
                selected: selected == hours.to_string(),
            })
            .collect();
        Self {
            open: false,
            label: label.to_owned(),
            scopes,
            expiry,
            errors: FieldErrors::default(),
        }
    }
}

pub fn scope_description(scope: Scope) -> &'static str {
    match scope {
        Scope::ProfileRead => "Read your account details",
        Scope::TokensRead => "List your tokens",
        Scope::TokensWrite => "Create, deactivate and delete your tokens",
        Scope::AdminRead => "Read every account, token and the audit log",
        Scope::AdminWrite => "Manage every account and token",
        Scope::MetricsRead => "Read the server's metrics",
    }
}

/// The one-time reveal of a new token's secret.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Reveal {
    pub secret: String,
    pub account_id: String,
}

/// `GET /profile`: Account Preferences. Its data is the two JSON twins,
/// `/profile.json` (`profile`) and `/profile/tokens.json` (`tokens`).
#[derive(Template)]
#[template(path = "profile/index.html")]
pub struct ProfilePage {
    pub ctx: PageCtx,
    pub profile: ProfileView,
    pub tokens: TokenList,
    pub token_cap: u32,
    pub form: TokenForm,
    pub reveal: Option<Reveal>,
    /// Where this server is reached, for the ready-to-paste examples.
    pub base_url: String,
}

/// The no-JavaScript confirmation before deleting a token.
#[derive(Template)]
#[template(path = "profile/confirm_delete.html")]
pub struct ConfirmDeletePage {
    pub ctx: PageCtx,
    pub token: TokenView,
    pub action: String,
    pub cancel: String,
}
