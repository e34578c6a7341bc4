//! The core's one error type, with its stable wire code, body and WebSocket frame.
//!
//! Causes of `Internal` and `Unavailable` are logged here with `tracing` and never reach clients. The
//! HTTP status for each error is chosen in one place, `loket-web`'s `error` module.

use loket_protocol::ticket::{AgentRef, Status, Ticket};
use loket_protocol::ws::ServerMessage;
use loket_protocol::{ApiError, ErrorCode};

/// Every way a request can fail.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    Invalid(String),
    #[error("sign in first")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("this account is disabled; ask an admin of this helpdesk to enable it")]
    AccountDisabled,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("the ticket is being edited by {}", .holder.name)]
    Locked { holder: AgentRef },
    #[error("take the ticket's lock before changing it")]
    NotLockHolder { holder: Option<AgentRef> },
    #[error("the ticket was changed by someone else (now at version {})", .current.version)]
    VersionConflict { current: Box<Ticket> },
    #[error("a ticket cannot move from {} to {}", .from.as_str(), .to.as_str())]
    InvalidTransition { from: Status, to: Status },
    #[error("{0}")]
    Conflict(String),
    #[error("the request is too large")]
    PayloadTooLarge,
    #[error("{0}")]
    RateLimited(String),
    #[error("the database is unavailable; nothing was changed, try again shortly")]
    Unavailable,
    #[error("internal error; the server log has details")]
    Internal,
}

impl AppError {
    pub fn code(&self) -> ErrorCode {
        match self {
            AppError::Invalid(_) => ErrorCode::InvalidRequest,
            AppError::Unauthorized => ErrorCode::Unauthorized,
            AppError::Forbidden(_) => ErrorCode::Forbidden,
            AppError::AccountDisabled => ErrorCode::AccountDisabled,
            AppError::NotFound(_) => ErrorCode::NotFound,
            AppError::Locked { .. } => ErrorCode::TicketLocked,
            AppError::NotLockHolder { .. } => ErrorCode::NotLockHolder,
            AppError::VersionConflict { .. } => ErrorCode::VersionConflict,
            AppError::InvalidTransition { .. } => ErrorCode::InvalidTransition,
            AppError::Conflict(_) => ErrorCode::Conflict,
            AppError::PayloadTooLarge => ErrorCode::PayloadTooLarge,
            AppError::RateLimited(_) => ErrorCode::RateLimited,
            AppError::Unavailable => ErrorCode::Unavailable,
            AppError::Internal => ErrorCode::Internal,
        }
    }

    /// The wire body: code, a safe message, and the current ticket or lock holder where they help.
    pub fn to_api(&self) -> ApiError {
        let mut body = ApiError::new(self.code(), self.to_string());
        match self {
            AppError::Locked { holder } => body.holder = Some(holder.clone()),
            AppError::NotLockHolder { holder } => body.holder = holder.clone(),
            AppError::VersionConflict { current } => body.ticket = Some(current.clone()),
            _ => {}
        }
        body
    }

    /// The WebSocket `Error` frame answering `request_id`.
    pub fn to_frame(&self, request_id: Option<String>) -> ServerMessage {
        let ApiError {
            code,
            message,
            ticket,
            holder,
        } = self.to_api();
        ServerMessage::Error {
            request_id,
            code,
            message,
            ticket,
            holder,
        }
    }

    /// Logs `cause` and returns the opaque internal error.
    pub fn internal(cause: impl std::fmt::Display) -> AppError {
        tracing::error!(%cause, "internal error");
        AppError::Internal
    }

    pub fn invalid(message: impl Into<String>) -> AppError {
        AppError::Invalid(message.into())
    }
}

impl From<crate::domain::validate::Invalid> for AppError {
    fn from(invalid: crate::domain::validate::Invalid) -> Self {
        AppError::Invalid(invalid.0)
    }
}

impl From<deadpool_postgres::PoolError> for AppError {
    fn from(err: deadpool_postgres::PoolError) -> Self {
        tracing::warn!(error = %err, "database pool unavailable");
        AppError::Unavailable
    }
}

impl From<tokio_postgres::Error> for AppError {
    fn from(err: tokio_postgres::Error) -> Self {
        // A closed connection or an I/O failure means the database went away. (Other errors without an
        // SQL state, such as a row that failed to convert, are our own faults: internal.)
        let io_failure = std::error::Error::source(&err).is_some_and(|cause| cause.is::<std::io::Error>());
        if err.is_closed() || io_failure {
            tracing::warn!(error = %err, "database connection failed");
            return AppError::Unavailable;
        }
        // PostgreSQL cannot store NUL characters in text; whatever slipped past validation is the
        // client's bad input, not a server fault.
        if err.code() == Some(&tokio_postgres::error::SqlState::CHARACTER_NOT_IN_REPERTOIRE) {
            return AppError::invalid("text must not contain NUL characters");
        }
        AppError::internal(err)
    }
}

impl From<crate::domain::access::LastAdmin> for AppError {
    fn from(refused: crate::domain::access::LastAdmin) -> Self {
        AppError::Conflict(refused.to_string())
    }
}

impl From<actix::MailboxError> for AppError {
    fn from(err: actix::MailboxError) -> Self {
        AppError::internal(format!("actor mailbox: {err}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use loket_protocol::AgentId;

    #[test]
    fn errors_map_to_stable_codes_and_statuses() {
        let holder = AgentRef {
            id: AgentId(7),
            name: "Ana".into(),
        };
        let locked = AppError::Locked { holder: holder.clone() };
        let body = serde_json::to_value(locked.to_api()).unwrap();
        assert_eq!(body["code"], "ticket_locked");
        assert_eq!(body["holder"]["name"], "Ana");
        assert_eq!(AppError::Forbidden("admins only".into()).code(), ErrorCode::Forbidden);
        let internal = serde_json::to_value(AppError::Internal.to_api()).unwrap();
        assert_eq!(
            internal,
            serde_json::json!({"code": "internal", "message": "internal error; the server log has details"})
        );
    }
}
