//! Command line and environment configuration, validated before anything starts.

use clap::{Args, Parser, Subcommand, ValueEnum};
use loket_web::http::origin::{self, Origin};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Loket: a real-time helpdesk. Run without a subcommand to serve.
#[derive(Debug, Parser)]
#[command(name = "loket", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Operator subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API, WebSocket and web client (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Manage agents.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Manage reporter invite codes.
    #[command(subcommand)]
    Invite(InviteCommand),
    /// Fill the database with a demo desk: agents, categories, Telegram reporters and tickets in
    /// Indonesian and English with their conversations and history. Prints the agents' password once.
    Demo(DemoArgs),
    /// Write a backup (database and attachments, one archive) to FILE; safe while the server runs.
    Backup {
        /// The archive to write, e.g. `loket-2026-12-01.tar.gz`.
        file: PathBuf,
    },
    /// Restore a backup made by `loket backup` into an empty data directory (or empty DATABASE_URL).
    Restore {
        /// The archive to read.
        file: PathBuf,
    },
}

/// Options of `loket demo`.
#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// The same seed gives the same desk (names, texts, statuses; dates follow the clock).
    #[arg(long, default_value_t = loket_core::demo::DEFAULT_SEED)]
    pub seed: u64,
    /// How many tickets to create.
    #[arg(
        long,
        default_value_t = loket_core::demo::DEFAULT_TICKETS,
        value_parser = clap::value_parser!(u32).range(1..=i64::from(loket_core::demo::MAX_TICKETS)),
    )]
    pub tickets: u32,
    /// Add demo tickets even though the database already has tickets.
    #[arg(long)]
    pub force: bool,
}

impl DemoArgs {
    /// What the generator is asked for.
    pub fn options(&self) -> loket_core::demo::DemoOptions {
        loket_core::demo::DemoOptions {
            seed: self.seed,
            tickets: self.tickets,
            force: self.force,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an agent account (an admin unless --role agent). Prints a generated password if none is given.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "admin", value_parser = ["admin", "agent"])]
        role: String,
        /// Read from LOKET_NEW_PASSWORD so it stays out of shell history; generated when unset.
        #[arg(long, env = "LOKET_NEW_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum InviteCommand {
    /// Create an invite code and print it.
    Create {
        #[arg(long, default_value_t = 1)]
        max_uses: i32,
        /// Days until the code expires; never when omitted.
        #[arg(long)]
        expires_in_days: Option<i64>,
    },
}

