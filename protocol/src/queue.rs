//! Queues (teams): the queue a ticket is in, who works it, and the rules for who sees a ticket and who
//! manages a queue, as plain code shared by the server and the web client (stable on the wire).
//!
//! Every ticket is in exactly one queue (`Ticket::queue`). Agents see and act on the tickets of the
//! queues they are members of; admins on every ticket ([`Access`]). A member may be a queue's manager:
//! they may edit its name and description and add or remove its plain members ([`may`]).

use crate::api::Role;
use crate::ids::{CategoryId, QueueId};
use crate::ticket::AgentRef;
use serde::{Deserialize, Serialize};

/// Longest queue name, in characters.
pub const MAX_QUEUE_NAME_CHARS: usize = 80;
/// Longest queue description, in characters.
pub const MAX_QUEUE_DESCRIPTION_CHARS: usize = 1000;

/// A queue as `GET /api/queues` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Queue {
    pub id: QueueId,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Reports whose category names no queue are filed here. Exactly one queue is the default.
    #[serde(default)]
    pub is_default: bool,
    /// Its members, by name.
    #[serde(default)]
    pub members: Vec<QueueMember>,
    /// The categories whose reports are filed here.
    #[serde(default)]
    pub categories: Vec<CategoryId>,
}

/// One member of a queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueMember {
    pub agent: AgentRef,
    /// May edit the queue's name and description and add or remove its plain members.
    #[serde(default)]
    pub manager: bool,
}

/// Body of `POST /api/queues` (admins).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewQueue {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Make it the default queue (the old default stops being one).
    #[serde(default)]
    pub is_default: bool,
}

/// Body of `PATCH /api/queues/{id}`: absent fields stay. `is_default: true` makes it the default (admins
/// only); a default queue cannot be un-defaulted except by making another one the default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct QueuePatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_default: Option<bool>,
}

/// Body of `PUT /api/queues/{id}/members/{agent_id}`: adds the agent, or changes whether they manage it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SetMember {
    #[serde(default)]
    pub manager: bool,
}

/// Body of `PUT /api/categories/{id}/queue` (admins): reports in the category are filed in `queue_id`;
/// `null`: in the default queue.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CategoryQueue {
    pub queue_id: Option<QueueId>,
}

/// Which tickets an agent may see and act on: every ticket (admins), or those of their queues.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Access {
    /// Every queue's tickets (admins).
    #[serde(default)]
    pub all: bool,
    /// The queues the agent is a member of, ascending (admins too: "My queues" means these).
    #[serde(default)]
    pub queues: Vec<QueueId>,
}

impl Access {
    /// The access of an agent with `role` who is a member of `queues`.
    pub fn of(role: Role, mut queues: Vec<QueueId>) -> Access {
        queues.sort_unstable();
        queues.dedup();
        Access {
            all: role == Role::Admin,
            queues,
        }
    }

    /// Whether tickets of `queue` are visible and may be acted on.
    pub fn admits(&self, queue: QueueId) -> bool {
        self.all || self.is_member(queue)
    }

    /// Whether the agent is a member of `queue` (what "My queues" shows).
    pub fn is_member(&self, queue: QueueId) -> bool {
        self.queues.binary_search(&queue).is_ok()
    }
}

/// What someone does to a queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueAction {
    /// Create a queue, make one the default, map a category to it.
    Administer,
    /// Change its name or description.
    Edit,
    /// Add or remove a plain member.
    ChangeMembers,
    /// Make a member a manager or take it back; add or remove a manager.
    ChangeManagers,
}

/// Whether an agent with `role`, who is (`manager`) or is not a manager of the queue, may do `action`
/// to it. Admins may do everything; a manager may edit it and change its plain members.
pub fn may(role: Role, manager: bool, action: QueueAction) -> bool {
    match (role, action) {
        (Role::Admin, _) => true,
        (Role::Agent, QueueAction::Edit | QueueAction::ChangeMembers) => manager,
        (Role::Agent, QueueAction::Administer | QueueAction::ChangeManagers) => false,
    }
}

/// The queue a new report is filed in: its category's queue, else the default.
pub fn queue_for_report(category_queue: Option<QueueId>, default: QueueId) -> QueueId {
    category_queue.unwrap_or(default)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agents_see_their_queues_and_admins_see_all() {
        let agent = Access::of(Role::Agent, vec![QueueId(3), QueueId(1), QueueId(3)]);
        assert_eq!(agent.queues, vec![QueueId(1), QueueId(3)]);
        assert!(agent.admits(QueueId(1)) && agent.admits(QueueId(3)));
        assert!(!agent.admits(QueueId(2)));
        let admin = Access::of(Role::Admin, vec![QueueId(1)]);
        assert!(admin.admits(QueueId(2)));
        assert!(admin.is_member(QueueId(1)) && !admin.is_member(QueueId(2)));
        assert!(!Access::default().admits(QueueId::ORIGINAL));
    }

    #[test]
    fn managers_edit_and_change_plain_members_only() {
        use QueueAction::*;
        for action in [Administer, Edit, ChangeMembers, ChangeManagers] {
            assert!(may(Role::Admin, false, action), "{action:?}");
            assert!(!may(Role::Agent, false, action), "{action:?}");
        }
        assert!(may(Role::Agent, true, Edit));
        assert!(may(Role::Agent, true, ChangeMembers));
        assert!(!may(Role::Agent, true, ChangeManagers));
        assert!(!may(Role::Agent, true, Administer));
    }

    #[test]
    fn a_category_picks_the_queue_else_the_default() {
        assert_eq!(queue_for_report(Some(QueueId(4)), QueueId(1)), QueueId(4));
        assert_eq!(queue_for_report(None, QueueId(1)), QueueId(1));
    }
}
