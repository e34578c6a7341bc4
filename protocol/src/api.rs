//! REST request and response bodies under `/api`.

use crate::Timestamp;
use crate::ids::{AgentId, AttachmentId, AuditId, CategoryId, QueueId, SessionId, TicketId};
use crate::ticket::{AgentRef, Attachment, Comment, Notification, Priority, Ticket, TicketChanges, TicketEvent};
use crate::view::TicketView;
use serde::{Deserialize, Serialize};

/// What an agent may do: admins also manage agents, invite codes and categories, and break locks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Agent,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Agent => "agent",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "admin" => Some(Role::Admin),
            "agent" => Some(Role::Agent),
            _ => None,
        }
    }
}

/// An agent's account as shown to themselves and to admins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Agent {
    pub id: AgentId,
    pub name: String,
    pub email: String,
    pub role: Role,
}

impl Agent {
    pub fn as_ref(&self) -> AgentRef {
        AgentRef {
            id: self.id,
            name: self.name.clone(),
        }
    }
}

/// `POST /api/auth/login`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// Answer to a successful login; the same token is also set as the HttpOnly session cookie.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginResponse {
    pub token: String,
    pub agent: Agent,
}

/// `POST /api/agents` (admins only).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewAgent {
    pub email: String,
    pub name: String,
    pub password: String,
    #[serde(default = "default_role")]
    pub role: Role,
}

fn default_role() -> Role {
    Role::Agent
}

/// An agent's account as admins see it (`GET /api/agents`): the agent plus its state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgentAccount {
    #[serde(flatten)]
    pub agent: Agent,
    /// When an admin disabled it; `None`: it may sign in.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub disabled_at: Option<Timestamp>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    /// How many unexpired sign-ins it has.
    #[serde(default)]
    pub sessions: i64,
}

impl AgentAccount {
    pub fn is_disabled(&self) -> bool {
        self.disabled_at.is_some()
    }
}

/// `PUT /api/agents/{id}/role` (admins only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoleChange {
    pub role: Role,
}

/// `POST /api/agents/{id}/password` (admins only): set `password`, or leave it out to have one generated.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasswordReset {
    #[serde(default)]
    pub password: Option<String>,
}

/// Answer to a password reset. Every sign-in of the agent has ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasswordResetDone {
    pub agent: AgentAccount,
    /// The generated password, shown this once (it is stored only as a hash); `None` when the admin set it.
    #[serde(default)]
    pub generated_password: Option<String>,
    /// How many sign-ins ended.
    pub sessions_ended: u64,
}

/// `POST /api/auth/password`: an agent changes their own password. Their other sign-ins end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// One sign-in, as admins see it (`GET /api/sessions`). Never carries the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionInfo {
    pub id: SessionId,
    pub agent: AgentRef,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    /// The last request made with it (kept to the minute).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub last_seen_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub expires_at: Timestamp,
    /// The browser or client it signed in from, as it named itself.
    #[serde(default)]
    pub user_agent: Option<String>,
    /// True for the sign-in that asked.
    #[serde(default)]
    pub current: bool,
}

/// Query string of `GET /api/sessions`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct SessionQuery {
    /// Only this agent's sign-ins.
    #[serde(default)]
    pub agent_id: Option<AgentId>,
}

/// What an admin did, as recorded in the audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AdminAction {
    AgentCreated,
    AgentDisabled,
    AgentEnabled,
    RoleChanged,
    /// An admin reset someone's password.
    PasswordReset,
    /// An agent changed their own password.
    PasswordChanged,
    SessionEnded,
    CategoryCreated,
    CategoryRenamed,
    CategoryRetired,
    CategoryRestored,
    /// An agent set or cleared the public name reporters see.
    PublicNameChanged,
    QueueCreated,
    /// A queue's name, description or default changed (`from`, `to`: what changed, as `field: value`).
    QueueChanged,
    /// An agent joined a queue, or became or stopped being its manager (`name`: the agent; `to`:
    /// `member` or `manager`).
    QueueMemberSet,
    /// An agent left a queue (`name`: the agent).
    QueueMemberRemoved,
    /// A category's reports now go to this queue (`name`: the category; `from`, `to`: queue names,
    /// none: the default queue).
    CategoryQueueSet,
    /// A business-hours calendar was added or changed (`name`: the calendar).
    SlaCalendarSaved,
    /// A service-level policy was set (`name`: its queue and priority; `to`: the promises).
    SlaPolicySaved,
    /// A service-level policy was deleted (`name`: its queue and priority).
    SlaPolicyDeleted,
}

