//! The one place that turns the core's [`AppError`] into an HTTP response; WebSocket sessions use
//! [`AppError::to_frame`], so both carry the same code and body.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use loket_core::AppError;

/// An [`AppError`] on its way out through HTTP.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct WebError(#[from] pub AppError);

/// The HTTP status each error is answered with.
pub fn status(error: &AppError) -> StatusCode {
    match error {
        AppError::Invalid(_) => StatusCode::BAD_REQUEST,
        AppError::Unauthorized => StatusCode::UNAUTHORIZED,
        AppError::Forbidden(_) | AppError::AccountDisabled | AppError::NotInQueue => StatusCode::FORBIDDEN,
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::Locked { .. }
        | AppError::NotLockHolder { .. }
        | AppError::VersionConflict { .. }
        | AppError::Conflict(_) => StatusCode::CONFLICT,
        AppError::InvalidTransition { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        AppError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
        AppError::Unavailable | AppError::OutcomeUnknown => StatusCode::SERVICE_UNAVAILABLE,
        // Only a WebSocket `Resume` answers this; over HTTP it would mean the history is gone.
        AppError::ResyncRequired(_) => StatusCode::GONE,
        AppError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        status(&self.0)
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code()).json(self.0.to_api())
    }
}

impl From<loket_core::domain::validate::Invalid> for WebError {
    fn from(invalid: loket_core::domain::validate::Invalid) -> Self {
        WebError(invalid.into())
    }
}

impl From<loket_core::db::PoolError> for WebError {
    fn from(err: loket_core::db::PoolError) -> Self {
        WebError(err.into())
    }
}

impl From<loket_core::db::PgError> for WebError {
    fn from(err: loket_core::db::PgError) -> Self {
        WebError(err.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use loket_protocol::AgentId;
    use loket_protocol::ticket::AgentRef;

    #[test]
    fn errors_map_to_stable_statuses() {
        let holder = AgentRef {
            id: AgentId(7),
            name: "Ana".into(),
        };
        let locked = WebError(AppError::Locked { holder });
        assert_eq!(locked.status_code(), StatusCode::CONFLICT);
        assert_eq!(WebError(AppError::Unauthorized).status_code(), StatusCode::UNAUTHORIZED);
        assert_eq!(status(&AppError::Unavailable), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(status(&AppError::AccountDisabled), StatusCode::FORBIDDEN);
        assert_eq!(status(&AppError::OutcomeUnknown), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(status(&AppError::ResyncRequired("gone".into())), StatusCode::GONE);
        let response = WebError(AppError::Internal).error_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
