//! `POST /api/v1/redact`: the redaction engine for integrations and people — a batch
//! of texts in, spans (offsets in Unicode code points, as `custos redact`) and
//! redacted text out. Nothing is stored; the call is audited with counts per entity
//! type, never with text.

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use custos_audit::{Activity, AuditEvent, Outcome};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::audit::event_time_ms;
use crate::authz::{Action, Resource};
use crate::http::caller::Caller;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::vault_body;
use crate::state::AppState;

/// Texts per request, at most.
const MAX_ITEMS: usize = 1000;

/// One text to redact.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedactItem {
    /// Your id for it, echoed back.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub id: serde_json::Value,
    /// The text.
    pub text: String,
}

/// A batch of texts.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedactRequest {
    /// Up to 1000 texts (and no more than the body limit).
    pub items: Vec<RedactItem>,
}

/// One entity found.
#[derive(Debug, Serialize, ToSchema)]
pub struct SpanView {
    /// First code point.
    pub start: usize,
    /// After the last code point.
    pub end: usize,
    /// `CREDIT_CARD`, `US_SSN`, `PERSON`, …
    #[serde(rename = "type")]
    pub entity: &'static str,
    /// Confidence, 0 to 1, two decimals.
    pub score: f64,
}

/// One text's result.
#[derive(Serialize, ToSchema)]
pub struct RedactResult {
    /// Your id.
    #[schema(value_type = Object)]
    pub id: serde_json::Value,
    /// What was found.
    pub spans: Vec<SpanView>,
    /// The text with each span replaced.
    pub redacted: String,
}

/// The batch's results, in order.
#[derive(Serialize, ToSchema)]
pub struct RedactResponse {
    /// One per item.
    pub results: Vec<RedactResult>,
}

/// Redact a batch of texts.
#[utoipa::path(post, path = "/api/v1/redact", tag = "redaction",
    request_body = RedactRequest,
    responses(
        (status = 200, description = "Spans and redacted texts", body = RedactResponse),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 422, description = "Not a batch of texts, or more than 1000", body = ErrorBody)))]
pub async fn redact(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<Json<RedactResponse>, ApiError> {
    super::authorize(
        &state,
        &caller,
        Action::RedactText,
        &Resource::Redactor,
        "redactor",
    )
    .await?;
    let request: RedactRequest = vault_body::parse(&body, "a batch of texts")?;
    if request.items.len() > MAX_ITEMS {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "too_many_items",
            format!("Send at most {MAX_ITEMS} texts per request."),
        ));
    }
    let redactor = state.redactor().clone();
    // CPU-bound: off the async workers, so other requests keep flowing.
    let (results, found) = tokio::task::spawn_blocking(move || {
        let mut found: BTreeMap<&'static str, usize> = BTreeMap::new();
        let results: Vec<RedactResult> = request
            .items
            .into_iter()
            .map(|item| {
                let redaction = redactor.redact(&item.text);
                let spans = redaction
                    .spans
                    .iter()
                    .map(|s| {
                        *found.entry(s.entity.as_str()).or_default() += 1;
                        SpanView {
                            start: s.char_start,
                            end: s.char_end,
                            entity: s.entity.as_str(),
                            score: s.printed_score(),
                        }
                    })
                    .collect();
                RedactResult {
                    id: item.id,
                    spans,
                    redacted: redaction.redacted,
                }
            })
            .collect();
        (results, found)
    })
    .await
    .map_err(|_| ApiError::from_status(StatusCode::INTERNAL_SERVER_ERROR))?;
    let ip = caller.ip_text();
    let mut event = AuditEvent::new(
        event_time_ms(state.clock()),
        Activity::ApiRead,
        "redact.batch",
        Outcome::Success,
        caller.principal.actor(ip.as_deref()),
        "Texts redacted",
    )
    .with_target("redactor", None, None)
    .with_detail("texts", &results.len().to_string());
    for (entity, count) in &found {
        event = event.with_detail(entity, &count.to_string());
    }
    state.audit().record(event).await.map_err(|e| {
        tracing::error!(error = %e, "redaction refused: the audit trail cannot record it");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "audit_unavailable",
            "The audit trail cannot record this action right now, so it was not done.",
        )
    })?;
    Ok(Json(RedactResponse { results }))
}
