//! The admin pages: every account, every token, the audit log. As
//! elsewhere, each page's data is one serde struct that is the page's
//! `.json` twin; the page structs add only what a browser needs around it
//! (navigation, filter forms, pagination links).

use askama::Template;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::models::accounts::Account;
use crate::db::models::audit::{AuditEvent, Event};
use crate::i18n::Tr;
use crate::scopes::ScopeList;
use crate::views::page::{FieldErrors, PageCtx, rfc3339};
use crate::views::profile::RoleName;
use crate::views::tokens::TokenView;

/// An account as admins see it (`/admin/users.json` items).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Account)]
pub struct AccountView {
    pub account_id: String,
    pub username: String,
    pub display_name: String,
    #[schema(value_type = RoleName)]
    pub role: &'static str,
    pub active: bool,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub last_login_at: Option<String>,
    pub token_count: i64,
    /// The address mail goes to (confirmed, or set by an admin).
    pub email: Option<String>,
}

impl AccountView {
    pub fn new(account: &Account, token_count: i64) -> Self {
        Self {
            account_id: account.account_id.clone(),
            username: account.username.clone(),
            display_name: account.display_name.clone(),
            role: account.role().as_str(),
            active: account.active,
            created_at: rfc3339(account.created_at),
            last_login_at: account.last_login_at.map(rfc3339),
            token_count,
            email: account.email.clone().filter(|_| account.email_verified),
        }
    }

    pub fn status(&self) -> &'static str {
        if self.active { "active" } else { "deactivated" }
    }

    /// Its status's message in the catalogues.
    pub fn status_key(&self) -> String {
        format!("status-{}", self.status())
    }

    /// Its role's message in the catalogues.
    pub fn role_key(&self) -> String {
        role_key(self.role)
    }

    pub fn is_admin(&self) -> bool {
        self.role == "admin"
    }
}

/// One page of a list: `{"items", "page", "per_page", "total"}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
}

/// `GET /admin/users/{account_id}.json`: the account and all its tokens.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccountDetail {
    pub account: AccountView,
    pub tokens: Vec<TokenView>,
}

/// `POST /admin/users.json`: the new account and its initial password,
/// shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedAccount {
    pub account: AccountView,
    pub password: String,
}

/// An audit entry (`/admin/audit.json` items). Ids and a token prefix,
/// never a secret.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = AuditEntry)]
pub struct AuditEntryView {
    pub id: i64,
    #[schema(example = "token.created")]
    pub event: String,
    #[schema(format = DateTime)]
    pub at: String,
    /// Who made the change; null for the command line or a visitor.
    pub actor_account_id: Option<String>,
    /// The account changed, or whose token or sign-in it was.
    pub target_account_id: Option<String>,
    /// The token's prefix, for token events.
    pub token_prefix: Option<String>,
    /// Where the request came from; null for the command line.
    pub ip: Option<String>,
    /// What the entry says beyond its fixed fields: the scope created, the
    /// number of tokens a deleted scope was taken from, the fields an edit
    /// changed, the URL a token leaked at, ...
    pub detail: Option<String>,
}

impl AuditEntryView {
    pub fn new(entry: &AuditEvent) -> Self {
        Self {
            id: entry.id,
            event: entry.event.clone(),
            at: rfc3339(entry.at),
            actor_account_id: entry.actor_account_id.clone(),
            target_account_id: entry.target_account_id.clone(),
            token_prefix: entry.token_prefix.clone(),
            ip: entry.ip.clone(),
            detail: entry.detail.clone(),
        }
    }

    /// The event for people ("Token created"), in `tr`'s language; the
    /// code stays in `.json`.
    pub fn event_text(&self, tr: Tr) -> String {
        Event::parse(&self.event).map_or_else(|| self.event.clone(), |e| tr.t(&e.message_key()))
    }

