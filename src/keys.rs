//! Key rotation (SPEC §12): the server's secret keys, the first current.
//!
//! Everything secret tessera stores or signs is keyed: tokens' and
//! sessions' HMACs, CSRF tokens, the session cookie's encryption. An
//! operator rotates by putting a new key first in `TESSERA_SECRET_KEYS`
//! and keeping the old one after it. New tokens, sessions and cookies are
//! made with the current key; what an older key made keeps working:
//!
//! - a token found under an older key is re-hashed under the current one
//!   on that use (`auth::rotation`), so once every token has been used the
//!   older key can go; `tessera keys status` counts the tokens that still
//!   rely on each key, by fingerprint;
//! - a session found under an older key, and its CSRF token, stay valid
//!   until the session expires (12 hours): `auth::session` tries each key;
//! - a session cookie sealed with an older key is opened with it
//!   ([`reseal_cookie`]).
//!
//! Once an older key is dropped, whatever relied on it alone stops working:
//! a token never used since the rotation, a session older than the
//! rotation.

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, CookieJar, Key};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, web};

use crate::auth::session::SESSION_COOKIE;
use crate::state::AppState;

use crate::tokens::SecretKey;

/// The keys of this process: the current one first, then older ones.
#[derive(Debug, Clone)]
pub struct SecretKeys {
    current: SecretKey,
    older: Vec<SecretKey>,
}

impl SecretKeys {
    pub fn one(key: SecretKey) -> Self {
        Self {
            current: key,
            older: Vec::new(),
        }
    }

    /// `TESSERA_SECRET_KEYS`: 64-hex keys separated by commas or spaces,
    /// the first current; the same key twice is refused (a copy-and-paste
    /// slip that would hide a missing key).
    pub fn parse_list(list: &str) -> Result<Self, String> {
        let mut keys = Vec::new();
        for (i, hex) in list
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .enumerate()
        {
            let key = SecretKey::from_hex(hex).map_err(|e| format!("key {}: {e}", i + 1))?;
            if keys.iter().any(|k: &SecretKey| k.to_hex() == key.to_hex()) {
                return Err(format!("key {} is given twice", i + 1));
            }
            keys.push(key);
        }
        let mut keys = keys.into_iter();
        let current = keys.next().ok_or("names no key")?;
        Ok(Self {
            current,
            older: keys.collect(),
        })
    }

    /// What new tokens, sessions and cookies are made with.
    pub fn current(&self) -> &SecretKey {
        &self.current
    }

    /// Keys that still open what they made, newest first.
    pub fn older(&self) -> &[SecretKey] {
        &self.older
    }

    /// Every key, the current one first.
    pub fn all(&self) -> impl Iterator<Item = &SecretKey> {
        std::iter::once(&self.current).chain(&self.older)
    }
}

/// A key's public name: 8 hex characters of an HMAC under it, which tells
/// nothing about the key. Stored with each token's hash (`key_id`).
pub fn fingerprint(key: &SecretKey) -> String {
    hex::encode(&key.mac(b"tessera key fingerprint")[..4])
}

/// The key that seals session cookies, derived from a secret key.
pub fn cookie_key(key: &SecretKey) -> Key {
    Key::from(&key.derive("session-cookie"))
}

/// The value of cookie `name` as sent (percent-encoded), sealed with
/// `keys` (current first), sealed again with the current one when an older
/// key opened it, as it would be sent; `None` when the current key opens it
/// (nothing to do) or none does.
pub fn reseal_cookie(name: &str, sent: &str, keys: &[Key]) -> Option<String> {
    let (current, older) = keys.split_first()?;
    let mut jar = CookieJar::new();
    jar.add_original(
        Cookie::parse_encoded(format!("{name}={sent}"))
            .ok()?
            .into_owned(),
    );
    if jar.private(current).get(name).is_some() {
        return None;
    }
    let opened = older.iter().find_map(|key| jar.private(key).get(name))?;
    let mut sealed = CookieJar::new();
    sealed.private_mut(current).add(opened);
    let pair = sealed.get(name)?.stripped().encoded().to_string();
    pair.strip_prefix(&format!("{name}=")).map(str::to_owned)
}

