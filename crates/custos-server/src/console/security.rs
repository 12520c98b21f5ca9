//! The security officer's and auditor's pages: the audit trail with its
//! verification state and last checkpoint, alerts, and people (the access review,
//! with unlock and disable where the policy allows).

use axum::extract::{Path, Query, State};
use axum::response::Response;
use custos_store::{AccountStore as _, AuditQuery, AuditStore as _};
use serde::Deserialize;
use serde_json::Value;

use super::{Chrome, Viewer, error_page, render};
use crate::access_review::AccessReviewReport;
use crate::authz::{Action, Resource};
use crate::http::alerts::{AlertDetail, AlertView, AlertsQuery};
use crate::http::audit_trail::EventsQuery;
use crate::http::error::ApiError;
use crate::http::rfc3339;
use crate::state::AppState;

/// The audit filter form; empty inputs mean "any".
#[derive(Debug, Default, Deserialize)]
pub(crate) struct AuditFilter {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    customer_id: String,
}

fn non_empty(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// One row of the trail, read off its OCSF form.
struct AuditRow {
    seq: u64,
    time: String,
    action: String,
    actor: String,
    outcome: String,
    target: String,
    detail: String,
}

fn text_at<'a>(event: &'a Value, pointer: &str) -> &'a str {
    event.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

fn audit_row(seq: u64, event: &Value) -> AuditRow {
    let time = event
        .get("time")
        .and_then(Value::as_i64)
        .map(|ms| rfc3339(ms.div_euclid(1000)))
        .unwrap_or_default();
    let target = match event.pointer("/resources/0") {
        Some(resource) => {
            let mut parts = vec![text_at(resource, "/type").to_owned()];
            parts.extend(
                resource
                    .get("uid")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            );
            parts.extend(
                resource
                    .pointer("/data/field")
                    .and_then(Value::as_str)
                    .map(|f| format!("field {f}")),
            );
            parts.join(" ")
        }
        None => String::new(),
    };
    let mut detail = text_at(event, "/message").to_owned();
    if let Some(reason) = event.pointer("/unmapped/reason") {
        detail.push_str(&format!(
            " — reason {}: {}",
            text_at(reason, "/code"),
            text_at(reason, "/text")
        ));
    }
    AuditRow {
        seq,
        time,
        action: text_at(event, "/metadata/event_code").to_owned(),
        actor: text_at(event, "/actor/user/name").to_owned(),
        outcome: text_at(event, "/status").to_owned(),
        target,
        detail,
    }
}

/// What the page says about the chain: its head, the last signed checkpoint and
/// the last verification recorded in the trail.
pub(crate) struct ChainStatus {
    pub head_seq: u64,
    pub checkpoint: Option<String>,
    pub last_verify: Option<String>,
    pub last_verify_intact: bool,
}

pub(crate) async fn chain_status(state: &AppState) -> Result<ChainStatus, ApiError> {
    let store = state.store();
    let unavailable = |e: custos_store::StoreError| ApiError::unavailable(&e);
    let head = store.audit_head().await.map_err(unavailable)?;
    let checkpoint = store
        .latest_audit_checkpoint_line()
        .await
        .map_err(unavailable)?
        .and_then(|line| custos_audit::SignedCheckpoint::from_json_line(&line).ok())
        .map(|signed| {
            format!(
                "size {} at {}",
                signed.checkpoint.size,
                rfc3339(signed.checkpoint.time_ms.div_euclid(1000))
            )
        });
    let verify = store
        .query_audit(&AuditQuery {
            action: Some("audit.verify".to_owned()),
            newest_first: true,
            limit: 1,
            ..AuditQuery::default()
        })
        .await
        .map_err(unavailable)?;
    let last = verify.first();
    Ok(ChainStatus {
        head_seq: head.seq,
        checkpoint,
        last_verify: last.map(|e| rfc3339(e.time_ms.div_euclid(1000))),
        last_verify_intact: last
            .and_then(|e| custos_audit::StoredEventV1::decode(&e.payload).ok())
            .is_some_and(|event| event.outcome == custos_audit::Outcome::Success),
    })
}

#[derive(askama::Template)]
#[template(path = "console/audit.html")]
struct AuditPage {
    chrome: Chrome,
    filter: AuditFilter,
    rows: Vec<AuditRow>,
    chain: ChainStatus,
}

/// `GET /console/audit`: the newest 100 events matching the filter.
pub(crate) async fn audit(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(filter): Query<AuditFilter>,
) -> Response {
    let chrome = viewer.chrome(&state, "/console/audit");
    let query = EventsQuery {
        actor: non_empty(&filter.actor),
        action: non_empty(&filter.action),
        customer_id: non_empty(&filter.customer_id),
        since: None,
        until: None,
        cursor: None,
        limit: Some(100),
        order: None,
    };
    let page = match crate::http::audit_trail::list_events(
        State(state.clone()),
        viewer.caller,
        Query(query),
    )
    .await
    {
        Ok(page) => page.0,
        Err(e) => return error_page(&e),
    };
    let chain = match chain_status(&state).await {
        Ok(chain) => chain,
        Err(e) => return error_page(&e),
    };
    render(&AuditPage {
        chrome,
        rows: page
            .events
            .iter()
            .map(|entry| audit_row(entry.seq, &entry.event))
            .collect(),
        filter,
        chain,
    })
}

#[derive(askama::Template)]
#[template(path = "console/alerts.html")]
struct AlertsPage {
    chrome: Chrome,
    alerts: Vec<AlertView>,
}

