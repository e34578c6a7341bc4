//! The REST API under `/api`, one async function per call. Errors always come back as the wire's
//! [`ApiError`], so pages branch on its `code`; network failures become `unavailable`.

use gloo_net::http::{Request, RequestBuilder, Response};
use loket_protocol::QueueId;
use loket_protocol::api::{
    Agent, AgentAccount, AuditEntry, Category, CategoryChange, IDEMPOTENCY_KEY_HEADER, InviteCode, LoginRequest,
    LoginResponse, NewAgent, NewCategory, NewInviteCode, NewTicket, PasswordChange, PasswordReset, PasswordResetDone,
    PublicName, Role, RoleChange, SessionInfo, TicketDetail,
};
use loket_protocol::queue::{CategoryQueue, NewQueue, Queue, QueuePatch, SetMember};
use loket_protocol::ticket::{AgentRef, Ticket, TicketEvent};
use loket_protocol::{AgentId, ApiError, CategoryId, ErrorCode, SessionId, TicketId};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub type ApiResult<T> = Result<T, ApiError>;

/// The error for an HTTP status whose body was not an `ApiError` (a proxy's error page, say).
pub fn status_error(status: u16) -> ApiError {
    let code = match status {
        400 | 422 => ErrorCode::InvalidRequest,
        401 => ErrorCode::Unauthorized,
        403 => ErrorCode::Forbidden,
        404 => ErrorCode::NotFound,
        409 => ErrorCode::Conflict,
        413 => ErrorCode::PayloadTooLarge,
        429 => ErrorCode::RateLimited,
        502..=504 => ErrorCode::Unavailable,
        _ => ErrorCode::Internal,
    };
    ApiError::new(code, format!("The server answered with HTTP {status}."))
}

/// The error for a request that never got an answer.
pub fn network_error() -> ApiError {
    ApiError::new(
        ErrorCode::Unavailable,
        "Cannot reach the Loket server. Check your connection and try again.",
    )
}

async fn error_of(response: Response) -> ApiError {
    let status = response.status();
    match response.json::<ApiError>().await {
        Ok(error) => error,
        Err(_) => status_error(status),
    }
}

async fn send(request: Result<Request, gloo_net::Error>) -> ApiResult<Response> {
    let request = request.map_err(|e| ApiError::new(ErrorCode::InvalidRequest, e.to_string()))?;
    let response = request.send().await.map_err(|_| network_error())?;
    if response.ok() {
        Ok(response)
    } else {
        Err(error_of(response).await)
    }
}

async fn json<T: DeserializeOwned>(request: Result<Request, gloo_net::Error>) -> ApiResult<T> {
    let response = send(request).await?;
    response
        .json::<T>()
        .await
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("Unexpected answer from the server: {e}")))
}

async fn empty(request: Result<Request, gloo_net::Error>) -> ApiResult<()> {
    send(request).await.map(|_| ())
}

fn get(url: &str) -> Result<Request, gloo_net::Error> {
    Request::get(url).build()
}

fn with_json<B: Serialize>(builder: RequestBuilder, body: &B) -> Result<Request, gloo_net::Error> {
    builder.json(body)
}

fn encode(segment: &str) -> String {
    String::from(js_sys::encode_uri_component(segment))
}

pub async fn login(email: String, password: String) -> ApiResult<LoginResponse> {
    json(with_json(
        Request::post("/api/auth/login"),
        &LoginRequest { email, password },
    ))
    .await
}

pub async fn logout() -> ApiResult<()> {
    empty(Request::post("/api/auth/logout").build()).await
}

/// The signed-in agent; `unauthorized` when there is no session.
pub async fn me() -> ApiResult<Agent> {
    json(get("/api/auth/me")).await
}

/// Changes the signed-in agent's own password; their other sign-ins end.
pub async fn change_password(change: PasswordChange) -> ApiResult<()> {
    empty(with_json(Request::post("/api/auth/password"), &change)).await
}

/// The canned replies the signed-in agent may use, those matching `search` if it is not empty.
pub async fn canned_replies(search: &str) -> ApiResult<Vec<loket_protocol::canned::CannedReply>> {
    let url = if search.trim().is_empty() {
        "/api/canned-replies".to_string()
    } else {
        format!("/api/canned-replies?q={}", encode(search.trim()))
    };
    json(get(&url)).await
}

/// Adds a canned reply (a personal one; admins may add shared ones).
pub async fn create_canned_reply(
    new: loket_protocol::canned::NewCannedReply,
) -> ApiResult<loket_protocol::canned::CannedReply> {
    json(with_json(Request::post("/api/canned-replies"), &new)).await
}

/// Deletes a canned reply this agent manages.
pub async fn delete_canned_reply(id: loket_protocol::CannedReplyId) -> ApiResult<()> {
    empty(Request::delete(&format!("/api/canned-replies/{id}")).build()).await
}

