//! Loket's load generator as a library: the scenarios of issue 5 (with a fake Bot API for the reporter
//! path), the two baselines, and the reports.
//!
//! `run` starts (or attaches to) a Loket, signs agents in, runs one scenario and, when asked, the
//! baselines under the same parameters. The `loadgen` binary and the smoke test both call it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a load generator: a broken run should stop loudly rather than report numbers"
)]

pub mod cli;
pub mod measure;
pub mod procstat;
pub mod report;
pub mod scenario;
pub mod session;
pub mod target;

use loket_fake_telegram::FakeTelegram;

use crate::cli::{Cli, Scenario};
use crate::procstat::Machine;
use crate::report::{Bundle, Ratio, Report};
use crate::scenario::collab::{COMMITS_PER_CYCLE, CollabParams};
use crate::scenario::fanout::FanoutParams;
use crate::scenario::idle::IdleParams;
use crate::scenario::pgcommit::PgParams;
use crate::scenario::reporter::ReporterParams;
use crate::scenario::storm::StormParams;
use crate::scenario::views::ViewsParams;
use crate::session::Endpoint;
use crate::target::{Options, Target};

/// Broadcast events per collaboration cycle (locked, updated, unlocked).
const EVENTS_PER_CYCLE: f64 = 3.0;

/// Raises the soft open-file limit to the hard one: every session is a socket.
pub fn raise_fd_limit() -> u64 {
    rlimit::increase_nofile_limit(u64::MAX).unwrap_or(0)
}

/// The Loket under test (one or several instances on one database) and how sessions reach it.
pub struct Loket {
    /// The first instance: agents are created through it, writers of `cross` use it, its CPU and memory
    /// are the `server` figures.
    pub target: Target,
    /// Further instances on the same database.
    pub others: Vec<Target>,
    /// Session `i` uses `endpoints[i % len]`: instance `i % instances`, account `i % accounts`, so
    /// sessions are spread over the instances round-robin and active agents are distinct accounts.
    pub endpoints: Vec<Endpoint>,
}

impl Loket {
    pub async fn open(options: &Options, accounts: usize) -> Result<Loket, String> {
        let mut all = Target::open_all(options).await?.into_iter();
        let target = all.next().ok_or("no instance to drive")?;
        let others: Vec<Target> = all.collect();
        // Sign-ins are in PostgreSQL: a token from the first instance works on every one.
        let accounts = target.accounts(accounts.max(1)).await?;
        let addrs: Vec<_> = std::iter::once(target.addr)
            .chain(others.iter().map(|t| t.addr))
            .collect();
        let endpoints = (0..lcm(addrs.len(), accounts.len()))
            .map(|j| Endpoint {
                addr: addrs[j % addrs.len()],
                instance: j % addrs.len(),
                token: Some(accounts[j % accounts.len()].token.clone()),
            })
            .collect();
        Ok(Loket {
            target,
            others,
            endpoints,
        })
    }

    /// How many instances sessions are spread over.
    pub fn instances(&self) -> usize {
        1 + self.others.len()
    }

    /// The endpoints of the first instance only (every account).
    pub fn first_only(&self) -> Vec<Endpoint> {
        self.endpoints.iter().filter(|e| e.instance == 0).cloned().collect()
    }
}

impl Drop for Loket {
    fn drop(&mut self) {
        // The first instance's PostgreSQL serves the others: they stop first.
        for other in self.others.iter_mut().rev() {
            other.stop();
        }
        self.target.stop();
    }
}

fn lcm(a: usize, b: usize) -> usize {
    let gcd = |mut a: usize, mut b: usize| {
        while b != 0 {
            (a, b) = (b, a % b);
        }
        a
    };
    a / gcd(a, b).max(1) * b
}

fn fanout_exe(cli: &Cli) -> Result<std::path::PathBuf, String> {
    match &cli.fanout_exe {
        Some(exe) => Ok(exe.clone()),
        None => std::env::current_exe().map_err(|e| format!("cannot find this executable: {e}")),
    }
}

fn options(cli: &Cli) -> Result<Options, String> {
    let t = &cli.target;
    let (admin_email, admin_password) = match (t.urls.first(), &t.admin_email, &t.admin_password) {
        (None, _, _) => (target::SPAWN_ADMIN_EMAIL.to_owned(), target::BENCH_PASSWORD.to_owned()),
        (Some(_), Some(email), Some(password)) => (email.clone(), password.clone()),
        (Some(_), _, _) => {
            return Err("with --url, give --admin-email and LOKET_BENCH_ADMIN_PASSWORD (to create agents)".into());
        }
    };
    Ok(Options {
        urls: t.urls.clone(),
        pids: t.pids.clone(),
        instances: t.instances,
        admin_email,
        admin_password,
        database_url: t.database_url.clone(),
        loket_bin: t.loket_bin.clone(),
        data_dir: t.data_dir.clone(),
        workers: t.workers,
        env: Vec::new(),
    })
}