    /// What the entry says beyond its fixed fields, for people: names,
    /// codes and addresses as recorded; a deleted scope's count of tokens
    /// in `tr`'s language.
    pub fn detail_text(&self, tr: Tr) -> Option<String> {
        let detail = self.detail.as_deref()?;
        let taken = (self.event == Event::ScopeDeleted.as_str())
            .then(|| detail.rsplit_once(": taken from "))
            .flatten()
            .and_then(|(name, rest)| {
                Some((name, rest.strip_suffix(" tokens")?.parse::<u64>().ok()?))
            });
        Some(match taken {
            Some((name, n)) => tr.t2("admin-detail-scope-taken", "name", name, "n", n),
            None => detail.to_owned(),
        })
    }

    /// Changes made through `tessera` on the command line have neither an
    /// actor nor an address: every web request has the latter.
    pub fn from_command_line(&self) -> bool {
        self.actor_account_id.is_none() && self.ip.is_none()
    }
}

/// Links to the neighbouring pages of a list, keeping its filters.
#[derive(Debug, Clone, Serialize)]
pub struct Pager {
    pub page: i64,
    pub pages: i64,
    pub total: i64,
    /// The 1-based positions of the first and last item shown.
    pub first: i64,
    pub last: i64,
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    /// `path` is the page's path; `params` its filters (empty ones are
    /// left out of the links).
    pub fn new<T>(list: &Paged<T>, path: &str, params: &[(&str, &str)]) -> Self {
        let pages = ((list.total + list.per_page - 1) / list.per_page).max(1);
        let link = |page: i64| {
            let mut query = form_urlencoded::Serializer::new(String::new());
            for (k, v) in params.iter().filter(|(_, v)| !v.is_empty()) {
                query.append_pair(k, v);
            }
            query.append_pair("page", &page.to_string());
            query.append_pair("per_page", &list.per_page.to_string());
            format!("{path}?{}", query.finish())
        };
        let first = (list.page - 1).saturating_mul(list.per_page) + 1;
        let shown = list.items.len() as i64;
        Self {
            page: list.page,
            pages,
            total: list.total,
            first: if shown == 0 { 0 } else { first },
            last: if shown == 0 { 0 } else { first + shown - 1 },
            prev: (list.page > 1).then(|| link((list.page - 1).min(pages))),
            next: (list.page < pages).then(|| link(list.page + 1)),
        }
    }

    /// "1–50 of 120", in `tr`'s language.
    pub fn range(&self, tr: Tr) -> String {
        tr.ta(
            "admin-page-range",
            &[
                ("first", self.first.to_string()),
                ("last", self.last.to_string()),
                ("total", self.total.to_string()),
            ],
        )
    }
}

/// A role's message in the catalogues: "user" or "admin" in the page's
/// language.
pub fn role_key(role: &str) -> String {
    format!("admin-role-{role}")
}

/// The "Create account" form, with what the admin typed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AccountForm {
    pub open: bool,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub errors: FieldErrors,
}

impl AccountForm {
    pub fn admin_selected(&self) -> bool {
        self.role == "admin"
    }
}

/// The "Create scope" form, with what the admin typed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ScopeForm {
    pub open: bool,
    pub name: String,
    pub description: String,
    pub user_may_grant: bool,
    pub admin_may_grant: bool,
    pub errors: FieldErrors,
}

impl ScopeForm {
    /// Closed, both roles ticked.
    pub fn fresh() -> Self {
        Self {
            user_may_grant: true,
            admin_may_grant: true,
            ..Self::default()
        }
    }
}

/// `GET /admin/scopes`.
#[derive(Template)]
#[template(path = "admin/scopes.html")]
pub struct ScopesPage {
    pub ctx: PageCtx,
    pub list: ScopeList,
    pub form: ScopeForm,
}

impl ScopesPage {
    pub fn tab(&self) -> &'static str {
        "scopes"
    }

    /// The messages of its columns' names; empty: the actions column.
    pub fn columns(&self) -> Vec<&'static str> {
        SCOPE_COLUMNS.to_vec()
    }
}

/// A new account's initial password, kept in the encrypted session from
/// the post that made it until the account's page shows it, once.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PasswordReveal {
    pub account_id: String,
    pub username: String,
    pub password: String,
    /// A reset's one-time password rather than a new account's.
    #[serde(default)]
    pub reset: bool,
}

