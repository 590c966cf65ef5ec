//! Signing in through an OpenID provider (SPEC §11), once the provider's
//! answer has been verified (`crate::oidc`): find the account linked to the
//! person's (issuer, subject) pair or make one, bring its role in line with
//! the admin group, and start a session, all in one transaction with the
//! audit entries.
//!
//! The pair is the only link: a username or an email from the provider
//! never selects an existing account, since anyone who can choose their
//! `preferred_username` at the provider could otherwise take over an
//! account of that name here.

use crate::accounts::{DisplayName, Username};
use crate::actions::{Actor, record_detail, start_session};
use crate::config::{Config, OidcSettings};
use crate::db::models::accounts::{self, Account, NO_PASSWORD, NewAccount};
use crate::db::models::audit::Event;
use crate::db::models::oidc_links;
use crate::db::models::sessions::Origin;
use crate::db::{self, DbConn};
use crate::error::AppError;
use crate::tokens::Role;

/// What the audit log says about how someone signed in.
pub const METHOD_OIDC: &str = "method=oidc";
pub const METHOD_PASSWORD: &str = "method=password";

/// Who the provider says signed in, from a verified ID token.
#[derive(Debug, Clone)]
pub struct Identity {
    pub issuer: String,
    pub subject: String,
    pub preferred_username: Option<String>,
    pub name: Option<String>,
    /// Only when the provider says it is verified; a new account's email
    /// address (used at once, as one an admin sets).
    pub email: Option<String>,
    pub groups: Vec<String>,
}

/// How a verified sign-in ended.
#[derive(Debug)]
pub enum Outcome {
    /// A new session secret for this account.
    SignedIn { sid: String, account: Box<Account> },
    /// The linked account is deactivated.
    Deactivated,
}

/// Signs `identity` in; see the module's description.
pub fn sign_in(
    conn: &mut DbConn,
    config: &Config,
    oidc: &OidcSettings,
    identity: &Identity,
    origin: &Origin,
) -> Result<Outcome, AppError> {
    let ip = origin.ip.as_deref();
    // Two first sign-ins of one person (or of two people wanting the same
    // name) may race; the unique indexes decide, and the loser tries again
    // and finds the account, or the next free name.
    let once = |conn: &mut DbConn| -> Result<Outcome, AppError> {
        let account = match oidc_links::find(conn, &identity.issuer, &identity.subject)? {
            Some(account) => account,
            None => create(conn, oidc, identity, ip)?,
        };
        if !account.active {
            let actor = Actor { account: None, ip };
            audit(conn, Event::LoginFailed, actor, &account)?;
            return Ok(Outcome::Deactivated);
        }
        let account = follow_admin_group(conn, oidc, identity, account, ip)?;
        let sid = start_session(conn, config, &account, origin, METHOD_OIDC)?;
        Ok(Outcome::SignedIn {
            sid,
            account: Box::new(account),
        })
    };
    let mut tries = 0;
    loop {
        match db::write_transaction(conn, once) {
            Err(AppError::Conflict(_)) if tries < 2 => tries += 1,
            other => return other,
        }
    }
}

/// An audit entry about `account` that says it came through single sign-on.
fn audit(
    conn: &mut DbConn,
    event: Event,
    actor: Actor<'_>,
    account: &Account,
) -> Result<(), AppError> {
    record_detail(
        conn,
        event,
        actor,
        Some(&account.account_id),
        None,
        Some(METHOD_OIDC),
    )
}

fn in_admin_group(oidc: &OidcSettings, identity: &Identity) -> bool {
    oidc.admin_group
        .as_ref()
        .is_some_and(|group| identity.groups.iter().any(|g| g == group))
}

