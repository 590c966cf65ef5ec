use diesel::prelude::*;
use time::PrimitiveDateTime;

use crate::db::timestamps::{MaybeStamp, Stamp};

use crate::db::changes;
use crate::db::connection::DbConn;
use crate::db::schema::{accounts, api_tokens};
use crate::tokens::Role;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = accounts)]
pub struct Account {
    pub id: i64,
    pub account_id: String,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: String,
    pub active: bool,
    #[diesel(deserialize_as = Stamp)]
    pub created_at: PrimitiveDateTime,
    #[diesel(deserialize_as = MaybeStamp)]
    pub last_login_at: Option<PrimitiveDateTime>,
    /// The address mail goes to; only an address its owner confirmed (or
    /// an admin set) has `email_verified`.
    pub email: Option<String>,
    pub email_verified: bool,
    /// A new address waiting for its owner to follow the link sent to it.
    pub pending_email: Option<String>,
    pub time_zone: String,
    /// `en` or `nl`; none: whatever the browser asks for.
    pub language: Option<String>,
    /// The notices its owner wants, space separated (`notices::Kind`).
    pub notifications: String,
    /// Set by an admin's password reset: the next sign-in leads to the
    /// change-password page first.
    pub must_change_password: bool,
    /// What its owner is told on their next visit (tokens reported
    /// leaked), taken once shown.
    pub leak_notice: Option<String>,
}

impl Account {
    pub fn role(&self) -> Role {
        // The column has a CHECK constraint; anything else is treated as the
        // lesser role rather than trusted.
        Role::parse(&self.role).unwrap_or(Role::User)
    }

    pub fn is_admin(&self) -> bool {
        self.role() == Role::Admin
    }

    /// An account made by single sign-on that has never had a password
    /// (until `tessera user reset-password` gives it one).
    pub fn has_no_password(&self) -> bool {
        self.password_hash == NO_PASSWORD
    }
}

/// Stands in for a password on accounts made by single sign-on: it is no
/// argon2 hash, so no password matches it until an admin sets one.
pub const NO_PASSWORD: &str = "!oidc";

#[derive(Debug, Insertable)]
#[diesel(table_name = accounts)]
pub struct NewAccount<'a> {
    pub account_id: &'a str,
    pub username: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub role: &'a str,
    pub active: bool,
    pub created_at: PrimitiveDateTime,
}

pub fn insert(conn: &mut DbConn, new: &NewAccount<'_>) -> QueryResult<Account> {
    diesel::insert_into(accounts::table)
        .values(new)
        // `as_returning()` does not pass through diesel's MultiConnection;
        // a column tuple does.
        .returning((
            accounts::id,
            accounts::account_id,
            accounts::username,
            accounts::display_name,
            accounts::password_hash,
            accounts::role,
            accounts::active,
            accounts::created_at,
            accounts::last_login_at,
            accounts::email,
            accounts::email_verified,
            accounts::pending_email,
            accounts::time_zone,
            accounts::language,
            accounts::notifications,
            accounts::must_change_password,
            accounts::leak_notice,
        ))
        .get_result(conn)
}

pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
    accounts::table.count().get_result(conn)
}

type Boxed<'a> = accounts::BoxedQuery<'a, <DbConn as Connection>::Backend>;

/// The one account `query` finds, if any.
fn find_one(conn: &mut DbConn, query: Boxed<'_>) -> QueryResult<Option<Account>> {
    query.select(Account::as_select()).first(conn).optional()
}

pub fn find_by_id(conn: &mut DbConn, id: i64) -> QueryResult<Option<Account>> {
    find_one(conn, accounts::table.find(id).into_boxed())
}

pub fn find_by_username(conn: &mut DbConn, username: &str) -> QueryResult<Option<Account>> {
    find_one(
        conn,
        accounts::table
            .filter(accounts::username.eq(username))
            .into_boxed(),
    )
}

pub fn find_by_account_id(conn: &mut DbConn, account_id: &str) -> QueryResult<Option<Account>> {
    let query = accounts::table.filter(accounts::account_id.eq(account_id));
    find_one(conn, query.into_boxed())
}

