//! Loket's data directory on disk: its layout, who may own what in it, its modes, and looking at paths
//! without following symbolic links someone else planted.
//!
//! Layout under `LOKET_DATA_DIR`:
//!
//! * [`ATTACHMENTS_DIR`]`/<ticket>/<file>` – reporters' files (directories 0700, files 0600);
//! * [`EMBEDDED_DIR`]`/` – the embedded PostgreSQL cluster, its socket, log and lock files (see
//!   [`crate::db::embedded`]).
//!
//! The data directory belongs to the user Loket runs as and is private to it (0700). When Loket runs as
//! root with the embedded cluster, PostgreSQL runs as the `postgres` user, which must pass through the
//! data directory to reach its cluster: then the directory is 0710 with PostgreSQL's group, so that user
//! may enter it but not list or read anything in it. A data directory owned by another user is refused,
//! and so is a symbolic link on the way (or inside) that neither Loket's user nor root owns.

use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// Folder under the data directory that holds attachments, one sub-folder per ticket.
pub const ATTACHMENTS_DIR: &str = "attachments";
/// Folder under the data directory that holds the embedded PostgreSQL cluster.
pub const EMBEDDED_DIR: &str = "postgres";
/// Mode of a private directory: its owner only.
pub const PRIVATE_DIR_MODE: u32 = 0o700;
/// Mode of a directory a group may pass through (enter by name) but not list.
pub const TRAVERSABLE_DIR_MODE: u32 = 0o710;
/// Mode of a private file: its owner may read and write it.
pub const PRIVATE_FILE_MODE: u32 = 0o600;
/// The permission bits of a mode (no file type, no setuid/setgid/sticky).
const PERMISSION_BITS: u32 = 0o777;

/// A user's numeric user and group ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserIds {
    /// User id.
    pub uid: u32,
    /// Primary group id.
    pub gid: u32,
}

/// Why a path in the data directory cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    /// The path belongs to a user Loket does not run as (and, inside the cluster, not to PostgreSQL's).
    #[error(
        "{} belongs to {owner}, but loket runs as {us}; refusing to use it: run loket as its owner, \
         set LOKET_DATA_DIR to a directory of your own, or, if it is yours, `chown` it",
        .path.display()
    )]
    ForeignOwner {
        /// The path.
        path: PathBuf,
        /// Its owner, as `name (uid N)`.
        owner: String,
        /// Loket's user, as `name (uid N)`.
        us: String,
    },
    /// A symbolic link on the way belongs to someone who is neither Loket's user nor root.
    #[error(
        "{} is a symbolic link owned by {owner}, not by the user loket runs as ({us}) or root; loket does \
         not follow links it does not own: replace it with the directory itself or a link you own",
        .path.display()
    )]
    ForeignSymlink {
        /// The link.
        path: PathBuf,
        /// Its owner, as `name (uid N)`.
        owner: String,
        /// Loket's user, as `name (uid N)`.
        us: String,
    },
    /// Something other than a directory is where a directory belongs.
    #[error("{} is not a directory; set LOKET_DATA_DIR to a directory", .path.display())]
    NotADirectory {
        /// The path.
        path: PathBuf,
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
    /// `id` could not tell which user Loket runs as.
    #[error("could not tell which user loket runs as: {0}")]
    WhoAmI(String),
}

impl DataDirError {
    pub(crate) fn io(action: &'static str, path: &Path, error: io::Error) -> Self {
        DataDirError::Io {
            action,
            path: path.to_path_buf(),
            error,
        }
    }
}

/// Creates the data directory if missing and makes it private: owned by Loket's user, mode 0700, or
/// 0710 with group `traversable_by` (PostgreSQL's, when it runs as another user and keeps its cluster
/// inside). Refuses a directory owned by someone else and symbolic links on the way that neither Loket's
/// user nor root owns. Creates [`ATTACHMENTS_DIR`] in it (0700). Returns the absolute path.
pub fn prepare(dir: &Path, traversable_by: Option<u32>) -> Result<PathBuf, DataDirError> {
    let dir = private_dir(dir, traversable_by)?;
    private_dir(&dir.join(ATTACHMENTS_DIR), None)?;
    Ok(dir)
}

