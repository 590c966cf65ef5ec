//! The state changes of tessera, shared by the JSON API, the HTML forms and
//! the command line. Each one is a single transaction that includes its
//! audit entry, so a change and its record commit or fail together.

use diesel::Connection;

use crate::accounts::{DisplayName, Username};
use crate::auth::{password, rate_limit, session};
use crate::config::{Config, PasswordCost};
use crate::db::models::accounts::{self, Account, NewAccount};
use crate::db::models::audit::{self, Event, NewAuditEvent};
use crate::db::models::tokens::{self as token_db, ApiToken, NewToken};
use crate::db::models::{sessions, settings};
use crate::db::{self, DbConn};
use crate::error::AppError;
use crate::keys;
use crate::lifecycle::Description;
use crate::restrictions::{AllowedIps, parse_rate_limit};
use crate::scopes;
use crate::tokens::{Label, Lifetime, PlainToken, Role, ScopeSet, random_chars};

/// Who made a change, for the audit log. `account` is `None` for the
/// command line and for anonymous sign-in attempts.
#[derive(Debug, Clone, Copy, Default)]
pub struct Actor<'a> {
    pub account: Option<&'a Account>,
    pub ip: Option<&'a str>,
}

impl<'a> Actor<'a> {
    pub fn new(account: &'a Account, ip: Option<&'a str>) -> Self {
        Self {
            account: Some(account),
            ip,
        }
    }

    pub fn console() -> Self {
        Self::default()
    }
}

pub fn record(
    conn: &mut DbConn,
    event: Event,
    actor: Actor<'_>,
    target: Option<&str>,
    token_prefix: Option<&str>,
) -> Result<(), AppError> {
    record_detail(conn, event, actor, target, token_prefix, None)
}

/// [`record`], with what the entry says beyond its fixed fields.
pub fn record_detail(
    conn: &mut DbConn,
    event: Event,
    actor: Actor<'_>,
    target: Option<&str>,
    token_prefix: Option<&str>,
    detail: Option<&str>,
) -> Result<(), AppError> {
    audit::record(
        conn,
        &NewAuditEvent {
            event: event.as_str(),
            at: db::now(),
            actor_account_id: actor.account.map(|a| a.account_id.as_str()),
            target_account_id: target,
            token_prefix,
            ip: actor.ip,
            detail,
        },
    )?;
    Ok(())
}

/// What a caller asks for when generating a token; fields are checked here
/// so that the JSON API, the form and the CLI give the same answers.
///
/// Unknown fields are refused: a misspelt `expires_in_hour` must not quietly
/// create a token that never expires.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewToken)]
pub struct TokenRequest {
    /// 1-100 characters, any Unicode but control characters.
    #[schema(required = true, value_type = String, min_length = 1, max_length = 100,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$")]
    pub label: Option<String>,
    /// At least one; a token may grant only scopes it holds itself.
    #[schema(required = true, value_type = Vec<crate::tokens::Scope>, min_items = 1)]
    pub scopes: Option<Vec<String>>,
    /// Hours until it expires; 0 or absent: never.
    #[schema(minimum = 0, maximum = 87600)]
    #[serde(default, deserialize_with = "whole_number")]
    pub expires_in_hours: Option<i64>,
    /// Where the token may be used from: up to 20 IPv4/IPv6 addresses or
    /// CIDR ranges; absent or empty: anywhere.
    #[schema(value_type = Option<Vec<crate::restrictions::AllowedIpSchema>>, max_items = 20, example = json!(["203.0.113.0/24", "2001:db8::1"]))]
    #[serde(default)]
    pub allowed_ips: Option<Vec<String>>,
    /// Requests per minute, 1-100000; absent or null: no limit.
    #[schema(minimum = 1, maximum = 100000)]
    #[serde(default, deserialize_with = "whole_number")]
    pub rate_limit_per_minute: Option<i64>,
    /// What the token is for, up to 1000 characters; absent: none.
    #[schema(max_length = 1000)]
    #[serde(default)]
    pub description: Option<String>,
}

/// A whole number. JSON does not tell `24` from `24.0` (JSON Schema calls
/// both integers), so an integral float is taken too; `0.5` is not.
pub(crate) fn whole_number<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<i64>, D::Error> {
    use serde::Deserialize;
    use serde::de::Error;
    let Some(n) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    if let Some(i) = n.as_i64() {
        return Ok(Some(i));
    }
    match n.as_f64() {
        // Beyond 2^53 a float is no exact whole number any more.
        Some(f) if f.fract() == 0.0 && f.abs() < 9e15 => Ok(Some(f as i64)),
        _ => Err(D::Error::custom(format!(
            "expected a whole number, found {n}"
        ))),
    }
}

