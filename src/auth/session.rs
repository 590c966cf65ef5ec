//! Browser sessions and CSRF.
//!
//! The session cookie (actix-session, signed and encrypted) carries only a
//! random session secret, plus a CSRF token before sign-in. The database
//! keeps the secret's HMAC with the account, and every request is checked
//! against it: signing out anywhere, or an admin deactivating the account,
//! ends the session on every instance. The session's CSRF token is another
//! HMAC of the secret, so it is recomputed on each request and the database
//! holds nothing that a forged form could carry.

use actix_session::{Session, SessionExt};
use actix_web::HttpRequest;
use subtle::ConstantTimeEq;

use crate::config::Config;
use crate::db::models::accounts::Account;
use crate::db::models::sessions::{self, Session as SessionRow};
use crate::db::{self};
use crate::error::AppError;
use crate::state::AppState;
use crate::tokens::{SecretKey, random_base62};

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "tessera_session";

const SID_KEY: &str = "sid";
const ANON_CSRF_KEY: &str = "csrf";

fn session_hash(key: &SecretKey, sid: &str) -> [u8; 32] {
    let mut data = b"session:".to_vec();
    data.extend_from_slice(sid.as_bytes());
    key.mac(&data)
}

/// The session's CSRF token: an HMAC of its secret under another label than
/// [`session_hash`], so neither the stored hash nor the token in a page
/// tells anything about the other or about the secret.
fn session_csrf(key: &SecretKey, sid: &str) -> String {
    let mut data = b"csrf:".to_vec();
    data.extend_from_slice(sid.as_bytes());
    hex::encode(key.mac(&data))
}

/// A live signed-in session: its row and its CSRF token.
#[derive(Debug, Clone)]
pub struct Live {
    pub row: SessionRow,
    pub csrf_token: String,
}

/// The signed-in session of this request, if any and still live.
pub async fn current(
    req: &HttpRequest,
    state: &AppState,
) -> Result<Option<(Live, Account)>, AppError> {
    let Ok(Some(sid)) = req.get_session().get::<String>(SID_KEY) else {
        return Ok(None);
    };
    // A session begun before a key rotation was stored under the key of
    // its time, and its CSRF token made with it: both stay valid until the
    // session expires (`crate::keys`).
    let now = db::now();
    for key in state.config.keys() {
        // The rows may be up to a second old (`db::cache`): expiry is
        // checked again against the clock.
        let found = state
            .db
            .live_session(session_hash(key, &sid))
            .await?
            .filter(|(row, account)| row.expires_at > now && account.active);
        if let Some((row, account)) = found {
            note_seen(state, &row, now).await?;
            let csrf_token = session_csrf(key, &sid);
            return Ok(Some((Live { row, csrf_token }, account)));
        }
    }
    Ok(None)
}

/// Writes down that the session was seen, at most once a minute (the
/// Sessions section's "last seen"). The row may be up to a second old; the
/// write itself checks the minute again, so neighbours write once.
async fn note_seen(
    state: &AppState,
    row: &SessionRow,
    now: time::PrimitiveDateTime,
) -> Result<(), AppError> {
    let due = row
        .last_seen_at
        .is_none_or(|at| at <= now - sessions::SEEN_RECORDED_EVERY);
    if due {
        let id = row.id;
        state
            .db
            .run(move |conn| Ok(sessions::touch(conn, id, now)?))
            .await?;
    }
    Ok(())
}

/// Compares a form's CSRF token with the session's in constant time.
pub fn check_csrf(sent: Option<&str>, expected: &str) -> Result<(), AppError> {
    if csrf_matches(sent, expected) {
        return Ok(());
    }
    Err(AppError::forbidden(
        Some("csrf_token"),
        "the form has expired or did not come from this site; reload the page and try again",
    ))
}

