//! The read cache: answers to the hottest reads (a token's check, a
//! session's check, an account's token list), kept only while the database
//! has not changed since they were read.
//!
//! "Changed" is known without asking the database, which is what makes a
//! cached answer cheap: every SQLite database has a change stamp beside it,
//! `<database>.changes`, eight bytes that every tessera process on that
//! database rewrites with a new random value after each change it makes.
//! Reading it is one `pread`. An answer is stored with the stamp read
//! *before* its query, and served only while the stamp still reads the
//! same; so a revocation, once its response is sent, is seen by every
//! instance on the next request, as without the cache.
//!
//! Who rewrites the stamp (see [`super::Db::note_change`]):
//! - the HTTP layer after every request that may write (any method but
//!   GET, HEAD and OPTIONS) and was not refused (a 4xx changes nothing
//!   kept here), before the response leaves (`startup::note_writes`);
//! - the token check, after recording a token's use (the one write a GET
//!   makes);
//! - every connection taken with [`super::Db::get`] (the CLI, start-up,
//!   tests), when it is given back.
//!
//! Whatever else writes to the database (an operator's `sqlite3`) is seen
//! within [`MAX_AGE`]: no answer is served older than that. Nothing is
//! cached on PostgreSQL, whose instances share no file: there every request
//! asks the database.

use std::collections::HashMap;
use std::fs::File;
use std::hash::Hash;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use actix_web::web::Bytes;
use time::PrimitiveDateTime;

use crate::db::Db;
use crate::db::models::accounts::Account;
use crate::db::models::sessions::Session;
use crate::db::models::tokens::{self, ApiToken};
use crate::error::AppError;

/// The longest any answer is served from memory, whatever the stamp says.
pub const MAX_AGE: Duration = Duration::from_secs(1);

/// Checks (token or session) kept before that kind is emptied and refilled:
/// about 1 KB each, far more than one instance's callers of a second.
const MAX_CHECKS: usize = 10_000;

/// Token lists kept: up to 100 rows (30 KB) each.
const MAX_LISTS: usize = 1_000;

/// Bytes of rendered responses kept, all lists together (a 50-token page
/// is about 70 KB). Past it, responses are made for each request again.
const RENDERED_BUDGET: usize = 32 << 20;

/// The change stamp file of the SQLite database at `db`.
pub fn stamp_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".changes");
    PathBuf::from(name)
}

/// The cached reads of one process.
pub struct ReadCache {
    stamp: File,
    pub(crate) tokens: Shelf<[u8; 32], (ApiToken, Account)>,
    pub(crate) sessions: Shelf<[u8; 32], (Session, Account)>,
    pub(crate) lists: Shelf<i64, Arc<Listed>>,
    /// What is left of [`RENDERED_BUDGET`].
    rendered_left: Arc<AtomicUsize>,
}

impl ReadCache {
    /// Opens (creating if need be) the change stamp beside the database.
    pub fn open(db: &Path) -> std::io::Result<Self> {
        let stamp = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(stamp_path(db))?;
        Ok(Self {
            stamp,
            tokens: Shelf::new(MAX_CHECKS),
            sessions: Shelf::new(MAX_CHECKS),
            lists: Shelf::new(MAX_LISTS),
            rendered_left: Arc::new(AtomicUsize::new(RENDERED_BUDGET)),
        })
    }

    /// The stamp as it reads now. Take it before the query whose answer
    /// will be stored with it. An unreadable stamp reads as a change.
    pub fn version(&self) -> u64 {
        let mut bytes = [0u8; 8];
        match self.stamp.read_at(&mut bytes, 0) {
            Ok(8) => u64::from_le_bytes(bytes),
            Ok(_) => 0,
            Err(_) => rand::random(),
        }
    }

    /// A token list read now, whose rendered responses count against this
    /// cache's budget.
    pub fn listed(&self, rows: Vec<ApiToken>) -> Listed {
        Listed {
            rows,
            rendered: Mutex::new(HashMap::new()),
            budget: Some(self.rendered_left.clone()),
        }
    }

    /// Marks the database changed, for every process using it.
    pub fn note_change(&self) {
        if let Err(e) = self.stamp.write_at(&rand::random::<u64>().to_le_bytes(), 0) {
            tracing::warn!(error = %e, "cannot write the database's change stamp");
        }
        // This process need not wait for its own next read to find out.
        self.tokens.clear();
        self.sessions.clear();
        self.lists.clear();
    }
}

impl Db {
    /// An account's tokens, newest first: from the read cache, or one trip.
    pub async fn tokens_of(&self, account_id: i64) -> Result<Arc<Listed>, AppError> {
        self.tokens_of_at(account_id, self.cache().map(ReadCache::version))
            .await
    }

    /// [`Db::tokens_of`] for a request that has read the stamp already
    /// (`version`, before anything else it asked): one read per request.
    pub async fn tokens_of_at(
        &self,
        account_id: i64,
        version: Option<u64>,
    ) -> Result<Arc<Listed>, AppError> {
        if let (Some(cache), Some(version)) = (self.cache(), version)
            && let Some(list) = cache.lists.get(&account_id, version)
        {
            return Ok(list);
        }
        let rows = self
            .run(move |conn| Ok(tokens::list_for_account(conn, account_id)?))
            .await?;
        Ok(self.keep_tokens(account_id, rows, version))
    }

