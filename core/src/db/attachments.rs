//! Attachments' bytes in PostgreSQL (`attachment_chunks`), so every instance serves every file: written
//! in chunks in the transaction that records the attachment, read a chunk at a time. Files stored under a
//! data directory before that (`attachments.storage_path`) are moved in by [`import_legacy`] at start.

use std::path::Path;

use deadpool_postgres::GenericClient;
use loket_protocol::AttachmentId;

use crate::data_dir::ATTACHMENTS_DIR;
use crate::db::{self, Pool};
use crate::error::AppError;

/// Bytes per stored chunk: a download holds one chunk in memory at a time.
pub const CHUNK_BYTES: usize = 256 * 1024;
/// Largest attachment accepted, in bytes (Telegram's bots may fetch files up to 20 MB).
pub const MAX_ATTACHMENT_BYTES: usize = 20 * 1024 * 1024;

/// What a download needs to know of an attachment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAttachment {
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    /// How many chunks hold its bytes.
    pub chunks: i32,
    /// A file under some instance's data directory, relative to it, for one stored before the bytes moved
    /// into the database and not moved yet.
    pub legacy_path: Option<String>,
    /// The ticket it is attached to (whose queue decides who may download it).
    pub ticket_id: loket_protocol::TicketId,
}

/// Stores `content` as attachment `id`'s bytes. Call it in the transaction that inserts the attachment.
pub async fn write(db: &impl GenericClient, id: AttachmentId, content: &[u8]) -> Result<(), AppError> {
    let chunks: Vec<&[u8]> = content.chunks(CHUNK_BYTES).collect();
    let statement = db
        .prepare_cached(
            "INSERT INTO attachment_chunks (attachment_id, seq, bytes)
             SELECT $1, (c.ordinality - 1)::integer, c.bytes FROM unnest($2::bytea[]) WITH ORDINALITY AS c(bytes, ordinality)",
        )
        .await?;
    db.execute(&statement, &[&id.0, &chunks]).await?;
    Ok(())
}

/// Attachment `id`'s name, type, size and where its bytes are.
pub async fn stored(db: &impl GenericClient, id: AttachmentId) -> Result<Option<StoredAttachment>, AppError> {
    let row = db
        .query_opt(
            &db.prepare_cached(
                "SELECT a.file_name, a.content_type, a.size_bytes, a.storage_path,
                        (SELECT count(*) FROM attachment_chunks c WHERE c.attachment_id = a.id)::integer,
                        a.ticket_id
                 FROM attachments a WHERE a.id = $1",
            )
            .await?,
            &[&id.0],
        )
        .await?;
    Ok(row.map(|r| StoredAttachment {
        file_name: r.get(0),
        content_type: r.get(1),
        size_bytes: r.get(2),
        legacy_path: r.get(3),
        chunks: r.get(4),
        ticket_id: loket_protocol::TicketId(r.get(5)),
    }))
}

/// Attachment `id`'s name and type with its whole content, for sending it on (to a reporter on Telegram:
/// at most [`MAX_ATTACHMENT_BYTES`] in memory); none if there is no such attachment or its bytes are not
/// in the database yet (a file of a data directory not moved in).
pub async fn content(
    db: &impl GenericClient,
    id: AttachmentId,
) -> Result<Option<(StoredAttachment, Vec<u8>)>, AppError> {
    let Some(stored) = stored(db, id).await? else {
        return Ok(None);
    };
    if stored.chunks == 0 && stored.size_bytes > 0 {
        return Ok(None);
    }
    let rows = db
        .query(
            &db.prepare_cached("SELECT bytes FROM attachment_chunks WHERE attachment_id = $1 ORDER BY seq")
                .await?,
            &[&id.0],
        )
        .await?;
    let mut bytes = Vec::with_capacity(usize::try_from(stored.size_bytes).unwrap_or(0));
    for row in rows {
        bytes.extend_from_slice(row.get::<_, &[u8]>(0));
    }
    Ok(Some((stored, bytes)))
}

/// Chunk `seq` of attachment `id`.
pub async fn chunk(db: &impl GenericClient, id: AttachmentId, seq: i32) -> Result<Option<Vec<u8>>, AppError> {
    let row = db
        .query_opt(
            &db.prepare_cached("SELECT bytes FROM attachment_chunks WHERE attachment_id = $1 AND seq = $2")
                .await?,
            &[&id.0, &seq],
        )
        .await?;
    Ok(row.map(|r| r.get(0)))
}

/// Moves the bytes of attachments still stored as files under `data_dir` into the database, each in its own
/// transaction, and deletes each file once its bytes are committed. Files this instance does not have (an
/// other instance's data directory) are left for that instance. Returns how many it moved.
pub async fn import_legacy(pool: &Pool, data_dir: &Path) -> Result<u64, AppError> {
    let legacy: Vec<(i64, String)> = {
        let client = pool.get().await?;
        client
            .query(
                "SELECT id, storage_path FROM attachments WHERE storage_path IS NOT NULL ORDER BY id",
                &[],
            )
            .await?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect()
    };
    let Ok(root) = data_dir.canonicalize() else {
        return Ok(0);
    };
    let mut moved = 0;
    for (id, relative) in legacy {
        // Only files under the attachments folder of this data directory, links never followed out of it.
        let Ok(path) = root.join(&relative).canonicalize() else {
            continue;
        };
        if !path.starts_with(root.join(ATTACHMENTS_DIR)) {
            tracing::warn!(
                attachment = id,
                "an attachment's file is outside the data directory; not moved"
            );
            continue;
        }
        let content = match tokio::fs::read(&path).await {
            Ok(content) => content,
            Err(err) => {
                tracing::warn!(attachment = id, error = %err, "cannot read an attachment's file; not moved");
                continue;
            }
        };
        let mut client = pool.get().await?;
        let tx = client.transaction().await?;
        let updated = tx
            .execute(
                "UPDATE attachments SET storage_path = NULL, size_bytes = $2 WHERE id = $1 AND storage_path = $3",
                &[&id, &i64::try_from(content.len()).unwrap_or(i64::MAX), &relative],
            )
            .await?;
        if updated == 1 {
            tx.execute("DELETE FROM attachment_chunks WHERE attachment_id = $1", &[&id])
                .await?;
            write(&tx, AttachmentId(id), &content).await?;
        }
        db::commit(tx).await?;
        if updated == 1 {
            moved += 1;
            if let Err(err) = tokio::fs::remove_file(&path).await {
                tracing::warn!(attachment = id, error = %err, "moved an attachment into the database but cannot delete its file");
            }
        }
    }
    Ok(moved)
}
