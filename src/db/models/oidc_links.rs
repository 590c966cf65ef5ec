//! Accounts made by single sign-on: the link between an account and the
//! provider's (issuer, subject) pair, on the `accounts` table.

use diesel::prelude::*;

use crate::db::changes;
use crate::db::connection::DbConn;
use crate::db::models::accounts::Account;
use crate::db::schema::accounts;

/// The account linked to this identity at this provider, if any.
pub fn find(conn: &mut DbConn, issuer: &str, subject: &str) -> QueryResult<Option<Account>> {
    accounts::table
        .filter(accounts::oidc_issuer.eq(issuer))
        .filter(accounts::oidc_subject.eq(subject))
        .select(Account::as_select())
        .first(conn)
        .optional()
}

/// Links a freshly made account to its identity (the pair is unique).
pub fn link(conn: &mut DbConn, id: i64, issuer: &str, subject: &str) -> QueryResult<usize> {
    diesel::update(accounts::table.find(id))
        .set((
            accounts::oidc_issuer.eq(Some(issuer)),
            accounts::oidc_subject.eq(Some(subject)),
        ))
        .execute(conn)
        .map(changes::mark)
}

/// Which of these usernames are taken (for making a new one unique).
pub fn taken_usernames(conn: &mut DbConn, candidates: &[String]) -> QueryResult<Vec<String>> {
    accounts::table
        .filter(accounts::username.eq_any(candidates))
        .select(accounts::username)
        .load(conn)
}
