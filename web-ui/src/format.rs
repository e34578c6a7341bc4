//! Human-facing formatting: labels, ages, times, sizes and event descriptions. Pure functions, unit-tested.

use chrono::{DateTime, Local, Utc};
use loket_protocol::Timestamp;
use loket_protocol::api::Role;
use loket_protocol::ticket::{Author, Field, Priority, Status, TicketEvent, TicketEventKind};

/// The current time. In the browser chrono reads it from JavaScript's `Date` (feature `wasmbind`).
pub fn now() -> Timestamp {
    Utc::now()
}

pub fn status_label(status: Status) -> &'static str {
    match status {
        Status::New => "New",
        Status::Open => "Open",
        Status::Pending => "Pending",
        Status::Resolved => "Resolved",
        Status::Closed => "Closed",
    }
}

/// A field's label in forms and tables.
pub fn field_label(field: Field) -> &'static str {
    match field {
        Field::Title => "Title",
        Field::Body => "Description",
        Field::Status => "Status",
        Field::Priority => "Priority",
        Field::Assignee => "Assignee",
        Field::Category => "Category",
    }
}

pub fn priority_label(priority: Priority) -> &'static str {
    match priority {
        Priority::Low => "Low",
        Priority::Normal => "Normal",
        Priority::High => "High",
        Priority::Urgent => "Urgent",
    }
}

pub fn role_label(role: Role) -> &'static str {
    match role {
        Role::Admin => "Admin",
        Role::Agent => "Agent",
    }
}

/// Sort rank of a priority: urgent first.
pub fn priority_rank(priority: Priority) -> u8 {
    match priority {
        Priority::Urgent => 0,
        Priority::High => 1,
        Priority::Normal => 2,
        Priority::Low => 3,
    }
}

/// A compact age for tables: `now`, `5m`, `3h`, `2d`, `6w`.
pub fn age(now: Timestamp, then: Timestamp) -> String {
    let secs = (now - then).num_seconds().max(0);
    match secs {
        0..60 => "now".to_string(),
        60..3_600 => format!("{}m", secs / 60),
        3_600..86_400 => format!("{}h", secs / 3_600),
        86_400..1_209_600 => format!("{}d", secs / 86_400),
        _ => format!("{}w", secs / 604_800),
    }
}

/// A relative time for sentences: `just now`, `5 min ago`, `3 h ago`, `2 days ago`.
pub fn ago(now: Timestamp, then: Timestamp) -> String {
    let secs = (now - then).num_seconds().max(0);
    match secs {
        0..45 => "just now".to_string(),
        45..3_600 => format!("{} min ago", (secs / 60).max(1)),
        3_600..86_400 => format!("{} h ago", secs / 3_600),
        86_400..172_800 => "yesterday".to_string(),
        _ => format!("{} days ago", secs / 86_400),
    }
}

/// A local wall-clock date and time, `21 Nov 2025, 14:03`.
pub fn datetime(at: Timestamp) -> String {
    let local: DateTime<Local> = at.with_timezone(&Local);
    local.format("%-d %b %Y, %H:%M").to_string()
}

/// A local time of day, `14:03`.
pub fn clock(at: Timestamp) -> String {
    at.with_timezone(&Local).format("%H:%M").to_string()
}

/// A file size in the units people read: `512 B`, `12 KB`, `1.4 MB`.
pub fn file_size(bytes: i64) -> String {
    let bytes = bytes.max(0) as f64;
    if bytes < 1024.0 {
        format!("{bytes} B")
    } else if bytes < 1024.0 * 1024.0 {
        format!("{:.0} KB", bytes / 1024.0)
    } else {
        format!("{:.1} MB", bytes / (1024.0 * 1024.0))
    }
}

/// Who did something, as a display name.
pub fn author_name(author: &Author) -> String {
    match author {
        Author::Agent { name, .. } | Author::Reporter { name, .. } => name.clone(),
        Author::System => "Loket".to_string(),
    }
}

/// Initials for an avatar: `Ayu Lestari` → `AL`.
pub fn initials(name: &str) -> String {
    let letters: String = name
        .split_whitespace()
        .filter_map(|word| word.chars().next())
        .take(2)
        .collect();
    if letters.is_empty() {
        "?".to_string()
    } else {
        letters.to_uppercase()
    }
}

/// Turns a value from the audit trail into a name when it is an id the client knows (see `Directory`).
pub type Lookup<'a> = dyn Fn(Field, &str) -> Option<String> + 'a;

/// A field value from the audit trail in words: status and priority names get their labels; `lookup`
/// turns ids of agents and categories into names when it knows them (the trail records names).
pub fn field_value(field: Option<Field>, value: Option<&str>, lookup: &Lookup<'_>) -> String {
    let Some(value) = value.filter(|v| !v.is_empty()) else {
        return "nothing".to_string();
    };
    match field {
        Some(Field::Status) => Status::parse(value).map(status_label).unwrap_or(value).to_string(),
        Some(Field::Priority) => Priority::parse(value).map(priority_label).unwrap_or(value).to_string(),
        Some(field) => lookup(field, value).unwrap_or_else(|| value.to_string()),
        None => value.to_string(),
    }
}

