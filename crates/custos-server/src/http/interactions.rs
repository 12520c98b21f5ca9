//! Interactions: `POST /api/v1/interactions` opens one with a customer, assigned
//! to an agent (integrations and the agent's supervisor); `GET /api/v1/interactions`
//! lists the open ones the caller may read (an agent's own, a supervisor's team's);
//! `GET …/{id}` reads it;
//! `POST …/{id}/close` closes it, and access to the customer through it ends.
//! The answer carries the redacted messages and transcript (`http/conversation.rs`
//! adds them) and the customer's verification state.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use custos_conversation::RedactedTranscript;
use custos_store::{AccountStore, ConversationStore as _, EntryRecord, InteractionRecord};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::authz::{Action, Resource};
use crate::conversation::ingest::StoredMessage;
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

/// A turn of a transcript, redacted.
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
    /// The words, redacted one by one, with their timings.
    pub words: Vec<TranscriptWord>,
}

/// A word of a transcript turn.
#[derive(Debug, Serialize, ToSchema)]
pub struct TranscriptWord {
    /// The word, or what replaced it.
    pub text: String,
    /// Start, in milliseconds.
    pub start_ms: Option<u64>,
    /// End, in milliseconds.
    pub end_ms: Option<u64>,
    /// Whether it was redacted.
    pub redacted: bool,
}

/// A chat or email message, redacted.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageView {
    /// The entry id.
    pub id: Uuid,
    /// Who sent it.
    pub sender: String,
    /// Redacted text.
    pub text: String,
    /// Redacted subject.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Stored (RFC 3339).
    pub created_at: String,
    /// Phishing and social-engineering red flags, for inbound messages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk: Option<crate::conversation::ingest::Risk>,
}

/// The customer's verification in the interaction.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerificationView {
    /// Verified?
    pub verified: bool,
    /// `email`, `phone` or `questions`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// When (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified_at: Option<String>,
    /// Failed attempts so far.
    pub failures: u32,
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
    /// The customer's verification.
    pub verification: VerificationView,
    /// Redacted chat and email messages.
    pub messages: Vec<MessageView>,
    /// Redacted transcript turns.
    pub transcript: Vec<TranscriptTurn>,
    /// Redacted time ranges `[start_ms, end_ms]`, for muting audio.
    pub redacted_ranges: Vec<[u64; 2]>,
}

/// Every stored transcript's time ranges to mute, merged.
pub(crate) fn stored_ranges(entries: &[EntryRecord]) -> Vec<custos_conversation::TimeRange> {
    let ranges = entries
        .iter()
        .filter(|e| e.kind == "transcript")
        .filter_map(|e| RedactedTranscript::from_stored_json(e.content.as_bytes()).ok())
        .flat_map(|t| t.redacted_ranges)
        .collect();
    custos_conversation::merge_ranges(ranges)
}

fn view(record: &InteractionRecord, agent: String, entries: &[EntryRecord]) -> InteractionView {
    let mut messages = Vec::new();
    let mut transcript = Vec::new();
    for entry in entries {
        match entry.kind.as_str() {
            "message" => {
                if let Ok(m) = serde_json::from_str::<StoredMessage>(&entry.content) {
                    messages.push(MessageView {
                        id: entry.id,
                        sender: m.sender,
                        text: m.text,
                        subject: m.subject,
                        created_at: super::rfc3339(entry.created_at),
                        risk: m.risk,
                    });
                }
            }
            "transcript" => {
                if let Ok(t) = RedactedTranscript::from_stored_json(entry.content.as_bytes()) {
                    transcript.extend(t.turns.into_iter().map(|turn| {
                        TranscriptTurn {
                            speaker: turn.speaker,
                            text: turn.text,
                            start_ms: turn.start_ms,
                            end_ms: turn.end_ms,
                            words: turn
                                .words
                                .into_iter()
                                .map(|w| TranscriptWord {
                                    text: w.text,
                                    start_ms: w.start_ms,
                                    end_ms: w.end_ms,
                                    redacted: w.redacted,
                                })
                                .collect(),
                        }
                    }));
                }
            }
            _ => {}
        }
    }
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
        verification: VerificationView {
            verified: record.verified_at.is_some(),
            method: record.verified_method.clone(),
            verified_at: record.verified_at.map(super::rfc3339),
            failures: record.verification_failures,
        },
        messages,
        transcript,
        redacted_ranges: stored_ranges(entries)
            .into_iter()
            .map(|r| [r.start_ms, r.end_ms])
            .collect(),
    }
}

