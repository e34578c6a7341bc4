//! Change planning: what an update does to a ticket, decided as plain data before anything is written.
//!
//! [`plan`] takes the ticket as it is, the version the change was based on, the requested changes and the
//! role of whoever asks. It answers the next ticket and one [`FieldChange`] per field whose value really
//! changes (the audit trail's entries), or the [`Refusal`] that stops the whole change. Every check lives
//! here: the version, each value's validation, the lifecycle, whether a named agent or category exists.
//! The SQL layer writes exactly what it is handed (`db::tickets::apply`). Agents and categories are
//! named by id on the wire; the caller looks them up first ([`Named`]), so planning needs no database.
//!
//! Adding a ticket field: a [`Field`] variant in `protocol`, a `TicketChanges` member, one block in
//! [`plan`] (validate, compare, record), and the column in `db::tickets`.

use loket_protocol::api::Role;
use loket_protocol::lifecycle;
use loket_protocol::ticket::{AgentRef, CategoryRef, Field, Status, Ticket, TicketChanges};
use loket_protocol::{AgentId, CategoryId, QueueId};

use crate::domain::validate::{self, Invalid};

/// One field that changes, with its old and new value as people read them in the audit trail (status
/// and priority by name, assignee and category by the name they had then).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    pub field: Field,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// The agent and category a change names by id, as looked up before planning. `None` where the change
/// names none, or where no such agent or category exists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Named {
    pub assignee: Option<AgentRef>,
    pub category: Option<CategoryRef>,
    /// The named category is retired: a ticket may keep it, but not move to it.
    pub category_retired: bool,
    /// When the change moves the ticket: the names of the queue it is in and of the one it moves to
    /// (a queue that does not exist is absent).
    pub queues: Vec<(QueueId, String)>,
}

impl Named {
    fn queue_name(&self, id: QueueId) -> Option<&str> {
        self.queues
            .iter()
            .find(|(q, _)| *q == id)
            .map(|(_, name)| name.as_str())
    }
}

/// What an accepted change does.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The ticket after the change. Its `version` and `updated_at` are still the current ones: the
    /// database sets both when it writes the row.
    pub next: Ticket,
    /// One entry per field whose value changes, in [`Field::ALL`] order. Empty when every requested value
    /// equals the current one: then nothing is written and no new version is made.
    pub changes: Vec<FieldChange>,
}

impl Plan {
    /// True when the change leaves the ticket as it is.
    pub fn changes_nothing(&self) -> bool {
        self.changes.is_empty()
    }
}

/// Why a change is refused as a whole (nothing of it is applied).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The ticket is no longer at the version the change was based on.
    Stale,
    /// A value is not acceptable (an empty title, say).
    Invalid(Invalid),
    /// The lifecycle does not allow this status change for this role.
    Transition {
        from: Status,
        to: Status,
    },
    NoSuchAgent(AgentId),
    NoSuchCategory(CategoryId),
    NoSuchQueue(QueueId),
    /// The category exists but is retired: no ticket may move to it.
    RetiredCategory(CategoryRef),
}

impl From<Invalid> for Refusal {
    fn from(invalid: Invalid) -> Refusal {
        Refusal::Invalid(invalid)
    }
}

