//! Settings kept in the database, for what must bind every writer of it:
//! the command line reads them as each server instance does. A server
//! records its own settings when it starts.

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error};

use crate::db::connection::DbConn;
use crate::db::schema::settings;

/// The longest lifetime, in days, the last server started gave new tokens
/// (`TESSERA_MAX_TOKEN_LIFETIME_DAYS`).
const MAX_TOKEN_LIFETIME_DAYS: &str = "max_token_lifetime_days";

pub fn max_token_lifetime_days(conn: &mut DbConn) -> QueryResult<Option<u32>> {
    get(conn, MAX_TOKEN_LIFETIME_DAYS)?
        .map(|value| {
            value.parse::<u32>().map_err(|e| {
                Error::DeserializationError(
                    format!("setting {MAX_TOKEN_LIFETIME_DAYS} = {value:?}: {e}").into(),
                )
            })
        })
        .transpose()
}

/// Records the server's limit; `None` (started without one) removes it.
pub fn record_max_token_lifetime_days(conn: &mut DbConn, days: Option<u32>) -> QueryResult<()> {
    put(
        conn,
        MAX_TOKEN_LIFETIME_DAYS,
        days.map(|d| d.to_string()).as_deref(),
    )
}

fn get(conn: &mut DbConn, name: &str) -> QueryResult<Option<String>> {
    settings::table
        .find(name)
        .select(settings::value)
        .first(conn)
        .optional()
}

/// Sets or removes one setting. Without `ON CONFLICT` (not in diesel's
/// shared connection type): update, else insert; an instance starting at
/// the same moment that inserted first makes it an update after all.
fn put(conn: &mut DbConn, name: &str, value: Option<&str>) -> QueryResult<()> {
    let Some(value) = value else {
        diesel::delete(settings::table.find(name)).execute(conn)?;
        return Ok(());
    };
    let update = |conn: &mut DbConn| {
        diesel::update(settings::table.find(name))
            .set(settings::value.eq(value))
            .execute(conn)
    };
    if update(conn)? > 0 {
        return Ok(());
    }
    match diesel::insert_into(settings::table)
        .values((settings::name.eq(name), settings::value.eq(value)))
        .execute(conn)
    {
        Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => update(conn).map(drop),
        other => other.map(drop),
    }
}
