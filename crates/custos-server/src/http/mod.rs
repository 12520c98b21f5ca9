//! The HTTP surface: routes, their OpenAPI description, and the layers around them.
//! Handlers are thin: parse, authorize, call a service, shape the response.

pub mod audit_trail;
pub mod auth;
pub mod caller;
pub mod error;
pub mod health;
mod layers;
pub mod metrics;
pub mod openapi;
pub mod setup;

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
        .routes(routes!(auth::login))
        .routes(routes!(auth::mfa_totp))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(audit_trail::list_events))
        .routes(routes!(setup::redeem))
        .split_for_parts()
}

/// Asks the authorizer; a denial is recorded in the audit trail (or, if it cannot
/// be, the request fails as unavailable) and answered with 403.
pub(crate) async fn authorize(
    state: &AppState,
    caller: &caller::Caller,
    action: crate::authz::Action,
    resource: &crate::authz::Resource,
    resource_kind: &str,
) -> Result<(), error::ApiError> {
    if state
        .authz()
        .authorize(&caller.principal, action, resource)
        .allowed
    {
        return Ok(());
    }
    state
        .auth()
        .record_denial(
            &caller.principal,
            caller.ip,
            action.id(),
            resource_kind,
            None,
        )
        .await
        .map_err(auth::auth_error)?;
    Err(error::ApiError::from_status(
        axum::http::StatusCode::FORBIDDEN,
    ))
}

/// The complete application for `state`.
pub fn app(router: Router<AppState>, state: AppState) -> Router {
    let router = router
        .fallback(|| async { error::ApiError::from_status(axum::http::StatusCode::NOT_FOUND) });
    layers::apply(router, &state).with_state(state)
}