/// Settings shared by every subcommand. Each flag can also be set by the environment variable shown.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// PostgreSQL to use; unset: a private cluster under the data directory.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, global = true)]
    pub database_url: Option<String>,
    /// Address to listen on.
    #[arg(long, env = "LOKET_BIND", default_value = "127.0.0.1:8080", global = true)]
    pub bind: SocketAddr,
    /// Embedded database and attachments.
    #[arg(long, env = "LOKET_DATA_DIR", default_value = ".loket", global = true)]
    pub data_dir: PathBuf,
    /// If set with the password and no agent has this email, create it as an admin at start.
    #[arg(long, env = "LOKET_ADMIN_EMAIL", global = true)]
    pub admin_email: Option<String>,
    #[arg(long, env = "LOKET_ADMIN_PASSWORD", hide_env_values = true, global = true)]
    pub admin_password: Option<String>,
    /// Telegram bot token; unset: no bot.
    #[arg(long, env = "TELEGRAM_BOT_TOKEN", hide_env_values = true, global = true)]
    pub telegram_bot_token: Option<String>,
    /// Base URL of the Telegram Bot API.
    #[arg(
        long,
        env = "TELEGRAM_API_URL",
        default_value = "https://api.telegram.org",
        global = true
    )]
    pub telegram_api_url: String,
    /// Webhook mode instead of polling: the public HTTPS URL Telegram POSTs updates to. Its path must end in
    /// `/telegram/webhook`, and it must lead to that path on any instance (e.g. through the balancer).
    /// Set together with TELEGRAM_WEBHOOK_SECRET; unset: the bot polls `getUpdates`.
    #[arg(long, env = "TELEGRAM_WEBHOOK_URL", global = true)]
    pub telegram_webhook_url: Option<String>,
    /// The secret Telegram sends with every webhook update (1-256 of A-Z, a-z, 0-9, `_`, `-`); requests
    /// without it are refused.
    #[arg(long, env = "TELEGRAM_WEBHOOK_SECRET", hide_env_values = true, global = true)]
    pub telegram_webhook_secret: Option<String>,
    /// Directory with the built web client (index.html); default: `dist` beside the working directory.
    #[arg(long, env = "LOKET_WEB_DIR", global = true)]
    pub web_dir: Option<PathBuf>,
    /// Directory with Swagger UI's files (npm's swagger-ui-dist) for `/docs`; default:
    /// `tools/node_modules/swagger-ui-dist` in the working directory or the repository of the binary.
    #[arg(long, env = "LOKET_DOCS_DIR", global = true)]
    pub docs_dir: Option<PathBuf>,
    /// HTTP worker threads; default: one per CPU.
    #[arg(long, env = "LOKET_WORKERS", global = true)]
    pub workers: Option<usize>,
    /// Seconds a WebSocket session's lock lasts without a heartbeat renewing it.
    #[arg(long, env = "LOKET_LOCK_LEASE_SECS", default_value_t = 30, global = true)]
    pub lock_lease_secs: u32,
    /// Seconds a lock lasts without activity by its holder (taking it, asking for it again, an update, a
    /// comment), however long their tab stays open; then it lapses with reason `idle`.
    #[arg(long, env = "LOKET_LOCK_IDLE_SECS", default_value_t = 600, global = true)]
    pub lock_idle_secs: u32,
    /// Whether a reporter's reply to a resolved or closed ticket reopens it (status back to open, flagged
    /// for agents): `true` (default) or `false`.
    #[arg(long, env = "LOKET_REOPEN_ON_REPLY", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    pub reopen_on_reply: bool,
    /// Seconds a lock taken through REST lasts; POST the lock again to extend it.
    #[arg(long, env = "LOKET_REST_LOCK_SECS", default_value_t = 120, global = true)]
    pub rest_lock_secs: u32,
    /// Set the Secure flag on the session cookie and send HSTS (behind HTTPS).
    #[arg(long, env = "LOKET_COOKIE_SECURE", default_value_t = false, global = true)]
    pub cookie_secure: bool,
    /// The address browsers use to reach Loket (scheme, host, port: `https://desk.example.org`); only pages
    /// from it may open `/ws` or send changes. Default: the bind address (and `localhost` for loopback).
    #[arg(long, env = "LOKET_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,
    /// Further origins allowed, comma-separated (e.g. `http://127.0.0.1:8081` for `trunk serve`).
    #[arg(long, env = "LOKET_ALLOWED_ORIGINS", default_value = "", global = true)]
    pub allowed_origins: String,
    /// Reverse proxies whose `X-Forwarded-For` names the client, comma-separated IPs or CIDR networks.
    #[arg(long, env = "LOKET_TRUSTED_PROXIES", default_value = "", global = true)]
    pub trusted_proxies: String,
    /// Log filter, in `tracing` EnvFilter syntax.
    #[arg(long, env = "LOKET_LOG", default_value = "info", global = true)]
    pub log: String,
    /// Make a backup into this directory every LOKET_BACKUP_EVERY while serving; unset: no scheduled backups.
    #[arg(long, env = "LOKET_BACKUP_DIR", global = true)]
    pub backup_dir: Option<PathBuf>,
    /// How often scheduled backups are made, e.g. `24h`, `6h`, `30m`.
    #[arg(long, env = "LOKET_BACKUP_EVERY", default_value = "24h", value_parser = humantime::parse_duration, global = true)]
    pub backup_every: std::time::Duration,
    /// How many scheduled backups are kept (the oldest beyond are deleted).
    #[arg(long, env = "LOKET_BACKUP_KEEP", default_value_t = 7, global = true)]
    pub backup_keep: usize,
    /// Log lines as human-readable text or as one JSON object per line.
    #[arg(long, env = "LOKET_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
    /// Also serve Prometheus metrics at `/metrics` on this address, without sign-in (keep it private);
    /// unset: only admins get them, at `/metrics` on the main address.
    #[arg(long, env = "LOKET_METRICS_BIND", global = true)]
    pub metrics_bind: Option<SocketAddr>,
    /// Keep at least this many hours of the event log (for clients resuming after a reconnect); together
    /// with LOKET_EVENT_RETENTION_MIN_EVENTS, whichever keeps more. 0: keep only by count.
    #[arg(long, env = "LOKET_EVENT_RETENTION_HOURS", default_value_t = 24, global = true)]
    pub event_retention_hours: u32,
    /// Keep at least this many of the newest events in the event log, however old.
    #[arg(
        long,
        env = "LOKET_EVENT_RETENTION_MIN_EVENTS",
        default_value_t = 100_000,
        global = true
    )]
    pub event_retention_min_events: u64,
}

