//! Detection alerts and rules: `GET /api/v1/alerts` (CONTRACT.md), one alert with
//! its notes and the incident timeline (the actor's audit events around it), its
//! lifecycle (acknowledge, resolve, notes), and the rules: list, change (enable,
//! disable, tune) and add — validated, stored, applied at once, audited.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use custos_audit::StoredEventV1;
use custos_store::{
    AlertNote, AlertRecord, AuditQuery, AuditStore as _, DetectionRuleRecord, DetectionStore as _,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::authz::{Action, Resource};
use crate::detect::events;
use crate::http::audit_trail::TrailEntry;
use crate::http::caller::Caller;
use crate::http::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// Filters of the alert list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AlertsQuery {
    /// `open`, `acknowledged` or `resolved`.
    pub status: Option<String>,
    /// At most this many (1–500, default 100).
    pub limit: Option<u32>,
}

/// An alert.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertView {
    /// Id.
    pub id: Uuid,
    /// The rule that raised it.
    pub rule: String,
    /// `low`, `medium`, `high` or `critical`.
    pub severity: String,
    /// The rule's title.
    pub title: String,
    /// What was seen.
    pub summary: String,
    /// `open`, `acknowledged` or `resolved`.
    pub status: String,
    /// The account concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// The address concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_ip: Option<String>,
    /// Audit sequence numbers of the events that triggered it.
    pub events: Vec<u64>,
    /// The responses taken: `{response, outcome, status}`.
    #[schema(value_type = Vec<Object>)]
    pub responses: serde_json::Value,
    /// Raised (RFC 3339).
    pub created_at: String,
    /// Last changed (RFC 3339).
    pub updated_at: String,
    /// By whom.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_by: Option<String>,
}

impl From<AlertRecord> for AlertView {
    fn from(a: AlertRecord) -> Self {
        Self {
            id: a.id,
            rule: a.rule_id,
            severity: a.severity,
            title: a.title,
            summary: a.summary,
            status: a.status,
            actor: a.actor,
            source_ip: a.source_ip,
            events: serde_json::from_str(&a.events).unwrap_or_default(),
            responses: serde_json::from_str(&a.responses).unwrap_or_default(),
            created_at: super::rfc3339(a.created_at),
            updated_at: super::rfc3339(a.updated_at),
            updated_by: a.updated_by,
        }
    }
}

/// The alert list.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertList {
    /// Newest first.
    pub alerts: Vec<AlertView>,
}

/// A note on an alert.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoteView {
    /// Written (RFC 3339).
    pub created_at: String,
    /// By whom.
    pub author: String,
    /// The note.
    pub text: String,
}

/// One alert with its notes and the incident timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertDetail {
    /// The alert.
    pub alert: AlertView,
    /// Notes, oldest first.
    pub notes: Vec<NoteView>,
    /// The actor's audit events from an hour before the alert to ten minutes after
    /// (or, without an actor, the triggering events), oldest first.
    pub timeline: Vec<TrailEntry>,
}

/// An alert change.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertChange {
    /// An optional note (redacted on the way in).
    pub note: Option<String>,
}

/// A note.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteInput {
    /// The note (1–2000 characters; redacted on the way in).
    pub text: String,
}

async fn allow(
    state: &AppState,
    caller: &Caller,
    action: Action,
    resource: Resource,
) -> Result<(), ApiError> {
    super::authorize(state, caller, action, &resource, "alert").await
}

fn audit_failed(e: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "refused: the audit trail cannot record it");
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "audit_unavailable",
        "The audit trail cannot record this action right now, so it was not done.",
    )
}

fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "No such alert.")
}

fn parse_body<T: serde::de::DeserializeOwned + Default>(body: &Bytes) -> Result<T, ApiError> {
    if body.is_empty() {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "The request body is not valid JSON of the expected shape.",
        )
    })
}

/// Detection alerts, newest first (security officers, auditors, admins).
#[utoipa::path(get, path = "/api/v1/alerts", tag = "detection", params(AlertsQuery),
    responses(
        (status = 200, description = "Alerts", body = AlertList),
        (status = 400, description = "A filter is malformed", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<AlertsQuery>,
) -> Result<Json<AlertList>, ApiError> {
    allow(&state, &caller, Action::ReadAlerts, Resource::Alerts).await?;
    if let Some(status) = &q.status
        && !matches!(status.as_str(), "open" | "acknowledged" | "resolved")
    {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "`status` must be open, acknowledged or resolved",
        ));
    }
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    let alerts = state
        .store()
        .alerts(q.status.as_deref(), limit)
        .await
        .map_err(|e| ApiError::unavailable(&e))?;
    Ok(Json(AlertList {
        alerts: alerts.into_iter().map(AlertView::from).collect(),
    }))
}

