//! `/metrics` (SPEC §12): what a Prometheus server scrapes.
//!
//! | series | what |
//! | --- | --- |
//! | `tessera_http_requests_total{route, status}` | requests by route pattern (never the raw path: ids and tokens do not become labels) and status |
//! | `tessera_http_request_duration_seconds{route}` | latency histogram |
//! | `tessera_token_checks_total{result}` | `ok`, `bad_checksum`, `unknown`, `refused` |
//! | `tessera_db_pool_connections`, `tessera_db_pool_idle_connections`, `tessera_db_pool_max_connections` | the pool, at the scrape |
//! | `tessera_db_pool_waits_total`, `tessera_db_pool_wait_seconds_total` | checkouts that waited for a connection (over 1 ms), and how long in all |
//! | `tessera_db_unavailable_total` | checkouts answered 503 (database down or pool exhausted) |
//! | `tessera_cache_requests_total{kind}`, `tessera_cache_misses_total{kind}` | the SQLite read cache (`db::cache`): answers asked for and those that took a query |
//! | `tessera_mails_total{result}` | mails `sent` and `failed` ([`mail`]) |
//!
//! Counting is cheap: on a request's path only atomic increments of
//! counters made at start (one per route and usual status, one per check
//! result), no lock and no label lookup. The counters are the process's
//! (a free function is all a mail sender needs to call); the pool and
//! cache figures are read from the serving `Db` at each scrape.

use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts,
    Registry, TextEncoder,
};

use crate::db::Db;
use crate::db::cache::Counts;

/// The statuses counted without a label lookup; any other takes one.
const USUAL_STATUSES: [u16; 16] = [
    200, 201, 204, 303, 304, 400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 503,
];

/// Latency buckets, in seconds: most answers take well under a
/// millisecond; a pool waiting or a slow database shows in the upper ones.
const BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// How one token check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckResult {
    Ok,
    /// Not a token at all: wrong length, prefix, alphabet or checksum.
    BadChecksum,
    /// Well formed, but no live token has that hash (under any key).
    Unknown,
    /// Found, but deactivated, expired or its owner deactivated since.
    Refused,
}

impl CheckResult {
    const ALL: [CheckResult; 4] = [Self::Ok, Self::BadChecksum, Self::Unknown, Self::Refused];

    fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::BadChecksum => "bad_checksum",
            Self::Unknown => "unknown",
            Self::Refused => "refused",
        }
    }
}

/// A route's counters, made at start.
struct RouteSeries {
    by_status: [IntCounter; USUAL_STATUSES.len()],
    latency: Histogram,
}

struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    /// Per route of `startup::ENDPOINTS`, in order, then requests that
    /// matched no route.
    routes: Vec<RouteSeries>,
    token_checks: [IntCounter; 4],
    pool_connections: IntGauge,
    pool_idle: IntGauge,
    pool_max: IntGauge,
    pool_waits: IntCounter,
    pool_wait_seconds: prometheus::Counter,
    unavailable: IntCounter,
    cache_requests: IntCounterVec,
    cache_misses: IntCounterVec,
    /// What the cache counters were last brought up to (cache counts are
    /// the cache's own; a scrape adds what is new).
    cache_seen: Mutex<[Counts; 3]>,
    mails: [IntCounter; 2],
}

/// The label of requests that matched no route.
const UNMATCHED: &str = "unmatched";

fn register<C: prometheus::core::Collector + Clone + 'static>(registry: &Registry, c: C) -> C {
    registry
        .register(Box::new(c.clone()))
        .expect("each series is registered once");
    c
}

