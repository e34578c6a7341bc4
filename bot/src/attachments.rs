//! Files reporters send: fetched through the Bot API (`getFile`, then the file URL) and recorded with their
//! bytes through the desk (they are stored in PostgreSQL, so every instance serves them).

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use loket_core::AppError;
use loket_core::db::attachments::MAX_ATTACHMENT_BYTES;
use loket_core::reporting::StoredFile;
use loket_protocol::ticket::Attachment;
use loket_protocol::{CommentId, ReporterId, TicketId};
use teloxide::net::Download;
use teloxide::prelude::*;
use teloxide::types::FileId;
use tokio::io::AsyncWrite;

use crate::dialogue::PendingFile;
use crate::handlers::Ctx;

/// Longest stored file name, in characters.
const MAX_NAME_CHARS: usize = 80;

/// Why a file could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum AttachmentError {
    #[error("telegram: {0}")]
    Telegram(#[from] teloxide::RequestError),
    #[error("download: {0}")]
    Download(#[from] teloxide::DownloadError),
    #[error("the desk refused it: {0}")]
    Desk(#[from] AppError),
}

/// A name safe to use in a path and a download: letters, digits, `.`, `-` and `_`, never starting with a dot.
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

/// Collects a download in memory, refusing more than `limit` bytes (whatever size Telegram announced).
struct Bounded {
    bytes: Vec<u8>,
    limit: usize,
}

impl AsyncWrite for Bounded {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        if this.bytes.len() + buf.len() > this.limit {
            return Poll::Ready(Err(std::io::Error::other("the file is larger than Loket accepts")));
        }
        this.bytes.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
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
    let bot = &ctx.bot;
    if ctx
        .desk
        .reporter_file_recorded(reporter, ticket, comment, &file.file_id)
        .await?
    {
        return Ok(None);
    }
    let remote = bot.get_file(FileId(file.file_id.clone())).await?;
    let mut download = Bounded {
        bytes: Vec::new(),
        limit: MAX_ATTACHMENT_BYTES,
    };
    bot.download_file(&remote.path, &mut download).await?;
    let stored = StoredFile {
        comment,
        file_name: file.file_name.clone(),
        content_type: file.content_type.clone(),
        content: Arc::from(download.bytes),
        telegram_file_id: Some(file.file_id.clone()),
    };
    Ok(Some(ctx.desk.reporter_attachment(reporter, ticket, stored).await?))
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