/// `GET /console/alerts`: the newest alerts, open ones first.
pub(crate) async fn alerts(State(state): State<AppState>, viewer: Viewer) -> Response {
    let chrome = viewer.chrome(&state, "/console/alerts");
    let query = AlertsQuery {
        status: None,
        limit: Some(200),
    };
    match crate::http::alerts::list(State(state), viewer.caller, Query(query)).await {
        Ok(list) => {
            let mut alerts = list.0.alerts;
            alerts.sort_by_key(|a| a.status == "resolved");
            render(&AlertsPage { chrome, alerts })
        }
        Err(e) => error_page(&e),
    }
}

#[derive(askama::Template)]
#[template(path = "console/alert.html")]
struct AlertPage {
    chrome: Chrome,
    detail: AlertDetail,
    timeline: Vec<AuditRow>,
    /// Whether the policy lets the viewer handle alerts (auditors only read them).
    can_manage: bool,
}

/// `GET /console/alerts/{id}`: an alert with its notes and the events behind it.
pub(crate) async fn alert(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Response {
    let chrome = viewer.chrome(&state, "/console/alerts");
    let can_manage = viewer.may(&state, Action::ManageAlerts, &Resource::Alerts);
    match crate::http::alerts::read(State(state), viewer.caller, Path(id)).await {
        Ok(detail) => {
            let detail = detail.0;
            let timeline = detail
                .timeline
                .iter()
                .map(|entry| audit_row(entry.seq, &entry.event))
                .collect();
            render(&AlertPage {
                chrome,
                detail,
                timeline,
                can_manage,
            })
        }
        Err(e) => error_page(&e),
    }
}

/// A person in the access review, with what the viewer may do to them.
struct PersonRow {
    entry: crate::access_review::AccountEntry,
    manageable: bool,
}

#[derive(askama::Template)]
#[template(path = "console/people.html")]
struct PeoplePage {
    chrome: Chrome,
    report: AccessReviewReport,
    people: Vec<PersonRow>,
    /// Whether the policy lets the viewer sign off (asked again, with step-up, on signing).
    can_sign_off: bool,
    /// Whether the policy lets the viewer invite people (administrators).
    can_invite: bool,
}

/// `GET /console/people`: the access review (every account and token), with
/// unlock and disable for those the policy lets the viewer manage.
pub(crate) async fn people(State(state): State<AppState>, viewer: Viewer) -> Response {
    let chrome = viewer.chrome(&state, "/console/people");
    let mut report =
        match crate::http::access_review::authorized_report(&state, &viewer.caller, "html").await {
            Ok(report) => report,
            Err(e) => return error_page(&e),
        };
    let users = match state.store().list_users().await {
        Ok(users) => users,
        Err(e) => return error_page(&ApiError::unavailable(&e)),
    };
    let users: std::collections::HashMap<String, custos_store::UserRecord> =
        users.into_iter().map(|u| (u.username.clone(), u)).collect();
    let people = std::mem::take(&mut report.accounts)
        .into_iter()
        .map(|entry| {
            let manageable = users.get(&entry.username).is_some_and(|user| {
                viewer.may(
                    &state,
                    Action::ManageAccount,
                    &Resource::Account(user.clone()),
                )
            });
            PersonRow { entry, manageable }
        })
        .collect();
    let can_sign_off = viewer.may(&state, Action::SignOffAccessReview, &Resource::AccessReview);
    let can_invite = viewer.may(
        &state,
        Action::InviteAccount,
        &Resource::Account(crate::http::invitations::account_to_be(
            "someone",
            custos_auth::role::Role::Agent,
            None,
        )),
    );
    render(&PeoplePage {
        chrome,
        report,
        people,
        can_sign_off,
        can_invite,
    })
}

#[derive(askama::Template)]
#[template(path = "console/person.html")]
struct PersonPage {
    chrome: Chrome,
    username: String,
    devices: Vec<crate::http::devices::DeviceView>,
    /// Whether the policy lets the viewer issue codes and revoke devices.
    manageable: bool,
    /// The person's role and team now.
    role: String,
    team: Option<String>,
    /// The roles a person can have (and whether it is theirs now), when the policy
    /// lets the viewer change them.
    assignable_roles: Vec<(&'static str, bool)>,
    /// Whether the policy lets the viewer reset this person's sign-in.
    resettable: bool,
    /// Whether their sign-in is reset and waiting for the link (no authenticator).
    reset_pending: bool,
}

/// `GET /console/people/{username}`: a person's enrolled devices, with enrolment
/// codes and revocation for those who may manage them.
pub(crate) async fn person(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(username): Path<String>,
) -> Response {
    let chrome = viewer.chrome(&state, "/console/people");
    let devices = match crate::http::devices::list(
        State(state.clone()),
        viewer.caller.clone(),
        Path(username.clone()),
    )
    .await
    {
        Ok(devices) => devices.0,
        Err(e) => return error_page(&e),
    };
    let user = match state.auth().user_named(&username).await {
        Ok(user) => user,
        Err(e) => return error_page(&crate::http::auth::auth_error(e)),
    };
    let may = |action| viewer.may(&state, action, &Resource::Account(user.clone()));
    let assignable_roles = if may(Action::ChangeRole) {
        custos_auth::role::Role::ALL
            .into_iter()
            .filter(|r| r.is_person())
            .map(|r| (r.as_str(), r.as_str() == user.role))
            .collect()
    } else {
        Vec::new()
    };
    render(&PersonPage {
        chrome,
        username,
        devices,
        manageable: may(Action::IssueDeviceCode),
        role: user.role.clone(),
        team: user.team.clone(),
        assignable_roles,
        resettable: may(Action::ResetCredentials) && user.disabled_at.is_none(),
        reset_pending: user.totp_sealed.is_none(),
    })
}
