//! Browser sessions. The cookie carries a random secret; the database holds
//! its HMAC, so signing out (or deactivating the account) ends the session
//! on every instance at once.
//!
//! No CSRF token is stored: it is derived from the session secret (see
//! `auth::session`), so a copy of the database holds no token a forged form
//! could use.

use diesel::prelude::*;
use time::PrimitiveDateTime;

use crate::db::timestamps::Stamp;

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
}

pub fn insert(
    conn: &mut DbConn,
    hash: &[u8],
    account_id: i64,
    now: PrimitiveDateTime,
    expires_at: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::session_hash.eq(hash),
            sessions::account_id.eq(account_id),
            sessions::created_at.eq(now),
            sessions::expires_at.eq(expires_at),
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
