//! Token usage, counted in memory and written in batches.
//!
//! Every successful token check counts a use (`auth::check`): per token and
//! day, with the client's address and user agent. Writing each use down
//! would turn every API read into a write, so uses are added up here, in
//! shards so that concurrent requests rarely meet on one lock (never held
//! across an await), and [`Usage::flush`] writes what gathered in one
//! transaction: every [`FLUSH_EVERY`] from a background task
//! (`startup::build`) and once more when the server stops. A crash loses
//! at most the counts of those seconds; token changes never wait for it.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use time::{Date, PrimitiveDateTime};

use crate::db::models::usage::{self, UseBatch};

/// How often gathered uses are written.
pub const FLUSH_EVERY: Duration = Duration::from_secs(5);

/// The distinct addresses the token page lists (and kept per token between
/// flushes).
pub const MAX_IPS: usize = 20;

/// Longer user agents are cut: it is shown, not parsed.
const MAX_USER_AGENT: usize = 300;

const SHARDS: usize = 32;

/// What one token did since the last flush.
#[derive(Debug, Default)]
struct Pending {
    days: Vec<(Date, i64)>,
    ips: Vec<(String, PrimitiveDateTime)>,
    user_agent: Option<String>,
}

pub struct Usage {
    shards: Box<[Mutex<HashMap<i64, Pending>>]>,
}

impl Default for Usage {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
        }
    }
}

impl Usage {
    /// Counts one use of token `id` at `now`.
    pub fn count(
        &self,
        id: i64,
        now: PrimitiveDateTime,
        ip: Option<&str>,
        user_agent: Option<&str>,
    ) {
        let shard = &self.shards[id.unsigned_abs() as usize % SHARDS];
        let mut pending = shard.lock().unwrap_or_else(PoisonError::into_inner);
        let p = pending.entry(id).or_default();
        let day = now.date();
        match p.days.last_mut() {
            Some((d, n)) if *d == day => *n += 1,
            _ => p.days.push((day, 1)),
        }
        if let Some(ip) = ip {
            let full = p.ips.len() >= MAX_IPS;
            match p.ips.iter_mut().find(|(seen, _)| seen == ip) {
                Some(seen) => seen.1 = now,
                None if !full => p.ips.push((ip.to_owned(), now)),
                None => {}
            }
        }
        if let Some(agent) = user_agent
            && p.user_agent.as_deref() != Some(agent)
        {
            p.user_agent = Some(agent.chars().take(MAX_USER_AGENT).collect());
        }
    }

    /// Everything counted so far, leaving nothing behind.
    fn take(&self) -> Vec<(i64, UseBatch)> {
        let mut out = Vec::new();
        for shard in self.shards.iter() {
            let taken = std::mem::take(&mut *shard.lock().unwrap_or_else(PoisonError::into_inner));
            out.extend(taken.into_iter().map(|(id, p)| {
                let batch = UseBatch {
                    days: p
                        .days
                        .into_iter()
                        .map(|(d, n)| (d.to_string(), n))
                        .collect(),
                    ips: p.ips,
                    user_agent: p.user_agent,
                };
                (id, batch)
            }));
        }
        out
    }

    /// Writes what was counted since the last flush. A failed write is
    /// logged and its counts dropped: usage is a record, not a balance, and
    /// counts kept back would pile up while the database is away.
    pub async fn flush(&self, db: &crate::db::Db) {
        let batches = self.take();
        if batches.is_empty() {
            return;
        }
        let written = db
            .run(move |conn| {
                Ok(crate::db::write_transaction(conn, |conn| {
                    usage::add(conn, &batches)
                })?)
            })
            .await;
        if let Err(e) = written {
            tracing::warn!(error = %e, "could not write token usage");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn uses_add_up_per_token_and_day() {
        let usage = Usage::default();
        let day1 = datetime!(2026-12-01 23:59:00);
        let day2 = datetime!(2026-12-02 00:01:00);
        usage.count(7, day1, Some("192.0.2.1"), Some("curl/8"));
        usage.count(7, day1, Some("192.0.2.1"), Some("curl/8"));
        usage.count(7, day2, Some("192.0.2.2"), Some("python"));
        usage.count(8, day2, None, None);
        let mut taken = usage.take();
        taken.sort_by_key(|(id, _)| *id);
        assert_eq!(taken.len(), 2);
        let seven = &taken[0].1;
        assert_eq!(
            seven.days,
            vec![("2026-12-01".into(), 2), ("2026-12-02".into(), 1)]
        );
        assert_eq!(seven.ips.len(), 2);
        assert_eq!(seven.user_agent.as_deref(), Some("python"));
        assert_eq!(taken[1].1.days, vec![("2026-12-02".into(), 1)]);
        assert!(usage.take().is_empty(), "a flush leaves nothing behind");
    }

    #[test]
    fn addresses_are_bounded() {
        let usage = Usage::default();
        let now = datetime!(2026-12-01 10:00:00);
        for i in 0..100 {
            usage.count(1, now, Some(&format!("192.0.2.{i}")), None);
        }
        assert_eq!(usage.take()[0].1.ips.len(), MAX_IPS);
    }
}
