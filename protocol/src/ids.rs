//! Typed identifiers: one newtype per kind of record, serialised as bare integers.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

id_type!(
    /// A ticket's sequential number; shown to people as its [`TicketId::key`].
    TicketId
);
id_type!(
    /// A support agent (staff member).
    AgentId
);
id_type!(
    /// A member of the public registered through the Telegram bot.
    ReporterId
);
id_type!(
    /// A ticket category.
    CategoryId
);
id_type!(
    /// A canned reply (text module) agents insert into replies.
    CannedReplyId
);
id_type!(
    /// A comment on a ticket.
    CommentId
);
id_type!(
    /// A file attached to a ticket.
    AttachmentId
);
id_type!(
    /// A queue (team): every ticket is in exactly one.
    QueueId
);
id_type!(
    /// One sign-in of an agent (a row of `sessions`). Never the token: that is secret.
    SessionId
);
id_type!(
    /// One entry of the admin audit trail.
    AuditId
);

impl QueueId {
    /// The queue migration V18 created and put every ticket of the time in: events logged before queues
    /// existed carry no queue, and are about tickets of this one.
    pub const ORIGINAL: QueueId = QueueId(1);

    /// [`QueueId::ORIGINAL`], for `#[serde(default = ...)]`.
    pub fn original() -> QueueId {
        QueueId::ORIGINAL
    }
}

impl TicketId {
    /// The human-facing key, `TKT-0001`; numbers beyond four digits simply grow (`TKT-12345`).
    pub fn key(self) -> String {
        format!("TKT-{:04}", self.0)
    }

    /// Parses `TKT-0042`, `tkt-42` or a bare `42`.
    pub fn parse_key(text: &str) -> Option<TicketId> {
        let text = text.trim();
        let digits = match text.get(..4) {
            Some(prefix) if prefix.eq_ignore_ascii_case("TKT-") => &text[4..],
            _ => text,
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse::<i64>().ok().filter(|n| *n > 0).map(TicketId)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_zero_padded_and_parse_back() {
        assert_eq!(TicketId(1).key(), "TKT-0001");
        assert_eq!(TicketId(12345).key(), "TKT-12345");
        assert_eq!(TicketId::parse_key("TKT-0042"), Some(TicketId(42)));
        assert_eq!(TicketId::parse_key(" tkt-7 "), Some(TicketId(7)));
        assert_eq!(TicketId::parse_key("42"), Some(TicketId(42)));
        assert_eq!(TicketId::parse_key("TKT-"), None);
        assert_eq!(TicketId::parse_key("0"), None);
        assert_eq!(TicketId::parse_key("TKT-4x"), None);
    }
}
