//! The WebSocket protocol at `GET /ws`: JSON text frames, one message per frame.
//!
//! Clients send [`ClientFrame`]s; the server sends [`ServerMessage`]s. A client frame may carry a
//! `request_id`; the sender then receives exactly one `Ack` or `Error` carrying the same id.

use crate::Timestamp;
use crate::api::Agent;
use crate::error::ErrorCode;
use crate::ids::{AgentId, AttachmentId, CategoryId, QueueId, TicketId};
use crate::queue::Access;
use crate::ticket::{AgentRef, Attachment, Comment, Priority, Ticket, TicketChanges, UnlockReason};
use crate::view::TicketView;
use serde::{Deserialize, Serialize};

/// Tickets per `GetTickets` page when the request names no `limit`.
pub const DEFAULT_PAGE_SIZE: u32 = 50;
/// Most tickets one `GetTickets` page holds; a larger `limit` is cut to it.
pub const MAX_PAGE_SIZE: u32 = 200;

/// A message from a client, with its optional correlation id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientFrame {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(flatten)]
    pub message: ClientMessage,
}

/// What a client can ask for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ClientMessage {
    /// Answered with `AllTickets` to the sender only: one page of the view (its fields are flattened into
    /// the message; `{"type":"GetTickets"}` alone is the default view, "open work" newest first), at most
    /// `limit` tickets (default [`DEFAULT_PAGE_SIZE`]; larger than [`MAX_PAGE_SIZE`] is cut to it; 0 is
    /// `invalid_request`), after `cursor` (the `next_cursor` of the previous page of the same view).
    GetTickets {
        #[serde(flatten)]
        view: TicketView,
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            deserialize_with = "crate::view::lenient_u32"
        )]
        limit: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cursor: Option<String>,
    },
    /// Broadcast `TicketCreated`; the Ack carries `ticket_id`.
    CreateTicket {
        title: String,
        #[serde(default)]
        body: String,
        #[serde(default)]
        priority: Priority,
        #[serde(default)]
        category_id: Option<CategoryId>,
        /// Names this request: sent again (after `outcome_unknown` or a lost connection), it answers the
        /// ticket the first one filed instead of filing another. Per agent, kept for 24 hours.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        idempotency_key: Option<String>,
    },
    /// Take or renew the edit lock. Broadcast `TicketLocked` (a renewal is not broadcast). Taking it or
    /// the holder renewing it counts as activity: it pushes the lock's idle deadline (the Ack's `idle_at`).
    LockTicket { ticket_id: TicketId },
    /// Change fields of a ticket whose lock this session holds. Broadcast `TicketUpdated`.
    UpdateTicket {
        ticket_id: TicketId,
        version: i64,
        changes: TicketChanges,
    },
    /// Give the lock back. Broadcast `TicketUnlocked` with reason `released`.
    UnlockTicket { ticket_id: TicketId },
    /// Admins only: end another agent's lock. Broadcast `TicketUnlocked` with reason `broken`.
    BreakLock { ticket_id: TicketId, reason: String },
    /// Add a public reply (`internal: false`, it reaches the reporter) or an internal note.
    AddComment {
        ticket_id: TicketId,
        body: String,
        #[serde(default)]
        internal: bool,
        /// Names this request: sent again, it answers the comment the first one added instead of adding
        /// another. Per agent, kept for 24 hours.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        idempotency_key: Option<String>,
        /// Files this agent uploaded to the ticket over REST (`POST /api/tickets/{id}/attachments`) and
        /// not yet sent: they become this comment's (a public reply's reach the reporter).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attachments: Vec<AttachmentId>,
    },
    /// Merge ticket `ticket_id` (the duplicate, at `version`) into `into` (at `into_version`). The session
    /// must hold both tickets' locks. Broadcast: a `TicketUpdated` for each (the duplicate closed with
    /// `merged_into`, the survivor at its next version); the Ack carries the survivor's `ticket_id` and
    /// `version`.
    MergeTicket {
        ticket_id: TicketId,
        version: i64,
        into: TicketId,
        into_version: i64,
    },
    /// Answered with `Pong`; clients may use it to measure latency.
    Ping,
    /// After a reconnect: send every event after position `after` this agent may see, in order, then the
    /// Ack (its `position` is the newest position sent). `resync_required` when `after` is older than
    /// the retained history (or newer than any event): reload the view instead.
    Resume { after: u64 },
    /// The agent opened the ticket: its attention signals so far are read for this agent (stored, per
    /// agent). When it was unread, `TicketRead` goes to this agent's sessions (other tabs drop the marker).
    MarkRead { ticket_id: TicketId },
}

