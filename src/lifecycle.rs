//! The life of a token after its creation (SPEC section 9): its
//! description, edits that may only narrow it, a new secret with a grace
//! period for the old one, revoking all of an account's tokens at once,
//! finding tokens in a list, and tokens reported leaked. Each change is one
//! transaction with its audit entries, as in `crate::actions`.

use std::collections::HashMap;

use serde::Deserialize;
use time::PrimitiveDateTime;
use time::format_description::well_known::Rfc3339;

use crate::actions::{self, Actor, Reach, max_token_lifetime_days, whole_number};
use crate::config::Config;
use crate::db::models::accounts::{self, Account};
use crate::db::models::audit::Event;
use crate::db::models::tokens::{self as token_db, ApiToken, TokenChanges, TokenStatus};
use crate::db::models::usage;
use crate::db::{self, DbConn};
use crate::error::AppError;
use crate::keys;
use crate::restrictions::{AllowedIps, parse_rate_limit};
use crate::tokens::{Label, Lifetime, PlainToken, ScopeSet};

/// What a token is for, beyond its label: up to 1000 characters, line
/// breaks allowed, other control characters not. Empty is none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Description(String);

impl Description {
    pub const MAX_CHARS: usize = 1000;

    pub fn parse(s: &str) -> Result<Self, AppError> {
        let s = s.trim();
        if s.chars().count() > Self::MAX_CHARS {
            return Err(AppError::invalid(
                "description",
                format!("a description is at most {} characters", Self::MAX_CHARS),
            ));
        }
        if s.chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
        {
            return Err(AppError::invalid(
                "description",
                "a description cannot contain control characters",
            ));
        }
        Ok(Self(s.replace("\r\n", "\n")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `PATCH /profile/tokens/{id}.json` and the edit form: what to change.
/// Absent fields stay as they are; a token may only be narrowed.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = TokenEdit)]
pub struct TokenEdit {
    #[schema(min_length = 1, max_length = 100)]
    pub label: Option<String>,
    #[schema(max_length = 1000)]
    pub description: Option<String>,
    /// Only scopes the token holds: scopes can be taken away, not added.
    #[schema(value_type = Option<Vec<crate::tokens::Scope>>, min_items = 1)]
    pub scopes: Option<Vec<String>>,
    /// An earlier expiry than the token has (RFC 3339, in the future);
    /// null (never) is refused for a token that expires.
    #[schema(value_type = Option<String>, format = DateTime, nullable = true)]
    #[serde(default, deserialize_with = "present")]
    pub expires_at: Option<Option<String>>,
    /// Replaces where the token may be used from: up to 20 IPv4/IPv6
    /// addresses or CIDR ranges; an empty list: anywhere.
    #[schema(value_type = Option<Vec<crate::restrictions::AllowedIpSchema>>, max_items = 20, example = json!(["203.0.113.0/24"]))]
    #[serde(default)]
    pub allowed_ips: Option<Vec<String>>,
    /// Replaces the rate limit, 1-100000 requests per minute; null removes
    /// it.
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 100000, nullable = true)]
    #[serde(default, deserialize_with = "present_number")]
    pub rate_limit_per_minute: Option<Option<i64>>,
}

/// A whole number that is present, null or not: `Some(None)` is an
/// explicit null.
fn present_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    whole_number(d).map(Some)
}

/// A field that is present, null or not: `Some(None)` is an explicit null.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// Parses an RFC 3339 time into UTC, to the second.
pub fn parse_time(field: &str, s: &str) -> Result<PrimitiveDateTime, AppError> {
    let at = time::OffsetDateTime::parse(s, &Rfc3339).map_err(|_| {
        AppError::invalid(
            field,
            "expected a time in RFC 3339, e.g. 2027-01-31T12:00:00Z",
        )
    })?;
    let at = at.to_offset(time::UtcOffset::UTC);
    let at = at.replace_nanosecond(0).unwrap_or(at);
    Ok(PrimitiveDateTime::new(at.date(), at.time()))
}

/// An edit of `token` checked against it at `now`: what changes, by field
/// name. Scopes can only shrink and expiry only come earlier.
fn narrowing(
    token: &ApiToken,
    edit: &TokenEdit,
    now: PrimitiveDateTime,
) -> Result<Narrowed, AppError> {
    let mut out = Narrowed::default();
    if let Some(label) = &edit.label {
        let label = Label::parse(label).map_err(|m| AppError::invalid("label", m))?;
        if label.as_str() != token.label {
            out.label = Some(label.into_inner());
        }
    }
    if let Some(description) = &edit.description {
        let description = Description::parse(description)?;
        if description.as_str() != token.description {
            out.description = Some(description.0);
        }
    }
    if let Some(scopes) = &edit.scopes {
        let asked = ScopeSet::parse_list(scopes).map_err(|m| AppError::invalid("scopes", m))?;
        let held = token.scope_set();
        if let Some(extra) = asked.names().into_iter().find(|n| !held.contains_name(n)) {
            return Err(AppError::invalid(
                "scopes",
                format!("scopes can only be removed, not added ({extra} is not on this token)"),
            ));
        }
        if asked != held {
            out.scopes = Some(asked.to_stored());
        }
    }
    if let Some(expires_at) = &edit.expires_at {
        let Some(raw) = expires_at else {
            if token.expires_at.is_some() {
                return Err(AppError::invalid(
                    "expires_at",
                    "an expiry can be brought earlier, not removed",
                ));
            }
            return Ok(out);
        };
        let at = parse_time("expires_at", raw)?;
        if at <= now {
            return Err(AppError::invalid(
                "expires_at",
                "choose a time in the future (deactivate or delete the token to stop it now)",
            ));
        }
        if token.expires_at.is_some_and(|current| at > current) {
            return Err(AppError::invalid(
                "expires_at",
                "an expiry can only be brought earlier",
            ));
        }
        if token.expires_at != Some(at) {
            out.expires_at = Some(at);
        }
    }
    // The restrictions are the owner's to set as they like (SPEC §9): the
    // token holds no more scopes for being reachable from elsewhere.
    if let Some(ips) = &edit.allowed_ips {
        let ips = AllowedIps::parse(ips).map_err(|m| AppError::invalid("allowed_ips", m))?;
        let stored = ips.to_stored();
        if stored != token.allowed_ips {
            out.allowed_ips = Some(stored);
        }
    }
    if let Some(rate) = edit.rate_limit_per_minute {
        let rate =
            parse_rate_limit(rate).map_err(|m| AppError::invalid("rate_limit_per_minute", m))?;
        if rate != token.rate_limit_per_minute {
            out.rate_limit_per_minute = Some(rate);
        }
    }
    Ok(out)
}

#[derive(Debug, Default)]
struct Narrowed {
    label: Option<String>,
    description: Option<String>,
    scopes: Option<String>,
    expires_at: Option<PrimitiveDateTime>,
    allowed_ips: Option<String>,
    rate_limit_per_minute: Option<Option<i32>>,
}

impl Narrowed {
    fn field_names(&self) -> Vec<&'static str> {
        [
            ("label", self.label.is_some()),
            ("description", self.description.is_some()),
            ("scopes", self.scopes.is_some()),
            ("expires_at", self.expires_at.is_some()),
            ("allowed_ips", self.allowed_ips.is_some()),
            (
                "rate_limit_per_minute",
                self.rate_limit_per_minute.is_some(),
            ),
        ]
        .into_iter()
        .filter_map(|(name, changed)| changed.then_some(name))
        .collect()
    }
}

