//! Human-facing formatting: labels, ages, times, sizes and event descriptions. Pure functions, unit-tested.

use chrono::{DateTime, Local, Utc};
use loket_protocol::Timestamp;
use loket_protocol::api::{AdminAction, AuditEntry, Role};
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
        Field::Queue => "Queue",
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
        TicketEventKind::LockIdle => "lock lapsed (no edits)".to_string(),
        TicketEventKind::LockBroken => format!("broke the lock{reason}"),
        TicketEventKind::AttachmentAdded => match event.new_value.as_deref() {
            Some(name) if !name.is_empty() => format!("attached {name}"),
            _ => "added an attachment".to_string(),
        },
        TicketEventKind::Reopened => format!(
            "reopened the ticket by replying (it was {})",
            field_value(Some(Field::Status), event.old_value.as_deref(), lookup)
        ),
        TicketEventKind::LocationSet => match event.new_value.as_deref() {
            Some(at) => format!("shared a location ({})", at.replace(',', ", ")),
            None => "shared a location".to_string(),
        },
        TicketEventKind::ReopenSeen => "answered the reopened ticket (flag cleared)".to_string(),
        TicketEventKind::MergedInto => format!(
            "merged this duplicate into {}{reason}",
            event.new_value.as_deref().unwrap_or("another ticket")
        ),
        TicketEventKind::MergedFrom => format!(
            "merged {} into this ticket{reason}",
            event.new_value.as_deref().unwrap_or("a duplicate")
        ),
        TicketEventKind::Rated => match event.new_value.as_deref() {
            Some(stars) => format!("rated the ticket {stars} of 5{reason}"),
            None => "rated the ticket".to_string(),
        },
        TicketEventKind::SlaWarning => format!("{} time is running out (SLA warning){reason}", sla_label(event)),
        TicketEventKind::SlaBreached => format!("{} promise was missed (SLA breached){reason}", sla_label(event)),
    }
}

/// "First response" or "Resolution", from an SLA event's `new_value`.
fn sla_label(event: &TicketEvent) -> &'static str {
    event
        .new_value
        .as_deref()
        .and_then(loket_protocol::sla::SlaTarget::parse)
        .map_or("An SLA", |t| t.label())
}

/// An audit entry as a sentence after the actor's name: `disabled Ana (2 sign-ins ended)`.
pub fn describe_audit(entry: &AuditEntry) -> String {
    let d = &entry.details;
    let name = d.name.clone().unwrap_or_else(|| "someone".to_string());
    let role = |value: &Option<String>| {
        value
            .as_deref()
            .and_then(Role::parse)
            .map(role_label)
            .unwrap_or("?")
            .to_lowercase()
    };
    let ended = match d.sessions_ended {
        Some(1) => " (1 sign-in ended)".to_string(),
        Some(n) if n > 1 => format!(" ({n} sign-ins ended)"),
        _ => String::new(),
    };
    match entry.action {
        AdminAction::AgentCreated => format!("added {name} as {}", role(&d.to)),
        AdminAction::AgentDisabled => format!("disabled {name}{ended}"),
        AdminAction::AgentEnabled => format!("enabled {name}"),
        AdminAction::RoleChanged => format!("changed {name}'s role from {} to {}", role(&d.from), role(&d.to)),
        AdminAction::PasswordReset => {
            let how = if d.generated == Some(true) {
                "generated a new password for"
            } else {
                "set a new password for"
            };
            format!("{how} {name}{ended}")
        }
        AdminAction::PasswordChanged => format!("changed their own password{ended}"),
        AdminAction::SessionEnded => format!("ended a sign-in of {name}"),
        AdminAction::CategoryCreated => format!("added the category {name}"),
        AdminAction::CategoryRenamed => format!(
            "renamed the category {} to {}",
            d.from.as_deref().unwrap_or("?"),
            d.to.as_deref().unwrap_or(&name)
        ),
        AdminAction::CategoryRetired => format!("retired the category {name}"),
        AdminAction::CategoryRestored => format!("brought back the category {name}"),
        AdminAction::PublicNameChanged => match (&d.from, &d.to) {
            (_, Some(to)) => format!("set their public name to {to}"),
            (_, None) => "cleared their public name".to_string(),
        },
        AdminAction::QueueCreated => format!("added the queue {name}"),
        AdminAction::QueueChanged => format!("changed the queue {name}: {}", d.to.as_deref().unwrap_or("?")),
        AdminAction::QueueMemberSet => format!("made {name} {}", d.to.as_deref().unwrap_or("a member")),
        AdminAction::QueueMemberRemoved => format!("removed {name} ({})", d.from.as_deref().unwrap_or("member")),
        AdminAction::CategoryQueueSet => format!(
            "filed the category {name}'s reports in {}",
            d.to.as_deref().unwrap_or("the default queue")
        ),
        AdminAction::SlaCalendarSaved => format!("saved the business-hours calendar {name}"),
        AdminAction::SlaPolicySaved => format!("set the service level for {name}: {}", d.to.as_deref().unwrap_or("?")),
        AdminAction::SlaPolicyDeleted => format!("removed the service level for {name}"),
    }
}