impl AdminAction {
    pub const ALL: [AdminAction; 20] = [
        AdminAction::AgentCreated,
        AdminAction::AgentDisabled,
        AdminAction::AgentEnabled,
        AdminAction::RoleChanged,
        AdminAction::PasswordReset,
        AdminAction::PasswordChanged,
        AdminAction::SessionEnded,
        AdminAction::CategoryCreated,
        AdminAction::CategoryRenamed,
        AdminAction::CategoryRetired,
        AdminAction::CategoryRestored,
        AdminAction::PublicNameChanged,
        AdminAction::QueueCreated,
        AdminAction::QueueChanged,
        AdminAction::QueueMemberSet,
        AdminAction::QueueMemberRemoved,
        AdminAction::CategoryQueueSet,
        AdminAction::SlaCalendarSaved,
        AdminAction::SlaPolicySaved,
        AdminAction::SlaPolicyDeleted,
    ];

    /// The snake_case name, on the wire and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            AdminAction::AgentCreated => "agent_created",
            AdminAction::AgentDisabled => "agent_disabled",
            AdminAction::AgentEnabled => "agent_enabled",
            AdminAction::RoleChanged => "role_changed",
            AdminAction::PasswordReset => "password_reset",
            AdminAction::PasswordChanged => "password_changed",
            AdminAction::SessionEnded => "session_ended",
            AdminAction::CategoryCreated => "category_created",
            AdminAction::CategoryRenamed => "category_renamed",
            AdminAction::CategoryRetired => "category_retired",
            AdminAction::CategoryRestored => "category_restored",
            AdminAction::PublicNameChanged => "public_name_changed",
            AdminAction::QueueCreated => "queue_created",
            AdminAction::QueueChanged => "queue_changed",
            AdminAction::QueueMemberSet => "queue_member_set",
            AdminAction::QueueMemberRemoved => "queue_member_removed",
            AdminAction::CategoryQueueSet => "category_queue_set",
            AdminAction::SlaCalendarSaved => "sla_calendar_saved",
            AdminAction::SlaPolicySaved => "sla_policy_saved",
            AdminAction::SlaPolicyDeleted => "sla_policy_deleted",
        }
    }

    pub fn parse(text: &str) -> Option<AdminAction> {
        AdminAction::ALL.into_iter().find(|a| a.as_str() == text)
    }
}

/// What an audited action was done to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum AuditTarget {
    Agent(AgentId),
    Session(SessionId),
    Category(CategoryId),
    Queue(QueueId),
    /// A business-hours calendar (`sla_calendars.id`).
    SlaCalendar(i64),
    /// A service-level policy (`sla_policies.id`).
    SlaPolicy(i64),
}

/// Details of an audited action, as they were at the time. Never a password or a token.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditDetails {
    /// The target's name then (agent or category name; for a session, its agent's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The value before (old role, old category name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The value after (new role, new category name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// How many sign-ins the action ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sessions_ended: Option<u64>,
    /// With `password_reset`: whether Loket generated the new password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated: Option<bool>,
}

/// One entry of the admin audit trail (`GET /api/audit`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub id: AuditId,
    /// Who did it; `None` if that agent no longer exists.
    pub actor: Option<AgentRef>,
    pub action: AdminAction,
    pub target: AuditTarget,
    #[serde(default)]
    pub details: AuditDetails,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
}

/// Query string of `GET /api/audit`: newest first, `limit` at a time (at most 500, default 100), entries
/// older than `before` (an entry id) for the next page; `target` filters by what was acted on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct AuditQuery {
    #[serde(default)]
    pub limit: Option<u32>,
    #[serde(default)]
    pub before: Option<AuditId>,
    /// Only entries about this agent (as target).
    #[serde(default)]
    pub agent_id: Option<AgentId>,
    /// Only entries about this category.
    #[serde(default)]
    pub category_id: Option<CategoryId>,
}

