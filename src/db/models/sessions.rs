//! Browser sessions. The cookie carries a random secret; the database holds
//! its HMAC, so signing out (or deactivating the account) ends the session
//! on every instance at once.
//!
//! No CSRF token is stored: it is derived from the session secret (see
//! `auth::session`), so a copy of the database holds no token a forged form
//! could use.

use diesel::prelude::*;
use time::PrimitiveDateTime;

use crate::db::timestamps::{MaybeStamp, Stamp};

use crate::db::changes;
use crate::db::connection::DbConn;
use crate::db::models::accounts::Account;
use crate::db::schema::{accounts, sessions};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct Session {
    pub id: i64,
    pub account_id: i64,
    #[diesel(deserialize_as = Stamp)]
    pub expires_at: PrimitiveDateTime,
    #[diesel(deserialize_as = MaybeStamp)]
    pub last_seen_at: Option<PrimitiveDateTime>,
}

/// How often a session's last sighting is written down: a page view every
/// second must not be a write every second.
pub const SEEN_RECORDED_EVERY: time::Duration = time::Duration::minutes(1);

/// A session as the Sessions section lists it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct SessionInfo {
    pub id: i64,
    #[diesel(deserialize_as = Stamp)]
    pub created_at: PrimitiveDateTime,
    #[diesel(deserialize_as = MaybeStamp)]
    pub last_seen_at: Option<PrimitiveDateTime>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// Where a browser signed in from, as its session records it.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

pub fn insert(
    conn: &mut DbConn,
    hash: &[u8],
    account_id: i64,
    now: PrimitiveDateTime,
    expires_at: PrimitiveDateTime,
    origin: &Origin,
) -> QueryResult<usize> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::session_hash.eq(hash),
            sessions::account_id.eq(account_id),
            sessions::created_at.eq(now),
            sessions::expires_at.eq(expires_at),
            sessions::last_seen_at.eq(Some(now)),
            sessions::ip.eq(origin.ip.as_deref()),
            sessions::user_agent.eq(origin.user_agent.as_deref()),
        ))
        .execute(conn)
        .map(changes::mark)
}

/// A live session and its account, if the account is still active.
pub fn find_live(
    conn: &mut DbConn,
    hash: &[u8],
    now: PrimitiveDateTime,
) -> QueryResult<Option<(Session, Account)>> {
    sessions::table
        .inner_join(accounts::table)
        .filter(sessions::session_hash.eq(hash))
        .filter(sessions::expires_at.gt(now))
        .filter(accounts::active.eq(true))
        .select((Session::as_select(), Account::as_select()))
        // The hash is unique: no LIMIT, whose bound value would make SQLite
        // re-plan the cached statement on every page view.
        .get_result(conn)
        .optional()
}

pub fn delete(conn: &mut DbConn, hash: &[u8]) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::session_hash.eq(hash)))
        .execute(conn)
        .map(changes::mark)
}

pub fn delete_for_account(conn: &mut DbConn, account_id: i64) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::account_id.eq(account_id)))
        .execute(conn)
        .map(changes::mark)
}

pub fn delete_expired(conn: &mut DbConn, now: PrimitiveDateTime) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::expires_at.le(now)))
        .execute(conn)
        .map(changes::mark)
}

/// Writes down that session `id` was seen at `now`, unless that was done
/// within the minute (by this request's neighbours or another instance).
/// Not a change the read cache must hear of: nothing it keeps depends on it.
pub fn touch(conn: &mut DbConn, id: i64, now: PrimitiveDateTime) -> QueryResult<usize> {
    let stale = now - SEEN_RECORDED_EVERY;
    diesel::update(
        sessions::table.find(id).filter(
            sessions::last_seen_at
                .is_null()
                .or(sessions::last_seen_at.le(stale)),
        ),
    )
    .set(sessions::last_seen_at.eq(Some(now)))
    .execute(conn)
}

/// The account's live sessions, the most recently seen first.
pub fn list_for_account(
    conn: &mut DbConn,
    account_id: i64,
    now: PrimitiveDateTime,
) -> QueryResult<Vec<SessionInfo>> {
    sessions::table
        .filter(sessions::account_id.eq(account_id))
        .filter(sessions::expires_at.gt(now))
        .order((sessions::last_seen_at.desc(), sessions::id.desc()))
        .select(SessionInfo::as_select())
        .load(conn)
}

/// Ends one of the account's sessions; 0 when it has no such session.
pub fn delete_own(conn: &mut DbConn, account_id: i64, id: i64) -> QueryResult<usize> {
    diesel::delete(
        sessions::table
            .filter(sessions::account_id.eq(account_id))
            .filter(sessions::id.eq(id)),
    )
    .execute(conn)
    .map(changes::mark)
}

/// Ends every session of the account but `keep`.
pub fn delete_others(conn: &mut DbConn, account_id: i64, keep: i64) -> QueryResult<usize> {
    diesel::delete(
        sessions::table
            .filter(sessions::account_id.eq(account_id))
            .filter(sessions::id.ne(keep)),
    )
    .execute(conn)
    .map(changes::mark)
}
