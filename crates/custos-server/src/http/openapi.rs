//! The OpenAPI 3.1 document, generated from the handlers' annotations.

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use utoipa::OpenApi;

use crate::state::AppState;

/// Document-level information; paths are added as routes are registered.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Custos API",
        description = "Data-security platform for contact centers. Errors always have the shape \
                       {\"error\":{\"code\":\"snake_case_code\",\"message\":\"plain words\"}}.",
        license(name = "AGPL-3.0-only")
    ),
    tags(
        (name = "operations", description = "Probes, metrics and this document"),
        (name = "auth", description = "Sign-in with a password and a second factor, sessions"),
        (name = "audit", description = "The tamper-evident audit trail"),
        (name = "access review", description = "Periodic review of every account (PCI DSS 7.2.4)"),
        (name = "vault", description = "Customers sealed field by field, masked by role, revealed with a reason; \
                                        card tokens; interactions that give agents access"),
        (name = "redaction", description = "Card data and PII found and replaced in text; nothing is stored"),
        (name = "conversations", description = "Messages and transcripts redacted on the way in, muted recordings, \
                                                customer verification by one-time code or questions"),
        (name = "detection", description = "Alerts raised by the detection rules over the audit stream, \
                                            their lifecycle and timeline; the rules"),
        (name = "settings", description = "Sessions, lockout, retention and masking, changed at run time \
                                           within the configuration's limits")
    ),
    components(schemas(crate::http::error::ErrorBody))
)]
pub struct ApiDoc;

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "operations",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json")))]
pub async fn openapi_json(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(CONTENT_TYPE, "application/json")],
        state.openapi_json().to_owned(),
    )
}
