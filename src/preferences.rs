//! The account's own settings (SPEC §10): what each field may hold, parsed
//! once at the edge (form, JSON, admin page), and the changes, each one
//! transaction with its audit entry where it is audited. Shared by the
//! Account Preferences forms, `PATCH /profile.json`, the admin pages and
//! the command line, as `actions` is for tokens and accounts.

use std::str::FromStr;

use subtle::ConstantTimeEq;
use time::PrimitiveDateTime;

use crate::accounts::DisplayName;
use crate::actions::{Actor, record};

use crate::auth::password;
use crate::config::{Config, PasswordCost};
use crate::db::models::accounts::{self, Account};
use crate::db::models::audit::Event;
use crate::db::models::sessions;
use crate::db::{self, DbConn};
use crate::error::AppError;
use crate::notices::{self, Kind};
use crate::tokens::SecretKey;

/// An IANA time zone name, known to the time zone database tessera
/// carries (jiff's bundled copy, so a server without `/usr/share/zoneinfo`
/// knows the same zones).
#[derive(Debug, Clone)]
pub struct Zone {
    name: String,
    tz: jiff::tz::TimeZone,
}

impl Zone {
    pub fn parse(name: &str) -> Result<Self, AppError> {
        let name = name.trim();
        let unknown = || {
            AppError::invalid(
                "time_zone",
                format!("unknown time zone {name:?}; use an IANA name such as Europe/Amsterdam"),
            )
        };
        if name.is_empty() || name.len() > 64 {
            return Err(unknown());
        }
        let tz = jiff::tz::db().get(name).map_err(|_| unknown())?;
        Ok(Self {
            name: name.to_owned(),
            tz,
        })
    }

    pub fn utc() -> Self {
        Self {
            name: "UTC".into(),
            tz: jiff::tz::TimeZone::UTC,
        }
    }

    /// The account's zone; one the database no longer knows reads as UTC.
    pub fn of(account: &Account) -> Self {
        Self::parse(&account.time_zone).unwrap_or_else(|_| Self::utc())
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// `at` (UTC) as `pattern` (strftime) reads in this zone; `%Z` is the
    /// zone's abbreviation at that moment (CET in winter, CEST in summer).
    pub fn format(&self, at: time::OffsetDateTime, pattern: &str) -> Option<String> {
        let ts = jiff::Timestamp::from_second(at.unix_timestamp()).ok()?;
        Some(
            ts.to_zoned_datetime(self.tz.clone())
                .strftime(pattern)
                .to_string(),
        )
    }

    /// Every zone name, for the form's list.
    pub fn names() -> Vec<String> {
        let mut names: Vec<String> = jiff::tz::db()
            .available()
            .map(|n| n.as_str().to_owned())
            .filter(|n| n.contains('/') || n == "UTC")
            .collect();
        names.sort();
        names
    }
}

/// The languages pages may be shown in (only English is written yet).
pub const LANGUAGES: [(&str, &str); 2] = [("en", "English"), ("nl", "Nederlands")];

pub fn parse_language(code: &str) -> Result<&'static str, AppError> {
    let code = code.trim();
    LANGUAGES
        .iter()
        .map(|(c, _)| *c)
        .find(|c| *c == code)
        .ok_or_else(|| AppError::invalid("language", "choose en (English) or nl (Nederlands)"))
}

/// The language an `Accept-Language` header ranks highest among ours;
/// English when it names none of them.
pub fn language_from_header(accept: Option<&str>) -> &'static str {
    let mut best: Option<(f32, &'static str)> = None;
    for range in accept.unwrap_or("").split(',') {
        let mut parts = range.split(';');
        let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let primary = tag.split('-').next().unwrap_or("");
        let Some((code, _)) = LANGUAGES.iter().find(|(c, _)| *c == primary) else {
            continue;
        };
        let q = parts
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| k.trim() == "q")
            .and_then(|(_, v)| v.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
            best = Some((q, code));
        }
    }
    best.map_or("en", |(_, code)| code)
}

/// The language the request's browser asks for.
pub fn browser_language(req: &actix_web::HttpRequest) -> &'static str {
    language_from_header(
        req.headers()
            .get(actix_web::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    )
}

/// An email address, as lettre (which will send to it) reads one.
pub fn parse_email(raw: &str) -> Result<String, AppError> {
    let raw = raw.trim();
    if raw.len() > 254 {
        return Err(AppError::invalid(
            "email",
            "an email address is at most 254 characters",
        ));
    }
    lettre::Address::from_str(raw)
        .map(|a| a.to_string())
        .map_err(|_| AppError::invalid("email", format!("{raw:?} is not an email address")))
}

