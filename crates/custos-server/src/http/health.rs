//! Liveness and readiness probes.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use custos_store::InstanceStore;
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// Liveness answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok` when the process answers.
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// Readiness answer: what was checked.
#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// `ready`.
    #[schema(example = "ready")]
    pub status: &'static str,
    /// `sqlite` or `postgres`.
    pub store: String,
    /// Whether the root and audit keys are loaded.
    pub keys_loaded: bool,
}

/// Liveness: the process is up and serving.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "The process is alive", body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// Readiness: the store answers, the audit trail accepts writes and the keys are
/// loaded; fails while shutting down.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Ready to serve", body = Readiness),
        (status = 503, description = "Not ready", body = ErrorBody)))]
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Readiness>, ApiError> {
    if state.is_draining() {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting_down",
            "This node is shutting down.",
        ));
    }
    state
        .store()
        .ping()
        .await
        .map_err(|e| ApiError::unavailable(&e))?;
    if !state.audit().is_healthy() {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "audit_unavailable",
            "The audit trail cannot be written.",
        ));
    }
    let keys = state.keys();
    let keys_loaded =
        !keys.audit_signer.key_id().is_empty() && keys.root.expose().iter().any(|b| *b != 0);
    if !keys_loaded {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "keys_unavailable",
            "The key material is not loaded.",
        ));
    }
    Ok(Json(Readiness {
        status: "ready",
        store: state.store().backend().to_string(),
        keys_loaded,
    }))
}