/// Applies an edit that narrows token `id`; the token afterwards and its
/// owner's public id. Audited as `token.updated` with the changed fields;
/// an edit that changes nothing records nothing.
pub fn edit_token(
    conn: &mut DbConn,
    reach: Reach,
    id: i64,
    edit: &TokenEdit,
    actor: Actor<'_>,
) -> Result<(ApiToken, String), AppError> {
    db::write_transaction(conn, |conn| {
        let (token, owner) = actions::find_token(conn, reach, id)?;
        let changes = narrowing(&token, edit, db::now())?;
        let fields = changes.field_names();
        if fields.is_empty() {
            return Ok((token, owner));
        }
        token_db::update(
            conn,
            id,
            &TokenChanges {
                label: changes.label.as_deref(),
                description: changes.description.as_deref(),
                scopes: changes.scopes.as_deref(),
                expires_at: changes.expires_at.map(Some),
                allowed_ips: changes.allowed_ips.as_deref(),
                rate_limit_per_minute: changes.rate_limit_per_minute,
            },
        )?;
        actions::record_detail(
            conn,
            Event::TokenUpdated,
            actor,
            Some(&owner),
            Some(&token.prefix),
            Some(&fields.join(", ")),
        )?;
        let token = token_db::find(conn, id)?.ok_or(AppError::NotFound)?;
        Ok((token, owner))
    })
}

