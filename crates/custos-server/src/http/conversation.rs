//! What is said in an interaction, redacted on the way in:
//! `POST /api/v1/interactions/{id}/messages` (chat and email),
//! `POST …/transcript` (WebVTT, SubRip, Amazon Transcribe, Contact Lens, Whisper,
//! JSON turns), `POST …/audio` (a WAV recording back with the redacted ranges
//! silenced or beeped), and `POST …/entries/{entry}/reveal` (a kept raw copy).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use custos_store::ConversationStore as _;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::authz::Action;
use crate::conversation::events;
use crate::conversation::ingest::{self, IncomingMessage, Ingested};
use crate::http::caller::Caller;
use crate::http::customers::ReasonInput;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::interactions::{authorized_record, customer_of, stored_ranges};
use crate::http::vault_body::{self, vault_error};
use crate::http::verification::conversation_error;
use crate::state::AppState;
use crate::vault::RevealReason;

/// A chat or email message.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageInput {
    /// `customer`, `agent`, or a name (at most 64 characters; never scanned).
    pub sender: String,
    /// The text (at most 64 KiB).
    pub text: String,
    /// An email's subject.
    pub subject: Option<String>,
    /// An email's `From:` address: checked against the customer's address on
    /// file for the red flags, never stored.
    pub from: Option<String>,
    /// The `From:` display name: checked for the red flags, never stored.
    pub from_name: Option<String>,
    /// The text is HTML (link targets are then checked against their text).
    #[serde(default)]
    pub html: bool,
}

fn invalid(message: &str) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", message)
}

/// Records a refusal of content in the trail; the refusal itself is the answer.
async fn refused(
    state: &AppState,
    caller: &Caller,
    interaction: Uuid,
    kind: &str,
    status: &str,
    error: ApiError,
) -> ApiError {
    let ip = caller.ip_text();
    let event = events::content_refused(
        crate::audit::event_time_ms(state.clock()),
        caller.principal.actor(ip.as_deref()),
        interaction,
        kind,
        status,
    );
    match state.audit().record(event).await {
        Ok(_) => error,
        Err(e) => conversation_error(e.into()),
    }
}

/// Add a chat or email message; stored redacted, inbound messages assessed for
/// phishing red flags.
#[utoipa::path(post, path = "/api/v1/interactions/{id}/messages", tag = "conversations",
    params(("id" = String, Path, description = "Interaction id")),
    request_body = MessageInput,
    responses(
        (status = 201, description = "Stored redacted", body = Ingested),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 409, description = "The interaction is closed", body = ErrorBody),
        (status = 422, description = "Invalid message", body = ErrorBody)))]
pub async fn add_message(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let input: MessageInput = vault_body::parse(&body, "a message")?;
    let record = authorized_record(&state, &caller, &id, Action::WriteInteraction).await?;
    let sender = input.sender.trim();
    let problem = if sender.is_empty() || sender.chars().count() > 64 {
        Some("sender must be 1 to 64 characters")
    } else if sender.chars().filter(char::is_ascii_digit).count() > 3 {
        Some("sender must not hold a number (it is never redacted)")
    } else if input.text.trim().is_empty() || input.text.len() > 64 * 1024 {
        Some("text must be 1 byte to 64 KiB")
    } else if input.subject.as_ref().is_some_and(|s| s.len() > 1024) {
        Some("subject must be at most 1 KiB")
    } else {
        None
    };
    if let Some(problem) = problem {
        return Err(refused(
            &state,
            &caller,
            record.id,
            "message",
            "invalid",
            invalid(problem),
        )
        .await);
    }
    let message = IncomingMessage {
        sender: sender.to_owned(),
        text: input.text,
        subject: input.subject,
        from_address: input.from,
        from_name: input.from_name,
        html: input.html,
    };
    let customer = if ingest::needs_customer(&state, &record, &message) {
        Some(customer_of(&state, &record).await?)
    } else {
        None
    };
    let ip = caller.ip_text();
    let ingested = ingest::add_message(
        &state,
        caller.principal.actor(ip.as_deref()),
        &record,
        customer.as_ref(),
        message,
    )
    .await
    .map_err(conversation_error)?;
    Ok((StatusCode::CREATED, Json(ingested)).into_response())
}

/// Add transcript content; the format comes from `Content-Type` (`text/vtt`,
/// `application/x-subrip`, `application/vnd.amazon.transcribe+json`,
/// `application/vnd.amazon.contact-lens+json`, `application/vnd.whisper+json`,
/// `application/vnd.custos.turns+json`; `application/json` is recognized by shape).
#[utoipa::path(post, path = "/api/v1/interactions/{id}/transcript", tag = "conversations",
    params(("id" = String, Path, description = "Interaction id")),
    request_body(content = String, description = "The transcript", content_type = "text/vtt"),
    responses(
        (status = 201, description = "Stored redacted", body = Ingested),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 409, description = "The interaction is closed", body = ErrorBody),
        (status = 415, description = "Not a transcript format", body = ErrorBody),
        (status = 422, description = "Malformed transcript (nothing stored)", body = ErrorBody)))]
