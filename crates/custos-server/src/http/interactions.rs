//! Interactions: `POST /api/v1/interactions` opens one with a customer, assigned
//! to an agent (integrations and the agent's supervisor); `GET …/{id}` reads it;
//! `POST …/{id}/close` closes it, and access to the customer through it ends.
//! Messages and transcripts arrive with the conversations issue; the lists are
//! already part of the answer so clients can rely on their shape.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use custos_store::{AccountStore, InteractionRecord};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::authz::{Action, Resource};
use crate::http::caller::Caller;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::vault_body::{self, vault_error};
use crate::state::AppState;

/// An interaction to open.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenInteraction {
    /// `voice`, `chat` or `email`.
    pub channel: String,
    /// The customer.
    pub customer_id: Uuid,
    /// The agent's username.
    pub agent: String,
}

/// A turn of a transcript (filled by the conversations feature).
#[derive(Debug, Serialize, ToSchema)]
pub struct TranscriptTurn {
    /// Who spoke.
    pub speaker: String,
    /// Redacted text.
    pub text: String,
    /// Start, in milliseconds.
    pub start_ms: Option<u64>,
    /// End, in milliseconds.
    pub end_ms: Option<u64>,
}

/// An interaction.
#[derive(Debug, Serialize, ToSchema)]
pub struct InteractionView {
    /// Id.
    pub id: Uuid,
    /// `voice`, `chat` or `email`.
    pub channel: String,
    /// The customer.
    pub customer_id: Uuid,
    /// The agent's username.
    pub agent: String,
    /// `open` or `closed`.
    pub status: &'static str,
    /// Opened (RFC 3339).
    pub opened_at: String,
    /// Closed (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<String>,
    /// Redacted chat and email messages.
    pub messages: Vec<serde_json::Value>,
    /// Redacted transcript turns.
    pub transcript: Vec<TranscriptTurn>,
    /// Redacted time ranges `[start_ms, end_ms]`, for muting audio.
    pub redacted_ranges: Vec<[u64; 2]>,
}

fn view(record: &InteractionRecord, agent: String) -> InteractionView {
    InteractionView {
        id: record.id,
        channel: record.channel.clone(),
        customer_id: record.customer_id,
        agent,
        status: if record.closed_at.is_some() {
            "closed"
        } else {
            "open"
        },
        opened_at: super::rfc3339(record.opened_at),
        closed_at: record.closed_at.map(super::rfc3339),
        messages: Vec::new(),
        transcript: Vec::new(),
        redacted_ranges: Vec::new(),
    }
}

fn resource(record: &InteractionRecord) -> Resource {
    Resource::Interaction {
        id: record.id,
        agent: record.agent_id,
        team: record.agent_team.clone().unwrap_or_default(),
        open: record.closed_at.is_none(),
    }
}

fn invalid(message: &str) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", message)
}

/// Open an interaction with a customer, assigned to an agent.
#[utoipa::path(post, path = "/api/v1/interactions", tag = "vault",
    request_body = OpenInteraction,
    responses(
        (status = 201, description = "Opened", body = InteractionView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 404, description = "No such customer", body = ErrorBody),
        (status = 422, description = "Unknown channel or agent", body = ErrorBody)))]
pub async fn open(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request: OpenInteraction = vault_body::parse(&body, "an interaction")?;
    if !matches!(request.channel.as_str(), "voice" | "chat" | "email") {
        return Err(invalid("channel must be voice, chat or email"));
    }
    let agent = state
        .store()
        .user_by_name(&request.agent)
        .await
        .map_err(|e| ApiError::unavailable(&e))?
        .filter(|u| u.role == "agent" && u.disabled_at.is_none())
        .ok_or_else(|| invalid("agent must be the username of an active agent"))?;
    let vault = state.vault();
    let customer = vault.load(request.customer_id).await.map_err(vault_error)?;
    if customer.stored.customer.deleted_at.is_some() {
        return Err(vault_error(crate::vault::VaultError::Deleted));
    }
    let to_be = Resource::Interaction {
        id: Uuid::nil(),
        agent: agent.id,
        team: agent.team.clone().unwrap_or_default(),
        open: true,
    };
    super::authorize(
        &state,
        &caller,
        Action::OpenInteraction,
        &to_be,
        "interaction",
    )
    .await?;
    let ip = caller.ip_text();
    let record = vault
        .open_interaction(
            caller.principal.actor(ip.as_deref()),
            request.customer_id,
            &agent,
            &request.channel,
        )
        .await
        .map_err(vault_error)?;
    Ok((StatusCode::CREATED, Json(view(&record, agent.username))).into_response())
}

async fn authorized(
    state: &AppState,
    caller: &Caller,
    id: &str,
    action: Action,
) -> Result<(InteractionRecord, String), ApiError> {
    let id = Uuid::parse_str(id)
        .map_err(|_| ApiError::new(StatusCode::NOT_FOUND, "not_found", "No such interaction."))?;
    let vault = state.vault();
    let record = vault.interaction(id).await.map_err(vault_error)?;
    super::authorize(state, caller, action, &resource(&record), "interaction").await?;
    let agent = vault
        .person(record.agent_id)
        .await
        .map(|u| u.username)
        .unwrap_or_default();
    Ok((record, agent))
}

/// An interaction, with its redacted messages and transcript.
#[utoipa::path(get, path = "/api/v1/interactions/{id}", tag = "vault",
    params(("id" = String, Path, description = "Interaction id")),
    responses(
        (status = 200, description = "The interaction", body = InteractionView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 404, description = "No such interaction", body = ErrorBody)))]
pub async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<InteractionView>, ApiError> {
    let (record, agent) = authorized(&state, &caller, &id, Action::ReadInteraction).await?;
    Ok(Json(view(&record, agent)))
}

/// Close an interaction; access to the customer through it ends at once.
#[utoipa::path(post, path = "/api/v1/interactions/{id}/close", tag = "vault",
    params(("id" = String, Path, description = "Interaction id")),
    responses(
        (status = 200, description = "Closed", body = InteractionView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 404, description = "No such interaction", body = ErrorBody),
        (status = 422, description = "Already closed", body = ErrorBody)))]
pub async fn close(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<InteractionView>, ApiError> {
    let (record, agent) = authorized(&state, &caller, &id, Action::CloseInteraction).await?;
    let ip = caller.ip_text();
    let closed = state
        .vault()
        .close_interaction(caller.principal.actor(ip.as_deref()), &record)
        .await
        .map_err(vault_error)?;
    Ok(Json(view(&closed, agent)))
}