/// Which notices an account wants.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Notifications {
    pub expiry_7d: bool,
    pub expiry_1d: bool,
    pub expired: bool,
    pub token_created: bool,
    pub token_leaked: bool,
}

impl Notifications {
    pub fn from_stored(s: &str) -> Self {
        let on = |k: Kind| s.split_whitespace().any(|n| n == k.as_str());
        Self {
            expiry_7d: on(Kind::Expiry7d),
            expiry_1d: on(Kind::Expiry1d),
            expired: on(Kind::Expired),
            token_created: on(Kind::TokenCreated),
            token_leaked: on(Kind::TokenLeaked),
        }
    }

    pub fn wants(&self, kind: Kind) -> bool {
        match kind {
            Kind::Expiry7d => self.expiry_7d,
            Kind::Expiry1d => self.expiry_1d,
            Kind::Expired => self.expired,
            Kind::TokenCreated => self.token_created,
            Kind::TokenLeaked => self.token_leaked,
            // Asked for by its owner each time.
            Kind::VerifyEmail => true,
        }
    }

    pub fn set(&mut self, kind: Kind, on: bool) {
        match kind {
            Kind::Expiry7d => self.expiry_7d = on,
            Kind::Expiry1d => self.expiry_1d = on,
            Kind::Expired => self.expired = on,
            Kind::TokenCreated => self.token_created = on,
            Kind::TokenLeaked => self.token_leaked = on,
            Kind::VerifyEmail => {}
        }
    }

    pub fn to_stored(self) -> String {
        Kind::CHOSEN
            .into_iter()
            .filter(|k| self.wants(*k))
            .map(Kind::as_str)
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The form's checkboxes: every `notify` value sent is on, the rest off.
    pub fn from_form(values: &[String]) -> Result<Self, AppError> {
        let mut out = Self::default();
        for value in values {
            let kind = Kind::CHOSEN
                .into_iter()
                .find(|k| k.as_str() == value)
                .ok_or_else(|| AppError::invalid("notify", format!("unknown notice {value:?}")))?;
            out.set(kind, true);
        }
        Ok(out)
    }
}

/// The Preferences section, checked.
#[derive(Debug, Clone)]
pub struct Choices {
    pub zone: Zone,
    /// None: follow the browser.
    pub language: Option<&'static str>,
    pub notifications: Notifications,
}

/// What the account's owner may change about it (the form, `PATCH
/// /profile.json`); `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    pub display_name: Option<Option<DisplayName>>,
    pub choices: Option<Choices>,
}

/// Changes display name and preferences at once; returns the account as it
/// is afterwards.
pub fn change(conn: &mut DbConn, account: &Account, changes: Changes) -> Result<Account, AppError> {
    let id = account.id;
    db::write_transaction(conn, |conn| {
        if let Some(name) = &changes.display_name {
            let name = name
                .as_ref()
                .map_or(account.username.as_str(), DisplayName::as_str);
            accounts::set_display_name(conn, id, name)?;
        }
        if let Some(c) = &changes.choices {
            accounts::set_preferences(
                conn,
                id,
                c.zone.name(),
                c.language,
                &c.notifications.to_stored(),
            )?;
        }
        accounts::find_by_id(conn, id)?.ok_or(AppError::NotFound)
    })
}

/// Records `event` about `account` (no token involved).
fn record_on(
    conn: &mut DbConn,
    event: Event,
    actor: Actor<'_>,
    account: &Account,
) -> Result<(), AppError> {
    record(conn, event, actor, Some(&account.account_id), None)
}

/// How long a verification link is good for.
pub const LINK_VALID: time::Duration = time::Duration::hours(24);

/// The signed `token` of the verification link for `email`: the account,
/// the link's end and an HMAC of both and the address under a key of its
/// own, derived from the server key. The address itself is not in the
/// link: the link proves its holder read mail sent to the address pending
/// now, and does nothing once another is pending (or none).
pub fn verification_token(config: &Config, account_id: &str, email: &str, until: i64) -> String {
    let mac = verification_mac(&config.secret_key, account_id, email, until);
    format!("{account_id}.{until}.{}", hex::encode(mac))
}

fn verification_mac(key: &SecretKey, account_id: &str, email: &str, until: i64) -> [u8; 32] {
    use hmac::Mac;
    let key = key.derive("email-verification");
    let mut mac =
        hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).expect("HMAC takes any key length");
    mac.update(format!("{account_id}\n{until}\n{}", email.to_lowercase()).as_bytes());
    mac.finalize().into_bytes().into()
}

