//! Connections: one type over SQLite and PostgreSQL, how each is opened
//! and prepared, and the transaction that writes.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};

use crate::config::DatabaseUrl;
use crate::db::changes;

#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Postgres(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

/// Opens connections for the backend named by the URL scheme and prepares
/// each SQLite connection (foreign keys, busy timeout, synchronous mode).
#[derive(Debug, Clone)]
pub struct Manager {
    url: DatabaseUrl,
}

impl Manager {
    /// A PostgreSQL URL without a `connect_timeout` gets one of
    /// [`PG_CONNECT_TIMEOUT_SECS`]: libpq's default waits for as long as
    /// the operating system lets a connection attempt hang, and an
    /// unreachable host would keep the attempt (and the outage probe of
    /// `db/outage.rs`) hanging for minutes.
    pub fn new(url: DatabaseUrl) -> Self {
        let url = match url {
            DatabaseUrl::Postgres(u) if !u.contains("connect_timeout=") => {
                let sep = if u.contains('?') { '&' } else { '?' };
                DatabaseUrl::Postgres(format!("{u}{sep}connect_timeout={PG_CONNECT_TIMEOUT_SECS}"))
            }
            other => other,
        };
        Self { url }
    }
}

/// libpq's smallest: it takes 1 for 2.
const PG_CONNECT_TIMEOUT_SECS: u32 = 2;

impl ManageConnection for Manager {
    type Connection = DbConn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConn, r2d2::Error> {
        match &self.url {
            DatabaseUrl::Postgres(url) => {
                let mut conn =
                    diesel::PgConnection::establish(url).map_err(r2d2::Error::ConnectionError)?;
                // Every query here is a short indexed lookup whose plan does
                // not depend on its values. By default PostgreSQL plans a
                // prepared statement afresh on each execution for as long as
                // that looks cheaper than its generic plan, which for the
                // batched token check (`token_hash = ANY($1)`) is always:
                // half of the backend's time per API call went to planning.
                // A server shutting down may accept the connection and
                // fail its first statement: a failed connection all the same.
                conn.batch_execute("SET plan_cache_mode = force_generic_plan")
                    .map_err(|e| {
                        r2d2::Error::ConnectionError(diesel::ConnectionError::BadConnection(
                            e.to_string(),
                        ))
                    })?;
                Ok(DbConn::Postgres(conn))
            }
            DatabaseUrl::Sqlite(path) => {
                let mut conn = diesel::SqliteConnection::establish(&path.to_string_lossy())
                    .map_err(r2d2::Error::ConnectionError)?;
                conn.batch_execute(
                    "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;",
                )
                .map_err(r2d2::Error::QueryError)?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, _conn: &mut DbConn) -> bool {
        false
    }
}

pub(crate) const BUSY_TIMEOUT: &str = "PRAGMA busy_timeout = 5000;";

/// A transaction that writes. Use it instead of `conn.transaction` for any
/// transaction that may read before it writes.
///
/// On SQLite it takes the write lock at the start (`BEGIN IMMEDIATE`). A
/// plain `BEGIN` reads from a snapshot; when it then wants to write after
/// another connection has committed, SQLite cannot let it wait (its snapshot
/// is stale) and fails at once with "database is locked", busy timeout or
/// not: a 503 under any concurrent writing. Waiting for the lock up front
/// is what the busy timeout is for. PostgreSQL needs nothing special.
/// Nested calls become savepoints, as with `transaction`.
pub fn write_transaction<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    type Manager = <DbConn as Connection>::TransactionManager;

    // What a rolled-back transaction changed never happened.
    let changed_before = changes::peek();
    let undo = |result: Result<T, E>| {
        if result.is_err() {
            changes::restore(changed_before);
        }
        result
    };
    let DbConn::Sqlite(c) = &mut *conn else {
        return undo(conn.transaction(f));
    };
    let nested = AnsiTransactionManager::transaction_manager_status_mut(c)
        .transaction_depth()?
        .is_some();
    if nested {
        return undo(conn.transaction(f));
    }
    AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
    undo(match f(conn) {
        Ok(value) => Manager::commit_transaction(conn)
            .map(|()| value)
            .map_err(E::from),
        Err(e) => {
            Manager::rollback_transaction(conn)?;
            Err(e)
        }
    })
}
