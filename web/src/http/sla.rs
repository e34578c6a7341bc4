//! Service levels (`/api/sla/...`, docs/sla.md): every agent reads the calendars and policies; admins
//! change them (the core refuses anyone else as well).

use actix_web::{HttpResponse, web as aw};
use loket_protocol::ApiError;
use loket_protocol::sla::{SlaCalendar, SlaPolicy};

use crate::error::WebError;
use crate::http::State;
use crate::http::auth::{AdminAgent, CurrentAgent};

pub fn routes(cfg: &mut aw::ServiceConfig) {
    cfg.route("/sla/calendars", aw::get().to(calendars))
        .route("/sla/calendars", aw::post().to(add_calendar))
        .route("/sla/calendars/{id}", aw::put().to(replace_calendar))
        .route("/sla/policies", aw::get().to(policies))
        .route("/sla/policies", aw::put().to(set_policy))
        .route("/sla/policies/{id}", aw::delete().to(delete_policy));
}

#[utoipa::path(
    get, path = "/api/sla/calendars", tag = "sla", security(("session_cookie" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "Every business-hours calendar, by name", body = Vec<SlaCalendar>),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 503, description = "The database is unreachable", body = ApiError),
    )
)]
/// The business-hours calendars service levels are measured on.
pub(crate) async fn calendars(state: State, _agent: CurrentAgent) -> Result<HttpResponse, WebError> {
    Ok(HttpResponse::Ok().json(state.desk.sla_calendars().await?))
}

#[utoipa::path(
    post, path = "/api/sla/calendars", tag = "sla", security(("session_cookie" = []), ("bearer" = [])),
    request_body = SlaCalendar,
    responses(
        (status = 201, description = "Added", body = SlaCalendar),
        (status = 400, description = "Unknown time zone, malformed hours (HH:MM-HH:MM, seven days) or a calendar never open", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Only admins change service levels", body = ApiError),
        (status = 409, description = "A calendar with this name exists already", body = ApiError),
        (status = 503, description = "The database is unreachable; nothing was changed", body = ApiError),
    )
)]
/// Adds a business-hours calendar (admins).
pub(crate) async fn add_calendar(
    state: State,
    AdminAgent(admin): AdminAgent,
    body: aw::Json<SlaCalendar>,
) -> Result<HttpResponse, WebError> {
    let calendar = SlaCalendar {
        id: 0,
        ..body.into_inner()
    };
    Ok(HttpResponse::Created().json(state.desk.save_sla_calendar(&admin, calendar).await?))
}

#[utoipa::path(
    put, path = "/api/sla/calendars/{id}", tag = "sla", security(("session_cookie" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "The calendar")),
    request_body = SlaCalendar,
    responses(
        (status = 200, description = "Replaced", body = SlaCalendar),
        (status = 400, description = "Unknown time zone, malformed hours (HH:MM-HH:MM, seven days) or a calendar never open", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Only admins change service levels", body = ApiError),
        (status = 404, description = "No such calendar", body = ApiError),
        (status = 409, description = "A calendar with this name exists already", body = ApiError),
        (status = 503, description = "The database is unreachable; nothing was changed", body = ApiError),
    )
)]
/// Replaces a calendar (admins). Tickets measured on it follow it from their next clock change.
pub(crate) async fn replace_calendar(
    state: State,
    AdminAgent(admin): AdminAgent,
    id: aw::Path<i64>,
    body: aw::Json<SlaCalendar>,
) -> Result<HttpResponse, WebError> {
    let id = id.into_inner();
    if id <= 0 {
        return Err(WebError(loket_core::AppError::NotFound("calendar")));
    }
    let calendar = SlaCalendar {
        id,
        ..body.into_inner()
    };
    Ok(HttpResponse::Ok().json(state.desk.save_sla_calendar(&admin, calendar).await?))
}

#[utoipa::path(
    get, path = "/api/sla/policies", tag = "sla", security(("session_cookie" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "Every policy, the most specific first", body = Vec<SlaPolicy>),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 503, description = "The database is unreachable", body = ApiError),
    )
)]
/// The service-level policies: promises per queue and priority.
pub(crate) async fn policies(state: State, _agent: CurrentAgent) -> Result<HttpResponse, WebError> {
    Ok(HttpResponse::Ok().json(state.desk.sla_policies().await?))
}

#[utoipa::path(
    put, path = "/api/sla/policies", tag = "sla", security(("session_cookie" = []), ("bearer" = [])),
    request_body = SlaPolicy,
    responses(
        (status = 200, description = "Set (a policy for the same queue and priority is replaced)", body = SlaPolicy),
        (status = 400, description = "No promise, a promise outside 1 s to 366 days, warn_share not between 0 and 1, or no such queue or calendar", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Only admins change service levels", body = ApiError),
        (status = 503, description = "The database is unreachable; nothing was changed", body = ApiError),
    )
)]
/// Sets the policy for a queue and priority (either may be absent: any), replacing one there (admins).
/// Tickets follow it from their next change that moves a clock (docs/sla.md).
pub(crate) async fn set_policy(
    state: State,
    AdminAgent(admin): AdminAgent,
    body: aw::Json<SlaPolicy>,
) -> Result<HttpResponse, WebError> {
    Ok(HttpResponse::Ok().json(state.desk.save_sla_policy(&admin, body.into_inner()).await?))
}

#[utoipa::path(
    delete, path = "/api/sla/policies/{id}", tag = "sla", security(("session_cookie" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "The policy")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "The request is malformed", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Only admins change service levels", body = ApiError),
        (status = 404, description = "No such policy", body = ApiError),
        (status = 503, description = "The database is unreachable; nothing was changed", body = ApiError),
    )
)]
/// Deletes a policy (admins). Tickets keep their clocks until their next change that moves one.
pub(crate) async fn delete_policy(
    state: State,
    AdminAgent(admin): AdminAgent,
    id: aw::Path<i64>,
) -> Result<HttpResponse, WebError> {
    state.desk.delete_sla_policy(&admin, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
