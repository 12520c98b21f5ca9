//! `GET /api/v1/policies` (the Cedar schema and every policy in force) and
//! `POST /api/v1/policies` (administrators add a policy; it is validated with all
//! the others against the schema before it takes effect, and stored).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use custos_audit::{Activity, AuditEvent, Outcome};
use custos_store::{AccountStore, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::audit::event_time_ms;
use crate::auth::Principal;
use crate::authz::{Action, AuthzError, Resource};
use crate::http::caller::Caller;
use crate::http::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// One policy in force.
#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyView {
    /// Its id.
    pub id: String,
    /// `default` (shipped) or `added` (by an administrator).
    pub source: &'static str,
    /// Cedar source.
    pub text: String,
}

/// The policies in force and the schema they are validated against.
#[derive(Debug, Serialize, ToSchema)]
pub struct Policies {
    /// Cedar schema (human-readable form).
    pub schema: String,
    /// Every policy.
    pub policies: Vec<PolicyView>,
}

/// The effective authorization policies.
#[utoipa::path(get, path = "/api/v1/policies", tag = "auth",
    responses(
        (status = 200, description = "Schema and policies", body = Policies),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Policies>, ApiError> {
    super::authorize(
        &state,
        &caller,
        Action::ReadPolicies,
        &Resource::PolicyStore,
        "policy",
    )
    .await?;
    let authz = state.authz();
    Ok(Json(Policies {
        schema: authz.schema_text().to_owned(),
        policies: authz
            .policy_listing()
            .into_iter()
            .map(|(id, default, text)| PolicyView {
                id,
                source: if default { "default" } else { "added" },
                text,
            })
            .collect(),
    }))
}

/// A policy to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPolicy {
    /// An id of a-z, 0-9 and '-'.
    pub id: String,
    /// One Cedar policy (`permit` or `forbid`).
    pub text: String,
}

/// Add a policy (administrators, after step-up). Refused with the validator's
/// explanation if it does not validate against the schema.
#[utoipa::path(post, path = "/api/v1/policies", tag = "auth", request_body = NewPolicy,
    responses(
        (status = 201, description = "Added; in force on this node now, on other nodes within a minute"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not allowed, or a fresh second factor is needed", body = ErrorBody),
        (status = 409, description = "A policy with this id exists", body = ErrorBody),
        (status = 422, description = "The policy does not parse or validate", body = ErrorBody)))]
pub async fn add(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<NewPolicy>,
) -> Response {
    if let Err(e) = super::authorize(
        &state,
        &caller,
        Action::WritePolicies,
        &Resource::PolicyStore,
        "policy",
    )
    .await
    {
        return e.into_response();
    }
    let Principal::Person(person) = &caller.principal else {
        return ApiError::from_status(StatusCode::FORBIDDEN).into_response();
    };
    if state
        .authz()
        .policy_listing()
        .iter()
        .any(|(id, _, _)| *id == body.id)
    {
        return ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            "A policy with this id exists.",
        )
        .into_response();
    }
    // Validate first (without changing anything), then record, store and apply.
    if let Err(AuthzError::Invalid(why) | AuthzError::Request(why)) =
        state.authz().check_policy(&body.id, &body.text)
    {
        return ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_policy", why)
            .into_response();
    }
    let ip = caller.ip_text();
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, body.text.as_bytes());
    let event = AuditEvent::new(
        event_time_ms(state.clock()),
        Activity::EntityCreate,
        "policy.add",
        Outcome::Success,
        caller.principal.actor(ip.as_deref()),
        "Authorization policy added",
    )
    .with_target("policy", Some(&body.id), None)
    .with_detail(
        "text_sha256",
        &digest
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>(),
    );
    if state.audit().record(event).await.is_err() {
        return ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "audit_unavailable",
            "The audit trail cannot be written.",
        )
        .into_response();
    }
    match state
        .store()
        .add_policy(
            &body.id,
            &body.text,
            person.user.id,
            state.clock().unix_now().0,
        )
        .await
    {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => {
            return ApiError::new(
                StatusCode::CONFLICT,
                "conflict",
                "A policy with this id exists.",
            )
            .into_response();
        }
        Err(e) => return ApiError::unavailable(&e).into_response(),
    }
    match state.authz().add_policy(&body.id, &body.text) {
        Ok(()) => StatusCode::CREATED.into_response(),
        Err(e) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_policy",
            e.to_string(),
        )
        .into_response(),
    }
}
