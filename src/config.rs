//! Typed settings, read once from flags and environment (see `cli.rs`),
//! validated with messages that name the variable, then passed around as
//! part of the application state. Tests build a `Config` literal.

use std::net::{IpAddr, SocketAddr};

use ipnet::IpNet;

use crate::restrictions::parse_network;
use std::path::{Path, PathBuf};

use crate::keys::SecretKeys;
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
    /// The current key: what new tokens, sessions and cookies are made with.
    pub secret_key: SecretKey,
    /// Keys of before a rotation, newest first: what they made still works
    /// (`crate::keys`).
    pub older_keys: Vec<SecretKey>,
    pub pool_size: u32,
    pub cookie_secure: bool,
    pub allow_query_token: bool,
    pub max_token_lifetime_days: Option<u32>,
    pub max_tokens_per_user: u32,
    pub password_cost: PasswordCost,
    pub login_limit: LoginLimit,
    /// How long a browser session lasts without signing in again.
    pub session_hours: i64,
    /// Proxies whose `X-Forwarded-For` / `X-Real-IP` is believed. From
    /// anyone else those headers are ignored: they could be forged to dodge
    /// the sign-in limits or a token's IP allowlist.
    pub trusted_proxies: TrustedProxies,
    /// Where `/metrics` is served, unauthenticated, instead of on the main
    /// listener for `metrics:read` tokens.
    pub metrics_bind: Option<SocketAddr>,
    /// Single sign-on and whether passwords are still taken (SPEC §11).
    pub sso: SsoConfig,
    /// Where mail goes out (`TESSERA_SMTP_URL`, `TESSERA_MAIL_FROM`); none:
    /// no mail, and the pages say so.
    pub mail: Option<crate::notices::mail::MailSettings>,
    /// How often the scheduler looks for due notices, in seconds; also the
    /// first wait before a failed mail is tried again.
    pub notify_interval_secs: u64,
}

impl Config {
    /// Every key, the current one first.
    pub fn keys(&self) -> impl Iterator<Item = &SecretKey> {
        std::iter::once(&self.secret_key).chain(&self.older_keys)
    }

    pub const DEFAULT_MAX_TOKENS_PER_USER: u32 = 100;
    pub const DEFAULT_NOTIFY_INTERVAL_SECS: u64 = 60;
    pub const DEFAULT_LOGIN_LIMIT: LoginLimit = LoginLimit {
        max_failures: 10,
        window_secs: 15 * 60,
    };
}

/// How people sign in: through an OpenID provider, with a password, or both.
#[derive(Debug, Clone)]
pub struct SsoConfig {
    pub oidc: Option<OidcSettings>,
    /// `TESSERA_PASSWORD_LOGIN`: with `false` the sign-in page has no
    /// password form and `POST /login` is refused.
    pub password_login: bool,
    /// `TESSERA_PUBLIC_URL` without its trailing slash: where people reach
    /// tessera. Besides the provider's way back, the links of mail made
    /// without a request to learn it from (the expiry notices).
    pub public_url: Option<String>,
}

impl Default for SsoConfig {
    fn default() -> Self {
        Self {
            oidc: None,
            password_login: true,
            public_url: None,
        }
    }
}

/// The OpenID provider tessera signs people in through.
#[derive(Clone)]
pub struct OidcSettings {
    /// `TESSERA_OIDC_ISSUER`, exactly as the provider writes it in its
    /// tokens' `iss` (Authentik's ends in a slash, Keycloak's does not):
    /// the provider's document is at `{issuer}/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    /// `{TESSERA_PUBLIC_URL}/login/oidc/callback`, registered at the provider.
    pub redirect_url: String,
    /// The button says "Sign in with {name}".
    pub name: String,
    /// A value of the `groups` claim that makes an admin.
    pub admin_group: Option<String>,
}

impl std::fmt::Debug for OidcSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcSettings")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("redirect_url", &self.redirect_url)
            .field("name", &self.name)
            .field("admin_group", &self.admin_group)
            .finish()
    }
}

/// What the `TESSERA_OIDC_*` settings, `TESSERA_PUBLIC_URL` and
/// `TESSERA_PASSWORD_LOGIN` say, as read from flags or environment.
#[derive(Debug, Clone, Default)]
pub struct SsoSettings {
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub public_url: Option<String>,
    pub name: Option<String>,
    pub admin_group: Option<String>,
    pub password_login: bool,
}

impl SsoSettings {
    /// Checks the settings together: a provider needs its client id and
    /// the public URL, and turning passwords off needs a provider, or
    /// nobody could sign in at all.
    pub fn validate(self) -> Result<SsoConfig, String> {
        let set = |v: Option<String>| v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let public_url = set(self.public_url);
        if let Some(public) = &public_url
            && !(public.starts_with("https://") || public.starts_with("http://"))
        {
            return Err(format!(
                "TESSERA_PUBLIC_URL must be an http(s) URL, not {public:?}"
            ));
        }
        let public_url = public_url.map(|p| p.trim_end_matches('/').to_owned());
        let Some(issuer) = set(self.issuer) else {
            if !self.password_login {
                return Err("TESSERA_PASSWORD_LOGIN=false needs TESSERA_OIDC_ISSUER: without a provider nobody could sign in".into());
            }
            return Ok(SsoConfig {
                public_url,
                ..SsoConfig::default()
            });
        };
        if !(issuer.starts_with("https://") || issuer.starts_with("http://")) {
            return Err(format!(
                "TESSERA_OIDC_ISSUER must be an http(s) URL, not {issuer:?}"
            ));
        }
        let client_id = set(self.client_id)
            .ok_or("TESSERA_OIDC_CLIENT_ID is required with TESSERA_OIDC_ISSUER")?;
        let public = public_url.clone()
            .ok_or("TESSERA_PUBLIC_URL is required with TESSERA_OIDC_ISSUER: the provider sends people back to {TESSERA_PUBLIC_URL}/login/oidc/callback")?;
        Ok(SsoConfig {
            oidc: Some(OidcSettings {
                issuer,
                client_id,
                client_secret: set(self.client_secret),
                redirect_url: format!("{public}/login/oidc/callback"),
                name: set(self.name).unwrap_or_else(|| "single sign-on".into()),
                admin_group: set(self.admin_group),
            }),
            password_login: self.password_login,
            public_url,
        })
    }
}