/// `GET /admin/users`.
#[derive(Template)]
#[template(path = "admin/users.html")]
pub struct UsersPage {
    pub ctx: PageCtx,
    pub list: Paged<AccountView>,
    pub pager: Pager,
    pub q: String,
    pub form: AccountForm,
}

/// `GET /admin/users/{account_id}`.
#[derive(Template)]
#[template(path = "admin/user.html")]
pub struct UserPage {
    pub ctx: PageCtx,
    pub detail: AccountDetail,
    /// Whether this is the signed-in admin's own account.
    pub is_self: bool,
    pub reveal: Option<PasswordReveal>,
    /// Where the token buttons come back to.
    pub next: String,
}

impl AdminList for UsersPage {
    const TAB: &'static str = "users";
    const TABLE_CLASS: &'static str = "tokens admin-table";

    fn columns(&self) -> Vec<&'static str> {
        USER_COLUMNS.to_vec()
    }

    fn submit_label(&self) -> &'static str {
        "admin-search"
    }

    /// Only a search has something to clear.
    fn clear(&self) -> bool {
        !self.q.is_empty()
    }
}

impl UserPage {
    pub fn tab(&self) -> &'static str {
        "users"
    }

    pub fn token_columns(&self) -> Vec<&'static str> {
        token_columns(false)
    }

    pub fn token_rows(&self) -> &[TokenView] {
        &self.detail.tokens
    }

    /// Every token here is this account's: no owner column.
    pub fn owner_name(&self, _account_id: &str) -> &'static str {
        ""
    }
}

/// One choice in a filter's `<select>`.
#[derive(Debug, Clone, Serialize)]
pub struct Choice {
    pub value: &'static str,
    pub label: String,
    pub selected: bool,
}

impl Choice {
    pub fn list<L: AsRef<str>>(options: &[(&'static str, L)], current: &str) -> Vec<Choice> {
        options
            .iter()
            .map(|(value, label)| Choice {
                value,
                label: label.as_ref().to_owned(),
                selected: *value == current,
            })
            .collect()
    }
}

/// `GET /admin/tokens`.
#[derive(Template)]
#[template(path = "admin/tokens.html")]
pub struct TokensPage {
    pub ctx: PageCtx,
    pub list: Paged<TokenView>,
    pub pager: Pager,
    pub account_id: String,
    pub username: String,
    pub statuses: Vec<Choice>,
    pub sorts: Vec<Choice>,
    /// `(account_id, username)` of the owners on this page.
    pub owners: Vec<(String, String)>,
    /// This page's own address, for the token buttons to come back to.
    pub next: String,
}

/// What the frame of the admin lists (`admin/list.html`) asks of a list.
pub trait AdminList {
    /// Its tab, path (`/admin/{TAB}`) and the prefix of its element ids.
    const TAB: &'static str;
    const TABLE_CLASS: &'static str = "tokens";

    fn tab(&self) -> &'static str {
        Self::TAB
    }

    fn table_class(&self) -> &'static str {
        Self::TABLE_CLASS
    }

    /// The messages of its columns' names; empty: the actions column.
    fn columns(&self) -> Vec<&'static str>;

    /// The message of the filter form's button.
    fn submit_label(&self) -> &'static str {
        "admin-filter"
    }

    /// Whether to offer "Clear" beside the filters.
    fn clear(&self) -> bool {
        true
    }
}

impl AdminList for TokensPage {
    const TAB: &'static str = "tokens";

    fn columns(&self) -> Vec<&'static str> {
        token_columns(true)
    }
}

impl TokensPage {
    pub fn token_columns(&self) -> Vec<&'static str> {
        token_columns(true)
    }

    pub fn token_rows(&self) -> &[TokenView] {
        &self.list.items
    }

    pub fn owner_name(&self, account_id: &str) -> String {
        self.owners
            .iter()
            .find(|(id, _)| id == account_id)
            .map_or(account_id, |(_, name)| name.as_str())
            .to_owned()
    }
}