/// `POST /api/invite-codes` (admins only).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewInviteCode {
    pub max_uses: i32,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub expires_at: Option<Timestamp>,
}

/// An invite code reporters redeem with `/start <code>` in the Telegram bot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InviteCode {
    pub code: String,
    pub max_uses: i32,
    pub uses: i32,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub expires_at: Option<Timestamp>,
    pub revoked: bool,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    /// `https://t.me/<bot>?start=<code>` when the bot is configured.
    #[serde(default)]
    pub link: Option<String>,
}

/// `POST /api/categories` (admins only).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewCategory {
    pub name: String,
}

/// A category tickets can be filed under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Category {
    pub id: CategoryId,
    pub name: String,
    /// When an admin retired it: no longer offered for new tickets; tickets filed under it keep it.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub retired_at: Option<Timestamp>,
}

impl Category {
    /// Whether new tickets may be filed under it.
    pub fn offered(&self) -> bool {
        self.retired_at.is_none()
    }
}

/// Query string of `GET /api/categories`: `offered=true` lists only the categories new tickets may use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct CategoryQuery {
    #[serde(default)]
    pub offered: bool,
}

/// `PATCH /api/categories/{id}` (admins only): rename, retire (`true`) or bring back (`false`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CategoryChange {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub retired: Option<bool>,
}

/// `POST /api/tickets`, and the body of the WebSocket `CreateTicket` message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewTicket {
    pub title: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub priority: Priority,
    #[serde(default)]
    pub category_id: Option<CategoryId>,
}

/// Query string of `GET /api/tickets`: the same view, `limit` and `cursor` as the WebSocket `GetTickets`
/// (docs/protocol.md, "Views"), answered by the same code. Without parameters: "open work", newest first,
/// 50 at a time.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TicketListQuery {
    #[serde(flatten)]
    pub view: TicketView,
    /// Page size: default 50, at most 200 (larger is cut to 200); 0 is refused.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::view::lenient_u32"
    )]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page of the same view.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// The query parameters of `GET /api/tickets` as the OpenAPI document describes them ([`TicketListQuery`]
/// is what the server reads; this names the same parameters with their wire types).
#[cfg(feature = "openapi")]
#[derive(Debug, Clone, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TicketListParams {
    /// A status group (`open_work`, the default; `done`; `any`) or statuses separated by commas
    /// (`new,pending`).
    pub status: Option<String>,
    pub category_id: Option<i64>,
    /// `me`, `nobody` or an agent id.
    pub assignee: Option<String>,
    /// `mine` (the agent's own queues) or a queue id; without it, every queue the agent may see.
    pub queue: Option<String>,
    pub reporter_id: Option<i64>,
    /// Priorities separated by commas (`high,urgent`).
    pub priority: Option<String>,
    /// Filed at or after (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    pub created_after: Option<String>,
    /// Filed before (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    pub created_before: Option<String>,
    /// Last changed at or after (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    pub updated_after: Option<String>,
    /// Last changed before (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    pub updated_before: Option<String>,
    /// Search text: words in title, body and comments, a ticket key (`TKT-0003`, `tkt-3`, `3`) or a
    /// reporter's name. At most 200 characters.
    pub text: Option<String>,
    /// `newest` (default without text), `oldest`, `updated`, `priority`, `relevance` (default with text).
    pub sort: Option<crate::view::Sort>,
    /// Page size: default 50, at most 200 (larger is cut to 200); 0 is refused.
    #[param(minimum = 0)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page of the same view.
    pub cursor: Option<String>,
}

/// One page of a view (`GET /api/tickets`), the same fields as the WebSocket `AllTickets`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TicketPage {
    pub tickets: Vec<Ticket>,
    /// How many tickets the whole view holds. A search stops counting at 1,000: then `total_exact` is
    /// false and `total` means "at least this many".
    pub total: u64,
    /// False when `total` is a lower bound.
    #[serde(default = "crate::yes")]
    pub total_exact: bool,
    /// Ask again with this `cursor` for the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// The event log position the snapshot includes (events after it apply on top).
    pub position: u64,
    /// With search text: the words searched for, for highlighting; empty without.
    #[serde(default)]
    pub terms: Vec<String>,
    /// The tickets of this page unread by the requesting agent (as `AllTickets.unread`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unread: Vec<TicketId>,
}

