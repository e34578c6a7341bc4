//! Loket's wire contract: every type that crosses HTTP or the WebSocket, shared by server, bot and web client.
//!
//! Stability: the type names, `type` tags, field names and error codes in this crate are a public contract
//! documented in `docs/protocol.md`. Fields may be added (optional, with `#[serde(default)]`); existing
//! ones are never renamed or removed. The crate depends on serde and chrono only, so it builds for wasm.

pub mod api;
pub mod attention;
pub mod canned;
pub mod error;
pub mod ids;
pub mod lifecycle;
pub mod queue;
pub mod sla;
pub mod stats;
pub mod ticket;
pub mod view;
pub mod ws;

pub use error::{ApiError, ErrorCode};
pub use ids::{
    AgentId, AttachmentId, AuditId, CannedReplyId, CategoryId, CommentId, QueueId, ReporterId, SessionId, TicketId,
};

/// Timestamps on the wire: RFC 3339 in UTC.
pub type Timestamp = chrono::DateTime<chrono::Utc>;

/// Largest WebSocket text frame the server accepts; larger frames close the connection with code 1009.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;

/// `true`, for `#[serde(default = "crate::yes")]` on flags that older peers did not send.
pub(crate) fn yes() -> bool {
    true
}
