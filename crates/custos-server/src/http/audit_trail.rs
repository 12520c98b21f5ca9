//! `GET /api/v1/audit/events`: the trail, filtered and paged, for those whose
//! role the policy allows. Each read is itself recorded, and refused if it cannot be.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use custos_audit::StoredEventV1;
use custos_store::{AuditQuery, AuditStore};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::audit::{event_time_ms, events};
use crate::authz::{Action, Resource};
use crate::http::caller::Caller;
use crate::http::error::{ApiError, ErrorBody};
use crate::state::AppState;

const DEFAULT_LIMIT: u32 = 100;
const MAX_LIMIT: u32 = 1000;

/// Filters, all optional.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Actor name (username or token name).
    pub actor: Option<String>,
    /// Action name, e.g. `customer.reveal`.
    pub action: Option<String>,
    /// Events about this customer.
    pub customer_id: Option<String>,
    /// At or after (RFC 3339).
    pub since: Option<String>,
    /// Before (RFC 3339).
    pub until: Option<String>,
    /// From a previous page's `next_cursor`.
    pub cursor: Option<u64>,
    /// Page size (1–1000, default 100).
    pub limit: Option<u32>,
    /// `desc` (newest first, the default) or `asc`.
    pub order: Option<String>,
}

/// One entry: its place in the chain and the event in OCSF form.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrailEntry {
    /// Sequence number in the chain.
    pub seq: u64,
    /// The event (OCSF 1.3 object).
    #[schema(value_type = Object)]
    pub event: serde_json::Value,
}

/// A page of the trail.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrailPage {
    /// Entries in the requested order.
    pub events: Vec<TrailEntry>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<u64>,
}

fn millis(flag: &'static str, text: &str) -> Result<i64, ApiError> {
    let at = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_query",
                format!("`{flag}` must be an RFC 3339 time"),
            )
        })?;
    Ok(at.unix_timestamp() * 1000 + i64::from(at.millisecond()))
}

/// The audit trail, filtered and paged (security officers, auditors, administrators).
#[utoipa::path(get, path = "/api/v1/audit/events", tag = "audit", params(EventsQuery),
    responses(
        (status = 200, description = "A page of the trail", body = TrailPage),
        (status = 400, description = "A filter is malformed", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The caller's role may not read the trail", body = ErrorBody)))]
pub async fn list_events(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<EventsQuery>,
) -> Result<Json<TrailPage>, ApiError> {
    super::authorize(
        &state,
        &caller,
        Action::ReadAuditTrail,
        &Resource::AuditTrail,
        "audit_trail",
    )
    .await?;
    let newest_first = match q.order.as_deref() {
        None | Some("desc") => true,
        Some("asc") => false,
        Some(_) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_query",
                "`order` is `asc` or `desc`",
            ));
        }
    };
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "`limit` is between 1 and 1000",
        ));
    }
    let query = AuditQuery {
        actor: q.actor.clone(),
        action: q.action.clone(),
        target: q.customer_id.clone().map(|id| ("customer".to_owned(), id)),
        since_ms: q.since.as_deref().map(|t| millis("since", t)).transpose()?,
        until_ms: q.until.as_deref().map(|t| millis("until", t)).transpose()?,
        after_seq: q.cursor,
        newest_first,
        limit,
    };
    let entries = state
        .store()
        .query_audit(&query)
        .await
        .map_err(|e| ApiError::unavailable(&e))?;
    let filters: Vec<(&str, String)> = [
        ("actor", q.actor),
        ("action", q.action),
        ("customer_id", q.customer_id),
        ("since", q.since),
        ("until", q.until),
    ]
    .into_iter()
    .filter_map(|(name, value)| value.map(|v| (name, v)))
    .collect();
    let ip = caller.ip_text();
    state
        .audit()
        .record(events::trail_read(
            event_time_ms(state.clock()),
            caller.principal.actor(ip.as_deref()),
            &filters,
            entries.len(),
        ))
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "audit_unavailable",
                "The audit trail cannot be written.",
            )
        })?;
    let next_cursor = (entries.len() == limit as usize)
        .then(|| entries.last().map(|e| e.seq))
        .flatten();
    let mut events = Vec::with_capacity(entries.len());
    for entry in entries {
        let event = StoredEventV1::decode(&entry.payload).map_err(|_| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "audit_unreadable",
                "An audit entry cannot be read; run `custos audit verify`.",
            )
        })?;
        events.push(TrailEntry {
            seq: entry.seq,
            event: custos_audit::export::ocsf_json(entry.seq, &event),
        });
    }
    Ok(Json(TrailPage {
        events,
        next_cursor,
    }))
}
