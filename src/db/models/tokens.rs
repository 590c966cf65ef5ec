use diesel::prelude::*;
use time::PrimitiveDateTime;

use crate::db::changes;
use crate::db::connection::DbConn;
use crate::db::models::accounts::Account;
use crate::db::schema::{accounts, api_tokens};
use crate::db::timestamps::{MaybeStamp, Stamp};
use crate::tokens::{ScopeSet, TokenHash};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = api_tokens)]
pub struct ApiToken {
    pub id: i64,
    pub account_id: i64,
    pub label: String,
    pub prefix: String,
    pub scopes: String,
    pub active: bool,
    #[diesel(deserialize_as = Stamp)]
    pub created_at: PrimitiveDateTime,
    #[diesel(deserialize_as = MaybeStamp)]
    pub expires_at: Option<PrimitiveDateTime>,
    #[diesel(deserialize_as = MaybeStamp)]
    pub last_used_at: Option<PrimitiveDateTime>,
    pub last_used_ip: Option<String>,
    /// The networks it may be used from, separated by spaces; empty:
    /// anywhere (`auth::restrict`).
    pub allowed_ips: String,
    pub rate_limit_per_minute: Option<i32>,
    pub description: String,
    /// After a regeneration with a grace period: the HMAC of the secret it
    /// replaced, which works until `previous_valid_until`.
    pub previous_hash: Option<Vec<u8>>,
    #[diesel(deserialize_as = MaybeStamp)]
    pub previous_valid_until: Option<PrimitiveDateTime>,
}

impl ApiToken {
    /// A token of account 1 for unit tests: active, never used.
    #[cfg(test)]
    pub fn example(id: i64, scopes: &str, expires_at: Option<PrimitiveDateTime>) -> Self {
        Self {
            id,
            account_id: 1,
            label: format!("token {id}"),
            prefix: "tsr_00000000".into(),
            scopes: scopes.into(),
            active: true,
            created_at: time::macros::datetime!(2026-01-01 00:00:00),
            expires_at,
            last_used_at: None,
            last_used_ip: None,
            allowed_ips: String::new(),
            rate_limit_per_minute: None,
            description: String::new(),
            previous_hash: None,
            previous_valid_until: None,
        }
    }
}

/// A token's status as users see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenStatus {
    Active,
    Deactivated,
    Expired,
}

impl TokenStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenStatus::Active => "active",
            TokenStatus::Deactivated => "deactivated",
            TokenStatus::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Active, Self::Deactivated, Self::Expired]
            .into_iter()
            .find(|st| st.as_str() == s)
    }
}

impl ApiToken {
    pub fn scope_set(&self) -> ScopeSet {
        ScopeSet::from_stored(&self.scopes)
    }

    pub fn status(&self, now: PrimitiveDateTime) -> TokenStatus {
        if !self.active {
            TokenStatus::Deactivated
        } else if self.expires_at.is_some_and(|e| e <= now) {
            TokenStatus::Expired
        } else {
            TokenStatus::Active
        }
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = api_tokens)]
pub struct NewToken<'a> {
    pub account_id: i64,
    pub label: &'a str,
    pub prefix: &'a str,
    pub token_hash: &'a [u8],
    pub scopes: &'a str,
    pub active: bool,
    pub created_at: PrimitiveDateTime,
    pub expires_at: Option<PrimitiveDateTime>,
    /// The fingerprint of the key that made `token_hash`.
    pub key_id: &'a str,
    pub allowed_ips: &'a str,
    pub rate_limit_per_minute: Option<i32>,
    pub description: &'a str,
}

pub fn insert(conn: &mut DbConn, new: &NewToken<'_>) -> QueryResult<ApiToken> {
    diesel::insert_into(api_tokens::table)
        .values(new)
        // `as_returning()` does not pass through diesel's MultiConnection;
        // a column tuple does.
        .returning((
            api_tokens::id,
            api_tokens::account_id,
            api_tokens::label,
            api_tokens::prefix,
            api_tokens::scopes,
            api_tokens::active,
            api_tokens::created_at,
            api_tokens::expires_at,
            api_tokens::last_used_at,
            api_tokens::last_used_ip,
            api_tokens::allowed_ips,
            api_tokens::rate_limit_per_minute,
            api_tokens::description,
            api_tokens::previous_hash,
            api_tokens::previous_valid_until,
        ))
        .get_result(conn)
        .inspect(|_| {
            changes::mark(1);
        })
}

