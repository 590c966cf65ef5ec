//! The reads on every request's path (a token by its hash, a session by
//! its hash, an account's tokens) and the one write a read makes (a token's
//! last use). Callers do not know how each is answered: on SQLite from the
//! read cache when it holds the answer ([`super::cache`]), on PostgreSQL
//! asked together with the other requests' checks of the moment
//! ([`super::batch`]), else one trip to the blocking pool. This layer
//! stores and loads rows; what they allow is `auth`'s to decide.

use std::sync::Arc;

use time::PrimitiveDateTime;

use crate::db::Db;
use crate::db::models::accounts::Account;
use crate::db::models::sessions;
use crate::db::models::tokens;
use crate::db::models::tokens::ApiToken;
use crate::db::rows::{AccountTokens, Found};
use crate::db::timestamps::now;
use crate::error::AppError;
use crate::tokens::TokenHash;

impl Db {
    /// The change stamp as it reads now (SQLite with its read cache).
    pub fn stamp(&self) -> Option<u64> {
        self.cache().map(|c| c.stamp())
    }

    /// The live token with this hash (active, unexpired, its owner active,
    /// as of the query) and its owner; with `with_list`, the owner's
    /// tokens too, read at the same moment. `None`: no such live token.
    pub async fn live_token(
        &self,
        hash: &TokenHash,
        with_list: bool,
    ) -> Result<Option<Found>, AppError> {
        if let Some(batcher) = self.batcher() {
            return batcher.check(hash, with_list).await;
        }
        let stamp = self.stamp();
        let key = hash.0;
        let load = {
            let hash = hash.clone();
            self.run(move |conn| {
                Ok(tokens::find_live_by_hash(conn, &hash, now())?
                    .map(|(token, owner)| Arc::new((token, Arc::new(owner)))))
            })
        };
        let rows = match (self.cache(), stamp) {
            (Some(cache), Some(stamp)) => cache.tokens.get(stamp, key, load).await?,
            _ => load.await?,
        };
        let Some(live) = rows else {
            return Ok(None);
        };
        let list = match with_list {
            true => Some(self.tokens_at(live.1.id, stamp).await?),
            false => None,
        };
        Ok(Some(Found { live, list }))
    }

    /// An account's tokens, newest first.
    pub async fn tokens_of(&self, account_id: i64) -> Result<AccountTokens, AppError> {
        self.tokens_at(account_id, self.stamp()).await
    }

    /// [`Db::tokens_of`] for a request that has read the stamp already.
    async fn tokens_at(
        &self,
        account_id: i64,
        stamp: Option<u64>,
    ) -> Result<AccountTokens, AppError> {
        let load = self.run(move |conn| Ok(Arc::new(tokens::list_for_account(conn, account_id)?)));
        let rows = match (self.cache(), stamp) {
            (Some(cache), Some(stamp)) => cache.lists.get(stamp, account_id, load).await?,
            _ => load.await?,
        };
        Ok(AccountTokens { rows, stamp })
    }

    /// The live session with this hash (unexpired, its account active) and
    /// its account.
    pub async fn live_session(
        &self,
        hash: [u8; 32],
    ) -> Result<Option<(sessions::Session, Account)>, AppError> {
        let load = self.run(move |conn| Ok(sessions::find_live(conn, &hash, now())?.map(Arc::new)));
        let rows = match (self.cache(), self.stamp()) {
            (Some(cache), Some(stamp)) => cache.sessions.get(stamp, hash, load).await?,
            _ => load.await?,
        };
        Ok(rows.map(|rows| (*rows).clone()))
    }

    /// Re-hashes token `id` from `old` (an older key's) to `new` (the
    /// current key `key_id`'s); whether this request did.
    pub async fn rehash_token(
        &self,
        id: i64,
        old: TokenHash,
        new: TokenHash,
        key_id: String,
    ) -> Result<bool, AppError> {
        self.run(move |conn| Ok(tokens::rehash(conn, id, &old, &new, &key_id)? > 0))
            .await
    }

    /// Writes down a token's use at `now` from `ip`, unless another request
    /// or instance did within the minute; whether this one did.
    pub async fn record_use(
        &self,
        token: &ApiToken,
        hash: &TokenHash,
        now: PrimitiveDateTime,
        ip: Option<String>,
    ) -> Result<bool, AppError> {
        let token_id = token.id;
        let recorded = self
            .run(move |conn| Ok(tokens::touch(conn, token_id, now, ip.as_deref())? > 0))
            .await?;
        // Recorded here or, a moment ago, by another instance: either way
        // the rows kept here are out of date, and would have the next
        // request record the use again.
        if let Some(cache) = self.cache() {
            let stamp = cache.stamp();
            cache.tokens.forget(stamp, hash.0);
            cache.lists.forget(stamp, token.account_id);
        }
        Ok(recorded)
    }
}
