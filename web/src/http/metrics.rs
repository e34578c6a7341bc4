//! `GET /metrics`: Prometheus text. On the main listener only for admins (session cookie or Bearer token);
//! on the separate metrics listener (`LOKET_METRICS_BIND`) without sign-in, for a scraper that cannot
//! sign in. The recorder is process-wide and installed once; docs/operations.md lists the series.

use std::sync::OnceLock;
use std::time::Duration;

use actix_web::HttpResponse;
use actix_web::http::header;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::http::State;
use crate::http::auth::AdminAgent;

/// Histogram buckets (seconds) for every `*_seconds` histogram: from half a millisecond (a fan-out on
/// one machine) to ten seconds (a stalled database).
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// How often recorded histogram samples are folded into their buckets between scrapes, so memory stays
/// bounded when nobody scrapes.
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);
/// The Prometheus text exposition format.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The process's recorder, installed on first use (by `crate::start`, before anything is recorded).
pub fn recorder() -> &'static PrometheusHandle {
    static RECORDER: OnceLock<PrometheusHandle> = OnceLock::new();
    RECORDER.get_or_init(|| {
        let builder = PrometheusBuilder::new();
        // The suffix matcher and the constant buckets are valid; `Err` only for an empty bucket list.
        let builder = builder
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if let Err(err) = metrics::set_global_recorder(recorder) {
            tracing::warn!(error = %err, "another metrics recorder is installed; /metrics stays empty");
        }
        loket_core::metrics::describe();
        crate::observe::describe_metrics();
        let upkeep = handle.clone();
        let started = std::thread::Builder::new().name("loket-metrics".into()).spawn(move || {
            loop {
                std::thread::sleep(UPKEEP_INTERVAL);
                upkeep.run_upkeep();
            }
        });
        if let Err(err) = started {
            tracing::warn!(error = %err, "cannot start the metrics upkeep thread; scrapes still fold samples");
        }
        handle
    })
}

/// `GET /metrics` on the main listener: admins only.
#[utoipa::path(
    get, path = "/metrics", tag = "health",
    security(("session_cookie" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "Prometheus metrics in the text exposition format", content_type = "text/plain", body = String),
        (status = 401, description = "Not signed in", body = loket_protocol::ApiError),
        (status = 403, description = "Signed in, but only admins may do that", body = loket_protocol::ApiError),
    )
)]
pub async fn scrape(state: State, _admin: AdminAgent) -> HttpResponse {
    render(&state).await
}

/// `GET /metrics` on the metrics listener: whoever can reach that address.
pub async fn scrape_open(state: State) -> HttpResponse {
    render(&state).await
}

async fn render(state: &State) -> HttpResponse {
    loket_core::metrics::sample(&state.desk).await;
    HttpResponse::Ok()
        .content_type(CONTENT_TYPE)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(recorder().render())
}
