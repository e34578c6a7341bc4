//! Tickets over REST, attachments, and the WebSocket upgrade at `/ws`.

use actix_web::{HttpRequest, HttpResponse, web as aw};
use actix_web_actors::ws;
use loket_core::db::attachments::MAX_ATTACHMENT_BYTES;
use loket_protocol::api::{
    IDEMPOTENCY_KEY_HEADER, LockGrant, MergeRequest, Merged, NewComment, NewTicket, PatchTicket, Role, TicketDetail,
    TicketListParams, TicketListQuery, TicketPage, UnlockRequest,
};
use loket_protocol::ticket::{Attachment, Author, Comment, Ticket, TicketEvent};
use loket_protocol::{ApiError, AttachmentId, MAX_FRAME_BYTES, TicketId};

use crate::error::WebError;
use crate::http::auth::CurrentAgent;
use crate::http::{State, created};
use crate::observe::{RequestId, in_span};
use crate::ws::WsSession;
use loket_core::AppError;
use loket_core::db;
use loket_core::domain::lease::Via;

pub fn routes(cfg: &mut aw::ServiceConfig) {
    cfg.route("/tickets", aw::get().to(list))
        .route("/tickets", aw::post().to(create))
        .route("/tickets/{id}", aw::get().to(detail))
        .route("/tickets/{id}", aw::patch().to(patch))
        .route("/tickets/{id}/lock", aw::post().to(lock))
        .route("/tickets/{id}/lock", aw::delete().to(unlock))
        .route("/tickets/{id}/read", aw::post().to(read))
        .route("/tickets/{id}/comments", aw::post().to(comment))
        .route("/tickets/{id}/attachments", aw::post().to(upload))
        .route("/tickets/{id}/merge", aw::post().to(merge))
        .route("/tickets/{id}/events", aw::get().to(events))
        .route("/attachments/{id}", aw::get().to(attachment));
}

/// One page of a view: the same filters, sorts, search, `limit` and `cursor` as the WebSocket
/// `GetTickets`, answered by the same code (docs/protocol.md, "Views"). Without parameters: open work,
/// newest first, 50 at a time.
#[utoipa::path(
    get, path = "/api/tickets", tag = "tickets", security(("session_cookie" = []), ("bearer" = [])),
    params(TicketListParams),
    responses(
        (status = 200, description = "A page of the view", body = TicketPage),
        (status = 400, description = "The request is malformed or a field has a bad value (a cursor that is not the `next_cursor` of this view, `limit=0`, search text without letters or digits)", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 503, description = "The database is unreachable; nothing was changed", body = ApiError),
    )
)]
pub(crate) async fn list(
    state: State,
    agent: CurrentAgent,
    query: aw::Query<TicketListQuery>,
) -> Result<HttpResponse, WebError> {
    let TicketListQuery { view, limit, cursor } = query.into_inner();
    let page = state.desk.view(agent.0.id, &view, limit, cursor.as_deref()).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// The request's `Idempotency-Key`, if it has one.
fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, AppError> {
    req.headers()
        .get(IDEMPOTENCY_KEY_HEADER)
        .map(|value| {
            value
                .to_str()
                .map(str::to_owned)
                .map_err(|_| AppError::invalid(format!("{IDEMPOTENCY_KEY_HEADER} must be visible ASCII")))
        })
        .transpose()
}

/// Files a ticket as the signed-in agent. With an `Idempotency-Key` this agent used for filing within 24
/// hours, answers the ticket that request filed instead of filing another.
#[utoipa::path(
    post, path = "/api/tickets", tag = "tickets", security(("session_cookie" = []), ("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Names this request (1 to 255 characters, no control characters): sent again by the same agent, it answers the ticket the first one filed")),
    request_body = NewTicket,
    responses(
        (status = 201, description = "Created (or, for a repeated idempotency key, the ticket created the first time)", body = Ticket),
        (status = 400, description = "The request is malformed or a field has a bad value", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 404, description = "No such record", body = ApiError),
        (status = 409, description = "The idempotency key was used for a different request", body = ApiError),
        (status = 413, description = "The body is too large", body = ApiError),
        (status = 503, description = "The database is unreachable; nothing was changed (`unavailable`), or the connection was lost while committing and the ticket may or may not have been filed (`outcome_unknown`)", body = ApiError),
    )
)]
pub(crate) async fn create(
    state: State,
    req: HttpRequest,
    CurrentAgent(agent): CurrentAgent,
    body: aw::Json<NewTicket>,
) -> Result<HttpResponse, WebError> {
    let key = idempotency_key(&req)?;
    let ticket = state
        .desk
        .create_ticket_once(Author::from(agent.as_ref()), body.into_inner(), key)
        .await?;
    Ok(created(&ticket))
}