/// `GET /api/tickets/{id}`: the ticket with everything attached to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TicketDetail {
    pub ticket: Ticket,
    pub comments: Vec<Comment>,
    pub attachments: Vec<Attachment>,
    pub events: Vec<TicketEvent>,
    #[serde(default)]
    pub notifications: Vec<Notification>,
}

/// `PATCH /api/tickets/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PatchTicket {
    /// The version the change was based on.
    pub version: i64,
    pub changes: TicketChanges,
}

/// `POST /api/tickets/{id}/merge`: merge ticket `id` (the duplicate) into `into`. The agent must hold
/// both tickets' locks; both versions are checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MergeRequest {
    /// The duplicate's version the merge was decided on.
    pub version: i64,
    /// The ticket that carries the report on.
    pub into: TicketId,
    /// The surviving ticket's version the merge was decided on.
    pub into_version: i64,
}

/// The answer to a merge: both tickets as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Merged {
    /// The duplicate: closed, `merged_into` set.
    pub duplicate: Ticket,
    /// The surviving ticket, with the duplicate's comments, files and reporter.
    pub survivor: Ticket,
}

/// `DELETE /api/tickets/{id}/lock` body (optional): an admin breaking someone else's lock must say why.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnlockRequest {
    #[serde(default)]
    pub reason: Option<String>,
}

/// Answer to `POST /api/tickets/{id}/lock`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LockGrant {
    pub ticket_id: TicketId,
    pub holder: AgentRef,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub expires_at: Timestamp,
    /// When the lock lapses unless its holder edits before then (reason `idle`; see `LockInfo.idle_at`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub idle_at: Option<Timestamp>,
}

/// Request header naming a `POST /api/tickets` or `POST /api/tickets/{id}/comments`: sent again with the
/// same value (by the same agent, within 24 hours), the request answers what the first one created instead
/// of creating another.
pub const IDEMPOTENCY_KEY_HEADER: &str = "Idempotency-Key";

/// `POST /api/tickets/{id}/comments`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewComment {
    pub body: String,
    #[serde(default)]
    pub internal: bool,
    /// Files this agent uploaded to the ticket (`POST /api/tickets/{id}/attachments`) and not yet sent
    /// with a reply: they become this comment's. A public reply's files reach the reporter.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<AttachmentId>,
}

/// `GET /readyz` and `GET /healthz`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    pub status: String,
}

#[cfg(test)]
mod tests {
    #[test]
    fn ticket_list_query_reads_a_query_string() {
        use crate::ids::ReporterId;
        use crate::ticket::Status;
        use crate::view::{AssigneeFilter, Sort, StatusFilter};
        let q: TicketListQuery = serde_urlencoded::from_str(
            "status=new,open&assignee=me&category_id=3&reporter_id=4&priority=high,urgent&limit=20\
             &q=lampu&sort=oldest&created_after=2025-01-01T00:00:00Z&cursor=abc",
        )
        .unwrap();
        assert_eq!(q.view.status, StatusFilter::List(vec![Status::New, Status::Open]));
        assert_eq!(q.view.assignee, Some(AssigneeFilter::Me));
        assert_eq!(q.view.category_id, Some(CategoryId(3)));
        assert_eq!(q.view.reporter_id, Some(ReporterId(4)));
        assert_eq!(q.view.priority, [Priority::High, Priority::Urgent]);
        assert_eq!(q.view.text.as_deref(), Some("lampu"));
        assert_eq!(q.view.sort, Some(Sort::Oldest));
        assert!(q.view.created_after.is_some());
        assert_eq!((q.limit, q.cursor.as_deref()), (Some(20), Some("abc")));
        let empty: TicketListQuery = serde_urlencoded::from_str("").unwrap();
        assert_eq!(empty, TicketListQuery::default());
        let blank: TicketListQuery = serde_urlencoded::from_str("status=&category_id=&limit=").unwrap();
        assert_eq!(blank, TicketListQuery::default());
        for bad in [
            "limit=-1",
            "limit=x",
            "status=asleep",
            "category_id=x",
            "sort=sideways",
            "assignee=x",
        ] {
            assert!(serde_urlencoded::from_str::<TicketListQuery>(bad).is_err(), "{bad}");
        }
    }

