//! Statistics (docs/stats.md): the same numbers as JSON (`GET /api/stats`) and as CSV
//! (`GET /api/stats.csv`), for the queues the signed-in agent may see.

use actix_web::http::header::{CONTENT_DISPOSITION, ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpResponse, web as aw};
use loket_protocol::ApiError;
use loket_protocol::stats::{Stats, StatsQuery};

use crate::error::WebError;
use crate::http::State;
use crate::http::auth::CurrentAgent;

pub fn routes(cfg: &mut aw::ServiceConfig) {
    cfg.route("/stats", aw::get().to(json))
        .route("/stats.csv", aw::get().to(csv));
}

#[utoipa::path(
    get, path = "/api/stats", tag = "stats", security(("session_cookie" = []), ("bearer" = [])),
    params(StatsQuery),
    responses(
        (status = 200, description = "Every chart of the Statistics page for the range and queues", body = Stats),
        (status = 400, description = "The request is malformed or a field has a bad value (from after to, more than 3660 days)", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "The queue is one you are not a member of", body = ApiError),
        (status = 503, description = "The database is unreachable; nothing was changed", body = ApiError),
    )
)]
/// Tickets filed and resolved per day, backlog, first-response and resolution times, SLA compliance,
/// workload per agent, per category, and CSAT.
pub(crate) async fn json(
    state: State,
    agent: CurrentAgent,
    query: aw::Query<StatsQuery>,
) -> Result<HttpResponse, WebError> {
    Ok(HttpResponse::Ok().json(state.desk.stats(agent.0.id, &query).await?))
}

#[utoipa::path(
    get, path = "/api/stats.csv", tag = "stats", security(("session_cookie" = []), ("bearer" = [])),
    params(StatsQuery),
    responses(
        (status = 200, description = "The same numbers as `GET /api/stats`, one per row", content_type = "text/csv", body = String),
        (status = 400, description = "The request is malformed or a field has a bad value (from after to, more than 3660 days)", body = ApiError),
        (status = 401, description = "Not signed in", body = ApiError),
        (status = 403, description = "The queue is one you are not a member of", body = ApiError),
        (status = 503, description = "The database is unreachable; nothing was changed", body = ApiError),
    )
)]
/// The statistics as CSV, to download.
pub(crate) async fn csv(
    state: State,
    agent: CurrentAgent,
    query: aw::Query<StatsQuery>,
) -> Result<HttpResponse, WebError> {
    let stats = state.desk.stats(agent.0.id, &query).await?;
    let name = format!("loket-stats-{}-{}.csv", stats.from, stats.to);
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            CONTENT_DISPOSITION,
            ContentDisposition {
                disposition: DispositionType::Attachment,
                parameters: vec![DispositionParam::Filename(name)],
            },
        ))
        .body(loket_core::domain::stats::csv(&stats)))
}
