//! A private PostgreSQL cluster under Loket's data directory, started from the machine's server binaries,
//! and the lock files that keep one server per cluster and operator commands from disturbing it.
//!
//! Layout under [`EmbeddedOptions::dir`] (owned by Loket's user; 0700, or 0710 with PostgreSQL's group
//! when PostgreSQL runs as another user, so that it may reach its own directories):
//!
//! * `data/` – the cluster (created by `initdb` in `data.init/`, then renamed, so an
//!   interrupted first run never leaves a half-initialised cluster behind); 0700, PostgreSQL's own;
//! * `run/` – the Unix socket (mode 0700: with `trust` authentication, reaching the socket is
//!   the only access control, and no TCP listener is opened);
//! * `postgres.log` – the server log (0600; rotated to `postgres.log.1` when it grows large);
//! * `serve.lock`, `cluster.lock`, `command.lock` – the lock files (below).
//!
//! PostgreSQL refuses to run as root, so when Loket runs as root every PostgreSQL binary that
//! touches the cluster runs as the unprivileged `postgres` system user, which then owns `data/`,
//! `run/` and the log. Nothing here follows a symbolic link Loket's user does not own, and nothing
//! belonging to a third user is used.
//!
//! ## Who starts and stops the cluster
//!
//! Locks are `flock`s, so they end with the process that holds them, however it ends.
//!
//! * `serve.lock` is held by a server ([`ClusterUse::Serve`]) for its whole life: a second server on
//!   the same directory is refused at once ([`EmbeddedError::AlreadyServed`]).
//! * `cluster.lock` is held by the process that started the cluster, until it has stopped it. Only
//!   that process stops it.
//! * `command.lock` lets one operator command ([`ClusterUse::Command`]) run at a time.
//!
//! An operator command takes `command.lock`, then tries `cluster.lock`: if it gets it, no server runs
//! and it starts the cluster itself and stops it when done; if not, a server owns the cluster, and the
//! command connects to it through its socket (once it is ready) and leaves it running. A server that
//! starts while an operator command has the cluster waits for that command to finish.

use std::fs;
use std::io::{self, Read, Seek, SeekFrom, Write as _};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use crate::data_dir::{self, DataDirError, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, UserIds};

/// Port number in the socket's name (`.s.PGSQL.<port>`); no TCP port is opened.
const PORT: u16 = 5432;
/// The cluster's superuser, created by `initdb -U`.
const SUPERUSER: &str = "postgres";
/// The system user PostgreSQL runs as when Loket runs as root.
const UNPRIVILEGED_USER: &str = "postgres";
/// The database `ensure_database` connects to in order to create others.
const MAINTENANCE_DB: &str = "postgres";
/// Subdirectory holding the cluster.
const DATA_SUBDIR: &str = "data";
/// Subdirectory `initdb` fills before it is renamed to [`DATA_SUBDIR`].
const INIT_SUBDIR: &str = "data.init";
/// Subdirectory holding the Unix socket.
const SOCKET_SUBDIR: &str = "run";
/// The server log file.
const LOG_FILE: &str = "postgres.log";
/// Where the previous log goes when it is rotated.
const OLD_LOG_FILE: &str = "postgres.log.1";
/// Held by `loket serve` for its lifetime; holds its process id.
const SERVE_LOCK: &str = "serve.lock";
/// Held by the process that started the cluster, until it has stopped it.
const CLUSTER_LOCK: &str = "cluster.lock";
/// Held by an operator command while it runs: one at a time.
const COMMAND_LOCK: &str = "command.lock";
/// The file PostgreSQL writes while it runs; its eighth line is the server's state.
const POSTMASTER_PID: &str = "postmaster.pid";
/// The line index of the state in [`POSTMASTER_PID`] (`pg_ctl -w` reads the same).
const POSTMASTER_STATUS_LINE: usize = 7;
/// The state PostgreSQL records once it accepts connections.
const POSTMASTER_READY: &str = "ready";
/// Bytes read from small files PostgreSQL writes (`PG_VERSION`, `postmaster.pid`).
const SMALL_FILE_LIMIT: u64 = 4096;
/// How long an operator command waits for a starting server's cluster to accept connections.
const ATTACH_TIMEOUT: Duration = Duration::from_secs(PG_CTL_TIMEOUT_SECS as u64 + 30);
/// How often an operator command looks whether that cluster is ready yet.
const ATTACH_POLL_INTERVAL: Duration = Duration::from_millis(100);
/// The log is rotated at start once it is larger than this.
const MAX_LOG_BYTES: u64 = 16 * 1024 * 1024;
/// Lines of the server log quoted in a start failure.
const LOG_TAIL_LINES: usize = 25;
/// Seconds `pg_ctl -w` waits for the server to start or stop.
const PG_CTL_TIMEOUT_SECS: u32 = 60;
/// Where Debian-style packages install one `<version>/bin` per PostgreSQL version.
const VERSIONED_ROOT: &str = "/usr/lib/postgresql";
/// The server binaries a bin directory must hold.
const SERVER_BINARIES: [&str; 3] = ["initdb", "pg_ctl", "postgres"];
/// Longest usable Unix socket path in bytes (`sun_path` minus the terminating NUL).
const MAX_SOCKET_PATH_LEN: usize = if cfg!(target_os = "linux") { 107 } else { 103 };
/// Characters that `pg_ctl` cannot pass through its `sh -c "…"` command line safely.
const UNSAFE_PATH_CHARS: [char; 5] = ['"', '\\', '$', '`', '\n'];
/// libpq / server environment variables that would override the settings given here.
const PG_ENV_VARS: [&str; 14] = [
    "PGDATA",
    "PGPORT",
    "PGHOST",
    "PGHOSTADDR",
    "PGUSER",
    "PGDATABASE",
    "PGOPTIONS",
    "PGSERVICE",
    "PGSERVICEFILE",
    "PGSYSCONFDIR",
    "PGPASSFILE",
    "PGPASSWORD",
    "PGCTLTIMEOUT",
    "PGCONNECT_TIMEOUT",
];
/// Settings that make a throwaway cluster fast and crash-unsafe.
const THROWAWAY_SETTINGS: [&str; 3] = ["fsync=off", "synchronous_commit=off", "full_page_writes=off"];
/// Written into the cluster's own configuration (`postgresql.auto.conf`) at every start, so the cluster
/// opens no TCP listener even when someone starts it by hand without Loket's command line.
const NO_TCP_SCRIPT: &str = "ALTER SYSTEM SET listen_addresses = ''\n";
/// `pg_ctl status` exit code: a server is running.
const PG_CTL_STATUS_RUNNING: i32 = 0;

/// How to create and run the private cluster.
#[derive(Debug, Clone)]
pub struct EmbeddedOptions {
    /// Directory holding the cluster (`<dir>/data`), its Unix socket and log; created if missing.
    pub dir: PathBuf,
    /// Tests only: fsync off, no initdb sync. Never for real data.
    pub throwaway: bool,
}

/// What a process wants the cluster for, which decides whether it may start and stop it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClusterUse {
    /// `loket serve`: the only one on the directory; starts the cluster and stops it when it ends.
    Serve,
    /// An operator command: connects to a running server's cluster, and starts (and stops) its own
    /// only when no server runs.
    Command,
}

