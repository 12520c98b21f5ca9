//! The posture dashboard: MFA coverage, accounts inactive or due for review,
//! open alerts by severity, the audit chain, reveals per day and key age, with
//! small bar charts drawn as SVG on the server (no script, no inline style).

use axum::extract::State;
use axum::response::Response;
use custos_store::VaultStore as _;
use custos_store::{AccountStore as _, AuditQuery, AuditStore as _, DetectionStore as _};

use super::security::{ChainStatus, chain_status};
use super::{Chrome, Viewer, error_page, render};
use crate::authz::{Action, Resource};
use crate::http::error::ApiError;
use crate::http::rfc3339;
use crate::state::AppState;

const DAY_SECS: i64 = 86_400;
/// Days of reveals the chart shows.
const REVEAL_DAYS: i64 = 7;
/// Accounts unused this long are flagged here, before the 90-day automatic disable.
const INACTIVE_WARN_DAYS: i64 = 60;
/// The most open (and, separately, acknowledged) alerts counted.
const ALERT_SCAN_LIMIT: u32 = 10_000;
/// The most reveal events counted (the chart says when it hit this).
const REVEAL_SCAN_LIMIT: u32 = 1000;

/// One bar of a chart, laid out in a 100-unit-high box.
pub(crate) struct Bar {
    label: String,
    value: u64,
    x: u32,
    y: u32,
    height: u32,
}

/// A bar chart's bars, scaled to the largest value.
pub(crate) fn bars(values: &[(String, u64)]) -> Vec<Bar> {
    let max = values.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    values
        .iter()
        .zip(0u32..)
        .map(|((label, value), i)| {
            let height = u32::try_from(value * 90 / max).unwrap_or(90);
            Bar {
                label: label.clone(),
                value: *value,
                x: i * 40 + 5,
                y: 100 - height,
                height,
            }
        })
        .collect()
}

#[derive(askama::Template)]
#[template(path = "console/posture.html")]
struct PosturePage {
    chrome: Chrome,
    people: usize,
    with_mfa: usize,
    mfa_percent: u64,
    inactive: Vec<String>,
    review_due: bool,
    last_sign_off: Option<String>,
    alerts: Option<Vec<Bar>>,
    open_alerts: u64,
    chain: ChainStatus,
    reveals: Vec<Bar>,
    reveals_capped: bool,
    key_version: Option<u32>,
    key_age_days: Option<i64>,
}

/// `GET /console/posture`: for those who may read both the access review and the
/// audit trail (security officers, auditors, administrators); alerts are shown
/// to those who may read them.
pub(crate) async fn dashboard(State(state): State<AppState>, viewer: Viewer) -> Response {
    match build(&state, &viewer).await {
        Ok(page) => render(&page),
        Err(e) => error_page(&e),
    }
}

async fn build(state: &AppState, viewer: &Viewer) -> Result<PosturePage, ApiError> {
    let caller = &viewer.caller;
    crate::http::authorize(
        state,
        caller,
        Action::ReadAuditTrail,
        &Resource::AuditTrail,
        "audit_trail",
    )
    .await?;
    let report = crate::http::access_review::authorized_report(state, caller, "posture").await?;
    let store = state.store();
    let unavailable = |e: custos_store::StoreError| ApiError::unavailable(&e);
    let now = state.clock().unix_now().0;

    let active: Vec<_> = report
        .accounts
        .iter()
        .filter(|a| a.status != "disabled")
        .collect();
    let with_mfa = active.iter().filter(|a| !a.mfa_methods.is_empty()).count();
    let mfa_percent = (with_mfa * 100).checked_div(active.len()).unwrap_or(100) as u64;
    let inactive = store
        .list_users()
        .await
        .map_err(unavailable)?
        .into_iter()
        .filter(|u| u.disabled_at.is_none())
        .filter(|u| now - u.last_sign_in_at.unwrap_or(u.created_at) > INACTIVE_WARN_DAYS * DAY_SECS)
        .map(|u| u.username)
        .collect();

    let alerts_allowed = state
        .authz()
        .authorize(
            &caller.principal,
            Action::ReadAlerts,
            &Resource::Alerts,
            state.auth().mfa_fresh(&caller.principal),
        )
        .allowed;
    let mut open_alerts = 0;
    let alerts = if alerts_allowed {
        // By status, so that a long history of resolved alerts cannot crowd out open ones.
        let mut open = store
            .alerts(Some("open"), ALERT_SCAN_LIMIT)
            .await
            .map_err(unavailable)?;
        open.extend(
            store
                .alerts(Some("acknowledged"), ALERT_SCAN_LIMIT)
                .await
                .map_err(unavailable)?,
        );
        let count = |severity: &str| open.iter().filter(|a| a.severity == severity).count() as u64;
        let counts: Vec<(String, u64)> = ["critical", "high", "medium", "low"]
            .iter()
            .map(|s| ((*s).to_owned(), count(s)))
            .collect();
        open_alerts = counts.iter().map(|(_, n)| n).sum();
        Some(bars(&counts))
    } else {
        None
    };

    let today = now.div_euclid(DAY_SECS);
    let first_day = today - (REVEAL_DAYS - 1);
    let revealed = store
        .query_audit(&AuditQuery {
            action: Some("customer.reveal".to_owned()),
            since_ms: Some(first_day * DAY_SECS * 1000),
            newest_first: true,
            limit: REVEAL_SCAN_LIMIT,
            ..AuditQuery::default()
        })
        .await
        .map_err(unavailable)?;
    let per_day: Vec<(String, u64)> = (first_day..=today)
        .map(|day| {
            let n = revealed
                .iter()
                .filter(|e| e.time_ms.div_euclid(1000 * DAY_SECS) == day)
                .count() as u64;
            let label = rfc3339(day * DAY_SECS).get(5..10).unwrap_or("").to_owned();
            (label, n)
        })
        .collect();

    let current_kek = store
        .vault_keks()
        .await
        .map_err(unavailable)?
        .into_iter()
        .max_by_key(|k| k.version);
    Ok(PosturePage {
        chrome: viewer.chrome(state, "/console/posture"),
        people: active.len(),
        with_mfa,
        mfa_percent,
        inactive,
        review_due: report.review_due,
        last_sign_off: report.last_sign_off.as_ref().map(|s| s.signed_at.clone()),
        alerts,
        open_alerts,
        chain: chain_status(state).await?,
        reveals: bars(&per_day),
        reveals_capped: revealed.len() == REVEAL_SCAN_LIMIT as usize,
        key_version: current_kek.as_ref().map(|k| k.version),
        key_age_days: current_kek.map(|k| (now - k.created_at) / DAY_SECS),
    })
}
