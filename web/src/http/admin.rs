//! Invite codes, categories, sign-in sessions and the admin audit trail: admins manage them; any agent may
//! read the categories.

use actix_web::{HttpRequest, HttpResponse, web as aw};
use chrono::Utc;
use loket_protocol::api::{
    AuditEntry, AuditQuery, Category, CategoryChange, CategoryQuery, InviteCode, NewCategory, NewInviteCode,
    SessionInfo, SessionQuery,
};
use loket_protocol::{ApiError, CategoryId, SessionId};

use crate::error::WebError;
use crate::http::auth::{AdminAgent, CurrentAgent, request_token};
use crate::http::{AppState, State, created};
use loket_core::AppError;
use loket_core::auth;
use loket_core::db;

/// Largest `max_uses` an invite code may have.
const MAX_INVITE_USES: i32 = 100_000;

pub fn routes(cfg: &mut aw::ServiceConfig) {
    cfg.route("/invite-codes", aw::get().to(list_invites))
        .route("/invite-codes", aw::post().to(create_invite))
        .route("/invite-codes/{code}", aw::delete().to(revoke_invite))
        .route("/categories", aw::get().to(list_categories))
        .route("/categories", aw::post().to(create_category))
        .route("/categories/{id}", aw::patch().to(change_category))
        .route("/sessions", aw::get().to(list_sessions))
        .route("/sessions/{id}", aw::delete().to(end_session))
        .route("/audit", aw::get().to(audit));
}

fn with_link(state: &AppState, mut code: InviteCode) -> InviteCode {
    code.link = state.invite_link_base.get().map(|base| format!("{base}{}", code.code));
    code
}

/// A new invite code: short enough to type, random enough not to guess.
pub fn new_invite_code() -> String {
    auth::random_secret(9)
}

/// Creates an invite code reporters redeem in the Telegram bot (admins only).
#[utoipa::path(
    post, path = "/api/invite-codes", tag = "admin", security(("session_cookie" = []), ("bearer" = [])),
    request_body = NewInviteCode,
    responses(
        (status = 201, description = "Created", body = InviteCode),
        (status = 400, description = "The request is malformed or a field has a bad value", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Signed in, but only admins may do that", body = ApiError),
        (status = 409, description = "Conflicts with the current state (see `code`)", body = ApiError),
        (status = 413, description = "The body is too large", body = ApiError),
        (status = 503, description = "The database is unreachable; nothing was changed", body = ApiError),
    )
)]
pub(crate) async fn create_invite(
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

/// Every invite code (admins only).
#[utoipa::path(
    get, path = "/api/invite-codes", tag = "admin", security(("session_cookie" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "Every invite code", body = Vec<InviteCode>),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Signed in, but only admins may do that", body = ApiError),
        (status = 503, description = "The database is unreachable; nothing was changed", body = ApiError),
    )
)]
pub(crate) async fn list_invites(state: State, _admin: AdminAgent) -> Result<HttpResponse, WebError> {
    let client = state.desk.pool.get().await?;
    let codes: Vec<InviteCode> = db::admin::list_invites(&client)
        .await?
        .into_iter()
        .map(|c| with_link(&state, c))
        .collect();
    Ok(HttpResponse::Ok().json(codes))
}

/// Revokes an invite code (admins only).
#[utoipa::path(
    delete, path = "/api/invite-codes/{code}", tag = "admin", security(("session_cookie" = []), ("bearer" = [])),
    params(("code" = String, Path, description = "The invite code")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Signed in, but only admins may do that", body = ApiError),
        (status = 404, description = "No such record", body = ApiError),
        (status = 503, description = "The database is unreachable; nothing was changed", body = ApiError),
    )
)]
pub(crate) async fn revoke_invite(
    state: State,
    _admin: AdminAgent,
    code: aw::Path<String>,
) -> Result<HttpResponse, WebError> {
    let client = state.desk.pool.get().await?;
    if db::admin::revoke_invite(&client, &code).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(AppError::NotFound("invite code").into())
    }
}

#[utoipa::path(
    get, path = "/api/categories", tag = "admin", security(("session_cookie" = []), ("bearer" = [])),
    params(CategoryQuery),
    responses(
        (status = 200, description = "The categories", body = Vec<Category>),
        (status = 400, description = "The request is malformed or a field has a bad value", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 503, description = "The database is unreachable; nothing was changed", body = ApiError),
    )
)]
/// Every category (retired ones marked: tickets keep them), or with `offered=true` only those new tickets
/// may use.
pub(crate) async fn list_categories(
    state: State,
    _agent: CurrentAgent,
    query: aw::Query<CategoryQuery>,
) -> Result<HttpResponse, WebError> {
    let client = state.desk.pool.get().await?;
    let categories = if query.offered {
        db::admin::offered_categories(&client).await?
    } else {
        db::admin::list_categories(&client).await?
    };
    Ok(HttpResponse::Ok().json(categories))
}

