//! The uses of rate-limited tokens per minute, added up by every instance
//! on one PostgreSQL database (`auth::restrict`).

use diesel::prelude::*;
use diesel::upsert::excluded;

use crate::db::connection::DbConn;
use crate::db::schema::token_rate_counts;

/// Adds `uses` to the count of `token_id` in `minute` (minutes since the
/// epoch) and returns the count of every instance so far; older minutes of
/// the token are dropped on the way. PostgreSQL only (the upsert): SQLite
/// instances count in process, and `None` says so.
pub fn add(conn: &mut DbConn, token_id: i64, minute: i64, uses: i64) -> QueryResult<Option<i64>> {
    let DbConn::Postgres(pg) = conn else {
        return Ok(None);
    };
    diesel::delete(
        token_rate_counts::table
            .filter(token_rate_counts::token_id.eq(token_id))
            .filter(token_rate_counts::minute.lt(minute)),
    )
    .execute(pg)?;
    diesel::insert_into(token_rate_counts::table)
        .values((
            token_rate_counts::token_id.eq(token_id),
            token_rate_counts::minute.eq(minute),
            token_rate_counts::count.eq(uses),
        ))
        .on_conflict((token_rate_counts::token_id, token_rate_counts::minute))
        .do_update()
        .set(
            token_rate_counts::count
                .eq(token_rate_counts::count + excluded(token_rate_counts::count)),
        )
        .returning(token_rate_counts::count)
        .get_result(pg)
        .map(Some)
}
