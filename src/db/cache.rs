//! The read cache (SQLite): the rows behind the hottest reads (a token's
//! check, a session's check, an account's token list), kept only while the
//! database has not changed since they were read.
//!
//! Every answer is kept under the change stamp ([`super::changes`]) read
//! *before* its query: a request reads the stamp once, and asks for its
//! rows under that stamp. After any change the stamp reads differently, so
//! nothing read before it is found again: a revocation, once its response
//! is sent, is seen by every instance on the next request, as without the
//! cache. Concurrent requests that miss the same key wait for one load
//! (quick_cache's single-flight `get_or_insert_async`): a burst after a
//! change costs one query, not one per request.
//!
//! Whatever else writes to the database (an operator's `sqlite3`) is seen
//! within [`MAX_AGE`]: no answer is kept longer than that. Nothing is cached
//! on PostgreSQL, whose instances share no file: there every request asks
//! the database (`super::batch`).

use std::future::Future;
use std::hash::Hash;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use quick_cache::sync::Cache;

use crate::db::changes::ChangeStamp;
use crate::db::models::accounts::Account;
use crate::db::models::sessions::Session;
use crate::db::models::tokens::ApiToken;
use crate::db::rows::LiveToken;

/// The longest any answer is kept, whatever the stamp says.
pub const MAX_AGE: Duration = Duration::from_secs(10);

/// Checks (token or session) kept: about 1 KB each, far more than one
/// instance's callers of a few seconds.
const MAX_CHECKS: usize = 10_000;

/// Token lists kept: up to 100 rows (30 KB) each.
const MAX_LISTS: usize = 1_000;

/// A live session and its account, as read.
pub type SessionRows = Arc<(Session, Account)>;

/// The cached reads of one process.
pub struct ReadCache {
    stamp: ChangeStamp,
    pub(crate) tokens: Kind<[u8; 32], Option<LiveToken>>,
    pub(crate) sessions: Kind<[u8; 32], Option<SessionRows>>,
    pub(crate) lists: Kind<i64, Arc<Vec<ApiToken>>>,
}

/// How often a kind of answer was asked for, and how often that took a
/// query; the rest were answered from memory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub asked: u64,
    pub loaded: u64,
}

/// [`Counts`] of each kind, since the process started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    pub tokens: Counts,
    pub sessions: Counts,
    pub lists: Counts,
}

impl ReadCache {
    pub fn open(db: &Path) -> std::io::Result<Self> {
        Ok(Self {
            stamp: ChangeStamp::open(db)?,
            tokens: Kind::new(MAX_CHECKS),
            sessions: Kind::new(MAX_CHECKS),
            lists: Kind::new(MAX_LISTS),
        })
    }

    /// The change stamp as it reads now: read it once per request, before
    /// asking for anything.
    pub fn stamp(&self) -> u64 {
        self.stamp.read()
    }

    /// Marks the database changed, for every process using it.
    pub fn note_change(&self) {
        self.stamp.bump();
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats {
            tokens: self.tokens.counts(),
            sessions: self.sessions.counts(),
            lists: self.lists.counts(),
        }
    }
}

/// One kind of cached answer, keyed by the stamp it was read at and by the
/// period of this process ([`MAX_AGE`] long) it was read in, so none is
/// kept longer than that (quick_cache has no time to live of its own, and
/// no bookkeeping on reads, which made moka's cost show on every API call).
/// Each key's periods start at an offset of its own: the answers read in
/// one burst are not all read again in the same instant.
pub struct Kind<K, V> {
    cache: Cache<(u64, u64, K), V>,
    started: Instant,
    period: Duration,
    /// Keys' offsets: the cache's own hasher, cheaper than SipHash, and
    /// seeded per process.
    offsets: quick_cache::DefaultHashBuilder,
    asked: AtomicU64,
    loaded: AtomicU64,
}