/// A checked [`TokenRequest`].
#[derive(Debug, Clone)]
pub struct TokenSpec {
    pub label: Label,
    pub scopes: ScopeSet,
    pub lifetime: Lifetime,
    pub allowed_ips: AllowedIps,
    pub rate_limit_per_minute: Option<i32>,
    pub description: Description,
    /// The calling token's scopes, when a token asks: its application
    /// scopes are checked against them once they are known to exist.
    pub may_grant: Option<ScopeSet>,
}

impl TokenRequest {
    /// `may_grant` is what the caller may hand on: the scopes of the token
    /// they are calling with, or `None` for a session or the command line
    /// (then what the owner's role allows).
    pub fn check(
        &self,
        config: &Config,
        owner: &Account,
        may_grant: Option<&ScopeSet>,
    ) -> Result<TokenSpec, AppError> {
        self.check_fields(config, owner, may_grant)
            .map_err(|mut errors| errors.swap_remove(0))
    }

    /// Checks every field and reports every problem, in field order, for a
    /// form that shows each message beside its field.
    pub fn check_fields(
        &self,
        config: &Config,
        owner: &Account,
        may_grant: Option<&ScopeSet>,
    ) -> Result<TokenSpec, Vec<AppError>> {
        let label = Label::parse(self.label.as_deref().unwrap_or(""))
            .map_err(|m| AppError::invalid("label", m));
        let scopes = self.check_scopes(owner, may_grant);
        let lifetime = Lifetime::parse(self.expires_in_hours, config.max_token_lifetime_days)
            .map_err(|m| AppError::invalid("expires_in_hours", m));
        let allowed_ips = AllowedIps::parse(self.allowed_ips.as_deref().unwrap_or(&[]))
            .map_err(|m| AppError::invalid("allowed_ips", m));
        let rate = parse_rate_limit(self.rate_limit_per_minute)
            .map_err(|m| AppError::invalid("rate_limit_per_minute", m));
        let description = Description::parse(self.description.as_deref().unwrap_or(""));
        match (label, scopes, lifetime, allowed_ips, rate, description) {
            (
                Ok(label),
                Ok(scopes),
                Ok(lifetime),
                Ok(allowed_ips),
                Ok(rate_limit_per_minute),
                Ok(description),
            ) => Ok(TokenSpec {
                label,
                scopes,
                lifetime,
                allowed_ips,
                rate_limit_per_minute,
                description,
                may_grant: may_grant.cloned(),
            }),
            (label, scopes, lifetime, allowed_ips, rate, description) => Err([
                label.err(),
                scopes.err(),
                lifetime.err(),
                allowed_ips.err(),
                rate.err(),
                description.err(),
            ]
            .into_iter()
            .flatten()
            .collect()),
        }
    }

    /// Whether application scopes exist and the role may grant them is
    /// checked against the database when the token is created
    /// (`scopes::check_grantable`).
    fn check_scopes(
        &self,
        owner: &Account,
        may_grant: Option<&ScopeSet>,
    ) -> Result<ScopeSet, AppError> {
        let scopes = ScopeSet::parse_list(self.scopes.as_deref().unwrap_or(&[]))
            .map_err(|m| AppError::invalid("scopes", m))?;
        let by_role = ScopeSet::for_role(owner.role());
        if let Some(scope) = scopes.builtin().find(|s| !by_role.contains(*s)) {
            return Err(AppError::forbidden(
                Some("scopes"),
                format!("only admins may grant {scope}"),
            ));
        }
        if let Some(may_grant) = may_grant
            && scopes.builtin().any(|s| !may_grant.contains(s))
        {
            return Err(not_held(may_grant));
        }
        Ok(scopes)
    }
}

/// A token may hand on only scopes it holds itself.
fn not_held(may_grant: &ScopeSet) -> AppError {
    AppError::forbidden(
        Some("scopes"),
        format!(
            "a token can only create tokens with a subset of its own scopes ({})",
            may_grant.names().join(", ")
        ),
    )
}

