//! The command line (SPEC §7): flags over environment over defaults.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{ArgAction, Parser, Subcommand};

use crate::accounts::{DisplayName, Username};
use crate::actions::{self, Actor, Reach, TokenChange, TokenRequest};
use crate::config::{
    Config, DatabaseUrl, PasswordCost, SsoSettings, TrustedProxies, redact_url, resolve_secret_keys,
};
use crate::db::models::{accounts, settings, tokens as token_db};
use crate::db::{self, Db};
use crate::error::AppError;
use crate::keys;
use crate::telemetry::{LogFormat, init_logging};
use crate::tokens::Role;
use crate::views::page::rfc3339;

#[derive(Debug, Parser)]
#[command(name = "tessera", version, about = "A self-hosted API-token manager")]
pub struct Cli {
    /// sqlite://PATH or postgres://USER:PASSWORD@HOST/DB
    #[arg(
        long,
        env = "TESSERA_DATABASE_URL",
        default_value = "sqlite://tessera.db",
        global = true
    )]
    pub database_url: String,

    /// 64 hex characters; for SQLite, generated into a file beside the database when unset
    #[arg(
        long,
        env = "TESSERA_SECRET_KEY",
        hide_env_values = true,
        global = true
    )]
    pub secret_key: Option<String>,

    /// Key rotation: 64-hex keys separated by commas or spaces, the current one first; replaces --secret-key
    #[arg(
        long,
        env = "TESSERA_SECRET_KEYS",
        hide_env_values = true,
        global = true
    )]
    pub secret_keys: Option<String>,

    /// Database connections per instance (default: 8 for SQLite, 16 for PostgreSQL)
    #[arg(long, env = "TESSERA_POOL_SIZE", global = true)]
    pub pool_size: Option<u32>,

    /// Mark the session cookie Secure (serve over HTTPS)
    #[arg(long, env = "TESSERA_COOKIE_SECURE", global = true, action = ArgAction::Set,
          num_args = 0..=1, default_value = "false", default_missing_value = "true",
          value_parser = clap::builder::BoolishValueParser::new())]
    pub cookie_secure: bool,

    /// Accept tokens in the api_token query parameter of GET requests
    #[arg(long, env = "TESSERA_ALLOW_QUERY_TOKEN", global = true, action = ArgAction::Set,
          num_args = 0..=1, default_value = "true", default_missing_value = "true",
          value_parser = clap::builder::BoolishValueParser::new())]
    pub allow_query_token: bool,

    /// Longest lifetime a token may be given, in days ("never" is then refused)
    #[arg(long, env = "TESSERA_MAX_TOKEN_LIFETIME_DAYS", global = true,
          value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub max_token_lifetime_days: Option<u32>,

    /// How many tokens one account may hold
    #[arg(long, env = "TESSERA_MAX_TOKENS_PER_USER", global = true, default_value_t = Config::DEFAULT_MAX_TOKENS_PER_USER)]
    pub max_tokens_per_user: u32,

    /// Addresses or CIDR ranges (comma or space separated) of the proxies whose X-Forwarded-For / X-Real-IP is trusted
    #[arg(long, env = "TESSERA_TRUSTED_PROXIES", global = true)]
    pub trusted_proxies: Option<String>,

    /// Serve /metrics on this address only, to anyone reaching it (default: on the main listener, for metrics:read tokens)
    #[arg(long, env = "TESSERA_METRICS_BIND", global = true)]
    pub metrics_bind: Option<SocketAddr>,

    /// How log lines are written: text, or one JSON object per line
    #[arg(
        long,
        env = "TESSERA_LOG_FORMAT",
        global = true,
        value_enum,
        default_value = "text"
    )]
    pub log_format: LogFormat,

    /// The OpenID provider people sign in through (its discovery document is at ISSUER/.well-known/openid-configuration)
    #[arg(long, env = "TESSERA_OIDC_ISSUER", global = true)]
    pub oidc_issuer: Option<String>,

    /// The client id tessera has at the provider
    #[arg(long, env = "TESSERA_OIDC_CLIENT_ID", global = true)]
    pub oidc_client_id: Option<String>,

    /// The client secret (leave unset for a public client: PKCE still applies)
    #[arg(
        long,
        env = "TESSERA_OIDC_CLIENT_SECRET",
        hide_env_values = true,
        global = true
    )]
    pub oidc_client_secret: Option<String>,

    /// Where people reach tessera, e.g. https://tokens.example.com; the provider sends them back to PUBLIC_URL/login/oidc/callback
    #[arg(long, env = "TESSERA_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,

    /// The provider's name on the sign-in button ("Sign in with NAME")
    #[arg(long, env = "TESSERA_OIDC_NAME", global = true)]
    pub oidc_name: Option<String>,

    /// A value of the `groups` claim that makes an account an admin (checked at every sign-in)
    #[arg(long, env = "TESSERA_OIDC_ADMIN_GROUP", global = true)]
    pub oidc_admin_group: Option<String>,

    /// Offer the password form on the sign-in page (false: single sign-on only)
    #[arg(long, env = "TESSERA_PASSWORD_LOGIN", global = true, action = ArgAction::Set,
          num_args = 0..=1, default_value = "true", default_missing_value = "true",
          value_parser = clap::builder::BoolishValueParser::new())]
    pub password_login: bool,

    /// Mail server: smtp://user:pass@host:port (STARTTLS when offered) or smtps://...
    #[arg(long, env = "TESSERA_SMTP_URL", hide_env_values = true, global = true)]
    pub smtp_url: Option<String>,

    /// The address mail is sent from, e.g. "tessera <tessera@example.org>"
    #[arg(long, env = "TESSERA_MAIL_FROM", global = true)]
    pub mail_from: Option<String>,

    /// Seconds between the scheduler's looks for due notices
    #[arg(long, env = "TESSERA_NOTIFY_INTERVAL_SECONDS", global = true,
          default_value_t = Config::DEFAULT_NOTIFY_INTERVAL_SECS,
          value_parser = clap::value_parser!(u64).range(1..=86400))]
    pub notify_interval_seconds: u64,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (the default)
    Serve(ServeArgs),
    /// Apply database migrations and exit
    Migrate,
    /// Manage accounts
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens
    #[command(subcommand)]
    Token(TokenCommand),
    /// Secret keys and key rotation
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Copy a SQLite database to a new file while servers use it
    Backup {
        /// Where the copy goes (a file that does not exist yet)
        path: std::path::PathBuf,
    },
}

