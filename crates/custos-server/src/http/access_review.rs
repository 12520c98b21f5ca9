//! `GET /api/v1/access-review` (JSON or CSV), `POST /api/v1/access-review/sign-off`,
//! `GET /api/v1/access-review/sign-offs`.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use custos_audit::{Activity, AuditEvent, Outcome};
use custos_store::{AccessReviewRecord, AccountStore};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::access_review::{self, AccessReviewReport, SignOff};
use crate::audit::event_time_ms;
use crate::auth::Principal;
use crate::authz::{Action, Resource};
use crate::http::caller::Caller;
use crate::http::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// Output format.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

async fn record(
    state: &AppState,
    caller: &Caller,
    action: &str,
    activity: Activity,
    message: &str,
    details: &[(&str, String)],
) -> Result<(), ApiError> {
    let ip = caller.ip_text();
    let mut event = AuditEvent::new(
        event_time_ms(state.clock()),
        activity,
        action,
        Outcome::Success,
        caller.principal.actor(ip.as_deref()),
        message,
    )
    .with_target("access_review", None, None);
    for (k, v) in details {
        event = event.with_detail(k, v);
    }
    state.audit().record(event).await.map(drop).map_err(|_| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "audit_unavailable",
            "The audit trail cannot be written.",
        )
    })
}

/// The access review report: every person and service token (security officers, auditors, administrators).
#[utoipa::path(get, path = "/api/v1/access-review", tag = "access review", params(ReportQuery),
    responses(
        (status = 200, description = "The report (JSON, or CSV with format=csv)", body = AccessReviewReport),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody)))]
pub async fn report(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ReportQuery>,
) -> Response {
    let csv = match q.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => {
            return ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_query",
                "`format` is `json` or `csv`",
            )
            .into_response();
        }
    };
    let format = if csv { "csv" } else { "json" };
    let report = match authorized_report(&state, &caller, format).await {
        Ok(report) => report,
        Err(e) => return e.into_response(),
    };
    if csv {
        (
            [
                (CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    CONTENT_DISPOSITION,
                    "attachment; filename=\"access-review.csv\"",
                ),
            ],
            access_review::to_csv(&report),
        )
            .into_response()
    } else {
        Json(report).into_response()
    }
}

/// The report, if the caller may read it; the read is recorded with `format`
/// (`json`, `csv`, or `html` for the console's page).
pub(crate) async fn authorized_report(
    state: &AppState,
    caller: &Caller,
    format: &str,
) -> Result<access_review::AccessReviewReport, ApiError> {
    super::authorize(
        state,
        caller,
        Action::ReadAccessReview,
        &Resource::AccessReview,
        "access_review",
    )
    .await?;
    let report = access_review::build(state.store(), state.clock().unix_now().0)
        .await
        .map_err(|e| ApiError::unavailable(&e))?;
    record(
        state,
        caller,
        "access_review.read",
        Activity::EntityRead,
        "Access review read",
        &[
            ("format", format.to_owned()),
            ("report_sha256", report.report_sha256.clone()),
        ],
    )
    .await?;
    Ok(report)
}

/// A sign-off.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignOffRequest {
    /// `report_sha256` of the report that was reviewed.
    pub report_sha256: String,
    /// What was checked and decided.
    pub notes: String,
}

/// Sign off an access review (security officers and administrators, after step-up).
#[utoipa::path(post, path = "/api/v1/access-review/sign-off", tag = "access review", request_body = SignOffRequest,
    responses(
        (status = 200, description = "Recorded", body = SignOff),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not allowed, or a fresh second factor is needed", body = ErrorBody),
        (status = 409, description = "Accounts changed since that report; review the current one", body = ErrorBody),
        (status = 422, description = "Notes are required", body = ErrorBody)))]
pub async fn sign_off(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<SignOffRequest>,
) -> Response {
    if let Err(e) = super::authorize(
        &state,
        &caller,
        Action::SignOffAccessReview,
        &Resource::AccessReview,
        "access_review",
    )
    .await
    {
        return e.into_response();
    }
    let Principal::Person(person) = &caller.principal else {
        return ApiError::from_status(StatusCode::FORBIDDEN).into_response();
    };
    let notes = body.notes.trim();
    if notes.is_empty() || notes.chars().count() > 4000 {
        return ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            "Notes of 1 to 4000 characters are required.",
        )
        .into_response();
    }
    let now = state.clock().unix_now().0;
    let current = match access_review::build(state.store(), now).await {
        Ok(report) => report,
        Err(e) => return ApiError::unavailable(&e).into_response(),
    };
    if current.report_sha256 != body.report_sha256 {
        return ApiError::new(
            StatusCode::CONFLICT,
            "report_changed",
            "Accounts changed since that report; review the current one.",
        )
        .into_response();
    }
    let digest: Vec<u8> = (0..current.report_sha256.len() / 2)
        .filter_map(|i| u8::from_str_radix(&current.report_sha256[2 * i..2 * i + 2], 16).ok())
        .collect();
    let review = AccessReviewRecord {
        id: uuid::Uuid::new_v4(),
        signed_by: person.user.id,
        signed_at: now,
        accounts: u32::try_from(current.accounts.len() + current.tokens.len()).unwrap_or(u32::MAX),
        report_sha256: digest,
        notes: notes.to_owned(),
    };
    if let Err(e) = record(
        &state,
        &caller,
        "access_review.sign_off",
        Activity::EntityUpdate,
        "Access review signed off",
        &[("report_sha256", current.report_sha256.clone())],
    )
    .await
    {
        return e.into_response();
    }
    if let Err(e) = state.store().record_access_review(&review).await {
        return ApiError::unavailable(&e).into_response();
    }
    match access_review::sign_off_view(state.store(), review).await {
        Ok(view) => Json(view).into_response(),
        Err(e) => ApiError::unavailable(&e).into_response(),
    }
}

/// Every sign-off, newest first.
#[utoipa::path(get, path = "/api/v1/access-review/sign-offs", tag = "access review",
    responses(
        (status = 200, description = "Sign-offs", body = [SignOff]),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody)))]
pub async fn sign_offs(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<SignOff>>, ApiError> {
    super::authorize(
        &state,
        &caller,
        Action::ReadAccessReview,
        &Resource::AccessReview,
        "access_review",
    )
    .await?;
    let records = state
        .store()
        .access_reviews()
        .await
        .map_err(|e| ApiError::unavailable(&e))?;
    let mut views = Vec::with_capacity(records.len());
    for record in records {
        views.push(
            access_review::sign_off_view(state.store(), record)
                .await
                .map_err(|e| ApiError::unavailable(&e))?,
        );
    }
    Ok(Json(views))
}