/// What the server sends. Variants marked "broadcast" go to every connected agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ServerMessage {
    /// First message on every connection.
    Welcome {
        agent: Agent,
        /// Seconds between the server's pings; a lock lease is renewed while they are answered.
        #[serde(default)]
        heartbeat_secs: u64,
        /// The newest event's position at connect: this connection's events come after it.
        #[serde(default)]
        position: u64,
        /// Which queues' tickets this agent sees and acts on (admins: all), as of this connection. When an
        /// admin or manager changes it, the connection closes with 1012 and the client reconnects.
        #[serde(default)]
        access: Access,
    },
    /// A request with a `request_id` succeeded. Result fields depend on the request.
    Ack {
        request_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ticket_id: Option<TicketId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        version: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expires_at: Option<Timestamp>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment_id: Option<crate::ids::CommentId>,
        /// After `LockTicket`: when the lock lapses unless its holder edits (reason `idle`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        idle_at: Option<Timestamp>,
        /// After `Resume`: the newest position sent on this connection.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        position: Option<u64>,
    },
    /// A request failed; nothing was changed.
    Error {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        request_id: Option<String>,
        code: ErrorCode,
        message: String,
        /// With `version_conflict`: the current ticket.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ticket: Option<Box<Ticket>>,
        /// With `ticket_locked`: who holds the lock.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        holder: Option<AgentRef>,
    },
    /// Answer to `GetTickets` (sender only): one page of the view, in its order, with current locks.
    AllTickets {
        tickets: Vec<Ticket>,
        /// How many tickets the whole view holds (every page). A search stops counting at 1,000:
        /// then `total_exact` is false and `total` means "at least this many".
        #[serde(default)]
        total: u64,
        /// False when `total` is a lower bound (a search with more matches than it counts).
        #[serde(default = "crate::yes")]
        total_exact: bool,
        /// Ask again with this `cursor` for the next page; absent on the last page.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next_cursor: Option<String>,
        /// The snapshot includes every event up to this position: apply the events after it on top
        /// (one the snapshot already had changes nothing when applied again).
        #[serde(default)]
        position: u64,
        /// With search text: the words searched for (lower-case, accent-folded), for
        /// [`crate::view::highlight`]. Empty without text.
        #[serde(default)]
        terms: Vec<String>,
        /// The tickets of this page unread by the requesting agent (a new ticket, a reporter's reply or an
        /// assignment to them since they last opened it).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        unread: Vec<TicketId>,
    },
    /// Broadcast.
    TicketCreated {
        ticket: Ticket,
        /// This event's place in the event log: strictly increasing on every session's stream, the same
        /// for the same event on every session (docs/protocol.md, "Positions and resume").
        #[serde(default)]
        position: u64,
    },
    /// Broadcast: the lock was taken (a renewal is not broadcast: the holder's Ack carries the new expiry).
    TicketLocked {
        ticket_id: TicketId,
        /// The queue the ticket is in (absent from events logged before queues existed:
        /// [`QueueId::ORIGINAL`]). Only agents who may see that queue receive the event.
        #[serde(default = "QueueId::original")]
        queue: QueueId,
        holder: AgentRef,
        expires_at: Timestamp,
        /// When this holder took the lock.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        since: Option<Timestamp>,
        /// This event's place in the event log: strictly increasing on every session's stream, the same
        /// for the same event on every session (docs/protocol.md, "Positions and resume").
        #[serde(default)]
        position: u64,
    },
    /// Broadcast: the lock ended.
    TicketUnlocked {
        ticket_id: TicketId,
        /// The queue the ticket is in (absent from events logged before queues existed:
        /// [`QueueId::ORIGINAL`]). Only agents who may see that queue receive the event.
        #[serde(default = "QueueId::original")]
        queue: QueueId,
        reason: UnlockReason,
        /// With `broken`: the admin who broke it and why.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<AgentRef>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
        /// This event's place in the event log: strictly increasing on every session's stream, the same
        /// for the same event on every session (docs/protocol.md, "Positions and resume").
        #[serde(default)]
        position: u64,
    },
    /// Broadcast: committed field changes; `ticket.version` is one more than before.
    TicketUpdated {
        ticket: Ticket,
        /// The changed fields as they were (absent from events recorded before this field existed): lets a
        /// client that does not hold the ticket tell whether it entered or left its view.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        previous: Option<Box<crate::ticket::Previous>>,
        /// This event's place in the event log: strictly increasing on every session's stream, the same
        /// for the same event on every session (docs/protocol.md, "Positions and resume").
        #[serde(default)]
        position: u64,
    },
    /// Broadcast. Internal notes are sent to agents only, as every client here is an agent.
    CommentAdded {
        ticket_id: TicketId,
        /// The queue the ticket is in (absent from events logged before queues existed:
        /// [`QueueId::ORIGINAL`]). Only agents who may see that queue receive the event.
        #[serde(default = "QueueId::original")]
        queue: QueueId,
        comment: Comment,
        /// The ticket's SLA clocks when this comment moved them (an agent's first public reply meets
        /// the first-response promise); absent otherwise.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sla: Option<Vec<crate::sla::SlaClock>>,
        /// This event's place in the event log: strictly increasing on every session's stream, the same
        /// for the same event on every session (docs/protocol.md, "Positions and resume").
        #[serde(default)]
        position: u64,
    },
    /// Broadcast: a file was attached (by a reporter, through Telegram). With `attachment.comment_id`, it
    /// belongs to that comment, which was broadcast before it.
    AttachmentAdded {
        ticket_id: TicketId,
        /// The queue the ticket is in (absent from events logged before queues existed:
        /// [`QueueId::ORIGINAL`]). Only agents who may see that queue receive the event.
        #[serde(default = "QueueId::original")]
        queue: QueueId,
        attachment: Attachment,
        /// This event's place in the event log: strictly increasing on every session's stream, the same
        /// for the same event on every session (docs/protocol.md, "Positions and resume").
        #[serde(default)]
        position: u64,
    },
    /// Broadcast: an SLA clock of the ticket reached its warning share (docs/sla.md).
    SlaWarning {
        ticket_id: TicketId,
        /// The queue the ticket is in; only agents who may see it receive the event.
        queue: QueueId,
        target: crate::sla::SlaTarget,
        /// When the warning share was reached.
        at: Timestamp,
        /// This event's place in the event log (docs/protocol.md, "Positions and resume").
        #[serde(default)]
        position: u64,
    },
    /// Broadcast: an SLA clock of the ticket ran out (docs/sla.md).
    SlaBreached {
        ticket_id: TicketId,
        /// The queue the ticket is in; only agents who may see it receive the event.
        queue: QueueId,
        target: crate::sla::SlaTarget,
        /// When the promise ran out.
        at: Timestamp,
        /// This event's place in the event log (docs/protocol.md, "Positions and resume").
        #[serde(default)]
        position: u64,
    },
    /// Logged, never sent to a client: the queues agent `agent_id` is a member of (or manages) changed.
    /// Every instance's bus closes that agent's connections with 1012 (like a role change), so they
    /// reconnect and are welcomed with their new `access`.
    MembershipChanged {
        agent_id: AgentId,
        /// This event's place in the event log.
        #[serde(default)]
        position: u64,
    },
    /// To agent `agent_id`'s sessions only: they read the ticket (`MarkRead` or
    /// `POST /api/tickets/{id}/read`, from any tab or instance); drop its unread marker.
    TicketRead {
        ticket_id: TicketId,
        agent_id: AgentId,
        /// This event's place in the event log.
        #[serde(default)]
        position: u64,
    },
    /// Answer to `Ping`.
    Pong {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        request_id: Option<String>,
    },
}