/// The grace periods a regeneration offers, in hours: none, 1 hour, 24
/// hours, 7 days.
pub const GRACE_HOURS: [i64; 4] = [0, 1, 24, 168];

/// `POST /profile/tokens/{id}/regenerate.json`; both optional.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Regenerate)]
pub struct RegenerateRequest {
    /// How long the old secret keeps working: 0 (default), 1, 24 or 168.
    #[serde(default, deserialize_with = "whole_number")]
    pub grace_period_hours: Option<i64>,
    /// A new expiry, in hours from now (0: never); absent: the token keeps
    /// its expiry.
    #[schema(minimum = 0, maximum = 87600)]
    #[serde(default, deserialize_with = "whole_number")]
    pub expires_in_hours: Option<i64>,
}

impl RegenerateRequest {
    fn grace(&self) -> Result<i64, AppError> {
        let hours = self.grace_period_hours.unwrap_or(0);
        if GRACE_HOURS.contains(&hours) {
            Ok(hours)
        } else {
            Err(AppError::invalid(
                "grace_period_hours",
                "choose 0 (none), 1, 24 or 168 hours",
            ))
        }
    }
}

/// Gives token `id` a new secret, keeping its id, label, scopes and
/// restrictions. The old secret keeps working for the grace period asked
/// (on every instance: its hash is stored beside the new one). Audited as
/// `token.regenerated` under the new prefix, the old one in the detail.
pub fn regenerate_token(
    conn: &mut DbConn,
    config: &Config,
    reach: Reach,
    id: i64,
    request: &RegenerateRequest,
    actor: Actor<'_>,
) -> Result<(ApiToken, PlainToken, String), AppError> {
    let grace = request.grace()?;
    let lifetime = request
        .expires_in_hours
        .map(|hours| {
            Lifetime::parse(Some(hours), max_token_lifetime_days(conn, config)?)
                .map_err(|m| AppError::invalid("expires_in_hours", m))
        })
        .transpose()?;
    let plain = PlainToken::generate();
    let hash = plain.hash(&config.secret_key);
    db::write_transaction(conn, |conn| {
        let (token, owner) = actions::find_token(conn, reach, id)?;
        let now = db::now();
        let old_hash = token_db::hash_of(conn, id)?;
        let until = now + time::Duration::hours(grace);
        let previous = (grace > 0).then_some((old_hash.as_slice(), until));
        let expires_at = match lifetime {
            Some(lifetime) => lifetime.hours().map(|h| now + time::Duration::hours(h)),
            None => token.expires_at,
        };
        token_db::set_secret(
            conn,
            id,
            plain.prefix(),
            hash.as_bytes(),
            &keys::fingerprint(&config.secret_key),
            previous,
            expires_at,
        )?;
        let detail = match previous {
            Some(_) => format!(
                "replaced {}; the old secret works until {}",
                token.prefix,
                crate::views::page::rfc3339(until)
            ),
            None => format!("replaced {}", token.prefix),
        };
        actions::record_detail(
            conn,
            Event::TokenRegenerated,
            actor,
            Some(&owner),
            Some(plain.prefix()),
            Some(&detail),
        )?;
        let token = token_db::find(conn, id)?.ok_or(AppError::NotFound)?;
        Ok((token, plain, owner))
    })
}

