//! What a run found: one [`Report`] per measured run, ratios to the baselines, printed as a table and
//! written as JSON.

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use crate::measure::LatencySummary;
use crate::procstat::{Machine, UsageSet};

/// Error messages kept per run as examples (the count is always complete).
pub const ERROR_SAMPLES: usize = 5;

/// Errors of a run: a count and a few examples.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Errors {
    pub count: u64,
    pub samples: Vec<String>,
}

impl Errors {
    pub fn push(&mut self, what: impl Into<String>) {
        self.count += 1;
        if self.samples.len() < ERROR_SAMPLES {
            self.samples.push(what.into());
        }
    }

    pub fn merge(&mut self, other: Errors) {
        self.count += other.count;
        for sample in other.samples {
            if self.samples.len() < ERROR_SAMPLES {
                self.samples.push(sample);
            }
        }
    }
}

/// Connecting the sessions.
#[derive(Debug, Clone, Serialize)]
pub struct ConnectSummary {
    pub connected: usize,
    pub failed: usize,
    pub seconds: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// One measured run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub scenario: String,
    /// `loket`, `fan-out baseline` or `postgres baseline`.
    pub target: String,
    pub params: Value,
    /// Seconds operations were sent for.
    pub duration_s: f64,
    /// Completed operations (collaboration: lock → update → unlock cycles; storm: creates; baselines: frames
    /// or commits).
    pub ops: u64,
    pub ops_per_s: f64,
    /// Database commits per operation (for comparing with the raw commit rate).
    pub commits_per_op: u64,
    pub commits_per_s: f64,
    /// Requests refused as the protocol intends (lock contention); not errors.
    pub refused: u64,
    pub errors: Errors,
    pub latency: Vec<LatencySummary>,
    /// Events delivered to sessions other than the sender, and per second from the first send until every
    /// session had everything (reporter path: notifications that reached the fake Bot API).
    pub deliveries: u64,
    pub msgs_per_s: f64,
    pub avg_frame_bytes: f64,
    pub connect: Option<ConnectSummary>,
    pub usage: UsageSet,
    /// Scenario-specific figures (idle: memory per connection).
    pub extra: Value,
}

/// Loket's figure over the baseline's.
#[derive(Debug, Clone, Serialize)]
pub struct Ratio {
    pub what: String,
    pub loket: f64,
    pub baseline: f64,
    pub ratio: f64,
}

impl Ratio {
    pub fn new(what: impl Into<String>, loket: f64, baseline: f64) -> Ratio {
        Ratio {
            what: what.into(),
            loket,
            baseline,
            ratio: if baseline > 0.0 { loket / baseline } else { 0.0 },
        }
    }
}

/// Everything one invocation measured.
#[derive(Debug, Clone, Serialize)]
pub struct Bundle {
    pub machine: Machine,
    pub command: String,
    pub runs: Vec<Report>,
    pub ratios: Vec<Ratio>,
}

impl Bundle {
    pub fn table(&self) -> String {
        let mut out = String::new();
        let m = &self.machine;
        let _ = writeln!(
            out,
            "machine: {} CPUs ({}), {:.1} GiB, Linux {}, load {:.2} at start",
            m.cpus, m.cpu_model, m.memory_gib, m.kernel, m.load_average_1m
        );
        for run in &self.runs {
            write_run(&mut out, run);
        }
        if !self.ratios.is_empty() {
            let _ = writeln!(out, "\nratios to the baselines");
            let _ = writeln!(
                out,
                "{:<48} {:>12} {:>12} {:>8}",
                "figure", "loket", "baseline", "ratio"
            );
            for r in &self.ratios {
                let _ = writeln!(
                    out,
                    "{:<48} {:>12.1} {:>12.1} {:>8.2}",
                    r.what, r.loket, r.baseline, r.ratio
                );
            }
        }
        out
    }

    pub fn write_json(&self, path: &Path) -> Result<(), String> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let json = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        std::fs::write(path, json).map_err(|e| format!("cannot write {}: {e}", path.display()))
    }
}

fn write_run(out: &mut String, run: &Report) {
    let _ = writeln!(out, "\n== {} on {} {}", run.scenario, run.target, run.params);
    if let Some(c) = &run.connect {
        let _ = writeln!(
            out,
            "connect: {} sessions in {:.1} s ({} failed), handshake p50 {:.1} ms p99 {:.1} ms",
            c.connected, c.seconds, c.failed, c.p50_ms, c.p99_ms
        );
    }
    let _ = writeln!(
        out,
        "ops {} in {:.1} s = {:.1}/s ({:.1} commits/s); refused {}; errors {}",
        run.ops, run.duration_s, run.ops_per_s, run.commits_per_s, run.refused, run.errors.count
    );
    for sample in &run.errors.samples {
        let _ = writeln!(out, "  error: {sample}");
    }
    if run.deliveries > 0 && run.avg_frame_bytes == 0.0 {
        let _ = writeln!(
            out,
            "delivered {} notifications to reporters' chats = {:.1} msgs/s",
            run.deliveries, run.msgs_per_s
        );
    } else if run.deliveries > 0 {
        let _ = writeln!(
            out,
            "delivered {} events to other sessions = {:.0} msgs/s; average frame {:.0} B",
            run.deliveries, run.msgs_per_s, run.avg_frame_bytes
        );
    }
    if !run.latency.is_empty() {
        let _ = writeln!(
            out,
            "{:<16} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>11} {:>11}",
            "latency (ms)", "ops", "complete", "missing", "p50", "p90", "p99", "max", "1st p50", "1st p99"
        );
        for l in &run.latency {
            let _ = writeln!(
                out,
                "{:<16} {:>9} {:>9} {:>9} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>11.2} {:>11.2}",
                l.kind,
                l.ops,
                l.complete,
                l.missing_deliveries,
                l.p50_ms,
                l.p90_ms,
                l.p99_ms,
                l.max_ms,
                l.first_p50_ms,
                l.first_p99_ms
            );
        }
    }
    for (name, usage) in [
        ("server", &run.usage.server),
        ("postgres", &run.usage.postgres),
        ("loadgen", &run.usage.loadgen),
    ] {
        if let Some(u) = usage {
            let _ = writeln!(
                out,
                "{name:<9} cpu {:>6.1}%  rss {:.1} -> {:.1} MiB (peak {:.1})",
                u.cpu_percent, u.rss_start_mib, u.rss_end_mib, u.rss_peak_mib
            );
        }
    }
    if !run.extra.is_null() {
        let _ = writeln!(out, "{}", run.extra);
    }
}