/// Plans `changes`, based on `expected_version`, to `current` as `role` asks them. Fields are checked in
/// [`Field::ALL`] order; the first refusal stops the plan.
pub fn plan(
    current: &Ticket,
    expected_version: i64,
    changes: &TicketChanges,
    role: Role,
    named: &Named,
) -> Result<Plan, Refusal> {
    if current.version != expected_version {
        return Err(Refusal::Stale);
    }
    // Named member by member, so a new member of `TicketChanges` does not compile until it is planned.
    let TicketChanges {
        title,
        body,
        status,
        priority,
        assignee_id,
        category_id,
        queue_id,
    } = changes;
    let mut next = current.clone();
    let mut diff = Vec::new();
    let mut record = |field, old, new| diff.push(FieldChange { field, old, new });

    if let Some(title) = title {
        let title = validate::title(title)?;
        if title != current.title {
            record(Field::Title, Some(current.title.clone()), Some(title.clone()));
            next.title = title;
        }
    }
    if let Some(body) = body {
        let body = validate::text("body", body, true)?;
        if body != current.body {
            record(Field::Body, Some(current.body.clone()), Some(body.clone()));
            next.body = body;
        }
    }
    if let Some(status) = *status
        && status != current.status
    {
        if !lifecycle::can_transition(current.status, status, role) {
            return Err(Refusal::Transition {
                from: current.status,
                to: status,
            });
        }
        record(
            Field::Status,
            Some(current.status.as_str().into()),
            Some(status.as_str().into()),
        );
        next.status = status;
    }
    if let Some(priority) = *priority
        && priority != current.priority
    {
        record(
            Field::Priority,
            Some(current.priority.as_str().into()),
            Some(priority.as_str().into()),
        );
        next.priority = priority;
    }
    if let Some(assignee) = *assignee_id
        && assignee != current.assignee.as_ref().map(|a| a.id)
    {
        let new = match assignee {
            Some(id) => Some(
                named
                    .assignee
                    .clone()
                    .filter(|a| a.id == id)
                    .ok_or(Refusal::NoSuchAgent(id))?,
            ),
            None => None,
        };
        record(
            Field::Assignee,
            current.assignee.as_ref().map(|a| a.name.clone()),
            new.as_ref().map(|a| a.name.clone()),
        );
        next.assignee = new;
    }
    if let Some(category) = *category_id
        && category != current.category.as_ref().map(|c| c.id)
    {
        let new = match category {
            Some(id) => {
                let found = named
                    .category
                    .clone()
                    .filter(|c| c.id == id)
                    .ok_or(Refusal::NoSuchCategory(id))?;
                if named.category_retired {
                    return Err(Refusal::RetiredCategory(found));
                }
                Some(found)
            }
            None => None,
        };
        record(
            Field::Category,
            current.category.as_ref().map(|c| c.name.clone()),
            new.as_ref().map(|c| c.name.clone()),
        );
        next.category = new;
    }
    if let Some(queue) = *queue_id
        && queue != current.queue
    {
        let new = named.queue_name(queue).ok_or(Refusal::NoSuchQueue(queue))?;
        let old = named
            .queue_name(current.queue)
            .map_or_else(|| current.queue.to_string(), str::to_string);
        record(Field::Queue, Some(old), Some(new.to_string()));
        next.queue = queue;
    }
    Ok(Plan { next, changes: diff })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use loket_protocol::TicketId;
    use loket_protocol::ticket::Priority;

    fn ticket() -> Ticket {
        let at = chrono::Utc.timestamp_opt(1_700_000_000, 0).unwrap();
        Ticket {
            id: TicketId(1),
            key: TicketId(1).key(),
            title: "Printer jam".into(),
            body: "Floor 2".into(),
            status: Status::New,
            priority: Priority::Normal,
            category: None,
            reporter: None,
            assignee: None,
            queue: QueueId(1),
            version: 4,
            lock: None,
            created_at: at,
            updated_at: at,
            location: None,
            reopened_at: None,
            rating: None,
            merged_into: None,
            sla: Vec::new(),
        }
    }

    fn ana() -> AgentRef {
        AgentRef {
            id: AgentId(2),
            name: "Ana".into(),
        }
    }

    fn hardware() -> CategoryRef {
        CategoryRef {
            id: CategoryId(7),
            name: "Hardware".into(),
        }
    }

    fn agent_plans(changes: &TicketChanges) -> Result<Plan, Refusal> {
        plan(&ticket(), 4, changes, Role::Agent, &Named::default())
    }

    #[test]
    fn each_changed_field_is_recorded_once_with_its_old_and_new_value() {
        let changes = TicketChanges {
            title: Some("  Printer jam on floor 2 ".into()),
            status: Some(Status::Open),
            priority: Some(Priority::Urgent),
            assignee_id: Some(Some(ana().id)),
            category_id: Some(Some(hardware().id)),
            ..Default::default()
        };
        let named = Named {
            assignee: Some(ana()),
            category: Some(hardware()),
            category_retired: false,
            queues: Vec::new(),
        };
        let planned = plan(&ticket(), 4, &changes, Role::Agent, &named).unwrap();
        let change = |field, old: Option<&str>, new: Option<&str>| FieldChange {
            field,
            old: old.map(String::from),
            new: new.map(String::from),
        };
        assert_eq!(
            planned.changes,
            vec![
                change(Field::Title, Some("Printer jam"), Some("Printer jam on floor 2")),
                change(Field::Status, Some("new"), Some("open")),
                change(Field::Priority, Some("normal"), Some("urgent")),
                change(Field::Assignee, None, Some("Ana")),
                change(Field::Category, None, Some("Hardware")),
            ]
        );
        let next = planned.next;
        assert_eq!(next.title, "Printer jam on floor 2", "values are normalised");
        assert_eq!((next.status, next.priority), (Status::Open, Priority::Urgent));
        assert_eq!(next.assignee, Some(ana()));
        assert_eq!(next.category, Some(hardware()));
        assert_eq!(next.body, "Floor 2", "fields not named stay");
        assert_eq!(next.version, 4, "the database sets the version");
    }

    #[test]
    fn a_move_records_both_queue_names_and_an_unknown_queue_is_refused() {
        let changes = TicketChanges {
            queue_id: Some(QueueId(5)),
            ..Default::default()
        };
        let named = Named {
            queues: vec![(QueueId(1), "Umum".into()), (QueueId(5), "Jalan dan Jembatan".into())],
            ..Default::default()
        };
        let planned = plan(&ticket(), 4, &changes, Role::Agent, &named).unwrap();
        assert_eq!(
            planned.changes,
            vec![FieldChange {
                field: Field::Queue,
                old: Some("Umum".into()),
                new: Some("Jalan dan Jembatan".into()),
            }]
        );
        assert_eq!(planned.next.queue, QueueId(5));
        assert_eq!(agent_plans(&changes), Err(Refusal::NoSuchQueue(QueueId(5))));
        let stale = plan(&ticket(), 3, &changes, Role::Agent, &named);
        assert_eq!(stale, Err(Refusal::Stale), "a move is version-checked like any change");
    }

    #[test]
    fn values_equal_to_the_current_ones_change_nothing() {
        let changes = TicketChanges {
            title: Some("Printer jam ".into()),
            body: Some("Floor 2".into()),
            status: Some(Status::New),
            priority: Some(Priority::Normal),
            assignee_id: Some(None),
            category_id: Some(None),
            queue_id: Some(QueueId(1)),
        };
        let planned = agent_plans(&changes).unwrap();
        assert!(planned.changes_nothing());
        assert_eq!(planned.next, ticket());
    }

    #[test]
    fn clearing_records_the_old_name() {
        let mut current = ticket();
        current.assignee = Some(ana());
        current.category = Some(hardware());
        let changes = TicketChanges {
            assignee_id: Some(None),
            category_id: Some(None),
            ..Default::default()
        };
        let planned = plan(&current, 4, &changes, Role::Agent, &Named::default()).unwrap();
        let olds: Vec<_> = planned
            .changes
            .iter()
            .map(|c| (c.field, c.old.as_deref(), c.new.as_deref()))
            .collect();
        assert_eq!(
            olds,
            [
                (Field::Assignee, Some("Ana"), None),
                (Field::Category, Some("Hardware"), None)
            ]
        );
        assert_eq!((planned.next.assignee, planned.next.category), (None, None));
    }

    #[test]
    fn a_stale_version_is_refused_before_anything_else() {
        let changes = TicketChanges {
            title: Some("   ".into()),
            ..Default::default()
        };
        assert_eq!(
            plan(&ticket(), 3, &changes, Role::Agent, &Named::default()),
            Err(Refusal::Stale)
        );
        assert!(matches!(agent_plans(&changes), Err(Refusal::Invalid(_))));
    }

    #[test]
    fn the_lifecycle_decides_status_changes_by_role() {
        let resolve = TicketChanges {
            status: Some(Status::Resolved),
            ..Default::default()
        };
        assert_eq!(
            agent_plans(&resolve),
            Err(Refusal::Transition {
                from: Status::New,
                to: Status::Resolved
            })
        );
        let close = TicketChanges {
            status: Some(Status::Closed),
            ..Default::default()
        };
        assert!(agent_plans(&close).is_err());
        let closed = plan(&ticket(), 4, &close, Role::Admin, &Named::default()).unwrap();
        assert_eq!(closed.next.status, Status::Closed, "admins may close from any status");
    }

    #[test]
    fn one_bad_field_refuses_the_whole_change() {
        let changes = TicketChanges {
            title: Some("A fine title".into()),
            body: Some("x".repeat(validate::MAX_BODY_CHARS + 1)),
            ..Default::default()
        };
        assert!(matches!(agent_plans(&changes), Err(Refusal::Invalid(_))));
        let two_lines = TicketChanges {
            title: Some("two\nlines".into()),
            ..Default::default()
        };
        assert!(matches!(agent_plans(&two_lines), Err(Refusal::Invalid(_))));
    }

    #[test]
    fn agents_and_categories_must_exist() {
        let assign = TicketChanges {
            assignee_id: Some(Some(AgentId(99))),
            ..Default::default()
        };
        assert_eq!(agent_plans(&assign), Err(Refusal::NoSuchAgent(AgentId(99))));
        // A lookup of someone else never stands in for the agent named.
        let wrong = Named {
            assignee: Some(ana()),
            ..Default::default()
        };
        assert_eq!(
            plan(&ticket(), 4, &assign, Role::Agent, &wrong),
            Err(Refusal::NoSuchAgent(AgentId(99)))
        );
        let file = TicketChanges {
            category_id: Some(Some(CategoryId(8))),
            ..Default::default()
        };
        assert_eq!(agent_plans(&file), Err(Refusal::NoSuchCategory(CategoryId(8))));
        let retired = Named {
            category: Some(hardware()),
            category_retired: true,
            ..Named::default()
        };
        let move_to_it = TicketChanges {
            category_id: Some(Some(hardware().id)),
            ..TicketChanges::default()
        };
        assert_eq!(
            plan(&ticket(), 4, &move_to_it, Role::Agent, &retired),
            Err(Refusal::RetiredCategory(hardware())),
            "no ticket moves to a retired category"
        );
        // Naming the current assignee needs no lookup: it changes nothing.
        let mut current = ticket();
        current.assignee = Some(ana());
        let same = TicketChanges {
            assignee_id: Some(Some(ana().id)),
            ..Default::default()
        };
        assert!(
            plan(&current, 4, &same, Role::Agent, &Named::default())
                .unwrap()
                .changes_nothing()
        );
    }
}