/// The first sign-in: a new account linked to the identity.
fn create(
    conn: &mut DbConn,
    oidc: &OidcSettings,
    identity: &Identity,
    ip: Option<&str>,
) -> Result<Account, AppError> {
    let username = free_username(conn, &wanted_username(identity))?;
    let display_name = identity
        .name
        .as_deref()
        .and_then(|n| DisplayName::parse(n).ok().flatten());
    let role = if in_admin_group(oidc, identity) {
        Role::Admin
    } else {
        Role::User
    };
    let account = accounts::insert(
        conn,
        &NewAccount {
            account_id: &crate::actions::new_account_id(),
            username: username.as_str(),
            display_name: display_name
                .as_ref()
                .map_or(username.as_str(), DisplayName::as_str),
            password_hash: NO_PASSWORD,
            role: role.as_str(),
            active: true,
            created_at: db::now(),
        },
    )
    .map_err(unique_to_conflict)?;
    oidc_links::link(conn, account.id, &identity.issuer, &identity.subject)
        .map_err(unique_to_conflict)?;
    // The provider vouches for a verified address, as an admin does; one
    // that tessera would refuse on the form is left out.
    if let Some(email) = identity
        .email
        .as_deref()
        .and_then(|e| crate::preferences::parse_email(e).ok())
    {
        accounts::set_email(conn, account.id, Some(&email))?;
    }
    audit(
        conn,
        Event::AccountCreated,
        Actor::new(&account, ip),
        &account,
    )?;
    Ok(account)
}

fn unique_to_conflict(e: diesel::result::Error) -> AppError {
    match e {
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        ) => AppError::Conflict("taken meanwhile".into()),
        other => other.into(),
    }
}

/// The role follows the admin group at every sign-in, both ways. Without
/// an admin group configured the provider says nothing about roles, and
/// admins keep managing them here. Demoting the last active admin would
/// leave nobody to manage tessera, so that account keeps the role (and
/// the log says why).
fn follow_admin_group(
    conn: &mut DbConn,
    oidc: &OidcSettings,
    identity: &Identity,
    mut account: Account,
    ip: Option<&str>,
) -> Result<Account, AppError> {
    if oidc.admin_group.is_none() {
        return Ok(account);
    }
    let wanted = if in_admin_group(oidc, identity) {
        Role::Admin
    } else {
        Role::User
    };
    if wanted == account.role() {
        return Ok(account);
    }
    accounts::lock_with_admins(conn, &account.account_id)?;
    if account.is_admin() && accounts::count_active_admins(conn)? <= 1 {
        tracing::warn!(
            account = %account.account_id,
            "{} left the admin group at the provider but is the last active admin; keeping the admin role",
            account.username
        );
        return Ok(account);
    }
    accounts::set_role(conn, account.id, wanted)?;
    account.role = wanted.as_str().to_owned();
    let actor = Actor { account: None, ip };
    audit(conn, Event::AccountRoleChanged, actor, &account)?;
    Ok(account)
}

/// The name the person would like: `preferred_username`, else the local
/// part of their email, cleaned to what usernames allow.
fn wanted_username(identity: &Identity) -> String {
    let raw = identity
        .preferred_username
        .as_deref()
        .or_else(|| identity.email.as_deref().and_then(|e| e.split('@').next()))
        .unwrap_or("");
    clean_username(raw)
}

/// `[A-Za-z0-9._-]`, other characters turned into one `-` per run, at
/// most 56 characters (room for a `-NNNNNNN` suffix); "user" when
/// nothing is left.
pub fn clean_username(raw: &str) -> String {
    let mut out = String::new();
    for c in raw.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out: String = out.trim_matches('-').chars().take(56).collect();
    let out = out.trim_matches('-');
    if out.is_empty() {
        "user".to_owned()
    } else {
        out.to_owned()
    }
}

/// `base`, or the first of `base-2`, `base-3`, ... that nobody has.
fn free_username(conn: &mut DbConn, base: &str) -> Result<Username, AppError> {
    let mut first = 2;
    loop {
        let candidates: Vec<String> = std::iter::once(base.to_owned())
            .filter(|_| first == 2)
            .chain((first..first + 50).map(|n| format!("{base}-{n}")))
            .collect();
        let taken = oidc_links::taken_usernames(conn, &candidates)?;
        if let Some(free) = candidates.into_iter().find(|c| !taken.contains(c)) {
            return Username::parse(&free);
        }
        first += 50;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_cleaned_to_what_tessera_allows() {
        assert_eq!(clean_username("alice"), "alice");
        assert_eq!(clean_username("Zoë O'Brien"), "Zo-O-Brien");
        assert_eq!(clean_username("  "), "user");
        assert_eq!(clean_username("üï"), "user");
        assert_eq!(clean_username(&"x".repeat(100)).len(), 56);
        for raw in ["a b", "<script>", "x@example.com", "émile", "---"] {
            assert!(Username::parse(&clean_username(raw)).is_ok(), "{raw:?}");
        }
    }
}