    /// An account's token rows, read after the stamp read `version`: kept
    /// in the read cache when there is one.
    pub fn keep_tokens(
        &self,
        account_id: i64,
        rows: Vec<ApiToken>,
        version: Option<u64>,
    ) -> Arc<Listed> {
        match (self.cache(), version) {
            (Some(cache), Some(version)) => {
                let list = Arc::new(cache.listed(rows));
                cache.lists.put(account_id, list.clone(), version);
                list
            }
            _ => Arc::new(Listed::new(rows)),
        }
    }
}

/// An account's tokens as read, newest first, and the responses last made
/// of them (kept with them in the cache): the JSON list, and the page of
/// each session that viewed them.
pub struct Listed {
    pub rows: Vec<ApiToken>,
    rendered: Mutex<HashMap<String, Rendered>>,
    /// The cache's byte budget for responses, when there is a cache.
    budget: Option<Arc<AtomicUsize>>,
}

struct Rendered {
    body: Bytes,
    made_at: PrimitiveDateTime,
    /// The first expiry after `made_at`: the one moment the same rows make
    /// another response (a status turns to "expired").
    until: Option<PrimitiveDateTime>,
}

/// Responses kept per list: the JSON and a few sessions' pages.
const MAX_RENDERED: usize = 16;

impl Listed {
    /// A list kept by no cache: its responses live as long as it does.
    pub fn new(rows: Vec<ApiToken>) -> Self {
        Self {
            rows,
            rendered: Mutex::new(HashMap::new()),
            budget: None,
        }
    }

    /// Takes `len` bytes from the budget, if there is that much left.
    fn take_budget(&self, len: usize) -> bool {
        self.budget.as_ref().is_none_or(|left| {
            left.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(len))
                .is_ok()
        })
    }

    fn give_back(&self, released: impl Iterator<Item = Rendered>) {
        if let Some(left) = &self.budget {
            left.fetch_add(released.map(|r| r.body.len()).sum(), Ordering::Relaxed);
        }
    }

    /// What `make` renders of these rows at `now`, as `variant` (whatever
    /// else, besides the rows and the time, the response depends on): made
    /// once, and again only once a listed token has expired since (or the
    /// clock went back).
    pub fn rendered<E>(
        &self,
        variant: &str,
        now: PrimitiveDateTime,
        make: impl FnOnce() -> Result<Bytes, E>,
    ) -> Result<Bytes, E> {
        {
            let rendered = self.rendered.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(r) = rendered.get(variant)
                && r.made_at <= now
                && r.until.is_none_or(|until| now < until)
            {
                return Ok(r.body.clone());
            }
        }
        // Made without the lock held: a page takes a while.
        let body = make()?;
        let until = self
            .rows
            .iter()
            .filter_map(|t| t.expires_at)
            .filter(|at| *at > now)
            .min();
        let mut rendered = self.rendered.lock().unwrap_or_else(PoisonError::into_inner);
        if rendered.len() >= MAX_RENDERED {
            self.give_back(rendered.drain().map(|(_, r)| r));
        }
        if let Some(old) = rendered.remove(variant) {
            self.give_back(std::iter::once(old));
        }
        if self.take_budget(body.len()) {
            rendered.insert(
                variant.to_owned(),
                Rendered {
                    body: body.clone(),
                    made_at: now,
                    until,
                },
            );
        }
        Ok(body)
    }
}

impl Drop for Listed {
    fn drop(&mut self) {
        let rendered = std::mem::take(
            self.rendered
                .get_mut()
                .unwrap_or_else(PoisonError::into_inner),
        );
        self.give_back(rendered.into_values());
    }
}

/// One kind of cached answer, all read at one stamp.
pub struct Shelf<K, V> {
    /// Entries kept before the shelf is emptied and refilled.
    capacity: usize,
    inner: Mutex<ShelfInner<K, V>>,
}

struct ShelfInner<K, V> {
    version: u64,
    entries: HashMap<K, (V, Instant)>,
}

impl<K, V> Shelf<K, V> {
    fn new(capacity: usize) -> Self {
        Self {
            capacity,
            inner: Mutex::new(ShelfInner {
                version: 0,
                entries: HashMap::new(),
            }),
        }
    }
}

impl<K: Hash + Eq, V: Clone> Shelf<K, V> {
    /// The answer for `key` if it was read at stamp `version` (the one
    /// that reads now) less than [`MAX_AGE`] ago. Anything read at another
    /// stamp is dropped.
    pub fn get(&self, key: &K, version: u64) -> Option<V> {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if inner.version != version {
            inner.version = version;
            inner.entries.clear();
            return None;
        }
        match inner.entries.get(key) {
            Some((value, at)) if at.elapsed() < MAX_AGE => Some(value.clone()),
            _ => None,
        }
    }