/// Canned reply `id` rendered for `ticket` (its reporter's language, placeholders filled in).
pub async fn render_canned_reply(
    id: loket_protocol::CannedReplyId,
    ticket: TicketId,
) -> ApiResult<loket_protocol::canned::RenderedReply> {
    json(get(&format!("/api/canned-replies/{id}/render?ticket_id={}", ticket.0))).await
}

/// The name reporters see when the signed-in agent replies.
pub async fn public_name() -> ApiResult<PublicName> {
    json(get("/api/auth/public-name")).await
}

/// Sets (or with `None` clears) the name reporters see when the signed-in agent replies.
pub async fn set_public_name(name: PublicName) -> ApiResult<PublicName> {
    json(with_json(Request::put("/api/auth/public-name"), &name)).await
}

pub async fn agents() -> ApiResult<Vec<AgentAccount>> {
    json(get("/api/agents")).await
}

pub async fn create_agent(new: NewAgent) -> ApiResult<AgentAccount> {
    json(with_json(Request::post("/api/agents"), &new)).await
}

/// Disables (`true`) or enables an agent's account.
pub async fn set_agent_disabled(id: AgentId, disabled: bool) -> ApiResult<AgentAccount> {
    let action = if disabled { "disable" } else { "enable" };
    json(Request::post(&format!("/api/agents/{id}/{action}")).build()).await
}

pub async fn set_agent_role(id: AgentId, role: Role) -> ApiResult<AgentAccount> {
    json(with_json(
        Request::put(&format!("/api/agents/{id}/role")),
        &RoleChange { role },
    ))
    .await
}

/// Sets `password`, or has one generated when `None`.
pub async fn reset_password(id: AgentId, password: Option<String>) -> ApiResult<PasswordResetDone> {
    json(with_json(
        Request::post(&format!("/api/agents/{id}/password")),
        &PasswordReset { password },
    ))
    .await
}

pub async fn sessions() -> ApiResult<Vec<SessionInfo>> {
    json(get("/api/sessions")).await
}

pub async fn end_session(id: SessionId) -> ApiResult<()> {
    empty(Request::delete(&format!("/api/sessions/{id}")).build()).await
}

/// The newest entries of the admin audit trail.
pub async fn audit() -> ApiResult<Vec<AuditEntry>> {
    json(get("/api/audit")).await
}

/// Every agent's name, for assignee pickers.
pub async fn directory() -> ApiResult<Vec<AgentRef>> {
    json(get("/api/agents/directory")).await
}

pub async fn invite_codes() -> ApiResult<Vec<InviteCode>> {
    json(get("/api/invite-codes")).await
}

pub async fn create_invite_code(new: NewInviteCode) -> ApiResult<InviteCode> {
    json(with_json(Request::post("/api/invite-codes"), &new)).await
}

pub async fn revoke_invite_code(code: String) -> ApiResult<()> {
    empty(Request::delete(&format!("/api/invite-codes/{}", encode(&code))).build()).await
}

pub async fn categories() -> ApiResult<Vec<Category>> {
    json(get("/api/categories")).await
}

pub async fn create_category(new: NewCategory) -> ApiResult<Category> {
    json(with_json(Request::post("/api/categories"), &new)).await
}

/// Renames, retires or restores a category.
pub async fn change_category(id: CategoryId, change: CategoryChange) -> ApiResult<Category> {
    json(with_json(Request::patch(&format!("/api/categories/{id}")), &change)).await
}

/// Every queue, with its members and categories.
pub async fn queues() -> ApiResult<Vec<Queue>> {
    json(get("/api/queues")).await
}

/// Creates a queue (admins).
pub async fn create_queue(new: NewQueue) -> ApiResult<Queue> {
    json(with_json(Request::post("/api/queues"), &new)).await
}

/// Renames a queue, sets its description or makes it the default.
pub async fn change_queue(id: QueueId, patch: QueuePatch) -> ApiResult<Queue> {
    json(with_json(Request::patch(&format!("/api/queues/{id}")), &patch)).await
}

/// Adds an agent to a queue, or changes whether they manage it.
pub async fn set_queue_member(id: QueueId, agent: AgentId, manager: bool) -> ApiResult<Queue> {
    json(with_json(
        Request::put(&format!("/api/queues/{id}/members/{agent}")),
        &SetMember { manager },
    ))
    .await
}

/// Takes an agent out of a queue.
pub async fn remove_queue_member(id: QueueId, agent: AgentId) -> ApiResult<Queue> {
    json(Request::delete(&format!("/api/queues/{id}/members/{agent}")).build()).await
}

/// Files a category's reports in a queue (`None`: the default queue).
pub async fn set_category_queue(category: CategoryId, queue_id: Option<QueueId>) -> ApiResult<()> {
    empty(with_json(
        Request::put(&format!("/api/categories/{category}/queue")),
        &CategoryQueue { queue_id },
    ))
    .await
}