async fn load(state: &AppState, id: &str) -> Result<AlertRecord, ApiError> {
    let id = Uuid::parse_str(id).map_err(|_| not_found())?;
    state
        .store()
        .alert(id)
        .await
        .map_err(|e| ApiError::unavailable(&e))?
        .ok_or_else(not_found)
}

/// The incident timeline of an alert.
async fn timeline(state: &AppState, alert: &AlertRecord) -> Result<Vec<TrailEntry>, ApiError> {
    let triggering: Vec<u64> = serde_json::from_str(&alert.events).unwrap_or_default();
    let entries = match &alert.actor {
        Some(actor) => {
            let at_ms = alert.created_at.saturating_mul(1000);
            state
                .store()
                .query_audit(&AuditQuery {
                    actor: Some(actor.clone()),
                    since_ms: Some(at_ms - 3_600_000),
                    until_ms: Some(at_ms + 600_000),
                    limit: 500,
                    ..AuditQuery::default()
                })
                .await
                .map_err(|e| ApiError::unavailable(&e))?
        }
        None => {
            let mut entries = Vec::new();
            for seq in triggering.iter().take(50) {
                let found = state
                    .store()
                    .audit_entries(seq.saturating_sub(1), 1)
                    .await
                    .map_err(|e| ApiError::unavailable(&e))?;
                entries.extend(found.into_iter().filter(|e| e.seq == *seq));
            }
            entries
        }
    };
    Ok(entries
        .into_iter()
        .filter_map(|entry| {
            let event = StoredEventV1::decode(&entry.payload).ok()?;
            Some(TrailEntry {
                seq: entry.seq,
                event: custos_audit::export::ocsf_json(entry.seq, &event),
            })
        })
        .collect())
}

/// One alert with its notes and the incident timeline; the read is audited.
#[utoipa::path(get, path = "/api/v1/alerts/{id}", tag = "detection",
    params(("id" = String, Path, description = "Alert id")),
    responses(
        (status = 200, description = "The alert", body = AlertDetail),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 404, description = "No such alert", body = ErrorBody)))]
pub async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<AlertDetail>, ApiError> {
    allow(&state, &caller, Action::ReadAlerts, Resource::Alerts).await?;
    let alert = load(&state, &id).await?;
    let notes = state
        .store()
        .alert_notes(alert.id)
        .await
        .map_err(|e| ApiError::unavailable(&e))?;
    let timeline = timeline(&state, &alert).await?;
    let ip = caller.ip_text();
    state
        .audit()
        .record(crate::audit::events::trail_read(
            crate::audit::event_time_ms(state.clock()),
            caller.principal.actor(ip.as_deref()),
            &[("alert", alert.id.to_string())],
            timeline.len(),
        ))
        .await
        .map_err(audit_failed)?;
    Ok(Json(AlertDetail {
        alert: alert.into(),
        notes: notes
            .into_iter()
            .map(|n| NoteView {
                created_at: super::rfc3339(n.created_at),
                author: n.author,
                text: n.text,
            })
            .collect(),
        timeline,
    }))
}

/// A note's text as stored: redacted, and cleaned of digit runs and addresses.
fn clean_note(state: &AppState, text: &str) -> Result<String, ApiError> {
    let n = text.trim().chars().count();
    if n == 0 || n > 2000 {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "a note is 1 to 2000 characters",
        ));
    }
    Ok(crate::vault::events::clean_reason_text(
        &state.redactor().redact(text.trim()).redacted,
    ))
}