/// Runs a query on the backend's own connection rather than through
/// [`DbConn`], for the queries on every API call's path. diesel's
/// `MultiConnection` renders a query's SQL anew on each execution, cached
/// prepared statement or not; on the token check that rendering cost about
/// as much as the lookup (docs/PERFORMANCE.md). The query is written once
/// and compiled for each backend.
macro_rules! per_backend {
    ($conn:expr, |$c:ident| $query:expr) => {
        match $conn {
            DbConn::Sqlite($c) => $query,
            DbConn::Postgres($c) => $query,
        }
    };
}

/// A token that may be used at `now`: active, unexpired, its owner active
/// (over `api_tokens` joined with `accounts`).
#[diesel::dsl::auto_type]
fn live_at(now: PrimitiveDateTime) -> _ {
    api_tokens::active
        .eq(true)
        .and(
            api_tokens::expires_at
                .is_null()
                .or(api_tokens::expires_at.gt(now)),
        )
        .and(accounts::active.eq(true))
}

/// The token whose secret hashes to `hash`: its current secret, or the one
/// it replaced while that one's grace period lasts.
#[diesel::dsl::auto_type]
fn hashed<'a>(hash: &'a [u8], now: PrimitiveDateTime) -> _ {
    api_tokens::token_hash.eq(hash).or(api_tokens::previous_hash
        .eq(hash)
        .and(api_tokens::previous_valid_until.gt(now)))
}

/// [`hashed`] for several hashes at once.
#[diesel::dsl::auto_type]
fn hashed_any<'a>(hashes: &'a [&'a [u8]], now: PrimitiveDateTime) -> _ {
    api_tokens::token_hash
        .eq_any(hashes)
        .or(api_tokens::previous_hash
            .eq_any(hashes)
            .and(api_tokens::previous_valid_until.gt(now)))
}

impl ApiToken {
    /// Whether `hash` is the secret this token replaced, its grace period
    /// over at `now`. A row read a moment ago (`db::cache`) may have been
    /// found by that secret while it still worked.
    pub fn grace_over(&self, hash: &[u8], now: PrimitiveDateTime) -> bool {
        self.previous_hash.as_deref() == Some(hash)
            && self.previous_valid_until.is_none_or(|until| until <= now)
    }
}

/// The one query on the authentication path: a token that is active, not
/// expired, and whose owner is active, with that owner.
///
/// No `.first()`: the hash is unique, and `.first()` adds `LIMIT ?`, whose
/// bound value SQLite's planner reads, so SQLite re-prepares the statement
/// each time it is bound: a full SQL parse and plan on every API call.
pub fn find_live_by_hash(
    conn: &mut DbConn,
    hash: &TokenHash,
    now: PrimitiveDateTime,
) -> QueryResult<Option<(ApiToken, Account)>> {
    per_backend!(conn, |c| api_tokens::table
        .inner_join(accounts::table)
        .filter(hashed(hash.as_bytes(), now))
        .filter(live_at(now))
        .select((ApiToken::as_select(), Account::as_select()))
        .get_result(c)
        .optional())
}

/// [`find_live_by_hash`] for several tokens at once (the batched checks
/// of `db::batch`): each live token with its hash and its owner. On
/// PostgreSQL the hashes travel as one array, `token_hash = ANY($1)`, so
/// the statement is prepared once whatever their number.
pub fn find_live_by_hashes(
    conn: &mut DbConn,
    hashes: &[&[u8]],
    now: PrimitiveDateTime,
) -> QueryResult<Vec<(Vec<u8>, ApiToken, Account)>> {
    per_backend!(conn, |c| api_tokens::table
        .inner_join(accounts::table)
        .filter(hashed_any(hashes, now))
        .filter(live_at(now))
        .select((
            api_tokens::token_hash,
            ApiToken::as_select(),
            Account::as_select()
        ))
        .load(c))
}

/// How often a token's last use is written down.
pub const USE_RECORDED_EVERY: time::Duration = time::Duration::minutes(1);

impl ApiToken {
    /// Whether a use at `now` should be written down ([`touch`]).
    pub fn use_due(&self, now: PrimitiveDateTime) -> bool {
        self.last_used_at
            .is_none_or(|at| at <= now - USE_RECORDED_EVERY)
    }
}

