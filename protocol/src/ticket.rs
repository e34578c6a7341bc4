//! Tickets and what hangs off them: status, priority, locks, comments, attachments and the audit trail.

use crate::Timestamp;
use crate::ids::{AgentId, AttachmentId, CategoryId, CommentId, QueueId, ReporterId, TicketId};
use serde::{Deserialize, Deserializer, Serialize};

/// Where a ticket is in its lifecycle. The allowed moves are in [`crate::lifecycle`] and `docs/protocol.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Status {
    New,
    Open,
    Pending,
    Resolved,
    Closed,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::New,
        Status::Open,
        Status::Pending,
        Status::Resolved,
        Status::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Open => "open",
            Status::Pending => "pending",
            Status::Resolved => "resolved",
            Status::Closed => "closed",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// How urgent a ticket is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    #[default]
    Normal,
    High,
    Urgent,
}

impl Priority {
    pub const ALL: [Priority; 4] = [Priority::Low, Priority::Normal, Priority::High, Priority::Urgent];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }

    pub fn parse(text: &str) -> Option<Priority> {
        Priority::ALL.into_iter().find(|p| p.as_str() == text)
    }
}

/// An agent as other people see them: enough to show a name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentRef {
    pub id: AgentId,
    pub name: String,
}

/// A reporter as agents see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReporterRef {
    pub id: ReporterId,
    pub name: String,
}

/// A category as shown on a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CategoryRef {
    pub id: CategoryId,
    pub name: String,
}

/// The edit lock on a ticket: a lease held by one agent's session until `expires_at` unless renewed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LockInfo {
    pub holder: AgentRef,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub expires_at: Timestamp,
    /// When the lock was taken (renewals do not move it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub since: Option<Timestamp>,
    /// When the lock lapses if its holder makes no edits before then (reason `idle`): taking the lock,
    /// the holder's `LockTicket` again, an update or a comment by the holder push it; heartbeats do not.
    /// Absent from servers before idle leases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub idle_at: Option<Timestamp>,
}

/// A ticket as every client sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ticket {
    pub id: TicketId,
    /// `TKT-0001`: the id as people say it.
    pub key: String,
    pub title: String,
    pub body: String,
    pub status: Status,
    pub priority: Priority,
    pub category: Option<CategoryRef>,
    pub reporter: Option<ReporterRef>,
    pub assignee: Option<AgentRef>,
    /// The one queue the ticket is in (absent only from events logged before queues existed: their
    /// tickets are in [`QueueId::ORIGINAL`]).
    #[serde(default = "QueueId::original")]
    pub queue: QueueId,
    /// Increases by one with every committed change; updates name the version they were based on.
    pub version: i64,
    pub lock: Option<LockInfo>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
    /// Where the reporter says the problem is (shared from Telegram); absent when none was shared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// When a reporter's reply reopened this resolved or closed ticket; absent again once an agent
    /// changed the ticket since. Boards and the ticket page flag such tickets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub reopened_at: Option<Timestamp>,
    /// The reporter's rating after resolution, if they gave one (a later one replaces it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<Rating>,
    /// Set on a duplicate merged into another ticket (it is closed): the ticket that now carries its
    /// report. Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<TicketId>,
    /// The service-level clocks a policy set for this ticket (docs/sla.md); empty without one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sla: Vec<crate::sla::SlaClock>,
}

/// A point on the map, in WGS 84 degrees, as Telegram shares it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Location {
    /// Degrees north, -90 to 90.
    pub latitude: f64,
    /// Degrees east, -180 to 180.
    pub longitude: f64,
}

impl Location {
    /// The location if both coordinates are finite and in range.
    pub fn new(latitude: f64, longitude: f64) -> Option<Location> {
        let fits = latitude.is_finite()
            && longitude.is_finite()
            && (-90.0..=90.0).contains(&latitude)
            && (-180.0..=180.0).contains(&longitude);
        fits.then_some(Location { latitude, longitude })
    }

    /// The point on OpenStreetMap, marked, at street zoom.
    pub fn openstreetmap_url(&self) -> String {
        let (lat, lon) = (self.latitude, self.longitude);
        format!("https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=18/{lat}/{lon}")
    }

    /// The coordinates as people read them, e.g. `-6.175110, 106.865039`.
    pub fn display(&self) -> String {
        format!("{:.6}, {:.6}", self.latitude, self.longitude)
    }
}

/// Lowest and highest rating a reporter can give.
pub const RATING_RANGE: std::ops::RangeInclusive<u8> = 1..=5;

/// A reporter's rating of a resolved ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rating {
    /// 1 (poor) to 5 (excellent).
    pub stars: u8,
    /// What the reporter added, if anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub rated_at: Timestamp,
}

