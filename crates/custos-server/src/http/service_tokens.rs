//! Service tokens over the API: `GET /api/v1/service-tokens` lists them (names,
//! roles, dates, never a token), `POST /api/v1/service-tokens` creates one and
//! shows it once, `DELETE /api/v1/service-tokens/{id}` revokes one. Creating and
//! revoking need a fresh second factor (see the default policies).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use custos_auth::role::Role;
use custos_store::ServiceTokenRecord;
use secrecy::ExposeSecret as _;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::access_review::token_status;
use crate::auth::{AuthError, DEFAULT_TOKEN_DAYS};
use crate::authz::{Action, Resource};
use crate::http::auth::auth_error;
use crate::http::caller::Caller;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::rfc3339;
use crate::state::AppState;

/// A service token as listed: everything but the token.
#[derive(Serialize, ToSchema)]
pub struct ServiceTokenView {
    /// Id (for revoking).
    pub id: String,
    /// The integration's name.
    pub name: String,
    /// `integration` or `payment_service`.
    pub role: String,
    /// `active`, `expired` or `revoked`.
    pub status: &'static str,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Expires (RFC 3339).
    pub expires_at: String,
    /// Last used (RFC 3339), if ever.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<String>,
    /// Revoked (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
}

impl ServiceTokenView {
    /// The listing of `token` at `now` (Unix seconds).
    pub fn new(token: ServiceTokenRecord, now: i64) -> Self {
        Self {
            id: token.id.to_string(),
            status: token_status(&token, now),
            name: token.name,
            role: token.role,
            created_at: rfc3339(token.created_at),
            expires_at: rfc3339(token.expires_at),
            last_used_at: token.last_used_at.map(rfc3339),
            revoked_at: token.revoked_at.map(rfc3339),
        }
    }
}

/// The integrations' service tokens.
#[utoipa::path(get, path = "/api/v1/service-tokens", tag = "auth",
    responses(
        (status = 200, description = "Every token, by name", body = [ServiceTokenView]),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<ServiceTokenView>>, ApiError> {
    super::authorize(
        &state,
        &caller,
        Action::ReadIntegrations,
        &Resource::Integrations,
        "service_token",
    )
    .await?;
    let now = state.clock().unix_now().0;
    let tokens = state.auth().service_tokens().await.map_err(auth_error)?;
    Ok(Json(
        tokens
            .into_iter()
            .map(|t| ServiceTokenView::new(t, now))
            .collect(),
    ))
}

/// A token to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewServiceToken {
    /// A name for the integration (3 to 64 of `a-z 0-9 . _ -`), e.g. `genesys-prod`.
    pub name: String,
    /// `integration` or `payment_service`.
    pub role: String,
    /// Days until it expires (1 to 3650; 365 when absent).
    pub days: Option<i64>,
}

/// A new token, shown once. No `Debug`: the token is a credential.
#[derive(Serialize, ToSchema)]
pub struct CreatedServiceToken {
    /// Id (for revoking).
    pub id: String,
    /// Name.
    pub name: String,
    /// Role.
    pub role: String,
    /// The token: give it to the integration now; it is not shown again.
    pub token: String,
    /// Expires (RFC 3339).
    pub expires_at: String,
}

/// Create a service token (administrators, after a fresh second factor).
#[utoipa::path(post, path = "/api/v1/service-tokens", tag = "auth", request_body = NewServiceToken,
    responses(
        (status = 201, description = "Created; the token is shown once", body = CreatedServiceToken),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not allowed, or a fresh second factor is needed", body = ErrorBody),
        (status = 409, description = "A token with this name exists", body = ErrorBody),
        (status = 422, description = "The name, role or lifetime is not acceptable", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<NewServiceToken>,
) -> Result<(StatusCode, Json<CreatedServiceToken>), ApiError> {
    super::authorize(
        &state,
        &caller,
        Action::CreateServiceToken,
        &Resource::Integrations,
        "service_token",
    )
    .await?;
    let role: Role = body.role.parse().map_err(|_| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "role must be integration or payment_service",
        )
    })?;
    let ip = caller.ip_text();
    let (token, record) = state
        .auth()
        .create_service_token(
            caller.principal.actor(ip.as_deref()),
            &body.name,
            role,
            body.days.unwrap_or(DEFAULT_TOKEN_DAYS),
        )
        .await
        .map_err(auth_error)?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedServiceToken {
            id: record.id.to_string(),
            name: record.name,
            role: record.role,
            token: token.expose_secret().to_owned(),
            expires_at: rfc3339(record.expires_at),
        }),
    ))
}

/// Revoke a service token: its next request is refused.
#[utoipa::path(delete, path = "/api/v1/service-tokens/{id}", tag = "auth",
    params(("id" = String, Path, description = "Token id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not allowed, or a fresh second factor is needed", body = ErrorBody),
        (status = 404, description = "No such token", body = ErrorBody),
        (status = 422, description = "Already revoked", body = ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    super::authorize(
        &state,
        &caller,
        Action::RevokeServiceToken,
        &Resource::Integrations,
        "service_token",
    )
    .await?;
    let not_found = || ApiError::new(StatusCode::NOT_FOUND, "not_found", "No such service token.");
    let id = uuid::Uuid::parse_str(&id).map_err(|_| not_found())?;
    let token = match state.auth().service_token(id).await {
        Ok(token) => token,
        Err(AuthError::NotFound) => return Err(not_found()),
        Err(e) => return Err(auth_error(e)),
    };
    let ip = caller.ip_text();
    state
        .auth()
        .revoke_service_token(caller.principal.actor(ip.as_deref()), &token)
        .await
        .map_err(auth_error)?;
    Ok(StatusCode::NO_CONTENT)
}
