//! What the pool does while the database cannot be reached.
//!
//! Left to itself, r2d2 lets a request wait out the whole checkout timeout
//! when the database is down: a failed connection attempt is noted and
//! retried in the background, but nobody waiting is told. SPEC §12 asks
//! for a 503 within a second instead, and for service again within two
//! seconds of the database coming back.
//!
//! So the pool reports each failed attempt to connect here (its error
//! handler), and the database counts as **down** from then on: a checkout
//! ([`super::Db`]) takes an idle connection that still answers if there
//! is one, and otherwise answers 503 at once, without waiting. Meanwhile
//! one thread tries to connect every [`PROBE_EVERY`]; the first connection
//! made, by it or by the pool, ends the outage. A busy database is not a
//! down one: only a refused or failed connection attempt counts, never a
//! wait for a connection that other requests hold. Nor does an attempt
//! that neither succeeds nor fails, unless the pool has no connection at
//! all to wait for ([`Outage::unanswered`]).

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use diesel::r2d2::{self, HandleError, ManageConnection, event};

use crate::db::connection::Manager;

/// How often the database is tried while it is down: the most a request
/// waits, once it is back, for the outage to be seen as over.
pub const PROBE_EVERY: Duration = Duration::from_millis(200);

/// Whether the database is down, shared by the pool's handlers and the
/// checkouts.
#[derive(Debug)]
pub struct Outage {
    down: AtomicBool,
    probing: AtomicBool,
    manager: Manager,
}

impl Outage {
    pub fn new(manager: Manager) -> Arc<Self> {
        Arc::new(Self {
            down: AtomicBool::new(false),
            probing: AtomicBool::new(false),
            manager,
        })
    }

    pub fn is_down(&self) -> bool {
        self.down.load(Ordering::Acquire)
    }

    /// An attempt to connect failed: down until a connection is made.
    fn connect_failed(self: &Arc<Self>, error: &dyn fmt::Display) {
        if !self.down.swap(true, Ordering::AcqRel) {
            tracing::warn!(%error, "database unreachable: answering 503 until it is back");
        } else {
            tracing::debug!(%error, "database still unreachable");
        }
        self.probe_until_back();
    }

    /// No connection could be had for so long, with none in the pool,
    /// that the attempts under way hang: down as if they had failed, so
    /// the next checkout (a request's second) does not wait again.
    pub fn unanswered(self: &Arc<Self>, waited: Duration) {
        self.connect_failed(&format_args!("no connection made in {waited:?}"));
    }

    /// A connection was made: the outage, if any, is over.
    fn connected(&self) {
        if self.down.swap(false, Ordering::AcqRel) {
            tracing::info!("database reachable again");
        }
    }

    /// Starts the probing thread unless one runs. It holds the outage
    /// weakly, so it ends with the last `Db` too.
    fn probe_until_back(self: &Arc<Self>) {
        if self.probing.swap(true, Ordering::AcqRel) {
            return;
        }
        let outage = Arc::downgrade(self);
        let spawned = std::thread::Builder::new()
            .name("db-probe".into())
            .spawn(move || probe(&outage));
        if let Err(e) = spawned {
            // The pool's own retries still end the outage, a little later.
            tracing::warn!(error = %e, "cannot start the database probe");
            self.probing.store(false, Ordering::Release);
        }
    }
}

fn probe(outage: &Weak<Outage>) {
    loop {
        std::thread::sleep(PROBE_EVERY);
        let Some(outage) = outage.upgrade() else {
            return;
        };
        if outage.is_down() {
            match outage.manager.connect() {
                Ok(_) => outage.connected(),
                Err(e) => tracing::debug!(error = %e, "database probe failed"),
            }
        }
        if !outage.is_down() {
            outage.probing.store(false, Ordering::Release);
            // A failure noted between the check and the store found this
            // thread still marked as probing: carry on for it, unless a
            // new thread has taken over.
            let carry_on = outage.is_down() && !outage.probing.swap(true, Ordering::AcqRel);
            if !carry_on {
                return;
            }
        }
    }
}

/// The pool's error handler: every failed connection attempt starts or
/// prolongs an outage. A connection that failed its liveness test does
/// not: the database may well be there for a new one.
#[derive(Debug)]
pub struct OnError(pub Arc<Outage>);

impl HandleError<r2d2::Error> for OnError {
    fn handle_error(&self, error: r2d2::Error) {
        match &error {
            r2d2::Error::ConnectionError(e) => self.0.connect_failed(e),
            r2d2::Error::QueryError(e) => {
                tracing::debug!(error = %e, "a pooled connection was dead");
            }
        }
    }
}

/// The pool's event handler: a new connection ends the outage.
#[derive(Debug)]
pub struct OnEvent(pub Arc<Outage>);

impl event::HandleEvent for OnEvent {
    fn handle_acquire(&self, _: event::AcquireEvent) {
        self.0.connected();
    }
}
