//! Token checks on PostgreSQL, asked together.
//!
//! On SQLite the read cache answers most token checks from memory
//! ([`super::cache`]). PostgreSQL instances share no file to learn of each
//! other's changes, so there every request must ask the database, and a
//! round trip to it (a thread hand-off, a pool checkout, a statement on a
//! backend) costs far more than the rest of an API call. So the checks of
//! concurrent requests go in one trip: each request joins the queue; while
//! fewer than [`MAX_RUNNING`] batches are in flight one is started at once,
//! and otherwise the request waits for the next, which takes everything
//! that queued meanwhile. One batch is one statement for all its tokens
//! (`token_hash = ANY($1)`) and one for the token lists its requests want.
//! It only reads: what the rows allow, and writing down a token's use, are
//! the token check's (`auth::check`).
//!
//! Nothing is kept between batches, so a check is exactly as fresh as one
//! query per request: every statement of a batch starts after each of its
//! requests arrived, so it sees every change committed before then,
//! whichever instance made it. A revocation that has been answered is seen
//! on every instance by the next request, as without batching.
//!
//! Under light load a request finds nothing in flight and its batch holds
//! it alone: no timer, no added wait.
//!
//! A batch's answers go back with one wake-up per worker thread: the first
//! of a thread's waiting requests receives them all and hands the others
//! theirs. Woken one by one from the batch's thread, each answer cost the
//! worker a system call, and where both share a CPU the worker took it over
//! at every answer (docs/PERFORMANCE.md).

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::ThreadId;

use tokio::sync::oneshot;

use crate::db::connection::DbConn;
use crate::db::models::tokens::{self, ApiToken};
use crate::db::pool::{Pool, PooledConn};
use crate::db::rows::{AccountTokens, Found, LiveToken};
use crate::db::timestamps::now;
use crate::error::AppError;
use crate::tokens::TokenHash;

/// Batches in flight at once, each on its own connection and blocking
/// thread. More than one splits the waiting requests into smaller batches,
/// which costs the database more per request: on bench/run.sh's (b), 1 in
/// flight gave 24% of the ceiling, 2 gave 13%, 4 gave 5%
/// (docs/PERFORMANCE.md). While one is out, the next fills.
pub const MAX_RUNNING: usize = 1;

/// The most checks one batch takes; the rest wait for the next. Bounds the
/// size of one statement and the time its first caller waits.
pub const MAX_BATCH: usize = 512;

/// The queue of one process, and the pool its batches take connections
/// from.
pub struct Batcher {
    queue: Mutex<Queue>,
    pool: Pool,
}

#[derive(Default)]
struct Queue {
    waiting: Vec<Job>,
    running: usize,
    /// The connection batches run on, kept between them: a checkout from
    /// the pool costs a round trip of its own (its liveness test).
    conn: Option<PooledConn>,
}

struct Job {
    hash: [u8; 32],
    with_tokens: bool,
    /// The worker thread the request waits on.
    thread: ThreadId,
    reply: oneshot::Sender<Reply>,
}

/// One request's answer: the live token and its owner, or `None`.
type Answer = Result<Option<Found>, AppError>;

/// What a waiting request receives: its answer, and those of other
/// requests waiting on its thread, for it to hand on.
struct Reply {
    answer: Answer,
    others: HandOn,
}

/// An answer and where it goes.
type Unsent = (oneshot::Sender<Reply>, Answer);

/// Answers for other requests of the same thread, sent on when dropped:
/// by the request they came with, once it has its own, or with its reply
/// unread when that request is gone (its caller hung up).
struct HandOn(Vec<Unsent>);

impl Drop for HandOn {
    fn drop(&mut self) {
        for (to, answer) in self.0.drain(..) {
            let _ = to.send(Reply::alone(answer));
        }
    }
}

impl Reply {
    fn alone(answer: Answer) -> Self {
        Self {
            answer,
            others: HandOn(Vec::new()),
        }
    }
}

impl Batcher {
    pub fn new(pool: Pool) -> Self {
        Self {
            queue: Mutex::default(),
            pool,
        }
    }

