//! A token's own restrictions, judged on every use (`check::check_from` calls
//! [`admit`]): the addresses it may be used from and its rate limit
//! (SPEC §8, "Per-token restrictions").
//!
//! The rate limit is GCRA from `governor`, in process: one keyed limiter
//! per distinct limit, keyed by token id, so a token's limit may change
//! without carrying an old count. On PostgreSQL several instances share
//! the count: each admits locally and, at most once a second per token,
//! adds what it admitted since to the row of that token and minute
//! (`token_rate_counts`) and reads the sum of every instance back; once
//! the sum reaches the limit, every instance refuses the token until the
//! minute is over. An instance also adds its count early once it has
//! admitted a quarter of what it knows to be left, so a burst spread over
//! the instances cannot spend the limit once per instance. The instances may
//! together overshoot by what they admit between two such reads
//! (docs/PERFORMANCE.md has the measured figure).

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{HttpMessage, HttpRequest};
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::actions::{self, Actor};
use crate::db::models::accounts::Account;
use crate::db::models::audit::Event;
use crate::db::models::token_rate_counts;
use crate::db::models::tokens::{self as token_db, ApiToken};
use crate::db::{self, write_transaction};
use crate::error::AppError;
use crate::restrictions::AllowedIps;
use crate::state::AppState;

/// Where a rate-limited token stands after a request: the
/// `X-RateLimit-*` headers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateStatus {
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the whole limit is available again.
    pub reset: u64,
    /// Seconds until the next request may pass (a refusal's `Retry-After`).
    pub retry_after: u64,
}

const LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
const REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
const RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");

impl RateStatus {
    pub fn headers(&self) -> [(HeaderName, HeaderValue); 3] {
        [
            (LIMIT, HeaderValue::from(self.limit)),
            (REMAINING, HeaderValue::from(self.remaining)),
            (RESET, HeaderValue::from(self.reset)),
        ]
    }
}

type Limiter = DefaultKeyedRateLimiter<i64, StateInformationMiddleware>;

/// The in-process side of every token's rate limit.
#[derive(Default)]
pub struct RateLimits {
    by_limit: RwLock<HashMap<u32, Arc<Limiter>>>,
    shared: Mutex<HashMap<i64, Shared>>,
    checks: AtomicU32,
}

/// One token's count as all instances see it, for the current minute.
struct Shared {
    minute: i64,
    /// The sum of every instance as last read.
    total: i64,
    /// Admitted here since it was last added to the shared row.
    unflushed: i64,
    flushed_at: Option<Instant>,
}

/// How often an instance adds its count to the shared row, per token.
const FLUSH_EVERY: Duration = Duration::from_secs(1);
/// An instance adds its count early once it has admitted this fraction
/// (1/n) of what it knows to be left.
const SHARE_EARLY_AT: i64 = 4;
/// How many checks between sweeps of tokens no longer limited.
const SWEEP_EVERY: u32 = 1 << 16;

impl RateLimits {
    fn limiter(&self, limit: NonZeroU32) -> Arc<Limiter> {
        if let Some(l) = self.read_limiters().get(&limit.get()) {
            return l.clone();
        }
        let mut all = self.by_limit.write().unwrap_or_else(|e| e.into_inner());
        all.entry(limit.get())
            .or_insert_with(|| {
                Arc::new(
                    RateLimiter::keyed(Quota::per_minute(limit))
                        .with_middleware::<StateInformationMiddleware>(),
                )
            })
            .clone()
    }

    fn read_limiters(&self) -> std::sync::RwLockReadGuard<'_, HashMap<u32, Arc<Limiter>>> {
        self.by_limit.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Forgets the tokens whose count is back to full, now and then, so
    /// the memory follows the tokens in use.
    fn sweep(&self) {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY != SWEEP_EVERY - 1 {
            return;
        }
        for limiter in self.read_limiters().values() {
            limiter.retain_recent();
        }
        let minute = minute_now();
        self.shared_counts().retain(|_, s| s.minute == minute);
    }