    /// Keeps an answer read at stamp `version`, unless the stamp has moved
    /// on since (then the answer may already be out of date).
    pub fn put(&self, key: K, value: V, version: u64) {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if inner.version != version {
            return;
        }
        if inner.entries.len() >= self.capacity {
            inner.entries.clear();
        }
        inner.entries.insert(key, (value, Instant::now()));
    }

    fn clear(&self) {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.entries.clear();
        // No stamp matches this one: the next read starts afresh.
        inner.version = rand::random();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_lives_only_while_its_stamp_reads() {
        let shelf: Shelf<i64, &str> = Shelf::new(10);
        assert_eq!(shelf.get(&1, 7), None);
        shelf.put(1, "a", 7);
        assert_eq!(shelf.get(&1, 7), Some("a"));
        // The stamp moved: gone, and not back when an old reader stores.
        assert_eq!(shelf.get(&1, 8), None);
        shelf.put(1, "old", 7);
        assert_eq!(shelf.get(&1, 8), None);
        shelf.put(1, "b", 8);
        assert_eq!(shelf.get(&1, 8), Some("b"));
        shelf.clear();
        assert_eq!(shelf.get(&1, 8), None);
    }

    #[test]
    fn the_stamp_changes_for_every_process_on_the_file() {
        let dir = std::env::temp_dir().join(format!("tessera-stamp-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("t.db");
        let here = ReadCache::open(&db).unwrap();
        let there = ReadCache::open(&db).unwrap();
        let before = here.version();
        assert_eq!(there.version(), before);
        there.note_change();
        let after = here.version();
        assert_ne!(after, before);
        assert_eq!(there.version(), after);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn token(id: i64, expires_at: Option<PrimitiveDateTime>) -> ApiToken {
        ApiToken {
            id,
            account_id: 1,
            label: format!("token {id}"),
            prefix: "tsr_00000000".into(),
            scopes: "tokens:read".into(),
            active: true,
            created_at: time::macros::datetime!(2026-01-01 00:00:00),
            expires_at,
            last_used_at: None,
            last_used_ip: None,
        }
    }

    #[test]
    fn a_rendered_list_is_made_again_when_a_listed_token_expires() {
        use time::macros::datetime;
        let listed = Listed::new(vec![
            token(1, Some(datetime!(2026-06-01 12:00:00))),
            token(2, Some(datetime!(2026-03-01 12:00:00))),
            token(3, None),
        ]);
        let made = std::cell::Cell::new(0);
        let render = |now: PrimitiveDateTime| {
            listed
                .rendered("json", now, || {
                    made.set(made.get() + 1);
                    Ok::<_, ()>(Bytes::from(format!("made {}", made.get())))
                })
                .unwrap()
        };
        assert_eq!(render(datetime!(2026-02-01 00:00:00)), "made 1");
        assert_eq!(render(datetime!(2026-03-01 11:59:59)), "made 1");
        // Token 2 expires: statuses change, the body is made again.
        assert_eq!(render(datetime!(2026-03-01 12:00:00)), "made 2");
        assert_eq!(render(datetime!(2026-05-31 00:00:00)), "made 2");
        assert_eq!(render(datetime!(2026-06-01 12:00:00)), "made 3");
        assert_eq!(render(datetime!(2027-01-01 00:00:00)), "made 3");
        // The clock went back: made again rather than trusted.
        assert_eq!(render(datetime!(2026-02-01 00:00:00)), "made 4");
    }

    #[test]
    fn rendered_responses_stay_within_the_budget() {
        let now = time::macros::datetime!(2026-01-01 00:00:00);
        let left = Arc::new(AtomicUsize::new(10));
        let listed = |rows| Listed {
            rows,
            rendered: Mutex::new(HashMap::new()),
            budget: Some(left.clone()),
        };
        let body = |n: usize| move || Ok::<_, ()>(Bytes::from(vec![b'x'; n]));
        let first = listed(vec![token(1, None)]);
        first.rendered("a", now, body(6)).unwrap();
        assert_eq!(left.load(Ordering::Relaxed), 4);
        // Too large for what is left: answered, not kept.
        let second = listed(vec![token(2, None)]);
        second.rendered("a", now, body(6)).unwrap();
        assert_eq!(left.load(Ordering::Relaxed), 4);
        let made = std::cell::Cell::new(false);
        second
            .rendered("a", now, || {
                made.set(true);
                Ok::<_, ()>(Bytes::new())
            })
            .unwrap();
        assert!(made.get(), "the response that did not fit was not kept");
        // A list dropped from the cache gives its bytes back.
        drop(first);
        assert_eq!(left.load(Ordering::Relaxed), 10);
    }

    #[test]
    fn answers_expire() {
        let shelf: Shelf<i64, i64> = Shelf::new(10);
        shelf.get(&1, 1);
        shelf.put(1, 10, 1);
        shelf.inner.lock().unwrap().entries.get_mut(&1).unwrap().1 -= MAX_AGE;
        assert_eq!(shelf.get(&1, 1), None);
    }
}