/// Reads the secret keys for a database: `TESSERA_SECRET_KEYS` (a list,
/// the first current), or `TESSERA_SECRET_KEY` (one), or for SQLite the one
/// kept in a 0600 file beside the database, generated on first use.
pub fn resolve_secret_keys(
    one: Option<&str>,
    list: Option<&str>,
    database: &DatabaseUrl,
) -> Result<SecretKeys, String> {
    match (one, list) {
        (Some(_), Some(_)) => Err("set TESSERA_SECRET_KEYS or TESSERA_SECRET_KEY, not both: \
             TESSERA_SECRET_KEYS lists every key, the current one first"
            .into()),
        (None, Some(list)) => {
            SecretKeys::parse_list(list).map_err(|e| format!("TESSERA_SECRET_KEYS {e}"))
        }
        (one, None) => resolve_secret_key(one, database).map(SecretKeys::one),
    }
}

/// The networks of the proxies in front of tessera
/// (`TESSERA_TRUSTED_PROXIES`): addresses or CIDR ranges.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses a comma- or space-separated list; a bare address is a
    /// network of one.
    pub fn parse(list: &str) -> Result<Self, String> {
        list.split([',', ' ', '\t', '\n'])
            .filter(|item| !item.is_empty())
            .map(|item| {
                parse_network(item).ok_or_else(|| {
                    format!(
                        "TESSERA_TRUSTED_PROXIES: {item:?} is neither an IP address nor a CIDR range"
                    )
                })
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, ip: &IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(ip))
    }
}

impl<T: Into<IpNet>> FromIterator<T> for TrustedProxies {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        Self(iter.into_iter().map(Into::into).collect())
    }
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
        DatabaseUrl::Postgres(_) => Err("TESSERA_SECRET_KEY (or TESSERA_SECRET_KEYS) is required with PostgreSQL: every instance must share the same key. Generate one with `openssl rand -hex 32`.".into()),
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
    fn trusted_proxies_are_addresses_and_ranges() {
        let list = TrustedProxies::parse("10.0.0.0/8, 192.0.2.7 ::1,2001:db8::/32").unwrap();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        for inside in ["10.200.0.1", "192.0.2.7", "::1", "2001:db8::9"] {
            assert!(list.contains(&ip(inside)), "{inside}");
        }
        for outside in ["11.0.0.1", "192.0.2.8", "::2", "2001:db9::1"] {
            assert!(!list.contains(&ip(outside)), "{outside}");
        }
        assert!(TrustedProxies::parse("").unwrap().is_empty());
        let err = TrustedProxies::parse("10.0.0.0/33").unwrap_err();
        assert!(err.starts_with("TESSERA_TRUSTED_PROXIES"), "{err}");
        assert!(TrustedProxies::parse("proxy.local").is_err());
    }

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
    fn sso_settings_are_checked_together() {
        let none = SsoSettings {
            password_login: true,
            ..Default::default()
        };
        assert!(none.clone().validate().unwrap().oidc.is_none());
        // A public URL alone is where mail links go.
        let public_only = SsoSettings {
            public_url: Some(" https://tokens.example.com/ ".into()),
            ..none.clone()
        };
        assert_eq!(
            public_only.validate().unwrap().public_url.as_deref(),
            Some("https://tokens.example.com")
        );
        let not_a_url = SsoSettings {
            public_url: Some("tokens.example.com".into()),
            ..none.clone()
        };
        assert!(
            not_a_url
                .validate()
                .unwrap_err()
                .contains("TESSERA_PUBLIC_URL")
        );
        let no_password = SsoSettings {
            password_login: false,
            ..none.clone()
        };
        assert!(
            no_password
                .validate()
                .unwrap_err()
                .contains("TESSERA_OIDC_ISSUER")
        );
        let issuer_only = SsoSettings {
            issuer: Some("https://id.example.com/".into()),
            ..none.clone()
        };
        assert!(
            issuer_only
                .validate()
                .unwrap_err()
                .contains("TESSERA_OIDC_CLIENT_ID")
        );
        let whole = SsoSettings {
            issuer: Some("https://id.example.com/".into()),
            client_id: Some("tessera".into()),
            public_url: Some("https://tokens.example.com/".into()),
            client_secret: Some("hunter2".into()),
            ..none
        };
        let oidc = whole.validate().unwrap().oidc.unwrap();
        assert_eq!(oidc.issuer, "https://id.example.com/", "kept as written");
        assert_eq!(
            oidc.redirect_url,
            "https://tokens.example.com/login/oidc/callback"
        );
        assert_eq!(oidc.name, "single sign-on");
        assert!(!format!("{oidc:?}").contains("hunter2"));
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