/// Runs the scenario `cli` names and returns what it measured (also written as JSON with `--json`).
pub async fn run(cli: &Cli) -> Result<Bundle, String> {
    raise_fd_limit();
    let machine = Machine::read();
    let cc = cli.connect_concurrency;
    let mut runs = Vec::new();
    let mut ratios = Vec::new();
    match &cli.scenario {
        Scenario::ServeFanout { .. } => return Err("serve-fanout is run by the binary itself".into()),
        Scenario::Fanout {
            sessions,
            active,
            rate,
            duration,
            frame_bytes,
        } => {
            let params = FanoutParams {
                sessions: *sessions,
                active: *active,
                rate: *rate,
                duration_s: *duration,
                frame_bytes: *frame_bytes,
            };
            runs.push(scenario::fanout::run(&fanout_exe(cli)?, &params, cc).await?);
        }
        Scenario::PgCommit { concurrency, duration } => {
            let loket = Loket::open(&options(cli)?, 1).await?;
            let url = loket.target.database_url.clone().ok_or("give --database-url")?;
            let params = PgParams {
                concurrency: *concurrency,
                duration_s: *duration,
            };
            runs.push(scenario::pgcommit::run(&url, loket.target.postgres_watch(), &params).await?);
        }
        Scenario::Idle { sessions, hold } => {
            let loket = Loket::open(&options(cli)?, cli.accounts).await?;
            let params = IdleParams {
                sessions: *sessions,
                hold_s: *hold,
            };
            runs.push(scenario::idle::run(&loket, &params, cc).await?);
        }
        Scenario::Reporter {
            reporters,
            active,
            rate,
            duration,
            bot_api_bind,
            bot_token,
        } => {
            let fake = FakeTelegram::start_on(*bot_api_bind, bot_token)?;
            let mut options = options(cli)?;
            options.env = vec![
                ("TELEGRAM_BOT_TOKEN".into(), bot_token.clone()),
                ("TELEGRAM_API_URL".into(), fake.url()),
            ];
            let loket = Loket::open(&options, cli.accounts.max(*active)).await?;
            let params = ReporterParams {
                reporters: *reporters,
                active: *active,
                rate: *rate,
                duration_s: *duration,
            };
            runs.push(scenario::reporter::run(&loket, &fake, &params, cc).await?);
        }
        Scenario::Cross {
            sessions,
            active,
            tickets,
            rate,
            duration,
        } => {
            let loket = Loket::open(&options(cli)?, cli.accounts.max(*active)).await?;
            let params = scenario::cross::CrossParams {
                sessions: *sessions,
                active: *active,
                tickets: *tickets,
                rate: *rate,
                duration_s: *duration,
            };
            let (reports, found) = scenario::cross::run(&loket, &params, cc).await?;
            runs.extend(reports);
            ratios = found;
        }
        Scenario::Resume {
            tickets,
            missed,
            rounds,
        } => {
            let loket = Loket::open(&options(cli)?, cli.accounts.max(2)).await?;
            let params = scenario::resume::ResumeParams {
                tickets: *tickets,
                missed: *missed,
                rounds: *rounds,
            };
            runs.push(scenario::resume::run(&loket, &params, cc).await?);
        }
        Scenario::Collab {
            sessions,
            active,
            tickets,
            rate,
            duration,
            baselines,
            sla,
        } => {
            let loket = Loket::open(&options(cli)?, cli.accounts.max(*active)).await?;
            let params = CollabParams {
                sessions: *sessions,
                active: *active,
                tickets: *tickets,
                rate: *rate,
                duration_s: *duration,
            };
            let report = scenario::collab::run(&loket, &params, cc).await?;
            if *baselines {
                let shape = matched(&report, *sessions, *active, *rate > 0.0, *duration, EVENTS_PER_CYCLE);
                let extra = baselines_for(cli, &loket, shape).await?;
                ratios = ratios_for(&report, &extra, COMMITS_PER_CYCLE);
                runs.push(report);
                runs.extend(extra);
            } else {
                runs.push(report);
            }
            if *sla {
                loket.target.set_sla_policy().await?;
                let mut with_sla = scenario::collab::run(&loket, &params, cc).await?;
                with_sla.scenario = "collaboration, SLA clocks".into();
                let without = runs
                    .iter()
                    .find(|r| r.scenario == "collaboration")
                    .ok_or("no first run")?;
                ratios.push(Ratio::new(
                    "changes/s with SLA clocks vs without (same server)",
                    with_sla.ops_per_s,
                    without.ops_per_s,
                ));
                ratios.push(Ratio::new(
                    "p99 to every session, ms, with SLA clocks vs without",
                    with_sla.latency.last().map_or(0.0, |l| l.p99_ms),
                    without.latency.last().map_or(0.0, |l| l.p99_ms),
                ));
                runs.push(with_sla);
            }
        }
        Scenario::Storm {
            sessions,
            active,
            rate,
            duration,
            baselines,
        } => {
            let loket = Loket::open(&options(cli)?, cli.accounts.max(*active)).await?;
            let params = StormParams {
                sessions: *sessions,
                active: *active,
                rate: *rate,
                duration_s: *duration,
            };
            let report = scenario::storm::run(&loket, &params, cc).await?;
            if *baselines {
                let shape = matched(&report, *sessions, *active, *rate > 0.0, *duration, 1.0);
                let extra = baselines_for(cli, &loket, shape).await?;
                ratios = ratios_for(&report, &extra, scenario::storm::COMMITS_PER_CREATE);
                runs.push(report);
                runs.extend(extra);
            } else {
                runs.push(report);
            }
        }
        Scenario::Views {
            tickets,
            rounds,
            prepare_only,
        } => {
            let loket = Loket::open(&options(cli)?, cli.accounts).await?;
            let url = loket.target.database_url.clone().ok_or("give --database-url")?;
            let params = ViewsParams {
                tickets: *tickets,
                rounds: *rounds,
                prepare_only: *prepare_only,
            };
            scenario::views::prepare(&url, params.tickets).await?;
            if !params.prepare_only {
                runs.push(
                    scenario::views::run(
                        &loket.target.base,
                        &loket.endpoints[0],
                        loket.target.server_watch(),
                        loket.target.postgres_watch(),
                        &params,
                    )
                    .await?,
                );
            }
        }
        Scenario::Stats { tickets, rounds } => {
            let loket = Loket::open(&options(cli)?, cli.accounts).await?;
            let url = loket.target.database_url.clone().ok_or("give --database-url")?;
            let params = scenario::stats::StatsParams {
                tickets: *tickets,
                rounds: *rounds,
            };
            scenario::views::prepare(&url, params.tickets).await?;
            scenario::stats::prepare_sla(&url).await?;
            let token = loket.target.admin_token().await?;
            runs.push(
                scenario::stats::run(
                    &loket.target.base,
                    &token,
                    &url,
                    loket.target.server_watch(),
                    loket.target.postgres_watch(),
                    &params,
                )
                .await?,
            );
        }
    }
    let bundle = Bundle {
        machine,
        command: std::env::args().collect::<Vec<_>>().join(" "),
        runs,
        ratios,
    };
    if let Some(path) = &cli.json {
        bundle.write_json(path)?;
    }
    Ok(bundle)
}