/// The same check for a script calling a `.json` URL with the session: it
/// has no form, so the message names the header it must send. The error's
/// `field` stays `csrf_token`, the token's name in every refusal, so a
/// client that looks at the field hears the same from both carriers.
pub fn check_csrf_header(sent: Option<&str>, expected: &str) -> Result<(), AppError> {
    if csrf_matches(sent, expected) {
        return Ok(());
    }
    Err(AppError::forbidden(
        Some("csrf_token"),
        format!(
            "missing or wrong {CSRF_HEADER} header; send the token of <meta name=\"csrf-token\"> in it"
        ),
    ))
}

/// The header that carries the session's CSRF token on `.json` calls.
pub const CSRF_HEADER: &str = "X-CSRF-Token";

fn csrf_matches(sent: Option<&str>, expected: &str) -> bool {
    sent.is_some_and(|sent| bool::from(sent.as_bytes().ct_eq(expected.as_bytes())))
}

/// Starts a session for `account`: a new session secret (and with it a new
/// CSRF token), a renewed cookie (so no identifier from before sign-in
/// survives). Call inside the sign-in transaction's closure with its
/// connection.
pub fn create(
    conn: &mut db::DbConn,
    config: &Config,
    account_id: i64,
    origin: &sessions::Origin,
) -> Result<String, AppError> {
    let sid = random_base62(43);
    let now = db::now();
    let expires = now + time::Duration::hours(config.session_hours);
    sessions::insert(
        conn,
        &session_hash(&config.secret_key, &sid),
        account_id,
        now,
        expires,
        origin,
    )?;
    Ok(sid)
}

/// Puts a freshly created session secret into the renewed cookie.
pub fn attach(session: &Session, sid: String) -> Result<(), AppError> {
    session.renew();
    session.remove(ANON_CSRF_KEY);
    session
        .insert(SID_KEY, sid)
        .map_err(|e| AppError::Internal(format!("session: {e}")))
}

/// Ends the session here and in the database.
pub async fn destroy(req: &HttpRequest, state: &AppState) -> Result<(), AppError> {
    let session = req.get_session();
    if let Ok(Some(sid)) = session.get::<String>(SID_KEY) {
        // Under whichever key it was begun.
        let hashes: Vec<[u8; 32]> = state
            .config
            .keys()
            .map(|key| session_hash(key, &sid))
            .collect();
        state
            .db
            .run(move |conn| {
                for hash in &hashes {
                    sessions::delete(conn, hash)?;
                }
                Ok(())
            })
            .await?;
    }
    session.purge();
    Ok(())
}

/// The CSRF token for a visitor who is not signed in (the sign-in form),
/// kept in the encrypted cookie.
pub fn anonymous_csrf(session: &Session) -> String {
    if let Ok(Some(token)) = session.get::<String>(ANON_CSRF_KEY) {
        return token;
    }
    let token = random_base62(32);
    // A failure here only means the next form post is refused with a clear
    // message; the page itself can still be shown.
    let _ = session.insert(ANON_CSRF_KEY, &token);
    token
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_must_match_exactly() {
        assert!(check_csrf(Some("abc"), "abc").is_ok());
        assert!(check_csrf(Some("abd"), "abc").is_err());
        assert!(check_csrf(Some("ab"), "abc").is_err());
        assert!(check_csrf(None, "abc").is_err());
        assert!(check_csrf_header(Some("abc"), "abc").is_ok());
        assert!(check_csrf_header(Some("abd"), "abc").is_err());
    }

    #[test]
    fn each_carrier_is_named_in_its_refusal() {
        let form = check_csrf(None, "abc").unwrap_err();
        assert_eq!(form.field(), Some("csrf_token"));
        assert!(form.to_string().contains("form"));
        let header = check_csrf_header(None, "abc").unwrap_err();
        assert_eq!(header.field(), Some("csrf_token"));
        assert!(header.to_string().contains("X-CSRF-Token header"));
        assert_eq!(header.code(), form.code());
    }
}