/// A change to a ticket's fields; absent fields stay as they are. For `assignee_id` and `category_id`,
/// an explicit `null` clears the field.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TicketChanges {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub assignee_id: Option<Option<AgentId>>,
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub category_id: Option<Option<CategoryId>>,
    /// Move the ticket to this queue (it must exist).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_id: Option<QueueId>,
}

impl TicketChanges {
    /// True when the change would change nothing at all.
    pub fn is_empty(&self) -> bool {
        *self == TicketChanges::default()
    }
}

/// What a `TicketUpdated` changed, as it was before: every field a view filters or sorts on that the
/// update changed (absent: unchanged), and the old `updated_at`. A client that does not hold the ticket
/// rebuilds the ticket as it was ([`Previous::revert`]) to tell whether it entered or left its view, so
/// the view's total stays right without asking the server again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Previous {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    /// `null`: there was no assignee.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub assignee: Option<Option<AgentRef>>,
    /// `null`: there was no category.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub category: Option<Option<CategoryRef>>,
    /// The queue it was in, when the update moved it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<QueueId>,
    pub updated_at: Timestamp,
}

impl Previous {
    /// The fields of `before` that differ in `after`.
    pub fn between(before: &Ticket, after: &Ticket) -> Previous {
        fn changed<T: PartialEq + Clone>(before: &T, after: &T) -> Option<T> {
            (before != after).then(|| before.clone())
        }
        Previous {
            title: changed(&before.title, &after.title),
            body: changed(&before.body, &after.body),
            status: changed(&before.status, &after.status),
            priority: changed(&before.priority, &after.priority),
            assignee: changed(&before.assignee, &after.assignee),
            category: changed(&before.category, &after.category),
            queue: changed(&before.queue, &after.queue),
            updated_at: before.updated_at,
        }
    }

    /// `after` with these fields put back: the ticket as it was, as far as a view can tell.
    pub fn revert(&self, after: &Ticket) -> Ticket {
        let mut before = after.clone();
        if let Some(title) = &self.title {
            before.title = title.clone();
        }
        if let Some(body) = &self.body {
            before.body = body.clone();
        }
        if let Some(status) = self.status {
            before.status = status;
        }
        if let Some(priority) = self.priority {
            before.priority = priority;
        }
        if let Some(assignee) = &self.assignee {
            before.assignee = assignee.clone();
        }
        if let Some(category) = &self.category {
            before.category = category.clone();
        }
        if let Some(queue) = self.queue {
            before.queue = queue;
        }
        before.updated_at = self.updated_at;
        before.version = after.version - 1;
        before
    }
}

/// Distinguishes "field absent" (outer `None`, via `default`) from "field is null" (`Some(None)`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A ticket field people change, as named in the audit trail (`TicketEvent::field`) and by clients.
/// The names are part of the wire contract; [`TicketChanges`] names the same fields (`assignee_id` and
/// `category_id` there, as they carry ids).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Title,
    /// The description.
    Body,
    Status,
    Priority,
    Assignee,
    Category,
    /// The queue (named by the queue's name in the audit trail).
    Queue,
}

impl Field {
    /// Every field, in the order forms and tables show them.
    pub const ALL: [Field; 7] = [
        Field::Title,
        Field::Body,
        Field::Status,
        Field::Priority,
        Field::Assignee,
        Field::Category,
        Field::Queue,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Body => "body",
            Field::Status => "status",
            Field::Priority => "priority",
            Field::Assignee => "assignee",
            Field::Category => "category",
            Field::Queue => "queue",
        }
    }

    pub fn parse(text: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.as_str() == text)
    }
}

/// Who wrote a comment or caused an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Author {
    Agent {
        id: AgentId,
        name: String,
    },
    Reporter {
        id: ReporterId,
        name: String,
    },
    /// Loket itself (for example a lease that expired).
    System,
}

impl From<AgentRef> for Author {
    fn from(agent: AgentRef) -> Author {
        Author::Agent {
            id: agent.id,
            name: agent.name,
        }
    }
}

/// A comment in a ticket's conversation. Internal notes are never shown to the reporter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Comment {
    pub id: CommentId,
    pub ticket_id: TicketId,
    pub author: Author,
    pub body: String,
    pub internal: bool,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    /// Files that came with this comment.
    #[serde(default)]
    pub attachments: Vec<AttachmentId>,
}

/// A file attached to a ticket, downloadable by signed-in agents at `url`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Attachment {
    pub id: AttachmentId,
    pub ticket_id: TicketId,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    /// Relative URL under `/api`, authenticated like every other API call.
    pub url: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    /// The comment it came with (a reporter's follow-up), if any; absent for files sent with the report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment_id: Option<CommentId>,
}