#[derive(Debug, Parser)]
pub struct ServeArgs {
    /// Address to listen on
    #[arg(long, env = "TESSERA_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account; prints its generated password as the last word
    Create {
        name: String,
        /// Give the account the admin role
        #[arg(long)]
        admin: bool,
        #[arg(long)]
        display_name: Option<String>,
    },
    /// Reset an account's password to a one-time one, which must be changed
    /// at the next sign-in; signs the account out everywhere. Prints the
    /// password as the last word
    ResetPassword { name: String },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// How many tokens still rely on each key (by fingerprint, the current key first)
    Status,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token; prints only the token
    Create {
        #[arg(long)]
        user: String,
        #[arg(long)]
        label: String,
        /// A scope to grant (repeat for several; default: profile:read and tokens:read)
        #[arg(long = "scope")]
        scopes: Vec<String>,
        /// Hours until it expires (0 or absent: never, unless the server sets a maximum lifetime)
        #[arg(long)]
        expires_in_hours: Option<i64>,
    },
    /// List tokens, of one account or of all
    List {
        #[arg(long)]
        user: Option<String>,
    },
    /// Delete a token for good; it stops working at once
    Revoke { id: i64 },
}

impl Cli {
    pub fn config(&self, bind: SocketAddr) -> Result<Config, String> {
        let database = DatabaseUrl::parse(&self.database_url)?;
        let keys = resolve_secret_keys(
            self.secret_key.as_deref(),
            self.secret_keys.as_deref(),
            &database,
        )?;
        if self.pool_size == Some(0) {
            return Err("TESSERA_POOL_SIZE must be at least 1".into());
        }
        Ok(Config {
            pool_size: self.pool_size.unwrap_or(database.default_pool_size()),
            database,
            bind,
            secret_key: keys.current().clone(),
            older_keys: keys.older().to_vec(),
            cookie_secure: self.cookie_secure,
            allow_query_token: self.allow_query_token,
            max_token_lifetime_days: self.max_token_lifetime_days,
            max_tokens_per_user: self.max_tokens_per_user,
            password_cost: PasswordCost::DEFAULT,
            login_limit: Config::DEFAULT_LOGIN_LIMIT,
            session_hours: 12,
            trusted_proxies: TrustedProxies::parse(
                self.trusted_proxies.as_deref().unwrap_or_default(),
            )?,
            metrics_bind: self.metrics_bind,
            sso: SsoSettings {
                issuer: self.oidc_issuer.clone(),
                client_id: self.oidc_client_id.clone(),
                client_secret: self.oidc_client_secret.clone(),
                public_url: self.public_url.clone(),
                name: self.oidc_name.clone(),
                admin_group: self.oidc_admin_group.clone(),
                password_login: self.password_login,
            }
            .validate()?,
            mail: crate::notices::mail::MailSettings::parse(
                self.smtp_url.as_deref(),
                self.mail_from.as_deref(),
            )?,
            notify_interval_secs: self.notify_interval_seconds,
        })
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let serving = matches!(cli.command, None | Some(Command::Serve(_)));
    init_logging(if serving { "info" } else { "warn" }, cli.log_format);
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("tessera: {message}");
            ExitCode::FAILURE
        }
    }
}

