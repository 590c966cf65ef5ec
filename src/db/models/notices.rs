//! Mail to send (`notices`), and the reads that find it due. Every
//! instance may find the same notice due; [`claim`] lets one of them send
//! it. States: `pending` (due at `next_attempt_at`), `sending` (claimed
//! until `claimed_until`), `sent`, `failed` (given up, or interrupted
//! while sending: it may or may not have arrived, and is never sent
//! twice), `skipped` (its owner no longer wants it, or has no address).

use diesel::prelude::*;
use time::PrimitiveDateTime;

use crate::db::connection::DbConn;
use crate::db::schema::{accounts, api_tokens, notices};
use crate::db::timestamps::{MaybeStamp, Stamp};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = notices)]
pub struct Notice {
    pub id: i64,
    pub account_id: i64,
    pub kind: String,
    pub subject: String,
    pub detail: String,
    pub state: String,
    pub attempts: i32,
    #[diesel(deserialize_as = Stamp)]
    pub created_at: PrimitiveDateTime,
    #[diesel(deserialize_as = Stamp)]
    pub next_attempt_at: PrimitiveDateTime,
    #[diesel(deserialize_as = MaybeStamp)]
    pub sent_at: Option<PrimitiveDateTime>,
    pub last_error: Option<String>,
}

/// Adds a notice unless one with the same account, kind and subject
/// exists (sent, pending or failed): the unique key makes a notice once,
/// however many instances find it due at once. Whether it was added.
pub fn insert_once(
    conn: &mut DbConn,
    account_id: i64,
    kind: &str,
    subject: &str,
    detail: &str,
    now: PrimitiveDateTime,
) -> QueryResult<bool> {
    let row = (
        notices::account_id.eq(account_id),
        notices::kind.eq(kind),
        notices::subject.eq(subject),
        notices::detail.eq(detail),
        notices::state.eq("pending"),
        notices::attempts.eq(0),
        notices::created_at.eq(now),
        notices::next_attempt_at.eq(now),
    );
    // `ON CONFLICT DO NOTHING` is in both dialects but not in the shared
    // connection type's query builder.
    let added = match conn {
        DbConn::Sqlite(c) => diesel::insert_into(notices::table)
            .values(row)
            .on_conflict_do_nothing()
            .execute(c)?,
        DbConn::Postgres(c) => diesel::insert_into(notices::table)
            .values(row)
            .on_conflict_do_nothing()
            .execute(c)?,
    };
    Ok(added > 0)
}

/// Up to `limit` notices due at `now`, oldest first.
pub fn due(conn: &mut DbConn, now: PrimitiveDateTime, limit: i64) -> QueryResult<Vec<i64>> {
    notices::table
        .filter(notices::state.eq("pending"))
        .filter(notices::next_attempt_at.le(now))
        .order(notices::id.asc())
        .limit(limit)
        .select(notices::id)
        .load(conn)
}

/// Takes notice `id` for this instance until `until`, if it is still due:
/// of several instances asking at once exactly one gets 1.
pub fn claim(
    conn: &mut DbConn,
    id: i64,
    now: PrimitiveDateTime,
    until: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        notices::table
            .find(id)
            .filter(notices::state.eq("pending"))
            .filter(notices::next_attempt_at.le(now)),
    )
    .set((
        notices::state.eq("sending"),
        notices::attempts.eq(notices::attempts + 1),
        notices::claimed_until.eq(Some(until)),
    ))
    .execute(conn)
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Option<Notice>> {
    notices::table
        .find(id)
        .select(Notice::as_select())
        .first(conn)
        .optional()
}

/// How a claimed notice ended; a failure before it stays on record (what
/// admins look at), unless `error` says why this one failed.
pub fn finish(
    conn: &mut DbConn,
    id: i64,
    state: &str,
    now: PrimitiveDateTime,
    error: Option<&str>,
) -> QueryResult<usize> {
    let claimed = notices::table.find(id).filter(notices::state.eq("sending"));
    let done = (
        notices::state.eq(state),
        notices::sent_at.eq((state == "sent").then_some(now)),
        notices::claimed_until.eq(None::<PrimitiveDateTime>),
    );
    match error {
        Some(error) => diesel::update(claimed)
            .set((done, notices::last_error.eq(Some(error))))
            .execute(conn),
        None => diesel::update(claimed).set(done).execute(conn),
    }
}

/// A failed attempt to be tried again at `next`.
pub fn retry_at(
    conn: &mut DbConn,
    id: i64,
    next: PrimitiveDateTime,
    error: &str,
) -> QueryResult<usize> {
    diesel::update(notices::table.find(id).filter(notices::state.eq("sending")))
        .set((
            notices::state.eq("pending"),
            notices::next_attempt_at.eq(next),
            notices::last_error.eq(Some(error)),
            notices::claimed_until.eq(None::<PrimitiveDateTime>),
        ))
        .execute(conn)
}

/// Claims whose instance stopped before it said how the sending went
/// (killed mid-send): marked failed, never sent again, since the message
/// may have gone out.
pub fn fail_abandoned(conn: &mut DbConn, now: PrimitiveDateTime) -> QueryResult<usize> {
    diesel::update(
        notices::table
            .filter(notices::state.eq("sending"))
            .filter(notices::claimed_until.lt(now)),
    )
    .set((
        notices::state.eq("failed"),
        notices::last_error.eq(Some(
            "the server stopped while sending it; it may not have arrived",
        )),
        notices::claimed_until.eq(None::<PrimitiveDateTime>),
    ))
    .execute(conn)
}

/// The notices that failed at least once, newest first, and how many there
/// are: what admins look at (`/admin/notices`).
pub fn troubled(
    conn: &mut DbConn,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<(Notice, String)>, i64)> {
    let total = notices::table
        .filter(notices::last_error.is_not_null())
        .count()
        .get_result(conn)?;
    let rows = notices::table
        .inner_join(accounts::table)
        .filter(notices::last_error.is_not_null())
        .order(notices::id.desc())
        .offset(offset)
        .limit(limit)
        .select((Notice::as_select(), accounts::account_id))
        .load(conn)?;
    Ok((rows, total))
}

/// A live token that expires within the window asked for.
#[derive(Debug, Clone, Queryable)]
pub struct Expiring {
    pub token_id: i64,
    pub account_id: i64,
    pub label: String,
    pub prefix: String,
    pub created_at: PrimitiveDateTime,
    pub expires_at: Option<PrimitiveDateTime>,
}

/// Active tokens of active accounts whose expiry lies in `(from, to]`.
pub fn expiring(
    conn: &mut DbConn,
    from: PrimitiveDateTime,
    to: PrimitiveDateTime,
) -> QueryResult<Vec<Expiring>> {
    api_tokens::table
        .inner_join(accounts::table)
        .filter(api_tokens::active.eq(true))
        .filter(accounts::active.eq(true))
        .filter(accounts::email_verified.eq(true))
        .filter(api_tokens::expires_at.gt(from))
        .filter(api_tokens::expires_at.le(to))
        .select((
            api_tokens::id,
            api_tokens::account_id,
            api_tokens::label,
            api_tokens::prefix,
            api_tokens::created_at,
            api_tokens::expires_at,
        ))
        .load(conn)
}