/// A ticket with its comments, attachments, events and notifications.
#[utoipa::path(
    get, path = "/api/tickets/{id}", tag = "tickets", security(("session_cookie" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "The ticket's number")),
    responses(
        (status = 200, description = "The ticket", body = TicketDetail),
        (status = 400, description = "The request is malformed or a field has a bad value", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 404, description = "No such record", body = ApiError),
        (status = 503, description = "The database is unreachable; nothing was changed", body = ApiError),
    )
)]
pub(crate) async fn detail(state: State, agent: CurrentAgent, id: aw::Path<i64>) -> Result<HttpResponse, WebError> {
    Ok(HttpResponse::Ok().json(state.desk.detail(agent.0.id, TicketId(*id)).await?))
}

/// Changes a ticket, based on the version the change was made against.
#[utoipa::path(
    patch, path = "/api/tickets/{id}", tag = "tickets", security(("session_cookie" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "The ticket's number")),
    request_body = PatchTicket,
    responses(
        (status = 200, description = "Changed", body = Ticket),
        (status = 422, description = "The lifecycle does not allow that status change", body = ApiError),
        (status = 400, description = "The request is malformed or a field has a bad value", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Signed in, but only admins may do that", body = ApiError),
        (status = 404, description = "No such record", body = ApiError),
        (status = 409, description = "Conflicts with the current state (see `code`)", body = ApiError),
        (status = 413, description = "The body is too large", body = ApiError),
        (status = 503, description = "The database is unreachable; nothing was changed", body = ApiError),
    )
)]
pub(crate) async fn patch(
    state: State,
    CurrentAgent(agent): CurrentAgent,
    id: aw::Path<i64>,
    body: aw::Json<PatchTicket>,
) -> Result<HttpResponse, WebError> {
    let PatchTicket { version, changes } = body.into_inner();
    let ticket = state
        .desk
        .update(TicketId(*id), agent, Via::Rest, version, changes)
        .await?;
    Ok(HttpResponse::Ok().json(ticket))
}

/// Takes (or renews) the ticket's edit lock.
#[utoipa::path(
    post, path = "/api/tickets/{id}/lock", tag = "tickets", security(("session_cookie" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "The ticket's number")),
    responses(
        (status = 200, description = "Locked by the caller", body = LockGrant),
        (status = 400, description = "The request is malformed or a field has a bad value", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 404, description = "No such record", body = ApiError),
        (status = 409, description = "Conflicts with the current state (see `code`)", body = ApiError),
        (status = 503, description = "The database is unreachable; nothing was changed", body = ApiError),
    )
)]
pub(crate) async fn lock(
    state: State,
    CurrentAgent(agent): CurrentAgent,
    id: aw::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let ticket_id = TicketId(*id);
    let info = state.desk.lock(ticket_id, agent.as_ref(), Via::Rest).await?;
    Ok(HttpResponse::Ok().json(LockGrant {
        ticket_id,
        holder: info.holder,
        expires_at: info.expires_at,
        idle_at: info.idle_at,
    }))
}

