//! Responses made of an account's token list (the `tokens.json` body, a
//! session's ordinary Account Preferences page), kept while the list they
//! were made of is current.
//!
//! A list read under a change stamp (`db::rows::AccountTokens::stamp`, SQLite)
//! makes the same response until the database changes, or until one of its
//! tokens expires (its status turns to "expired"): so a response is kept
//! under that stamp and made again after the first expiry since. Lists read
//! without a stamp (PostgreSQL) make their response each time.

use std::sync::Arc;
use std::time::Instant;

use actix_web::web::Bytes;
use quick_cache::Weighter;
use quick_cache::sync::Cache;
use time::PrimitiveDateTime;

use crate::db::cache::MAX_AGE;
use crate::db::rows::AccountTokens;

/// Bytes of responses kept in all (a 50-token page is about 56 KB).
const BUDGET: u64 = 32 << 20;

/// The stamp the list was read under, the period of this process it was
/// made in (nothing is kept longer than `MAX_AGE`), its account, and what
/// else the response depends on (which page, whose session).
type Key = (u64, u64, i64, String);

/// A kept response weighs its bytes.
#[derive(Clone)]
struct Bytesize;

impl Weighter<Key, Arc<Made>> for Bytesize {
    fn weight(&self, key: &Key, made: &Arc<Made>) -> u64 {
        (made.body.len() + key.3.len()) as u64
    }
}

struct Made {
    body: Bytes,
    made_at: PrimitiveDateTime,
    /// The first expiry after `made_at`: from then on the same rows make
    /// another response.
    until: Option<PrimitiveDateTime>,
}

pub struct KeptResponses {
    cache: Cache<Key, Arc<Made>, Bytesize>,
    started: Instant,
}

impl Default for KeptResponses {
    fn default() -> Self {
        Self {
            // About 1,000 responses of 32 KB.
            cache: Cache::with_weighter(1_000, BUDGET, Bytesize),
            started: Instant::now(),
        }
    }
}

impl KeptResponses {
    /// What `make` makes of `list` at `now` as `variant`: kept, or made
    /// (and kept when the list was read under a stamp).
    pub fn get_or_make<E>(
        &self,
        list: &AccountTokens,
        account_id: i64,
        variant: &str,
        now: PrimitiveDateTime,
        make: impl FnOnce() -> Result<Bytes, E>,
    ) -> Result<Bytes, E> {
        if let Some(body) = self.get(list, account_id, variant, now) {
            return Ok(body);
        }
        let body = make()?;
        self.keep(list, account_id, variant, now, body.clone());
        Ok(body)
    }

    fn key(&self, list: &AccountTokens, account_id: i64, variant: &str) -> Option<Key> {
        let age = self.started.elapsed().as_nanos() / MAX_AGE.as_nanos();
        let age = u64::try_from(age).unwrap_or(u64::MAX);
        Some((list.stamp?, age, account_id, variant.to_owned()))
    }

    /// The response kept for `list` at `now` as `variant`, if there is one
    /// (for a response whose making needs more than `list`: the caller
    /// reads the rest only when this is `None`, then calls [`Self::keep`]).
    pub fn get(
        &self,
        list: &AccountTokens,
        account_id: i64,
        variant: &str,
        now: PrimitiveDateTime,
    ) -> Option<Bytes> {
        let made = self.cache.get(&self.key(list, account_id, variant)?)?;
        (made.made_at <= now && made.until.is_none_or(|until| now < until))
            .then(|| made.body.clone())
    }

    /// Drops every response kept for the account: for a change that does
    /// not move the stamp (a token's recorded use, `auth::check::record_use`).
    pub fn forget_account(&self, account_id: i64) {
        self.cache.retain(|key, _| key.2 != account_id);
    }

    /// Keeps `body`, made from `list` at `now` as `variant`, when the list
    /// was read under a stamp.
    pub fn keep(
        &self,
        list: &AccountTokens,
        account_id: i64,
        variant: &str,
        now: PrimitiveDateTime,
        body: Bytes,
    ) {
        let Some(key) = self.key(list, account_id, variant) else {
            return;
        };
        let until = list
            .rows
            .iter()
            // An old secret's grace ending changes the row as shown too.
            .flat_map(|t| [t.expires_at, t.previous_valid_until])
            .flatten()
            .filter(|at| *at > now)
            .min();
        let made = Made {
            body,
            made_at: now,
            until,
        };
        self.cache.insert(key, Arc::new(made));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::models::tokens::ApiToken;
    use time::macros::datetime;

    fn token(id: i64, expires_at: Option<PrimitiveDateTime>) -> ApiToken {
        ApiToken::example(id, "tokens:read", expires_at)
    }

    #[test]
    fn a_response_is_made_again_when_a_listed_token_expires() {
        let kept = KeptResponses::default();
        let list = AccountTokens {
            rows: Arc::new(vec![
                token(1, Some(datetime!(2026-06-01 12:00:00))),
                token(2, Some(datetime!(2026-03-01 12:00:00))),
                token(3, None),
            ]),
            stamp: Some(7),
        };
        let made = std::cell::Cell::new(0);
        let render = |now: PrimitiveDateTime| {
            kept.get_or_make(&list, 1, "json", now, || {
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
    fn only_a_list_read_under_a_stamp_is_kept() {
        let kept = KeptResponses::default();
        let now = datetime!(2026-01-01 00:00:00);
        let unstamped = AccountTokens {
            rows: Arc::new(vec![token(1, None)]),
            stamp: None,
        };
        let made = std::cell::Cell::new(0);
        for _ in 0..2 {
            kept.get_or_make(&unstamped, 1, "json", now, || {
                made.set(made.get() + 1);
                Ok::<_, ()>(Bytes::new())
            })
            .unwrap();
        }
        assert_eq!(made.get(), 2);
        // Under another stamp, or for another variant: another response.
        let stamped = |stamp| AccountTokens {
            rows: unstamped.rows.clone(),
            stamp: Some(stamp),
        };
        // (stamp, variant, what make would make, what is answered)
        let cases = [
            (1, "a", "1a", "1a"),
            (1, "a", "x", "1a"),
            (2, "a", "2a", "2a"),
            (2, "b", "2b", "2b"),
        ];
        for (stamp, variant, makes, answered) in cases {
            let body = kept
                .get_or_make(&stamped(stamp), 1, variant, now, || {
                    Ok::<_, ()>(Bytes::from(makes))
                })
                .unwrap();
            assert_eq!(body, answered, "stamp {stamp}, variant {variant}");
        }
    }
}
