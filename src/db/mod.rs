//! The database: one connection type over SQLite and PostgreSQL, the pool,
//! and the embedded migrations.
//!
//! All SQL lives under `db/models/`; each function there takes `&mut DbConn`
//! so callers can compose several inside one `conn.transaction(...)`.
//! Handlers reach the database only through [`Db::run`], which moves the
//! blocking diesel call off actix's async workers.
//!
//! While the database cannot be reached, checkouts fail at once with 503
//! instead of waiting for a connection (`db/outage.rs`).

pub mod batch;
pub mod cache;
pub mod changes;
pub mod lookup;
pub mod models;
mod outage;
pub mod schema;
pub mod timestamps;

use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, Pool};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use time::{OffsetDateTime, PrimitiveDateTime};

use crate::config::DatabaseUrl;
use crate::db::batch::Batcher;
use crate::db::cache::ReadCache;
use crate::db::outage::{OnError, OnEvent, Outage};
use crate::error::AppError;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

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

const BUSY_TIMEOUT: &str = "PRAGMA busy_timeout = 5000;";

/// The pool, shared by every worker, and on SQLite the read cache
/// ([`cache`]), on PostgreSQL the queue of token checks ([`batch`]).
/// Cloning is cheap.
#[derive(Clone)]
pub struct Db {
    pool: Pool<Manager>,
    cache: Option<Arc<ReadCache>>,
    batcher: Option<Arc<Batcher>>,
    outage: Arc<Outage>,
}

/// How long a request waits for a connection that other requests hold,
/// while the database answers. Only an overloaded instance waits this
/// long; an outage is answered at once (see [`Db::checkout`]).
const POOL_WAIT: Duration = Duration::from_secs(5);

/// A checkout waits in steps of this, to notice between them that the
/// database went down meanwhile: r2d2 wakes no waiter when a connection
/// attempt fails.
const WAIT_STEP: Duration = Duration::from_millis(25);

/// A request that has waited this long while the pool holds no connection
/// at all is answered 503: attempts to connect neither succeed nor fail
/// (a host that drops packets), which is an outage too.
const NO_CONNECTION_WAIT: Duration = Duration::from_millis(600);

/// How long start-up waits for the database, which may be starting too.
const STARTUP_WAIT: Duration = Duration::from_secs(5);

impl Db {
    /// Builds the pool without connecting yet, so a server can start (and
    /// answer 503) while its database is down.
    pub fn new(url: &DatabaseUrl, size: u32) -> Self {
        let manager = Manager::new(url.clone());
        let outage = Outage::new(manager.clone());
        let pool = Pool::builder()
            .max_size(size.max(1))
            .min_idle(Some(0))
            // Checkouts give their own wait (`get_timeout`); this is the
            // pool's default for `get` and, halved, the longest pause
            // between its attempts to reconnect after a failed one. It
            // bounds how long the pool stays empty after the database is
            // back.
            .connection_timeout(Duration::from_millis(500))
            // A PostgreSQL server that restarted leaves dead connections in
            // the pool; checking on checkout lets the same process recover.
            .test_on_check_out(!url.is_sqlite())
            .error_handler(Box::new(OnError(outage.clone())))
            .event_handler(Box::new(OnEvent(outage.clone())))
            .build_unchecked(manager);
        let cache = match url {
            DatabaseUrl::Sqlite(path) => match ReadCache::open(path) {
                Ok(cache) => Some(Arc::new(cache)),
                Err(e) => {
                    tracing::warn!(error = %e, "no read cache: cannot open the change stamp");
                    None
                }
            },
            DatabaseUrl::Postgres(_) => None,
        };
        let batcher = (!url.is_sqlite()).then(|| Arc::new(Batcher::default()));
        Self {
            pool,
            cache,
            batcher,
            outage,
        }
    }

    /// The read cache, on SQLite.
    pub fn cache(&self) -> Option<&ReadCache> {
        self.cache.as_deref()
    }

    /// The queue that asks concurrent token checks together
    /// ([`Db::check_together`]), on PostgreSQL.
    pub fn batcher(&self) -> Option<&Batcher> {
        self.batcher.as_deref()
    }

    /// Tells every process on this database that it changed: their cached
    /// answers are no longer found. The write path does this by itself
    /// ([`changes`]); call it only after changing rows behind its back.
    pub fn note_change(&self) {
        if let Some(cache) = &self.cache {
            cache.note_change();
        }
    }