/// A running private PostgreSQL cluster, started by this handle (stopped by
/// [`EmbeddedPostgres::stop`] or on drop) or belonging to a running server (left running).
#[derive(Debug)]
pub struct EmbeddedPostgres {
    bin_dir: PathBuf,
    data_dir: PathBuf,
    socket_dir: PathBuf,
    runner: Runner,
    hold: Hold,
}

/// What an [`EmbeddedPostgres`] holds on its cluster.
#[derive(Debug)]
enum Hold {
    /// This process started the cluster and stops it; it holds `cluster.lock` and its use's lock.
    Owner(Vec<LockFile>),
    /// A running server owns the cluster; this process only connects. Holds `command.lock` until done.
    Guest { _command_lock: LockFile },
    /// Stopped or let go.
    Released,
}

/// Why the private cluster could not be set up, started or used.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    /// No directory with `initdb`, `pg_ctl` and `postgres` was found.
    #[error(
        "PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found on PATH or under \
         {VERSIONED_ROOT}/*/bin; install them (e.g. `apt-get install postgresql`) or set \
         DATABASE_URL to use an existing PostgreSQL server"
    )]
    NoBinaries,
    /// Running as root, but the unprivileged user to run PostgreSQL as does not exist.
    #[error(
        "loket runs as root, which PostgreSQL refuses, and the system user `{user}` to run it as \
         was not found ({detail}); install PostgreSQL (`apt-get install postgresql` creates the \
         user), run loket as a non-root user, or set DATABASE_URL"
    )]
    NoUnprivilegedUser {
        /// The missing user.
        user: String,
        /// What the lookup reported.
        detail: String,
    },
    /// The unprivileged user cannot reach the data directory.
    #[error(
        "PostgreSQL runs as the system user `{user}` (loket runs as root), which cannot enter {} \
         (it needs search permission on every directory leading to the data directory); set \
         LOKET_DATA_DIR to a directory it can reach (e.g. under /var/lib) or run `chmod o+x {}`",
        .dir.display(),
        .dir.display()
    )]
    NotTraversable {
        /// The user PostgreSQL runs as.
        user: String,
        /// The first directory on the way that it cannot enter.
        dir: PathBuf,
    },
    /// The socket path would exceed the Unix socket path limit.
    #[error(
        "the PostgreSQL socket path {} is {len} bytes long, but Unix socket paths are limited to \
         {max} bytes; set LOKET_DATA_DIR to a shorter path",
        .path.display()
    )]
    SocketPathTooLong {
        /// The socket file's path.
        path: PathBuf,
        /// Its length in bytes.
        len: usize,
        /// The limit in bytes.
        max: usize,
    },
    /// The data directory's path cannot be handed to PostgreSQL's tools.
    #[error("the data directory {} cannot be used: {reason}; set LOKET_DATA_DIR to another path", .path.display())]
    UnsupportedPath {
        /// The path.
        path: PathBuf,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The cluster was created by a PostgreSQL major version whose binaries are missing.
    #[error(
        "the PostgreSQL cluster in {} was created by PostgreSQL {cluster}, but the server binaries \
         found ({}) are version {binaries}; install PostgreSQL {cluster} (e.g. `apt-get install \
         postgresql-{cluster}`) or upgrade the cluster with pg_upgrade",
        .data_dir.display(),
        .bin_dir.display()
    )]
    VersionMismatch {
        /// The cluster directory.
        data_dir: PathBuf,
        /// Major version that created the cluster.
        cluster: String,
        /// The binaries' directory.
        bin_dir: PathBuf,
        /// The binaries' major version.
        binaries: String,
    },
    /// A filesystem operation failed.
    #[error("could not {action} {}: {error}", .path.display())]
    Io {
        /// What was attempted.
        action: &'static str,
        /// On which path.
        path: PathBuf,
        /// The OS error.
        error: io::Error,
    },
    /// A program could not be started at all.
    #[error("could not run {}: {error}", .program.display())]
    Spawn {
        /// The program.
        program: PathBuf,
        /// The OS error.
        error: io::Error,
    },
    /// A program ran and failed.
    #[error("{what} failed ({status}): {output}")]
    CommandFailed {
        /// What was being done.
        what: String,
        /// The program's exit status.
        status: ExitStatus,
        /// Its stderr and stdout, trimmed.
        output: String,
    },
    /// `pg_ctl start` failed; the log usually says why.
    #[error(
        "PostgreSQL did not start ({status}): {output}\nlast lines of {}:\n{log_tail}",
        .log.display()
    )]
    StartFailed {
        /// `pg_ctl`'s exit status.
        status: ExitStatus,
        /// `pg_ctl`'s own output, trimmed.
        output: String,
        /// The server log.
        log: PathBuf,
        /// What the server logged during this attempt.
        log_tail: String,
    },
    /// Another server already runs on this directory.
    #[error(
        "another `loket serve`{} is already running on {}; stop it first, or give this one its own \
         LOKET_DATA_DIR (operator commands such as `loket invite create` use the running server's \
         database)",
        .pid.map(|pid| format!(" (pid {pid})")).unwrap_or_default(),
        .dir.display()
    )]
    AlreadyServed {
        /// The embedded directory.
        dir: PathBuf,
        /// The running server's process id, when it could be read.
        pid: Option<u32>,
    },
    /// A server holds the cluster, but it did not become ready in time.
    #[error(
        "a running `loket serve` holds the PostgreSQL cluster in {}, but it did not accept connections \
         within {} s; try again once the server has started (its log: {})",
        .dir.display(),
        .waited.as_secs(),
        .dir.join(LOG_FILE).display()
    )]
    NotReady {
        /// The embedded directory.
        dir: PathBuf,
        /// How long the command waited.
        waited: Duration,
    },
    /// A path in the directory is someone else's, or a link someone else planted.
    #[error(transparent)]
    DataDir(#[from] DataDirError),
}

impl EmbeddedError {
    fn io(action: &'static str, path: &Path, error: io::Error) -> Self {
        EmbeddedError::Io {
            action,
            path: path.to_path_buf(),
            error,
        }
    }
}

/// Builds commands for PostgreSQL's binaries, switching to the unprivileged user when needed.
#[derive(Debug, Clone)]
struct Runner {
    /// `Some` when Loket runs as root and PostgreSQL must run as another user.
    switch_to: Option<UserIds>,
    /// The user Loket runs as.
    us: u32,
}

impl Runner {
    /// A command that runs as the PostgreSQL user, with a neutral environment and directory.
    fn command(&self, program: &Path) -> Command {
        let mut command = Command::new(program);
        for var in PG_ENV_VARS {
            command.env_remove(var);
        }
        // Every path passed is absolute; "/" is a working directory any user can enter.
        command.current_dir("/");
        if let Some(ids) = self.switch_to {
            command.uid(ids.uid).gid(ids.gid);
        }
        command
    }

    /// Makes `path` belong to the PostgreSQL user (no-op when not switching users).
    fn give(&self, path: &Path) -> Result<(), EmbeddedError> {
        match self.switch_to {
            Some(ids) => std::os::unix::fs::chown(path, Some(ids.uid), Some(ids.gid))
                .map_err(|e| EmbeddedError::io("change the owner of", path, e)),
            None => Ok(()),
        }
    }

