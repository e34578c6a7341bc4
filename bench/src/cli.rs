//! The command line: which server to drive, which scenario, and its parameters.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Loket's load generator. Starts a `loket` on a private data directory (default) or attaches to one.
#[derive(Debug, Parser)]
#[command(name = "loadgen", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Also write the results as JSON here.
    #[arg(long, global = true)]
    pub json: Option<PathBuf>,
    /// Sessions connecting at the same time.
    #[arg(long, default_value_t = 64, global = true)]
    pub connect_concurrency: usize,
    /// Agent accounts the sessions sign in as (round-robin); at least the number of active agents.
    #[arg(long, default_value_t = 50, global = true)]
    pub accounts: usize,
    /// The executable that serves the fan-out baseline (`serve-fanout`); default: this one.
    #[arg(long, global = true, hide = true)]
    pub fanout_exe: Option<PathBuf>,
    #[command(subcommand)]
    pub scenario: Scenario,
}

/// Which Loket to drive.
#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// Attach to a running Loket at this URL (e.g. http://127.0.0.1:8080) instead of starting one.
    /// Several instances on one database: repeat it or give a comma-separated list (`--urls a,b,c`);
    /// sessions are spread over them round-robin (session i on instance i mod count).
    #[arg(long = "url", alias = "urls", value_delimiter = ',', global = true)]
    pub urls: Vec<String>,
    /// Pid of the attached server, for its CPU and memory (with several URLs: one per URL, same order).
    #[arg(long = "pid", alias = "pids", value_delimiter = ',', global = true)]
    pub pids: Vec<u32>,
    /// Without --url: how many `loket` processes to start on one PostgreSQL (the first one's embedded
    /// cluster; the others get its socket as DATABASE_URL and data directories of their own).
    #[arg(long, default_value_t = 1, global = true)]
    pub instances: usize,
    /// Admin of the attached server (creates the bench agents).
    #[arg(long, env = "LOKET_BENCH_ADMIN_EMAIL", global = true)]
    pub admin_email: Option<String>,
    #[arg(long, env = "LOKET_BENCH_ADMIN_PASSWORD", hide_env_values = true, global = true)]
    pub admin_password: Option<String>,
    /// PostgreSQL of the attached server, for the commit baseline.
    #[arg(long, env = "LOKET_BENCH_DATABASE_URL", hide_env_values = true, global = true)]
    pub database_url: Option<String>,
    /// The `loket` binary to start; default: `loket` beside this executable.
    #[arg(long, global = true)]
    pub loket_bin: Option<PathBuf>,
    /// Data directory of the started server; default: a fresh one under the temp directory.
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    /// HTTP workers of the started server; default: one per CPU.
    #[arg(long, global = true)]
    pub workers: Option<usize>,
}