/// The interaction as a policy resource; idle past the limit counts as closed.
pub(crate) fn resource(state: &AppState, record: &InteractionRecord) -> Resource {
    Resource::Interaction {
        id: record.id,
        agent: record.agent_id,
        team: record.agent_team.clone().unwrap_or_default(),
        open: crate::conversation::lifecycle::is_open(state, record),
        verified: record.verified_at.is_some(),
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
    if !crate::config::CHANNELS.contains(&request.channel.as_str()) {
        return Err(invalid("channel must be voice, chat or email"));
    }
    let agent = active_agent(&state, &request.agent).await?;
    let vault = state.vault();
    let customer = vault.load(request.customer_id).await.map_err(vault_error)?;
    if customer.stored.customer.deleted_at.is_some() {
        return Err(vault_error(crate::vault::VaultError::Deleted));
    }
    super::authorize(
        &state,
        &caller,
        Action::OpenInteraction,
        &assigned_to(&agent, Uuid::nil(), false),
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
    Ok((
        StatusCode::CREATED,
        Json(view(&record, agent.username, &[])),
    )
        .into_response())
}

/// The active agent named `name`, or a 422 that says so.
async fn active_agent(state: &AppState, name: &str) -> Result<custos_store::UserRecord, ApiError> {
    state
        .store()
        .user_by_name(name)
        .await
        .map_err(|e| ApiError::unavailable(&e))?
        .filter(|u| u.role == "agent" && u.disabled_at.is_none())
        .ok_or_else(|| invalid("agent must be the username of an active agent"))
}

/// An open interaction `id` as it would be once assigned to `agent`, for the policy.
fn assigned_to(agent: &custos_store::UserRecord, id: Uuid, verified: bool) -> Resource {
    Resource::Interaction {
        id,
        agent: agent.id,
        team: agent.team.clone().unwrap_or_default(),
        open: true,
        verified,
    }
}

/// The agent to give an interaction to.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reassignment {
    /// The agent's username.
    pub agent: String,
}

/// Give an open interaction to another agent. Allowed to whoever may open an
/// interaction both for its current agent and for the new one (a supervisor within
/// their team, an integration); the previous agent's access ends at once.
#[utoipa::path(post, path = "/api/v1/interactions/{id}/assign", tag = "vault",
    params(("id" = String, Path, description = "Interaction id")),
    request_body = Reassignment,
    responses(
        (status = 200, description = "Reassigned", body = InteractionView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 404, description = "No such interaction", body = ErrorBody),
        (status = 422, description = "Unknown agent, or the interaction is closed", body = ErrorBody)))]