/// Records a use, unless one was recorded less than a minute ago. The
/// condition is in SQL too, so concurrent requests and instances write once.
///
/// Not marked as a change (`changes::mark`): a use decides nothing about
/// any token, and marking it would empty every process's read cache once
/// a minute per token in use. The process that records it forgets its own
/// cached rows of the token (`Db::record_use`); the others read the new
/// time within `cache::MAX_AGE`.
pub fn touch(
    conn: &mut DbConn,
    id: i64,
    now: PrimitiveDateTime,
    ip: Option<&str>,
) -> QueryResult<usize> {
    let stale = now - USE_RECORDED_EVERY;
    diesel::update(
        api_tokens::table.find(id).filter(
            api_tokens::last_used_at
                .is_null()
                .or(api_tokens::last_used_at.le(stale)),
        ),
    )
    .set((
        api_tokens::last_used_at.eq(Some(now)),
        api_tokens::last_used_ip.eq(ip),
    ))
    .execute(conn)
}

/// Replaces the hash of token `id`, made with an older key, by `new` made
/// with the current key `key_id`; only while it still holds `old`, so
/// concurrent requests and instances re-hash it once.
pub fn rehash(
    conn: &mut DbConn,
    id: i64,
    old: &TokenHash,
    new: &TokenHash,
    key_id: &str,
) -> QueryResult<usize> {
    diesel::update(
        api_tokens::table
            .find(id)
            .filter(api_tokens::token_hash.eq(old.as_bytes())),
    )
    .set((
        api_tokens::token_hash.eq(new.as_bytes()),
        api_tokens::key_id.eq(key_id),
    ))
    .execute(conn)
    .map(changes::mark)
}

/// Records `key_id` as the key of every token that has none recorded (made
/// before tokens recorded their key). Only right while one key is
/// configured: a token that key did not make could not be used anyway.
pub fn record_unrecorded_keys(conn: &mut DbConn, key_id: &str) -> QueryResult<usize> {
    diesel::update(api_tokens::table.filter(api_tokens::key_id.is_null()))
        .set(api_tokens::key_id.eq(key_id))
        .execute(conn)
        .map(changes::mark)
}

/// How many tokens each key made (by fingerprint; `None`: made before
/// tokens recorded their key).
pub fn count_by_key(conn: &mut DbConn) -> QueryResult<Vec<(Option<String>, i64)>> {
    api_tokens::table
        .group_by(api_tokens::key_id)
        .select((api_tokens::key_id, diesel::dsl::count_star()))
        .order_by(api_tokens::key_id)
        .load(conn)
}