    /// Opens the database, turns on WAL for SQLite and applies migrations.
    pub fn open(url: &DatabaseUrl, size: u32) -> Result<Self, String> {
        if let DatabaseUrl::Sqlite(path) = url
            && let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create directory {}: {e}", dir.display()))?;
        }
        let db = Self::new(url, size);
        let mut conn = db
            .pool
            .get_timeout(STARTUP_WAIT)
            .map_err(|e| format!("cannot connect to the database: {e}"))?;
        if let DbConn::Sqlite(c) = &mut *conn {
            c.batch_execute("PRAGMA journal_mode = WAL;")
                .map_err(|e| format!("cannot enable WAL: {e}"))?;
        }
        run_migrations(&mut conn)?;
        Ok(db)
    }

    /// SQLite only: a thread that checkpoints and truncates the WAL every
    /// `every`, for the life of the process.
    ///
    /// SQLite's own checkpoints never wait for readers, so under steady load
    /// (some reader always inside the WAL) the WAL is never restarted and
    /// the file only grows: bench/soak.sh saw 365 MB in 20 s, never given
    /// back. A TRUNCATE checkpoint waits a little for the readers of the
    /// moment to finish, holding writers back meanwhile, then empties the
    /// file. Under heavy sustained writing it does not always find such a
    /// moment and the WAL can still grow for a while; it is emptied as soon
    /// as load eases.
    pub fn checkpoint_periodically(&self, every: Duration) {
        let db = self.clone();
        let spawned = std::thread::Builder::new()
            .name("wal-checkpoint".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(every);
                    let Ok(mut conn) = db.pool.get() else {
                        continue;
                    };
                    let DbConn::Sqlite(sqlite) = &mut *conn else {
                        return; // PostgreSQL keeps its own WAL in check
                    };
                    // Writers wait while it does: give up after 100 ms
                    // rather than stall them, and try again next time.
                    let result = sqlite.batch_execute(
                        "PRAGMA busy_timeout = 100; PRAGMA wal_checkpoint(TRUNCATE);",
                    );
                    if let Err(e) = result.and_then(|()| sqlite.batch_execute(BUSY_TIMEOUT)) {
                        tracing::debug!(error = %e, "WAL checkpoint postponed");
                        // A connection without its busy timeout must not go back.
                        let _ = sqlite.batch_execute(BUSY_TIMEOUT);
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "cannot start the WAL checkpoint thread");
        }
    }

    /// A connection for code that is already off the async workers (the CLI,
    /// tests, startup). What it changed is noted once it is given back (see
    /// [`changes`]).
    pub fn get(&self) -> Result<Conn, AppError> {
        Ok(Conn {
            conn: self.checkout()?,
            cache: self.cache.clone(),
        })
    }

    /// A connection from the pool. While the database is down, only an
    /// idle one that still answers, else 503 at once; otherwise it waits
    /// up to [`POOL_WAIT`] for one, and stops waiting as soon as the
    /// database turns out to be down.
    fn checkout(&self) -> Result<PooledConn, AppError> {
        let started = Instant::now();
        loop {
            if self.outage.is_down() {
                return self.pool.try_get().ok_or(AppError::Unavailable);
            }
            match self.pool.get_timeout(WAIT_STEP) {
                Ok(conn) => return Ok(conn),
                Err(e) => {
                    let waited = started.elapsed();
                    let unanswered =
                        waited >= NO_CONNECTION_WAIT && self.pool.state().connections == 0;
                    if unanswered {
                        self.outage.unanswered(waited);
                    }
                    if unanswered || waited >= POOL_WAIT {
                        tracing::warn!(error = %e, ?waited, "database unavailable");
                        return Err(AppError::Unavailable);
                    }
                }
            }
        }
    }

    /// Runs blocking database work on the blocking thread pool.
    pub async fn run<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.clone();
        actix_web::web::block(move || {
            // Whatever an earlier unit of work on this thread left behind
            // is not this one's.
            changes::take();
            let result = db.checkout().and_then(|mut conn| f(&mut conn));
            if changes::take() {
                db.note_change();
            }
            result
        })
        .await
        .map_err(|e| AppError::Internal(format!("blocking task failed: {e}")))?
    }
}

type PooledConn = r2d2::PooledConnection<Manager>;

/// A connection from [`Db::get`]; when dropped, it notes what was changed
/// through it.
pub struct Conn {
    conn: r2d2::PooledConnection<Manager>,
    cache: Option<Arc<ReadCache>>,
}

impl std::ops::Deref for Conn {
    type Target = DbConn;
    fn deref(&self) -> &DbConn {
        &self.conn
    }
}

impl std::ops::DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut DbConn {
        &mut self.conn
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        if changes::take()
            && let Some(cache) = &self.cache
        {
            cache.note_change();
        }
    }
}

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

pub fn run_migrations(conn: &mut DbConn) -> Result<(), String> {
    let applied = match conn {
        DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
        DbConn::Postgres(c) => {
            // Instances starting together on one database take turns, so
            // no two apply the same migration.
            c.batch_execute("SELECT pg_advisory_lock(7427355)")
                .map_err(|e| format!("cannot lock for migrations: {e}"))?;
            let result = c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|v| v.len());
            let _ = c.batch_execute("SELECT pg_advisory_unlock(7427355)");
            result
        }
    }
    .map_err(|e| format!("cannot apply migrations: {e}"))?;
    if applied > 0 {
        tracing::info!(applied, "applied database migrations");
    }
    Ok(())
}

/// Undoes every migration (for tests of the down scripts).
pub fn revert_all_migrations(conn: &mut DbConn) -> Result<(), String> {
    let result = match conn {
        DbConn::Sqlite(c) => c.revert_all_migrations(SQLITE_MIGRATIONS).map(|_| ()),
        DbConn::Postgres(c) => c.revert_all_migrations(POSTGRES_MIGRATIONS).map(|_| ()),
    };
    result.map_err(|e| format!("cannot revert migrations: {e}"))
}

/// "Now", as stored: UTC, whole seconds. Passed into queries as a bind
/// value so both backends agree and tests can reason about it.
pub fn now() -> PrimitiveDateTime {
    let now = OffsetDateTime::now_utc();
    let now = now.replace_nanosecond(0).unwrap_or(now);
    PrimitiveDateTime::new(now.date(), now.time())
}
