//! The `loket` program: parses the command line, runs the command and turns its outcome into the exit
//! code. The binary (`main.rs`) only calls [`main`], so tests can run the very same program.

use std::net::TcpListener;
use std::process::ExitCode;

use clap::Parser;
use loket_core::db::embedded::find_bin_dir;
use loket_core::{Database, DatabasePurpose, StartError, auth, backup, bootstrap, db};
use loket_protocol::api::Role;

use crate::backups::{self, BackupSource, Schedule};
use crate::config::{AdminCommand, Cli, Command, Config, InviteCommand};
use crate::{open_database, prepare, start};

/// Runs `loket` with the process's arguments and environment: 0 on success, 1 when the command failed,
/// 2 when the configuration is invalid. Errors are printed to stderr.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    crate::init_logging(&cli.config);
    if let Err(err) = cli.config.validate() {
        eprintln!("loket: {err}");
        return ExitCode::from(2);
    }
    let result = actix_web::rt::System::new().block_on(run(cli));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("loket: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), StartError> {
    let config = cli.config;
    // A server owns the embedded cluster; operator commands use a running server's, or start their own.
    let purpose = match cli.command {
        None | Some(Command::Serve) => DatabasePurpose::Serve,
        Some(_) => DatabasePurpose::Command,
    };
    let database = {
        let config = config.clone();
        tokio::task::spawn_blocking(move || open_database(&config, purpose))
            .await
            .map_err(|e| StartError::Invalid(format!("the database start-up task failed: {e}")))??
    };
    match cli.command {
        None | Some(Command::Serve) => serve(config, database).await,
        Some(Command::Migrate) => {
            let applied = db::migrate(&database.pool).await?;
            println!("{applied} migration(s) applied; the database is up to date");
            Ok(())
        }
        Some(Command::Admin(AdminCommand::Create {
            email,
            name,
            role,
            password,
        })) => {
            db::migrate(&database.pool).await?;
            let generated = password.is_none();
            let password = password.unwrap_or_else(|| auth::random_secret(12));
            let role = if role == "agent" { Role::Agent } else { Role::Admin };
            let agent = bootstrap::create_agent(&database.pool, &email, &name, role, password.clone())
                .await
                .map_err(StartError::Refused)?;
            println!("created {} {} <{}>", agent.role.as_str(), agent.name, agent.email);
            if generated {
                println!("password: {password}");
            }
            Ok(())
        }
        Some(Command::Invite(InviteCommand::Create {
            max_uses,
            expires_in_days,
        })) => {
            db::migrate(&database.pool).await?;
            if max_uses < 1 {
                return Err(StartError::Invalid("--max-uses must be at least 1".into()));
            }
            let expires_at = expires_in_days.map(|d| chrono::Utc::now() + chrono::Duration::days(d));
            let client = database.pool.get().await.map_err(db::DbSetupError::Connect)?;
            let code = loket_web::http::admin::new_invite_code();
            let invite = db::admin::create_invite(&client, &code, max_uses, expires_at, None)
                .await
                .map_err(StartError::Refused)?;
            println!("{}", invite.code);
            Ok(())
        }
        Some(Command::Demo(args)) => {
            print!("{}", crate::demo(&database.pool, &args).await?);
            Ok(())
        }
        Some(Command::Backup { file }) => {
            let source = source(&config, &database);
            let manifest = blocking(move || backup::create(&source.borrow(), &file)).await?;
            println!(
                "backup written: the database with its attachments, and {} older attachment file(s) from the data directory, {}",
                manifest.attachments, manifest.created_at
            );
            Ok(())
        }
        Some(Command::Restore { file }) => {
            let client = database.pool.get().await.map_err(db::DbSetupError::Connect)?;
            if !backup::database_is_empty(&client).await.map_err(StartError::Refused)? {
                return Err(StartError::Backup(backup::BackupError::DatabaseNotEmpty));
            }
            drop(client);
            let restore_config = config.clone();
            let conninfo = database.conninfo.clone();
            let manifest = blocking(move || {
                let data_dir = restore_config.data_dir.clone();
                let bin_dir = find_bin_dir().ok();
                let target = backup::Source {
                    conninfo: &conninfo,
                    data_dir: &data_dir,
                    bin_dir: bin_dir.as_deref(),
                };
                backup::restore(&target, &file)
            })
            .await?;
            // A backup from an older release gets this release's migrations.
            let applied = db::migrate(&database.pool).await?;
            println!(
                "restored the backup of {} ({} attachment file(s), {applied} migration(s) applied since)",
                manifest.created_at, manifest.attachments
            );
            Ok(())
        }
    }
}

/// Where the backup tools find the database and the files.
fn source(config: &Config, database: &Database) -> BackupSource {
    BackupSource::new(config, &database.conninfo)
}

/// Runs backup work (files and child processes) off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, backup::BackupError> + Send + 'static,
) -> Result<T, StartError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| StartError::Invalid(format!("the backup task failed: {e}")))?
        .map_err(StartError::Backup)
}

async fn serve(config: Config, database: Database) -> Result<(), StartError> {
    let generated = prepare(&database.pool, &config).await?;
    let listener = TcpListener::bind(config.bind).map_err(|source| StartError::Listen {
        addr: config.bind.to_string(),
        source,
    })?;
    let server = start(&config, database.pool.clone(), listener).await?;
    let backups = match Schedule::of(&config).map_err(|e| StartError::Invalid(e.to_string()))? {
        Some(schedule) => {
            tracing::info!(dir = %schedule.dir.display(), every = %humantime::format_duration(schedule.every), keep = schedule.keep, "scheduled backups on");
            Some(backups::start(source(&config, &database), schedule))
        }
        None => None,
    };
    let url = format!("http://{}", server.addr);
    println!("Loket is running at {url}");
    match (&generated, &config.admin_email) {
        (Some(admin), _) => {
            println!("Sign in as {} with the password {}", admin.email, admin.password);
            println!(
                "(shown once: after signing in, change it at {url}/account (your name, top right); add agents under Agents)"
            );
        }
        (None, Some(email)) => println!("Sign in as {email}"),
        (None, None) => {}
    }
    let handle = server.handle();
    let bot = server.bot.clone();
    actix_web::rt::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down");
        // The bot first: it finishes the update and the send in flight, so nothing is half-delivered.
        if let Some(bot) = bot {
            let _ = bot.send(loket_bot::Shutdown).await;
        }
        handle.stop(true).await;
    });
    let result = server.wait().await;
    // A backup in progress finishes before the database it reads goes away.
    if let Some(backups) = backups {
        backups.stop().await;
    }
    drop(database); // stops the embedded cluster, if this server started it
    result.map_err(StartError::Serve)
}

async fn shutdown_signal() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(term) => term,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
