//! Backups: one archive holding the database (PostgreSQL's own `pg_dump`, consistent while the server
//! runs; attachments are stored in it) and any attachment files still under the data directory; restoring
//! one into an empty database; and the rotation rule for scheduled backups.
//!
//! The archive is a gzip'd tar with three entries: `loket-backup.json` (what it is, when it was made),
//! `database.dump` (`pg_dump --format=custom`) and `attachments/…` (files stored by releases before
//! attachments moved into the database and not moved yet, as under the data directory; usually none).
//! The files are archived first and the database dumped after: a file is deleted only once its bytes are
//! committed to the database, so every attachment is in the archive's files or in its dump. A restored
//! archive's files are moved into the database when the server first starts on it.

use std::fs::{self, File};
use std::io;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::data_dir::ATTACHMENTS_DIR;

/// What the archive's manifest says of itself.
pub const FORMAT: &str = "loket-backup";
/// Version of the archive layout; `restore` refuses newer ones.
pub const VERSION: u32 = 1;
const MANIFEST: &str = "loket-backup.json";
const DUMP: &str = "database.dump";
/// Scheduled backups are named `loket-backup-<UTC time>.tar.gz`.
const SCHEDULED_PREFIX: &str = "loket-backup-";
const SCHEDULED_SUFFIX: &str = ".tar.gz";

/// The archive's description of itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub version: u32,
    pub created_at: DateTime<Utc>,
    /// The Loket release that made it.
    pub loket_version: String,
    /// How many attachment files from the data directory it holds (attachments stored in the database are
    /// in the dump and not counted here).
    pub attachments: u64,
}

/// Why a backup or a restore failed, for the operator.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "cannot find PostgreSQL's {tool} (install the PostgreSQL client tools, e.g. `apt-get install postgresql-client`)"
    )]
    NoTool { tool: &'static str },
    #[error("{tool} failed: {stderr}")]
    Tool { tool: &'static str, stderr: String },
    #[error("cannot {action} {}: {source}", .path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    #[error("the database settings cannot be read: {0}")]
    Conninfo(String),
    #[error("{} is not a Loket backup: {reason}", .path.display())]
    NotABackup { path: PathBuf, reason: String },
    #[error("the database is not empty; restore into an empty data directory (or an empty DATABASE_URL database)")]
    DatabaseNotEmpty,
    #[error("{} already holds files; restore into an empty data directory", .0.display())]
    AttachmentsNotEmpty(PathBuf),
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> BackupError {
    let path = path.to_path_buf();
    move |source| BackupError::Io { action, path, source }
}

/// Where the database and the files are.
#[derive(Debug, Clone)]
pub struct Source<'a> {
    /// The connection string the server uses (URL or key=value).
    pub conninfo: &'a str,
    /// The data directory (attachments under `attachments/`).
    pub data_dir: &'a Path,
    /// PostgreSQL's programs, e.g. `/usr/lib/postgresql/15/bin`; `None`: look on `PATH`.
    pub bin_dir: Option<&'a Path>,
}

impl Source<'_> {
    /// `tool` (pg_dump, pg_restore) with the connection given by environment variables: nothing secret
    /// goes on a command line, where every local user could read it.
    fn command(&self, tool: &'static str) -> Result<Command, BackupError> {
        let program = match self.bin_dir {
            Some(dir) if dir.join(tool).is_file() => dir.join(tool),
            _ => which(tool).ok_or(BackupError::NoTool { tool })?,
        };
        let settings = crate::db::tls::parse(self.conninfo).map_err(|e| BackupError::Conninfo(e.to_string()))?;
        let config = &settings.config;
        let mut command = Command::new(program);
        command.env_remove("PGPASSWORD").env_remove("PGSERVICE");
        if let Some(host) = config.get_hosts().first() {
            let host = match host {
                tokio_postgres::config::Host::Tcp(name) => name.clone(),
                tokio_postgres::config::Host::Unix(path) => path.to_string_lossy().into_owned(),
            };
            command.env("PGHOST", host);
        }
        if let Some(port) = config.get_ports().first() {
            command.env("PGPORT", port.to_string());
        }
        if let Some(user) = config.get_user() {
            command.env("PGUSER", user);
        }
        if let Some(password) = config.get_password() {
            command.env("PGPASSWORD", String::from_utf8_lossy(password).into_owned());
        }
        if let Some(dbname) = config.get_dbname() {
            command.env("PGDATABASE", dbname);
        }
        command.env_remove("PGSSLROOTCERT");
        command.envs(crate::db::tls::libpq_env(&settings));
        Ok(command)
    }
}