    /// Who may own what PostgreSQL keeps in the directory: Loket's user and PostgreSQL's.
    fn owners(&self) -> Vec<u32> {
        let mut owners = vec![self.us];
        owners.extend(self.switch_to.map(|ids| ids.uid));
        owners
    }

    /// The group that may pass through the directory to reach PostgreSQL's own (when switching users).
    fn traversing_group(&self) -> Option<u32> {
        self.switch_to.map(|ids| ids.gid)
    }
}

/// An open lock file; its `flock` ends when it is dropped (or the process ends).
#[derive(Debug)]
struct LockFile {
    file: fs::File,
    path: PathBuf,
}

impl LockFile {
    /// Opens (creating, 0600) the lock file `name` in `dir`, which must be Loket's user's own.
    fn open(dir: &Path, name: &str, us: u32) -> Result<LockFile, EmbeddedError> {
        let path = dir.join(name);
        data_dir::inspect_entry(&path, &[us])?;
        let file = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(PRIVATE_FILE_MODE)
            .open(&path)
            .map_err(|e| EmbeddedError::io("open the lock file", &path, e))?;
        let mode = file
            .metadata()
            .map_err(|e| EmbeddedError::io("inspect", &path, e))?
            .mode();
        data_dir::set_mode(&path, mode, PRIVATE_FILE_MODE)?;
        Ok(LockFile { file, path })
    }

    /// Takes the lock if nobody holds it: `false` if someone does.
    fn try_lock(&self) -> Result<bool, EmbeddedError> {
        match self.file.try_lock() {
            Ok(()) => Ok(true),
            Err(fs::TryLockError::WouldBlock) => Ok(false),
            Err(fs::TryLockError::Error(e)) => Err(EmbeddedError::io("lock", &self.path, e)),
        }
    }

    /// Takes the lock, waiting for its holder to let go (saying so first, with `waiting_for`).
    fn lock(&self, waiting_for: &str) -> Result<(), EmbeddedError> {
        if self.try_lock()? {
            return Ok(());
        }
        tracing::info!(lock = %self.path.display(), "waiting for {waiting_for} to finish");
        self.file.lock().map_err(|e| EmbeddedError::io("lock", &self.path, e))
    }

    /// Records this process's id in the (held) lock file, for the message a refused second server shows.
    fn record_pid(&mut self) -> Result<(), EmbeddedError> {
        let write = |file: &mut fs::File| -> io::Result<()> {
            file.set_len(0)?;
            file.seek(SeekFrom::Start(0))?;
            file.write_all(format!("{}\n", std::process::id()).as_bytes())
        };
        write(&mut self.file).map_err(|e| EmbeddedError::io("write", &self.path, e))
    }

    /// The process id recorded by the lock's holder, if it wrote one.
    fn recorded_pid(&mut self) -> Option<u32> {
        let mut text = String::new();
        self.file.seek(SeekFrom::Start(0)).ok()?;
        (&self.file).take(SMALL_FILE_LIMIT).read_to_string(&mut text).ok()?;
        text.trim().parse().ok()
    }
}

/// What a process got when it asked for the cluster.
enum Claim {
    /// It may (and must) start the cluster; these locks are held until it has stopped it.
    Own(Vec<LockFile>),
    /// A server owns the running cluster; this command lock is held while the command uses it.
    Attach(LockFile),
}

impl EmbeddedPostgres {
    /// Blocking. Serves the cluster: [`EmbeddedPostgres::open`] with [`ClusterUse::Serve`].
    pub fn start(options: EmbeddedOptions) -> Result<EmbeddedPostgres, EmbeddedError> {
        Self::open(options, ClusterUse::Serve)
    }

    /// Blocking. Creates the cluster if needed and starts it, or (an operator command beside a running
    /// server) connects to the server's; waits until it accepts connections.
    ///
    /// A second server on the same directory is refused with [`EmbeddedError::AlreadyServed`]. A
    /// cluster left running by a previous process that has ended (e.g. one killed with SIGKILL) is
    /// stopped and started again, so this run's settings apply.
    pub fn open(options: EmbeddedOptions, usage: ClusterUse) -> Result<EmbeddedPostgres, EmbeddedError> {
        let dir = std::path::absolute(&options.dir).map_err(|e| EmbeddedError::io("resolve", &options.dir, e))?;
        check_path(&dir)?;
        let socket_dir = dir.join(SOCKET_SUBDIR);
        check_socket_path(&socket_dir)?;
        let data_dir = dir.join(DATA_SUBDIR);
        let log_file = dir.join(LOG_FILE);

        let mut bin_dir = find_bin_dir()?;
        let runner = Runner {
            switch_to: postgres_user()?,
            us: data_dir::current_uid()?,
        };

        // Checked before creating anything, and again for the directories just created.
        check_reachable(&dir, &runner)?;
        data_dir::private_dir(&dir, runner.traversing_group())?;
        check_reachable(&dir, &runner)?;

        let locks = match claim(&dir, &data_dir, &runner, usage)? {
            Claim::Attach(command_lock) => {
                tracing::info!(
                    data_dir = %data_dir.display(),
                    "using the PostgreSQL cluster of the running server"
                );
                return Ok(EmbeddedPostgres {
                    bin_dir,
                    data_dir,
                    socket_dir,
                    runner,
                    hold: Hold::Guest {
                        _command_lock: command_lock,
                    },
                });
            }
            Claim::Own(locks) => locks,
        };

        create_private_dir(&socket_dir, &runner)?;
        prepare_log(&dir, &log_file, &runner)?;

        let version_file = data_dir.join("PG_VERSION");
        let version = if cluster_dir_exists(&data_dir, &runner)? {
            data_dir::read_small_file(&version_file, &runner.owners(), SMALL_FILE_LIMIT)?
        } else {
            None
        };
        match version {
            Some(version) => bin_dir = matching_bin_dir(&data_dir, version.trim(), bin_dir)?,
            None => init_cluster(&dir, &data_dir, &bin_dir, &runner, options.throwaway)?,
        }

        let pg_ctl = bin_dir.join("pg_ctl");
        if is_running(&pg_ctl, &data_dir, &runner)? {
            tracing::warn!(
                data_dir = %data_dir.display(),
                "PostgreSQL cluster left running by a previous process; restarting it"
            );
            stop_cluster(&pg_ctl, &data_dir, &runner)?;
        }
        start_cluster(&pg_ctl, &data_dir, &socket_dir, &log_file, &runner, options.throwaway)?;
        let embedded = EmbeddedPostgres {
            bin_dir,
            data_dir,
            socket_dir,
            runner,
            hold: Hold::Owner(locks),
        };
        // Dropping `embedded` on failure stops the cluster again.
        embedded.psql(MAINTENANCE_DB, &[], NO_TCP_SCRIPT, || {
            "writing listen_addresses into postgresql.auto.conf".to_owned()
        })?;
        tracing::info!(
            data_dir = %embedded.data_dir.display(),
            socket_dir = %embedded.socket_dir.display(),
            "private PostgreSQL cluster started"
        );
        Ok(embedded)
    }

    /// Whether this handle started the cluster (and so stops it), rather than using a running server's.
    pub fn started_here(&self) -> bool {
        matches!(self.hold, Hold::Owner(_))
    }

