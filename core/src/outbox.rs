//! The notification outbox: what a reporter hears about a committed change, queued as data in that
//! change's own transaction.
//!
//! [`notice_for`] is the one rule deciding which change queues which [`Notice`]; [`enqueue`] writes it;
//! after the commit the ticket actor calls [`OutboxSignal::pending`], which wakes whoever delivers the
//! outbox (the Telegram bot). The core never words a message: the bot does, in the reporter's language.

use std::sync::Arc;

use deadpool_postgres::GenericClient;
use loket_protocol::ticket::{Author, Status};
use loket_protocol::{AttachmentId, TicketId};
use tokio::sync::Notify;

pub use loket_protocol::ticket::Notice;

/// A committed change, as far as reporters care.
#[derive(Debug, Clone, Copy)]
pub enum Change<'a> {
    /// The ticket's fields changed; its status went from `old` to `new` (equal when it did not move).
    Updated { old: Status, new: Status },
    /// A comment was added. With an agent author, `public_name` is the name they show reporters (if
    /// they set one).
    Commented {
        author: &'a Author,
        public_name: Option<&'a str>,
        body: &'a str,
        internal: bool,
        /// Files the agent attached to the comment.
        attachments: &'a [AttachmentId],
    },
}

/// What, if anything, the reporter is told about `change`: status moves and agents' public replies, the
/// latter under the agent's public name or none (the bot then names the desk), never their account name.
pub fn notice_for(change: Change<'_>) -> Option<Notice> {
    match change {
        Change::Updated { old, new } if old != new => Some(Notice::StatusChanged { status: new }),
        Change::Updated { .. } => None,
        Change::Commented {
            author: Author::Agent { .. },
            public_name,
            body,
            internal: false,
            attachments,
        } => Some(Notice::AgentReply {
            agent: public_name.map(str::to_string),
            body: body.to_string(),
            attachments: attachments.to_vec(),
        }),
        Change::Commented { .. } => None,
    }
}

/// The stable name of a notice's kind, as stored in `notifications.kind`.
pub fn kind(notice: &Notice) -> &'static str {
    match notice {
        Notice::StatusChanged { .. } => "status_changed",
        Notice::AgentReply { .. } => "agent_reply",
        Notice::Merged { .. } => "merged",
    }
}

/// Queues `notice` for the reporter of `ticket`, if it has one, and for the reporters linked to it by a
/// merge (`ticket_reporters`), in one statement. Returns the first notification's id (none when nobody
/// is told). Call it inside the transaction that commits the change.
pub async fn enqueue(
    db: &impl GenericClient,
    ticket: TicketId,
    notice: &Notice,
) -> Result<Option<i64>, tokio_postgres::Error> {
    // Serialising a plain enum of strings cannot fail.
    let data = serde_json::to_value(notice).unwrap_or(serde_json::Value::Null);
    let statement = db
        .prepare_cached(
            "INSERT INTO notifications (ticket_id, reporter_id, chat_id, kind, data)
             SELECT $1, r.id, r.chat_id, $2, $3
             FROM reporters r
             WHERE r.id = (SELECT reporter_id FROM tickets WHERE id = $1)
                OR r.id IN (SELECT reporter_id FROM ticket_reporters WHERE ticket_id = $1)
             ORDER BY r.id
             RETURNING id",
        )
        .await?;
    let rows = db.query(&statement, &[&ticket.0, &kind(notice), &data]).await?;
    Ok(rows.first().map(|r| r.get(0)))
}

/// Says "notifications pending" once something was committed to the outbox. Cheap to clone; a signal
/// given while nobody waits is kept for the next wait, so none is lost.
#[derive(Debug, Clone, Default)]
pub struct OutboxSignal(Arc<Notify>);

impl OutboxSignal {
    /// Something was committed to the outbox.
    pub fn pending(&self) {
        self.0.notify_one();
    }

    /// Resolves at the next [`pending`](Self::pending) (or at once if one came since the last wait).
    pub async fn wait(&self) {
        self.0.notified().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use loket_protocol::{AgentId, ReporterId};

    fn agent() -> Author {
        Author::Agent {
            id: AgentId(1),
            name: "Ana".into(),
        }
    }

    #[test]
    fn status_moves_are_told_and_other_edits_are_not() {
        let moved = Change::Updated {
            old: Status::Open,
            new: Status::Pending,
        };
        assert_eq!(
            notice_for(moved),
            Some(Notice::StatusChanged {
                status: Status::Pending
            })
        );
        let same = Change::Updated {
            old: Status::Open,
            new: Status::Open,
        };
        assert_eq!(notice_for(same), None);
    }

    #[test]
    fn only_public_agent_replies_are_told() {
        let author = agent();
        let public = Change::Commented {
            author: &author,
            public_name: Some("Petugas Ana"),
            body: "On our way",
            internal: false,
            attachments: &[],
        };
        assert_eq!(
            notice_for(public),
            Some(Notice::AgentReply {
                agent: Some("Petugas Ana".into()),
                body: "On our way".into(),
                attachments: vec![],
            })
        );
        // Without a public name the reporter is not told the account's name.
        let unnamed = Change::Commented {
            author: &author,
            public_name: None,
            body: "On our way",
            internal: false,
            attachments: &[],
        };
        assert_eq!(
            notice_for(unnamed),
            Some(Notice::AgentReply {
                agent: None,
                body: "On our way".into(),
                attachments: vec![],
            })
        );
        let internal = Change::Commented {
            author: &author,
            public_name: None,
            body: "note",
            internal: true,
            attachments: &[AttachmentId(5)],
        };
        assert_eq!(
            notice_for(internal),
            None,
            "an internal note's files never reach the reporter"
        );
        let with_file = Change::Commented {
            author: &author,
            public_name: None,
            body: "Foto perbaikan",
            internal: false,
            attachments: &[AttachmentId(5)],
        };
        assert!(
            matches!(notice_for(with_file), Some(Notice::AgentReply { attachments, .. }) if attachments == vec![AttachmentId(5)])
        );
        let reporter = Author::Reporter {
            id: ReporterId(3),
            name: "Budi".into(),
        };
        let own = Change::Commented {
            author: &reporter,
            public_name: None,
            body: "thanks",
            internal: false,
            attachments: &[],
        };
        assert_eq!(notice_for(own), None, "a reporter is not told of their own message");
    }

    #[test]
    fn notices_are_stored_with_a_kind_tag() {
        let notice = Notice::StatusChanged {
            status: Status::Resolved,
        };
        let json = serde_json::to_value(&notice).unwrap();
        assert_eq!(json["kind"], kind(&notice));
        assert_eq!(json["status"], "resolved");
    }
}