fn which(tool: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(tool))
        .find(|candidate| candidate.is_file())
}

/// Runs `command`, failing with its standard error when it fails.
fn run(tool: &'static str, mut command: Command) -> Result<(), BackupError> {
    let output = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|source| BackupError::Io {
            action: "run",
            path: PathBuf::from(tool),
            source,
        })?;
    if output.status.success() {
        Ok(())
    } else {
        Err(BackupError::Tool {
            tool,
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        })
    }
}

/// Writes a backup of `source` to `archive` (readable by its owner only). Written beside it first and
/// renamed at the end, so `archive` is never half a backup. Blocking.
pub fn create(source: &Source<'_>, archive: &Path) -> Result<Manifest, BackupError> {
    let parent = archive
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let partial = parent.join(format!(
        ".{}.partial",
        archive.file_name().map_or("backup".into(), |n| n.to_string_lossy())
    ));
    let dump = parent.join(format!(".{DUMP}.{}.partial", std::process::id()));
    let result = (|| {
        let file = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&partial)
            .map_err(io_error("create", &partial))?;
        let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(file, flate2::Compression::default()));
        tar.follow_symlinks(false);
        let attachments_dir = source.data_dir.join(ATTACHMENTS_DIR);
        let attachments = count_files(&attachments_dir)?;
        let manifest = Manifest {
            format: FORMAT.into(),
            version: VERSION,
            created_at: Utc::now(),
            loket_version: env!("CARGO_PKG_VERSION").into(),
            attachments,
        };
        let json = serde_json::to_vec_pretty(&manifest).map_err(|e| BackupError::Conninfo(e.to_string()))?;
        let mut header = tar::Header::new_gnu();
        header.set_size(json.len() as u64);
        header.set_mode(0o600);
        header.set_mtime(u64::try_from(manifest.created_at.timestamp()).unwrap_or(0));
        header.set_cksum();
        tar.append_data(&mut header, MANIFEST, json.as_slice())
            .map_err(io_error("write", &partial))?;
        // Files first, then the dump: a file is deleted only after its bytes were committed to the
        // database, so one gone before it was archived is in the dump made after.
        if attachments_dir.is_dir() {
            tar.append_dir_all(ATTACHMENTS_DIR, &attachments_dir)
                .map_err(io_error("archive", &attachments_dir))?;
        }
        // pg_dump runs as this process's user; the file it writes is private to it.
        let mut command = source.command("pg_dump")?;
        command
            .arg("--format=custom")
            .arg("--no-owner")
            .arg("--file")
            .arg(&dump);
        run("pg_dump", command)?;
        fs::set_permissions(&dump, fs::Permissions::from_mode(0o600)).map_err(io_error("protect", &dump))?;
        tar.append_path_with_name(&dump, DUMP)
            .map_err(io_error("write", &partial))?;
        let gz = tar.into_inner().map_err(io_error("finish", &partial))?;
        let file = gz.finish().map_err(io_error("finish", &partial))?;
        file.sync_all().map_err(io_error("sync", &partial))?;
        fs::rename(&partial, archive).map_err(io_error("rename", &partial))?;
        Ok(manifest)
    })();
    let _ = fs::remove_file(&dump);
    if result.is_err() {
        let _ = fs::remove_file(&partial);
    }
    result
}

