//! CPU time and memory of a process (or a process tree) read from `/proc`, sampled during a run.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;

/// Kernel clock ticks per second for `utime`/`stime` in `/proc/<pid>/stat` (USER_HZ, 100 on Linux).
const CLOCK_TICKS_PER_SEC: f64 = 100.0;
/// Page size assumed for `/proc/<pid>/statm`.
const PAGE_BYTES: u64 = 4096;
/// How often RSS is sampled to find its peak.
const RSS_SAMPLE_EVERY: Duration = Duration::from_millis(250);
const MIB: f64 = 1024.0 * 1024.0;

/// Which processes to watch: one pid, or a pid and all its direct children (a PostgreSQL postmaster).
#[derive(Debug, Clone, Copy)]
pub enum Watch {
    Process(u32),
    Tree(u32),
}

impl Watch {
    fn pids(self) -> Vec<u32> {
        match self {
            Watch::Process(pid) => vec![pid],
            Watch::Tree(root) => {
                let mut pids = vec![root];
                if let Ok(entries) = std::fs::read_dir("/proc") {
                    for entry in entries.flatten() {
                        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
                            continue;
                        };
                        if stat_fields(pid).is_some_and(|f| f.ppid == root) {
                            pids.push(pid);
                        }
                    }
                }
                pids
            }
        }
    }

    /// Total CPU seconds (user + system) and resident bytes of the watched processes now.
    pub fn sample(self) -> Option<(f64, u64)> {
        let mut cpu = 0.0;
        let mut rss = 0;
        let mut any = false;
        for pid in self.pids() {
            if let Some(fields) = stat_fields(pid) {
                any = true;
                cpu += fields.cpu_ticks as f64 / CLOCK_TICKS_PER_SEC;
                rss += rss_bytes(pid).unwrap_or(0);
            }
        }
        any.then_some((cpu, rss))
    }
}

struct StatFields {
    ppid: u32,
    cpu_ticks: u64,
}

fn stat_fields(pid: u32) -> Option<StatFields> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may contain spaces; the fields after its closing parenthesis are fixed.
    let rest = &text[text.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After `comm`: state(0) ppid(1) ... utime(11) stime(12).
    let ppid = fields.get(1)?.parse().ok()?;
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(StatFields {
        ppid,
        cpu_ticks: utime + stime,
    })
}

fn rss_bytes(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/statm")).ok()?;
    let pages: u64 = text.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * PAGE_BYTES)
}

/// The postmaster's pid from `postmaster.pid` in a PostgreSQL data directory.
pub fn postmaster_pid(data_dir: &Path) -> Option<u32> {
    let text = std::fs::read_to_string(data_dir.join("postmaster.pid")).ok()?;
    text.lines().next()?.trim().parse().ok()
}

/// What a process used over a measured window.
#[derive(Debug, Clone, Serialize)]
pub struct Usage {
    /// CPU time over wall time, in percent of one core.
    pub cpu_percent: f64,
    pub rss_start_mib: f64,
    pub rss_end_mib: f64,
    pub rss_peak_mib: f64,
}

/// Samples a watched process from `start` until `finish`.
pub struct Meter {
    watch: Watch,
    started: Instant,
    cpu_start: f64,
    rss_start: u64,
    peak: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl Meter {
    /// Starts measuring; `None` when the process cannot be read.
    pub fn start(watch: Watch) -> Option<Meter> {
        let (cpu_start, rss_start) = watch.sample()?;
        let peak = Arc::new(AtomicU64::new(rss_start));
        let stop = Arc::new(AtomicBool::new(false));
        let (peak_in, stop_in) = (peak.clone(), stop.clone());
        tokio::spawn(async move {
            while !stop_in.load(Ordering::Relaxed) {
                if let Some((_, rss)) = watch.sample() {
                    peak_in.fetch_max(rss, Ordering::Relaxed);
                }
                tokio::time::sleep(RSS_SAMPLE_EVERY).await;
            }
        });
        Some(Meter {
            watch,
            started: Instant::now(),
            cpu_start,
            rss_start,
            peak,
            stop,
        })
    }

    pub fn finish(self) -> Usage {
        self.stop.store(true, Ordering::Relaxed);
        let wall = self.started.elapsed().as_secs_f64().max(f64::EPSILON);
        let (cpu_end, rss_end) = self.watch.sample().unwrap_or((self.cpu_start, 0));
        let peak = self.peak.load(Ordering::Relaxed).max(rss_end);
        Usage {
            cpu_percent: 100.0 * (cpu_end - self.cpu_start) / wall,
            rss_start_mib: self.rss_start as f64 / MIB,
            rss_end_mib: rss_end as f64 / MIB,
            rss_peak_mib: peak as f64 / MIB,
        }
    }
}

/// Meters for every process a run watches; absent ones are skipped.
pub struct Meters {
    server: Option<Meter>,
    postgres: Option<Meter>,
    loadgen: Option<Meter>,
}

/// What every watched process used over one window.
#[derive(Debug, Clone, Serialize)]
pub struct UsageSet {
    pub server: Option<Usage>,
    pub postgres: Option<Usage>,
    pub loadgen: Option<Usage>,
}

impl Meters {
    pub fn start(server: Option<Watch>, postgres: Option<Watch>) -> Meters {
        Meters {
            server: server.and_then(Meter::start),
            postgres: postgres.and_then(Meter::start),
            loadgen: Meter::start(Watch::Process(std::process::id())),
        }
    }

    pub fn finish(self) -> UsageSet {
        UsageSet {
            server: self.server.map(Meter::finish),
            postgres: self.postgres.map(Meter::finish),
            loadgen: self.loadgen.map(Meter::finish),
        }
    }
}

/// The machine, for the report.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub cpus: usize,
    pub cpu_model: String,
    pub memory_gib: f64,
    pub kernel: String,
    /// 1-minute load average when the run started (other work on the machine shows here).
    pub load_average_1m: f64,
}

impl Machine {
    pub fn read() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split(':').nth(1))
            .map(|s| s.trim().to_owned())
            .unwrap_or_default();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let mem_kib: f64 = meminfo
            .lines()
            .find(|l| l.starts_with("MemTotal:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0);
        let load = std::fs::read_to_string("/proc/loadavg")
            .ok()
            .and_then(|t| t.split_whitespace().next().and_then(|v| v.parse().ok()))
            .unwrap_or(0.0);
        Machine {
            cpus: std::thread::available_parallelism().map_or(1, usize::from),
            cpu_model,
            memory_gib: mem_kib / (1024.0 * 1024.0),
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .unwrap_or_default()
                .trim()
                .to_owned(),
            load_average_1m: load,
        }
    }
}
