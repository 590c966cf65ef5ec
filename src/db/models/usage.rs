//! Uses of tokens per day, the addresses they came from, and the latest
//! user agent: written in batches by `crate::usage`, read by the token's
//! page.

use diesel::prelude::*;
use diesel::upsert::excluded;
use time::PrimitiveDateTime;

use crate::db::connection::DbConn;
use crate::db::schema::{api_tokens, token_usage_days, token_usage_ips};
use crate::db::timestamps::Stamp;

/// What one token did since the last flush.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UseBatch {
    /// `YYYY-MM-DD` (UTC) and the uses that day.
    pub days: Vec<(String, i64)>,
    /// Each address and when it was last seen.
    pub ips: Vec<(String, PrimitiveDateTime)>,
    pub user_agent: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = token_usage_days)]
struct DayRow<'a> {
    token_id: i64,
    day: &'a str,
    uses: i64,
}

#[derive(Insertable)]
#[diesel(table_name = token_usage_ips)]
struct IpRow<'a> {
    token_id: i64,
    ip: &'a str,
    last_seen_at: PrimitiveDateTime,
}

/// Adds the batches to what is stored, skipping tokens deleted meanwhile.
/// Upserts are written per backend: diesel's `MultiConnection` has none.
pub fn add(conn: &mut DbConn, batches: &[(i64, UseBatch)]) -> QueryResult<()> {
    let ids: Vec<i64> = batches.iter().map(|(id, _)| *id).collect();
    let existing: Vec<i64> = api_tokens::table
        .filter(api_tokens::id.eq_any(&ids))
        .select(api_tokens::id)
        .load(conn)?;
    let mut days = Vec::new();
    let mut ips = Vec::new();
    for (token_id, batch) in batches.iter().filter(|(id, _)| existing.contains(id)) {
        let token_id = *token_id;
        days.extend(batch.days.iter().map(|(day, uses)| DayRow {
            token_id,
            day,
            uses: *uses,
        }));
        ips.extend(batch.ips.iter().map(|(ip, at)| IpRow {
            token_id,
            ip,
            last_seen_at: *at,
        }));
        if let Some(agent) = &batch.user_agent {
            // Not a change the read cache must hear of: the cached rows do
            // not hold the user agent.
            diesel::update(api_tokens::table.find(token_id))
                .set(api_tokens::last_used_user_agent.eq(agent))
                .execute(conn)?;
        }
    }
    macro_rules! upsert {
        ($c:ident) => {{
            for row in &days {
                diesel::insert_into(token_usage_days::table)
                    .values(row)
                    .on_conflict((token_usage_days::token_id, token_usage_days::day))
                    .do_update()
                    .set(
                        token_usage_days::uses
                            .eq(token_usage_days::uses + excluded(token_usage_days::uses)),
                    )
                    .execute($c)?;
            }
            for row in &ips {
                diesel::insert_into(token_usage_ips::table)
                    .values(row)
                    .on_conflict((token_usage_ips::token_id, token_usage_ips::ip))
                    .do_update()
                    .set(token_usage_ips::last_seen_at.eq(excluded(token_usage_ips::last_seen_at)))
                    .execute($c)?;
            }
        }};
    }
    match conn {
        DbConn::Sqlite(c) => upsert!(c),
        DbConn::Postgres(c) => upsert!(c),
    }
    Ok(())
}

/// Uses per day of token `id` from `since` (`YYYY-MM-DD`) on, oldest first.
pub fn days_since(conn: &mut DbConn, id: i64, since: &str) -> QueryResult<Vec<(String, i64)>> {
    token_usage_days::table
        .filter(token_usage_days::token_id.eq(id))
        .filter(token_usage_days::day.ge(since))
        .select((token_usage_days::day, token_usage_days::uses))
        .order(token_usage_days::day)
        .load(conn)
}

/// The distinct addresses token `id` was used from since `since`, most
/// recent first, at most `limit`.
pub fn ips_since(
    conn: &mut DbConn,
    id: i64,
    since: PrimitiveDateTime,
    limit: i64,
) -> QueryResult<Vec<(String, PrimitiveDateTime)>> {
    let rows: Vec<(String, Stamp)> = token_usage_ips::table
        .filter(token_usage_ips::token_id.eq(id))
        .filter(token_usage_ips::last_seen_at.ge(since))
        .select((token_usage_ips::ip, token_usage_ips::last_seen_at))
        .order((token_usage_ips::last_seen_at.desc(), token_usage_ips::ip))
        .limit(limit)
        .load(conn)?;
    Ok(rows.into_iter().map(|(ip, at)| (ip, at.into())).collect())
}

pub fn last_user_agent(conn: &mut DbConn, id: i64) -> QueryResult<Option<String>> {
    api_tokens::table
        .find(id)
        .select(api_tokens::last_used_user_agent)
        .first::<Option<String>>(conn)
        .optional()
        .map(Option::flatten)
}