static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let registry = Registry::new();
    let r = &registry;
    let requests = register(
        r,
        IntCounterVec::new(
            Opts::new(
                "tessera_http_requests_total",
                "HTTP requests by route and status",
            ),
            &["route", "status"],
        )
        .expect("valid metric"),
    );
    let latency = register(
        r,
        HistogramVec::new(
            HistogramOpts::new(
                "tessera_http_request_duration_seconds",
                "Time from a request's arrival to its response, by route",
            )
            .buckets(BUCKETS.to_vec()),
            &["route"],
        )
        .expect("valid metric"),
    );
    let routes = crate::startup::route_labels()
        .chain([UNMATCHED.to_owned()])
        .map(|route| RouteSeries {
            by_status: USUAL_STATUSES
                .map(|s| requests.with_label_values(&[route.as_str(), &s.to_string()])),
            latency: latency.with_label_values(&[route.as_str()]),
        })
        .collect();
    let checks = register(
        r,
        IntCounterVec::new(
            Opts::new("tessera_token_checks_total", "Token checks by result"),
            &["result"],
        )
        .expect("valid metric"),
    );
    let gauge =
        |name: &str, help: &str| register(r, IntGauge::new(name, help).expect("valid metric"));
    let counter =
        |name: &str, help: &str| register(r, IntCounter::new(name, help).expect("valid metric"));
    let by_kind = |name: &str, help: &str| {
        register(
            r,
            IntCounterVec::new(Opts::new(name, help), &["kind"]).expect("valid metric"),
        )
    };
    let mails = register(
        r,
        IntCounterVec::new(
            Opts::new("tessera_mails_total", "Mails by result"),
            &["result"],
        )
        .expect("valid metric"),
    );
    Metrics {
        routes,
        token_checks: CheckResult::ALL.map(|c| checks.with_label_values(&[c.as_str()])),
        pool_connections: gauge(
            "tessera_db_pool_connections",
            "Database connections open in this process's pool",
        ),
        pool_idle: gauge(
            "tessera_db_pool_idle_connections",
            "Open database connections not in use",
        ),
        pool_max: gauge(
            "tessera_db_pool_max_connections",
            "The pool's size (TESSERA_POOL_SIZE)",
        ),
        pool_waits: counter(
            "tessera_db_pool_waits_total",
            "Checkouts that waited over 1 ms for a connection",
        ),
        pool_wait_seconds: register(
            r,
            prometheus::Counter::new(
                "tessera_db_pool_wait_seconds_total",
                "Time spent waiting for a database connection",
            )
            .expect("valid metric"),
        ),
        unavailable: counter(
            "tessera_db_unavailable_total",
            "Checkouts answered 503: database down or pool exhausted",
        ),
        cache_requests: by_kind(
            "tessera_cache_requests_total",
            "Reads asked of the SQLite read cache, by kind",
        ),
        cache_misses: by_kind(
            "tessera_cache_misses_total",
            "Reads the SQLite read cache answered with a query, by kind",
        ),
        cache_seen: Mutex::default(),
        mails: ["sent", "failed"].map(|r| mails.with_label_values(&[r])),
        requests,
        registry,
    }
});

/// Counts a response to a request for route number `route` of
/// `startup::ENDPOINTS` (`None`: no route matched).
pub fn request(route: Option<usize>, status: u16, took: Duration) {
    let m = &*METRICS;
    let series = route
        .and_then(|i| m.routes.get(i))
        .unwrap_or_else(|| m.routes.last().expect("the unmatched series"));
    match USUAL_STATUSES.iter().position(|s| *s == status) {
        Some(i) => series.by_status[i].inc(),
        None => {
            let label = route
                .and_then(|i| crate::startup::route_labels().nth(i))
                .unwrap_or_else(|| UNMATCHED.to_owned());
            m.requests
                .with_label_values(&[label.as_str(), &status.to_string()])
                .inc()
        }
    }
    series.latency.observe(took.as_secs_f64());
}

/// Counts a token check's result.
pub fn token_check(result: CheckResult) {
    let i = CheckResult::ALL
        .iter()
        .position(|r| *r == result)
        .expect("every result is listed");
    METRICS.token_checks[i].inc();
}

/// Counts a checkout of a database connection that took `waited`.
pub fn pool_checkout(waited: Duration) {
    if waited > Duration::from_millis(1) {
        let m = &*METRICS;
        m.pool_waits.inc();
        m.pool_wait_seconds.inc_by(waited.as_secs_f64());
    }
}

/// Counts a checkout answered 503.
pub fn unavailable() {
    METRICS.unavailable.inc();
}

/// Counts a mail: sent (`ok`) or failed. For whatever sends mail.
pub fn mail(ok: bool) {
    METRICS.mails[usize::from(!ok)].inc();
}

/// The Prometheus text exposition of every series, with `db`'s pool and
/// cache as they are now.
pub fn render(db: &Db) -> String {
    let m = &*METRICS;
    let pool = db.pool_state();
    m.pool_connections.set(i64::from(pool.connections));
    m.pool_idle.set(i64::from(pool.idle_connections));
    m.pool_max.set(i64::from(db.pool_size()));
    if let Some(cache) = db.cache() {
        let stats = cache.stats();
        let now = [stats.tokens, stats.sessions, stats.lists];
        let mut seen = m.cache_seen.lock().unwrap_or_else(|p| p.into_inner());
        for ((kind, counts), before) in ["token", "session", "list"]
            .iter()
            .zip(now)
            .zip(seen.iter_mut())
        {
            m.cache_requests
                .with_label_values(&[*kind])
                .inc_by(counts.asked.saturating_sub(before.asked));
            m.cache_misses
                .with_label_values(&[*kind])
                .inc_by(counts.loaded.saturating_sub(before.loaded));
            *before = counts;
        }
    }
    let mut out = Vec::new();
    TextEncoder::new()
        .encode(&m.registry.gather(), &mut out)
        .expect("the text encoder writes to memory");
    String::from_utf8(out).expect("the text format is UTF-8")
}

/// The media type of [`render`]'s output.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";
