//! Application scopes: the scopes admins create for their own services.

use diesel::prelude::*;
use time::PrimitiveDateTime;

use crate::db::changes;
use crate::db::connection::DbConn;
use crate::db::schema::{api_tokens, app_scopes};
use crate::db::timestamps::Stamp;
use crate::tokens::ScopeSet;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = app_scopes)]
pub struct AppScopeRow {
    pub name: String,
    pub description: String,
    /// The roles that may grant it, space separated.
    pub grantable_by: String,
    #[diesel(deserialize_as = Stamp)]
    pub created_at: PrimitiveDateTime,
}

pub fn list(conn: &mut DbConn) -> QueryResult<Vec<AppScopeRow>> {
    app_scopes::table
        .select(AppScopeRow::as_select())
        .order(app_scopes::name)
        .load(conn)
}

pub fn find(conn: &mut DbConn, name: &str) -> QueryResult<Option<AppScopeRow>> {
    app_scopes::table
        .find(name)
        .select(AppScopeRow::as_select())
        .first(conn)
        .optional()
}

/// Fails with a unique violation when the name is taken.
pub fn insert(conn: &mut DbConn, row: &AppScopeRow) -> QueryResult<()> {
    diesel::insert_into(app_scopes::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// Deletes the scope and takes it from every token that holds it; the
/// number of tokens touched. Run inside a transaction.
pub fn delete(conn: &mut DbConn, name: &str) -> QueryResult<usize> {
    diesel::delete(app_scopes::table.find(name)).execute(conn)?;
    let holders: Vec<(i64, String)> = api_tokens::table
        .filter(api_tokens::scopes.like(format!("%{name}%")))
        .select((api_tokens::id, api_tokens::scopes))
        .load(conn)?;
    let mut touched = 0;
    for (id, stored) in holders {
        let mut set = ScopeSet::from_stored(&stored);
        if set.remove_name(name) {
            diesel::update(api_tokens::table.find(id))
                .set(api_tokens::scopes.eq(set.to_stored()))
                .execute(conn)?;
            touched += 1;
        }
    }
    Ok(changes::mark(touched))
}

/// The stored scopes of every token, for counting holders per scope.
pub fn token_scopes(conn: &mut DbConn) -> QueryResult<Vec<String>> {
    api_tokens::table.select(api_tokens::scopes).load(conn)
}