#[utoipa::path(
    post, path = "/api/tickets/{id}/read", tag = "tickets", security(("session_cookie" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "The ticket's number")),
    responses(
        (status = 204, description = "Read: the ticket's attention signals so far no longer count as unread for the caller (stored; when something was unread, `TicketRead` reaches the caller's WebSocket sessions)"),
        (status = 400, description = "The request is malformed or a field has a bad value", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 404, description = "No such record", body = ApiError),
        (status = 503, description = "The database is unreachable; nothing was changed", body = ApiError),
    )
)]
/// Marks the ticket read by the caller, as `MarkRead` does over the WebSocket (docs/attention.md).
pub(crate) async fn read(
    state: State,
    CurrentAgent(agent): CurrentAgent,
    id: aw::Path<i64>,
) -> Result<HttpResponse, WebError> {
    state.desk.mark_read(&agent, TicketId(*id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    delete, path = "/api/tickets/{id}/lock", tag = "tickets", security(("session_cookie" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "The ticket's number")),
    request_body(content = Option<UnlockRequest>, description = "Only for an admin breaking someone else's lock"),
    responses(
        (status = 204, description = "Released (or broken)"),
        (status = 400, description = "The request is malformed or a field has a bad value", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Signed in, but only admins may do that", body = ApiError),
        (status = 404, description = "No such record", body = ApiError),
        (status = 409, description = "Conflicts with the current state (see `code`)", body = ApiError),
        (status = 413, description = "The body is too large", body = ApiError),
        (status = 503, description = "The database is unreachable; nothing was changed", body = ApiError),
    )
)]
/// Releases the caller's own lock; an admin naming a reason breaks anyone's.
pub(crate) async fn unlock(
    state: State,
    CurrentAgent(agent): CurrentAgent,
    id: aw::Path<i64>,
    body: aw::Bytes,
) -> Result<HttpResponse, WebError> {
    let request: UnlockRequest = if body.iter().all(u8::is_ascii_whitespace) {
        UnlockRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| AppError::invalid(format!("cannot read the JSON body: {e}")))?
    };
    let ticket_id = TicketId(*id);
    match state.desk.release(ticket_id, agent.as_ref(), Via::Rest).await {
        Ok(()) => Ok(HttpResponse::NoContent().finish()),
        Err(AppError::Locked { holder }) => match (agent.role, request.reason) {
            (Role::Admin, Some(reason)) => {
                // Break only the lock the admin was refused by: if it changed hands meanwhile, say so.
                state
                    .desk
                    .break_lock(ticket_id, &agent, &reason, Some(holder.id))
                    .await?;
                Ok(HttpResponse::NoContent().finish())
            }
            (Role::Admin, None) => {
                Err(AppError::invalid(format!("{} holds this lock; give a reason to break it", holder.name)).into())
            }
            (Role::Agent, _) => {
                Err(AppError::Forbidden(format!("{} holds this lock; only admins may break it", holder.name)).into())
            }
        },
        Err(err) => Err(err.into()),
    }
}

/// Adds a comment (`internal`: agents only) to a ticket. With an `Idempotency-Key` this agent used for a
/// comment on this ticket within 24 hours, answers that comment instead of adding another.
#[utoipa::path(
    post, path = "/api/tickets/{id}/comments", tag = "tickets", security(("session_cookie" = []), ("bearer" = [])),
    params(
        ("id" = i64, Path, description = "The ticket's number"),
        ("Idempotency-Key" = Option<String>, Header, description = "Names this request (1 to 255 characters, no control characters): sent again by the same agent, it answers the comment the first one added"),
    ),
    request_body = NewComment,
    responses(
        (status = 201, description = "Added (or, for a repeated idempotency key, the comment added the first time)", body = Comment),
        (status = 400, description = "The request is malformed or a field has a bad value", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 404, description = "No such record", body = ApiError),
        (status = 409, description = "The idempotency key was used for a different request", body = ApiError),
        (status = 413, description = "The body is too large", body = ApiError),
        (status = 503, description = "The database is unreachable; nothing was changed (`unavailable`), or the connection was lost while committing and the comment may or may not have been added (`outcome_unknown`)", body = ApiError),
    )
)]
pub(crate) async fn comment(
    state: State,
    req: HttpRequest,
    CurrentAgent(agent): CurrentAgent,
    id: aw::Path<i64>,
    body: aw::Json<NewComment>,
) -> Result<HttpResponse, WebError> {
    let key = idempotency_key(&req)?;
    let NewComment {
        body,
        internal,
        attachments,
    } = body.into_inner();
    let comment = state
        .desk
        .reply(
            TicketId(*id),
            Author::from(agent.as_ref()),
            &body,
            internal,
            key,
            attachments,
        )
        .await?;
    Ok(created(&comment))
}