/// Follows a verification link: the pending address becomes the account's.
/// `Ok(None)`: the link is well-formed but no longer does anything (used,
/// or replaced by a newer address); `Err`: forged or expired.
pub fn verify_email(
    conn: &mut DbConn,
    config: &Config,
    token: &str,
    now: PrimitiveDateTime,
) -> Result<Option<(Account, String)>, AppError> {
    let bad = || {
        AppError::invalid(
            "token",
            "this verification link is not valid; ask for a new one",
        )
    };
    let mut parts = token.split('.');
    let (Some(account_id), Some(until), Some(mac), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let until: i64 = until.parse().map_err(|_| bad())?;
    let mac = hex::decode(mac).map_err(|_| bad())?;
    if now.assume_utc().unix_timestamp() > until {
        return Err(AppError::invalid(
            "token",
            "this verification link has expired; enter the address again for a new one",
        ));
    }
    db::write_transaction(conn, |conn| {
        let Some(account) = accounts::find_by_account_id(conn, account_id)? else {
            return Err(bad());
        };
        let Some(pending) = account.pending_email.clone() else {
            return Ok(None);
        };
        // A link mailed before a key rotation was signed with the key of
        // its time, which stays configured as an older key.
        let signed = config.keys().any(|key| {
            let expected = verification_mac(key, account_id, &pending, until);
            bool::from(expected.as_slice().ct_eq(&mac))
        });
        if !signed {
            // Signed for another address than the one pending now: an older
            // link, or a forged one. Neither may change anything.
            return Ok(None);
        }
        accounts::confirm_email(conn, account.id, &pending)?;
        record_on(
            conn,
            Event::AccountEmailChanged,
            Actor::new(&account, None),
            &account,
        )?;
        Ok(Some((account, pending)))
    })
}

/// Asks for `email` to become the account's address: it is kept pending
/// and a link is mailed to it. The same address as now clears any pending
/// one; `base_url` is where the link points.
pub fn request_email(
    conn: &mut DbConn,
    config: &Config,
    account: &Account,
    email: Option<&str>,
    base_url: &str,
) -> Result<EmailOutcome, AppError> {
    let Some(email) = email else {
        return Ok(EmailOutcome::Unchanged);
    };
    if account.email.as_deref() == Some(email) {
        accounts::set_pending_email(conn, account.id, None)?;
        return Ok(EmailOutcome::Unchanged);
    }
    if account.pending_email.as_deref() == Some(email) && config.mail.is_none() {
        return Ok(EmailOutcome::MailOff);
    }
    let until = (db::now() + LINK_VALID).assume_utc().unix_timestamp();
    db::write_transaction::<_, AppError, _>(conn, |conn| {
        accounts::set_pending_email(conn, account.id, Some(email))?;
        let detail = notices::Detail {
            base_url: Some(base_url.to_owned()),
            until: Some(until),
            ..Default::default()
        };
        // One notice per request: the subject carries the link's end.
        notices::enqueue(
            conn,
            config,
            account.id,
            Kind::VerifyEmail,
            &format!("{email} {until}"),
            &detail,
        )?;
        Ok(())
    })?;
    Ok(if config.mail.is_some() {
        EmailOutcome::LinkSent
    } else {
        EmailOutcome::MailOff
    })
}

/// What became of an address asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailOutcome {
    Unchanged,
    LinkSent,
    /// Kept pending, but no mail can be sent from this server.
    MailOff,
}

/// The rules for a new password; `None` when it may be used.
fn password_problem(username: &str, new: &str, confirm: &str) -> Option<AppError> {
    if new.chars().count() < 12 {
        return Some(AppError::invalid(
            "new_password",
            "a password is at least 12 characters",
        ));
    }
    if new.eq_ignore_ascii_case(username) {
        return Some(AppError::invalid(
            "new_password",
            "a password cannot be your username",
        ));
    }
    if new != confirm {
        return Some(AppError::invalid(
            "confirm_password",
            "the two new passwords differ",
        ));
    }
    None
}

/// The password form, as sent.
pub struct PasswordChange {
    pub current: String,
    pub new: String,
    pub confirm: String,
}

/// Changes the account's password, after checking the current one, and
/// signs out every other session of the account (on every instance: they
/// are rows). Argon2 runs here, so call it through `Db::run`.
pub fn change_password(
    conn: &mut DbConn,
    cost: PasswordCost,
    account: &Account,
    current_session: i64,
    form: &PasswordChange,
    ip: Option<&str>,
) -> Result<(), AppError> {
    let PasswordChange {
        current,
        new,
        confirm,
    } = form;
    if account.has_no_password() {
        return Err(AppError::invalid(
            "current_password",
            "this account signs in through single sign-on and has no password to change",
        ));
    }
    if !password::verify(current, &account.password_hash) {
        return Err(AppError::invalid(
            "current_password",
            "the current password is not right",
        ));
    }
    if let Some(problem) = password_problem(&account.username, new, confirm) {
        return Err(problem);
    }
    let hash = password::hash(new, cost)?;
    db::write_transaction(conn, |conn| {
        accounts::set_password(conn, account.id, &hash, false)?;
        sessions::delete_others(conn, account.id, current_session)?;
        record_on(
            conn,
            Event::AccountPasswordChanged,
            Actor::new(account, ip),
            account,
        )
    })
}