/// The longest lifetime a new token may have, in days: the stricter of
/// this process's own setting and the one the server recorded in the
/// database when it started, so that the command line, run without the
/// server's environment, is bound as the server is.
pub fn max_token_lifetime_days(
    conn: &mut DbConn,
    config: &Config,
) -> Result<Option<u32>, AppError> {
    let recorded = settings::max_token_lifetime_days(conn)?;
    Ok(match (config.max_token_lifetime_days, recorded) {
        (Some(own), Some(recorded)) => Some(own.min(recorded)),
        (own, recorded) => own.or(recorded),
    })
}

/// Creates a token for `owner`. The token in clear is returned to be shown
/// once; only its HMAC is stored.
pub fn create_token(
    conn: &mut DbConn,
    config: &Config,
    owner: &Account,
    spec: &TokenSpec,
    actor: Actor<'_>,
) -> Result<(ApiToken, PlainToken), AppError> {
    // The spec was checked against this process's setting only.
    Lifetime::parse(
        spec.lifetime.hours(),
        max_token_lifetime_days(conn, config)?,
    )
    .map_err(|m| AppError::invalid("expires_in_hours", m))?;
    let plain = PlainToken::generate();
    let hash = plain.hash(&config.secret_key);
    let now = db::now();
    let expires_at = spec
        .lifetime
        .hours()
        .map(|h| now + time::Duration::hours(h));
    let token = db::write_transaction::<_, AppError, _>(conn, |conn| {
        accounts::lock(conn, owner.id)?;
        scopes::check_grantable(conn, &spec.scopes, owner.role())?;
        if let Some(may_grant) = &spec.may_grant
            && !spec.scopes.is_subset(may_grant)
        {
            return Err(not_held(may_grant));
        }
        let held = token_db::count_for_account(conn, owner.id)?;
        if held >= i64::from(config.max_tokens_per_user) {
            return Err(AppError::Conflict(format!(
                "this account already holds {held} tokens, the most allowed ({}); delete one first",
                config.max_tokens_per_user
            )));
        }
        let token = token_db::insert(
            conn,
            &NewToken {
                account_id: owner.id,
                label: spec.label.as_str(),
                prefix: plain.prefix(),
                token_hash: hash.as_bytes(),
                key_id: &keys::fingerprint(&config.secret_key),
                scopes: &spec.scopes.to_stored(),
                active: true,
                created_at: now,
                expires_at,
                allowed_ips: &spec.allowed_ips.to_stored(),
                rate_limit_per_minute: spec.rate_limit_per_minute,
                description: spec.description.as_str(),
            },
        )?;
        record(
            conn,
            Event::TokenCreated,
            actor,
            Some(&owner.account_id),
            Some(plain.prefix()),
        )?;
        crate::notices::token_created(conn, config, &token)?;
        Ok(token)
    })?;
    Ok((token, plain))
}

/// What may be done to a token; the last word of its URL (`.../delete`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenChange {
    Deactivate,
    Activate,
    Delete,
}

impl TokenChange {
    /// What the change did, for the message after it.
    pub fn done(self) -> &'static str {
        match self {
            TokenChange::Deactivate => "deactivated",
            TokenChange::Activate => "activated",
            TokenChange::Delete => "deleted",
        }
    }
}

/// The `{action}` of the JSON activation URLs, for tokens and accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(rename_all = "snake_case")]
pub enum Activation {
    Deactivate,
    Activate,
}

impl From<Activation> for TokenChange {
    fn from(a: Activation) -> Self {
        match a {
            Activation::Deactivate => TokenChange::Deactivate,
            Activation::Activate => TokenChange::Activate,
        }
    }
}

impl From<Activation> for AccountChange {
    fn from(a: Activation) -> Self {
        match a {
            Activation::Deactivate => AccountChange::Deactivate,
            Activation::Activate => AccountChange::Activate,
        }
    }
}

/// The `{action}` of an account's buttons; a role change also names the
/// role, in the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountAction {
    Role,
    Deactivate,
    Activate,
}

/// Whose tokens a change may reach.
#[derive(Debug, Clone, Copy)]
pub enum Reach {
    /// Only this account's (internal id); others' look missing.
    Own(i64),
    /// Anyone's (admins on `/admin/...`, the command line).
    Any,
}

