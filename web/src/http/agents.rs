//! Agent accounts: admins list, create, disable and enable them, change their role and reset their
//! password; every agent may read the directory of names.

use actix_web::{HttpResponse, web as aw};
use loket_protocol::api::{AgentAccount, NewAgent, PasswordReset, PasswordResetDone, RoleChange};
use loket_protocol::ticket::AgentRef;
use loket_protocol::{AgentId, ApiError};

use crate::error::WebError;
use crate::http::auth::{AdminAgent, CurrentAgent};
use crate::http::{State, created};
use loket_core::db;

pub fn routes(cfg: &mut aw::ServiceConfig) {
    cfg.route("/agents", aw::get().to(list))
        .route("/agents", aw::post().to(create))
        .route("/agents/directory", aw::get().to(directory))
        .route("/agents/{id}/disable", aw::post().to(disable))
        .route("/agents/{id}/enable", aw::post().to(enable))
        .route("/agents/{id}/role", aw::put().to(set_role))
        .route("/agents/{id}/password", aw::post().to(reset_password));
}

/// Every agent account with its state (admins only).
#[utoipa::path(
    get, path = "/api/agents", tag = "agents", security(("session_cookie" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "Every account", body = Vec<AgentAccount>),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Signed in, but only admins may do that", body = ApiError),
        (status = 503, description = "The database is unreachable; nothing was changed", body = ApiError),
    )
)]
pub(crate) async fn list(state: State, _admin: AdminAgent) -> Result<HttpResponse, WebError> {
    Ok(HttpResponse::Ok().json(state.desk.accounts().await?))
}

/// Creates an agent account (admins only).
#[utoipa::path(
    post, path = "/api/agents", tag = "agents", security(("session_cookie" = []), ("bearer" = [])),
    request_body = NewAgent,
    responses(
        (status = 201, description = "Created", body = AgentAccount),
        (status = 400, description = "The request is malformed or a field has a bad value", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Signed in, but only admins may do that", body = ApiError),
        (status = 409, description = "Conflicts with the current state (see `code`)", body = ApiError),
        (status = 413, description = "The body is too large", body = ApiError),
        (status = 503, description = "The database is unreachable; nothing was changed", body = ApiError),
    )
)]
pub(crate) async fn create(
    state: State,
    AdminAgent(admin): AdminAgent,
    body: aw::Json<NewAgent>,
) -> Result<HttpResponse, WebError> {
    Ok(created(&state.desk.create_agent(&admin, body.into_inner()).await?))
}

/// The names of every agent, for any signed-in agent.
#[utoipa::path(
    get, path = "/api/agents/directory", tag = "agents", security(("session_cookie" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "Every agent's id and name", body = Vec<AgentRef>),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 503, description = "The database is unreachable; nothing was changed", body = ApiError),
    )
)]
pub(crate) async fn directory(state: State, _agent: CurrentAgent) -> Result<HttpResponse, WebError> {
    let client = state.desk.pool.get().await?;
    Ok(HttpResponse::Ok().json(db::agents::directory(&client).await?))
}

#[utoipa::path(
    post, path = "/api/agents/{id}/disable", tag = "agents", security(("session_cookie" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "The agent's id")),
    responses(
        (status = 200, description = "Disabled", body = AgentAccount),
        (status = 400, description = "The request is malformed or a field has a bad value", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Signed in, but only admins may do that", body = ApiError),
        (status = 404, description = "No such record", body = ApiError),
        (status = 409, description = "Conflicts with the current state (see `code`)", body = ApiError),
        (status = 503, description = "The database is unreachable; nothing was changed", body = ApiError),
    )
)]
/// Ends the agent's sign-ins and sockets at once; they cannot sign in until enabled.
pub(crate) async fn disable(
    state: State,
    AdminAgent(admin): AdminAgent,
    id: aw::Path<i64>,
) -> Result<HttpResponse, WebError> {
    Ok(HttpResponse::Ok().json(state.desk.disable_agent(&admin, AgentId(*id)).await?))
}

/// Lets a disabled agent sign in again.
#[utoipa::path(
    post, path = "/api/agents/{id}/enable", tag = "agents", security(("session_cookie" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "The agent's id")),
    responses(
        (status = 200, description = "Enabled", body = AgentAccount),
        (status = 400, description = "The request is malformed or a field has a bad value", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Signed in, but only admins may do that", body = ApiError),
        (status = 404, description = "No such record", body = ApiError),
        (status = 503, description = "The database is unreachable; nothing was changed", body = ApiError),
    )
)]
pub(crate) async fn enable(
    state: State,
    AdminAgent(admin): AdminAgent,
    id: aw::Path<i64>,
) -> Result<HttpResponse, WebError> {
    Ok(HttpResponse::Ok().json(state.desk.enable_agent(&admin, AgentId(*id)).await?))
}

/// Makes an agent an admin or a plain agent.
#[utoipa::path(
    put, path = "/api/agents/{id}/role", tag = "agents", security(("session_cookie" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "The agent's id")),
    request_body = RoleChange,
    responses(
        (status = 200, description = "Changed", body = AgentAccount),
        (status = 400, description = "The request is malformed or a field has a bad value", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Signed in, but only admins may do that", body = ApiError),
        (status = 404, description = "No such record", body = ApiError),
        (status = 409, description = "Conflicts with the current state (see `code`)", body = ApiError),
        (status = 413, description = "The body is too large", body = ApiError),
        (status = 503, description = "The database is unreachable; nothing was changed", body = ApiError),
    )
)]
pub(crate) async fn set_role(
    state: State,
    AdminAgent(admin): AdminAgent,
    id: aw::Path<i64>,
    body: aw::Json<RoleChange>,
) -> Result<HttpResponse, WebError> {
    let account = state.desk.set_agent_role(&admin, AgentId(*id), body.role).await?;
    Ok(HttpResponse::Ok().json(account))
}

#[utoipa::path(
    post, path = "/api/agents/{id}/password", tag = "agents", security(("session_cookie" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "The agent's id")),
    request_body(content = Option<PasswordReset>, description = "Leave the body out (or `password` out) to have a password generated"),
    responses(
        (status = 200, description = "Reset; every sign-in of the agent ended", body = PasswordResetDone),
        (status = 400, description = "The request is malformed or a field has a bad value", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Signed in, but only admins may do that", body = ApiError),
        (status = 404, description = "No such record", body = ApiError),
        (status = 413, description = "The body is too large", body = ApiError),
        (status = 503, description = "The database is unreachable; nothing was changed", body = ApiError),
    )
)]
/// Sets the given password or generates one (answered once); the agent's sign-ins end.
pub(crate) async fn reset_password(
    state: State,
    AdminAgent(admin): AdminAgent,
    id: aw::Path<i64>,
    body: aw::Bytes,
) -> Result<HttpResponse, WebError> {
    let request: PasswordReset = crate::http::optional_json(&body)?;
    let done = state
        .desk
        .reset_password(&admin, AgentId(*id), request.password)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(done))
}