    use super::*;

    #[test]
    fn admin_actions_have_one_name_each_way() {
        for action in AdminAction::ALL {
            assert_eq!(AdminAction::parse(action.as_str()), Some(action));
            assert_eq!(
                serde_json::to_value(action).unwrap(),
                serde_json::json!(action.as_str())
            );
        }
        assert_eq!(AdminAction::parse("agent_deleted"), None);
    }

    #[test]
    fn audit_targets_and_accounts_have_a_stable_shape() {
        assert_eq!(
            serde_json::to_value(AuditTarget::Agent(AgentId(3))).unwrap(),
            serde_json::json!({"kind": "agent", "id": 3})
        );
        assert_eq!(
            serde_json::to_value(AuditTarget::Session(SessionId(9))).unwrap(),
            serde_json::json!({"kind": "session", "id": 9})
        );
        let account = AgentAccount {
            agent: Agent {
                id: AgentId(2),
                name: "Ana".into(),
                email: "ana@example.org".into(),
                role: Role::Agent,
            },
            disabled_at: None,
            created_at: chrono::DateTime::UNIX_EPOCH,
            sessions: 1,
        };
        let json = serde_json::to_value(&account).unwrap();
        // An account is an `Agent` with more fields: clients reading `[Agent]` keep working.
        assert_eq!(json["name"], "Ana");
        assert_eq!(json["disabled_at"], serde_json::Value::Null);
        let agent: Agent = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(agent, account.agent);
        assert_eq!(serde_json::from_value::<AgentAccount>(json).unwrap(), account);
        assert_eq!(
            serde_json::to_value(AuditDetails::default()).unwrap(),
            serde_json::json!({}),
            "empty details carry nothing"
        );
    }
}

/// The most characters a public name may have.
pub const PUBLIC_NAME_MAX_CHARS: usize = 60;

/// Body and answer of `GET`/`PUT /api/auth/public-name`: the name reporters see when this agent replies
/// (on Telegram). `null` means none: reporters then see the desk's neutral name, never the account's
/// name or email.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PublicName {
    #[serde(default)]
    pub public_name: Option<String>,
}

/// Checks a public name as typed: trimmed, 1 to [`PUBLIC_NAME_MAX_CHARS`] characters, no line breaks or
/// other control characters, and not an email address (reporters must never see one). Answers the name to
/// store or what is wrong with it. Shared by the server and the web client's form.
pub fn validate_public_name(raw: &str) -> Result<String, String> {
    let name = raw.trim();
    if name.is_empty() {
        return Err("a public name cannot be empty; send null to have none".into());
    }
    if name.chars().count() > PUBLIC_NAME_MAX_CHARS {
        return Err(format!("a public name has at most {PUBLIC_NAME_MAX_CHARS} characters"));
    }
    if name.chars().any(char::is_control) {
        return Err("a public name is one line, without control characters".into());
    }
    if name.contains('@') {
        return Err("a public name must not be an email address".into());
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod public_name_tests {
    use super::*;

    #[test]
    fn public_names_are_trimmed_and_bounded() {
        assert_eq!(validate_public_name("  Petugas Ayu "), Ok("Petugas Ayu".to_string()));
        assert!(validate_public_name("   ").is_err());
        assert!(validate_public_name(&"a".repeat(PUBLIC_NAME_MAX_CHARS)).is_ok());
        assert!(validate_public_name(&"é".repeat(PUBLIC_NAME_MAX_CHARS + 1)).is_err());
        assert!(validate_public_name("Ayu\nLestari").is_err());
        assert!(validate_public_name("ayu@example.org").is_err());
    }

    #[test]
    fn the_body_reads_null_and_refuses_unknown_fields() {
        let none: PublicName = serde_json::from_str(r#"{"public_name": null}"#).unwrap();
        assert_eq!(none.public_name, None);
        assert!(serde_json::from_str::<PublicName>(r#"{"name": "x"}"#).is_err());
    }
}