impl ServerMessage {
    /// The error frame for `request_id`.
    pub fn error(request_id: Option<String>, code: ErrorCode, message: impl Into<String>) -> Self {
        ServerMessage::Error {
            request_id,
            code,
            message: message.into(),
            ticket: None,
            holder: None,
        }
    }

    /// The ticket this message is about, if any.
    pub fn ticket_id(&self) -> Option<TicketId> {
        match self {
            ServerMessage::TicketCreated { ticket, .. } | ServerMessage::TicketUpdated { ticket, .. } => {
                Some(ticket.id)
            }
            ServerMessage::TicketLocked { ticket_id, .. }
            | ServerMessage::TicketUnlocked { ticket_id, .. }
            | ServerMessage::CommentAdded { ticket_id, .. }
            | ServerMessage::AttachmentAdded { ticket_id, .. }
            | ServerMessage::SlaWarning { ticket_id, .. }
            | ServerMessage::SlaBreached { ticket_id, .. }
            | ServerMessage::TicketRead { ticket_id, .. } => Some(*ticket_id),
            _ => None,
        }
    }

    /// The position of a broadcast event (`None` for answers to one client).
    pub fn position(&self) -> Option<u64> {
        match self {
            ServerMessage::TicketCreated { position, .. }
            | ServerMessage::TicketLocked { position, .. }
            | ServerMessage::TicketUnlocked { position, .. }
            | ServerMessage::TicketUpdated { position, .. }
            | ServerMessage::CommentAdded { position, .. }
            | ServerMessage::AttachmentAdded { position, .. }
            | ServerMessage::SlaWarning { position, .. }
            | ServerMessage::SlaBreached { position, .. }
            | ServerMessage::MembershipChanged { position, .. }
            | ServerMessage::TicketRead { position, .. } => Some(*position),
            _ => None,
        }
    }

