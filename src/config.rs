//! Typed settings, read once from flags and environment (see `cli.rs`),
//! validated with messages that name the variable, then passed around as
//! part of the application state. Tests build a `Config` literal.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use crate::tokens::SecretKey;

/// Where the data lives; chosen from the URL scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, String> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(
                    "TESSERA_DATABASE_URL: sqlite:// needs a file path, e.g. sqlite://tessera.db"
                        .into(),
                );
            }
            Ok(Self::Sqlite(PathBuf::from(path)))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres(url.to_owned()))
        } else {
            Err(format!(
                "TESSERA_DATABASE_URL: unsupported database URL {:?}; use sqlite://PATH or postgres://USER@HOST/DB",
                redact_url(url)
            ))
        }
    }

    pub fn is_sqlite(&self) -> bool {
        matches!(self, Self::Sqlite(_))
    }

    /// A sensible pool per backend: SQLite serialises writers anyway, so a
    /// few connections suffice; PostgreSQL gains from more in flight.
    pub fn default_pool_size(&self) -> u32 {
        match self {
            Self::Sqlite(_) => 8,
            Self::Postgres(_) => 16,
        }
    }
}

/// Hides a password in a URL before it is shown anywhere.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Argon2id cost. Production uses the library's recommended parameters;
/// tests use the cheapest valid ones so a suite signs in thousands of times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordCost {
    pub memory_kib: u32,
    pub iterations: u32,
}

impl PasswordCost {
    pub const DEFAULT: Self = Self {
        memory_kib: 19 * 1024,
        iterations: 2,
    };
    pub const CHEAP: Self = Self {
        memory_kib: 8,
        iterations: 1,
    };
}

/// How many failed sign-ins are allowed per username and per client IP
/// within `window_secs` before further attempts get 429.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginLimit {
    pub max_failures: u32,
    pub window_secs: i64,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub database: DatabaseUrl,
    pub bind: SocketAddr,
    pub secret_key: SecretKey,
    pub pool_size: u32,
    pub cookie_secure: bool,
    pub allow_query_token: bool,
    pub max_token_lifetime_days: Option<u32>,
    pub max_tokens_per_user: u32,
    pub password_cost: PasswordCost,
    pub login_limit: LoginLimit,
    /// How long a browser session lasts without signing in again.
    pub session_hours: i64,
    /// Load balancers whose `X-Forwarded-For` is believed. From anyone
    /// else the header is ignored: it could be forged to dodge the sign-in
    /// limits.
    pub trusted_proxies: Vec<IpAddr>,
    /// Where mail goes out (`TESSERA_SMTP_URL`, `TESSERA_MAIL_FROM`); none:
    /// no mail, and the pages say so.
    pub mail: Option<crate::notices::mail::MailSettings>,
    /// How often the scheduler looks for due notices, in seconds; also the
    /// first wait before a failed mail is tried again.
    pub notify_interval_secs: u64,
}

impl Config {
    pub const DEFAULT_MAX_TOKENS_PER_USER: u32 = 100;
    pub const DEFAULT_NOTIFY_INTERVAL_SECS: u64 = 60;
    pub const DEFAULT_LOGIN_LIMIT: LoginLimit = LoginLimit {
        max_failures: 10,
        window_secs: 15 * 60,
    };
}

/// Reads the secret key for a database: the configured one, or for SQLite
/// the one kept in a 0600 file beside the database, generated on first use.
pub fn resolve_secret_key(
    configured: Option<&str>,
    database: &DatabaseUrl,
) -> Result<SecretKey, String> {
    if let Some(hex) = configured {
        return SecretKey::from_hex(hex).map_err(|e| format!("TESSERA_SECRET_KEY {e}"));
    }
    match database {
        DatabaseUrl::Postgres(_) => Err("TESSERA_SECRET_KEY is required with PostgreSQL: every instance must share the same key. Generate one with `openssl rand -hex 32`.".into()),
        DatabaseUrl::Sqlite(path) => key_file(&key_file_path(path)),
    }
}

pub fn key_file_path(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".secret-key");
    PathBuf::from(name)
}

fn key_file(path: &Path) -> Result<SecretKey, String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;

    match std::fs::read_to_string(path) {
        Ok(hex) => SecretKey::from_hex(&hex)
            .map_err(|e| format!("secret key file {}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("cannot create directory {}: {e}", dir.display()))?;
            }
            let key = SecretKey::generate();
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .map_err(|e| format!("cannot create secret key file {}: {e}", path.display()))?;
            writeln!(file, "{}", key.to_hex())
                .and_then(|()| file.sync_all())
                .map_err(|e| format!("cannot write secret key file {}: {e}", path.display()))?;
            Ok(key)
        }
        Err(e) => Err(format!(
            "cannot read secret key file {}: {e}",
            path.display()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_url_is_chosen_by_scheme() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/t.db"),
            Ok(DatabaseUrl::Sqlite("data/t.db".into()))
        );
        assert!(matches!(
            DatabaseUrl::parse("postgresql://u@h/db"),
            Ok(DatabaseUrl::Postgres(_))
        ));
        let err = DatabaseUrl::parse("mysql://root:hunter2@h/db").unwrap_err();
        assert!(err.contains("TESSERA_DATABASE_URL"));
        assert!(!err.contains("hunter2"));
        assert!(DatabaseUrl::parse("sqlite://").is_err());
    }

    #[test]
    fn postgres_needs_a_configured_key() {
        let err =
            resolve_secret_key(None, &DatabaseUrl::Postgres("postgres://x".into())).unwrap_err();
        assert!(err.contains("TESSERA_SECRET_KEY"));
        assert!(
            resolve_secret_key(Some("00"), &DatabaseUrl::Postgres("postgres://x".into())).is_err()
        );
    }

    #[test]
    fn sqlite_key_file_is_created_once_with_mode_0600() {
        use std::os::unix::fs::PermissionsExt;
        let dir =
            std::env::temp_dir().join(format!("tessera-key-{}", crate::tokens::random_base62(8)));
        std::fs::create_dir_all(&dir).unwrap();
        let db = DatabaseUrl::Sqlite(dir.join("t.db"));
        let first = resolve_secret_key(None, &db).unwrap();
        let second = resolve_secret_key(None, &db).unwrap();
        assert_eq!(first.to_hex(), second.to_hex());
        let mode = std::fs::metadata(dir.join("t.db.secret-key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
