//! Error codes and the error body shared by REST responses and WebSocket `Error` frames.

use crate::ticket::{AgentRef, Ticket};
use serde::{Deserialize, Serialize};

/// A stable, machine-readable error code. Clients branch on this, never on the message text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Malformed JSON, an unknown message type, or a field with a bad value.
    InvalidRequest,
    /// No valid session: sign in first.
    Unauthorized,
    /// Signed in, but this role may not do that.
    Forbidden,
    /// The password was right, but an admin disabled this account.
    AccountDisabled,
    /// No such ticket, agent, category or invite code.
    NotFound,
    /// The ticket is in a queue this agent is not a member of: only its members (and admins) see and
    /// act on it. Nothing was changed.
    NotInQueue,
    /// Another session holds the ticket's edit lock; `holder` names it.
    TicketLocked,
    /// A WebSocket update from a session that does not hold the lock.
    NotLockHolder,
    /// The change was based on an older version; `ticket` carries the current one.
    VersionConflict,
    /// The status change is not allowed by the lifecycle.
    InvalidTransition,
    /// The record already exists (for example an agent's email or a category name).
    Conflict,
    /// The request body is larger than allowed.
    PayloadTooLarge,
    /// Too many requests; try again later.
    RateLimited,
    /// The database is unreachable; the change was not made. Retry later.
    Unavailable,
    /// The database connection was lost while the change was being committed: it may or may not have been
    /// made. A change that did commit is broadcast once the database is back; reload (or retry with the
    /// same idempotency key) rather than repeating the change blindly.
    OutcomeUnknown,
    /// A `Resume` asked for events the server no longer keeps (older than the retained history) or
    /// never had (newer than its newest): reload the view instead.
    ResyncRequired,
    /// Something failed inside the server; details are in the server log.
    Internal,
}

impl ErrorCode {
    /// The snake_case name used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::AccountDisabled => "account_disabled",
            ErrorCode::NotFound => "not_found",
            ErrorCode::NotInQueue => "not_in_queue",
            ErrorCode::TicketLocked => "ticket_locked",
            ErrorCode::NotLockHolder => "not_lock_holder",
            ErrorCode::VersionConflict => "version_conflict",
            ErrorCode::InvalidTransition => "invalid_transition",
            ErrorCode::Conflict => "conflict",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::OutcomeUnknown => "outcome_unknown",
            ErrorCode::ResyncRequired => "resync_required",
            ErrorCode::Internal => "internal",
        }
    }
}

/// The body of every REST error response, and the payload of a WebSocket `Error` frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiError {
    pub code: ErrorCode,
    /// A human-readable explanation, safe to show to the agent.
    pub message: String,
    /// With `version_conflict`: the ticket as it is now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<Box<Ticket>>,
    /// With `ticket_locked`: who holds the lock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder: Option<AgentRef>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            ticket: None,
            holder: None,
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialise_as_their_wire_names() {
        for code in [
            ErrorCode::InvalidRequest,
            ErrorCode::Unauthorized,
            ErrorCode::Forbidden,
            ErrorCode::AccountDisabled,
            ErrorCode::NotFound,
            ErrorCode::NotInQueue,
            ErrorCode::TicketLocked,
            ErrorCode::NotLockHolder,
            ErrorCode::VersionConflict,
            ErrorCode::InvalidTransition,
            ErrorCode::Conflict,
            ErrorCode::PayloadTooLarge,
            ErrorCode::RateLimited,
            ErrorCode::Unavailable,
            ErrorCode::OutcomeUnknown,
            ErrorCode::ResyncRequired,
            ErrorCode::Internal,
        ] {
            assert_eq!(serde_json::to_value(code).unwrap(), serde_json::json!(code.as_str()));
        }
    }

    #[test]
    fn error_body_omits_empty_extras() {
        let body = serde_json::to_value(ApiError::new(ErrorCode::NotFound, "no such ticket")).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"code": "not_found", "message": "no such ticket"})
        );
    }
}