/// Why a lock ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum UnlockReason {
    /// The holder gave it back.
    Released,
    /// The holder's connection closed or went silent.
    Disconnected,
    /// The lease ran out without being renewed.
    Expired,
    /// An admin broke it.
    Broken,
    /// Its holder made no edits for the idle time (`LOKET_LOCK_IDLE_SECS`), though still connected.
    Idle,
}

impl UnlockReason {
    pub fn as_str(self) -> &'static str {
        match self {
            UnlockReason::Released => "released",
            UnlockReason::Disconnected => "disconnected",
            UnlockReason::Expired => "expired",
            UnlockReason::Broken => "broken",
            UnlockReason::Idle => "idle",
        }
    }
}

/// What kind of thing a ticket event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TicketEventKind {
    Created,
    /// A field changed; `field`, `old_value` and `new_value` say how.
    Changed,
    Commented,
    LockTaken,
    LockReleased,
    LockDisconnected,
    LockExpired,
    LockBroken,
    AttachmentAdded,
    /// The lock lapsed: its holder made no edits for the idle time.
    LockIdle,
    /// A reporter's reply reopened the resolved or closed ticket (`old_value` the status it had).
    Reopened,
    /// The reporter shared a location (`new_value` `latitude,longitude`).
    LocationSet,
    /// The reporter rated the ticket (`new_value` the stars, `reason` their comment).
    Rated,
    /// An agent commented on a reopened ticket: the reopened flag is cleared.
    ReopenSeen,
    /// This duplicate was merged into another ticket (`new_value` its key) and closed.
    MergedInto,
    /// A duplicate was merged into this ticket (`new_value` its key): its comments, files and reporter
    /// moved here.
    MergedFrom,
    /// An SLA clock reached its warning share (`new_value` the clock: `first_response`, `resolution`).
    SlaWarning,
    /// An SLA clock ran out (`new_value` the clock; `reason` when it fell due).
    SlaBreached,
}

impl TicketEventKind {
    pub const ALL: [TicketEventKind; 18] = [
        TicketEventKind::Created,
        TicketEventKind::Changed,
        TicketEventKind::Commented,
        TicketEventKind::LockTaken,
        TicketEventKind::LockReleased,
        TicketEventKind::LockDisconnected,
        TicketEventKind::LockExpired,
        TicketEventKind::LockBroken,
        TicketEventKind::AttachmentAdded,
        TicketEventKind::LockIdle,
        TicketEventKind::Reopened,
        TicketEventKind::LocationSet,
        TicketEventKind::Rated,
        TicketEventKind::ReopenSeen,
        TicketEventKind::MergedInto,
        TicketEventKind::MergedFrom,
        TicketEventKind::SlaWarning,
        TicketEventKind::SlaBreached,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TicketEventKind::Created => "created",
            TicketEventKind::Changed => "changed",
            TicketEventKind::Commented => "commented",
            TicketEventKind::LockTaken => "lock_taken",
            TicketEventKind::LockReleased => "lock_released",
            TicketEventKind::LockDisconnected => "lock_disconnected",
            TicketEventKind::LockExpired => "lock_expired",
            TicketEventKind::LockBroken => "lock_broken",
            TicketEventKind::AttachmentAdded => "attachment_added",
            TicketEventKind::LockIdle => "lock_idle",
            TicketEventKind::Reopened => "reopened",
            TicketEventKind::LocationSet => "location_set",
            TicketEventKind::Rated => "rated",
            TicketEventKind::ReopenSeen => "reopen_seen",
            TicketEventKind::MergedInto => "merged_into",
            TicketEventKind::MergedFrom => "merged_from",
            TicketEventKind::SlaWarning => "sla_warning",
            TicketEventKind::SlaBreached => "sla_breached",
        }
    }

    pub fn parse(text: &str) -> Option<TicketEventKind> {
        TicketEventKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// The audit kind recording a lock that ended for `reason`.
    pub fn for_unlock(reason: UnlockReason) -> TicketEventKind {
        match reason {
            UnlockReason::Released => TicketEventKind::LockReleased,
            UnlockReason::Disconnected => TicketEventKind::LockDisconnected,
            UnlockReason::Expired => TicketEventKind::LockExpired,
            UnlockReason::Broken => TicketEventKind::LockBroken,
            UnlockReason::Idle => TicketEventKind::LockIdle,
        }
    }
}

/// One entry of a ticket's append-only audit trail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TicketEvent {
    pub id: i64,
    pub ticket_id: TicketId,
    pub actor: Author,
    pub kind: TicketEventKind,
    /// With `changed`: which field. A name this client does not know (from a newer server) reads as none.
    #[serde(default, deserialize_with = "known_field")]
    pub field: Option<Field>,
    #[serde(default)]
    pub old_value: Option<String>,
    #[serde(default)]
    pub new_value: Option<String>,
    /// Free text: the reason given for breaking a lock, for example.
    #[serde(default)]
    pub reason: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
}