/// Creates a ticket; `idempotency_key` names this creation, so sending it again answers the same ticket.
pub async fn create_ticket(new: &NewTicket, idempotency_key: &str) -> ApiResult<Ticket> {
    json(with_json(
        Request::post("/api/tickets").header(IDEMPOTENCY_KEY_HEADER, idempotency_key),
        new,
    ))
    .await
}

pub async fn ticket(id: TicketId) -> ApiResult<TicketDetail> {
    json(get(&format!("/api/tickets/{id}"))).await
}

/// Uploads `file` to ticket `id` for the agent's next reply or note (the body is the file, sent with its
/// own content type); answers the stored attachment, whose id the reply names.
pub async fn upload_attachment(id: TicketId, file: web_sys::File) -> ApiResult<loket_protocol::ticket::Attachment> {
    let content_type = match file.type_() {
        t if t.is_empty() => "application/octet-stream".to_string(),
        t => t,
    };
    let url = format!("/api/tickets/{id}/attachments?name={}", encode(&file.name()));
    json(Request::post(&url).header("Content-Type", &content_type).body(file)).await
}

/// Changes a canned reply this agent manages (only the fields given).
pub async fn change_canned_reply(
    id: loket_protocol::CannedReplyId,
    change: loket_protocol::canned::CannedReplyChange,
) -> ApiResult<loket_protocol::canned::CannedReply> {
    json(with_json(Request::patch(&format!("/api/canned-replies/{id}")), &change)).await
}

pub async fn ticket_events(id: TicketId) -> ApiResult<Vec<TicketEvent>> {
    json(get(&format!("/api/tickets/{id}/events"))).await
}

/// The query string of `GET /api/stats` and `/api/stats.csv` for `query` (empty for the defaults).
pub fn stats_query(query: &loket_protocol::stats::StatsQuery) -> String {
    let mut parts = Vec::new();
    if let Some(from) = query.from {
        parts.push(format!("from={from}"));
    }
    if let Some(to) = query.to {
        parts.push(format!("to={to}"));
    }
    if let Some(queue) = query.queue {
        parts.push(format!("queue={}", queue.0));
    }
    parts.join("&")
}

/// The statistics for a range of days and a queue (or every queue the agent may see).
pub async fn stats(query: loket_protocol::stats::StatsQuery) -> ApiResult<loket_protocol::stats::Stats> {
    json(get(&format!("/api/stats?{}", stats_query(&query)))).await
}

/// Every business-hours calendar (docs/sla.md).
pub async fn sla_calendars() -> ApiResult<Vec<loket_protocol::sla::SlaCalendar>> {
    json(get("/api/sla/calendars")).await
}

/// Adds a calendar (`id` 0) or replaces one (admins).
pub async fn save_sla_calendar(
    calendar: loket_protocol::sla::SlaCalendar,
) -> ApiResult<loket_protocol::sla::SlaCalendar> {
    match calendar.id {
        0 => json(with_json(Request::post("/api/sla/calendars"), &calendar)).await,
        id => json(with_json(Request::put(&format!("/api/sla/calendars/{id}")), &calendar)).await,
    }
}

/// Every service-level policy, the most specific first.
pub async fn sla_policies() -> ApiResult<Vec<loket_protocol::sla::SlaPolicy>> {
    json(get("/api/sla/policies")).await
}

/// Sets the policy for its queue and priority (admins).
pub async fn set_sla_policy(policy: loket_protocol::sla::SlaPolicy) -> ApiResult<loket_protocol::sla::SlaPolicy> {
    json(with_json(Request::put("/api/sla/policies"), &policy)).await
}

/// Deletes a policy (admins).
pub async fn delete_sla_policy(id: i64) -> ApiResult<()> {
    empty(Request::delete(&format!("/api/sla/policies/{id}")).build()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_codes() {
        assert_eq!(status_error(401).code, ErrorCode::Unauthorized);
        assert_eq!(status_error(502).code, ErrorCode::Unavailable);
        assert_eq!(status_error(500).code, ErrorCode::Internal);
        assert_eq!(network_error().code, ErrorCode::Unavailable);
    }

    #[test]
    fn stats_queries_read_back_as_sent() {
        use loket_protocol::stats::StatsQuery;
        assert_eq!(stats_query(&StatsQuery::default()), "");
        let query = StatsQuery {
            from: chrono::NaiveDate::from_ymd_opt(2026, 11, 1),
            to: None,
            queue: Some(QueueId(3)),
        };
        assert_eq!(stats_query(&query), "from=2026-11-01&queue=3");
        assert_eq!(
            serde_urlencoded::from_str::<StatsQuery>(&stats_query(&query)).unwrap(),
            query
        );
    }
}