/// The fan-out baseline shaped like Loket's run (`matched`: same sessions, senders, event rate and frame
/// size), the same at its ceiling (rate 0), and the commit rate at the same concurrency. Order: matched
/// fan-out, fan-out ceiling (when the matched run was paced), commit rate.
async fn baselines_for(cli: &Cli, loket: &Loket, matched: FanoutParams) -> Result<Vec<Report>, String> {
    let cc = cli.connect_concurrency;
    let exe = fanout_exe(cli)?;
    let mut out = vec![scenario::fanout::run(&exe, &matched, cc).await?];
    if matched.rate > 0.0 {
        let ceiling = FanoutParams {
            rate: 0.0,
            ..matched.clone()
        };
        out.push(scenario::fanout::run(&exe, &ceiling, cc).await?);
    }
    match &loket.target.database_url {
        Some(url) => {
            let params = PgParams {
                concurrency: matched.active,
                duration_s: matched.duration_s,
            };
            out.push(scenario::pgcommit::run(url, loket.target.postgres_watch(), &params).await?);
        }
        None => eprintln!("loadgen: no database URL; skipping the commit-rate baseline"),
    }
    Ok(out)
}

/// The fan-out baseline's parameters matching a Loket run of `events_per_op` broadcasts per operation.
fn matched(
    report: &Report,
    sessions: usize,
    active: usize,
    paced: bool,
    duration: f64,
    events_per_op: f64,
) -> FanoutParams {
    FanoutParams {
        sessions,
        active,
        rate: if paced { report.ops_per_s * events_per_op } else { 0.0 },
        duration_s: duration,
        frame_bytes: report.avg_frame_bytes.round() as usize,
    }
}

fn ratios_for(loket: &Report, baselines: &[Report], commits_per_op: u64) -> Vec<Ratio> {
    let mut ratios = Vec::new();
    let p99 = |r: &Report| r.latency.last().map_or(0.0, |l| l.p99_ms);
    let fanouts: Vec<&Report> = baselines.iter().filter(|r| r.target == "fan-out baseline").collect();
    if let Some(matched) = fanouts.first() {
        ratios.push(Ratio::new(
            format!("p99 to every session, ms (fan-out at {:.0}/s)", matched.ops_per_s),
            p99(loket),
            p99(matched),
        ));
    }
    if let Some(ceiling) = fanouts.last() {
        ratios.push(Ratio::new(
            "delivered msgs/s vs fan-out ceiling",
            loket.msgs_per_s,
            ceiling.msgs_per_s,
        ));
    }
    if let Some(pg) = baselines.iter().find(|r| r.target == "postgres baseline") {
        ratios.push(Ratio::new(
            format!("commits/s ({commits_per_op} per op) vs raw PostgreSQL"),
            loket.commits_per_s,
            pg.commits_per_s,
        ));
    }
    ratios
}
