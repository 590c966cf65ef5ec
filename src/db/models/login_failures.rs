//! Failed sign-ins, kept in the database so that every instance of a
//! deployment counts the same attempts.

use diesel::prelude::*;
use time::PrimitiveDateTime;

use crate::db::connection::DbConn;
use crate::db::schema::login_failures;

/// The failures recorded under `key` since `since`, and the oldest of them.
pub fn recent(
    conn: &mut DbConn,
    key: &str,
    since: PrimitiveDateTime,
) -> QueryResult<(i64, Option<PrimitiveDateTime>)> {
    login_failures::table
        .filter(login_failures::key.eq(key))
        .filter(login_failures::at.gt(since))
        .select((
            diesel::dsl::count_star(),
            diesel::dsl::min(login_failures::at),
        ))
        .first(conn)
}

pub fn record(conn: &mut DbConn, key: &str, at: PrimitiveDateTime) -> QueryResult<usize> {
    diesel::insert_into(login_failures::table)
        .values((login_failures::key.eq(key), login_failures::at.eq(at)))
        .execute(conn)
}

/// Forgets failures older than the window, so the table stays small.
pub fn prune(conn: &mut DbConn, before: PrimitiveDateTime) -> QueryResult<usize> {
    diesel::delete(login_failures::table.filter(login_failures::at.le(before))).execute(conn)
}

pub fn clear(conn: &mut DbConn, key: &str) -> QueryResult<usize> {
    diesel::delete(login_failures::table.filter(login_failures::key.eq(key))).execute(conn)
}