/// Deletes every token of `owner`, one audit entry each; how many.
pub fn delete_all_tokens(
    conn: &mut DbConn,
    owner: &Account,
    actor: Actor<'_>,
) -> Result<usize, AppError> {
    db::write_transaction(conn, |conn| {
        accounts::lock(conn, owner.id)?;
        let deleted = token_db::delete_for_account(conn, owner.id)?;
        for token in &deleted {
            actions::record(
                conn,
                Event::TokenDeleted,
                actor,
                Some(&owner.account_id),
                Some(&token.prefix),
            )?;
        }
        Ok(deleted.len())
    })
}

/// A token's page: the token, its owner, and what its uses left behind.
pub struct TokenRecord {
    pub token: ApiToken,
    pub owner: Account,
    /// Uses per day (`YYYY-MM-DD`) over the last [`USAGE_DAYS`] days.
    pub days: Vec<(String, i64)>,
    pub ips: Vec<(String, PrimitiveDateTime)>,
    pub user_agent: Option<String>,
}

/// The days the token page's chart covers, today included.
pub const USAGE_DAYS: i64 = 30;

/// Token `id` as `reach` sees it, with its usage.
pub fn token_record(conn: &mut DbConn, reach: Reach, id: i64) -> Result<TokenRecord, AppError> {
    let (token, _) = actions::find_token(conn, reach, id)?;
    let owner = accounts::find_by_id(conn, token.account_id)?.ok_or(AppError::NotFound)?;
    let now = db::now();
    let first = now.date() - time::Duration::days(USAGE_DAYS - 1);
    let days = usage::days_since(conn, id, &first.to_string())?;
    let since = PrimitiveDateTime::new(first, time::Time::MIDNIGHT);
    let ips = usage::ips_since(conn, id, since, crate::usage::MAX_IPS as i64)?;
    let user_agent = usage::last_user_agent(conn, id)?;
    Ok(TokenRecord {
        token,
        owner,
        days,
        ips,
        user_agent,
    })
}

/// How a token list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ListSort {
    #[default]
    Created,
    LastUsed,
    Expires,
    Label,
}

/// `?sort=&order=&status=&q=` of a token list. Other parameters (such as
/// `api_token`) are not the list's and are left alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    pub sort: ListSort,
    /// `None`: the sort's natural order (newest, most recent, soonest, A-Z).
    pub descending: Option<bool>,
    pub status: Option<TokenStatus>,
    pub q: String,
}

impl ListQuery {
    pub fn parse(query: &str) -> Result<Self, AppError> {
        let pairs: HashMap<String, String> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let get = |name: &str| {
            pairs
                .get(name)
                .map(String::as_str)
                .filter(|v| !v.is_empty())
        };
        let sort = match get("sort") {
            None | Some("created") => ListSort::Created,
            Some("last_used") => ListSort::LastUsed,
            Some("expires") => ListSort::Expires,
            Some("label") => ListSort::Label,
            Some(_) => {
                return Err(AppError::invalid(
                    "sort",
                    "sort by created, last_used, expires or label",
                ));
            }
        };
        let descending = match get("order") {
            None => None,
            Some("asc") => Some(false),
            Some("desc") => Some(true),
            Some(_) => return Err(AppError::invalid("order", "order is asc or desc")),
        };
        let status = get("status")
            .map(|s| {
                TokenStatus::parse(s).ok_or_else(|| {
                    AppError::invalid("status", "status is active, deactivated or expired")
                })
            })
            .transpose()?;
        let q = get("q").unwrap_or("").trim().to_owned();
        if q.chars().count() > Label::MAX_CHARS {
            return Err(AppError::invalid("q", "search for at most 100 characters"));
        }
        Ok(Self {
            sort,
            descending,
            status,
            q,
        })
    }

    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// A stable spelling, for the responses kept per view.
    pub fn key(&self) -> String {
        format!(
            "{:?} {:?} {:?} {}",
            self.sort, self.descending, self.status, self.q
        )
    }

