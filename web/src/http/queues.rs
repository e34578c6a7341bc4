//! Queues (teams): every agent may list them; admins create them, make one the default and map
//! categories to them; admins and a queue's managers edit it and change its members. The rules are
//! `protocol::queue::may`, applied by the desk (`core/src/queues.rs`).

use actix_web::{HttpResponse, web as aw};
use loket_protocol::queue::{CategoryQueue, NewQueue, Queue, QueuePatch, SetMember};
use loket_protocol::{AgentId, ApiError, CategoryId, QueueId};

use crate::error::WebError;
use crate::http::auth::{AdminAgent, CurrentAgent};
use crate::http::{State, created};

pub fn routes(cfg: &mut aw::ServiceConfig) {
    cfg.route("/queues", aw::get().to(list))
        .route("/queues", aw::post().to(create))
        .route("/queues/{id}", aw::get().to(one))
        .route("/queues/{id}", aw::patch().to(change))
        .route("/queues/{id}/members/{agent_id}", aw::put().to(set_member))
        .route("/queues/{id}/members/{agent_id}", aw::delete().to(remove_member))
        .route("/categories/{id}/queue", aw::put().to(category_queue));
}

#[utoipa::path(
    get, path = "/api/queues", tag = "queues", security(("session_cookie" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "Every queue, by name, with its members and categories", body = Vec<Queue>),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 503, description = "The database is unreachable; nothing was changed", body = ApiError),
    )
)]
/// Every queue, by name.
pub(crate) async fn list(state: State, _agent: CurrentAgent) -> Result<HttpResponse, WebError> {
    Ok(HttpResponse::Ok().json(state.desk.queues().await?))
}

#[utoipa::path(
    get, path = "/api/queues/{id}", tag = "queues", security(("session_cookie" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "The queue's id")),
    responses(
        (status = 200, description = "The queue", body = Queue),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 404, description = "No such record", body = ApiError),
        (status = 503, description = "The database is unreachable; nothing was changed", body = ApiError),
    )
)]
/// One queue.
pub(crate) async fn one(state: State, _agent: CurrentAgent, id: aw::Path<i64>) -> Result<HttpResponse, WebError> {
    Ok(HttpResponse::Ok().json(state.desk.queue(QueueId(*id)).await?))
}

#[utoipa::path(
    post, path = "/api/queues", tag = "queues", security(("session_cookie" = []), ("bearer" = [])),
    request_body = NewQueue,
    responses(
        (status = 201, description = "Created", body = Queue),
        (status = 400, description = "The request is malformed or a field has a bad value", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Signed in, but only admins may do that", body = ApiError),
        (status = 409, description = "A queue with that name exists", body = ApiError),
        (status = 503, description = "The database is unreachable; nothing was changed", body = ApiError),
    )
)]
/// Creates a queue (admins).
pub(crate) async fn create(
    state: State,
    AdminAgent(admin): AdminAgent,
    body: aw::Json<NewQueue>,
) -> Result<HttpResponse, WebError> {
    Ok(created(&state.desk.create_queue(&admin, body.into_inner()).await?))
}

#[utoipa::path(
    patch, path = "/api/queues/{id}", tag = "queues", security(("session_cookie" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "The queue's id")),
    request_body = QueuePatch,
    responses(
        (status = 200, description = "Changed", body = Queue),
        (status = 400, description = "The request is malformed or a field has a bad value", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Only admins, and the queue's managers for its name and description", body = ApiError),
        (status = 404, description = "No such record", body = ApiError),
        (status = 409, description = "A queue with that name exists", body = ApiError),
        (status = 503, description = "The database is unreachable; nothing was changed", body = ApiError),
    )
)]
/// Renames a queue, sets its description, or makes it the default.
pub(crate) async fn change(
    state: State,
    CurrentAgent(agent): CurrentAgent,
    id: aw::Path<i64>,
    body: aw::Json<QueuePatch>,
) -> Result<HttpResponse, WebError> {
    let queue = state.desk.change_queue(&agent, QueueId(*id), body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(queue))
}

#[utoipa::path(
    put, path = "/api/queues/{id}/members/{agent_id}", tag = "queues", security(("session_cookie" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "The queue's id"), ("agent_id" = i64, Path, description = "The agent's id")),
    request_body = SetMember,
    responses(
        (status = 200, description = "The queue with its members", body = Queue),
        (status = 400, description = "The request is malformed or a field has a bad value", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Only admins, and the queue's managers for plain members", body = ApiError),
        (status = 404, description = "No such record", body = ApiError),
        (status = 503, description = "The database is unreachable; nothing was changed", body = ApiError),
    )
)]
/// Adds an agent to a queue, or changes whether they manage it. Their open screens reconnect.
pub(crate) async fn set_member(
    state: State,
    CurrentAgent(agent): CurrentAgent,
    path: aw::Path<(i64, i64)>,
    body: aw::Json<SetMember>,
) -> Result<HttpResponse, WebError> {
    let (id, member) = path.into_inner();
    let queue = state
        .desk
        .set_queue_member(&agent, QueueId(id), AgentId(member), body.into_inner())
        .await?;
    Ok(HttpResponse::Ok().json(queue))
}

#[utoipa::path(
    delete, path = "/api/queues/{id}/members/{agent_id}", tag = "queues", security(("session_cookie" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "The queue's id"), ("agent_id" = i64, Path, description = "The agent's id")),
    responses(
        (status = 200, description = "The queue with its members", body = Queue),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Only admins, and the queue's managers for plain members", body = ApiError),
        (status = 404, description = "No such record", body = ApiError),
        (status = 503, description = "The database is unreachable; nothing was changed", body = ApiError),
    )
)]
/// Takes an agent out of a queue. Their open screens reconnect and no longer show its tickets.
pub(crate) async fn remove_member(
    state: State,
    CurrentAgent(agent): CurrentAgent,
    path: aw::Path<(i64, i64)>,
) -> Result<HttpResponse, WebError> {
    let (id, member) = path.into_inner();
    let queue = state
        .desk
        .remove_queue_member(&agent, QueueId(id), AgentId(member))
        .await?;
    Ok(HttpResponse::Ok().json(queue))
}

#[utoipa::path(
    put, path = "/api/categories/{id}/queue", tag = "queues", security(("session_cookie" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "The category's id")),
    request_body = CategoryQueue,
    responses(
        (status = 204, description = "Reports in the category are now filed in that queue"),
        (status = 400, description = "The request is malformed or a field has a bad value", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Signed in, but only admins may do that", body = ApiError),
        (status = 404, description = "No such record", body = ApiError),
        (status = 503, description = "The database is unreachable; nothing was changed", body = ApiError),
    )
)]
/// Files a category's new reports in a queue (`null`: the default queue).
pub(crate) async fn category_queue(
    state: State,
    AdminAgent(admin): AdminAgent,
    id: aw::Path<i64>,
    body: aw::Json<CategoryQueue>,
) -> Result<HttpResponse, WebError> {
    state
        .desk
        .set_category_queue(&admin, CategoryId(*id), body.into_inner())
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