/// The scenarios.
#[derive(Debug, Subcommand)]
pub enum Scenario {
    /// Active agents lock → update → unlock tickets while every session receives the broadcasts.
    Collab {
        #[arg(long, short = 'n', default_value_t = 100)]
        sessions: usize,
        #[arg(long, short = 'k', default_value_t = 10)]
        active: usize,
        /// Tickets the cycles are spread over (fewer means more contention).
        #[arg(long, short = 'm', default_value_t = 50)]
        tickets: usize,
        /// Cycles per second over all active agents; 0: as fast as possible.
        #[arg(long, default_value_t = 0.0)]
        rate: f64,
        #[arg(long, default_value_t = 20.0)]
        duration: f64,
        /// Also run the fan-out and commit-rate baselines and print ratios.
        #[arg(long)]
        baselines: bool,
        /// Then, on the same server, set a service-level policy on a business-hours calendar (every
        /// update then moves two SLA clocks) and run again: the cost of SLA recomputation per change, as
        /// the ratio of the two runs' changes per second (docs/sla.md).
        #[arg(long)]
        sla: bool,
    },
    /// Active agents create tickets as fast as possible (or at --rate).
    Storm {
        #[arg(long, short = 'n', default_value_t = 100)]
        sessions: usize,
        #[arg(long, short = 'k', default_value_t = 10)]
        active: usize,
        #[arg(long, default_value_t = 0.0)]
        rate: f64,
        #[arg(long, default_value_t = 20.0)]
        duration: f64,
        #[arg(long)]
        baselines: bool,
    },
    /// Many idle signed-in sessions: memory per connection, and proof they all still receive events.
    Idle {
        #[arg(long, short = 'n', default_value_t = 1000)]
        sessions: usize,
        /// Seconds to stay idle before the probe event.
        #[arg(long, default_value_t = 20.0)]
        hold: f64,
    },
    /// Reporter path: agents change the status of reporters' tickets; the bot must deliver each change to
    /// the reporter's chat through a fake Bot API this tool serves (no 429s).
    Reporter {
        /// Reporters, one ticket (and chat) each.
        #[arg(long, short = 'r', default_value_t = 20)]
        reporters: usize,
        /// Agents changing statuses (each owns every K-th ticket).
        #[arg(long, short = 'k', default_value_t = 5)]
        active: usize,
        /// Status changes per second over all agents; 0: as fast as the server acknowledges. The bot sends
        /// at most 1 message/s per chat and 30/s overall.
        #[arg(long, default_value_t = 5.0)]
        rate: f64,
        #[arg(long, default_value_t = 20.0)]
        duration: f64,
        /// Where the fake Bot API listens; with --url, the attached server's TELEGRAM_API_URL must point here.
        #[arg(long, default_value = "127.0.0.1:0")]
        bot_api_bind: SocketAddr,
        /// The bot token (`<id>:<secret>`) the fake accepts; given to a started server as TELEGRAM_BOT_TOKEN.
        #[arg(long, default_value = loket_fake_telegram::TOKEN)]
        bot_token: String,
    },
    /// Cross-instance delivery: N sessions spread over the instances (at least two; started with
    /// `--instances 3` or given as several URLs), K agents on the first instance lock → update → unlock;
    /// latency until every session on the *other* instances had each event. Then the same load with all
    /// N sessions on the first instance, in the same run, and the ratio of the two p99s.
    Cross {
        #[arg(long, short = 'n', default_value_t = 1000)]
        sessions: usize,
        #[arg(long, short = 'k', default_value_t = 20)]
        active: usize,
        #[arg(long, short = 'm', default_value_t = 100)]
        tickets: usize,
        /// Cycles per second over all active agents; 0: as fast as possible.
        #[arg(long, default_value_t = 33.0)]
        rate: f64,
        #[arg(long, default_value_t = 15.0)]
        duration: f64,
    },
    /// Reconnect cost: a session disconnects, misses `--missed` events, reconnects and resumes; bytes
    /// read from the socket until the Resume's Ack, against one full `GetTickets` answer at the same
    /// ticket count (what a client reloaded before positions).
    Resume {
        /// Tickets on file (created first through the WebSocket).
        #[arg(long, short = 't', default_value_t = 1000)]
        tickets: usize,
        /// Events the disconnected session misses.
        #[arg(long, default_value_t = 100)]
        missed: usize,
        /// Disconnect/resume rounds in this run.
        #[arg(long, default_value_t = 3)]
        rounds: usize,
    },
    /// The fan-out baseline alone.
    Fanout {
        #[arg(long, short = 'n', default_value_t = 100)]
        sessions: usize,
        #[arg(long, short = 'k', default_value_t = 10)]
        active: usize,
        #[arg(long, default_value_t = 0.0)]
        rate: f64,
        #[arg(long, default_value_t = 20.0)]
        duration: f64,
        #[arg(long, default_value_t = 400)]
        frame_bytes: usize,
    },
    /// The raw PostgreSQL commit-rate baseline alone (against the started or attached server's database).
    PgCommit {
        #[arg(long, short = 'c', default_value_t = 10)]
        concurrency: usize,
        #[arg(long, default_value_t = 20.0)]
        duration: f64,
    },
    /// Views and search at scale: bulk-inserts tickets into the server's database (kept with --data-dir for
    /// later runs), then measures GetTickets: views, next pages by cursor and full-text searches.
    Views {
        /// Tickets on file (inserted if fewer are there).
        #[arg(long, default_value_t = 1_000_000)]
        tickets: i64,
        /// Measured requests per query.
        #[arg(long, default_value_t = 30)]
        rounds: usize,
        /// Only insert the data (into --data-dir), measure nothing.
        #[arg(long)]
        prepare_only: bool,
    },
    /// Statistics at scale: the `views` bench data plus SLA clocks (kept with --data-dir), then every chart
    /// query of `GET /api/stats` timed on its own for 30 days, 365 days and three years, and the whole
    /// request (JSON and CSV) over HTTP (docs/benchmarks.md, "Statistics at 1,000,000 tickets").
    Stats {
        /// Tickets on file (inserted if fewer are there).
        #[arg(long, default_value_t = 1_000_000)]
        tickets: i64,
        /// Measured runs per query and range.
        #[arg(long, default_value_t = 15)]
        rounds: usize,
    },
    /// Internal: serve the fan-out baseline and print its address.
    #[command(hide = true)]
    ServeFanout {
        #[arg(long, default_value = "127.0.0.1:0")]
        bind: SocketAddr,
    },
}