/// A short name for the client a session signed in from, from its User-Agent: `Firefox`, `Chrome`,
/// `curl`; `Unknown client` when it sent none.
pub fn client_name(user_agent: Option<&str>) -> String {
    let Some(ua) = user_agent.map(str::trim).filter(|ua| !ua.is_empty()) else {
        return "Unknown client".to_string();
    };
    // Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari".
    let known = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
    ];
    let browser = known
        .iter()
        .find(|(needle, _)| ua.contains(needle))
        .map(|(_, name)| *name);
    let system = [
        ("Android", "Android"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| *name);
    match (browser, system) {
        (Some(b), Some(s)) => format!("{b} on {s}"),
        (Some(b), None) => b.to_string(),
        _ => ua.chars().take(40).collect(),
    }
}

/// A count with thousands separated by commas: `12,345`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A duration in seconds, in its two largest units: `45 s`, `12 min`, `2 h 5 min`, `3 d 4 h`; `–` for none.
pub fn duration(seconds: Option<f64>) -> String {
    let Some(seconds) = seconds else {
        return "–".into();
    };
    let s = seconds.max(0.0).round() as u64;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min", s / 60),
        3600..86_400 => match (s % 3600) / 60 {
            0 => format!("{} h", s / 3600),
            m => format!("{} h {m} min", s / 3600),
        },
        _ => match (s % 86_400) / 3600 {
            0 => format!("{} d", s / 86_400),
            h => format!("{} d {h} h", s / 86_400),
        },
    }
}

/// A share in percent with one decimal: `87.5 %`; `–` for none.
pub fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "–".into(), |v| format!("{v:.1} %"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_two_units() {
        assert_eq!(duration(None), "–");
        assert_eq!(duration(Some(0.4)), "0 s");
        assert_eq!(duration(Some(45.0)), "45 s");
        assert_eq!(duration(Some(725.0)), "12 min");
        assert_eq!(duration(Some(7200.0)), "2 h");
        assert_eq!(duration(Some(7500.0)), "2 h 5 min");
        assert_eq!(duration(Some(86_400.0 * 3.0 + 4.0 * 3600.0)), "3 d 4 h");
        assert_eq!(percent(Some(87.54)), "87.5 %");
        assert_eq!(percent(None), "–");
    }

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(12_345), "12,345");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }
    use chrono::{Duration, TimeZone};
    use loket_protocol::api::{AuditDetails, AuditTarget};
    use loket_protocol::{AgentId, AuditId, TicketId};

    fn audit(action: AdminAction, details: AuditDetails) -> AuditEntry {
        AuditEntry {
            id: AuditId(1),
            actor: None,
            action,
            target: AuditTarget::Agent(AgentId(2)),
            details,
            created_at: t0(),
        }
    }

    #[test]
    fn audit_entries_read_as_sentences() {
        let ana = |more: AuditDetails| AuditDetails {
            name: Some("Ana".into()),
            ..more
        };
        let disabled = audit(
            AdminAction::AgentDisabled,
            ana(AuditDetails {
                sessions_ended: Some(2),
                ..Default::default()
            }),
        );
        assert_eq!(describe_audit(&disabled), "disabled Ana (2 sign-ins ended)");
        let role = audit(
            AdminAction::RoleChanged,
            ana(AuditDetails {
                from: Some("agent".into()),
                to: Some("admin".into()),
                ..Default::default()
            }),
        );
        assert_eq!(describe_audit(&role), "changed Ana's role from agent to admin");
        let renamed = audit(
            AdminAction::CategoryRenamed,
            AuditDetails {
                name: Some("Streets".into()),
                from: Some("Roads".into()),
                to: Some("Streets".into()),
                ..Default::default()
            },
        );
        assert_eq!(describe_audit(&renamed), "renamed the category Roads to Streets");
        // Every action has words, even with no details.
        for action in AdminAction::ALL {
            assert!(!describe_audit(&audit(action, AuditDetails::default())).is_empty());
        }
    }

    #[test]
    fn clients_are_named_by_browser_and_system() {
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0";
        assert_eq!(client_name(Some(firefox)), "Firefox on Linux");
        let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36";
        assert_eq!(client_name(Some(chrome)), "Chrome on Windows");
        let edge = "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/131.0 Safari/537.36 Edg/131.0";
        assert_eq!(client_name(Some(edge)), "Edge on Windows");
        assert_eq!(client_name(Some("curl/8.5.0")), "curl");
        assert_eq!(client_name(Some("my-script")), "my-script");
        assert_eq!(client_name(None), "Unknown client");
        assert_eq!(client_name(Some("  ")), "Unknown client");
    }

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