    fn shared_counts(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Shared>> {
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts a use of `token` under `limit` in this process.
    fn take_local(&self, token: i64, limit: NonZeroU32) -> Result<RateStatus, AppError> {
        self.sweep();
        let limiter = self.limiter(limit);
        let per_one = 60.0 / f64::from(limit.get());
        match limiter.check_key(&token) {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity();
                Ok(RateStatus {
                    limit: limit.get(),
                    remaining,
                    reset: (f64::from(limit.get() - remaining) * per_one).ceil() as u64,
                    retry_after: 0,
                })
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                Err(AppError::RateLimited(RateStatus {
                    limit: limit.get(),
                    remaining: 0,
                    reset: (f64::from(limit.get()) * per_one).ceil() as u64,
                    retry_after: wait.as_secs_f64().ceil().max(1.0) as u64,
                }))
            }
        }
    }
}

fn minute_now() -> i64 {
    time::OffsetDateTime::now_utc()
        .unix_timestamp()
        .div_euclid(60)
}

fn seconds_left_in_minute() -> u64 {
    (60 - time::OffsetDateTime::now_utc()
        .unix_timestamp()
        .rem_euclid(60)) as u64
}

/// Judges a use of `token` (owned by `owner`) from `ip` against its
/// restrictions: 403 `ip_not_allowed` from outside its allowlist, 429
/// past its rate limit; otherwise where its rate limit stands, if it has
/// one.
pub async fn admit(
    state: &AppState,
    token: &ApiToken,
    owner: &Account,
    ip: Option<&str>,
) -> Result<Option<RateStatus>, AppError> {
    if !AllowedIps::admits(&token.allowed_ips, ip) {
        refused_ip(state, token, owner, ip).await;
        return Err(AppError::IpNotAllowed);
    }
    let Some(limit) = token
        .rate_limit_per_minute
        .and_then(|n| u32::try_from(n).ok())
        .and_then(NonZeroU32::new)
    else {
        return Ok(None);
    };
    let limits = &state.limits;
    let local = limits.take_local(token.id, limit)?;
    if state.db.batcher().is_none() {
        return Ok(Some(local));
    }
    shared(state, token.id, limit.get(), local).await.map(Some)
}

/// The PostgreSQL side: the count of every instance this minute.
async fn shared(
    state: &AppState,
    token: i64,
    limit: u32,
    local: RateStatus,
) -> Result<RateStatus, AppError> {
    let minute = minute_now();
    let spent = || {
        let left = seconds_left_in_minute();
        AppError::RateLimited(RateStatus {
            limit,
            remaining: 0,
            reset: left,
            retry_after: left,
        })
    };
    let flush = {
        let mut counts = state.limits.shared_counts();
        let entry = counts.entry(token).or_insert(Shared {
            minute,
            total: 0,
            unflushed: 0,
            flushed_at: None,
        });
        if entry.minute != minute {
            *entry = Shared {
                minute,
                total: 0,
                unflushed: 0,
                flushed_at: None,
            };
        }
        if entry.total + entry.unflushed >= i64::from(limit) {
            return Err(spent());
        }
        entry.unflushed += 1;
        // Once a second, or sooner when what this instance admitted
        // unshared reaches a quarter of what it knows to be left: while
        // every instance spends at most a quarter between two reads, a burst
        // spread over a few of them cannot spend the limit twice over, for a
        // dozen writes or so per token and minute.
        let left = i64::from(limit) - entry.total;
        let due = entry
            .flushed_at
            .is_none_or(|at| at.elapsed() >= FLUSH_EVERY)
            || entry.unflushed * SHARE_EARLY_AT >= left;
        if due {
            entry.flushed_at = Some(Instant::now());
            // Counted as known at once, so that requests admitted while the
            // write is on its way see it.
            let uses = std::mem::take(&mut entry.unflushed);
            entry.total += uses;
            Some(uses)
        } else {
            None
        }
    };
    let seen = if let Some(uses) = flush {
        let total = state
            .db
            .run(move |conn| Ok(token_rate_counts::add(conn, token, minute, uses)?))
            .await;
        match total {
            Ok(Some(total)) => {
                let mut counts = state.limits.shared_counts();
                if let Some(entry) = counts.get_mut(&token).filter(|e| e.minute == minute) {
                    // Writes may come back out of order: the largest sum is
                    // the latest.
                    entry.total = entry.total.max(total);
                }
                total
            }
            Ok(None) => 0,
            Err(e) => {
                // The count is bookkeeping: the local limit still holds.
                tracing::warn!(error = %e, token_id = token, "could not share the rate count");
                0
            }
        }
    } else {
        let counts = state.limits.shared_counts();
        counts.get(&token).map_or(0, |e| e.total + e.unflushed)
    };
    // `seen` counts this request already.
    if seen > i64::from(limit) {
        return Err(spent());
    }
    let left = u32::try_from(i64::from(limit) - seen.max(0)).unwrap_or(0);
    Ok(RateStatus {
        remaining: local.remaining.min(left),
        reset: local.reset.max(if seen > 0 {
            seconds_left_in_minute()
        } else {
            0
        }),
        ..local
    })
}

/// Audits a use refused for its address, at most once a minute per token
/// (in SQL, so every instance agrees). Bookkeeping: a failure is logged.
async fn refused_ip(state: &AppState, token: &ApiToken, owner: &Account, ip: Option<&str>) {
    let (id, prefix, owner, ip) = (
        token.id,
        token.prefix.clone(),
        owner.clone(),
        ip.map(str::to_owned),
    );
    let result = state
        .db
        .run(move |conn| {
            write_transaction::<_, AppError, _>(conn, |conn| {
                if token_db::note_ip_refused(conn, id, db::now())? {
                    actions::record(
                        conn,
                        Event::TokenIpRefused,
                        Actor::new(&owner, ip.as_deref()),
                        Some(&owner.account_id),
                        Some(&prefix),
                    )?;
                }
                Ok(())
            })
        })
        .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, token_id = id, "could not audit a refused address");
    }
}

/// Leaves the token's rate status for the response's headers
/// (`check::token_headers`).
pub fn note(req: &HttpRequest, status: Option<RateStatus>) {
    if let Some(status) = status {
        req.extensions_mut().insert(status);
    }
}