/// Reads an audit field name, taking a name this version does not know as none rather than failing the
/// whole event (and the ticket detail it is part of).
fn known_field<'de, D>(deserializer: D) -> Result<Option<Field>, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(Option::<String>::deserialize(deserializer)?
        .as_deref()
        .and_then(Field::parse))
}

/// Delivery state of a message to a reporter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum NotificationStatus {
    Pending,
    Delivered,
    Failed,
}

impl NotificationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationStatus::Pending => "pending",
            NotificationStatus::Delivered => "delivered",
            NotificationStatus::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<NotificationStatus> {
        [
            NotificationStatus::Pending,
            NotificationStatus::Delivered,
            NotificationStatus::Failed,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// What a reporter is to be told about their ticket, as data. The bot words it in the reporter's
/// language when it delivers it; agents see the data and, once sent, the text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notice {
    /// The ticket moved to `status`.
    StatusChanged { status: Status },
    /// An agent answered publicly. `agent` is the name reporters see: the agent's public name, or none
    /// (the bot then names the desk, in the reporter's language). Rows queued before public names carry
    /// the agent's name then.
    AgentReply {
        #[serde(default)]
        agent: Option<String>,
        body: String,
        /// Files the agent attached to the reply, sent after its text as Telegram documents or photos.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attachments: Vec<AttachmentId>,
    },
    /// The reporter's ticket was a duplicate and was merged into ticket `into` (`into_key`, `into_title`):
    /// that ticket now carries their report.
    Merged { into: TicketId, into_title: String },
}

/// A message queued for a reporter, as agents see it on the ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Notification {
    pub id: i64,
    pub ticket_id: TicketId,
    /// The text as sent to the reporter; empty until the bot has worded it (at delivery).
    pub body: String,
    /// What the notification says, as data (absent on notifications queued before Loket 0.2).
    #[serde(default)]
    pub notice: Option<Notice>,
    pub status: NotificationStatus,
    pub attempts: i32,
    #[serde(default)]
    pub last_error: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub delivered_at: Option<Timestamp>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn changes_tell_absent_from_null() {
        let absent: TicketChanges = serde_json::from_value(json!({"title": "x"})).unwrap();
        assert_eq!(absent.assignee_id, None);
        let cleared: TicketChanges = serde_json::from_value(json!({"assignee_id": null})).unwrap();
        assert_eq!(cleared.assignee_id, Some(None));
        let set: TicketChanges = serde_json::from_value(json!({"assignee_id": 3})).unwrap();
        assert_eq!(set.assignee_id, Some(Some(AgentId(3))));
        assert!(serde_json::from_value::<TicketChanges>(json!({"colour": "red"})).is_err());
        assert!(TicketChanges::default().is_empty());
    }

    #[test]
    fn enums_round_trip_through_their_names() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), json!(s.as_str()));
        }
        for p in Priority::ALL {
            assert_eq!(Priority::parse(p.as_str()), Some(p));
        }
        for k in TicketEventKind::ALL {
            assert_eq!(TicketEventKind::parse(k.as_str()), Some(k));
            assert_eq!(serde_json::to_value(k).unwrap(), json!(k.as_str()));
        }
        for f in Field::ALL {
            assert_eq!(Field::parse(f.as_str()), Some(f));
            assert_eq!(serde_json::to_value(f).unwrap(), json!(f.as_str()));
        }
    }

    #[test]
    fn audit_field_names_are_the_stable_strings() {
        let names: Vec<&str> = Field::ALL.into_iter().map(Field::as_str).collect();
        assert_eq!(
            names,
            ["title", "body", "status", "priority", "assignee", "category", "queue"]
        );
        let event = json!({
            "id": 1, "ticket_id": 2, "actor": {"kind": "system"}, "kind": "changed",
            "field": "assignee", "old_value": null, "new_value": "Ana", "reason": null,
            "created_at": "2025-11-21T12:00:00Z"
        });
        let parsed: TicketEvent = serde_json::from_value(event.clone()).unwrap();
        assert_eq!(parsed.field, Some(Field::Assignee));
        assert_eq!(
            serde_json::to_value(&parsed).unwrap(),
            event,
            "the wire shape is unchanged"
        );
        let mut newer = event;
        newer["field"] = json!("colour");
        let parsed: TicketEvent = serde_json::from_value(newer).unwrap();
        assert_eq!(parsed.field, None, "an unknown field name does not fail the event");
    }

    #[test]
    fn an_agent_reference_is_an_author() {
        let ana = AgentRef {
            id: AgentId(3),
            name: "Ana".into(),
        };
        assert_eq!(
            Author::from(ana),
            Author::Agent {
                id: AgentId(3),
                name: "Ana".into()
            }
        );
    }
}
