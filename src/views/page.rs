//! What every HTML page carries: who is signed in, the CSRF token for its
//! forms and `<meta name="csrf-token">`, and a one-time flash message.

use actix_session::Session;
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, PrimitiveDateTime};

use crate::auth::guards::SignedIn;
use crate::auth::{Caller, Via};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::preferences::Zone;
use crate::views::messages::field_message;

const FLASH_KEY: &str = "flash";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Flash {
    /// `success` or `error`: styles the message.
    pub kind: String,
    pub message: String,
}

impl Flash {
    pub fn set(session: &Session, kind: &str, message: impl Into<String>) {
        // Losing a flash message is harmless; the action itself is done.
        let _ = session.insert(
            FLASH_KEY,
            Flash {
                kind: kind.to_owned(),
                message: message.into(),
            },
        );
    }

    pub fn take(session: &Session) -> Option<Flash> {
        take(session, FLASH_KEY)
    }

    pub fn is_waiting(session: &Session) -> bool {
        session.contains_key(FLASH_KEY)
    }
}

/// Removes a one-time value from the session cookie. Only when there is
/// one: any removal makes actix-session encrypt and send the cookie anew.
pub fn take<T: serde::de::DeserializeOwned>(session: &Session, key: &str) -> Option<T> {
    if !session.contains_key(key) {
        return None;
    }
    session.remove_as::<T>(key).and_then(Result::ok)
}

/// Messages beside a form's fields, each under the field's name; what is
/// about no field of the form (a taken name, the token cap) under `form`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FieldErrors(Vec<(String, String)>);

impl FieldErrors {
    /// The first error for each of `fields` beside it; the rest with the
    /// form.
    pub fn new(errors: &[AppError], fields: &[&str]) -> Self {
        let mut out = Self::default();
        for err in errors {
            let field = err.field().filter(|f| fields.contains(f)).unwrap_or("form");
            if out.of(field).is_none() {
                out.0.push((field.to_owned(), err.to_string()));
            }
        }
        out
    }

    /// The messages in `tr`'s language, those the catalogues know (see
    /// `views::messages`); the rest stay as the JSON error words them.
    pub fn translated(mut self, tr: Tr) -> Self {
        for (_, message) in &mut self.0 {
            if let Some(t) = field_message(tr, message) {
                *message = t;
            }
        }
        self
    }

