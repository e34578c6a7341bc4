//! Liveness (`/healthz`: the process answers) and readiness (`/readyz`: the database answers too).

use actix_web::HttpResponse;
use loket_protocol::api::Health;

use crate::http::State;

#[utoipa::path(
    get, path = "/healthz", tag = "health",
    responses((status = 200, description = "The process answers", body = Health))
)]
/// Liveness: the process answers.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok".into() })
}

#[utoipa::path(
    get, path = "/readyz", tag = "health",
    responses(
        (status = 200, description = "The database answers too", body = Health),
        (status = 503, description = "The database does not answer", body = Health),
    )
)]
/// Readiness: the database answers too.
pub async fn readyz(state: State) -> HttpResponse {
    let ready = match state.desk.pool.get().await {
        Ok(client) => client.simple_query("SELECT 1").await.is_ok(),
        Err(_) => false,
    };
    if ready {
        HttpResponse::Ok().json(Health { status: "ready".into() })
    } else {
        HttpResponse::ServiceUnavailable().json(Health {
            status: "database unavailable".into(),
        })
    }
}
