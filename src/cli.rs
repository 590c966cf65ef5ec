//! The command line (SPEC §7): flags over environment over defaults.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{ArgAction, Parser, Subcommand};

use crate::accounts::{DisplayName, Username};
use crate::actions::{self, Actor, Reach, TokenChange, TokenRequest};
use crate::config::{Config, DatabaseUrl, PasswordCost, redact_url, resolve_secret_key};
use crate::db::models::{accounts, settings, tokens as token_db};
use crate::db::{self, Db};
use crate::error::AppError;
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

    /// Comma-separated addresses of load balancers whose X-Forwarded-For is trusted
    #[arg(
        long,
        env = "TESSERA_TRUSTED_PROXIES",
        global = true,
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<std::net::IpAddr>,

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
        let secret_key = resolve_secret_key(self.secret_key.as_deref(), &database)?;
        if self.pool_size == Some(0) {
            return Err("TESSERA_POOL_SIZE must be at least 1".into());
        }
        Ok(Config {
            pool_size: self.pool_size.unwrap_or(database.default_pool_size()),
            database,
            bind,
            secret_key,
            cookie_secure: self.cookie_secure,
            allow_query_token: self.allow_query_token,
            max_token_lifetime_days: self.max_token_lifetime_days,
            max_tokens_per_user: self.max_tokens_per_user,
            password_cost: PasswordCost::DEFAULT,
            login_limit: Config::DEFAULT_LOGIN_LIMIT,
            session_hours: 12,
            trusted_proxies: self.trusted_proxies.clone(),
        })
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let serving = matches!(cli.command, None | Some(Command::Serve(_)));
    init_logging(if serving { "info" } else { "warn" });
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("tessera: {message}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(default_level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("TESSERA_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
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
        Some(Command::Token(command)) => {
            let config = cli.config(no_bind())?;
            let db = open(&config)?;
            let mut conn = db.get().map_err(describe)?;
            token_command(&mut conn, &config, command).map_err(describe)
        }
    }
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
                description: None,
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
    }
    actix_web::rt::System::new().block_on(async move {
        let (server, addr) =
            crate::startup::build(config, db.clone()).map_err(|e| format!("cannot listen: {e}"))?;
        println!("tessera listening on http://{addr}");
        let served = server.await.map_err(|e| format!("server failed: {e}"));
        // The token uses counted since the last flush.
        db.flush_usage().await;
        served
    })
}