impl<K, V> Kind<K, V>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    fn new(capacity: usize) -> Self {
        Self::with_period(capacity, MAX_AGE)
    }

    fn with_period(capacity: usize, period: Duration) -> Self {
        Self {
            cache: Cache::new(capacity),
            started: Instant::now(),
            period,
            offsets: Default::default(),
            asked: AtomicU64::new(0),
            loaded: AtomicU64::new(0),
        }
    }

    /// The answer for `key` as of `stamp`: kept, or read by `load`, once
    /// however many requests ask at the same time. A failed load is not
    /// kept; each waiting request gets its error.
    pub async fn get<E, F>(&self, stamp: u64, key: K, load: F) -> Result<V, E>
    where
        E: Clone + Send + Sync + 'static,
        F: Future<Output = Result<V, E>>,
    {
        self.asked.fetch_add(1, Ordering::Relaxed);
        let key = (stamp, self.period_of(&key), key);
        let loaded = &self.loaded;
        self.cache
            .get_or_insert_async(&key, async move {
                loaded.fetch_add(1, Ordering::Relaxed);
                load.await
            })
            .await
    }

    /// Drops the answer for `key` kept under `stamp`: the next request
    /// reads it again. For what this process changed that is no news to
    /// the others (a token's use: `Db::record_use`).
    pub fn forget(&self, stamp: u64, key: K) {
        let key = (stamp, self.period_of(&key), key);
        self.cache.remove(&key);
    }

    /// Which of its periods `key` is in, counted from its own offset.
    fn period_of(&self, key: &K) -> u64 {
        let period = self.period.as_nanos() as u64;
        let offset = self.offsets.hash_one(key) % period;
        let elapsed = u64::try_from(self.started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        elapsed.saturating_add(offset) / period
    }

    fn counts(&self) -> Counts {
        Counts {
            asked: self.asked.load(Ordering::Relaxed),
            loaded: self.loaded.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PERIOD: Duration = Duration::from_millis(200);

    fn kind() -> Kind<i64, &'static str> {
        Kind::with_period(10, PERIOD)
    }

    fn block_on<T>(f: impl Future<Output = T>) -> T {
        actix_web::rt::System::new().block_on(f)
    }

    #[test]
    fn an_answer_is_found_only_under_its_stamp() {
        block_on(async {
            let kind = kind();
            let load = |v| async move { Ok::<_, ()>(v) };
            assert_eq!(kind.get(7, 1, load("a")).await, Ok("a"));
            assert_eq!(kind.get(7, 1, load("not read")).await, Ok("a"));
            // The stamp moved: read again.
            assert_eq!(kind.get(8, 1, load("b")).await, Ok("b"));
            assert_eq!(
                kind.counts(),
                Counts {
                    asked: 3,
                    loaded: 2
                }
            );
        });
    }

    #[test]
    fn a_failed_load_is_not_kept() {
        block_on(async {
            let kind = kind();
            assert_eq!(kind.get(1, 1, async { Err("down") }).await, Err("down"));
            assert_eq!(
                kind.get(1, 1, async { Ok::<_, &str>("up") }).await,
                Ok("up")
            );
        });
    }

    #[test]
    fn a_forgotten_answer_is_read_again() {
        block_on(async {
            let kind = kind();
            kind.get(1, 1, async { Ok::<_, ()>("old") }).await.unwrap();
            kind.get(1, 2, async { Ok::<_, ()>("other") })
                .await
                .unwrap();
            kind.forget(1, 1);
            assert_eq!(
                kind.get(1, 1, async { Ok::<_, ()>("new") }).await,
                Ok("new")
            );
            assert_eq!(
                kind.get(1, 2, async { Ok::<_, ()>("not read") }).await,
                Ok("other")
            );
        });
    }

    #[test]
    fn answers_expire() {
        block_on(async {
            let kind = kind();
            kind.get(1, 1, async { Ok::<_, ()>("old") }).await.unwrap();
            std::thread::sleep(PERIOD + Duration::from_millis(50));
            assert_eq!(
                kind.get(1, 1, async { Ok::<_, ()>("new") }).await,
                Ok("new")
            );
        });
    }
}