    pub fn of(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct NavUser {
    pub username: String,
    pub display_name: String,
    pub is_admin: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct PageCtx {
    pub user: Option<NavUser>,
    pub title: String,
    pub csrf_token: String,
    pub flash: Option<Flash>,
    /// Which navigation entry is current.
    pub section: &'static str,
    /// The time zone every time on the page is shown in: the account's.
    #[serde(skip)]
    pub zone: Zone,
    /// The language the page speaks: `en` or `nl`.
    pub lang: &'static str,
}

impl PageCtx {
    /// A page for someone signed in, carrying their session's CSRF token,
    /// titled with the catalogue's message `title`.
    pub fn signed_in(
        title: &str,
        section: &'static str,
        session: &Session,
        user: &SignedIn,
    ) -> Self {
        Self::new(
            title,
            section,
            session,
            Some(&user.0),
            user.csrf_token(),
            language(user),
        )
    }

    /// A page titled with the catalogue's message `title` in `lang`.
    pub fn new(
        title: &str,
        section: &'static str,
        session: &Session,
        caller: Option<&Caller>,
        csrf_token: &str,
        lang: &'static str,
    ) -> Self {
        Self {
            title: Tr(lang).t(title),
            lang,
            csrf_token: csrf_token.to_owned(),
            user: caller.map(|c| NavUser {
                username: c.account.username.clone(),
                display_name: c.account.display_name.clone(),
                is_admin: c.account.is_admin(),
            }),
            flash: Flash::take(session),
            section,
            zone: caller.map_or_else(Zone::utc, |c| Zone::of(&c.account)),
        }
    }

    /// The page under a title made of more than a message.
    pub fn retitled(mut self, title: impl FnOnce(Tr) -> String) -> Self {
        self.title = title(self.tr());
        self
    }

    pub fn tr(&self) -> Tr {
        Tr(self.lang)
    }

    /// The catalogue's message `key` in the page's language: what
    /// templates write as `{{ ctx.t("key") }}`.
    pub fn t(&self, key: impl AsRef<str>) -> String {
        self.tr().t(key.as_ref())
    }

    /// An RFC 3339 time as [`human_date`] writes it, in the page's zone
    /// and language.
    pub fn date(&self, rfc3339: &str) -> String {
        human_date_in(rfc3339, &self.zone, self.tr())
    }

    /// How far a time is from now, in the page's language.
    pub fn relative(&self, rfc3339: &str) -> String {
        match OffsetDateTime::parse(rfc3339, &Rfc3339) {
            Ok(at) => relative_in(at, OffsetDateTime::now_utc(), self.tr()),
            Err(_) => String::new(),
        }
    }

    /// `key`, or `fallback` where the catalogues have no such message.
    pub fn t_or(&self, key: impl AsRef<str>, fallback: &str) -> String {
        self.tr()
            .try_t(key.as_ref())
            .unwrap_or_else(|| fallback.to_owned())
    }

    /// A table's column names (English, as the views list them) in the
    /// page's language; the empty name of the actions column stays empty.
    pub fn columns<S: AsRef<str>>(&self, names: Vec<S>) -> Vec<String> {
        names
            .iter()
            .map(|n| match n.as_ref() {
                "" => String::new(),
                n => self.t_or(format!("col-{}", n.to_lowercase().replace(' ', "-")), n),
            })
            .collect()
    }

    /// The messages `keys` in the page's language; an empty key (a
    /// table's actions column) stays empty.
    pub fn messages(&self, keys: Vec<&str>) -> Vec<String> {
        keys.into_iter()
            .map(|k| {
                if k.is_empty() {
                    String::new()
                } else {
                    self.t(k)
                }
            })
            .collect()
    }

    /// `key` with one argument: `{{ ctx.t1("key", "name", value) }}`.
    pub fn t1(&self, key: &str, name: &'static str, value: impl std::fmt::Display) -> String {
        self.tr().t1(key, name, value)
    }

    /// `key` with two arguments.
    pub fn t2(
        &self,
        key: &str,
        name: &'static str,
        value: impl std::fmt::Display,
        name2: &'static str,
        value2: impl std::fmt::Display,
    ) -> String {
        self.tr().t2(key, name, value, name2, value2)
    }
}

/// The language of `user`'s pages: what their session settled on.
pub fn language(user: &SignedIn) -> &'static str {
    match &user.0.via {
        Via::Session { language, .. } => language,
        Via::Token { .. } => Tr::chosen(user.0.account.language.as_deref(), "en").code(),
    }
}

/// A timestamp as RFC 3339 in UTC, as every JSON answer writes times.
pub fn rfc3339(at: PrimitiveDateTime) -> String {
    at.assume_utc().format(&Rfc3339).unwrap_or_default()
}

/// "Nov 23, 2026, 16:32 CET" for an RFC 3339 time, in `zone` with its
/// abbreviation; the exact time, to the second, goes in a title.
pub fn human_date(rfc3339: &str, zone: &Zone) -> String {
    in_zone(rfc3339, zone, "%b %-d, %Y, %H:%M %Z")
}

/// [`human_date`] in `tr`'s language: "3 nov. 2026, 16:32 CET" in Dutch.
pub fn human_date_in(rfc3339: &str, zone: &Zone, tr: Tr) -> String {
    if tr.code() == "en" {
        return human_date(rfc3339, zone);
    }
    let made = in_zone(rfc3339, zone, "%-d|%m|%Y, %H:%M %Z");
    let mut parts = made.splitn(3, '|');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(day), Some(month), Some(rest)) => {
            format!("{day} {} {rest}", tr.t(&format!("month-{month}")))
        }
        _ => made,
    }
}

/// [`relative_to`] in `tr`'s language.
fn relative_in(at: OffsetDateTime, now: OffsetDateTime, tr: Tr) -> String {
    if tr.code() == "en" {
        return relative_to(at, now);
    }
    let gap = at - now;
    let secs = gap.whole_seconds().unsigned_abs();
    let (n, unit) = match secs {
        0..60 => return tr.t("rel-now"),
        60..3_600 => (secs / 60, "minute"),
        3_600..86_400 => (secs / 3_600, "hour"),
        86_400..5_184_000 => (secs / 86_400, "day"),
        5_184_000..63_072_000 => (secs / 2_592_000, "month"),
        _ => (secs / 31_536_000, "year"),
    };
    let when = if gap.is_positive() { "in" } else { "ago" };
    tr.t1(&format!("rel-{when}-{unit}"), "n", n)
}