fn count_files(dir: &Path) -> Result<u64, BackupError> {
    if !dir.is_dir() {
        return Ok(0);
    }
    let mut count = 0;
    for entry in fs::read_dir(dir).map_err(io_error("read", dir))? {
        let entry = entry.map_err(io_error("read", dir))?;
        let kind = entry.file_type().map_err(io_error("read", &entry.path()))?;
        if kind.is_dir() {
            count += count_files(&entry.path())?;
        } else if kind.is_file() {
            count += 1;
        }
    }
    Ok(count)
}

/// Reads the manifest of `archive` without unpacking the rest.
pub fn manifest(archive: &Path) -> Result<Manifest, BackupError> {
    let not_a_backup = |reason: String| BackupError::NotABackup {
        path: archive.to_path_buf(),
        reason,
    };
    let file = File::open(archive).map_err(io_error("open", archive))?;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut entries = tar.entries().map_err(|e| not_a_backup(e.to_string()))?;
    let first = entries
        .next()
        .ok_or_else(|| not_a_backup("it is empty".into()))?
        .map_err(|e| not_a_backup(e.to_string()))?;
    if first.path().map_err(|e| not_a_backup(e.to_string()))?.as_ref() != Path::new(MANIFEST) {
        return Err(not_a_backup(format!("it does not start with {MANIFEST}")));
    }
    let manifest: Manifest = serde_json::from_reader(first).map_err(|e| not_a_backup(e.to_string()))?;
    if manifest.format != FORMAT {
        return Err(not_a_backup(format!("its format is {:?}", manifest.format)));
    }
    if manifest.version > VERSION {
        return Err(not_a_backup(format!(
            "it was made by a newer Loket (archive version {}); upgrade first",
            manifest.version
        )));
    }
    Ok(manifest)
}

/// Restores `archive` into `target`: its files into the data directory's (empty) attachments folder and
/// its dump into the (empty) database. The caller checks the database is empty first
/// ([`database_is_empty`]). Blocking.
pub fn restore(target: &Source<'_>, archive: &Path) -> Result<Manifest, BackupError> {
    let manifest = manifest(archive)?;
    let attachments_dir = target.data_dir.join(ATTACHMENTS_DIR);
    if count_files(&attachments_dir)? > 0 {
        return Err(BackupError::AttachmentsNotEmpty(attachments_dir));
    }
    let staging = target.data_dir.join(format!(".restore.{}", std::process::id()));
    let _ = fs::remove_dir_all(&staging);
    fs::create_dir(&staging).map_err(io_error("create", &staging))?;
    fs::set_permissions(&staging, fs::Permissions::from_mode(0o700)).map_err(io_error("protect", &staging))?;
    let result = (|| {
        let file = File::open(archive).map_err(io_error("open", archive))?;
        let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
        tar.set_preserve_permissions(false);
        // `unpack` refuses entries that would land outside `staging` (`..`, absolute paths).
        tar.unpack(&staging).map_err(io_error("unpack", archive))?;
        let dump = staging.join(DUMP);
        if !dump.is_file() {
            return Err(BackupError::NotABackup {
                path: archive.to_path_buf(),
                reason: format!("it has no {DUMP}"),
            });
        }
        let mut command = target.command("pg_restore")?;
        command
            .arg("--no-owner")
            .arg("--no-privileges")
            .arg("--exit-on-error")
            .arg("--single-transaction")
            .arg("--dbname")
            .arg(database_name(target.conninfo)?)
            .arg(&dump);
        run("pg_restore", command)?;
        let restored = staging.join(ATTACHMENTS_DIR);
        if restored.is_dir() {
            let _ = fs::remove_dir(&attachments_dir);
            fs::rename(&restored, &attachments_dir).map_err(io_error("move", &restored))?;
            make_private(&attachments_dir)?;
        }
        Ok(manifest)
    })();
    let _ = fs::remove_dir_all(&staging);
    result
}

fn database_name(conninfo: &str) -> Result<String, BackupError> {
    let settings = crate::db::tls::parse(conninfo).map_err(|e| BackupError::Conninfo(e.to_string()))?;
    settings
        .config
        .get_dbname()
        .map(str::to_string)
        .ok_or_else(|| BackupError::Conninfo("no database name".into()))
}