/// Creates `dir` if missing (its missing parents with the default mode) and makes it Loket's own: mode
/// 0700, or 0710 with group `traversable_by`. The same checks as [`prepare`]. Returns the absolute path.
pub fn private_dir(dir: &Path, traversable_by: Option<u32>) -> Result<PathBuf, DataDirError> {
    let dir = std::path::absolute(dir).map_err(|e| DataDirError::io("resolve", dir, e))?;
    let us = current_uid()?;
    check_links_on_path(&dir, us)?;
    if fs::symlink_metadata(&dir).is_err() {
        if let Some(parent) = dir.parent() {
            fs::create_dir_all(parent).map_err(|e| DataDirError::io("create directory", parent, e))?;
        }
        match fs::DirBuilder::new().mode(PRIVATE_DIR_MODE).create(&dir) {
            Ok(()) => {}
            // Created meanwhile by someone: the checks below judge it.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(DataDirError::io("create directory", &dir, e)),
        }
        // A link may have appeared in place of the directory.
        check_links_on_path(&dir, us)?;
    }
    let meta = fs::metadata(&dir).map_err(|e| DataDirError::io("inspect", &dir, e))?;
    if !meta.is_dir() {
        return Err(DataDirError::NotADirectory { path: dir });
    }
    if meta.uid() != us {
        return Err(DataDirError::ForeignOwner {
            path: dir,
            owner: describe_user(meta.uid()),
            us: describe_user(us),
        });
    }
    let mode = match traversable_by {
        Some(gid) => {
            if meta.gid() != gid {
                std::os::unix::fs::chown(&dir, None, Some(gid))
                    .map_err(|e| DataDirError::io("change the group of", &dir, e))?;
            }
            TRAVERSABLE_DIR_MODE
        }
        None => PRIVATE_DIR_MODE,
    };
    set_mode(&dir, meta.mode(), mode)?;
    Ok(dir)
}

/// Sets `path`'s permission bits to `mode` if `current` (its `st_mode`) differs, saying so when it
/// tightens what was there.
pub(crate) fn set_mode(path: &Path, current: u32, mode: u32) -> Result<(), DataDirError> {
    let current = current & PERMISSION_BITS;
    if current == mode {
        return Ok(());
    }
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .map_err(|e| DataDirError::io("set permissions of", path, e))?;
    tracing::info!(
        path = %path.display(),
        was = format!("{current:04o}"),
        now = format!("{mode:04o}"),
        "made private"
    );
    Ok(())
}

/// Fails if a component of absolute `path` (`path` included) is a symbolic link owned by neither `us`
/// nor root. Components that do not exist yet end the walk.
fn check_links_on_path(path: &Path, us: u32) -> Result<(), DataDirError> {
    let mut walked = PathBuf::new();
    for component in path.components() {
        walked.push(component);
        let Ok(meta) = fs::symlink_metadata(&walked) else {
            return Ok(());
        };
        if meta.file_type().is_symlink() && meta.uid() != us && meta.uid() != 0 {
            return Err(DataDirError::ForeignSymlink {
                path: walked,
                owner: describe_user(meta.uid()),
                us: describe_user(us),
            });
        }
    }
    Ok(())
}

/// What is at `path`, which lies inside a directory already checked: `None` if nothing. A symbolic link
/// is followed only if Loket's user owns it; what it names (or `path` itself) must belong to one of
/// `owners`.
pub(crate) fn inspect_entry(path: &Path, owners: &[u32]) -> Result<Option<fs::Metadata>, DataDirError> {
    let us = current_uid()?;
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(DataDirError::io("inspect", path, e)),
    };
    let meta = if meta.file_type().is_symlink() {
        if meta.uid() != us {
            return Err(DataDirError::ForeignSymlink {
                path: path.to_path_buf(),
                owner: describe_user(meta.uid()),
                us: describe_user(us),
            });
        }
        match fs::metadata(path) {
            Ok(meta) => meta,
            // A dangling link of ours: as good as nothing, and creating through it would follow it.
            Err(e) => return Err(DataDirError::io("follow the link", path, e)),
        }
    } else {
        meta
    };
    if !owners.contains(&meta.uid()) {
        return Err(DataDirError::ForeignOwner {
            path: path.to_path_buf(),
            owner: describe_user(meta.uid()),
            us: describe_user(us),
        });
    }
    Ok(Some(meta))
}

