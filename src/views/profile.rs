use askama::Template;
use serde::{Deserialize, Serialize};

use crate::db::models::accounts::Account;
use crate::db::models::app_scopes::AppScopeRow;
use crate::db::models::sessions::SessionInfo;
use crate::lifecycle::ListSort;
use crate::notices::Kind;
use crate::preferences::{LANGUAGES, Notifications, Zone};
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
    /// The confirmed address mail goes to; null when there is none.
    pub email: Option<String>,
    pub email_verified: bool,
    /// An IANA name; pages show times in it, JSON stays UTC.
    #[schema(example = "Europe/Amsterdam")]
    pub time_zone: String,
    /// `en` or `nl`: chosen, else from the request's `Accept-Language`.
    #[schema(example = "en")]
    pub language: &'static str,
    pub notifications: Notifications,
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
    /// `browser_language`: what the request's `Accept-Language` asks for,
    /// the language of an account that chose none.
    pub fn new(account: &Account, browser_language: &'static str) -> Self {
        let language = account
            .language
            .as_deref()
            .and_then(|l| crate::preferences::parse_language(l).ok())
            .unwrap_or(browser_language);
        Self {
            email: account.email.clone(),
            email_verified: account.email_verified && account.email.is_some(),
            time_zone: Zone::of(account).name().to_owned(),
            language,
            notifications: Notifications::from_stored(&account.notifications),
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

impl ExpiryOption {
    /// Its label's message in the catalogues.
    pub fn key(&self) -> String {
        format!("expiry-{}", self.hours)
    }
}

impl ScopeOption {
    /// Its description's message in the catalogues (built-in scopes have
    /// one; an application scope's description is the admin's words).
    pub fn key(&self) -> String {
        format!("scope-{}", self.name.replace(':', "-"))
    }
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
    /// The "Advanced" part, as typed: where the token may be used from
    /// (one address or CIDR range per line, or comma separated) and its
    /// rate limit per minute (blank: none).
    pub advanced: AdvancedFields,
    pub errors: FieldErrors,
}

/// The generate form's "Advanced" fields, as typed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AdvancedFields {
    pub allowed_ips: String,
    pub rate_limit_per_minute: String,
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
            advanced: AdvancedFields::default(),
            errors: FieldErrors::default(),
        }
    }
}

/// One signed-in browser, as `GET /profile/sessions.json` and the Sessions
/// section show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = Session)]
pub struct SessionView {
    pub id: i64,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub last_seen_at: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// The session making this request (always false for a token).
    pub current: bool,
}

impl SessionView {
    pub fn new(row: &SessionInfo, current: Option<i64>) -> Self {
        Self {
            id: row.id,
            created_at: rfc3339(row.created_at),
            last_seen_at: row.last_seen_at.map(rfc3339),
            ip: row.ip.clone(),
            user_agent: row.user_agent.clone(),
            current: Some(row.id) == current,
        }
    }
}

/// `GET /profile/sessions.json`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = SessionList)]
pub struct SessionList {
    pub sessions: Vec<SessionView>,
}

/// One checkbox of the Notifications part.
#[derive(Debug, Clone, Serialize)]
pub struct NoticeOption {
    pub name: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

impl NoticeOption {
    /// Its label's message in the catalogues.
    pub fn key(&self) -> String {
        format!("notify-{}", self.name)
    }
}

/// One choice of language.
#[derive(Debug, Clone, Serialize)]
pub struct LanguageOption {
    pub code: &'static str,
    pub name: &'static str,
    pub selected: bool,
}

/// The settings sections of Account Preferences (details, password,
/// sessions, preferences), with what was typed and its mistakes after a
/// refused post.
#[derive(Debug, Clone, Serialize)]
pub struct SettingsView {
    pub display_name: String,
    pub email: String,
    pub pending_email: Option<String>,
    /// Why no mail can be sent, when none can.
    pub mail_off: Option<&'static str>,
    pub time_zone: String,
    pub zones: Vec<String>,
    pub languages: Vec<LanguageOption>,
    pub notices: Vec<NoticeOption>,
    pub sessions: Vec<SessionView>,
    /// The account signs in through single sign-on only: no password form.
    pub no_password: bool,
    pub errors: FieldErrors,
}

/// Why the notification settings are off on a server without mail.
pub const MAIL_OFF: &str = "This server sends no mail: its administrator has not set TESSERA_SMTP_URL and TESSERA_MAIL_FROM.";

impl SettingsView {
    pub fn new(
        account: &Account,
        profile: &ProfileView,
        mail_on: bool,
        sessions: Vec<SessionView>,
    ) -> Self {
        Self {
            display_name: account.display_name.clone(),
            email: account.email.clone().unwrap_or_default(),
            pending_email: account.pending_email.clone(),
            mail_off: (!mail_on).then_some(MAIL_OFF),
            time_zone: profile.time_zone.clone(),
            zones: Zone::names(),
            languages: LANGUAGES
                .iter()
                .map(|(code, name)| LanguageOption {
                    code,
                    name,
                    selected: *code == profile.language,
                })
                .collect(),
            notices: Kind::CHOSEN
                .into_iter()
                .map(|k| NoticeOption {
                    name: k.as_str(),
                    label: k.describe(),
                    checked: profile.notifications.wants(k),
                })
                .collect(),
            sessions,
            no_password: account.has_no_password(),
            errors: FieldErrors::default(),
        }
    }
}

/// `GET /profile/password`: the password form alone, where an account
/// whose password an admin reset is sent until it chooses a new one.
#[derive(Template)]
#[template(path = "profile/password.html")]
pub struct PasswordPage {
    pub ctx: PageCtx,
    pub forced: bool,
    pub no_password: bool,
    pub errors: FieldErrors,
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
    pub settings: SettingsView,
    pub reveal: Option<Reveal>,
    /// Where this server is reached, for the ready-to-paste examples.
    pub base_url: String,
    /// Tokens reported leaked and deleted since the last visit, one line
    /// each: shown once.
    pub leak_notice: Option<Vec<String>>,
}

impl ProfilePage {
    /// The password form's mistake for `field`, if any.
    pub fn errors_of(&self, field: &str) -> Option<&str> {
        self.settings.errors.of(field)
    }
}

impl PasswordPage {
    pub fn errors_of(&self, field: &str) -> Option<&str> {
        self.errors.of(field)
    }
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
                ("created", self.ctx.t("list-created")),
                ("last_used", self.ctx.t("list-last-used")),
                ("expires", self.ctx.t("list-expires")),
                ("label", self.ctx.t("list-label")),
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
                ("", self.ctx.t("list-default")),
                ("asc", self.ctx.t("list-ascending")),
                ("desc", self.ctx.t("list-descending")),
            ],
            current,
        )
    }

    pub fn status_choices(&self) -> Vec<Choice> {
        let current = self.query.status.map_or("", |s| s.as_str());
        Choice::list(
            &[
                ("", self.ctx.t("list-any")),
                ("active", self.ctx.t("list-active")),
                ("deactivated", self.ctx.t("list-deactivated")),
                ("expired", self.ctx.t("list-expired")),
            ],
            current,
        )
    }

    /// "1 token" or "6 tokens".
    pub fn held_text(&self) -> String {
        self.ctx.t1("list-tokens", "n", self.held)
    }
}
