//! Files reporters send: fetched through the Bot API (`getFile`, then the file URL) into the data directory.

use std::path::PathBuf;

use loket_core::AppError;
use loket_core::reporting::StoredFile;
use loket_protocol::ticket::Attachment;
use loket_protocol::{CommentId, ReporterId, TicketId};
use teloxide::net::Download;
use teloxide::prelude::*;
use teloxide::types::FileId;
use tokio::io::AsyncWriteExt;

use crate::dialogue::PendingFile;
use crate::handlers::Ctx;

pub use loket_core::data_dir::ATTACHMENTS_DIR;
use loket_core::data_dir::{PRIVATE_DIR_MODE, PRIVATE_FILE_MODE};

/// Longest stored file name, in characters.
const MAX_NAME_CHARS: usize = 80;

/// Why a file could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum AttachmentError {
    #[error("telegram: {0}")]
    Telegram(#[from] teloxide::RequestError),
    #[error("download: {0}")]
    Download(#[from] teloxide::DownloadError),
    #[error("file system: {0}")]
    Io(#[from] std::io::Error),
    #[error("the desk refused it: {0}")]
    Desk(#[from] AppError),
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

/// Downloads `file` and records it on `ticket` (and `comment`, for a follow-up) through the desk, as
/// `reporter`; agents receive it as `AttachmentAdded`. A file already recorded there (the update is
/// being handled again after a crash) is neither fetched nor recorded again: answers `None`.
pub async fn store(
    ctx: &Ctx,
    reporter: ReporterId,
    ticket: TicketId,
    comment: Option<CommentId>,
    file: &PendingFile,
) -> Result<Option<Attachment>, AttachmentError> {
    let (bot, data_dir) = (&ctx.bot, &ctx.data_dir);
    if ctx
        .desk
        .reporter_file_recorded(reporter, ticket, comment, &file.file_id)
        .await?
    {
        return Ok(None);
    }
    let remote = bot.get_file(FileId(file.file_id.clone())).await?;
    let relative: PathBuf = [
        ATTACHMENTS_DIR.to_string(),
        ticket.0.to_string(),
        format!("{:016x}-{}", rand::random::<u64>(), safe_file_name(&file.file_name)),
    ]
    .iter()
    .collect();
    let absolute = data_dir.join(&relative);
    // Reporters' files are for agents, through Loket: no other local user may read them.
    if let Some(dir) = absolute.parent() {
        tokio::fs::DirBuilder::new()
            .recursive(true)
            .mode(PRIVATE_DIR_MODE)
            .create(dir)
            .await?;
    }
    // A fresh random name: `create_new` never follows or reuses what is already there.
    let mut out = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(PRIVATE_FILE_MODE)
        .open(&absolute)
        .await?;
    if let Err(err) = bot.download_file(&remote.path, &mut out).await {
        drop(out);
        let _ = tokio::fs::remove_file(&absolute).await;
        return Err(err.into());
    }
    // tokio's File writes in the background: flush before measuring, and sync before the row points at it.
    out.flush().await?;
    out.sync_all().await?;
    drop(out);
    let size_bytes = tokio::fs::metadata(&absolute).await?.len() as i64;
    let stored = StoredFile {
        comment,
        file_name: file.file_name.clone(),
        content_type: file.content_type.clone(),
        size_bytes,
        storage_path: relative.to_string_lossy().into_owned(),
        telegram_file_id: Some(file.file_id.clone()),
    };
    let recorded = ctx.desk.reporter_attachment(reporter, ticket, stored).await;
    if recorded.is_err() {
        let _ = tokio::fs::remove_file(&absolute).await;
    }
    Ok(Some(recorded?))
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