/// Reads at most `limit` bytes of the file at `path` (inside a checked directory), after
/// [`inspect_entry`] with `owners`.
pub(crate) fn read_small_file(path: &Path, owners: &[u32], limit: u64) -> Result<Option<String>, DataDirError> {
    use std::io::Read as _;
    let Some(meta) = inspect_entry(path, owners)? else {
        return Ok(None);
    };
    if !meta.is_file() {
        return Ok(None);
    }
    let file = fs::File::open(path).map_err(|e| DataDirError::io("open", path, e))?;
    let mut text = String::new();
    file.take(limit)
        .read_to_string(&mut text)
        .map_err(|e| DataDirError::io("read", path, e))?;
    Ok(Some(text))
}

/// The effective user id Loket runs as (asked once).
pub fn current_uid() -> Result<u32, DataDirError> {
    static UID: OnceLock<u32> = OnceLock::new();
    if let Some(uid) = UID.get() {
        return Ok(*uid);
    }
    let uid = id_query(&["-u"]).map_err(DataDirError::WhoAmI)?;
    Ok(*UID.get_or_init(|| uid))
}

/// Runs `id <args>` and parses the number it prints (uses NSS, unlike reading /etc/passwd).
pub(crate) fn id_query(args: &[&str]) -> Result<u32, String> {
    let output = Command::new("id")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("could not run `id`: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).trim().to_owned());
    }
    stdout
        .trim()
        .parse()
        .map_err(|_| format!("`id {}` printed {:?}", args.join(" "), stdout.trim()))
}

/// `name (uid N)`, or `uid N` when the user has no name.
fn describe_user(uid: u32) -> String {
    let name = Command::new("id")
        .args(["-nu", &uid.to_string()])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        .filter(|name| !name.is_empty());
    match name {
        Some(name) => format!("{name} (uid {uid})"),
        None => format!("uid {uid}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(label: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("loket-datadir-{label}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn a_new_data_directory_is_private_and_an_open_one_is_tightened() {
        let dir = scratch("new");
        let prepared = prepare(&dir, None).expect("prepare");
        let mode = |path: &Path| fs::metadata(path).expect("stat").mode() & PERMISSION_BITS;
        assert_eq!(mode(&prepared), PRIVATE_DIR_MODE);
        assert_eq!(mode(&prepared.join(ATTACHMENTS_DIR)), PRIVATE_DIR_MODE);

        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).expect("chmod");
        fs::set_permissions(dir.join(ATTACHMENTS_DIR), fs::Permissions::from_mode(0o777)).expect("chmod");
        prepare(&dir, None).expect("prepare again");
        assert_eq!(mode(&dir), PRIVATE_DIR_MODE);
        assert_eq!(mode(&dir.join(ATTACHMENTS_DIR)), PRIVATE_DIR_MODE);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_file_where_the_directory_belongs_is_refused() {
        let dir = scratch("file");
        fs::write(&dir, "not a directory").expect("write");
        let error = prepare(&dir, None).expect_err("a file");
        assert!(matches!(error, DataDirError::NotADirectory { .. }), "{error}");
        let _ = fs::remove_file(&dir);
    }

    #[test]
    fn our_own_links_are_followed() {
        let target = scratch("target");
        let link = scratch("link");
        fs::create_dir_all(&target).expect("mkdir");
        std::os::unix::fs::symlink(&target, &link).expect("symlink");
        prepare(&link, None).expect("a link we own is fine");
        assert!(target.join(ATTACHMENTS_DIR).is_dir());
        let _ = fs::remove_file(&link);
        let _ = fs::remove_dir_all(&target);
    }
}