fn open(config: &Config) -> Result<Db, String> {
    Db::open(&config.database, config.pool_size)
}

fn no_bind() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

pub fn run(cli: Cli) -> Result<(), String> {
    match &cli.command {
        None | Some(Command::Serve(_)) => {
            let args = match &cli.command {
                Some(Command::Serve(args)) => args.bind,
                _ => {
                    ServeArgs::try_parse_from(["tessera"])
                        .map_err(|e| e.to_string())?
                        .bind
                }
            };
            serve(cli.config(args)?)
        }
        Some(Command::Migrate) => {
            let config = cli.config(no_bind())?;
            open(&config)?;
            println!("migrations applied to {}", redact_url(&cli.database_url));
            Ok(())
        }
        Some(Command::User(UserCommand::ResetPassword { name })) => {
            let config = cli.config(no_bind())?;
            let db = open(&config)?;
            let mut conn = db.get().map_err(describe)?;
            let account = accounts::find_by_username(&mut conn, name)
                .map_err(|e| describe(e.into()))?
                .ok_or_else(|| format!("no account named {name:?}"))?;
            let (account, password) = crate::preferences::reset_password(
                &mut conn,
                config.password_cost,
                &account.account_id,
                Actor::console(),
            )
            .map_err(describe)?;
            println!(
                "password of {} ({}) reset; it must be changed at the next sign-in; one-time password: {password}",
                account.username, account.account_id
            );
            Ok(())
        }
        Some(Command::User(UserCommand::Create {
            name,
            admin,
            display_name,
        })) => {
            let config = cli.config(no_bind())?;
            let db = open(&config)?;
            let role = if *admin { Role::Admin } else { Role::User };
            let username = Username::parse(name).map_err(describe)?;
            let display_name = display_name
                .as_deref()
                .map(DisplayName::parse)
                .transpose()
                .map_err(describe)?
                .flatten();
            let mut conn = db.get().map_err(describe)?;
            let (account, password) = actions::create_account(
                &mut conn,
                config.password_cost,
                &username,
                display_name.as_ref(),
                role,
                Actor::console(),
            )
            .map_err(describe)?;
            println!(
                "created account {} ({}) with role {}; password: {password}",
                account.username,
                account.account_id,
                role.as_str()
            );
            Ok(())
        }
        Some(Command::Keys(KeysCommand::Status)) => {
            let config = cli.config(no_bind())?;
            let db = open(&config)?;
            let mut conn = db.get().map_err(describe)?;
            let counts = token_db::count_by_key(&mut conn).map_err(|e| e.to_string())?;
            print!("{}", keys_status(&config, &counts));
            Ok(())
        }
        Some(Command::Backup { path }) => {
            // Neither the key nor the migrations: a backup copies what is there.
            let database = DatabaseUrl::parse(&cli.database_url)?;
            db::backup::backup(&database, path)?;
            println!(
                "backed up {} to {}; keep the secret key with it: without it \
                 no token or session of the copy works",
                redact_url(&cli.database_url),
                path.display()
            );
            Ok(())
        }
        Some(Command::Token(command)) => {
            let config = cli.config(no_bind())?;
            let db = open(&config)?;
            let mut conn = db.get().map_err(describe)?;
            token_command(&mut conn, &config, command).map_err(describe)
        }
    }
}

