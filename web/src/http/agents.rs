//! Agent accounts: admins list and create them; every agent may read the directory of names.

use actix_web::{HttpResponse, web as aw};
use loket_protocol::api::NewAgent;

use crate::error::WebError;
use crate::http::auth::{AdminAgent, CurrentAgent};
use crate::http::{State, created};
use loket_core::AppError;
use loket_core::auth;
use loket_core::db;
use loket_core::domain::validate;

pub fn routes(cfg: &mut aw::ServiceConfig) {
    cfg.route("/agents", aw::get().to(list))
        .route("/agents", aw::post().to(create))
        .route("/agents/directory", aw::get().to(directory));
}

async fn list(state: State, _admin: AdminAgent) -> Result<HttpResponse, WebError> {
    let client = state.desk.pool.get().await?;
    Ok(HttpResponse::Ok().json(db::agents::list(&client).await?))
}

async fn create(
    state: State,
    AdminAgent(admin): AdminAgent,
    body: aw::Json<NewAgent>,
) -> Result<HttpResponse, WebError> {
    let new = body.into_inner();
    let email = validate::email(&new.email)?;
    let name = validate::line("name", &new.name, validate::MAX_NAME_CHARS)?;
    validate::password(&new.password)?;
    let password = new.password;
    let hash = aw::block(move || auth::hash_password(&password))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)?;
    let client = state.desk.pool.get().await?;
    let agent = db::agents::create(&client, &email, &name, new.role, &hash).await?;
    tracing::info!(admin = %admin.id, agent = %agent.id, role = agent.role.as_str(), "agent created");
    Ok(created(&agent))
}

async fn directory(state: State, _agent: CurrentAgent) -> Result<HttpResponse, WebError> {
    let client = state.desk.pool.get().await?;
    Ok(HttpResponse::Ok().json(db::agents::directory(&client).await?))
}