/// `GET /admin/audit`.
#[derive(Template)]
#[template(path = "admin/audit.html")]
pub struct AuditPage {
    pub ctx: PageCtx,
    pub list: Paged<AuditEntryView>,
    pub pager: Pager,
    pub events: Vec<Choice>,
    pub actor: String,
    pub target: String,
    /// `(account_id, username)` of the accounts the entries name.
    pub names: Vec<(String, String)>,
}

impl AuditPage {
    /// The username of a public account id, or the id of a deleted one.
    pub fn name_of<'a>(&'a self, account_id: &'a str) -> &'a str {
        self.names
            .iter()
            .find(|(id, _)| id == account_id)
            .map_or(account_id, |(_, name)| name.as_str())
    }
}

impl AdminList for AuditPage {
    const TAB: &'static str = "audit";
    const TABLE_CLASS: &'static str = "tokens audit";

    fn columns(&self) -> Vec<&'static str> {
        AUDIT_COLUMNS.to_vec()
    }
}

/// The messages of the scopes table's columns; empty: the actions column.
const SCOPE_COLUMNS: [&str; 5] = [
    "admin-col-scope",
    "tp-description",
    "admin-grantable-by",
    "admin-col-tokens",
    "",
];

/// The messages of the users table's columns.
const USER_COLUMNS: [&str; 7] = [
    "pref-username",
    "pref-display-name",
    "pref-role",
    "pref-status",
    "admin-col-tokens",
    "admin-last-sign-in",
    "col-created",
];

/// The messages of the audit log's columns.
const AUDIT_COLUMNS: [&str; 6] = [
    "admin-col-time",
    "admin-col-event",
    "admin-col-actor",
    "admin-col-target",
    "admin-col-token",
    "admin-col-ip",
];

/// The messages of the columns of an admin table of tokens, with their
/// owners' or not; empty: the actions column.
pub fn token_columns(with_owner: bool) -> Vec<&'static str> {
    let owner = with_owner.then_some("col-owner");
    let rest = [
        "col-scopes",
        "col-created",
        "col-expires",
        "col-last-used",
        "col-status",
        "",
    ];
    ["col-label"].into_iter().chain(owner).chain(rest).collect()
}