    /// The live token with this hash and its owner, with the owner's tokens
    /// if `with_tokens`, asked in one trip together with the other requests'
    /// checks of the moment. `None`: no such live token.
    pub async fn check(self: &Arc<Self>, hash: &TokenHash, with_tokens: bool) -> Answer {
        let (reply, answer) = oneshot::channel();
        let start = {
            let mut queue = self.lock();
            queue.waiting.push(Job {
                hash: hash.0,
                with_tokens,
                thread: std::thread::current().id(),
                reply,
            });
            let start = queue.running < MAX_RUNNING;
            queue.running += usize::from(start);
            start
        };
        if start {
            let mut running = Running(Some(self.clone()));
            // Not awaited: the batch is answered whether or not this
            // request still waits for it.
            drop(actix_web::rt::task::spawn_blocking(move || {
                if let Some(batcher) = &running.0 {
                    batcher.drain();
                }
                // Ended: the drain gave its place back itself.
                running.0.take();
            }));
        }
        let Reply { answer, others } = answer
            .await
            .map_err(|_| AppError::Internal("token check batch ended without an answer".into()))?;
        // Handed on at once: none of these requests waits on this one.
        drop(others);
        answer
    }

    /// On a blocking thread: answers batches until the queue is empty, then
    /// gives up its place in [`MAX_RUNNING`] (under the queue's lock, so a
    /// request that queues meanwhile starts the next drain).
    fn drain(&self) {
        let mut conn = self.lock().conn.take();
        loop {
            // Let this CPU's other runnable threads go first: when the
            // workers share it (a busy one-box deployment), they read and
            // queue the requests already arrived, and the batch leaves with
            // all of them rather than with the first. Where a CPU is free,
            // this returns at once.
            std::thread::yield_now();
            let jobs = {
                let mut queue = self.lock();
                if queue.waiting.is_empty() {
                    queue.running -= 1;
                    // Kept for the next batch, unless the pool has no other.
                    if self.pool.max_size() > 1 {
                        queue.conn = conn;
                    }
                    return;
                }
                let n = queue.waiting.len().min(MAX_BATCH);
                queue.waiting.drain(..n).collect::<Vec<_>>()
            };
            let answers =
                std::panic::catch_unwind(AssertUnwindSafe(|| self.answer_on(&mut conn, &jobs)))
                    .unwrap_or_else(|_| {
                        Err(AppError::Internal("token check batch panicked".into()))
                    });
            match answers {
                Ok(answers) => deliver(jobs.into_iter().zip(answers.into_iter().map(Ok))),
                Err(e) => {
                    tracing::warn!(error = %e, requests = jobs.len(), "token check batch failed");
                    // The next batch takes a connection afresh.
                    conn = None;
                    deliver(jobs.into_iter().map(|job| (job, Err(e.clone()))));
                }
            }
        }
    }

    /// One batch on the kept connection, else on one from the pool (whose
    /// checkout tests it). A kept connection may have died with the
    /// database server while idle: then the batch is asked once more, on a
    /// fresh one, rather than failed.
    fn answer_on(
        &self,
        conn: &mut Option<PooledConn>,
        jobs: &[Job],
    ) -> Result<Vec<Option<Found>>, AppError> {
        if let Some(kept) = conn.as_mut() {
            match answer(kept, jobs) {
                Err(AppError::Unavailable) => *conn = None,
                answered => return answered,
            }
        }
        answer(conn.insert(self.pool.checkout()?), jobs)
    }
}

/// A drain's place in [`MAX_RUNNING`], given back by [`Batcher::drain`] itself.
/// If the drain never ran or did not end (the runtime shutting down would
/// drop it unrun), this gives the place back and fails the waiting checks
/// rather than leaving them waiting for ever.
struct Running(Option<Arc<Batcher>>);

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(batcher) = &self.0 {
            let mut queue = batcher.lock();
            queue.running -= 1;
            for job in queue.waiting.drain(..) {
                let _ = job.reply.send(Reply::alone(Err(AppError::Unavailable)));
            }
        }
    }
}

/// Sends a batch's answers: all those of one worker thread to the first of
/// its requests still waiting, which hands the others theirs (one wake-up
/// for the thread, not one per request).
fn deliver(answered: impl IntoIterator<Item = (Job, Answer)>) {
    let mut threads: Vec<(ThreadId, Vec<Unsent>)> = Vec::new();
    for (job, answer) in answered {
        match threads.iter_mut().find(|(thread, _)| *thread == job.thread) {
            Some((_, replies)) => replies.push((job.reply, answer)),
            None => threads.push((job.thread, vec![(job.reply, answer)])),
        }
    }
    for (_, mut replies) in threads {
        while let Some((first, answer)) = replies.pop() {
            let others = HandOn(std::mem::take(&mut replies));
            match first.send(Reply { answer, others }) {
                Ok(()) => break,
                // That request is gone: the next one takes the others.
                Err(mut unsent) => replies = std::mem::take(&mut unsent.others.0),
            }
        }
    }
}

