//! What every HTTP request leaves behind: a request id (generated, answered as `X-Request-Id`, and a field
//! of the span every log line of the request carries), one access-log line, and the request metrics by
//! route pattern and status. A WebSocket session's logs carry its upgrade request's id ([`in_span`]).
//!
//! Labels and log lines name the route pattern (`/api/tickets/{id}`), never the raw path: paths hold ids
//! without bound and, for invite codes, secrets. Nothing from headers or bodies is logged.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest};
use futures_util::Stream;
use tracing::{Instrument, Span};

/// The response header carrying the request id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";
/// HTTP requests answered, by `method`, `route` and `status`.
pub const HTTP_REQUESTS: &str = "loket_http_requests_total";
/// Time from a request's arrival to its response head, by `method`, `route` and `status`.
pub const HTTP_SECONDS: &str = "loket_http_request_duration_seconds";
/// The `route` of requests no route matched (the web client's files and unknown paths).
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// One request's id: 32 hex digits, random. Always generated here; an incoming `X-Request-Id` is not
/// trusted (anyone could send one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

impl RequestId {
    fn generate() -> RequestId {
        RequestId(format!("{:032x}", rand::random::<u128>()))
    }

    /// The id of `req`, once the middleware has seen it.
    pub fn of(req: &HttpRequest) -> Option<RequestId> {
        req.extensions().get::<RequestId>().cloned()
    }
}

/// Registers the help text of the HTTP metrics with the installed recorder.
pub fn describe_metrics() {
    metrics::describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests answered, by method, route pattern and status"
    );
    metrics::describe_histogram!(
        HTTP_SECONDS,
        metrics::Unit::Seconds,
        "Time to answer an HTTP request (to the response head), by method, route pattern and status"
    );
}

/// The middleware: request id, span, metrics and access log.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let id = RequestId::generate();
    let method = method_label(req.method());
    // At the error level, so it is on whatever the filter lets through: a warning logged under
    // `LOKET_LOG=warn` still names its request.
    let span = tracing::error_span!("request", request_id = %id.0, method);
    req.extensions_mut().insert(id.clone());
    // Handlers turn their errors into responses; an `Err` here comes from a middleware further in and
    // is answered by actix without our header (the request is gone), but still counted and logged.
    let result = next.call(req).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let (status, route) = match &result {
        Ok(res) => (res.status(), res.request().match_pattern()),
        Err(err) => (err.as_response_error().status_code(), None),
    };
    let route = route.unwrap_or_else(|| UNMATCHED_ROUTE.to_owned());
    let status = status.as_u16();
    let labels = [
        ("method", method.to_owned()),
        ("route", route.clone()),
        ("status", status.to_string()),
    ];
    metrics::counter!(HTTP_REQUESTS, &labels).increment(1);
    metrics::histogram!(HTTP_SECONDS, &labels).record(elapsed);
    span.in_scope(|| {
        tracing::info!(
            target: "loket::access",
            route = %route,
            status,
            duration_ms = (elapsed.as_secs_f64() * 1e6).round() / 1e3,
            "request answered"
        );
    });
    let mut res = result?;
    // 32 hex digits are always a valid header value.
    if let Ok(value) = HeaderValue::from_str(&id.0) {
        res.headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
    }
    Ok(res)
}

/// The method as a label: the standard ones by name, anything else as `other` (methods are free text).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// `stream` polled inside `span`. A WebSocket session actor runs while its response body is polled, so
/// everything it logs, its spawned work included, carries the span's fields.
pub fn in_span<S: Stream>(stream: S, span: Span) -> InSpan<S> {
    InSpan {
        inner: Box::pin(stream),
        span,
    }
}

/// See [`in_span`].
pub struct InSpan<S> {
    inner: Pin<Box<S>>,
    span: Span,
}

impl<S: Stream> Stream for InSpan<S> {
    type Item = S::Item;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let this = &mut *self;
        let _entered = this.span.enter();
        this.inner.as_mut().poll_next(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_32_hex_digits_and_differ() {
        let (a, b) = (RequestId::generate(), RequestId::generate());
        assert_eq!(a.0.len(), 32);
        assert!(a.0.chars().all(|c| c.is_ascii_hexdigit()), "{a:?}");
        assert_ne!(a, b);
    }

    #[test]
    fn unknown_methods_share_one_label() {
        assert_eq!(method_label(&Method::PATCH), "PATCH");
        let custom = Method::from_bytes(b"PROPFIND").unwrap();
        assert_eq!(method_label(&custom), "other");
    }
}