/// Notes a use refused for its address, unless one was noted less than a
/// minute ago (in SQL, so instances agree); whether this call noted it and
/// should audit it. No cached row shows this column: nothing to invalidate.
pub fn note_ip_refused(conn: &mut DbConn, id: i64, now: PrimitiveDateTime) -> QueryResult<bool> {
    let stale = now - USE_RECORDED_EVERY;
    diesel::update(
        api_tokens::table.find(id).filter(
            api_tokens::ip_refused_at
                .is_null()
                .or(api_tokens::ip_refused_at.le(stale)),
        ),
    )
    .set(api_tokens::ip_refused_at.eq(Some(now)))
    .execute(conn)
    .map(|n| n == 1)
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Option<ApiToken>> {
    api_tokens::table
        .find(id)
        .select(ApiToken::as_select())
        .first(conn)
        .optional()
}

/// A token only if it belongs to `account_id`: another account's token is
/// indistinguishable from a missing one.
pub fn find_owned(conn: &mut DbConn, account_id: i64, id: i64) -> QueryResult<Option<ApiToken>> {
    api_tokens::table
        .find(id)
        .filter(api_tokens::account_id.eq(account_id))
        .select(ApiToken::as_select())
        .first(conn)
        .optional()
}

pub fn list_for_account(conn: &mut DbConn, account_id: i64) -> QueryResult<Vec<ApiToken>> {
    per_backend!(conn, |c| api_tokens::table
        .filter(api_tokens::account_id.eq(account_id))
        .select(ApiToken::as_select())
        .order((api_tokens::created_at.desc(), api_tokens::id.desc()))
        .load(c))
}

/// [`list_for_account`] for several accounts at once, grouped by account
/// (in no particular order of accounts), each newest first.
pub fn list_for_accounts(conn: &mut DbConn, account_ids: &[i64]) -> QueryResult<Vec<ApiToken>> {
    per_backend!(conn, |c| api_tokens::table
        .filter(api_tokens::account_id.eq_any(account_ids))
        .select(ApiToken::as_select())
        .order((
            api_tokens::account_id,
            api_tokens::created_at.desc(),
            api_tokens::id.desc()
        ))
        .load(c))
}

pub fn count_for_account(conn: &mut DbConn, account_id: i64) -> QueryResult<i64> {
    api_tokens::table
        .filter(api_tokens::account_id.eq(account_id))
        .count()
        .get_result(conn)
}

pub fn set_active(conn: &mut DbConn, id: i64, active: bool) -> QueryResult<usize> {
    diesel::update(api_tokens::table.find(id))
        .set(api_tokens::active.eq(active))
        .execute(conn)
        .map(changes::mark)
}

pub fn delete(conn: &mut DbConn, id: i64) -> QueryResult<usize> {
    diesel::delete(api_tokens::table.find(id))
        .execute(conn)
        .map(changes::mark)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSort {
    Created,
    LastUsed,
}

#[derive(Debug, Clone, Default)]
pub struct TokenFilter {
    /// Internal id of the owner.
    pub owner: Option<i64>,
    pub status: Option<TokenStatus>,
}

/// One page of every account's tokens with their owners' public ids.
pub fn list_all(
    conn: &mut DbConn,
    filter: &TokenFilter,
    sort: TokenSort,
    now: PrimitiveDateTime,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<(ApiToken, String)>, i64)> {
    let build = || {
        let mut q = api_tokens::table.inner_join(accounts::table).into_boxed();
        if let Some(owner) = filter.owner {
            q = q.filter(api_tokens::account_id.eq(owner));
        }
        match filter.status {
            None => {}
            Some(TokenStatus::Deactivated) => q = q.filter(api_tokens::active.eq(false)),
            Some(TokenStatus::Active) => {
                q = q.filter(api_tokens::active.eq(true)).filter(
                    api_tokens::expires_at
                        .is_null()
                        .or(api_tokens::expires_at.gt(now)),
                )
            }
            Some(TokenStatus::Expired) => {
                q = q
                    .filter(api_tokens::active.eq(true))
                    .filter(api_tokens::expires_at.le(now))
            }
        }
        q
    };
    let total = build().count().get_result(conn)?;
    let query = build().select((ApiToken::as_select(), accounts::account_id));
    let query = match sort {
        TokenSort::Created => query.order((api_tokens::created_at.desc(), api_tokens::id.desc())),
        // Never-used tokens last on both backends (NULL sorts differently).
        TokenSort::LastUsed => query.order((
            api_tokens::last_used_at.is_null().asc(),
            api_tokens::last_used_at.desc(),
            api_tokens::id.desc(),
        )),
    };
    let items = query.offset(offset).limit(limit).load(conn)?;
    Ok((items, total))
}

/// What an edit sets; `None` fields stay as they are.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = api_tokens)]
pub struct TokenChanges<'a> {
    pub label: Option<&'a str>,
    pub description: Option<&'a str>,
    pub scopes: Option<&'a str>,
    pub expires_at: Option<Option<PrimitiveDateTime>>,
    pub allowed_ips: Option<&'a str>,
    pub rate_limit_per_minute: Option<Option<i32>>,
}

pub fn update(conn: &mut DbConn, id: i64, changes: &TokenChanges<'_>) -> QueryResult<usize> {
    diesel::update(api_tokens::table.find(id))
        .set(changes)
        .execute(conn)
        .map(changes::mark)
}

/// A new secret for token `id`, keeping what it replaced (its hash and
/// the end of its grace period) when that is to keep working a while.
pub fn set_secret(
    conn: &mut DbConn,
    id: i64,
    prefix: &str,
    hash: &[u8],
    key_id: &str,
    previous: Option<(&[u8], PrimitiveDateTime)>,
    expires_at: Option<PrimitiveDateTime>,
) -> QueryResult<usize> {
    diesel::update(api_tokens::table.find(id))
        .set((
            api_tokens::prefix.eq(prefix),
            api_tokens::token_hash.eq(hash),
            api_tokens::key_id.eq(key_id),
            api_tokens::previous_hash.eq(previous.map(|(h, _)| h)),
            api_tokens::previous_valid_until.eq(previous.map(|(_, until)| until)),
            api_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .map(changes::mark)
}

/// The current hash of token `id` (the one a regeneration keeps for its
/// grace period).
pub fn hash_of(conn: &mut DbConn, id: i64) -> QueryResult<Vec<u8>> {
    api_tokens::table
        .find(id)
        .select(api_tokens::token_hash)
        .first(conn)
}

/// Deletes every token of an account; the deleted rows.
pub fn delete_for_account(conn: &mut DbConn, account_id: i64) -> QueryResult<Vec<ApiToken>> {
    let rows = list_for_account(conn, account_id)?;
    let ids: Vec<i64> = rows.iter().map(|t| t.id).collect();
    diesel::delete(api_tokens::table.filter(api_tokens::id.eq_any(&ids)))
        .execute(conn)
        .map(changes::mark)?;
    Ok(rows)
}