/// Takes the write lock on one account's row for the rest of the
/// transaction, so checks such as the token cap or "last admin" cannot race
/// (PostgreSQL: a row lock; SQLite: the database write lock).
pub fn lock(conn: &mut DbConn, id: i64) -> QueryResult<usize> {
    diesel::update(accounts::table.find(id))
        .set(accounts::active.eq(accounts::active))
        .execute(conn)
}

pub fn set_last_login(conn: &mut DbConn, id: i64, at: PrimitiveDateTime) -> QueryResult<usize> {
    diesel::update(accounts::table.find(id))
        .set(accounts::last_login_at.eq(Some(at)))
        .execute(conn)
        .map(changes::mark)
}

pub fn set_role(conn: &mut DbConn, id: i64, role: Role) -> QueryResult<usize> {
    diesel::update(accounts::table.find(id))
        .set(accounts::role.eq(role.as_str()))
        .execute(conn)
        .map(changes::mark)
}

pub fn set_active(conn: &mut DbConn, id: i64, active: bool) -> QueryResult<usize> {
    diesel::update(accounts::table.find(id))
        .set(accounts::active.eq(active))
        .execute(conn)
        .map(changes::mark)
}

pub fn set_display_name(conn: &mut DbConn, id: i64, name: &str) -> QueryResult<usize> {
    diesel::update(
        accounts::table
            .find(id)
            .filter(accounts::display_name.ne(name)),
    )
    .set(accounts::display_name.eq(name))
    .execute(conn)
    .map(changes::mark)
}

/// Remembers `email` until its owner confirms it; the address in use
/// stays as it is meanwhile.
pub fn set_pending_email(conn: &mut DbConn, id: i64, email: Option<&str>) -> QueryResult<usize> {
    diesel::update(accounts::table.find(id))
        .set(accounts::pending_email.eq(email))
        .execute(conn)
        .map(changes::mark)
}

/// Makes the pending address `email` the account's, if it is still the
/// pending one: a link to an address replaced since does nothing.
pub fn confirm_email(conn: &mut DbConn, id: i64, email: &str) -> QueryResult<usize> {
    diesel::update(
        accounts::table
            .find(id)
            .filter(accounts::pending_email.eq(email)),
    )
    .set((
        accounts::email.eq(Some(email)),
        accounts::email_verified.eq(true),
        accounts::pending_email.eq(None::<String>),
    ))
    .execute(conn)
    .map(changes::mark)
}

/// An address set by an admin, who vouches for it: used at once.
pub fn set_email(conn: &mut DbConn, id: i64, email: Option<&str>) -> QueryResult<usize> {
    diesel::update(accounts::table.find(id))
        .set((
            accounts::email.eq(email),
            accounts::email_verified.eq(email.is_some()),
            accounts::pending_email.eq(None::<String>),
        ))
        .execute(conn)
        .map(changes::mark)
}

/// The Preferences section's choices.
pub fn set_preferences(
    conn: &mut DbConn,
    id: i64,
    time_zone: &str,
    language: Option<&str>,
    notifications: &str,
) -> QueryResult<usize> {
    diesel::update(accounts::table.find(id))
        .set((
            accounts::time_zone.eq(time_zone),
            accounts::language.eq(language),
            accounts::notifications.eq(notifications),
        ))
        .execute(conn)
        .map(changes::mark)
}

/// A new password hash; `must_change` when an admin chose it.
pub fn set_password(
    conn: &mut DbConn,
    id: i64,
    hash: &str,
    must_change: bool,
) -> QueryResult<usize> {
    diesel::update(accounts::table.find(id))
        .set((
            accounts::password_hash.eq(hash),
            accounts::must_change_password.eq(must_change),
        ))
        .execute(conn)
        .map(changes::mark)
}

pub fn count_active_admins(conn: &mut DbConn) -> QueryResult<i64> {
    accounts::table
        .filter(accounts::role.eq(Role::Admin.as_str()))
        .filter(accounts::active.eq(true))
        .count()
        .get_result(conn)
}

