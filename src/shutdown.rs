//! What the server finishes on its way out.
//!
//! On SIGTERM (or SIGINT) [`stop_on_signal`] stops accepting at once, gives
//! the connections already accepted [`HANDOVER`] to reach a worker (actix
//! drops those still queued for one when it stops), then stops the server
//! gracefully: the requests in flight finish (up to [`GRACE`]) and the
//! server's future returns; then the hooks
//! registered here run, in the order they were registered, before the
//! process exits 0. Work that keeps something in memory for a while (counts
//! written in batches, a scheduler's queue) registers a hook that writes it
//! down:
//!
//! ```ignore
//! let db = state.db.clone();
//! state.on_shutdown.register("usage counts", move || async move { flush(&db).await });
//! ```
//!
//! A hook runs on the server's runtime, so it may use `Db::run`; each gets
//! at most [`HOOK_LIMIT`], so one that hangs cannot keep the process (and a
//! service manager waiting for it) from stopping.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::Duration;

/// How long requests in flight may take to finish once SIGTERM arrived
/// (SPEC §12); actix's `shutdown_timeout`.
pub const GRACE: Duration = Duration::from_secs(30);

/// How long one hook may take.
pub const HOOK_LIMIT: Duration = Duration::from_secs(10);

/// How long connections accepted before the signal get to reach a worker.
/// Connections made meanwhile wait in the kernel's queue and are reset at
/// the stop, as any made after it are refused: none of those was accepted.
pub const HANDOVER: Duration = Duration::from_millis(200);

/// Waits for SIGTERM or SIGINT, then stops `server` as described above.
/// tessera handles these signals itself (the server is built with
/// actix's own handling off) for the hand-over: actix stops at once.
pub async fn stop_on_signal(server: actix_web::dev::ServerHandle) {
    use actix_web::rt::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::error!("cannot listen for SIGTERM: stopping now");
        server.stop(true).await;
        return;
    };
    futures_util::future::select(Box::pin(term.recv()), Box::pin(int.recv())).await;
    tracing::info!("stopping: no new connections; finishing the requests in flight");
    server.pause().await;
    actix_web::rt::time::sleep(HANDOVER).await;
    server.stop(true).await;
}

type Hook = Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = ()>>> + Send>;

/// The hooks to run after the server stopped.
#[derive(Default)]
pub struct ShutdownHooks(Mutex<Vec<(&'static str, Hook)>>);

impl ShutdownHooks {
    /// Runs `hook` (named `what` in the log) once the server has stopped.
    pub fn register<F, Fut>(&self, what: &'static str, hook: F)
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        let hook: Hook = Box::new(move || Box::pin(hook()));
        self.lock().push((what, hook));
    }

    /// Runs every hook registered so far, once, each for at most
    /// [`HOOK_LIMIT`].
    pub async fn run(&self) {
        self.run_within(HOOK_LIMIT).await
    }

    async fn run_within(&self, limit: Duration) {
        let hooks = std::mem::take(&mut *self.lock());
        for (what, hook) in hooks {
            if actix_web::rt::time::timeout(limit, hook()).await.is_err() {
                tracing::warn!(hook = what, ?limit, "shutdown hook did not finish in time");
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(&'static str, Hook)>> {
        // A hook that panicked while registering leaves the list usable.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[actix_web::test]
    async fn hooks_run_once_in_order_and_a_slow_one_is_cut_short() {
        let hooks = ShutdownHooks::default();
        let ran = Arc::new(Mutex::new(Vec::new()));
        for name in ["first", "second"] {
            let ran = ran.clone();
            hooks.register(name, move || async move { ran.lock().unwrap().push(name) });
        }
        hooks.run().await;
        hooks.run().await;
        assert_eq!(*ran.lock().unwrap(), ["first", "second"]);

        hooks.register("slow", || {
            actix_web::rt::time::sleep(Duration::from_secs(3600))
        });
        let ran_after = ran.clone();
        hooks.register("after", move || async move {
            ran_after.lock().unwrap().push("after")
        });
        hooks.run_within(Duration::from_millis(50)).await;
        assert_eq!(*ran.lock().unwrap(), ["first", "second", "after"]);
    }
}
