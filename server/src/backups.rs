//! Scheduled backups while serving: one archive (`loket backup`'s) every so often into a directory, the
//! oldest beyond a number deleted (`LOKET_BACKUP_DIR`, `LOKET_BACKUP_EVERY`, `LOKET_BACKUP_KEEP`). What a
//! backup holds and how rotation picks is `loket_core::backup`'s; this only keeps time, per process.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use loket_core::backup;
use loket_core::db::embedded::find_bin_dir;
use tokio::sync::oneshot;

use crate::config::{Config, ConfigError};

/// Where the backup tools find the database and the files; owned, so it can move to a blocking thread.
#[derive(Debug, Clone)]
pub struct BackupSource {
    /// The connection string the server uses.
    pub conninfo: String,
    /// The data directory (attachments under it).
    pub data_dir: PathBuf,
    /// PostgreSQL's programs; `None`: on `PATH`.
    pub bin_dir: Option<PathBuf>,
}

impl BackupSource {
    /// The database `conninfo` and the data directory of `config`, with the PostgreSQL programs found here.
    pub fn new(config: &Config, conninfo: &str) -> BackupSource {
        BackupSource {
            conninfo: conninfo.to_string(),
            data_dir: config.data_dir.clone(),
            bin_dir: find_bin_dir().ok(),
        }
    }

    /// The borrowed form `loket_core::backup` takes.
    pub fn borrow(&self) -> backup::Source<'_> {
        backup::Source {
            conninfo: &self.conninfo,
            data_dir: &self.data_dir,
            bin_dir: self.bin_dir.as_deref(),
        }
    }
}

/// When and where scheduled backups go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub dir: PathBuf,
    pub every: Duration,
    pub keep: usize,
}

impl Schedule {
    /// A schedule, refused when it cannot work: no interval, or nothing kept. (How often an operator may
    /// ask for one is the configuration's rule, `MIN_BACKUP_EVERY`.)
    pub fn new(dir: PathBuf, every: Duration, keep: usize) -> Result<Schedule, ConfigError> {
        if every.is_zero() {
            return Err(ConfigError(
                "scheduled backups need an interval longer than zero".into(),
            ));
        }
        if keep == 0 {
            return Err(ConfigError("scheduled backups must keep at least one".into()));
        }
        Ok(Schedule { dir, every, keep })
    }

    /// The schedule `config` asks for, if any (validated by `Config::validate`).
    pub fn of(config: &Config) -> Result<Option<Schedule>, ConfigError> {
        config
            .backup_dir
            .clone()
            .map(|dir| Schedule::new(dir, config.backup_every, config.backup_keep))
            .transpose()
    }
}

/// Scheduled backups running; they stop with the process, or with [`ScheduledBackups::stop`].
pub struct ScheduledBackups {
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl ScheduledBackups {
    /// Stops making backups, waiting for one in progress to finish (so no half-written archive or dump
    /// is left behind). Later ticks are not made.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

/// Makes a backup of `source` into `schedule.dir` every `schedule.every`, the first one period after now,
/// keeping the newest `schedule.keep`. Must run inside a Tokio runtime (the server's actix system).
pub fn start(source: BackupSource, schedule: Schedule) -> ScheduledBackups {
    let (stop_tx, mut stop_rx) = oneshot::channel();
    let source = Arc::new(source);
    let task = actix_web::rt::spawn(async move {
        let mut ticks = tokio::time::interval(schedule.every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticks.tick().await; // the first tick is immediate: the first backup comes one period after start
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                _ = &mut stop_rx => return,
            }
            let (source, dir, keep) = (source.clone(), schedule.dir.clone(), schedule.keep);
            // Not abandoned midway by a stop: the blocking work runs to its end either way.
            match tokio::task::spawn_blocking(move || backup::scheduled(&source.borrow(), &dir, keep)).await {
                Ok(Ok(path)) => tracing::info!(path = %path.display(), "scheduled backup written"),
                Ok(Err(err)) => tracing::error!(error = %err, "scheduled backup failed"),
                Err(err) => tracing::error!(error = %err, "scheduled backup task failed"),
            }
        }
    });
    ScheduledBackups {
        stop: Some(stop_tx),
        task,
    }
}