/// An admin's (or the console's) reset: a new one-time password, which
/// its owner must replace at the next sign-in; every session ends.
pub fn reset_password(
    conn: &mut DbConn,
    cost: PasswordCost,
    account_id: &str,
    actor: Actor<'_>,
) -> Result<(Account, String), AppError> {
    let password = password::generate();
    let hash = password::hash(&password, cost)?;
    let account = db::write_transaction::<_, AppError, _>(conn, |conn| {
        let account = accounts::find_by_account_id(conn, account_id)?.ok_or(AppError::NotFound)?;
        accounts::set_password(conn, account.id, &hash, true)?;
        sessions::delete_for_account(conn, account.id)?;
        record_on(conn, Event::AccountPasswordReset, actor, &account)?;
        Ok(account)
    })?;
    Ok((account, password))
}

/// Sets (or clears, with `None`) an account's address, used at once: for
/// an admin, who vouches for it, and for an owner removing theirs.
pub fn set_email_now(
    conn: &mut DbConn,
    account_id: &str,
    email: Option<&str>,
    actor: Actor<'_>,
) -> Result<Account, AppError> {
    db::write_transaction(conn, |conn| {
        let account = accounts::find_by_account_id(conn, account_id)?.ok_or(AppError::NotFound)?;
        accounts::set_email(conn, account.id, email)?;
        record_on(conn, Event::AccountEmailChanged, actor, &account)?;
        accounts::find_by_id(conn, account.id)?.ok_or(AppError::NotFound)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_are_iana_names_with_their_abbreviation() {
        let zone = Zone::parse("Europe/Amsterdam").unwrap();
        let winter = time::macros::datetime!(2026-01-10 12:00 UTC);
        let summer = time::macros::datetime!(2026-07-10 12:00 UTC);
        assert_eq!(zone.format(winter, "%H:%M %Z").unwrap(), "13:00 CET");
        assert_eq!(zone.format(summer, "%H:%M %Z").unwrap(), "14:00 CEST");
        for bad in ["", "Mars/Olympus", "../etc/passwd", "Europe/Amsterdam "] {
            if bad.trim() == "Europe/Amsterdam" {
                continue;
            }
            assert_eq!(
                Zone::parse(bad).unwrap_err().field(),
                Some("time_zone"),
                "{bad:?}"
            );
        }
        assert!(Zone::names().contains(&"America/New_York".to_owned()));
    }

    #[test]
    fn the_browser_language_is_the_default() {
        assert_eq!(language_from_header(Some("nl-BE,nl;q=0.9,en;q=0.8")), "nl");
        assert_eq!(language_from_header(Some("de, en;q=0.5, nl;q=0.4")), "en");
        assert_eq!(language_from_header(Some("fr")), "en");
        assert_eq!(language_from_header(None), "en");
        assert_eq!(parse_language("xx").unwrap_err().field(), Some("language"));
    }

    #[test]
    fn notifications_round_trip() {
        let all =
            Notifications::from_stored("expiry_7d expiry_1d expired token_created token_leaked");
        assert!(all.expiry_7d && all.token_leaked);
        let some = Notifications::from_form(&["expired".into(), "token_created".into()]).unwrap();
        assert_eq!(Notifications::from_stored(&some.to_stored()), some);
        assert!(!some.expiry_7d && some.expired);
        assert_eq!(
            Notifications::from_form(&["spam".into()])
                .unwrap_err()
                .field(),
            Some("notify")
        );
    }

    #[test]
    fn passwords_follow_the_rules() {
        assert_eq!(
            password_problem("ada", "short", "short").unwrap().field(),
            Some("new_password")
        );
        assert_eq!(
            password_problem("adalovelace12", "AdaLovelace12", "AdaLovelace12")
                .unwrap()
                .field(),
            Some("new_password")
        );
        assert_eq!(
            password_problem("ada", "long enough pw", "long enough px")
                .unwrap()
                .field(),
            Some("confirm_password")
        );
        assert!(password_problem("ada", "long enough pw", "long enough pw").is_none());
    }

    #[test]
    fn email_addresses_are_checked() {
        assert_eq!(parse_email(" ada@example.org ").unwrap(), "ada@example.org");
        for bad in ["", "ada", "ada@", "<b>@x"] {
            assert_eq!(
                parse_email(bad).unwrap_err().field(),
                Some("email"),
                "{bad:?}"
            );
        }
    }
}
