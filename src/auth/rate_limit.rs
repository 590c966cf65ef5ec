//! Sign-in throttling per username and per client IP, counted in the
//! database so every instance of a deployment enforces the same limit.

use time::PrimitiveDateTime;

use crate::config::LoginLimit;
use crate::db::DbConn;
use crate::db::models::login_failures;
use crate::error::AppError;

/// The keys an attempt is counted under.
pub fn keys(username: &str, ip: Option<&str>) -> Vec<String> {
    let mut keys = vec![format!("user:{}", username.to_lowercase())];
    if let Some(ip) = ip {
        keys.push(format!("ip:{ip}"));
    }
    keys
}

/// Refuses with 429 (and how long to wait) once any key has used up its
/// failures within the window.
pub fn check(
    conn: &mut DbConn,
    limit: LoginLimit,
    keys: &[String],
    now: PrimitiveDateTime,
) -> Result<(), AppError> {
    let window = time::Duration::seconds(limit.window_secs);
    for key in keys {
        let (failures, oldest) = login_failures::recent(conn, key, now - window)?;
        if failures >= i64::from(limit.max_failures) {
            let free_at = oldest.unwrap_or(now) + window;
            let retry_after = (free_at - now).whole_seconds().max(1);
            return Err(AppError::TooManyRequests {
                retry_after: retry_after.unsigned_abs(),
            });
        }
    }
    Ok(())
}

pub fn record_failure(
    conn: &mut DbConn,
    limit: LoginLimit,
    keys: &[String],
    now: PrimitiveDateTime,
) -> Result<(), AppError> {
    login_failures::prune(conn, now - time::Duration::seconds(limit.window_secs))?;
    for key in keys {
        login_failures::record(conn, key, now)?;
    }
    Ok(())
}

/// A successful sign-in forgets the username's failures (not the IP's).
pub fn record_success(conn: &mut DbConn, username: &str) -> Result<(), AppError> {
    login_failures::clear(conn, &format!("user:{}", username.to_lowercase()))?;
    Ok(())
}