/// Token `id` as `reach` sees it (another account's looks missing), with
/// its owner's public id.
pub fn find_token(
    conn: &mut DbConn,
    reach: Reach,
    id: i64,
) -> Result<(ApiToken, String), AppError> {
    let token = match reach {
        Reach::Own(owner) => token_db::find_owned(conn, owner, id)?,
        Reach::Any => token_db::find(conn, id)?,
    }
    .ok_or(AppError::NotFound)?;
    let owner = accounts::find_by_id(conn, token.account_id)?.ok_or(AppError::NotFound)?;
    Ok((token, owner.account_id))
}

/// Deactivates, activates or deletes a token. Returns the token as it is
/// afterwards (as it was, for a deletion) and its owner's public id.
pub fn change_token(
    conn: &mut DbConn,
    reach: Reach,
    id: i64,
    change: TokenChange,
    actor: Actor<'_>,
) -> Result<(ApiToken, String), AppError> {
    db::write_transaction(conn, |conn| {
        let (mut token, owner) = find_token(conn, reach, id)?;
        let event = match change {
            TokenChange::Delete => {
                token_db::delete(conn, id)?;
                Some(Event::TokenDeleted)
            }
            TokenChange::Deactivate | TokenChange::Activate => {
                let active = change == TokenChange::Activate;
                if token.active == active {
                    None
                } else {
                    token_db::set_active(conn, id, active)?;
                    token.active = active;
                    Some(if active {
                        Event::TokenActivated
                    } else {
                        Event::TokenDeactivated
                    })
                }
            }
        };
        if let Some(event) = event {
            record(conn, event, actor, Some(&owner), Some(&token.prefix))?;
        }
        Ok((token, owner))
    })
}

/// Creates an account with a generated password, returned to be shown once.
pub fn create_account(
    conn: &mut DbConn,
    cost: PasswordCost,
    username: &Username,
    display_name: Option<&DisplayName>,
    role: Role,
    actor: Actor<'_>,
) -> Result<(Account, String), AppError> {
    let username = username.as_str();
    let display_name = display_name.map_or(username, DisplayName::as_str);
    let password = password::generate();
    let hash = password::hash(&password, cost)?;
    let account = db::write_transaction::<_, AppError, _>(conn, |conn| {
        if accounts::find_by_username(conn, username)?.is_some() {
            return Err(AppError::Conflict(format!(
                "the username {username:?} is taken"
            )));
        }
        let account = accounts::insert(
            conn,
            &NewAccount {
                account_id: &new_account_id(),
                username,
                display_name,
                password_hash: &hash,
                role: role.as_str(),
                active: true,
                created_at: db::now(),
            },
        )
        .map_err(|e| match e {
            // Two requests for the same name at once: the unique index
            // decides, and the loser hears the same as above.
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            ) => AppError::Conflict(format!("the username {username:?} is taken")),
            other => other.into(),
        })?;
        record(
            conn,
            Event::AccountCreated,
            actor,
            Some(&account.account_id),
            None,
        )?;
        Ok(account)
    })?;
    Ok((account, password))
}

/// What an admin may change about an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountChange {
    Role(Role),
    Deactivate,
    Activate,
}

/// Changes an account's role or active flag, with its audit entry, and
/// returns the account as it is afterwards. Deactivating also deletes the
/// account's sessions, so it is signed out on every instance at once (its
/// tokens stop by themselves: authentication checks the owner is active).
/// A change that would leave no active admin is refused with a conflict.
/// Asking for what already is changes and records nothing.
pub fn change_account(
    conn: &mut DbConn,
    account_id: &str,
    change: AccountChange,
    actor: Actor<'_>,
) -> Result<Account, AppError> {
    db::write_transaction(conn, |conn| {
        accounts::lock_with_admins(conn, account_id)?;
        let mut account =
            accounts::find_by_account_id(conn, account_id)?.ok_or(AppError::NotFound)?;
        let (role, active) = match change {
            AccountChange::Role(role) => (role, account.active),
            AccountChange::Deactivate => (account.role(), false),
            AccountChange::Activate => (account.role(), true),
        };
        if role == account.role() && active == account.active {
            return Ok(account);
        }
        let loses_an_admin = account.is_admin() && account.active;
        if loses_an_admin && accounts::count_active_admins(conn)? <= 1 {
            return Err(AppError::Conflict(format!(
                "{} is the last active admin; make another account an admin first",
                account.username
            )));
        }
        let event = match change {
            AccountChange::Role(role) => {
                accounts::set_role(conn, account.id, role)?;
                account.role = role.as_str().to_owned();
                Event::AccountRoleChanged
            }
            AccountChange::Deactivate => {
                accounts::set_active(conn, account.id, false)?;
                sessions::delete_for_account(conn, account.id)?;
                account.active = false;
                Event::AccountDeactivated
            }
            AccountChange::Activate => {
                accounts::set_active(conn, account.id, true)?;
                account.active = true;
                Event::AccountActivated
            }
        };
        record(conn, event, actor, Some(&account.account_id), None)?;
        Ok(account)
    })
}