    /// A libpq-style key=value connection string that tokio_postgres::Config parses, e.g.
    /// "host=/abs/socket/dir port=5432 user=postgres dbname=loket".
    pub fn connection_string(&self, dbname: &str) -> String {
        // `start` rejected non-UTF-8 paths, so this conversion is lossless.
        let host = self.socket_dir.to_string_lossy();
        format!(
            "host={} port={PORT} user={} dbname={}",
            conninfo_value(&host),
            conninfo_value(SUPERUSER),
            conninfo_value(dbname)
        )
    }

    /// Creates database `name` if it does not exist. Blocking (runs `psql`).
    pub fn ensure_database(&self, name: &str) -> Result<(), EmbeddedError> {
        // psql quotes `:'name'` as a literal and `%I` quotes the identifier, so any name is safe.
        const SCRIPT: &str = "SELECT format('CREATE DATABASE %I', :'name') \
             WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'name')\\gexec\n";
        self.psql(MAINTENANCE_DB, &[("name", name)], SCRIPT, || {
            format!("creating database {name:?}")
        })
    }

    /// Stops the cluster (pg_ctl stop -m fast) if this handle started it, and lets go of its locks; a
    /// handle on a running server's cluster only lets go. Idempotent; also called from Drop.
    pub fn stop(&mut self) {
        match std::mem::replace(&mut self.hold, Hold::Released) {
            Hold::Owner(locks) => {
                match stop_cluster(&self.bin_dir.join("pg_ctl"), &self.data_dir, &self.runner) {
                    Ok(()) => {
                        tracing::info!(data_dir = %self.data_dir.display(), "private PostgreSQL cluster stopped")
                    }
                    Err(error) => tracing::warn!(%error, "could not stop the private PostgreSQL cluster"),
                }
                // Only now may another process start the cluster.
                drop(locks);
            }
            Hold::Guest { .. } | Hold::Released => {}
        }
    }

    /// Runs `script` through psql on database `dbname`, with psql variables `vars`.
    fn psql(
        &self,
        dbname: &str,
        vars: &[(&str, &str)],
        script: &str,
        what: impl FnOnce() -> String,
    ) -> Result<(), EmbeddedError> {
        let psql = self.client_program("psql");
        let mut command = Command::new(&psql);
        for var in PG_ENV_VARS {
            command.env_remove(var);
        }
        command
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h"])
            .arg(&self.socket_dir)
            .args(["-p", &PORT.to_string(), "-U", SUPERUSER, "-d", dbname]);
        for (name, value) in vars {
            command.arg("-v").arg(format!("{name}={value}"));
        }
        let output = run_with_input(command, &psql, script)?;
        check_output(&output, what)
    }

    /// A handle that stops the cluster in `data_dir` on drop, for tests that orphan one.
    #[cfg(test)]
    fn orphan_guard_for_tests(bin_dir: &Path, data_dir: &Path, runner: &Runner) -> Self {
        EmbeddedPostgres {
            bin_dir: bin_dir.to_path_buf(),
            data_dir: data_dir.to_path_buf(),
            socket_dir: PathBuf::new(),
            runner: runner.clone(),
            hold: Hold::Owner(Vec::new()),
        }
    }

    /// Lets go of the locks without stopping the cluster, as a process killed with SIGKILL does.
    #[cfg(test)]
    fn vanish_for_tests(&mut self) {
        self.hold = Hold::Released;
    }

    /// A client program from the server's bin directory, else from PATH.
    fn client_program(&self, name: &str) -> PathBuf {
        let bundled = self.bin_dir.join(name);
        if is_executable(&bundled) {
            bundled
        } else {
            PathBuf::from(name)
        }
    }
}

impl Drop for EmbeddedPostgres {
    fn drop(&mut self) {
        self.stop()
    }
}

/// Takes the locks `usage` needs in `dir` and says whether this process starts the cluster.
fn claim(dir: &Path, data_dir: &Path, runner: &Runner, usage: ClusterUse) -> Result<Claim, EmbeddedError> {
    let cluster_lock = LockFile::open(dir, CLUSTER_LOCK, runner.us)?;
    match usage {
        ClusterUse::Serve => {
            let mut serve_lock = LockFile::open(dir, SERVE_LOCK, runner.us)?;
            if !serve_lock.try_lock()? {
                return Err(EmbeddedError::AlreadyServed {
                    dir: dir.to_path_buf(),
                    pid: serve_lock.recorded_pid(),
                });
            }
            serve_lock.record_pid()?;
            cluster_lock.lock("an operator command (e.g. `loket invite create`) on this data directory")?;
            Ok(Claim::Own(vec![cluster_lock, serve_lock]))
        }
        ClusterUse::Command => {
            let command_lock = LockFile::open(dir, COMMAND_LOCK, runner.us)?;
            command_lock.lock("another operator command on this data directory")?;
            // Operator commands take turns, so whoever holds the cluster now is a server: use its
            // cluster once it is ready, unless it lets go first (then this command starts its own).
            let started = Instant::now();
            loop {
                if cluster_lock.try_lock()? {
                    return Ok(Claim::Own(vec![cluster_lock, command_lock]));
                }
                if cluster_ready(data_dir, runner)? {
                    return Ok(Claim::Attach(command_lock));
                }
                if started.elapsed() >= ATTACH_TIMEOUT {
                    return Err(EmbeddedError::NotReady {
                        dir: dir.to_path_buf(),
                        waited: started.elapsed(),
                    });
                }
                std::thread::sleep(ATTACH_POLL_INTERVAL);
            }
        }
    }
}

/// Whether the cluster in `data_dir` says it accepts connections (as `pg_ctl -w` judges it).
fn cluster_ready(data_dir: &Path, runner: &Runner) -> Result<bool, EmbeddedError> {
    if !cluster_dir_exists(data_dir, runner)? {
        return Ok(false);
    }
    let pid_file = data_dir.join(POSTMASTER_PID);
    let text = match data_dir::read_small_file(&pid_file, &runner.owners(), SMALL_FILE_LIMIT) {
        Ok(text) => text,
        // `data/` itself is missing while a server still runs initdb.
        Err(DataDirError::Io { error, .. }) if error.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e.into()),
    };
    Ok(text.is_some_and(|text| {
        text.lines()
            .nth(POSTMASTER_STATUS_LINE)
            .is_some_and(|status| status.trim() == POSTMASTER_READY)
    }))
}

/// The directory holding `initdb`, `pg_ctl` and `postgres`: the first such directory on PATH,
/// else the highest version under `/usr/lib/postgresql/*/bin`.
pub fn find_bin_dir() -> Result<PathBuf, EmbeddedError> {
    let path_dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect())
        .unwrap_or_default();
    find_bin_dir_in(&path_dirs, Path::new(VERSIONED_ROOT))
}

/// [`find_bin_dir`] with the search places given.
fn find_bin_dir_in(path_dirs: &[PathBuf], versioned_root: &Path) -> Result<PathBuf, EmbeddedError> {
    for dir in path_dirs.iter().filter(|dir| dir.is_absolute()) {
        if has_server_binaries(dir) {
            // Prefer the real directory when PATH holds symlinks (e.g. /usr/local/bin/pg_ctl ->
            // /usr/lib/postgresql/15/bin/pg_ctl): it also holds psql of the same version.
            let real = fs::canonicalize(dir.join("postgres"))
                .ok()
                .and_then(|p| p.parent().map(Path::to_path_buf));
            return Ok(match real {
                Some(real) if has_server_binaries(&real) => real,
                _ => dir.clone(),
            });
        }
    }
    versioned_bin_dirs(versioned_root)
        .into_iter()
        .max_by(|(a, _), (b, _)| a.cmp(b))
        .map(|(_, dir)| dir)
        .ok_or(EmbeddedError::NoBinaries)
}

