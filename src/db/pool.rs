//! The pool of connections, and how a request gets one: at once while the
//! database is down (503, see `outage.rs`), else waiting for a connection
//! that other requests hold.

use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::r2d2;

use crate::config::DatabaseUrl;
use crate::db::connection::Manager;
use crate::db::outage::{OnError, OnEvent, Outage};
use crate::error::AppError;
use crate::metrics;

pub type PooledConn = r2d2::PooledConnection<Manager>;

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

/// The pool, with what it knows of the database's outages. Cloning is
/// cheap.
#[derive(Clone)]
pub struct Pool {
    pool: r2d2::Pool<Manager>,
    outage: Arc<Outage>,
}

impl Pool {
    /// Builds the pool without connecting yet, so a server can start (and
    /// answer 503) while its database is down.
    pub fn new(url: &DatabaseUrl, size: u32) -> Self {
        let manager = Manager::new(url.clone());
        let outage = Outage::new(manager.clone());
        let pool = r2d2::Pool::builder()
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
        Self { pool, outage }
    }

    pub fn max_size(&self) -> u32 {
        self.pool.max_size()
    }

    /// Connections open and idle now (for `/metrics`).
    pub fn state(&self) -> r2d2::State {
        self.pool.state()
    }

    /// A connection at start-up, when the database may be starting too.
    pub fn get_at_start(&self) -> Result<PooledConn, String> {
        self.pool
            .get_timeout(STARTUP_WAIT)
            .map_err(|e| format!("cannot connect to the database: {e}"))
    }

    /// A connection from the pool. While the database is down, only an
    /// idle one that still answers, else 503 at once; otherwise it waits
    /// up to [`POOL_WAIT`] for one, and stops waiting as soon as the
    /// database turns out to be down.
    pub fn checkout(&self) -> Result<PooledConn, AppError> {
        let started = Instant::now();
        loop {
            if self.outage.is_down() {
                return self.pool.try_get().ok_or_else(|| {
                    metrics::unavailable();
                    AppError::Unavailable
                });
            }
            match self.pool.get_timeout(WAIT_STEP) {
                Ok(conn) => {
                    metrics::pool_checkout(started.elapsed());
                    return Ok(conn);
                }
                Err(e) => {
                    let waited = started.elapsed();
                    let unanswered =
                        waited >= NO_CONNECTION_WAIT && self.pool.state().connections == 0;
                    if unanswered {
                        self.outage.unanswered(waited);
                    }
                    if unanswered || waited >= POOL_WAIT {
                        tracing::warn!(error = %e, ?waited, "database unavailable");
                        metrics::unavailable();
                        return Err(AppError::Unavailable);
                    }
                }
            }
        }
    }
}