async fn change(
    state: &AppState,
    caller: &Caller,
    id: &str,
    status: Option<&'static str>,
    note: Option<&str>,
) -> Result<Json<AlertView>, ApiError> {
    allow(state, caller, Action::ManageAlerts, Resource::Alerts).await?;
    let alert = load(state, id).await?;
    let note = note.map(|n| clean_note(state, n)).transpose()?;
    let who = caller.principal.actor(None).display_name().to_owned();
    let now = state.clock().unix_now().0;
    let ip = caller.ip_text();
    let change = status.unwrap_or("note");
    state
        .audit()
        .record(events::alert_changed(
            crate::audit::event_time_ms(state.clock()),
            caller.principal.actor(ip.as_deref()),
            alert.id,
            change,
        ))
        .await
        .map_err(audit_failed)?;
    if let Some(text) = note {
        state
            .store()
            .add_alert_note(
                alert.id,
                &AlertNote {
                    created_at: now,
                    author: who.clone(),
                    text,
                },
            )
            .await
            .map_err(|e| ApiError::unavailable(&e))?;
    }
    let status = status.unwrap_or(&alert.status).to_owned();
    state
        .store()
        .update_alert(alert.id, &status, None, &who, now)
        .await
        .map_err(|e| ApiError::unavailable(&e))?;
    let updated = load(state, id).await?;
    Ok(Json(updated.into()))
}

/// Acknowledge an alert (someone is on it), optionally with a note.
#[utoipa::path(post, path = "/api/v1/alerts/{id}/acknowledge", tag = "detection",
    params(("id" = String, Path, description = "Alert id")), request_body = AlertChange,
    responses(
        (status = 200, description = "Acknowledged", body = AlertView),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 404, description = "No such alert", body = ErrorBody)))]
pub async fn acknowledge(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<AlertView>, ApiError> {
    let input: AlertChange = parse_body(&body)?;
    change(
        &state,
        &caller,
        &id,
        Some("acknowledged"),
        input.note.as_deref(),
    )
    .await
}

/// Resolve an alert, optionally with a note.
#[utoipa::path(post, path = "/api/v1/alerts/{id}/resolve", tag = "detection",
    params(("id" = String, Path, description = "Alert id")), request_body = AlertChange,
    responses(
        (status = 200, description = "Resolved", body = AlertView),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 404, description = "No such alert", body = ErrorBody)))]
pub async fn resolve(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<AlertView>, ApiError> {
    let input: AlertChange = parse_body(&body)?;
    change(
        &state,
        &caller,
        &id,
        Some("resolved"),
        input.note.as_deref(),
    )
    .await
}

/// Add a note to an alert.
#[utoipa::path(post, path = "/api/v1/alerts/{id}/notes", tag = "detection",
    params(("id" = String, Path, description = "Alert id")), request_body = NoteInput,
    responses(
        (status = 200, description = "Noted", body = AlertView),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 404, description = "No such alert", body = ErrorBody),
        (status = 422, description = "Empty or too long", body = ErrorBody)))]
pub async fn add_note(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<AlertView>, ApiError> {
    let input: NoteInput = serde_json::from_slice(&body).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "Send {\"text\": …}.",
        )
    })?;
    change(&state, &caller, &id, None, Some(&input.text)).await
}

/// A detection rule as listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleView {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// What it catches.
    pub description: String,
    /// Severity.
    pub severity: String,
    /// In force?
    pub enabled: bool,
    /// `none`, `event_count`, `value_count`, `sequence`, `new_value` or `peer_baseline`.
    pub correlation: String,
    /// The responses it asks for.
    pub responses: Vec<String>,
}

/// The rules.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleList {
    /// By id.
    pub rules: Vec<RuleView>,
}

/// A rule change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleChange {
    /// Turn the rule on or off.
    pub enabled: Option<bool>,
    /// A new definition of the rule (TOML, one rule, the keys of a `[[rule]]` entry).
    pub definition: Option<String>,
}

fn rule_view(rule: &custos_detect::Rule) -> RuleView {
    RuleView {
        id: rule.id().as_str().to_owned(),
        title: rule.title().to_owned(),
        description: rule.description().to_owned(),
        severity: rule.severity().as_str().to_owned(),
        enabled: rule.enabled(),
        correlation: rule.correlation().kind().to_owned(),
        responses: rule
            .responses()
            .iter()
            .map(|r| r.name().to_owned())
            .collect(),
    }
}

/// The detection rules in force (security officers, auditors, admins).
#[utoipa::path(get, path = "/api/v1/detection/rules", tag = "detection",
    responses(
        (status = 200, description = "The rules", body = RuleList),
        (status = 403, description = "Not allowed", body = ErrorBody)))]
