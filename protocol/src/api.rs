//! REST request and response bodies under `/api`.

use crate::Timestamp;
use crate::ids::{AgentId, CategoryId, ReporterId, TicketId};
use crate::ticket::{
    AgentRef, Attachment, Comment, Notification, Priority, Status, Ticket, TicketChanges, TicketEvent,
};
use serde::{Deserialize, Serialize};

/// What an agent may do: admins also manage agents, invite codes and categories, and break locks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// Answer to a successful login; the same token is also set as the HttpOnly session cookie.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginResponse {
    pub token: String,
    pub agent: Agent,
}

/// `POST /api/agents` (admins only).
#[derive(Debug, Clone, Serialize, Deserialize)]
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

/// `POST /api/invite-codes` (admins only).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewInviteCode {
    pub max_uses: i32,
    #[serde(default)]
    pub expires_at: Option<Timestamp>,
}

/// An invite code reporters redeem with `/start <code>` in the Telegram bot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InviteCode {
    pub code: String,
    pub max_uses: i32,
    pub uses: i32,
    pub expires_at: Option<Timestamp>,
    pub revoked: bool,
    pub created_at: Timestamp,
    /// `https://t.me/<bot>?start=<code>` when the bot is configured.
    #[serde(default)]
    pub link: Option<String>,
}

/// `POST /api/categories` (admins only).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewCategory {
    pub name: String,
}

/// A category tickets can be filed under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    pub id: CategoryId,
    pub name: String,
}

/// `POST /api/tickets`, and the body of the WebSocket `CreateTicket` message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewTicket {
    pub title: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub priority: Priority,
    #[serde(default)]
    pub category_id: Option<CategoryId>,
}

/// Query string of `GET /api/tickets`. All filters combine with AND.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TicketQuery {
    #[serde(default)]
    pub status: Option<Status>,
    #[serde(default)]
    pub category_id: Option<CategoryId>,
    #[serde(default)]
    pub assignee_id: Option<AgentId>,
    #[serde(default)]
    pub reporter_id: Option<ReporterId>,
    /// Case-insensitive text search in title and body.
    #[serde(default)]
    pub q: Option<String>,
    /// 1-based page number.
    #[serde(default)]
    pub page: Option<u32>,
    /// Page size, at most 200; default 50.
    #[serde(default)]
    pub per_page: Option<u32>,
}

/// One page of tickets, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketPage {
    pub tickets: Vec<Ticket>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
}

/// `GET /api/tickets/{id}`: the ticket with everything attached to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
pub struct PatchTicket {
    /// The version the change was based on.
    pub version: i64,
    pub changes: TicketChanges,
}

/// `DELETE /api/tickets/{id}/lock` body (optional): an admin breaking someone else's lock must say why.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UnlockRequest {
    #[serde(default)]
    pub reason: Option<String>,
}

/// Answer to `POST /api/tickets/{id}/lock`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LockGrant {
    pub ticket_id: TicketId,
    pub holder: AgentRef,
    pub expires_at: Timestamp,
}

/// `POST /api/tickets/{id}/comments`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewComment {
    pub body: String,
    #[serde(default)]
    pub internal: bool,
}

/// `GET /readyz` and `GET /healthz`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
}
