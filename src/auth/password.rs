//! Account passwords: argon2id, with the cost taken from the settings.
//! Hashing and verifying are slow on purpose; callers run them off the
//! async workers (inside `Db::run` or `web::block`).

use crate::config::PasswordCost;
use crate::error::AppError;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

pub fn hash(password: &str, cost: PasswordCost) -> Result<String, AppError> {
    let params = Params::new(cost.memory_kib, cost.iterations, 1, None)
        .map_err(|e| AppError::Internal(format!("argon2 parameters: {e}")))?;
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("argon2: {e}")))
}

/// Checks a password against a stored hash; the hash carries its own cost.
pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .and_then(|h| Argon2::default().verify_password(password.as_bytes(), &h))
        .is_ok()
}

/// Spends the time a real check would when the username is unknown, so the
/// response time does not tell whether an account exists.
pub fn verify_dummy(password: &str, cost: PasswordCost) {
    // One hash costs what one verification does.
    let _ = hash(password, cost);
}

/// A new random password (for the first admin and accounts made by admins).
pub fn generate() -> String {
    crate::tokens::random_base62(20)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_are_salted() {
        let a = hash("correct horse", PasswordCost::CHEAP).unwrap();
        let b = hash("correct horse", PasswordCost::CHEAP).unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("$argon2id$"));
        assert!(verify("correct horse", &a));
        assert!(!verify("wrong horse", &a));
        assert!(!verify("correct horse", "not a hash"));
        assert_eq!(generate().len(), 20);
    }
}