pub async fn rules(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<RuleList>, ApiError> {
    allow(
        &state,
        &caller,
        Action::ReadDetectionRules,
        Resource::DetectionRules,
    )
    .await?;
    let mut rules: Vec<RuleView> = state.detection().rules().iter().map(rule_view).collect();
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(Json(RuleList { rules }))
}

async fn store_rule(
    state: &AppState,
    caller: &Caller,
    record: DetectionRuleRecord,
    change: &str,
) -> Result<Json<RuleView>, ApiError> {
    state.detection().apply(&record).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_rule",
            e.to_string(),
        )
    })?;
    let ip = caller.ip_text();
    state
        .audit()
        .record(events::rule_changed(
            crate::audit::event_time_ms(state.clock()),
            caller.principal.actor(ip.as_deref()),
            &record.id,
            change,
        ))
        .await
        .map_err(audit_failed)?;
    state
        .store()
        .put_detection_rule(&record)
        .await
        .map_err(|e| ApiError::unavailable(&e))?;
    let rules = state.detection().rules();
    let rule = rules
        .iter()
        .find(|r| r.id().as_str() == record.id)
        .ok_or_else(|| ApiError::from_status(StatusCode::INTERNAL_SERVER_ERROR))?;
    Ok(Json(rule_view(rule)))
}

/// Enable, disable or tune a rule (admins, after a second factor); applied at
/// once on this node, on others within a minute; audited.
#[utoipa::path(put, path = "/api/v1/detection/rules/{id}", tag = "detection",
    params(("id" = String, Path, description = "Rule id")), request_body = RuleChange,
    responses(
        (status = 200, description = "Changed", body = RuleView),
        (status = 403, description = "Not allowed, or a fresh second factor is needed", body = ErrorBody),
        (status = 404, description = "No such rule", body = ErrorBody),
        (status = 422, description = "The definition does not validate", body = ErrorBody)))]
pub async fn change_rule(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<RuleView>, ApiError> {
    allow(
        &state,
        &caller,
        Action::WriteDetectionRules,
        Resource::DetectionRules,
    )
    .await?;
    let input: RuleChange = serde_json::from_slice(&body).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "Send {\"enabled\": …} and/or {\"definition\": …}.",
        )
    })?;
    let current = state
        .detection()
        .rules()
        .into_iter()
        .find(|r| r.id().as_str() == id)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", "No such rule."))?;
    let stored = state
        .store()
        .detection_rules()
        .await
        .map_err(|e| ApiError::unavailable(&e))?
        .into_iter()
        .find(|r| r.id == id);
    let definition = input
        .definition
        .or_else(|| stored.map(|s| s.definition))
        .unwrap_or_default();
    let enabled = input.enabled.unwrap_or(current.enabled());
    let change = match (definition.is_empty(), enabled) {
        (false, _) => "tuned",
        (true, true) => "enabled",
        (true, false) => "disabled",
    };
    let record = DetectionRuleRecord {
        id,
        definition,
        enabled,
        updated_at: state.clock().unix_now().0,
        updated_by: caller.principal.actor(None).display_name().to_owned(),
    };
    store_rule(&state, &caller, record, change).await
}

/// A new rule.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRule {
    /// The rule (TOML, the keys of a `[[rule]]` entry).
    pub definition: String,
}

/// Add a rule (admins, after a second factor); validated, applied, audited.
#[utoipa::path(post, path = "/api/v1/detection/rules", tag = "detection", request_body = NewRule,
    responses(
        (status = 201, description = "Added", body = RuleView),
        (status = 403, description = "Not allowed, or a fresh second factor is needed", body = ErrorBody),
        (status = 409, description = "A rule with that id exists", body = ErrorBody),
        (status = 422, description = "The definition does not validate", body = ErrorBody)))]
pub async fn add_rule(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<(StatusCode, Json<RuleView>), ApiError> {
    allow(
        &state,
        &caller,
        Action::WriteDetectionRules,
        Resource::DetectionRules,
    )
    .await?;
    let input: NewRule = serde_json::from_slice(&body).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "Send {\"definition\": …}.",
        )
    })?;
    let rule = custos_detect::Rule::parse_toml(&input.definition).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_rule",
            e.to_string(),
        )
    })?;
    let id = rule.id().as_str().to_owned();
    if state
        .detection()
        .rules()
        .iter()
        .any(|r| r.id().as_str() == id)
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "rule_exists",
            "A rule with that id exists; change it with PUT instead.",
        ));
    }
    let record = DetectionRuleRecord {
        id,
        enabled: rule.enabled(),
        definition: input.definition,
        updated_at: state.clock().unix_now().0,
        updated_by: caller.principal.actor(None).display_name().to_owned(),
    };
    let view = store_rule(&state, &caller, record, "added").await?;
    Ok((StatusCode::CREATED, view))
}