/// Uploads a file from the reply composer: the body is the file itself, its `Content-Type` the file's
/// type, `name` its file name. It is on the ticket at once (broadcast as `AttachmentAdded`) and waits for
/// this agent's next reply or note to name it in `attachments`; a public reply's files reach the
/// reporter on Telegram, an internal note's never do.
#[utoipa::path(
    post, path = "/api/tickets/{id}/attachments", tag = "attachments", security(("session_cookie" = []), ("bearer" = [])),
    params(
        ("id" = i64, Path, description = "The ticket's number"),
        UploadParams,
    ),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file (at most 20 MiB), sent with its own Content-Type"),
    responses(
        (status = 201, description = "Stored, waiting for a reply to name it", body = Attachment),
        (status = 400, description = "The request is malformed or a field has a bad value (no file name, an empty file, no content type)", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "The ticket is in a queue you are not a member of", body = ApiError),
        (status = 404, description = "No such record", body = ApiError),
        (status = 413, description = "The file is larger than 20 MiB", body = ApiError),
        (status = 503, description = "The database is unreachable; nothing was changed (`unavailable`), or the connection was lost while committing (`outcome_unknown`)", body = ApiError),
    )
)]
pub(crate) async fn upload(
    state: State,
    req: HttpRequest,
    CurrentAgent(agent): CurrentAgent,
    id: aw::Path<i64>,
    params: aw::Query<UploadParams>,
    mut payload: aw::Payload,
) -> Result<HttpResponse, WebError> {
    use futures_util::StreamExt;
    let content_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_string();
    let mut content = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| AppError::invalid(format!("cannot read the file: {e}")))?;
        if content.len() + chunk.len() > MAX_ATTACHMENT_BYTES {
            return Err(AppError::PayloadTooLarge.into());
        }
        content.extend_from_slice(&chunk);
    }
    if content.is_empty() {
        return Err(AppError::invalid("the file is empty").into());
    }
    let attachment = state
        .desk
        .upload(
            TicketId(*id),
            agent.as_ref(),
            params.into_inner().name,
            content_type,
            std::sync::Arc::from(content),
        )
        .await?;
    Ok(created(&attachment))
}

/// Merges ticket `id` (a duplicate) into `into`: its comments, files and reporter move there, it is
/// closed and points at `into`, and its reporter is told on Telegram which ticket carries their report
/// now. Needs both tickets' locks (held by this agent) and both versions.
#[utoipa::path(
    post, path = "/api/tickets/{id}/merge", tag = "tickets", security(("session_cookie" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "The duplicate's number")),
    request_body = MergeRequest,
    responses(
        (status = 200, description = "Merged: both tickets as stored", body = Merged),
        (status = 400, description = "The request is malformed, or names the ticket itself", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "Either ticket is in a queue you are not a member of", body = ApiError),
        (status = 404, description = "No such record", body = ApiError),
        (status = 409, description = "A lock is not yours (`not_lock_holder`), a version is stale (`version_conflict`, with that ticket), the duplicate was merged already or the other ticket is closed or merged (`conflict`)", body = ApiError),
        (status = 503, description = "The database is unreachable; nothing was changed (`unavailable`), or the connection was lost while committing (`outcome_unknown`)", body = ApiError),
    )
)]
pub(crate) async fn merge(
    state: State,
    CurrentAgent(agent): CurrentAgent,
    id: aw::Path<i64>,
    body: aw::Json<MergeRequest>,
) -> Result<HttpResponse, WebError> {
    let MergeRequest {
        version,
        into,
        into_version,
    } = body.into_inner();
    let merged = state
        .desk
        .merge(TicketId(*id), agent, Via::Rest, version, into, into_version)
        .await?;
    Ok(HttpResponse::Ok().json(merged))
}

/// The query of an upload.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct UploadParams {
    /// The file's name, as the reporter will see it (one line, at most 255 characters).
    name: String,
}

/// The ticket's history, oldest first.
#[utoipa::path(
    get, path = "/api/tickets/{id}/events", tag = "tickets", security(("session_cookie" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "The ticket's number")),
    responses(
        (status = 200, description = "Its events", body = Vec<TicketEvent>),
        (status = 400, description = "The request is malformed or a field has a bad value", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 404, description = "No such record", body = ApiError),
        (status = 503, description = "The database is unreachable; nothing was changed", body = ApiError),
    )
)]
pub(crate) async fn events(state: State, agent: CurrentAgent, id: aw::Path<i64>) -> Result<HttpResponse, WebError> {
    let ticket_id = TicketId(*id);
    // Not found, or in a queue this agent may not see (`not_in_queue`).
    state.desk.ticket(agent.0.id, ticket_id).await?;
    let client = state.desk.pool.get().await?;
    Ok(HttpResponse::Ok().json(db::tickets::events(&client, ticket_id).await?))
}

