//! Agent accounts: admins list, create, disable and enable them, change their role and reset their
//! password; every agent may read the directory of names.

use actix_web::{HttpResponse, web as aw};
use loket_protocol::AgentId;
use loket_protocol::api::{NewAgent, PasswordReset, RoleChange};

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

async fn list(state: State, _admin: AdminAgent) -> Result<HttpResponse, WebError> {
    Ok(HttpResponse::Ok().json(state.desk.accounts().await?))
}

async fn create(
    state: State,
    AdminAgent(admin): AdminAgent,
    body: aw::Json<NewAgent>,
) -> Result<HttpResponse, WebError> {
    Ok(created(&state.desk.create_agent(&admin, body.into_inner()).await?))
}

async fn directory(state: State, _agent: CurrentAgent) -> Result<HttpResponse, WebError> {
    let client = state.desk.pool.get().await?;
    Ok(HttpResponse::Ok().json(db::agents::directory(&client).await?))
}

/// Ends the agent's sign-ins and sockets at once; they cannot sign in until enabled.
async fn disable(state: State, AdminAgent(admin): AdminAgent, id: aw::Path<i64>) -> Result<HttpResponse, WebError> {
    Ok(HttpResponse::Ok().json(state.desk.disable_agent(&admin, AgentId(*id)).await?))
}

async fn enable(state: State, AdminAgent(admin): AdminAgent, id: aw::Path<i64>) -> Result<HttpResponse, WebError> {
    Ok(HttpResponse::Ok().json(state.desk.enable_agent(&admin, AgentId(*id)).await?))
}

async fn set_role(
    state: State,
    AdminAgent(admin): AdminAgent,
    id: aw::Path<i64>,
    body: aw::Json<RoleChange>,
) -> Result<HttpResponse, WebError> {
    let account = state.desk.set_agent_role(&admin, AgentId(*id), body.role).await?;
    Ok(HttpResponse::Ok().json(account))
}

/// Sets the given password or generates one (answered once); the agent's sign-ins end.
async fn reset_password(
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