/// How far a time is from now, for people: "in 5 days", "2 hours ago",
/// "just now"; empty for what cannot be read.
pub fn relative(rfc3339: &str) -> String {
    match OffsetDateTime::parse(rfc3339, &Rfc3339) {
        Ok(at) => relative_to(at, OffsetDateTime::now_utc()),
        Err(_) => String::new(),
    }
}

fn relative_to(at: OffsetDateTime, now: OffsetDateTime) -> String {
    let gap = at - now;
    let secs = gap.whole_seconds().unsigned_abs();
    let (n, unit) = match secs {
        0..60 => return "just now".to_owned(),
        60..3_600 => (secs / 60, "minute"),
        3_600..86_400 => (secs / 3_600, "hour"),
        86_400..5_184_000 => (secs / 86_400, "day"),
        5_184_000..63_072_000 => (secs / 2_592_000, "month"),
        _ => (secs / 31_536_000, "year"),
    };
    let plural = if n == 1 { "" } else { "s" };
    if gap.is_positive() {
        format!("in {n} {unit}{plural}")
    } else {
        format!("{n} {unit}{plural} ago")
    }
}

/// "2026-11-23 17:32:46 CET", for hovering over a date.
pub fn exact_time(rfc3339: &str, zone: &Zone) -> String {
    in_zone(rfc3339, zone, "%Y-%m-%d %H:%M:%S %Z")
}

fn in_zone(rfc3339: &str, zone: &Zone, pattern: &str) -> String {
    OffsetDateTime::parse(rfc3339, &Rfc3339)
        .ok()
        .and_then(|t| zone.format(t, pattern))
        .unwrap_or_else(|| rfc3339.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_times_read_well() {
        let now = time::macros::datetime!(2026-12-04 12:00:00 UTC);
        let at = |d: time::Duration| relative_to(now + d, now);
        assert_eq!(at(time::Duration::seconds(30)), "just now");
        assert_eq!(at(time::Duration::hours(-2)), "2 hours ago");
        assert_eq!(at(time::Duration::days(5)), "in 5 days");
        assert_eq!(at(time::Duration::minutes(1)), "in 1 minute");
        assert_eq!(at(time::Duration::days(90)), "in 3 months");
        assert_eq!(at(time::Duration::days(-800)), "2 years ago");
        assert_eq!(relative("garbage"), "");
    }

    #[test]
    fn dates_read_well_in_dutch() {
        let nl = Tr("nl");
        let utc = Zone::utc();
        assert_eq!(
            human_date_in("2026-11-03T16:32:46Z", &utc, nl),
            "3 nov. 2026, 16:32 UTC"
        );
        assert_eq!(
            human_date_in("2026-05-13T06:02:00Z", &utc, nl),
            "13 mei 2026, 06:02 UTC"
        );
        assert_eq!(human_date_in("garbage", &utc, nl), "garbage");
        let now = time::macros::datetime!(2026-12-04 12:00:00 UTC);
        let at = |d: time::Duration| relative_in(now + d, now, nl);
        assert_eq!(at(time::Duration::seconds(30)), "zojuist");
        assert_eq!(at(time::Duration::hours(-2)), "2 uur geleden");
        assert_eq!(at(time::Duration::days(5)), "over 5 dagen");
        assert_eq!(at(time::Duration::days(1)), "over 1 dag");
        assert_eq!(at(time::Duration::days(-800)), "2 jaar geleden");
        assert_eq!(relative_in(now, now, Tr("en")), "just now");
    }

    #[test]
    fn dates_read_well() {
        let utc = Zone::utc();
        let ny = Zone::parse("America/New_York").unwrap();
        let cases = [
            (
                human_date("2026-11-03T16:32:46Z", &utc),
                "Nov 3, 2026, 16:32 UTC",
            ),
            (
                exact_time("2026-11-03T16:32:46Z", &utc),
                "2026-11-03 16:32:46 UTC",
            ),
            (human_date("garbage", &utc), "garbage"),
            (
                human_date("2026-11-03T16:32:46Z", &ny),
                "Nov 3, 2026, 11:32 EST",
            ),
            (
                exact_time("2026-07-03T16:32:46Z", &ny),
                "2026-07-03 12:32:46 EDT",
            ),
        ];
        for (got, want) in cases {
            assert_eq!(got, want);
        }
    }
}