pub async fn add_transcript(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let record = authorized_record(&state, &caller, &id, Action::WriteInteraction).await?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let transcript = match custos_conversation::parse(content_type, &body) {
        Ok(t) => t,
        Err(e) => {
            let (status, code) = match e {
                custos_conversation::ParseError::UnsupportedContentType => {
                    (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
                }
                _ => (StatusCode::UNPROCESSABLE_ENTITY, "malformed_transcript"),
            };
            // The parser's messages name a line or element, never the content.
            let error = ApiError::new(status, code, format!("{e}; nothing was stored."));
            return Err(refused(&state, &caller, record.id, "transcript", code, error).await);
        }
    };
    let customer = customer_of(&state, &record).await?;
    let ip = caller.ip_text();
    let (ingested, _) = ingest::add_transcript(
        &state,
        caller.principal.actor(ip.as_deref()),
        &record,
        &customer,
        &transcript,
        &body,
    )
    .await
    .map_err(conversation_error)?;
    Ok((StatusCode::CREATED, Json(ingested)).into_response())
}

/// How the redacted ranges of a recording are covered.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AudioQuery {
    /// `silence` (default) or `beep`.
    pub mode: Option<String>,
}

/// A WAV recording of the interaction back, with every redacted time range
/// silenced (or beeped). Nothing is stored.
#[utoipa::path(post, path = "/api/v1/interactions/{id}/audio", tag = "conversations",
    params(("id" = String, Path, description = "Interaction id"), AudioQuery),
    request_body(content = Vec<u8>, description = "A WAV file", content_type = "audio/wav"),
    responses(
        (status = 200, description = "The redacted WAV", content_type = "audio/wav"),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 422, description = "Not a WAV file we can read", body = ErrorBody)))]
pub async fn redact_audio(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(query): Query<AudioQuery>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let mode = match query.mode.as_deref().unwrap_or("silence") {
        "silence" => custos_conversation::Mute::Silence,
        "beep" => custos_conversation::Mute::Beep { hz: 1_000 },
        _ => return Err(invalid("mode must be silence or beep")),
    };
    let record = authorized_record(&state, &caller, &id, Action::ReadInteraction).await?;
    let entries = state
        .store()
        .entries(record.id)
        .await
        .map_err(|e| ApiError::unavailable(&e))?;
    let ranges = stored_ranges(&entries);
    let mut out = std::io::Cursor::new(Vec::with_capacity(body.len()));
    let muted = tokio::task::spawn_blocking(move || {
        custos_conversation::mute_wav(std::io::Cursor::new(body), &mut out, &ranges, mode)
            .map(|summary| (summary, out.into_inner()))
    })
    .await
    .map_err(|_| ApiError::from_status(StatusCode::INTERNAL_SERVER_ERROR))?;
    let (summary, wav) = muted.map_err(|e| invalid(&format!("{e}")))?;
    let ip = caller.ip_text();
    state
        .audit()
        .record(
            custos_audit::AuditEvent::new(
                crate::audit::event_time_ms(state.clock()),
                custos_audit::Activity::ApiUpdate,
                "interaction.audio_redact",
                custos_audit::Outcome::Success,
                caller.principal.actor(ip.as_deref()),
                "Recording muted over the redacted ranges",
            )
            .with_target("interaction", Some(&record.id.to_string()), None)
            .with_detail("muted_frames", &summary.muted_frames.to_string()),
        )
        .await
        .map_err(|e| conversation_error(e.into()))?;
    Ok(([(header::CONTENT_TYPE, "audio/wav")], wav).into_response())
}

/// A raw-copy reveal request.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRevealRequest {
    /// Why.
    pub reason: ReasonInput,
}

/// A revealed raw copy.
#[derive(Serialize, ToSchema)]
pub struct RawContent {
    /// The entry.
    pub entry_id: Uuid,
    /// The content as it arrived (a message as JSON, or the transcript body).
    pub raw: String,
}

/// Reveal the kept raw copy of an entry (only where `conversations.keep_raw`
/// keeps them): needs the policy (security officers by default), a fresh second
/// factor and a reason; audited; `Cache-Control: no-store`.
#[utoipa::path(post, path = "/api/v1/interactions/{id}/entries/{entry}/reveal", tag = "conversations",
    params(("id" = String, Path, description = "Interaction id"), ("entry" = String, Path, description = "Entry id")),
    request_body = RawRevealRequest,
    responses(
        (status = 200, description = "The raw content", body = RawContent),
        (status = 403, description = "Not allowed, or a fresh second factor is needed", body = ErrorBody),
        (status = 404, description = "No such entry, or no raw copy kept", body = ErrorBody),
        (status = 422, description = "Invalid reason", body = ErrorBody)))]
pub async fn reveal_raw(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, entry)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request: RawRevealRequest = vault_body::parse(&body, "a reveal request")?;
    let reason = RevealReason {
        code: request.reason.code,
        text: request.reason.text,
    };
    state.vault().check_reason(&reason).map_err(vault_error)?;
    let record = authorized_record(&state, &caller, &id, Action::RevealRawContent).await?;
    let not_found = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "No raw copy of that entry is kept.",
        )
    };
    let entry_id = Uuid::parse_str(&entry).map_err(|_| not_found())?;
    let stored = state
        .store()
        .entry(record.id, entry_id)
        .await
        .map_err(|e| ApiError::unavailable(&e))?
        .ok_or_else(not_found)?;
    let sealed = stored.raw_sealed.ok_or_else(not_found)?;
    let customer = customer_of(&state, &record).await?;
    let ip = caller.ip_text();
    let plain = state
        .vault()
        .reveal_raw(
            caller.principal.actor(ip.as_deref()),
            &customer,
            record.id,
            entry_id,
            &sealed,
            &reason,
        )
        .await
        .map_err(vault_error)?;
    Ok(Json(RawContent {
        entry_id,
        raw: String::from_utf8_lossy(&plain).into_owned(),
    })
    .into_response())
}
