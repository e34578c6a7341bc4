//! Invite codes and categories: admins manage them; any agent may read the categories.

use actix_web::{HttpResponse, web as aw};
use chrono::Utc;
use loket_protocol::api::{InviteCode, NewCategory, NewInviteCode};

use crate::error::WebError;
use crate::http::auth::{AdminAgent, CurrentAgent};
use crate::http::{AppState, State, created};
use loket_core::AppError;
use loket_core::auth;
use loket_core::db;
use loket_core::domain::validate;

/// Largest `max_uses` an invite code may have.
const MAX_INVITE_USES: i32 = 100_000;

pub fn routes(cfg: &mut aw::ServiceConfig) {
    cfg.route("/invite-codes", aw::get().to(list_invites))
        .route("/invite-codes", aw::post().to(create_invite))
        .route("/invite-codes/{code}", aw::delete().to(revoke_invite))
        .route("/categories", aw::get().to(list_categories))
        .route("/categories", aw::post().to(create_category));
}

fn with_link(state: &AppState, mut code: InviteCode) -> InviteCode {
    code.link = state.invite_link_base.get().map(|base| format!("{base}{}", code.code));
    code
}

/// A new invite code: short enough to type, random enough not to guess.
pub fn new_invite_code() -> String {
    auth::random_secret(9)
}

async fn create_invite(
    state: State,
    AdminAgent(admin): AdminAgent,
    body: aw::Json<NewInviteCode>,
) -> Result<HttpResponse, WebError> {
    let NewInviteCode { max_uses, expires_at } = body.into_inner();
    if !(1..=MAX_INVITE_USES).contains(&max_uses) {
        return Err(AppError::invalid(format!("max_uses must be between 1 and {MAX_INVITE_USES}")).into());
    }
    if expires_at.is_some_and(|at| at <= Utc::now()) {
        return Err(AppError::invalid("expires_at must be in the future").into());
    }
    let client = state.desk.pool.get().await?;
    let code = db::admin::create_invite(&client, &new_invite_code(), max_uses, expires_at, Some(admin.id)).await?;
    Ok(created(&with_link(&state, code)))
}

async fn list_invites(state: State, _admin: AdminAgent) -> Result<HttpResponse, WebError> {
    let client = state.desk.pool.get().await?;
    let codes: Vec<InviteCode> = db::admin::list_invites(&client)
        .await?
        .into_iter()
        .map(|c| with_link(&state, c))
        .collect();
    Ok(HttpResponse::Ok().json(codes))
}

async fn revoke_invite(state: State, _admin: AdminAgent, code: aw::Path<String>) -> Result<HttpResponse, WebError> {
    let client = state.desk.pool.get().await?;
    if db::admin::revoke_invite(&client, &code).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(AppError::NotFound("invite code").into())
    }
}

async fn list_categories(state: State, _agent: CurrentAgent) -> Result<HttpResponse, WebError> {
    let client = state.desk.pool.get().await?;
    Ok(HttpResponse::Ok().json(db::admin::list_categories(&client).await?))
}

async fn create_category(
    state: State,
    _admin: AdminAgent,
    body: aw::Json<NewCategory>,
) -> Result<HttpResponse, WebError> {
    let name = validate::line("name", &body.name, validate::MAX_NAME_CHARS)?;
    let client = state.desk.pool.get().await?;
    Ok(created(&db::admin::create_category(&client, &name).await?))
}