/// The audit log's event filter: "any", then every event as the log's
/// page says it, in `tr`'s language.
pub fn event_choices(current: &str, tr: Tr) -> Vec<Choice> {
    let mut options = vec![("", tr.t("admin-audit-any-event"))];
    options.extend(
        Event::ALL
            .iter()
            .map(|e| (e.as_str(), tr.t(&e.message_key()))),
    );
    Choice::list(&options, current)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(page: i64, per_page: i64, total: i64, shown: usize) -> Paged<()> {
        Paged {
            items: vec![(); shown],
            page,
            per_page,
            total,
        }
    }

    #[test]
    fn pager_links_keep_filters_and_stop_at_the_ends() {
        let p = Pager::new(
            &list(1, 2, 5, 2),
            "/admin/tokens",
            &[("status", "active"), ("account_id", "")],
        );
        assert_eq!(p.pages, 3);
        assert_eq!((p.first, p.last), (1, 2));
        assert_eq!(p.prev, None);
        assert_eq!(
            p.next.as_deref(),
            Some("/admin/tokens?status=active&page=2&per_page=2")
        );
        let last = Pager::new(&list(3, 2, 5, 1), "/x", &[]);
        assert_eq!((last.first, last.last), (5, 5));
        assert_eq!(last.next, None);
        assert_eq!(last.prev.as_deref(), Some("/x?page=2&per_page=2"));
        let beyond = Pager::new(&list(9, 2, 5, 0), "/x", &[]);
        assert_eq!(beyond.prev.as_deref(), Some("/x?page=3&per_page=2"));
        assert_eq!((beyond.first, beyond.last), (0, 0));
        let empty = Pager::new(&list(1, 50, 0, 0), "/x", &[]);
        assert_eq!(empty.pages, 1);
        assert_eq!((empty.prev, empty.next), (None, None));
    }

    #[test]
    fn every_audit_event_reads_in_every_language() {
        for event in Event::ALL {
            for lang in ["en", "nl"] {
                assert!(
                    Tr(lang).try_t(&event.message_key()).is_some(),
                    "{lang}: {}",
                    event.as_str()
                );
            }
        }
        let entry = |event: &str| AuditEntryView {
            id: 1,
            event: event.to_owned(),
            at: String::new(),
            actor_account_id: None,
            target_account_id: None,
            token_prefix: None,
            ip: None,
            detail: None,
        };
        assert_eq!(
            entry("account.role_changed").event_text(Tr("en")),
            "Role changed"
        );
        assert_eq!(
            entry("account.role_changed").event_text(Tr("nl")),
            "Rol gewijzigd"
        );
        assert_eq!(
            entry("some.future_event").event_text(Tr("nl")),
            "some.future_event"
        );
        let detail = |event: &str, text: &str| AuditEntryView {
            detail: Some(text.to_owned()),
            ..entry(event)
        };
        let deleted = detail("scope.deleted", "billing:read: taken from 1 tokens");
        assert_eq!(
            deleted.detail_text(Tr("en")).as_deref(),
            Some("billing:read: taken from 1 token")
        );
        assert_eq!(
            deleted.detail_text(Tr("nl")).as_deref(),
            Some("billing:read: weggehaald bij 1 token")
        );
        let edited = detail("token.updated", "label, scopes");
        assert_eq!(
            edited.detail_text(Tr("nl")).as_deref(),
            Some("label, scopes")
        );
        assert_eq!(entry("token.updated").detail_text(Tr("nl")), None);
    }

    #[test]
    fn every_column_and_label_of_the_admin_lists_has_its_message() {
        let mut keys: Vec<&str> = token_columns(true);
        keys.extend(SCOPE_COLUMNS);
        keys.extend(USER_COLUMNS);
        keys.extend(AUDIT_COLUMNS);
        keys.extend(["admin-filter", "admin-search", "admin-refresh"]);
        let roles = [role_key("user"), role_key("admin")];
        for key in keys.iter().copied().chain(roles.iter().map(String::as_str)) {
            if !key.is_empty() {
                assert!(Tr("nl").try_t(key).is_some(), "{key}");
            }
        }
        assert_eq!(Tr("nl").t(&role_key("admin")), "beheerder");
    }

    #[test]
    fn an_admin_forms_refusals_read_in_the_pages_language() {
        let nl = Tr("nl");
        let said = |english: &str| crate::views::messages::field_message(nl, english);
        assert_eq!(
            said("ada is the last active admin; make another account an admin first").as_deref(),
            Some("ada is de laatste actieve beheerder; maak eerst een ander account beheerder")
        );
        assert_eq!(
            said("the username \"ada\" is taken").as_deref(),
            Some("de gebruikersnaam “ada” is al in gebruik")
        );
        assert_eq!(
            said("tokens:write is a built-in scope; choose another name").as_deref(),
            Some("tokens:write is een ingebouwde scope; kies een andere naam")
        );
        assert_eq!(
            said("at most 200 characters").as_deref(),
            Some("hoogstens 200 tekens")
        );
        assert_eq!(said("something else entirely"), None);
        // English pages keep the words the JSON error has.
        let english = "the role is \"user\" or \"admin\"";
        assert_eq!(
            crate::views::messages::field_message(Tr("en"), english).as_deref(),
            Some(english)
        );
    }

    #[test]
    fn the_pager_says_what_it_shows_in_the_pages_language() {
        let p = Pager::new(&list(2, 50, 120, 50), "/x", &[]);
        assert_eq!(p.range(Tr("en")), "51–100 of 120");
        assert_eq!(p.range(Tr("nl")), "51–100 van 120");
    }

    #[test]
    fn query_values_are_encoded() {
        let p = Pager::new(&list(1, 1, 2, 1), "/admin/users", &[("q", "a&b c")]);
        assert_eq!(
            p.next.as_deref(),
            Some("/admin/users?q=a%26b+c&page=2&per_page=1")
        );
    }
}