/// One line of history: what the actor did (the actor's name is shown separately).
pub fn describe_event(event: &TicketEvent, lookup: &Lookup<'_>) -> String {
    let reason = event
        .reason
        .as_deref()
        .filter(|r| !r.trim().is_empty())
        .map(|r| format!(": “{}”", r.trim()))
        .unwrap_or_default();
    match event.kind {
        TicketEventKind::Created => "created the ticket".to_string(),
        TicketEventKind::Changed => match event.field {
            Some(field @ (Field::Title | Field::Body)) => format!("edited the {}", field_label(field).to_lowercase()),
            field => format!(
                "changed {} from {} to {}",
                field
                    .map(|f| field_label(f).to_lowercase())
                    .unwrap_or_else(|| "a field".to_string()),
                field_value(field, event.old_value.as_deref(), lookup),
                field_value(field, event.new_value.as_deref(), lookup)
            ),
        },
        TicketEventKind::Commented => "added a comment".to_string(),
        TicketEventKind::LockTaken => "started editing (took the lock)".to_string(),
        TicketEventKind::LockReleased => "released the lock".to_string(),
        TicketEventKind::LockDisconnected => "lost the lock (connection closed)".to_string(),
        TicketEventKind::LockExpired => "lock expired".to_string(),
        TicketEventKind::LockBroken => format!("broke the lock{reason}"),
        TicketEventKind::AttachmentAdded => match event.new_value.as_deref() {
            Some(name) if !name.is_empty() => format!("attached {name}"),
            _ => "added an attachment".to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};
    use loket_protocol::{AgentId, TicketId};

    fn t0() -> Timestamp {
        Utc.with_ymd_and_hms(2025, 11, 21, 12, 0, 0).unwrap()
    }

    #[test]
    fn ages_are_compact() {
        let now = t0();
        assert_eq!(age(now, now - Duration::seconds(10)), "now");
        assert_eq!(age(now, now - Duration::minutes(5)), "5m");
        assert_eq!(age(now, now - Duration::hours(3)), "3h");
        assert_eq!(age(now, now - Duration::days(2)), "2d");
        assert_eq!(age(now, now - Duration::days(30)), "4w");
        // Clock skew never shows a negative age.
        assert_eq!(age(now, now + Duration::minutes(1)), "now");
        assert_eq!(ago(now, now - Duration::minutes(7)), "7 min ago");
        assert_eq!(ago(now, now - Duration::hours(30)), "yesterday");
    }

    #[test]
    fn sizes_and_initials() {
        assert_eq!(file_size(512), "512 B");
        assert_eq!(file_size(12 * 1024), "12 KB");
        assert_eq!(file_size(3 * 1024 * 1024 / 2), "1.5 MB");
        assert_eq!(initials("Ayu Lestari Putri"), "AL");
        assert_eq!(initials("budi"), "B");
        assert_eq!(initials("  "), "?");
    }

    #[test]
    fn events_read_as_sentences() {
        let lookup = |field: Field, value: &str| (field == Field::Assignee && value == "2").then(|| "Budi".to_string());
        let mut event = TicketEvent {
            id: 1,
            ticket_id: TicketId(1),
            actor: Author::Agent {
                id: AgentId(1),
                name: "Ayu".into(),
            },
            kind: TicketEventKind::Changed,
            field: Some(Field::Status),
            old_value: Some("new".into()),
            new_value: Some("open".into()),
            reason: None,
            created_at: t0(),
        };
        assert_eq!(describe_event(&event, &lookup), "changed status from New to Open");
        event.field = Some(Field::Assignee);
        event.old_value = None;
        event.new_value = Some("2".into());
        assert_eq!(describe_event(&event, &lookup), "changed assignee from nothing to Budi");
        event.old_value = Some("Budi".into());
        event.new_value = Some("Ayu Lestari".into());
        assert_eq!(
            describe_event(&event, &lookup),
            "changed assignee from Budi to Ayu Lestari",
            "the trail records names"
        );
        event.field = Some(Field::Body);
        assert_eq!(describe_event(&event, &lookup), "edited the description");
        event.field = Some(Field::Title);
        assert_eq!(describe_event(&event, &lookup), "edited the title");
        event.field = None;
        event.old_value = None;
        assert_eq!(
            describe_event(&event, &lookup),
            "changed a field from nothing to Ayu Lestari",
            "a field this client does not know"
        );
        event.field = Some(Field::Status);
        event.kind = TicketEventKind::LockBroken;
        event.reason = Some("stuck since Friday".into());
        assert_eq!(describe_event(&event, &lookup), "broke the lock: “stuck since Friday”");
    }
}
