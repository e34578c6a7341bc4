//! Test data shared by the reducer tests.

use chrono::{TimeZone, Utc};
use loket_protocol::ticket::{AgentRef, Priority, Status, Ticket};
use loket_protocol::{AgentId, TicketId, Timestamp};

/// A fixed instant plus `secs` seconds.
pub fn at(secs: i64) -> Timestamp {
    Utc.with_ymd_and_hms(2025, 11, 21, 9, 0, 0).unwrap() + chrono::Duration::seconds(secs)
}

pub fn agent(id: i64, name: &str) -> AgentRef {
    AgentRef {
        id: AgentId(id),
        name: name.to_string(),
    }
}

/// A fresh unlocked ticket at version 1.
pub fn ticket(id: i64) -> Ticket {
    Ticket {
        id: TicketId(id),
        key: TicketId(id).key(),
        title: format!("Ticket {id}"),
        body: "Printer on floor 2 is jammed".to_string(),
        status: Status::New,
        priority: Priority::Normal,
        category: None,
        reporter: None,
        assignee: None,
        queue: loket_protocol::QueueId::ORIGINAL,
        version: 1,
        lock: None,
        created_at: at(0),
        updated_at: at(0),
        location: None,
        reopened_at: None,
        rating: None,
        merged_into: None,
        sla: Vec::new(),
    }
}