/// Downloads an attachment's file.
#[utoipa::path(
    get, path = "/api/attachments/{id}", tag = "attachments", security(("session_cookie" = []), ("bearer" = [])),
    params(("id" = i64, Path, description = "The attachment's id")),
    responses(
        (status = 200, description = "The file, as an attachment, with its stored content type", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 400, description = "The request is malformed or a field has a bad value", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 404, description = "No such record", body = ApiError),
        (status = 503, description = "The database is unreachable; nothing was changed", body = ApiError),
    )
)]
pub(crate) async fn attachment(
    state: State,
    req: HttpRequest,
    agent: CurrentAgent,
    id: aw::Path<i64>,
) -> Result<HttpResponse, WebError> {
    let id = AttachmentId(*id);
    let stored = {
        let client = state.desk.pool.get().await?;
        db::attachments::stored(&client, id)
            .await?
            .ok_or(AppError::NotFound("attachment"))?
    };
    // Only for agents who may see its ticket's queue.
    state.desk.ticket(agent.0.id, stored.ticket_id).await?;
    let mime: mime::Mime = stored.content_type.parse().unwrap_or(mime::APPLICATION_OCTET_STREAM);
    let disposition = actix_web::http::header::ContentDisposition {
        disposition: actix_web::http::header::DispositionType::Attachment,
        parameters: vec![actix_web::http::header::DispositionParam::Filename(
            stored.file_name.clone(),
        )],
    };
    if let Some(path) = &stored.legacy_path {
        return legacy_file(&state, &req, id, path, mime, disposition).await;
    }
    // One chunk in memory at a time, each read on a connection of its own: a slow download holds no
    // database connection while the client catches up.
    let pool = state.desk.pool.clone();
    let chunks = stored.chunks;
    let body = futures_util::stream::try_unfold(0, move |seq| {
        let pool = pool.clone();
        async move {
            if seq >= chunks {
                return Ok(None);
            }
            let client = pool.get().await.map_err(AppError::from)?;
            let bytes = db::attachments::chunk(&client, id, seq)
                .await?
                .ok_or_else(|| AppError::internal(format!("attachment {id} is missing chunk {seq}")))?;
            Ok::<_, AppError>(Some((actix_web::web::Bytes::from(bytes), seq + 1)))
        }
    });
    let body = futures_util::TryStreamExt::map_err(body, WebError);
    Ok(HttpResponse::Ok()
        .content_type(mime)
        .insert_header(disposition)
        .no_chunking(u64::try_from(stored.size_bytes).unwrap_or(0))
        .streaming(body))
}

/// An attachment stored before its bytes moved into the database, served from this instance's data
/// directory if it has the file (the instance that has it moves it into the database when it starts).
async fn legacy_file(
    state: &State,
    req: &HttpRequest,
    id: AttachmentId,
    path: &str,
    mime: mime::Mime,
    disposition: actix_web::http::header::ContentDisposition,
) -> Result<HttpResponse, WebError> {
    let root = state.data_dir.canonicalize().map_err(AppError::internal)?;
    let full = root
        .join(path)
        .canonicalize()
        .map_err(|_| AppError::NotFound("attachment file"))?;
    if !full.starts_with(&root) {
        return Err(AppError::internal(format!("attachment {id} points outside the data directory")).into());
    }
    let file = actix_files::NamedFile::open_async(&full)
        .await
        .map_err(|_| AppError::NotFound("attachment file"))?;
    Ok(file
        .set_content_type(mime)
        .set_content_disposition(disposition)
        .into_response(req))
}

/// `GET /ws`: upgrades a signed-in agent's request to a WebSocket session.
pub async fn websocket(
    state: State,
    req: HttpRequest,
    stream: aw::Payload,
    CurrentAgent(agent): CurrentAgent,
) -> Result<HttpResponse, actix_web::Error> {
    // The extractor succeeded, so the request carries a token.
    let digest = crate::http::auth::request_token(&req)
        .map(|t| loket_core::auth::token_digest(&t))
        .unwrap_or_default();
    // Everything the session logs carries its upgrade request's id.
    let request_id = RequestId::of(&req).map(|id| id.0).unwrap_or_default();
    // At the error level, like the request span, so no filter drops it.
    let span = tracing::error_span!(parent: None, "ws_session", request_id, agent = %agent.id);
    let session = WsSession::new(agent, digest, state.desk.clone());
    let codec = actix_http::ws::Codec::new().max_size(MAX_FRAME_BYTES);
    let frames = ws::WebsocketContext::with_codec(session, stream, codec);
    Ok(ws::handshake(&req)?.streaming(in_span(frames, span)))
}