/// How log lines are written (to standard error).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One human-readable line per event, with its spans' fields.
    Text,
    /// One JSON object per line: `timestamp`, `level`, `target`, `message`, the event's fields, and its
    /// spans (`span`, `spans`) with their fields, such as `request_id`.
    Json,
}

/// The longest event retention accepted: a year.
pub const MAX_EVENT_RETENTION_HOURS: u32 = 366 * 24;

/// Scheduled backups no more often than this: each is a full dump.
pub const MIN_BACKUP_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// A setting that cannot work, explained.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

impl Config {
    /// Checks what clap cannot: combinations and formats.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some(url) = &self.database_url {
            let settings = loket_core::db::tls::parse(url)
                .map_err(|e| ConfigError(format!("DATABASE_URL is not a valid PostgreSQL URL: {e}")))?;
            // A root certificate file is read now, so a wrong path is said at once.
            if let roots @ loket_core::db::tls::Roots::File(_) = &settings.tls.roots {
                loket_core::db::tls::root_store(roots).map_err(|e| ConfigError(format!("DATABASE_URL: {e}")))?;
            }
        }
        match (&self.admin_email, &self.admin_password) {
            (Some(email), Some(password)) => {
                loket_core::domain::validate::email(email)
                    .map_err(|e| ConfigError(format!("LOKET_ADMIN_EMAIL: {e}")))?;
                loket_core::domain::validate::password(password)
                    .map_err(|e| ConfigError(format!("LOKET_ADMIN_PASSWORD: {e}")))?;
            }
            (None, None) => {}
            _ => {
                return Err(ConfigError(
                    "set both LOKET_ADMIN_EMAIL and LOKET_ADMIN_PASSWORD, or neither".into(),
                ));
            }
        }
        if let Some(token) = &self.telegram_bot_token
            && (token.trim().is_empty() || !token.contains(':'))
        {
            return Err(ConfigError(
                "TELEGRAM_BOT_TOKEN does not look like a bot token (<id>:<secret>)".into(),
            ));
        }
        self.update_mode()?;
        if let Some(dir) = &self.docs_dir
            && loket_web::http::openapi::find_docs_dir(Some(dir)).is_none()
        {
            return Err(ConfigError(format!(
                "LOKET_DOCS_DIR: {} does not hold swagger-ui.css and swagger-ui-bundle.js (npm's swagger-ui-dist)",
                dir.display()
            )));
        }
        if !(self.telegram_api_url.starts_with("http://") || self.telegram_api_url.starts_with("https://")) {
            return Err(ConfigError(
                "TELEGRAM_API_URL must be an http:// or https:// URL".into(),
            ));
        }
        // A session's lease must outlive the gap between two heartbeats, with room for one lost ping.
        let min_lease = 2 * loket_web::ws::session::HEARTBEAT_INTERVAL.as_secs();
        if u64::from(self.lock_lease_secs) < min_lease {
            return Err(ConfigError(format!(
                "LOKET_LOCK_LEASE_SECS must be at least {min_lease}"
            )));
        }
        if self.lock_idle_secs == 0 {
            return Err(ConfigError("LOKET_LOCK_IDLE_SECS must be at least 1".into()));
        }
        if self.rest_lock_secs == 0 {
            return Err(ConfigError("LOKET_REST_LOCK_SECS must be at least 1".into()));
        }
        if self.workers == Some(0) {
            return Err(ConfigError("LOKET_WORKERS must be at least 1".into()));
        }
        self.origins()?;
        if self.public_url.is_none() && self.bind.ip().is_unspecified() {
            return Err(ConfigError(format!(
                "LOKET_BIND {} listens on every interface, so Loket cannot tell the address browsers use: \
                 set LOKET_PUBLIC_URL (e.g. https://desk.example.org)",
                self.bind
            )));
        }
        loket_core::domain::throttle::TrustedProxies::parse(&self.trusted_proxies)
            .map_err(|e| ConfigError(format!("LOKET_TRUSTED_PROXIES: {e}")))?;
        if self.backup_every < MIN_BACKUP_EVERY {
            return Err(ConfigError(format!(
                "LOKET_BACKUP_EVERY must be at least {}",
                humantime::format_duration(MIN_BACKUP_EVERY)
            )));
        }
        if self.backup_keep == 0 {
            return Err(ConfigError("LOKET_BACKUP_KEEP must be at least 1".into()));
        }
        if self.event_retention_min_events == 0 {
            return Err(ConfigError(
                "LOKET_EVENT_RETENTION_MIN_EVENTS must be at least 1".into(),
            ));
        }
        if self.event_retention_hours > MAX_EVENT_RETENTION_HOURS {
            return Err(ConfigError(format!(
                "LOKET_EVENT_RETENTION_HOURS must be at most {MAX_EVENT_RETENTION_HOURS} (a year)"
            )));
        }
        if self.metrics_bind == Some(self.bind) && self.bind.port() != 0 {
            return Err(ConfigError(
                "LOKET_METRICS_BIND must differ from LOKET_BIND (unset it to serve /metrics to admins only)".into(),
            ));
        }
        Ok(())
    }

    /// How the bot receives updates: `TELEGRAM_WEBHOOK_URL` and `TELEGRAM_WEBHOOK_SECRET` (both or neither,
    /// with a bot token), or polling.
    pub fn update_mode(&self) -> Result<loket_bot::UpdateMode, ConfigError> {
        match (&self.telegram_webhook_url, &self.telegram_webhook_secret) {
            (None, None) => Ok(loket_bot::UpdateMode::Polling),
            (Some(url), Some(secret)) => {
                if self.telegram_bot_token.is_none() {
                    return Err(ConfigError(
                        "TELEGRAM_WEBHOOK_URL is set but TELEGRAM_BOT_TOKEN is not: set the bot's token too".into(),
                    ));
                }
                let url =
                    loket_bot::actor::webhook_url(url).map_err(|e| ConfigError(format!("TELEGRAM_WEBHOOK_URL {e}")))?;
                let path = loket_web::http::telegram::WEBHOOK_PATH;
                if !url.path().ends_with(path) {
                    return Err(ConfigError(format!(
                        "TELEGRAM_WEBHOOK_URL must end in {path}: Loket accepts updates at that path"
                    )));
                }
                loket_bot::actor::check_webhook_secret(secret)
                    .map_err(|e| ConfigError(format!("TELEGRAM_WEBHOOK_SECRET {e}")))?;
                Ok(loket_bot::UpdateMode::Webhook {
                    url,
                    secret: secret.clone(),
                })
            }
            _ => Err(ConfigError(
                "set both TELEGRAM_WEBHOOK_URL and TELEGRAM_WEBHOOK_SECRET, or neither (then the bot polls)".into(),
            )),
        }
    }

    /// `LOKET_PUBLIC_URL` and `LOKET_ALLOWED_ORIGINS`, parsed.
    fn origins(&self) -> Result<(Option<Origin>, Vec<Origin>), ConfigError> {
        let public = self
            .public_url
            .as_deref()
            .map(Origin::parse)
            .transpose()
            .map_err(|e| ConfigError(format!("LOKET_PUBLIC_URL: {e}")))?;
        let allowed = origin::parse_list(&self.allowed_origins)
            .map_err(|e| ConfigError(format!("LOKET_ALLOWED_ORIGINS: {e}")))?;
        Ok((public, allowed))
    }

    /// The lease lengths these settings ask for.
    pub fn lease_terms(&self) -> loket_core::domain::lease::LeaseTerms {
        loket_core::domain::lease::LeaseTerms {
            session: chrono::Duration::seconds(self.lock_lease_secs.into()),
            rest: chrono::Duration::seconds(self.rest_lock_secs.into()),
            idle: chrono::Duration::seconds(self.lock_idle_secs.into()),
        }
    }

    /// How much of the event log to keep.
    pub fn event_retention(&self) -> loket_core::db::event_log::Retention {
        loket_core::db::event_log::Retention {
            hours: self.event_retention_hours,
            min_events: self.event_retention_min_events,
        }
    }

    /// Where the database is.
    pub fn database_settings(&self) -> loket_core::DatabaseSettings {
        loket_core::DatabaseSettings {
            database_url: self.database_url.clone(),
            data_dir: self.data_dir.clone(),
        }
    }

    /// What the web layer needs. Call after [`Config::validate`]: settings it refused are left out here.
    pub fn web_settings(&self) -> loket_web::WebSettings {
        let (public_url, allowed_origins) = self.origins().unwrap_or_default();
        loket_web::WebSettings {
            data_dir: self.data_dir.clone(),
            cookie_secure: self.cookie_secure,
            web_dir: self.web_dir.clone(),
            docs_dir: self.docs_dir.clone(),
            workers: self.workers,
            public_url,
            allowed_origins,
            trusted_proxies: loket_core::domain::throttle::TrustedProxies::parse(&self.trusted_proxies)
                .unwrap_or_default(),
            metrics_bind: self.metrics_bind,
            telegram_webhook_secret: match self.update_mode() {
                Ok(loket_bot::UpdateMode::Webhook { secret, .. }) => Some(secret),
                _ => None,
            },
        }
    }

    /// A configuration for tests and embedding: everything default but the database and data directory.
    pub fn for_database(database_url: String, data_dir: PathBuf) -> Config {
        Config {
            database_url: Some(database_url),
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir,
            admin_email: None,
            admin_password: None,
            telegram_bot_token: None,
            telegram_api_url: "https://api.telegram.org".into(),
            telegram_webhook_url: None,
            telegram_webhook_secret: None,
            web_dir: None,
            docs_dir: None,
            workers: Some(1),
            lock_lease_secs: 30,
            lock_idle_secs: 600,
            reopen_on_reply: true,
            rest_lock_secs: 120,
            cookie_secure: false,
            public_url: None,
            allowed_origins: String::new(),
            trusted_proxies: String::new(),
            log: "info".into(),
            backup_dir: None,
            backup_every: std::time::Duration::from_secs(24 * 3600),
            backup_keep: 7,
            log_format: LogFormat::Text,
            metrics_bind: None,
            event_retention_hours: 24,
            event_retention_min_events: 100_000,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("loket").chain(args.iter().copied()))
    }

    #[test]
    fn defaults_serve_on_localhost() {
        let cli = parse(&[]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.config.bind.to_string(), "127.0.0.1:8080");
    }

    #[test]
    fn demo_defaults_to_a_few_hundred_tickets_and_refuses_silly_sizes() {
        let cli = parse(&["demo"]).unwrap();
        let Some(Command::Demo(args)) = cli.command else {
            panic!("not the demo command");
        };
        assert_eq!(args.options(), loket_core::demo::DemoOptions::default());
        assert_eq!(args.tickets, 300);
        let cli = parse(&["demo", "--seed", "9", "--tickets", "25", "--force"]).unwrap();
        let Some(Command::Demo(args)) = cli.command else {
            panic!("not the demo command");
        };
        assert_eq!((args.seed, args.tickets, args.force), (9, 25, true));
        assert!(parse(&["demo", "--tickets", "0"]).is_err());
        assert!(parse(&["demo", "--tickets", "5001"]).is_err());
        assert!(parse(&["demo", "--seed", "-1"]).is_err());
    }

    #[test]
    fn bad_values_are_explained() {
        assert!(parse(&["--bind", "nowhere"]).is_err());
        let mut cli = parse(&["--admin-email", "ana@example.org"]).unwrap();
        assert!(cli.config.validate().unwrap_err().0.contains("both"));
        cli.config.admin_password = Some("short".into());
        assert!(cli.config.validate().unwrap_err().0.contains("LOKET_ADMIN_PASSWORD"));
        let cli = parse(&["--database-url", "postgres://x:y@h:notaport/db"]).unwrap();
        assert!(cli.config.validate().unwrap_err().0.contains("DATABASE_URL"));
    }

    #[test]
    fn origins_and_proxies_are_checked() {
        let error = |args: &[&str]| parse(args).unwrap().config.validate().unwrap_err().0;
        assert!(error(&["--public-url", "desk.example.org"]).contains("LOKET_PUBLIC_URL"));
        assert!(error(&["--public-url", "https://desk.example.org/loket"]).contains("without a path"));
        assert!(error(&["--allowed-origins", "http://127.0.0.1:8081,bad"]).contains("LOKET_ALLOWED_ORIGINS"));
        assert!(error(&["--trusted-proxies", "10.0.0.0/8, proxy"]).contains("LOKET_TRUSTED_PROXIES"));
        assert!(error(&["--bind", "0.0.0.0:8080"]).contains("LOKET_PUBLIC_URL"));
        let cli = parse(&[
            "--bind",
            "0.0.0.0:8080",
            "--public-url",
            "https://desk.example.org/",
            "--allowed-origins",
            "http://127.0.0.1:8081, http://localhost:8081",
            "--trusted-proxies",
            "127.0.0.1,10.0.0.0/8",
        ])
        .unwrap();
        cli.config.validate().unwrap();
        let web = cli.config.web_settings();
        assert_eq!(web.public_url.unwrap().to_string(), "https://desk.example.org");
        assert_eq!(web.allowed_origins.len(), 2);
        assert!(web.trusted_proxies.contains("10.9.8.7".parse().unwrap()));
    }

    #[test]
    fn event_retention_defaults_to_a_day_or_100000_events_and_is_checked() {
        let cli = parse(&[]).unwrap();
        let retention = cli.config.event_retention();
        assert_eq!((retention.hours, retention.min_events), (24, 100_000));
        assert_eq!(retention, loket_core::db::event_log::Retention::default());
        let cli = parse(&["--event-retention-hours", "0", "--event-retention-min-events", "500"]).unwrap();
        cli.config.validate().unwrap();
        assert_eq!(cli.config.event_retention().min_events, 500);
        let error = |args: &[&str]| parse(args).unwrap().config.validate().unwrap_err().0;
        assert!(error(&["--event-retention-min-events", "0"]).contains("LOKET_EVENT_RETENTION_MIN_EVENTS"));
        assert!(error(&["--event-retention-hours", "9000"]).contains("LOKET_EVENT_RETENTION_HOURS"));
        assert!(parse(&["--event-retention-hours", "-1"]).is_err());
    }

    #[test]
    fn webhook_settings_come_in_pairs_with_a_token_and_follow_telegrams_rules() {
        let error = |args: &[&str]| parse(args).unwrap().config.validate().unwrap_err().0;
        let token = ["--telegram-bot-token", "1:x"];
        let url = "https://desk.example.org/telegram/webhook";
        let with = |extra: &[&'static str]| [&token[..], extra].concat();
        assert!(error(&with(&["--telegram-webhook-url", url])).contains("both"));
        assert!(error(&with(&["--telegram-webhook-secret", "abc"])).contains("both"));
        assert!(
            error(&["--telegram-webhook-url", url, "--telegram-webhook-secret", "abc"]).contains("TELEGRAM_BOT_TOKEN")
        );
        assert!(
            error(&with(&[
                "--telegram-webhook-url",
                "https://desk.example.org/hook",
                "--telegram-webhook-secret",
                "abc"
            ]))
            .contains("/telegram/webhook")
        );
        assert!(
            error(&with(&[
                "--telegram-webhook-url",
                "http://desk.example.org/telegram/webhook",
                "--telegram-webhook-secret",
                "abc"
            ]))
            .contains("https")
        );
        assert!(
            error(&with(&[
                "--telegram-webhook-url",
                url,
                "--telegram-webhook-secret",
                "not secret!"
            ]))
            .contains("TELEGRAM_WEBHOOK_SECRET")
        );
        let cli = parse(&with(&[
            "--telegram-webhook-url",
            "https://desk.example.org/loket/telegram/webhook",
            "--telegram-webhook-secret",
            "s3cret_-x",
        ]))
        .unwrap();
        cli.config.validate().unwrap();
        assert!(matches!(
            cli.config.update_mode().unwrap(),
            loket_bot::UpdateMode::Webhook { .. }
        ));
        assert_eq!(
            cli.config.web_settings().telegram_webhook_secret.as_deref(),
            Some("s3cret_-x")
        );
        let polling = parse(&token).unwrap();
        assert_eq!(polling.config.update_mode().unwrap(), loket_bot::UpdateMode::Polling);
        assert_eq!(polling.config.web_settings().telegram_webhook_secret, None);
    }

    #[test]
    fn log_format_and_metrics_address_are_checked() {
        let cli = parse(&[]).unwrap();
        assert_eq!(cli.config.log_format, LogFormat::Text);
        assert_eq!(cli.config.metrics_bind, None);
        let cli = parse(&["--log-format", "json", "--metrics-bind", "127.0.0.1:9090"]).unwrap();
        assert_eq!(cli.config.log_format, LogFormat::Json);
        assert_eq!(cli.config.metrics_bind, Some("127.0.0.1:9090".parse().unwrap()));
        cli.config.validate().unwrap();
        assert!(parse(&["--log-format", "xml"]).is_err());
        let cli = parse(&["--metrics-bind", "127.0.0.1:8080"]).unwrap();
        assert!(cli.config.validate().unwrap_err().0.contains("LOKET_METRICS_BIND"));
    }
}