/// Creates a category (admins only).
#[utoipa::path(
    post, path = "/api/categories", tag = "admin", security(("session_cookie" = []), ("bearer" = [])),
    request_body = NewCategory,
    responses(
        (status = 201, description = "Created", body = Category),
        (status = 400, description = "The request is malformed or a field has a bad value", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Signed in, but only admins may do that", body = ApiError),
        (status = 409, description = "Conflicts with the current state (see `code`)", body = ApiError),
        (status = 413, description = "The body is too large", body = ApiError),
        (status = 503, description = "The database is unreachable; nothing was changed", body = ApiError),
    )
)]
pub(crate) async fn create_category(
    state: State,
    AdminAgent(admin): AdminAgent,
    body: aw::Json<NewCategory>,
) -> Result<HttpResponse, WebError> {
    Ok(created(&state.desk.create_category(&admin, &body.name).await?))
}

#[utoipa::path(
    patch, path = "/api/categories/{id}", tag = "admin", security(("session_cookie" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "The category's id")),
    request_body = CategoryChange,
    responses(
        (status = 200, description = "Changed", body = Category),
        (status = 400, description = "The request is malformed or a field has a bad value", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Signed in, but only admins may do that", body = ApiError),
        (status = 404, description = "No such record", body = ApiError),
        (status = 409, description = "Conflicts with the current state (see `code`)", body = ApiError),
        (status = 413, description = "The body is too large", body = ApiError),
        (status = 503, description = "The database is unreachable; nothing was changed", body = ApiError),
    )
)]
/// Renames, retires or restores a category.
pub(crate) async fn change_category(
    state: State,
    AdminAgent(admin): AdminAgent,
    id: aw::Path<i64>,
    body: aw::Json<CategoryChange>,
) -> Result<HttpResponse, WebError> {
    let category = state
        .desk
        .change_category(&admin, CategoryId(*id), body.into_inner())
        .await?;
    Ok(HttpResponse::Ok().json(category))
}

#[utoipa::path(
    get, path = "/api/sessions", tag = "admin", security(("session_cookie" = []), ("bearer" = [])),
    params(SessionQuery),
    responses(
        (status = 200, description = "Unexpired sign-ins", body = Vec<SessionInfo>),
        (status = 400, description = "The request is malformed or a field has a bad value", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Signed in, but only admins may do that", body = ApiError),
        (status = 503, description = "The database is unreachable; nothing was changed", body = ApiError),
    )
)]
/// Unexpired sign-ins, the asking one marked `current`.
pub(crate) async fn list_sessions(
    state: State,
    req: HttpRequest,
    _admin: AdminAgent,
    query: aw::Query<SessionQuery>,
) -> Result<HttpResponse, WebError> {
    let current = request_token(&req).map(|t| auth::token_digest(&t)).unwrap_or_default();
    Ok(HttpResponse::Ok().json(state.desk.sessions(&query, &current).await?))
}

#[utoipa::path(
    delete, path = "/api/sessions/{id}", tag = "admin", security(("session_cookie" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "The sign-in's id")),
    responses(
        (status = 204, description = "Ended"),
        (status = 400, description = "The request is malformed or a field has a bad value", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Signed in, but only admins may do that", body = ApiError),
        (status = 404, description = "No such record", body = ApiError),
        (status = 503, description = "The database is unreachable; nothing was changed", body = ApiError),
    )
)]
/// Ends a sign-in; its WebSockets close.
pub(crate) async fn end_session(
    state: State,
    AdminAgent(admin): AdminAgent,
    id: aw::Path<i64>,
) -> Result<HttpResponse, WebError> {
    state.desk.end_session(&admin, SessionId(*id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The admin audit trail, newest first (admins only).
#[utoipa::path(
    get, path = "/api/audit", tag = "admin", security(("session_cookie" = []), ("bearer" = [])),
    params(AuditQuery),
    responses(
        (status = 200, description = "Audit entries", body = Vec<AuditEntry>),
        (status = 400, description = "The request is malformed or a field has a bad value", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Signed in, but only admins may do that", body = ApiError),
        (status = 503, description = "The database is unreachable; nothing was changed", body = ApiError),
    )
)]
pub(crate) async fn audit(
    state: State,
    _admin: AdminAgent,
    query: aw::Query<AuditQuery>,
) -> Result<HttpResponse, WebError> {
    Ok(HttpResponse::Ok().json(state.desk.audit(&query).await?))
}
