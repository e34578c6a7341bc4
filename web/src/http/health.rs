//! Liveness (`/healthz`: the process answers) and readiness (`/readyz`: the database answers too).

use actix_web::HttpResponse;
use loket_protocol::api::Health;

use crate::http::State;

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok".into() })
}

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