/// Directories 0700, files 0600, all the way down.
fn make_private(dir: &Path) -> Result<(), BackupError> {
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(io_error("protect", dir))?;
    for entry in fs::read_dir(dir).map_err(io_error("read", dir))? {
        let entry = entry.map_err(io_error("read", dir))?;
        let path = entry.path();
        let kind = entry.file_type().map_err(io_error("read", &path))?;
        if kind.is_dir() {
            make_private(&path)?;
        } else if kind.is_file() {
            fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).map_err(io_error("protect", &path))?;
        }
    }
    Ok(())
}

/// Whether the database has no tables of its own yet (nothing to overwrite).
pub async fn database_is_empty(db: &impl deadpool_postgres::GenericClient) -> Result<bool, crate::AppError> {
    let row = db
        .query_one(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
            &[],
        )
        .await?;
    Ok(row.get::<_, i64>(0) == 0)
}

/// The name of a scheduled backup made at `at`.
pub fn scheduled_name(at: DateTime<Utc>) -> String {
    format!("{SCHEDULED_PREFIX}{}{SCHEDULED_SUFFIX}", at.format("%Y%m%dT%H%M%SZ"))
}

/// Of the scheduled backups named in `names`, those to delete so that the newest `keep` remain. Names
/// that are not scheduled backups are never chosen.
pub fn to_prune(names: &[String], keep: usize) -> Vec<String> {
    let mut scheduled: Vec<&String> = names
        .iter()
        .filter(|n| {
            n.strip_prefix(SCHEDULED_PREFIX)
                .and_then(|rest| rest.strip_suffix(SCHEDULED_SUFFIX))
                .is_some_and(|stamp| chrono::NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%M%SZ").is_ok())
        })
        .collect();
    // The stamp sorts as text in time order.
    scheduled.sort();
    let excess = scheduled.len().saturating_sub(keep);
    scheduled.into_iter().take(excess).cloned().collect()
}

/// Makes a scheduled backup in `dir` and deletes the oldest beyond `keep`. Blocking. Returns its path.
pub fn scheduled(source: &Source<'_>, dir: &Path, keep: usize) -> Result<PathBuf, BackupError> {
    fs::create_dir_all(dir).map_err(io_error("create", dir))?;
    let archive = dir.join(scheduled_name(Utc::now()));
    create(source, &archive)?;
    let names: Vec<String> = fs::read_dir(dir)
        .map_err(io_error("read", dir))?
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    for old in to_prune(&names, keep) {
        let path = dir.join(&old);
        if let Err(err) = fs::remove_file(&path) {
            tracing::warn!(path = %path.display(), error = %err, "cannot delete an old backup");
        }
    }
    Ok(archive)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn scheduled_names_sort_in_time_order_and_only_the_oldest_beyond_keep_go() {
        let at = |d: u32, h: u32| scheduled_name(Utc.with_ymd_and_hms(2026, 12, d, h, 0, 0).unwrap());
        assert_eq!(at(1, 3), "loket-backup-20261201T030000Z.tar.gz");
        let names = vec![
            at(2, 0),
            "notes.txt".to_string(),
            at(1, 3),
            at(1, 23),
            "loket-backup-yesterday.tar.gz".to_string(),
            at(3, 1),
        ];
        assert_eq!(to_prune(&names, 2), vec![at(1, 3), at(1, 23)]);
        assert_eq!(to_prune(&names, 4), Vec::<String>::new());
        assert_eq!(
            to_prune(&names, 0).len(),
            4,
            "never a file that is not a scheduled backup"
        );
    }

    #[test]
    fn a_file_that_is_not_a_backup_is_refused_clearly() {
        let dir = std::env::temp_dir().join(format!("loket-backup-test-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let junk = dir.join("junk.tar.gz");
        fs::write(&junk, b"not gzip at all").unwrap();
        assert!(matches!(manifest(&junk), Err(BackupError::NotABackup { .. })));
        fs::remove_dir_all(&dir).unwrap();
    }
}