/// `(version, <root>/<version>/bin)` for every complete bin directory under `root`.
fn versioned_bin_dirs(root: &Path) -> Vec<(Vec<u32>, PathBuf)> {
    let Ok(entries) = fs::read_dir(root) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = parse_version(entry.file_name().to_str()?)?;
            let bin = entry.path().join("bin");
            has_server_binaries(&bin).then_some((version, bin))
        })
        .collect()
}

/// "15" -> [15], "9.6" -> [9, 6]; `None` if not a version.
fn parse_version(text: &str) -> Option<Vec<u32>> {
    text.split('.').map(|part| part.parse().ok()).collect()
}

fn has_server_binaries(dir: &Path) -> bool {
    SERVER_BINARIES.iter().all(|name| is_executable(&dir.join(name)))
}

fn is_executable(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// Rejects paths PostgreSQL's tools or our connection string cannot carry.
fn check_path(dir: &Path) -> Result<(), EmbeddedError> {
    let unsupported = |reason| EmbeddedError::UnsupportedPath {
        path: dir.to_path_buf(),
        reason,
    };
    let text = dir.to_str().ok_or_else(|| unsupported("its path is not valid UTF-8"))?;
    if text.contains(UNSAFE_PATH_CHARS) {
        return Err(unsupported(
            "its path contains one of \" \\ $ ` or a newline, which pg_ctl cannot handle",
        ));
    }
    Ok(())
}

fn check_socket_path(socket_dir: &Path) -> Result<(), EmbeddedError> {
    let path = socket_dir.join(format!(".s.PGSQL.{PORT}"));
    let len = path.as_os_str().len();
    if len > MAX_SOCKET_PATH_LEN {
        return Err(EmbeddedError::SocketPathTooLong {
            path,
            len,
            max: MAX_SOCKET_PATH_LEN,
        });
    }
    Ok(())
}

/// The user PostgreSQL runs as: `Some` (the unprivileged `postgres` user) when Loket runs as root,
/// `None` when PostgreSQL runs as Loket's own user.
pub fn postgres_user() -> Result<Option<UserIds>, EmbeddedError> {
    let no_user = |detail: String| EmbeddedError::NoUnprivilegedUser {
        user: UNPRIVILEGED_USER.to_owned(),
        detail,
    };
    if data_dir::current_uid()? != 0 {
        return Ok(None);
    }
    let uid = data_dir::id_query(&["-u", UNPRIVILEGED_USER]).map_err(no_user)?;
    let gid = data_dir::id_query(&["-g", UNPRIVILEGED_USER]).map_err(no_user)?;
    if uid == 0 {
        return Err(no_user(format!("`{UNPRIVILEGED_USER}` has uid 0")));
    }
    Ok(Some(UserIds { uid, gid }))
}

/// The first of `dir` and its ancestors that `ids` may not search (enter).
///
/// Judged by mode bits with the user's primary group only: `Command::uid` drops supplementary
/// groups, so those do not count. POSIX ACLs are not consulted.
fn first_untraversable(dir: &Path, ids: UserIds) -> Option<PathBuf> {
    let mut chain: Vec<&Path> = dir.ancestors().collect();
    chain.reverse();
    chain.into_iter().find_map(|dir| {
        let meta = fs::metadata(dir).ok()?;
        let mode = meta.mode();
        let allowed = if meta.uid() == ids.uid {
            mode & 0o100 != 0
        } else if meta.gid() == ids.gid {
            mode & 0o010 != 0
        } else {
            mode & 0o001 != 0
        };
        (!allowed).then(|| dir.to_path_buf())
    })
}

/// Fails if the PostgreSQL user (when switching users) cannot enter `dir` or, if it does not
/// exist yet, its nearest existing ancestor.
fn check_reachable(dir: &Path, runner: &Runner) -> Result<(), EmbeddedError> {
    let Some(ids) = runner.switch_to else {
        return Ok(());
    };
    let Some(existing) = dir.ancestors().find(|path| path.exists()) else {
        return Ok(());
    };
    let real = fs::canonicalize(existing).map_err(|e| EmbeddedError::io("resolve", existing, e))?;
    match first_untraversable(&real, ids) {
        Some(blocked) => Err(EmbeddedError::NotTraversable {
            user: UNPRIVILEGED_USER.to_owned(),
            dir: blocked,
        }),
        None => Ok(()),
    }
}

/// Creates `dir` (inside the checked directory) if missing, owned by the PostgreSQL user and private
/// to it. A link Loket's user does not own, or something of a third user's, is refused.
fn create_private_dir(dir: &Path, runner: &Runner) -> Result<(), EmbeddedError> {
    match data_dir::inspect_entry(dir, &runner.owners())? {
        Some(meta) if !meta.is_dir() => {
            return Err(DataDirError::NotADirectory {
                path: dir.to_path_buf(),
            }
            .into());
        }
        Some(_) => {}
        None => fs::DirBuilder::new()
            .mode(PRIVATE_DIR_MODE)
            .create(dir)
            .map_err(|e| EmbeddedError::io("create directory", dir, e))?,
    }
    runner.give(dir)?;
    let mode = fs::metadata(dir)
        .map_err(|e| EmbeddedError::io("inspect", dir, e))?
        .mode();
    Ok(data_dir::set_mode(dir, mode, PRIVATE_DIR_MODE)?)
}

/// Rotates a large log and makes sure the PostgreSQL user can append to it (and no one else read it).
fn prepare_log(dir: &Path, log_file: &Path, runner: &Runner) -> Result<(), EmbeddedError> {
    let owners = runner.owners();
    if data_dir::inspect_entry(log_file, &owners)?.is_some_and(|meta| meta.len() > MAX_LOG_BYTES) {
        let old = dir.join(OLD_LOG_FILE);
        data_dir::inspect_entry(&old, &owners)?;
        fs::rename(log_file, &old).map_err(|e| EmbeddedError::io("rotate", log_file, e))?;
    }
    let file = fs::OpenOptions::new()
        .append(true)
        .create(true)
        .mode(PRIVATE_FILE_MODE)
        .open(log_file)
        .map_err(|e| EmbeddedError::io("create", log_file, e))?;
    if let Some(ids) = runner.switch_to {
        std::os::unix::fs::fchown(&file, Some(ids.uid), Some(ids.gid))
            .map_err(|e| EmbeddedError::io("change the owner of", log_file, e))?;
    }
    file.set_permissions(fs::Permissions::from_mode(PRIVATE_FILE_MODE))
        .map_err(|e| EmbeddedError::io("set permissions of", log_file, e))
}

/// Whether `data_dir` is there (a directory of Loket's or PostgreSQL's user, not someone's link).
fn cluster_dir_exists(data_dir: &Path, runner: &Runner) -> Result<bool, EmbeddedError> {
    match data_dir::inspect_entry(data_dir, &runner.owners())? {
        Some(meta) if !meta.is_dir() => Err(DataDirError::NotADirectory {
            path: data_dir.to_path_buf(),
        }
        .into()),
        Some(_) => Ok(true),
        None => Ok(false),
    }
}

/// Runs `initdb` into a scratch directory, then renames it into place.
fn init_cluster(
    dir: &Path,
    data_dir: &Path,
    bin_dir: &Path,
    runner: &Runner,
    throwaway: bool,
) -> Result<(), EmbeddedError> {
    let init_dir = dir.join(INIT_SUBDIR);
    if data_dir::inspect_entry(&init_dir, &runner.owners())?.is_some() {
        // Left over from an interrupted first run.
        fs::remove_dir_all(&init_dir).map_err(|e| EmbeddedError::io("remove the incomplete cluster", &init_dir, e))?;
    }
    if cluster_dir_exists(data_dir, runner)? {
        // `data` without PG_VERSION: only an empty directory is safe to replace.
        fs::remove_dir(data_dir)
            .map_err(|e| EmbeddedError::io("replace (it is not a PostgreSQL cluster)", data_dir, e))?;
    }
    create_private_dir(&init_dir, runner)?;
    tracing::info!(data_dir = %data_dir.display(), "creating a private PostgreSQL cluster");
    let initdb = bin_dir.join("initdb");
    let mut command = runner.command(&initdb);
    command
        .arg("-D")
        .arg(&init_dir)
        // Trust on the socket only (reaching it is the access control); TCP would be refused even if
        // someone opened a listener.
        .args([
            "-U",
            SUPERUSER,
            "--auth-local=trust",
            "--auth-host=reject",
            "-E",
            "UTF8",
        ]);
    if throwaway {
        command.arg("--no-sync");
    }
    let output = run(command, &initdb)?;
    check_output(&output, || "initdb".to_owned())?;
    fs::rename(&init_dir, data_dir).map_err(|e| EmbeddedError::io("rename", &init_dir, e))
}

/// The bin directory matching the cluster's major version: `found` if it matches, else the
/// `/usr/lib/postgresql/<version>/bin` of that version.
fn matching_bin_dir(data_dir: &Path, cluster: &str, found: PathBuf) -> Result<PathBuf, EmbeddedError> {
    let cluster = cluster.to_owned();
    let postgres = found.join("postgres");
    let mut command = Command::new(&postgres);
    command.arg("--version");
    let output = run(command, &postgres)?;
    check_output(&output, || format!("{} --version", postgres.display()))?;
    let binaries = major_version(&String::from_utf8_lossy(&output.stdout));
    if binaries.as_deref() == Some(cluster.as_str()) {
        return Ok(found);
    }
    let same_version = Path::new(VERSIONED_ROOT).join(&cluster).join("bin");
    if has_server_binaries(&same_version) {
        return Ok(same_version);
    }
    Err(EmbeddedError::VersionMismatch {
        data_dir: data_dir.to_path_buf(),
        cluster,
        bin_dir: found,
        binaries: binaries.unwrap_or_else(|| "unknown".to_owned()),
    })
}

/// The major version in `postgres --version` output, e.g. "postgres (PostgreSQL) 15.14 (Debian …)"
/// -> "15"; "… 9.6.24" -> "9.6" (the PG_VERSION format).
fn major_version(version_output: &str) -> Option<String> {
    let version = version_output.split_once("(PostgreSQL)")?.1.split_whitespace().next()?;
    let mut parts = version.split(|c: char| !c.is_ascii_digit());
    let major = parts.next().filter(|p| !p.is_empty())?;
    if major.parse::<u32>().ok()? < 10 {
        Some(format!("{major}.{}", parts.next()?))
    } else {
        Some(major.to_owned())
    }
}

fn is_running(pg_ctl: &Path, data_dir: &Path, runner: &Runner) -> Result<bool, EmbeddedError> {
    let mut command = runner.command(pg_ctl);
    command.arg("status").arg("-D").arg(data_dir);
    let output = run(command, pg_ctl)?;
    Ok(output.status.code() == Some(PG_CTL_STATUS_RUNNING))
}

fn stop_cluster(pg_ctl: &Path, data_dir: &Path, runner: &Runner) -> Result<(), EmbeddedError> {
    let mut command = runner.command(pg_ctl);
    command
        .arg("stop")
        .arg("-D")
        .arg(data_dir)
        .args(["-m", "fast", "-w", "-t", &PG_CTL_TIMEOUT_SECS.to_string()]);
    let output = run(command, pg_ctl)?;
    check_output(&output, || "pg_ctl stop".to_owned())
}

fn start_cluster(
    pg_ctl: &Path,
    data_dir: &Path,
    socket_dir: &Path,
    log_file: &Path,
    runner: &Runner,
    throwaway: bool,
) -> Result<(), EmbeddedError> {
    let log_start = fs::metadata(log_file).map_or(0, |meta| meta.len());
    // pg_ctl pastes these options into `sh -c`, and `-k` takes a list, so the socket directory
    // is quoted twice: as a list element ("…") and for the shell ('…').
    let socket_list = format!("\"{}\"", socket_dir.to_string_lossy().replace('"', "\"\""));
    let mut server_options = format!("-c listen_addresses='' -c port={PORT} -k {}", shell_quote(&socket_list));
    if throwaway {
        for setting in THROWAWAY_SETTINGS {
            server_options.push_str(" -c ");
            server_options.push_str(setting);
        }
    }
    let mut command = runner.command(pg_ctl);
    command
        .arg("start")
        .arg("-D")
        .arg(data_dir)
        .args(["-w", "-t", &PG_CTL_TIMEOUT_SECS.to_string(), "-l"])
        .arg(log_file)
        .arg("-o")
        .arg(server_options);
    let output = run(command, pg_ctl)?;
    if output.status.success() {
        return Ok(());
    }
    Err(EmbeddedError::StartFailed {
        status: output.status,
        output: output_text(&output),
        log: log_file.to_path_buf(),
        log_tail: log_tail(log_file, log_start),
    })
}

/// The last lines `log_file` gained after byte `from`.
fn log_tail(log_file: &Path, from: u64) -> String {
    let read = || -> io::Result<String> {
        let mut file = fs::File::open(log_file)?;
        file.seek(SeekFrom::Start(from))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    };
    match read() {
        Ok(text) => {
            let lines: Vec<&str> = text.lines().collect();
            let tail = &lines[lines.len().saturating_sub(LOG_TAIL_LINES)..];
            if tail.is_empty() {
                "(nothing logged)".to_owned()
            } else {
                tail.join("\n")
            }
        }
        Err(error) => format!("(could not read the log: {error})"),
    }
}

/// Quotes `text` as one `sh` word.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// Quotes a value for a libpq key=value connection string when needed.
fn conninfo_value(value: &str) -> String {
    let plain = !value.is_empty()
        && !value
            .chars()
            .any(|c| c.is_whitespace() || c == '\'' || c == '\\' || c == '=');
    if plain {
        value.to_owned()
    } else {
        format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
    }
}

fn run(mut command: Command, program: &Path) -> Result<Output, EmbeddedError> {
    command
        .stdin(Stdio::null())
        .output()
        .map_err(|error| EmbeddedError::Spawn {
            program: program.to_path_buf(),
            error,
        })
}

fn run_with_input(mut command: Command, program: &Path, input: &str) -> Result<Output, EmbeddedError> {
    use std::io::Write as _;
    let spawn_error = |error| EmbeddedError::Spawn {
        program: program.to_path_buf(),
        error,
    };
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(spawn_error)?;
    if let Some(mut stdin) = child.stdin.take() {
        // The script is far smaller than a pipe buffer, so writing cannot block on psql's output.
        stdin.write_all(input.as_bytes()).map_err(spawn_error)?;
    }
    child.wait_with_output().map_err(spawn_error)
}

fn check_output(output: &Output, what: impl FnOnce() -> String) -> Result<(), EmbeddedError> {
    if output.status.success() {
        return Ok(());
    }
    Err(EmbeddedError::CommandFailed {
        what: what(),
        status: output.status,
        output: output_text(output),
    })
}

/// stderr then stdout, trimmed, for error messages.
fn output_text(output: &Output) -> String {
    let parts: Vec<String> = [&output.stderr, &output.stdout]
        .into_iter()
        .map(|bytes| String::from_utf8_lossy(bytes).trim().to_owned())
        .filter(|text| !text.is_empty())
        .collect();
    if parts.is_empty() {
        "no output".to_owned()
    } else {
        parts.join("\n")
    }
}

/// Whether `<dir>/data` holds an initialised cluster.
#[cfg(test)]
fn is_cluster(dir: &Path) -> bool {
    dir.join(DATA_SUBDIR).join("PG_VERSION").is_file()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A fresh directory under the system temp dir, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(label: &str) -> TempDir {
            static COUNTER: AtomicUsize = AtomicUsize::new(0);
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos());
            let path = std::env::temp_dir().join(format!(
                "loket-{label}-{}-{}-{nanos}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            ));
            fs::create_dir_all(&path).expect("create temp dir");
            TempDir(path)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn options(dir: &TempDir) -> EmbeddedOptions {
        EmbeddedOptions {
            dir: dir.0.join("loket"),
            throwaway: true,
        }
    }

    /// Runs `sql` through psql against the cluster; returns (success, stdout, stderr).
    fn psql(pg: &EmbeddedPostgres, dbname: &str, sql: &str) -> (bool, String, String) {
        let output = Command::new(pg.client_program("psql"))
            .args(["-X", "-tA", "-v", "ON_ERROR_STOP=1", "-h"])
            .arg(&pg.socket_dir)
            .args(["-p", "5432", "-U", "postgres", "-d", dbname, "-c", sql])
            .output()
            .expect("run psql");
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).trim().to_owned(),
            String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        )
    }

    fn make_fake_bin_dir(dir: &Path) {
        fs::create_dir_all(dir).expect("create fake bin dir");
        for name in SERVER_BINARIES {
            let path = dir.join(name);
            fs::write(&path, "#!/bin/sh\n").expect("write fake binary");
            fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("chmod");
        }
    }

    #[test]
    fn starts_connects_stops_and_reuses_cluster() {
        let tmp = TempDir::new("embedded-reuse");
        let mut pg = EmbeddedPostgres::start(options(&tmp)).expect("first start");
        assert!(is_cluster(&tmp.0.join("loket")));
        assert!(!tmp.0.join("loket").join(INIT_SUBDIR).exists());

        let (ok, out, err) = psql(&pg, "postgres", "select 1");
        assert!(ok, "select 1 failed: {err}");
        assert_eq!(out, "1");

        pg.ensure_database("loket").expect("create loket");
        pg.ensure_database("loket").expect("ensure_database is idempotent");
        pg.ensure_database("odd name 'x\"").expect("quoted name");
        let (ok, _, err) = psql(&pg, "loket", "create table t (v int); insert into t values (42)");
        assert!(ok, "create table failed: {err}");
        let (ok, out, _) = psql(&pg, "odd name 'x\"", "select current_database()");
        assert!(ok);
        assert_eq!(out, "odd name 'x\"");

        // Only a Unix socket: no TCP listener configured.
        let (_, out, _) = psql(&pg, "postgres", "show listen_addresses");
        assert_eq!(out, "");
        // …and the cluster's own configuration says so too, for a start by hand.
        let (ok, out, err) = psql(
            &pg,
            "postgres",
            "select count(*) from pg_file_settings \
             where name = 'listen_addresses' and setting = '' and sourcefile like '%postgresql.auto.conf'",
        );
        assert!(ok, "{err}");
        assert_eq!(out, "1");
        let (_, out, _) = psql(&pg, "postgres", "show fsync");
        assert_eq!(out, "off");

        pg.stop();
        pg.stop(); // idempotent
        let (ok, _, _) = psql(&pg, "postgres", "select 1");
        assert!(!ok, "server still reachable after stop");
        drop(pg);

        let pg = EmbeddedPostgres::start(options(&tmp)).expect("second start on same dir");
        let (ok, out, err) = psql(&pg, "loket", "select v from t");
        assert!(ok, "data lost across restart: {err}");
        assert_eq!(out, "42");
    }

    #[test]
    fn a_second_server_is_refused_and_a_command_uses_the_running_cluster_without_stopping_it() {
        let tmp = TempDir::new("embedded-locks");
        let server = EmbeddedPostgres::start(options(&tmp)).expect("first server");
        assert!(server.started_here());

        let error = EmbeddedPostgres::start(options(&tmp)).expect_err("a second server");
        assert!(
            matches!(error, EmbeddedError::AlreadyServed { pid: Some(pid), .. } if pid == std::process::id()),
            "{error}"
        );
        assert!(error.to_string().contains("LOKET_DATA_DIR"), "{error}");

        let mut command = EmbeddedPostgres::open(options(&tmp), ClusterUse::Command).expect("a command beside it");
        assert!(!command.started_here());
        let (ok, out, err) = psql(&command, "postgres", "select 1");
        assert!(ok && out == "1", "{err}");
        command.stop();
        drop(command);
        let (ok, _, err) = psql(&server, "postgres", "select 1");
        assert!(ok, "the command stopped the server's cluster: {err}");
    }

    #[test]
    fn a_command_without_a_server_starts_its_own_cluster_and_stops_it() {
        let tmp = TempDir::new("embedded-command");
        let mut command = EmbeddedPostgres::open(options(&tmp), ClusterUse::Command).expect("a command alone");
        assert!(command.started_here());
        let (bin_dir, data_dir, runner) = (
            command.bin_dir.clone(),
            command.data_dir.clone(),
            command.runner.clone(),
        );
        assert!(is_running(&bin_dir.join("pg_ctl"), &data_dir, &runner).expect("status"));
        command.stop();
        assert!(!is_running(&bin_dir.join("pg_ctl"), &data_dir, &runner).expect("status"));
        // The command let go of everything: a server may start now.
        EmbeddedPostgres::start(options(&tmp)).expect("a server after the command");
    }

    #[test]
    fn restarts_cluster_left_running_by_killed_process() {
        let tmp = TempDir::new("embedded-stale");
        let mut first = EmbeddedPostgres::start(options(&tmp)).expect("first start");
        let bin_dir = first.bin_dir.clone();
        let data_dir = first.data_dir.clone();
        let runner = first.runner.clone();
        // Like `kill -9` of loket: the cluster keeps running, nobody stops it, the locks end.
        first.vanish_for_tests();
        drop(first);
        // Stops the orphan should an assertion below fail first.
        let mut reaper = EmbeddedPostgres::orphan_guard_for_tests(&bin_dir, &data_dir, &runner);
        assert!(is_running(&bin_dir.join("pg_ctl"), &data_dir, &runner).expect("status"));

        let mut second = EmbeddedPostgres::start(options(&tmp)).expect("start over running cluster");
        let (ok, out, err) = psql(&second, "postgres", "select 1");
        assert!(ok, "{err}");
        assert_eq!(out, "1");
        second.stop();
        assert!(!is_running(&bin_dir.join("pg_ctl"), &data_dir, &runner).expect("status"));
        reaper.vanish_for_tests();
    }

    #[test]
    fn start_failure_quotes_the_server_log() {
        let tmp = TempDir::new("embedded-badconf");
        let mut pg = EmbeddedPostgres::start(options(&tmp)).expect("first start");
        pg.stop();
        let conf = pg.data_dir.join("postgresql.conf");
        let mut text = fs::read_to_string(&conf).expect("read postgresql.conf");
        text.push_str("\nloket_bogus_setting = 1\n");
        fs::write(&conf, text).expect("write postgresql.conf");

        let error = EmbeddedPostgres::start(options(&tmp)).expect_err("bad config must fail");
        assert!(matches!(error, EmbeddedError::StartFailed { .. }), "{error}");
        let message = error.to_string();
        assert!(message.contains("loket_bogus_setting"), "{message}");
        assert!(message.contains("postgres.log"), "{message}");
    }

    #[test]
    fn cluster_from_missing_major_version_is_explained() {
        let tmp = TempDir::new("embedded-version");
        let data = tmp.0.join("loket").join(DATA_SUBDIR);
        fs::create_dir_all(&data).expect("mkdir");
        fs::write(data.join("PG_VERSION"), "9.1\n").expect("write PG_VERSION");
        let error = EmbeddedPostgres::start(options(&tmp)).expect_err("version mismatch");
        assert!(matches!(error, EmbeddedError::VersionMismatch { .. }), "{error}");
        assert!(error.to_string().contains("postgresql-9.1"), "{error}");
    }

    #[test]
    fn connection_string_parses_as_libpq_conninfo() {
        let tmp = TempDir::new("embedded-conn");
        let pg = EmbeddedPostgres::start(options(&tmp)).expect("start");
        let conninfo = pg.connection_string("postgres");
        assert_eq!(
            conninfo,
            format!(
                "host={} port=5432 user=postgres dbname=postgres",
                pg.socket_dir.display()
            )
        );
        let output = Command::new(pg.client_program("psql"))
            .args(["-X", "-tA", "-c", "select 1"])
            .arg(&conninfo)
            .output()
            .expect("run psql");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }

    #[test]
    fn conninfo_values_are_quoted_when_needed() {
        assert_eq!(conninfo_value("loket"), "loket");
        assert_eq!(conninfo_value(""), "''");
        assert_eq!(conninfo_value("a b"), "'a b'");
        assert_eq!(conninfo_value(r"it's\"), r"'it\'s\\'");
    }

    #[test]
    fn no_binaries_is_one_clear_error() {
        let tmp = TempDir::new("embedded-nobin");
        let empty = tmp.0.join("empty");
        fs::create_dir_all(&empty).expect("mkdir");
        let error = find_bin_dir_in(std::slice::from_ref(&empty), &tmp.0.join("no-such-root"))
            .expect_err("no binaries must be an error");
        assert!(matches!(error, EmbeddedError::NoBinaries));
        let message = error.to_string();
        assert!(message.contains("apt-get install postgresql"), "{message}");
        assert!(message.contains("DATABASE_URL"), "{message}");

        // A directory with only some of the binaries does not count.
        fs::write(empty.join("initdb"), "").expect("write");
        fs::set_permissions(empty.join("initdb"), fs::Permissions::from_mode(0o755)).expect("chmod");
        assert!(find_bin_dir_in(&[empty], &tmp.0).is_err());
    }

    #[test]
    fn picks_path_first_then_highest_version() {
        let tmp = TempDir::new("embedded-find");
        let root = tmp.0.join("lib");
        for version in ["9.6", "15", "16", "notaversion"] {
            make_fake_bin_dir(&root.join(version).join("bin"));
        }
        fs::create_dir_all(root.join("17")).expect("incomplete version dir");
        let none: [PathBuf; 0] = [];
        assert_eq!(
            find_bin_dir_in(&none, &root).expect("versioned"),
            root.join("16").join("bin")
        );

        let on_path = tmp.0.join("path-bin");
        make_fake_bin_dir(&on_path);
        let path = [tmp.0.join("nothing-here"), on_path.clone()];
        assert_eq!(find_bin_dir_in(&path, &root).expect("on PATH"), on_path);
    }

    #[test]
    fn too_long_socket_path_is_rejected_before_touching_disk() {
        let tmp = TempDir::new("embedded-long");
        let dir = tmp.0.join("x".repeat(120));
        let error = EmbeddedPostgres::start(EmbeddedOptions {
            dir: dir.clone(),
            throwaway: true,
        })
        .expect_err("socket path too long");
        assert!(matches!(error, EmbeddedError::SocketPathTooLong { .. }), "{error}");
        assert!(error.to_string().contains("LOKET_DATA_DIR"));
        assert!(!dir.exists());
    }

    #[test]
    fn shell_unsafe_paths_are_rejected() {
        let tmp = TempDir::new("embedded-unsafe");
        let error = EmbeddedPostgres::start(EmbeddedOptions {
            dir: tmp.0.join("a$b"),
            throwaway: true,
        })
        .expect_err("unsafe path");
        assert!(matches!(error, EmbeddedError::UnsupportedPath { .. }), "{error}");
    }

    #[test]
    fn finds_first_directory_the_user_cannot_enter() {
        let tmp = TempDir::new("embedded-perm");
        let closed = tmp.0.join("closed");
        let inner = closed.join("inner");
        fs::create_dir_all(&inner).expect("mkdir");
        fs::set_permissions(&closed, fs::Permissions::from_mode(0o700)).expect("chmod");
        let meta = fs::metadata(&closed).expect("stat");
        let stranger = UserIds {
            uid: meta.uid().wrapping_add(12345),
            gid: meta.gid().wrapping_add(12345),
        };
        assert_eq!(first_untraversable(&inner, stranger), Some(closed.clone()));
        let owner = UserIds {
            uid: meta.uid(),
            gid: meta.gid(),
        };
        assert_eq!(first_untraversable(&inner, owner), None);
        fs::set_permissions(&closed, fs::Permissions::from_mode(0o711)).expect("chmod");
        assert_eq!(first_untraversable(&inner, stranger), None);
    }

    #[test]
    fn major_version_parsing() {
        assert_eq!(
            major_version("postgres (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)\n").as_deref(),
            Some("15")
        );
        assert_eq!(major_version("postgres (PostgreSQL) 9.6.24").as_deref(), Some("9.6"));
        assert_eq!(major_version("postgres (PostgreSQL) 17beta1").as_deref(), Some("17"));
        assert_eq!(major_version("something else"), None);
    }
}