    /// Sets the position of a broadcast event (answers to one client have none: unchanged).
    pub fn set_position(&mut self, at: u64) {
        match self {
            ServerMessage::TicketCreated { position, .. }
            | ServerMessage::TicketLocked { position, .. }
            | ServerMessage::TicketUnlocked { position, .. }
            | ServerMessage::TicketUpdated { position, .. }
            | ServerMessage::CommentAdded { position, .. }
            | ServerMessage::AttachmentAdded { position, .. }
            | ServerMessage::SlaWarning { position, .. }
            | ServerMessage::SlaBreached { position, .. }
            | ServerMessage::MembershipChanged { position, .. }
            | ServerMessage::TicketRead { position, .. } => *position = at,
            _ => {}
        }
    }

    /// The message's `type` tag on the wire.
    pub fn type_name(&self) -> &'static str {
        match self {
            ServerMessage::Welcome { .. } => "Welcome",
            ServerMessage::Ack { .. } => "Ack",
            ServerMessage::Error { .. } => "Error",
            ServerMessage::AllTickets { .. } => "AllTickets",
            ServerMessage::TicketCreated { .. } => "TicketCreated",
            ServerMessage::TicketLocked { .. } => "TicketLocked",
            ServerMessage::TicketUnlocked { .. } => "TicketUnlocked",
            ServerMessage::TicketUpdated { .. } => "TicketUpdated",
            ServerMessage::CommentAdded { .. } => "CommentAdded",
            ServerMessage::AttachmentAdded { .. } => "AttachmentAdded",
            ServerMessage::SlaWarning { .. } => "SlaWarning",
            ServerMessage::SlaBreached { .. } => "SlaBreached",
            ServerMessage::MembershipChanged { .. } => "MembershipChanged",
            ServerMessage::TicketRead { .. } => "TicketRead",
            ServerMessage::Pong { .. } => "Pong",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn client_frames_parse_the_documented_shapes() {
        let frame: ClientFrame = serde_json::from_value(json!({
            "type": "UpdateTicket", "request_id": "r1", "ticket_id": 1, "version": 3,
            "changes": {"status": "open"}
        }))
        .unwrap();
        assert_eq!(frame.request_id.as_deref(), Some("r1"));
        match frame.message {
            ClientMessage::UpdateTicket {
                ticket_id,
                version,
                changes,
            } => {
                assert_eq!(ticket_id, TicketId(1));
                assert_eq!(version, 3);
                assert_eq!(changes.status, Some(crate::ticket::Status::Open));
            }
            other => panic!("unexpected {other:?}"),
        }
        let create: ClientFrame = serde_json::from_value(json!({"type": "CreateTicket", "title": "Printer"})).unwrap();
        assert_eq!(create.request_id, None);
        assert!(matches!(
            create.message,
            ClientMessage::CreateTicket {
                priority: Priority::Normal,
                ..
            }
        ));
        assert!(serde_json::from_value::<ClientFrame>(json!({"type": "Explode"})).is_err());
        assert!(serde_json::from_value::<ClientFrame>(json!({"type": "LockTicket"})).is_err());
    }

    #[test]
    fn server_messages_carry_their_type_tag() {
        let msg = ServerMessage::TicketUnlocked {
            ticket_id: TicketId(1),
            queue: QueueId(2),
            reason: UnlockReason::Released,
            by: None,
            message: None,
            position: 5,
        };
        assert_eq!(
            serde_json::to_value(&msg).unwrap(),
            json!({"type": "TicketUnlocked", "ticket_id": 1, "queue": 2, "reason": "released", "position": 5})
        );
        let ack = ServerMessage::Ack {
            request_id: "a".into(),
            ticket_id: Some(TicketId(4)),
            version: None,
            expires_at: None,
            comment_id: None,
            idle_at: None,
            position: None,
        };
        assert_eq!(
            serde_json::to_value(&ack).unwrap(),
            json!({"type": "Ack", "request_id": "a", "ticket_id": 4})
        );
    }

    #[test]
    fn broadcasts_carry_their_position_and_resume_reads() {
        let mut msg = ServerMessage::TicketUnlocked {
            ticket_id: TicketId(1),
            queue: QueueId::ORIGINAL,
            reason: UnlockReason::Expired,
            by: None,
            message: None,
            position: 0,
        };
        msg.set_position(42);
        assert_eq!(msg.position(), Some(42));
        assert_eq!(
            serde_json::to_value(&msg).unwrap(),
            json!({"type": "TicketUnlocked", "ticket_id": 1, "queue": 1, "reason": "expired", "position": 42})
        );
        assert_eq!(msg.type_name(), "TicketUnlocked");
        // Answers to one client have no position, and setting one changes nothing.
        let mut pong = ServerMessage::Pong { request_id: None };
        pong.set_position(7);
        assert_eq!((pong.position(), pong.type_name()), (None, "Pong"));
        // An older server's frames (no position) still read.
        let old: ServerMessage =
            serde_json::from_value(json!({"type": "TicketUnlocked", "ticket_id": 1, "reason": "released"})).unwrap();
        assert_eq!(old.position(), Some(0));
        let resume: ClientFrame =
            serde_json::from_value(json!({"type": "Resume", "after": 17, "request_id": "r9"})).unwrap();
        assert_eq!(resume.message, ClientMessage::Resume { after: 17 });
        assert!(serde_json::from_value::<ClientFrame>(json!({"type": "Resume", "after": -1})).is_err());
        let welcome: ServerMessage = serde_json::from_value(json!({
            "type": "Welcome", "agent": {"id": 1, "name": "Ana", "email": "ana@example.org", "role": "agent"},
            "heartbeat_secs": 5, "position": 9
        }))
        .unwrap();
        assert!(matches!(welcome, ServerMessage::Welcome { position: 9, .. }));
    }

    #[test]
    fn get_tickets_takes_a_view_and_stays_readable_bare() {
        let bare: ClientFrame = serde_json::from_value(json!({"type": "GetTickets"})).unwrap();
        assert_eq!(
            bare.message,
            ClientMessage::GetTickets {
                view: TicketView::default(),
                limit: None,
                cursor: None
            }
        );
        let full: ClientFrame = serde_json::from_value(json!({
            "type": "GetTickets", "request_id": "v1", "status": ["new"], "assignee": "me",
            "category_id": 3, "text": "lampu", "sort": "oldest", "limit": 20, "cursor": "abc"
        }))
        .unwrap();
        assert_eq!(full.request_id.as_deref(), Some("v1"));
        match &full.message {
            ClientMessage::GetTickets { view, limit, cursor } => {
                assert_eq!(
                    view.status,
                    crate::view::StatusFilter::List(vec![crate::ticket::Status::New])
                );
                assert_eq!(view.assignee, Some(crate::view::AssigneeFilter::Me));
                assert_eq!(view.category_id, Some(CategoryId(3)));
                assert_eq!(view.text.as_deref(), Some("lampu"));
                assert_eq!(view.sort, Some(crate::view::Sort::Oldest));
                assert_eq!((*limit, cursor.as_deref()), (Some(20), Some("abc")));
            }
            other => panic!("unexpected {other:?}"),
        }
        let again: ClientFrame = serde_json::from_value(serde_json::to_value(&full).unwrap()).unwrap();
        assert_eq!(again, full);
        assert_eq!(
            serde_json::to_value(ClientMessage::GetTickets {
                view: TicketView::default(),
                limit: None,
                cursor: None
            })
            .unwrap(),
            json!({"type": "GetTickets"})
        );
        assert!(serde_json::from_value::<ClientFrame>(json!({"type": "GetTickets", "status": "asleep"})).is_err());
        assert!(serde_json::from_value::<ClientFrame>(json!({"type": "GetTickets", "limit": -1})).is_err());
        // An older server's answer (no total, cursor or terms) still reads.
        let old: ServerMessage =
            serde_json::from_value(json!({"type": "AllTickets", "tickets": [], "position": 4})).unwrap();
        assert_eq!(
            old,
            ServerMessage::AllTickets {
                tickets: vec![],
                total: 0,
                total_exact: true,
                next_cursor: None,
                position: 4,
                terms: vec![],
                unread: vec![]
            }
        );
    }

    #[test]
    fn attachment_added_carries_the_attachment_and_its_comment() {
        let at = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let msg = ServerMessage::AttachmentAdded {
            ticket_id: TicketId(3),
            queue: QueueId::ORIGINAL,
            attachment: Attachment {
                id: crate::ids::AttachmentId(7),
                ticket_id: TicketId(3),
                file_name: "photo-1.jpg".into(),
                content_type: "image/jpeg".into(),
                size_bytes: 12,
                url: "/api/attachments/7".into(),
                created_at: at,
                comment_id: Some(crate::ids::CommentId(5)),
            },
            position: 3,
        };
        let value = serde_json::to_value(&msg).unwrap();
        assert_eq!(value["type"], "AttachmentAdded");
        assert_eq!(value["ticket_id"], 3);
        assert_eq!(value["attachment"]["id"], 7);
        assert_eq!(value["attachment"]["comment_id"], 5);
        assert_eq!(msg.ticket_id(), Some(TicketId(3)));
        assert_eq!(serde_json::from_value::<ServerMessage>(value).unwrap(), msg);
        // Older servers send no comment_id: it reads as none.
        let mut bare = serde_json::to_value(&msg).unwrap();
        bare["attachment"].as_object_mut().unwrap().remove("comment_id");
        match serde_json::from_value::<ServerMessage>(bare).unwrap() {
            ServerMessage::AttachmentAdded { attachment, .. } => assert_eq!(attachment.comment_id, None),
            other => panic!("unexpected {other:?}"),
        }
    }
}