/// `keys status`: a line per configured key (current first) with the
/// tokens whose hash it made, then tokens made with keys no longer
/// configured, which no longer work.
fn keys_status(config: &Config, counts: &[(Option<String>, i64)]) -> String {
    let count_of = |id: Option<&str>| {
        counts
            .iter()
            .find(|(k, _)| k.as_deref() == id)
            .map_or(0, |(_, n)| *n)
    };
    let configured: Vec<String> = config.keys().map(keys::fingerprint).collect();
    let mut out = format!("{:<10} {:<10} TOKENS\n", "KEY", "ROLE");
    for (i, id) in configured.iter().enumerate() {
        let role = if i == 0 { "current" } else { "older" };
        out += &format!("{id:<10} {role:<10} {}\n", count_of(Some(id)));
    }
    for (id, n) in counts {
        match id {
            Some(id) if configured.contains(id) => {}
            // Not under any configured key: these no longer authenticate.
            Some(id) => out += &format!("{id:<10} {:<10} {n}\n", "missing"),
            // From before tokens recorded their key: made with the key of
            // that time, re-hashed and recorded on their next use.
            None => out += &format!("{:<10} {:<10} {n}\n", "-", "unrecorded"),
        }
    }
    out
}

fn describe(e: AppError) -> String {
    match e.field() {
        Some(field) => format!("{field}: {e}"),
        None => e.to_string(),
    }
}

