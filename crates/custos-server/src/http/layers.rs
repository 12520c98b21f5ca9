//! The middleware every request passes through, outermost first:
//! request id → trace span → metrics → error shape → security headers →
//! timeout → body limit.

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower::ServiceBuilder;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};
use tower_http::trace::TraceLayer;

use crate::http::error::ApiError;
use crate::http::metrics;
use crate::state::AppState;

/// HSTS for two years, subdomains included.
const HSTS: &str = "max-age=63072000; includeSubDomains";
/// Only our own origin; no inline script or style; never framed.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Wraps `router` in every layer.
///
/// The layers are one `ServiceBuilder` stack, applied to the router once: each
/// `Router::layer` call boxes every route again, and a request clones its route's
/// boxes (and each `from_fn` middleware clones what is inside it), so a chain of
/// fifteen calls cost a fifth of a small request's instructions in allocation,
/// cloning and dropping (BENCHMARKS.md, issue 5). Still applied after routing, so
/// the span and the metrics see the matched route.
pub fn apply(router: Router<AppState>, state: &AppState) -> Router<AppState> {
    let config = state.config();
    let set = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value))
    };
    let stack = ServiceBuilder::new()
        // Outermost: what the connection sees first.
        .layer(SetRequestIdLayer::x_request_id(MakeRandomRequestId))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(log_response)
                .on_failure(()),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        // The extractors are named: inside a stack, nothing else pins them down.
        .layer(middleware::from_fn_with_state::<
            _,
            _,
            (State<AppState>, Request),
        >(state.clone(), metrics::record))
        .layer(middleware::from_fn::<_, (Request,)>(contract_error_shape))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(set(header::X_FRAME_OPTIONS, "DENY"))
        .layer(set(header::REFERRER_POLICY, "no-referrer"))
        .layer(set(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(set(header::CONTENT_SECURITY_POLICY, CSP))
        .layer(set(header::STRICT_TRANSPORT_SECURITY, HSTS))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            config.request_timeout,
        ))
        // The body limit wraps response bodies in a type of its own; the timeout
        // above builds its 503 from an empty body of the type below it.
        .map_response(IntoResponse::into_response)
        .layer(RequestBodyTimeoutLayer::new(config.request_timeout))
        .layer(RequestBodyLimitLayer::new(config.body_limit))
        // Innermost: what the handler sees.
        .layer(DefaultBodyLimit::max(config.body_limit));
    router.layer(stack)
}

/// Request ids: random UUIDs (version 4), like tower-http's `MakeRequestUuid`, but
/// drawn from aws-lc's generator in user space instead of one `getrandom` system
/// call per request.
#[derive(Debug, Clone, Copy)]
struct MakeRandomRequestId;

impl MakeRequestId for MakeRandomRequestId {
    fn make_request_id<B>(&mut self, _request: &axum::http::Request<B>) -> Option<RequestId> {
        let mut bytes = [0u8; 16];
        aws_lc_rs::rand::fill(&mut bytes).ok()?;
        let id = uuid::Builder::from_random_bytes(bytes).into_uuid();
        let mut text = uuid::Uuid::encode_buffer();
        HeaderValue::from_str(id.hyphenated().encode_lower(&mut text))
            .ok()
            .map(RequestId::new)
    }
}

/// One span per request: method, route template and request id. Never the raw
/// path or query, which may carry ids or tokens.
fn request_span(request: &Request) -> tracing::Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str);
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    tracing::info_span!("request", method = %request.method(), route, request_id)
}

fn log_response(response: &Response, latency: Duration, _span: &tracing::Span) {
    tracing::info!(
        status = response.status().as_u16(),
        latency_ms = latency.as_secs_f64() * 1000.0,
        "request finished"
    );
}

/// Gives every error response the JSON shape of CONTRACT.md, including those
/// made by the framework and the layers (404, 405, 413, timeouts, body rejections).
async fn contract_error_shape(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    // JSON errors are ours already; HTML ones are the console's error pages.
    let shaped_already = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.starts_with("text/html"));
    if shaped_already {
        return response;
    }
    let (mut parts, _body) = response.into_parts();
    let mut shaped = ApiError::from_status(status).into_response();
    // Keep headers such as `Allow` and `Retry-After`; the body and its type are replaced.
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::CONTENT_TYPE);
    for (name, value) in &parts.headers {
        shaped.headers_mut().insert(name.clone(), value.clone());
    }
    shaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_distinct_version_4_uuids() {
        let request = axum::http::Request::new(());
        let mut make = MakeRandomRequestId;
        let mut id = || {
            let id = make.make_request_id(&request).unwrap();
            uuid::Uuid::parse_str(id.header_value().to_str().unwrap()).unwrap()
        };
        let (first, second) = (id(), id());
        assert_eq!(first.get_version_num(), 4);
        assert_eq!(first.get_variant(), uuid::Variant::RFC4122);
        assert_ne!(first, second);
    }
}