    /// The rows this view shows, in its order.
    pub fn apply<'a>(&self, rows: &'a [ApiToken], now: PrimitiveDateTime) -> Vec<&'a ApiToken> {
        let needle = self.q.to_lowercase();
        let mut shown: Vec<&ApiToken> = rows
            .iter()
            .filter(|t| self.status.is_none_or(|s| t.status(now) == s))
            .filter(|t| needle.is_empty() || t.label.to_lowercase().contains(&needle))
            .collect();
        let natural_desc = matches!(self.sort, ListSort::Created | ListSort::LastUsed);
        let desc = self.descending.unwrap_or(natural_desc);
        // Rows without the value (never used, never expiring) go last
        // either way; ties keep the newest first.
        shown.sort_by(|a, b| {
            use std::cmp::Ordering;
            let by = |x: Option<PrimitiveDateTime>, y: Option<PrimitiveDateTime>| match (x, y) {
                (Some(x), Some(y)) if desc => y.cmp(&x),
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            };
            let primary = match self.sort {
                ListSort::Created => by(Some(a.created_at), Some(b.created_at)),
                ListSort::LastUsed => by(a.last_used_at, b.last_used_at),
                ListSort::Expires => by(a.expires_at, b.expires_at),
                ListSort::Label => {
                    let o = a.label.to_lowercase().cmp(&b.label.to_lowercase());
                    if desc { o.reverse() } else { o }
                }
            };
            primary.then_with(|| b.id.cmp(&a.id))
        });
        shown
    }
}

/// The most tokens one leak report may carry.
pub const MAX_LEAKED: usize = 100;

/// `POST /leaks.json`, as a secret-scanning service sends it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[schema(as = LeakReport)]
pub struct LeakReport {
    /// The strings found, up to 100.
    #[schema(max_items = 100)]
    pub tokens: Vec<String>,
    /// Where they were found.
    #[schema(max_length = 2000, pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$")]
    #[serde(default)]
    pub url: Option<String>,
    /// Who found them.
    #[schema(max_length = 2000, pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$")]
    #[serde(default)]
    pub source: Option<String>,
}

const MAX_REPORT_TEXT: usize = 2000;

impl LeakReport {
    pub fn check(&self) -> Result<(), AppError> {
        if self.tokens.len() > MAX_LEAKED {
            return Err(AppError::invalid(
                "tokens",
                format!("at most {MAX_LEAKED} tokens per report"),
            ));
        }
        for (field, value) in [("url", &self.url), ("source", &self.source)] {
            if value.as_deref().is_some_and(|v| {
                v.chars().count() > MAX_REPORT_TEXT || v.chars().any(char::is_control)
            }) {
                return Err(AppError::invalid(
                    field,
                    format!("at most {MAX_REPORT_TEXT} characters, no control characters"),
                ));
            }
        }
        Ok(())
    }
}

