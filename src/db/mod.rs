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

pub mod backup;
pub mod batch;
pub mod cache;
pub mod changes;
pub mod connection;
pub mod lookup;
pub mod models;
mod outage;
pub mod pool;
pub mod rows;
pub mod schema;
pub mod timestamps;

pub use connection::{DbConn, write_transaction};
pub use timestamps::now;

use std::sync::Arc;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::config::DatabaseUrl;
use crate::db::batch::Batcher;
use crate::db::cache::ReadCache;
use crate::db::pool::{Pool, PooledConn};
use crate::error::AppError;
use crate::usage::Usage;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// The pool, shared by every worker, and on SQLite the read cache
/// ([`cache`]), on PostgreSQL the queue of token checks ([`batch`]).
/// Cloning is cheap.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    cache: Option<Arc<ReadCache>>,
    batcher: Option<Arc<Batcher>>,
    /// Token uses counted since the last flush (`crate::usage`).
    usage: Arc<Usage>,
}

impl Db {
    /// Builds the pool without connecting yet, so a server can start (and
    /// answer 503) while its database is down.
    pub fn new(url: &DatabaseUrl, size: u32) -> Self {
        let pool = Pool::new(url, size);
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
        let batcher = (!url.is_sqlite()).then(|| Arc::new(Batcher::new(pool.clone())));
        Self {
            pool,
            cache,
            batcher,
            usage: Arc::default(),
        }
    }

    /// Connections open and idle in the pool now.
    pub fn pool_state(&self) -> diesel::r2d2::State {
        self.pool.state()
    }

    /// The pool's size.
    pub fn pool_size(&self) -> u32 {
        self.pool.max_size()
    }

    /// Token uses counted and not yet written.
    pub fn usage(&self) -> &Usage {
        &self.usage
    }

    /// Writes the counted token uses now (a stopping server, a test).
    pub async fn flush_usage(&self) {
        self.usage.flush(self).await;
    }

    /// The read cache, on SQLite.
    pub fn cache(&self) -> Option<&ReadCache> {
        self.cache.as_deref()
    }

    /// The queue that asks concurrent token checks together
    /// ([`Batcher::check`]), on PostgreSQL.
    pub fn batcher(&self) -> Option<&Arc<Batcher>> {
        self.batcher.as_ref()
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
        let mut conn = db.pool.get_at_start()?;
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
                    let Ok(mut conn) = db.pool.checkout() else {
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
                    if let Err(e) =
                        result.and_then(|()| sqlite.batch_execute(connection::BUSY_TIMEOUT))
                    {
                        tracing::debug!(error = %e, "WAL checkpoint postponed");
                        // A connection without its busy timeout must not go back.
                        let _ = sqlite.batch_execute(connection::BUSY_TIMEOUT);
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
            conn: self.pool.checkout()?,
            cache: self.cache.clone(),
        })
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
            let result = db.pool.checkout().and_then(|mut conn| f(&mut conn));
            if changes::take() {
                db.note_change();
            }
            result
        })
        .await
        .map_err(|e| AppError::Internal(format!("blocking task failed: {e}")))?
    }
}

/// A connection from [`Db::get`]; when dropped, it notes what was changed
/// through it.
pub struct Conn {
    conn: PooledConn,
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
