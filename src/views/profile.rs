use askama::Template;
use serde::{Deserialize, Serialize};

use crate::db::models::accounts::Account;
use crate::db::models::app_scopes::AppScopeRow;
use crate::lifecycle::ListSort;
use crate::scopes::builtin_description;
use crate::tokens::{Scope, ScopeSet};
use crate::views::admin::Choice;
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
    pub name: String,
    pub description: String,
    pub checked: bool,
    /// The first of the application scopes, listed below the built-in
    /// ones under their own heading.
    pub first_app: bool,
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
    pub description: String,
    pub scopes: Vec<ScopeOption>,
    pub expiry: Vec<ExpiryOption>,
    pub errors: FieldErrors,
}

impl TokenForm {
    /// `selected_hours` and `checked` keep what was typed; the defaults are
    /// 30 days and profile:read + tokens:read.
    pub fn new(
        account: &Account,
        app_scopes: &[AppScopeRow],
        max_days: Option<u32>,
        label: &str,
        checked: Option<&[String]>,
        selected_hours: Option<&str>,
    ) -> Self {
        let is_checked = |name: &str, default: bool| match checked {
            Some(names) => names.iter().any(|n| n == name),
            None => default,
        };
        let allowed = ScopeSet::for_role(account.role());
        let builtin = allowed.builtin().map(|s| ScopeOption {
            name: s.as_str().to_owned(),
            description: builtin_description(s).to_owned(),
            checked: is_checked(
                s.as_str(),
                matches!(s, Scope::ProfileRead | Scope::TokensRead),
            ),
            first_app: false,
        });
        let app = app_scopes.iter().enumerate().map(|(i, r)| ScopeOption {
            checked: is_checked(&r.name, false),
            name: r.name.clone(),
            description: r.description.clone(),
            first_app: i == 0,
        });
        let scopes = builtin.chain(app).collect();
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
            description: String::new(),
            scopes,
            expiry,
            errors: FieldErrors::default(),
        }
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
    /// The tokens this view shows (sorted, filtered, searched).
    pub tokens: TokenList,
    /// How many the account holds, shown or not.
    pub held: usize,
    pub query: crate::lifecycle::ListQuery,
    pub token_cap: u32,
    pub form: TokenForm,
    pub reveal: Option<Reveal>,
    /// Where this server is reached, for the ready-to-paste examples.
    pub base_url: String,
    /// Tokens reported leaked and deleted since the last visit, one line
    /// each: shown once.
    pub leak_notice: Option<Vec<String>>,
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

impl ProfilePage {
    /// The list's controls, as they are in the URL.
    pub fn sort_choices(&self) -> Vec<Choice> {
        let current = match self.query.sort {
            ListSort::Created => "created",
            ListSort::LastUsed => "last_used",
            ListSort::Expires => "expires",
            ListSort::Label => "label",
        };
        Choice::list(
            &[
                ("created", "Created"),
                ("last_used", "Last used"),
                ("expires", "Expires"),
                ("label", "Label"),
            ],
            current,
        )
    }

    pub fn order_choices(&self) -> Vec<Choice> {
        let current = match self.query.descending {
            None => "",
            Some(true) => "desc",
            Some(false) => "asc",
        };
        Choice::list(
            &[
                ("", "Default"),
                ("asc", "Ascending"),
                ("desc", "Descending"),
            ],
            current,
        )
    }

    pub fn status_choices(&self) -> Vec<Choice> {
        let current = self.query.status.map_or("", |s| s.as_str());
        Choice::list(
            &[
                ("", "Any"),
                ("active", "Active"),
                ("deactivated", "Deactivated"),
                ("expired", "Expired"),
            ],
            current,
        )
    }

    /// "1 token" or "6 tokens".
    pub fn held_text(&self) -> String {
        match self.held {
            1 => "1 token".to_owned(),
            n => format!("{n} tokens"),
        }
    }
}
