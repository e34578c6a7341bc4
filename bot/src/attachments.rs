//! Files reporters send: fetched through the Bot API (`getFile`, then the file URL) into the data directory.

use std::path::{Path, PathBuf};

use deadpool_postgres::Pool;
use loket_protocol::{CommentId, TicketId};
use teloxide::net::Download;
use teloxide::prelude::*;
use teloxide::types::FileId;
use tokio::io::AsyncWriteExt;

use crate::dialogue::PendingFile;

/// Longest stored file name, in characters.
const MAX_NAME_CHARS: usize = 80;
/// Folder under the data directory that holds attachments, one sub-folder per ticket.
pub const ATTACHMENTS_DIR: &str = "attachments";

/// Why a file could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum AttachmentError {
    #[error("telegram: {0}")]
    Telegram(#[from] teloxide::RequestError),
    #[error("download: {0}")]
    Download(#[from] teloxide::DownloadError),
    #[error("file system: {0}")]
    Io(#[from] std::io::Error),
    #[error("database: {0}")]
    Store(#[from] crate::store::StoreError),
}

impl From<tokio_postgres::Error> for AttachmentError {
    fn from(e: tokio_postgres::Error) -> Self {
        AttachmentError::Store(e.into())
    }
}

impl From<deadpool_postgres::PoolError> for AttachmentError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        AttachmentError::Store(e.into())
    }
}

/// A name safe to use in a path: letters, digits, `.`, `-` and `_`, never starting with a dot.
pub fn safe_file_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(MAX_NAME_CHARS)
        .collect();
    let cleaned = cleaned.trim_start_matches('.');
    if cleaned.is_empty() {
        "file".to_string()
    } else {
        cleaned.to_string()
    }
}

/// Downloads `file` and records it on `ticket` (and `comment`, for a follow-up), as reporter `reporter`.
pub async fn store(
    bot: &Bot,
    pool: &Pool,
    data_dir: &Path,
    reporter: i64,
    ticket: TicketId,
    comment: Option<CommentId>,
    file: &PendingFile,
) -> Result<(), AttachmentError> {
    let remote = bot.get_file(FileId(file.file_id.clone())).await?;
    let relative: PathBuf = [
        ATTACHMENTS_DIR.to_string(),
        ticket.0.to_string(),
        format!("{:016x}-{}", rand::random::<u64>(), safe_file_name(&file.file_name)),
    ]
    .iter()
    .collect();
    let absolute = data_dir.join(&relative);
    if let Some(dir) = absolute.parent() {
        tokio::fs::create_dir_all(dir).await?;
    }
    let mut out = tokio::fs::File::create(&absolute).await?;
    if let Err(err) = bot.download_file(&remote.path, &mut out).await {
        drop(out);
        let _ = tokio::fs::remove_file(&absolute).await;
        return Err(err.into());
    }
    // tokio's File writes in the background: flush before measuring, and sync before the row points at it.
    out.flush().await?;
    out.sync_all().await?;
    drop(out);
    let size = tokio::fs::metadata(&absolute).await?.len() as i64;
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    tx.execute(
        "INSERT INTO attachments (ticket_id, comment_id, file_name, content_type, size_bytes, storage_path, telegram_file_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            &ticket.0,
            &comment.map(|c| c.0),
            &file.file_name,
            &file.content_type,
            &size,
            &relative.to_string_lossy().as_ref(),
            &file.file_id,
        ],
    )
    .await?;
    tx.execute(
        "INSERT INTO ticket_events (ticket_id, actor_reporter_id, kind, new_value) VALUES ($1, $2, 'attachment_added', $3)",
        &[&ticket.0, &reporter, &file.file_name],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_cannot_escape_the_folder() {
        assert_eq!(safe_file_name("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(safe_file_name(".hidden"), "hidden");
        assert_eq!(safe_file_name("foto jalan.jpg"), "foto_jalan.jpg");
        assert_eq!(safe_file_name(""), "file");
        assert_eq!(safe_file_name(&"a".repeat(500)).len(), MAX_NAME_CHARS);
    }
}