impl Batcher {
    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One batch: what each job asked, in the jobs' order.
fn answer(conn: &mut DbConn, jobs: &[Job]) -> Result<Vec<Option<Found>>, AppError> {
    let now = now();
    // Each token asked once.
    let mut hashes: Vec<&[u8]> = jobs.iter().map(|j| &j.hash[..]).collect();
    hashes.sort_unstable();
    hashes.dedup();
    // A token in its grace period answers to both its secrets.
    let mut live: HashMap<Vec<u8>, LiveToken> = HashMap::new();
    for (hash, token, account) in tokens::find_live_by_hashes(conn, &hashes, now)? {
        let previous = token.previous_hash.clone();
        let row = Arc::new((token, Arc::new(account)));
        if let Some(previous) = previous {
            live.insert(previous, row.clone());
        }
        live.insert(hash, row);
    }

    let mut owners: Vec<i64> = jobs
        .iter()
        .filter(|j| j.with_tokens)
        .filter_map(|j| live.get(&j.hash[..]))
        .map(|live| live.1.id)
        .collect();
    owners.sort_unstable();
    owners.dedup();
    // Every owner gets a list, even one emptied since the lookup.
    let mut lists: HashMap<i64, Vec<ApiToken>> =
        owners.iter().map(|id| (*id, Vec::new())).collect();
    if !owners.is_empty() {
        for token in tokens::list_for_accounts(conn, &owners)? {
            lists.entry(token.account_id).or_default().push(token);
        }
    }
    let lists: HashMap<i64, AccountTokens> = lists
        .into_iter()
        .map(|(id, rows)| {
            let list = AccountTokens {
                rows: Arc::new(rows),
                stamp: None,
            };
            (id, list)
        })
        .collect();

    Ok(jobs
        .iter()
        .map(|job| {
            let live = live.get(&job.hash[..])?;
            Some(Found {
                live: live.clone(),
                list: job
                    .with_tokens
                    .then(|| lists.get(&live.1.id).cloned())
                    .flatten(),
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(thread: ThreadId) -> (Job, oneshot::Receiver<Reply>) {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            hash: [0; 32],
            with_tokens: false,
            thread,
            reply,
        };
        (job, answer)
    }

    fn mark(answer: &Answer) -> String {
        match answer {
            Err(AppError::Internal(m)) => m.clone(),
            _ => panic!("an answer this test did not send"),
        }
    }

    #[test]
    fn each_thread_is_answered_through_one_request_that_hands_on_the_rest() {
        let here = std::thread::current().id();
        let there = std::thread::spawn(|| ()).thread().id();
        let threads = [here, here, here, there, here, there, here];
        let (jobs, waiting): (Vec<_>, Vec<_>) = threads.iter().map(|t| job(*t)).unzip();
        let mut waiting: Vec<Option<_>> = waiting.into_iter().map(Some).collect();
        // Requests gone before the batch answers (their callers hung up),
        // among them the last of its thread, which would have taken the
        // others' answers.
        waiting[4] = None;
        waiting[6] = None;
        let answered = jobs
            .into_iter()
            .enumerate()
            .map(|(i, job)| (job, Err(AppError::Internal(i.to_string()))));
        deliver(answered);
        // The request that took its thread's answers goes away with its
        // reply unread: the others get theirs all the same.
        drop(waiting[5].take());

        // One reply arrives directly, carrying the others of its thread.
        let mut replies: Vec<Option<Reply>> = waiting
            .iter_mut()
            .map(|w| w.as_mut().and_then(|w| w.try_recv().ok()))
            .collect();
        let direct: Vec<(String, usize)> = replies
            .iter()
            .flatten()
            .map(|r| (mark(&r.answer), r.others.0.len()))
            .collect();
        assert_eq!(direct, [("2".to_owned(), 2), ("3".to_owned(), 0)]);
        // Reading its reply hands the others theirs (as `check` does).
        drop(replies[2].take());
        let marks: Vec<String> = [0, 1]
            .into_iter()
            .map(|i| waiting[i].as_mut().unwrap().try_recv())
            .map(|reply| {
                mark(
                    &reply
                        .expect("every request still waiting is answered")
                        .answer,
                )
            })
            .collect();
        assert_eq!(marks, ["0", "1"]);
    }
}