/// One page of accounts with their token counts, optionally those whose
/// username contains `search`.
pub fn list_with_token_counts(
    conn: &mut DbConn,
    search: Option<&str>,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<(Account, i64)>, i64)> {
    let pattern = search.map(|s| format!("%{}%", escape_like(s)));
    let mut total_query = accounts::table.count().into_boxed();
    let mut page_query = accounts::table.select(Account::as_select()).into_boxed();
    if let Some(p) = &pattern {
        total_query = total_query.filter(accounts::username.like(p.clone()).escape('\\'));
        page_query = page_query.filter(accounts::username.like(p.clone()).escape('\\'));
    }
    let total = total_query.get_result(conn)?;
    let page: Vec<Account> = page_query
        .order(accounts::username.asc())
        .offset(offset)
        .limit(limit)
        .load(conn)?;
    let ids: Vec<i64> = page.iter().map(|a| a.id).collect();
    let counts: Vec<(i64, i64)> = api_tokens::table
        .filter(api_tokens::account_id.eq_any(&ids))
        .group_by(api_tokens::account_id)
        .select((api_tokens::account_id, diesel::dsl::count_star()))
        .load(conn)?;
    let rows = page
        .into_iter()
        .map(|a| {
            let n = counts
                .iter()
                .find(|(id, _)| *id == a.id)
                .map_or(0, |(_, n)| *n);
            (a, n)
        })
        .collect();
    Ok((rows, total))
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Locks the row of `account_id` and of every active admin for the rest of
/// the transaction, before anything is read. Used by the changes that could
/// leave no active admin: two requests each removing one of the last two
/// admins must not both count two admins.
///
/// On PostgreSQL the rows are locked in id order. Locking them as a scan
/// meets them is not one order: a row rewritten by a commit that one
/// request's statement saw and the other's did not (a sign-in, a new token)
/// lies elsewhere in the table for each, and two such requests can each
/// hold the row the other waits for, a deadlock that PostgreSQL breaks by
/// failing one (tests/api/admin_race.rs). After the locks a count sees
/// what the other request committed. On SQLite a write takes the one
/// database write lock (`db::write_transaction` takes it at the start).
pub fn lock_with_admins(conn: &mut DbConn, account_id: &str) -> QueryResult<()> {
    let rows = accounts::table.filter(
        accounts::account_id.eq(account_id).or(accounts::role
            .eq(Role::Admin.as_str())
            .and(accounts::active.eq(true))),
    );
    match conn {
        DbConn::Postgres(pg) => {
            rows.select(accounts::id)
                .order(accounts::id)
                .for_no_key_update()
                .load::<i64>(pg)?;
        }
        DbConn::Sqlite(_) => {
            diesel::update(rows)
                .set(accounts::active.eq(accounts::active))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// Usernames of these public account ids, as `(account_id, username)`.
pub fn usernames(conn: &mut DbConn, account_ids: &[String]) -> QueryResult<Vec<(String, String)>> {
    accounts::table
        .filter(accounts::account_id.eq_any(account_ids))
        .select((accounts::account_id, accounts::username))
        .load(conn)
}

/// Adds a line to what the account's owner is told on their next visit
/// (tokens reported leaked).
pub fn add_leak_notice(conn: &mut DbConn, id: i64, line: &str) -> QueryResult<usize> {
    let text = match leak_notice(conn, id)? {
        Some(before) => format!("{before}\n{line}"),
        None => line.to_owned(),
    };
    diesel::update(accounts::table.find(id))
        .set(accounts::leak_notice.eq(Some(text)))
        .execute(conn)
}

/// What the owner is to be told, taken: it is shown once.
pub fn take_leak_notice(conn: &mut DbConn, id: i64) -> QueryResult<Option<String>> {
    let notice = leak_notice(conn, id)?;
    if notice.is_some() {
        diesel::update(accounts::table.find(id))
            .set(accounts::leak_notice.eq(None::<String>))
            .execute(conn)
            .map(changes::mark)?;
    }
    Ok(notice)
}

fn leak_notice(conn: &mut DbConn, id: i64) -> QueryResult<Option<String>> {
    Ok(accounts::table
        .find(id)
        .select(accounts::leak_notice)
        .first::<Option<String>>(conn)
        .optional()?
        .flatten())
}