/// `acc_` and 12 lowercase letters and digits: opaque, URL-safe, fixed.
pub fn new_account_id() -> String {
    format!(
        "acc_{}",
        random_chars(b"0123456789abcdefghijklmnopqrstuvwxyz", 12)
    )
}

/// On an empty database, creates `admin` and returns its password.
pub fn ensure_first_admin(
    conn: &mut DbConn,
    cost: PasswordCost,
) -> Result<Option<String>, AppError> {
    if accounts::count(conn)? > 0 {
        return Ok(None);
    }
    // Several instances may start at once on a new database: one creates
    // the admin, the others find the name taken and go on.
    let username = Username::parse("admin")?;
    let display_name = DisplayName::parse("Administrator")?;
    match create_account(
        conn,
        cost,
        &username,
        display_name.as_ref(),
        Role::Admin,
        Actor::console(),
    ) {
        Ok((_, password)) => Ok(Some(password)),
        Err(AppError::Conflict(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Checks a sign-in attempt, all on one connection:
/// `Ok(Some(session secret))` signed in; `Ok(None)` wrong username or
/// password, or a deactivated account (recorded and counted, and not told
/// apart); `Err(TooManyRequests)` while the username or the client IP is
/// throttled.
pub fn sign_in(
    conn: &mut DbConn,
    config: &Config,
    username: &str,
    password: &str,
    origin: &sessions::Origin,
) -> Result<Option<SignedIn>, AppError> {
    let ip = origin.ip.as_deref();
    let keys = rate_limit::keys(username, ip);
    let now = db::now();
    rate_limit::check(conn, config.login_limit, &keys, now)?;
    let account = accounts::find_by_username(conn, username)?;
    let ok = match &account {
        Some(a) => password::verify(password, &a.password_hash) && a.active,
        None => {
            password::verify_dummy(password, config.password_cost);
            false
        }
    };
    let target = account.as_ref().map(|a| a.account_id.clone());
    let Some(account) = account.filter(|_| ok) else {
        conn.transaction::<_, AppError, _>(|conn| {
            rate_limit::record_failure(conn, config.login_limit, &keys, now)?;
            record_detail(
                conn,
                Event::LoginFailed,
                Actor { account: None, ip },
                target.as_deref(),
                None,
                Some(crate::sso::METHOD_PASSWORD),
            )
        })?;
        return Ok(None);
    };
    conn.transaction(|conn| {
        rate_limit::record_success(conn, username)?;
        start_session(conn, config, &account, origin, crate::sso::METHOD_PASSWORD).map(|sid| {
            Some(SignedIn {
                sid,
                must_change_password: account.must_change_password,
                language: account.language.clone(),
            })
        })
    })
}

/// A successful sign-in: the new session's secret, and whether an admin's
/// reset obliges the account to choose a new password first.
#[derive(Debug)]
pub struct SignedIn {
    pub sid: String,
    pub must_change_password: bool,
    /// The account's chosen language, for the first page's message.
    pub language: Option<String>,
}

/// What every way of signing in does once it knows who: the last sign-in
/// time, a new session (its secret returned for the cookie) recording where
/// it signed in from, and `login.succeeded` saying how (`method`). Call
/// inside the sign-in's transaction.
pub fn start_session(
    conn: &mut DbConn,
    config: &Config,
    account: &Account,
    origin: &sessions::Origin,
    method: &str,
) -> Result<String, AppError> {
    let now = db::now();
    accounts::set_last_login(conn, account.id, now)?;
    sessions::delete_expired(conn, now)?;
    let sid = session::create(conn, config, account.id, origin)?;
    record_detail(
        conn,
        Event::LoginSucceeded,
        Actor::new(account, origin.ip.as_deref()),
        Some(&account.account_id),
        None,
        Some(method),
    )?;
    Ok(sid)
}