/// Deletes each live token of the report, audited as `token.leaked` with
/// the URL, and leaves its owner a notice for their next visit. What was
/// found is not returned: the reporter must not learn which were real.
pub fn report_leaks(
    conn: &mut DbConn,
    config: &Config,
    report: &LeakReport,
    ip: Option<&str>,
) -> Result<(), AppError> {
    // Under every configured key: a token not used since a key rotation
    // still has its hash under an older one (`crate::keys`).
    let mut hashes: Vec<_> = report
        .tokens
        .iter()
        .filter_map(|raw| PlainToken::parse(raw.trim()).ok())
        .flat_map(|plain| config.keys().map(move |key| plain.hash(key)))
        .collect();
    hashes.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    hashes.dedup_by(|a, b| a.as_bytes() == b.as_bytes());
    let url = report.url.as_deref().unwrap_or("");
    let actor = Actor { account: None, ip };
    db::write_transaction(conn, |conn| {
        let now = db::now();
        for hash in &hashes {
            let Some((token, owner)) = token_db::find_live_by_hash(conn, hash, now)? else {
                continue;
            };
            token_db::delete(conn, token.id)?;
            actions::record_detail(
                conn,
                Event::TokenLeaked,
                actor,
                Some(&owner.account_id),
                Some(&token.prefix),
                Some(url),
            )?;
            let place = match url {
                "" => String::new(),
                url => format!(" at {url}"),
            };
            let by = report
                .source
                .as_deref()
                .map(|s| format!(" by {s}"))
                .unwrap_or_default();
            let line = format!(
                "Your token “{}” ({}…) was found published{place}{by} and has been deleted. Generate a new one where it was used.",
                token.label, token.prefix
            );
            accounts::add_leak_notice(conn, owner.id, &line)?;
            // And by mail, when the owner wants it (sent by the scheduler
            // once this transaction commits).
            crate::notices::leaked(conn, config, &token, (!url.is_empty()).then_some(url))?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn token(scopes: &str, expires_at: Option<PrimitiveDateTime>) -> ApiToken {
        ApiToken {
            label: "ci".into(),
            ..ApiToken::example(1, scopes, expires_at)
        }
    }

    const NOW: PrimitiveDateTime = datetime!(2026-06-01 00:00:00);

    fn edit(json: &str) -> TokenEdit {
        serde_json::from_str(json).unwrap()
    }

    fn field(e: AppError) -> String {
        e.field().unwrap().to_owned()
    }

    #[test]
    fn scopes_can_only_be_removed() {
        let t = token("profile:read tokens:read", None);
        let out = narrowing(&t, &edit(r#"{"scopes":["tokens:read"]}"#), NOW).unwrap();
        assert_eq!(out.scopes.as_deref(), Some("tokens:read"));
        let e = narrowing(&t, &edit(r#"{"scopes":["tokens:write"]}"#), NOW).unwrap_err();
        assert_eq!(field(e), "scopes");
        let e = narrowing(&t, &edit(r#"{"scopes":[]}"#), NOW).unwrap_err();
        assert_eq!(field(e), "scopes");
    }

    #[test]
    fn expiry_can_only_come_earlier() {
        let t = token("tokens:read", Some(datetime!(2026-07-01 00:00:00)));
        let out = narrowing(&t, &edit(r#"{"expires_at":"2026-06-15T00:00:00Z"}"#), NOW).unwrap();
        assert_eq!(out.expires_at, Some(datetime!(2026-06-15 00:00:00)));
        for later in [
            r#"{"expires_at":"2026-08-01T00:00:00Z"}"#,
            r#"{"expires_at":null}"#,
            r#"{"expires_at":"2026-05-01T00:00:00Z"}"#,
            r#"{"expires_at":"tomorrow"}"#,
        ] {
            let e = narrowing(&t, &edit(later), NOW).unwrap_err();
            assert_eq!(field(e), "expires_at", "{later}");
        }
        // A token that never expires may be given an expiry.
        let never = token("tokens:read", None);
        assert!(
            narrowing(
                &never,
                &edit(r#"{"expires_at":"2027-01-01T00:00:00+02:00"}"#),
                NOW
            )
            .is_ok()
        );
        assert!(
            narrowing(&never, &edit(r#"{"expires_at":null}"#), NOW)
                .unwrap()
                .field_names()
                .is_empty()
        );
    }

    #[test]
    fn only_changed_fields_are_named() {
        let t = token("tokens:read", None);
        let out = narrowing(&t, &edit(r#"{"label":"ci","description":"deploys"}"#), NOW).unwrap();
        assert_eq!(out.field_names(), ["description"]);
    }

    #[test]
    fn list_queries_name_the_bad_parameter() {
        for (q, field) in [
            ("sort=size", "sort"),
            ("order=up", "order"),
            ("status=gone", "status"),
        ] {
            assert_eq!(ListQuery::parse(q).unwrap_err().field(), Some(field), "{q}");
        }
        let q = ListQuery::parse("sort=label&order=desc&status=active&q=CI&api_token=x").unwrap();
        assert_eq!(q.sort, ListSort::Label);
        assert_eq!(q.descending, Some(true));
        assert!(ListQuery::parse("").unwrap().is_default());
    }
}
