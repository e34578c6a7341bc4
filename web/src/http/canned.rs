//! Canned replies (`/api/canned-replies`): every agent lists, searches and renders the shared ones and
//! their own; agents manage their personal ones, admins the shared ones (the rule is
//! `protocol::canned::may_manage`, applied by the core).

use actix_web::{HttpResponse, web as aw};
use loket_protocol::canned::{CannedQuery, CannedReply, CannedReplyChange, NewCannedReply, RenderQuery, RenderedReply};
use loket_protocol::{ApiError, CannedReplyId};

use crate::error::WebError;
use crate::http::auth::CurrentAgent;
use crate::http::{State, created};

pub fn routes(cfg: &mut aw::ServiceConfig) {
    cfg.route("/canned-replies", aw::get().to(list))
        .route("/canned-replies", aw::post().to(create))
        .route("/canned-replies/{id}", aw::get().to(one))
        .route("/canned-replies/{id}", aw::patch().to(change))
        .route("/canned-replies/{id}", aw::delete().to(remove))
        .route("/canned-replies/{id}/render", aw::get().to(render));
}

#[utoipa::path(
    get, path = "/api/canned-replies", tag = "canned-replies", security(("session_cookie" = []), ("bearer" = [])),
    params(CannedQuery),
    responses(
        (status = 200, description = "The shared canned replies and your own, by shortcut (at most 100)", body = Vec<CannedReply>),
        (status = 400, description = "The request is malformed or a field has a bad value", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 503, description = "The database is unreachable", body = ApiError),
    )
)]
/// Lists (with `q`: searches title, shortcut and both texts of) the canned replies you may use.
pub(crate) async fn list(
    state: State,
    CurrentAgent(agent): CurrentAgent,
    query: aw::Query<CannedQuery>,
) -> Result<HttpResponse, WebError> {
    Ok(HttpResponse::Ok().json(state.desk.canned_replies(&agent, query.q.as_deref()).await?))
}

#[utoipa::path(
    post, path = "/api/canned-replies", tag = "canned-replies", security(("session_cookie" = []), ("bearer" = [])),
    request_body = NewCannedReply,
    responses(
        (status = 201, description = "Created", body = CannedReply),
        (status = 400, description = "The request is malformed or a field has a bad value", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Only admins add shared canned replies", body = ApiError),
        (status = 409, description = "The shortcut is taken", body = ApiError),
        (status = 413, description = "The body is too large", body = ApiError),
        (status = 503, description = "The database is unreachable; nothing was changed", body = ApiError),
    )
)]
/// Adds a canned reply: a personal one (yours alone), or, for admins, a shared one.
pub(crate) async fn create(
    state: State,
    CurrentAgent(agent): CurrentAgent,
    body: aw::Json<NewCannedReply>,
) -> Result<HttpResponse, WebError> {
    Ok(created(
        &state.desk.create_canned_reply(&agent, body.into_inner()).await?,
    ))
}

#[utoipa::path(
    get, path = "/api/canned-replies/{id}", tag = "canned-replies", security(("session_cookie" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "The canned reply")),
    responses(
        (status = 200, description = "The canned reply", body = CannedReply),
        (status = 400, description = "The request is malformed or a field has a bad value", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 404, description = "No such record (or someone else's personal one)", body = ApiError),
        (status = 503, description = "The database is unreachable", body = ApiError),
    )
)]
/// One canned reply you may use.
pub(crate) async fn one(
    state: State,
    CurrentAgent(agent): CurrentAgent,
    id: aw::Path<i64>,
) -> Result<HttpResponse, WebError> {
    Ok(HttpResponse::Ok().json(state.desk.canned_reply(&agent, CannedReplyId(id.into_inner())).await?))
}

#[utoipa::path(
    patch, path = "/api/canned-replies/{id}", tag = "canned-replies", security(("session_cookie" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "The canned reply")),
    request_body = CannedReplyChange,
    responses(
        (status = 200, description = "Changed", body = CannedReply),
        (status = 400, description = "The request is malformed or a field has a bad value", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Only admins change shared canned replies", body = ApiError),
        (status = 404, description = "No such record (or someone else's personal one)", body = ApiError),
        (status = 409, description = "The shortcut is taken", body = ApiError),
        (status = 413, description = "The body is too large", body = ApiError),
        (status = 503, description = "The database is unreachable; nothing was changed", body = ApiError),
    )
)]
/// Changes a canned reply you manage (your own personal ones; admins: the shared ones).
pub(crate) async fn change(
    state: State,
    CurrentAgent(agent): CurrentAgent,
    id: aw::Path<i64>,
    body: aw::Json<CannedReplyChange>,
) -> Result<HttpResponse, WebError> {
    let id = CannedReplyId(id.into_inner());
    Ok(HttpResponse::Ok().json(state.desk.change_canned_reply(&agent, id, body.into_inner()).await?))
}

#[utoipa::path(
    delete, path = "/api/canned-replies/{id}", tag = "canned-replies", security(("session_cookie" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "The canned reply")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "The request is malformed or a field has a bad value", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Only admins delete shared canned replies", body = ApiError),
        (status = 404, description = "No such record (or someone else's personal one)", body = ApiError),
        (status = 503, description = "The database is unreachable; nothing was changed", body = ApiError),
    )
)]
/// Deletes a canned reply you manage.
pub(crate) async fn remove(
    state: State,
    CurrentAgent(agent): CurrentAgent,
    id: aw::Path<i64>,
) -> Result<HttpResponse, WebError> {
    state
        .desk
        .delete_canned_reply(&agent, CannedReplyId(id.into_inner()))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    get, path = "/api/canned-replies/{id}/render", tag = "canned-replies", security(("session_cookie" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "The canned reply"), RenderQuery),
    responses(
        (status = 200, description = "The text for the ticket, in its reporter's language; unknown placeholders stay and are listed", body = RenderedReply),
        (status = 400, description = "The request is malformed or a field has a bad value", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 404, description = "No such canned reply or ticket", body = ApiError),
        (status = 503, description = "The database is unreachable", body = ApiError),
    )
)]
/// A canned reply rendered for a ticket: its placeholders filled in, in the reporter's language.
pub(crate) async fn render(
    state: State,
    CurrentAgent(agent): CurrentAgent,
    id: aw::Path<i64>,
    query: aw::Query<RenderQuery>,
) -> Result<HttpResponse, WebError> {
    let rendered = state
        .desk
        .render_canned_reply(&agent, CannedReplyId(id.into_inner()), query.ticket_id)
        .await?;
    Ok(HttpResponse::Ok().json(rendered))
}