pub async fn assign(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<InteractionView>, ApiError> {
    let request: Reassignment = vault_body::parse(&body, "a reassignment")?;
    let record = authorized_record(&state, &caller, &id, Action::OpenInteraction).await?;
    let agent = active_agent(&state, &request.agent).await?;
    super::authorize(
        &state,
        &caller,
        Action::OpenInteraction,
        &assigned_to(&agent, record.id, record.verified_at.is_some()),
        "interaction",
    )
    .await?;
    let ip = caller.ip_text();
    let moved = state
        .vault()
        .reassign_interaction(caller.principal.actor(ip.as_deref()), &record, &agent)
        .await
        .map_err(vault_error)?;
    Ok(Json(view(&moved, agent.username, &[])))
}

/// The interaction `id` (its record and its agent's username) if the caller may
/// do `action` to it.
pub(crate) async fn authorized(
    state: &AppState,
    caller: &Caller,
    id: &str,
    action: Action,
) -> Result<(InteractionRecord, String), ApiError> {
    let record = authorized_record(state, caller, id, action).await?;
    let agent = state
        .vault()
        .person(record.agent_id)
        .await
        .map(|u| u.username)
        .unwrap_or_default();
    Ok((record, agent))
}

/// The customer of an interaction the caller was authorized for.
pub(crate) async fn customer_of(
    state: &AppState,
    record: &InteractionRecord,
) -> Result<crate::vault::LoadedCustomer, ApiError> {
    state
        .vault()
        .load(record.customer_id)
        .await
        .map_err(vault_error)
}

/// The interaction `id` if the caller may do `action` to it (without its agent's name).
pub(crate) async fn authorized_record(
    state: &AppState,
    caller: &Caller,
    id: &str,
    action: Action,
) -> Result<InteractionRecord, ApiError> {
    let id = Uuid::parse_str(id)
        .map_err(|_| ApiError::new(StatusCode::NOT_FOUND, "not_found", "No such interaction."))?;
    let record = state.vault().interaction(id).await.map_err(vault_error)?;
    super::authorize(
        state,
        caller,
        action,
        &resource(state, &record),
        "interaction",
    )
    .await?;
    Ok(record)
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
    let entries = state
        .store()
        .entries(record.id)
        .await
        .map_err(|e| ApiError::unavailable(&e))?;
    let ip = caller.ip_text();
    if !entries.is_empty() {
        state
            .audit()
            .record(crate::conversation::events::conversation_read(
                crate::audit::event_time_ms(state.clock()),
                caller.principal.actor(ip.as_deref()),
                record.id,
            ))
            .await
            .map_err(|e| crate::http::verification::conversation_error(e.into()))?;
    }
    Ok(Json(view(&record, agent, &entries)))
}

/// An open interaction in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct InteractionSummary {
    /// Id.
    pub id: Uuid,
    /// `voice`, `chat` or `email`.
    pub channel: String,
    /// The customer.
    pub customer_id: Uuid,
    /// The agent's username.
    pub agent: String,
    /// Opened (RFC 3339).
    pub opened_at: String,
    /// Whether the customer has been verified in it.
    pub verified: bool,
}

/// Open interactions.
#[derive(Debug, Serialize, ToSchema)]
pub struct InteractionList {
    /// Newest first, at most 200.
    pub interactions: Vec<InteractionSummary>,
}

/// How many open interactions a list shows.
const LIST_LIMIT: u32 = 200;

/// The open interactions the caller may read, newest first: an agent's own, a
/// supervisor's team's, and for other roles whatever the policy lets them read.
#[utoipa::path(get, path = "/api/v1/interactions", tag = "vault",
    responses(
        (status = 200, description = "Open interactions", body = InteractionList),
        (status = 401, description = "Not signed in", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<InteractionList>, ApiError> {
    use custos_auth::role::Role;
    use custos_store::{InteractionScope, VaultStore as _};
    let scope = match &caller.principal {
        crate::auth::Principal::Person(p) => match p.role {
            Role::Agent => InteractionScope::Agent(p.user.id),
            Role::Supervisor => match &p.user.team {
                Some(team) => InteractionScope::Team(team.clone()),
                None => {
                    return Ok(Json(InteractionList {
                        interactions: Vec::new(),
                    }));
                }
            },
            _ => InteractionScope::All,
        },
        crate::auth::Principal::Service(_) => InteractionScope::All,
    };
    let records = state
        .store()
        .open_interactions_in(&scope, LIST_LIMIT)
        .await
        .map_err(|e| ApiError::unavailable(&e))?;
    // The policy still decides, row by row; a row it refuses is simply not listed.
    let fresh = state.auth().mfa_fresh(&caller.principal);
    let mut names = std::collections::HashMap::new();
    let mut interactions = Vec::new();
    for record in records {
        let allowed = state
            .authz()
            .authorize(
                &caller.principal,
                Action::ReadInteraction,
                &resource(&state, &record),
                fresh,
            )
            .allowed;
        if !allowed {
            continue;
        }
        let agent = match names.get(&record.agent_id) {
            Some(name) => String::clone(name),
            None => {
                let name = state
                    .vault()
                    .person(record.agent_id)
                    .await
                    .map(|u| u.username)
                    .unwrap_or_default();
                names.insert(record.agent_id, name.clone());
                name
            }
        };
        interactions.push(InteractionSummary {
            id: record.id,
            channel: record.channel,
            customer_id: record.customer_id,
            agent,
            opened_at: super::rfc3339(record.opened_at),
            verified: record.verified_at.is_some(),
        });
    }
    Ok(Json(InteractionList { interactions }))
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
    Ok(Json(view(&closed, agent, &[])))
}
