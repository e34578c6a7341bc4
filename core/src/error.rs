//! The core's one error type, with its stable wire code, body and WebSocket frame.
//!
//! Causes of `Internal` and `Unavailable` are logged here with `tracing` (database errors with their
//! SQLSTATE and message) and never reach clients. The HTTP status for each error is chosen in one place,
//! `loket-web`'s `error` module.

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
    #[error("this ticket is in a queue you are not a member of; ask an admin or the queue's manager to add you")]
    NotInQueue,
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
    /// The connection was lost while COMMIT was in flight: the change may or may not have been made.
    #[error(
        "the database connection was lost while the change was being committed, so it may or may not have \
         been made; if it was, it is broadcast once the database is back. Reload before trying again, or \
         repeat the request with the same idempotency key"
    )]
    OutcomeUnknown,
    /// A `Resume` asked for history the server does not keep (or never had).
    #[error("{0}")]
    ResyncRequired(String),
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
            AppError::NotInQueue => ErrorCode::NotInQueue,
            AppError::Locked { .. } => ErrorCode::TicketLocked,
            AppError::NotLockHolder { .. } => ErrorCode::NotLockHolder,
            AppError::VersionConflict { .. } => ErrorCode::VersionConflict,
            AppError::InvalidTransition { .. } => ErrorCode::InvalidTransition,
            AppError::Conflict(_) => ErrorCode::Conflict,
            AppError::PayloadTooLarge => ErrorCode::PayloadTooLarge,
            AppError::RateLimited(_) => ErrorCode::RateLimited,
            AppError::Unavailable => ErrorCode::Unavailable,
            AppError::OutcomeUnknown => ErrorCode::OutcomeUnknown,
            AppError::ResyncRequired(_) => ErrorCode::ResyncRequired,
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
        if connection_lost(&err) || err.code().is_some_and(is_transient) {
            tracing::warn!(error = %PgErrorText(&err), "database unavailable");
            return AppError::Unavailable;
        }
        if err.code().is_some_and(is_bad_text) {
            // Validation refuses NUL before it gets here; this catches any text input that slipped past.
            tracing::warn!(error = %PgErrorText(&err), "PostgreSQL refused a text value");
            return AppError::invalid("text must not contain NUL characters (U+0000) or invalid characters");
        }
        // Anything else (a constraint we did not expect, a row that failed to convert) is our own fault.
        AppError::internal(PgErrorText(&err))
    }
}

/// True when `err` means the connection to PostgreSQL is gone: closed, an I/O failure, the server shutting
/// down or crashing (SQLSTATE 57P01 `admin_shutdown`, 57P02 `crash_shutdown`, 57P03 `cannot_connect_now`),
/// or any connection exception (class 08). A COMMIT that fails this way may or may not have committed.
pub fn connection_lost(err: &tokio_postgres::Error) -> bool {
    use tokio_postgres::error::SqlState;
    let io_failure = std::error::Error::source(err).is_some_and(|cause| cause.is::<std::io::Error>());
    let gone = err.code().is_some_and(|code| {
        [
            SqlState::ADMIN_SHUTDOWN,
            SqlState::CRASH_SHUTDOWN,
            SqlState::CANNOT_CONNECT_NOW,
        ]
        .contains(code)
            || code.code().starts_with("08")
    });
    err.is_closed() || io_failure || gone
}

/// Errors that say "try again shortly" without the connection being lost: a statement cancelled by
/// `statement_timeout` (57014) and insufficient resources (class 53: disk full, out of memory, too many
/// connections). The transaction was rolled back.
fn is_transient(code: &tokio_postgres::error::SqlState) -> bool {
    *code == tokio_postgres::error::SqlState::QUERY_CANCELED || code.code().starts_with("53")
}

/// Text PostgreSQL cannot store: NUL (22021 `character_not_in_repertoire`) or an untranslatable character.
fn is_bad_text(code: &tokio_postgres::error::SqlState) -> bool {
    use tokio_postgres::error::SqlState;
    [
        SqlState::CHARACTER_NOT_IN_REPERTOIRE,
        SqlState::UNTRANSLATABLE_CHARACTER,
    ]
    .contains(code)
}

/// A database error as an operator needs it in the log: what failed and, for errors PostgreSQL reported,
/// the SQLSTATE, severity, message and the schema objects involved (never the row values in `detail`).
pub struct PgErrorText<'a>(pub &'a tokio_postgres::Error);

impl std::fmt::Display for PgErrorText<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let err = self.0;
        let Some(db) = err.as_db_error() else {
            // Not PostgreSQL's own error: the kind, then each cause (an I/O error, a conversion failure).
            write!(f, "{err}")?;
            let mut cause = std::error::Error::source(err);
            while let Some(inner) = cause {
                write!(f, ": {inner}")?;
                cause = inner.source();
            }
            return Ok(());
        };
        write!(f, "SQLSTATE {} {}: {}", db.code().code(), db.severity(), db.message())?;
        let objects = [
            ("schema", db.schema()),
            ("table", db.table()),
            ("column", db.column()),
            ("constraint", db.constraint()),
            ("routine", db.routine()),
        ];
        for (what, name) in objects {
            if let Some(name) = name {
                write!(f, "; {what} {name}")?;
            }
        }
        if let Some(hint) = db.hint() {
            write!(f, "; hint: {hint}")?;
        }
        Ok(())
    }
}

impl From<crate::domain::access::NotAnAdmin> for AppError {
    fn from(refused: crate::domain::access::NotAnAdmin) -> Self {
        AppError::Forbidden(refused.to_string())
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
        assert_eq!(AppError::OutcomeUnknown.code().as_str(), "outcome_unknown");
        let internal = serde_json::to_value(AppError::Internal.to_api()).unwrap();
        assert_eq!(
            internal,
            serde_json::json!({"code": "internal", "message": "internal error; the server log has details"})
        );
    }
}
