//! The HTTP surface: routes, their OpenAPI description, and the layers around them.
//! Handlers are thin: parse, authorize, call a service, shape the response.

pub mod error;
pub mod health;
mod layers;
pub mod metrics;
pub mod openapi;

use axum::Router;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// Every route with its OpenAPI entry. A route registered here is documented by construction.
pub fn routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(metrics::metrics))
        .routes(routes!(openapi::openapi_json))
        .split_for_parts()
}

/// The complete application for `state`.
pub fn app(router: Router<AppState>, state: AppState) -> Router {
    let router = router
        .fallback(|| async { error::ApiError::from_status(axum::http::StatusCode::NOT_FOUND) });
    layers::apply(router, &state).with_state(state)
}
