//! The token check's lookup across keys (`crate::keys`): the current key
//! first, then each older one. A token found under an older key is
//! re-hashed under the current one on that use, so the older key stops
//! being needed as the tokens that relied on it are used.
//!
//! A well-formed token that is not there costs one lookup per configured
//! key (docs/PERFORMANCE.md); with one key, one lookup, as before.

use crate::db::rows::Found;
use crate::error::AppError;
use crate::keys;
use crate::state::AppState;
use crate::tokens::{PlainToken, TokenHash};

/// The token's rows under whichever key made its hash, and that hash (the
/// token's current secret or, during a grace period, the one it replaced:
/// `ApiToken::grace_over`).
pub async fn find_under_any_key(
    state: &AppState,
    token: &PlainToken,
    with_list: bool,
) -> Result<Option<(Found, TokenHash)>, AppError> {
    let config = &state.config;
    let current = token.hash(&config.secret_key);
    if let Some(found) = state.db.live_token(&current, with_list).await? {
        return Ok(Some((found, current)));
    }
    for older in &config.older_keys {
        let hash = token.hash(older);
        let Some(found) = state.db.live_token(&hash, with_list).await? else {
            continue;
        };
        let id = found.live.0.id;
        let key_id = keys::fingerprint(&config.secret_key);
        // Bookkeeping: a failure is logged and the token still works (the
        // next use tries again). A replaced secret in its grace period is
        // not re-hashed: the update finds it is not the token's secret.
        match state
            .db
            .rehash_token(id, hash.clone(), current, key_id)
            .await
        {
            Ok(true) => tracing::info!(token_id = id, "token re-hashed under the current key"),
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, token_id = id, "could not re-hash token"),
        }
        return Ok(Some((found, hash)));
    }
    Ok(None)
}