fn token_command(
    conn: &mut db::DbConn,
    config: &Config,
    command: &TokenCommand,
) -> Result<(), AppError> {
    match command {
        TokenCommand::Create {
            user,
            label,
            scopes,
            expires_in_hours,
        } => {
            let owner = accounts::find_by_username(conn, user)?
                .ok_or_else(|| AppError::invalid("user", format!("no account named {user:?}")))?;
            let scopes = if scopes.is_empty() {
                vec!["profile:read".to_owned(), "tokens:read".to_owned()]
            } else {
                scopes.clone()
            };
            // Left out, the flag would mean "never", which a server with a
            // maximum lifetime refuses: say so rather than pick a lifetime.
            if expires_in_hours.is_none()
                && let Some(days) = actions::max_token_lifetime_days(conn, config)?
            {
                return Err(AppError::invalid(
                    "expires_in_hours",
                    format!(
                        "tokens on this database must expire within {days} days \
                         (TESSERA_MAX_TOKEN_LIFETIME_DAYS of its server); \
                         give --expires-in-hours, at most {}",
                        i64::from(days) * 24
                    ),
                ));
            }
            let spec = TokenRequest {
                label: Some(label.clone()),
                scopes: Some(scopes),
                expires_in_hours: *expires_in_hours,
                ..Default::default()
            }
            .check(config, &owner, None)?;
            let (_, secret) = actions::create_token(conn, config, &owner, &spec, Actor::console())?;
            println!("{}", secret.expose());
            Ok(())
        }
        TokenCommand::List { user } => {
            let owner = match user {
                Some(name) => Some(accounts::find_by_username(conn, name)?.ok_or_else(|| {
                    AppError::invalid("user", format!("no account named {name:?}"))
                })?),
                None => None,
            };
            let filter = token_db::TokenFilter {
                owner: owner.as_ref().map(|a| a.id),
                status: None,
            };
            let now = db::now();
            let (rows, _) = token_db::list_all(
                conn,
                &filter,
                token_db::TokenSort::Created,
                now,
                0,
                i64::MAX,
            )?;
            println!(
                "{:<6} {:<16} {:<12} {:<12} {:<20} {:<20} {:<42} LABEL",
                "ID", "ACCOUNT", "PREFIX", "STATUS", "CREATED", "EXPIRES", "SCOPES"
            );
            for (token, account_id) in rows {
                println!(
                    "{:<6} {:<16} {:<12} {:<12} {:<20} {:<20} {:<42} {}",
                    token.id,
                    account_id,
                    token.prefix,
                    token.status(now).as_str(),
                    rfc3339(token.created_at),
                    token
                        .expires_at
                        .map(rfc3339)
                        .unwrap_or_else(|| "never".into()),
                    token.scope_set().names().join(","),
                    token.label
                );
            }
            Ok(())
        }
        TokenCommand::Revoke { id } => {
            let (token, owner) =
                actions::change_token(conn, Reach::Any, *id, TokenChange::Delete, Actor::console())
                    .map_err(|e| match e {
                        AppError::NotFound => {
                            AppError::invalid("id", format!("no token with id {id}"))
                        }
                        other => other,
                    })?;
            println!("revoked token {} ({}) of {owner}", token.id, token.prefix);
            Ok(())
        }
    }
}

fn serve(config: Config) -> Result<(), String> {
    let db = open(&config)?;
    db.checkpoint_periodically(std::time::Duration::from_secs(1));
    {
        let mut conn = db.get().map_err(describe)?;
        if let Some(password) =
            actions::ensure_first_admin(&mut conn, config.password_cost).map_err(describe)?
        {
            println!("Created the first account: username admin, password {password}");
            println!("This password is shown once; sign in and keep it somewhere safe.");
        }
        // Where `tessera token create` finds it: the command line is run
        // without the server's environment.
        settings::record_max_token_lifetime_days(&mut conn, config.max_token_lifetime_days)
            .map_err(|e| format!("cannot record the server's settings: {e}"))?;
        // Tokens from before key rotation existed were made with the one
        // key of their time; with one key configured that is this one.
        if config.older_keys.is_empty() {
            token_db::record_unrecorded_keys(&mut conn, &keys::fingerprint(&config.secret_key))
                .map_err(|e| format!("cannot record the tokens' key: {e}"))?;
        }
    }
    actix_web::rt::System::new().block_on(async move {
        let state = crate::startup::app_state(config, db);
        let (server, addr) =
            crate::startup::serve(state.clone()).map_err(|e| format!("cannot listen: {e}"))?;
        let metrics = crate::startup::metrics_server(state.clone())
            .map_err(|e| format!("cannot listen on TESSERA_METRICS_BIND: {e}"))?
            .map(|(server, addr)| {
                println!("tessera metrics on http://{addr}/metrics");
                let handle = server.handle();
                actix_web::rt::spawn(server);
                handle
            });
        actix_web::rt::spawn(crate::shutdown::stop_on_signal(server.handle()));
        // The token uses counted since the last flush (`crate::usage`).
        let db = state.db.clone();
        state
            .on_shutdown
            .register("token usage counts", move || async move {
                db.flush_usage().await
            });
        println!("tessera listening on http://{addr}");
        let stopped = server.await.map_err(|e| format!("server failed: {e}"));
        if let Some(metrics) = metrics {
            metrics.stop(true).await;
        }
        // The requests in flight have finished (or had their 30 s): now
        // what other parts keep in memory is written down.
        state.on_shutdown.run().await;
        tracing::info!("stopped");
        stopped
    })
}
