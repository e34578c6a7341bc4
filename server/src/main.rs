//! The `loket` binary: parses configuration and hands over to the library.

use std::net::TcpListener;
use std::process::ExitCode;

use clap::Parser;
use loket_core::{Database, StartError, auth, bootstrap, db};
use loket_protocol::api::Role;
use loket_server::config::{AdminCommand, Cli, Command, Config, InviteCommand};
use loket_server::{open_database, prepare, start};

fn main() -> ExitCode {
    let cli = Cli::parse();
    loket_server::init_logging(&cli.config);
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
    let database = {
        let config = config.clone();
        tokio::task::spawn_blocking(move || open_database(&config))
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
            print!("{}", loket_server::demo(&database.pool, &args).await?);
            Ok(())
        }
    }
}

async fn serve(config: Config, database: Database) -> Result<(), StartError> {
    let generated = prepare(&database.pool, &config).await?;
    let listener = TcpListener::bind(config.bind).map_err(|source| StartError::Listen {
        addr: config.bind.to_string(),
        source,
    })?;
    let server = start(&config, database.pool.clone(), listener)?;
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
    drop(database); // stops the embedded cluster, if any
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