/// Middleware, in front of the session layer and only while older keys are
/// configured: a session cookie sealed with an older key is handed on
/// sealed with the current one, which is all actix-session can open. The
/// browser keeps its cookie until the session next changes; each request
/// reseals it again, until it expires.
pub async fn reseal_older_session_cookie(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if let Some(value) = resealed_cookie_header(&req) {
        req.headers_mut().insert(header::COOKIE, value);
    }
    next.call(req).await
}

fn resealed_cookie_header(req: &ServiceRequest) -> Option<HeaderValue> {
    let state = req.app_data::<web::Data<AppState>>()?;
    let sent: Vec<&str> = req
        .headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .map(str::trim)
        .collect();
    let prefix = format!("{SESSION_COOKIE}=");
    let value = sent.iter().find_map(|c| c.strip_prefix(&prefix))?;
    let keys: Vec<Key> = state.config.keys().map(cookie_key).collect();
    let resealed = reseal_cookie(SESSION_COOKIE, value, &keys)?;
    let others = sent.iter().filter(|c| !c.starts_with(&prefix));
    let line: Vec<String> = std::iter::once(format!("{prefix}{resealed}"))
        .chain(others.map(|c| (*c).to_owned()))
        .collect();
    HeaderValue::from_str(&line.join("; ")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: &str) -> SecretKey {
        SecretKey::from_hex(&byte.repeat(32)).unwrap()
    }

    #[test]
    fn a_list_names_the_current_key_first() {
        let keys = SecretKeys::parse_list(&format!(
            " {}, {}\n{} ",
            "aa".repeat(32),
            "bb".repeat(32),
            "cc".repeat(32)
        ))
        .unwrap();
        assert_eq!(keys.current().to_hex(), "aa".repeat(32));
        let all: Vec<String> = keys.all().map(SecretKey::to_hex).collect();
        assert_eq!(all, ["aa", "bb", "cc"].map(|b| b.repeat(32)));
        assert!(SecretKeys::parse_list("").is_err());
        assert!(SecretKeys::parse_list(&format!("{},zz", "aa".repeat(32))).is_err());
        let twice = SecretKeys::parse_list(&format!("{0},{0}", "aa".repeat(32)));
        assert!(twice.unwrap_err().contains("twice"));
    }

    #[test]
    fn fingerprints_tell_keys_apart_and_not_the_key() {
        let (a, b) = (key("aa"), key("bb"));
        assert_eq!(fingerprint(&a).len(), 8);
        assert_ne!(fingerprint(&a), fingerprint(&b));
        assert!(!a.to_hex().contains(&fingerprint(&a)));
    }

    #[test]
    fn a_cookie_sealed_with_an_older_key_is_sealed_again_with_the_current() {
        let (old, new) = (cookie_key(&key("aa")), cookie_key(&key("bb")));
        let mut jar = CookieJar::new();
        jar.private_mut(&old).add(Cookie::new("c", "state"));
        // As a browser sends it back.
        let encoded = jar.get("c").unwrap().stripped().encoded().to_string();
        let under_old = encoded.strip_prefix("c=").unwrap();

        let resealed = reseal_cookie("c", under_old, &[new.clone(), old.clone()]).unwrap();
        let mut jar = CookieJar::new();
        let sent = Cookie::parse_encoded(format!("c={resealed}")).unwrap();
        jar.add_original(sent.into_owned());
        assert_eq!(jar.private(&new).get("c").unwrap().value(), "state");
        // Already current, or opened by no key: left alone.
        assert_eq!(reseal_cookie("c", &resealed, &[new.clone(), old]), None);
        assert_eq!(reseal_cookie("c", under_old, &[new]), None);
    }
}
