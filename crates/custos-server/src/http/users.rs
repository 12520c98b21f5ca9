//! Account actions of security officers and administrators: lock, unlock, end every
//! session, disable, set the work shift detection compares activity with, and
//! (administrators only) change a role and team. Each needs a recent second factor
//! (step-up), and nobody acts on their own account.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use custos_audit::Actor;
use custos_store::UserRecord;

use crate::auth::Because;
use crate::authz::{Action, Resource};
use crate::http::auth::auth_error;
use crate::http::caller::Caller;
use crate::http::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// The account `username` and the caller as the audit actor, if the caller may
/// do `action` to it (a 404 for no such account, a 403 otherwise, recorded as a
/// refusal of a `kind`).
pub(super) async fn account_for(
    state: &AppState,
    caller: &Caller,
    username: &str,
    action: Action,
    kind: &'static str,
) -> Result<(UserRecord, Actor), ApiError> {
    let user = state
        .auth()
        .user_named(username)
        .await
        .map_err(super::auth::auth_error)?;
    super::authorize(
        state,
        caller,
        action,
        &Resource::Account(user.clone()),
        kind,
    )
    .await?;
    let ip = caller.ip_text();
    Ok((user, caller.principal.actor(ip.as_deref())))
}

/// Lift a lockout.
#[utoipa::path(post, path = "/api/v1/users/{username}/unlock", tag = "auth",
    params(("username" = String, Path, description = "The account")),
    responses(
        (status = 204, description = "Unlocked"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not allowed, or a fresh second factor is needed", body = ErrorBody),
        (status = 404, description = "No such account", body = ErrorBody)))]
pub async fn unlock(
    State(state): State<AppState>,
    caller: Caller,
    Path(username): Path<String>,
) -> Result<StatusCode, ApiError> {
    let (user, actor) =
        account_for(&state, &caller, &username, Action::ManageAccount, "user").await?;
    state
        .auth()
        .unlock_user(actor, &user)
        .await
        .map_err(auth_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// How long an officer's lock lasts unless lifted: a year, i.e. until unlocked.
const OFFICER_LOCK_SECS: i64 = 365 * 24 * 3600;

/// Lock an account until a security officer unlocks it (for an investigation); its
/// sessions end at once. Unlike disabling, the account keeps its standing.
#[utoipa::path(post, path = "/api/v1/users/{username}/lock", tag = "auth",
    params(("username" = String, Path, description = "The account")),
    responses(
        (status = 204, description = "Locked; its sessions ended"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not allowed, or a fresh second factor is needed", body = ErrorBody),
        (status = 404, description = "No such account", body = ErrorBody)))]
pub async fn lock(
    State(state): State<AppState>,
    caller: Caller,
    Path(username): Path<String>,
) -> Result<StatusCode, ApiError> {
    let (user, actor) =
        account_for(&state, &caller, &username, Action::ManageAccount, "user").await?;
    let until = state.clock().unix_now().0.saturating_add(OFFICER_LOCK_SECS);
    let auth = state.auth();
    auth.lock_user(actor.clone(), &user, until, Because::Officer)
        .await
        .map_err(auth_error)?;
    auth.end_sessions_of(actor, &user, Because::Officer)
        .await
        .map_err(auth_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// How many sessions an action ended.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SessionsEnded {
    /// Sessions ended.
    pub ended: usize,
}

/// End every live session of an account (they must sign in again).
#[utoipa::path(post, path = "/api/v1/users/{username}/end-sessions", tag = "auth",
    params(("username" = String, Path, description = "The account")),
    responses(
        (status = 200, description = "Ended", body = SessionsEnded),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not allowed, or a fresh second factor is needed", body = ErrorBody),
        (status = 404, description = "No such account", body = ErrorBody)))]
pub async fn end_sessions(
    State(state): State<AppState>,
    caller: Caller,
    Path(username): Path<String>,
) -> Result<Json<SessionsEnded>, ApiError> {
    let (user, actor) =
        account_for(&state, &caller, &username, Action::ManageAccount, "user").await?;
    let ended = state
        .auth()
        .end_sessions_of(actor, &user, Because::Officer)
        .await
        .map_err(auth_error)?;
    Ok(Json(SessionsEnded { ended }))
}

/// Disable an account: every session of theirs ends at once.
#[utoipa::path(post, path = "/api/v1/users/{username}/disable", tag = "auth",
    params(("username" = String, Path, description = "The account")),
    responses(
        (status = 204, description = "Disabled"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not allowed, or a fresh second factor is needed", body = ErrorBody),
        (status = 404, description = "No such account", body = ErrorBody)))]
pub async fn disable(
    State(state): State<AppState>,
    caller: Caller,
    Path(username): Path<String>,
) -> Result<StatusCode, ApiError> {
    let (user, actor) =
        account_for(&state, &caller, &username, Action::ManageAccount, "user").await?;
    state
        .auth()
        .disable_user(actor, &user.username)
        .await
        .map_err(auth_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// A work shift in UTC, `HH:MM` to `HH:MM` (the end may be before the start: the
/// shift wraps midnight); `null` clears it.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShiftInput {
    /// `{"start": "08:00", "end": "17:00"}`, or `null`.
    pub shift: Option<ShiftTimes>,
}

/// Start and end of a shift.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShiftTimes {
    /// `HH:MM`, UTC.
    pub start: String,
    /// `HH:MM`, UTC.
    pub end: String,
}

fn minute_of_day(text: &str) -> Option<u16> {
    let (h, m) = text.split_once(':')?;
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60 && text.len() == 5).then_some(h * 60 + m)
}

/// Set or clear a person's work shift: detection flags customer data used outside it.
#[utoipa::path(put, path = "/api/v1/users/{username}/shift", tag = "auth",
    params(("username" = String, Path, description = "The account")),
    request_body = ShiftInput,
    responses(
        (status = 204, description = "Set"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not allowed, or a fresh second factor is needed", body = ErrorBody),
        (status = 404, description = "No such account", body = ErrorBody),
        (status = 422, description = "Times are not HH:MM", body = ErrorBody)))]
pub async fn set_shift(
    State(state): State<AppState>,
    caller: Caller,
    Path(username): Path<String>,
    body: axum::body::Bytes,
) -> Result<StatusCode, ApiError> {
    let (user, actor) =
        account_for(&state, &caller, &username, Action::ManageAccount, "user").await?;
    let invalid = |m: &str| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", m);
    let input = serde_json::from_slice::<ShiftInput>(&body).map_err(|_| {
        invalid("send {\"shift\": {\"start\": \"HH:MM\", \"end\": \"HH:MM\"}} or {\"shift\": null}")
    })?;
    let shift = match input.shift {
        None => None,
        Some(times) => match (minute_of_day(&times.start), minute_of_day(&times.end)) {
            (Some(start), Some(end)) => Some((start, end)),
            _ => return Err(invalid("start and end must be HH:MM (UTC)")),
        },
    };
    state
        .auth()
        .set_shift(actor, &user, shift)
        .await
        .map_err(auth_error)?;
    state.detection().forget(&user.username);
    Ok(StatusCode::NO_CONTENT)
}

/// A new role and team.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleInput {
    /// A person's role: `agent`, `supervisor`, `security_officer`, `auditor` or `admin`.
    pub role: String,
    /// The team (supervisors reach their team's interactions); `null` or absent for none.
    #[serde(default)]
    pub team: Option<String>,
}

/// Change a person's role and team (administrators, after a fresh second factor,
/// never their own). Their sessions end: they sign in again under the new role.
#[utoipa::path(put, path = "/api/v1/users/{username}/role", tag = "auth",
    params(("username" = String, Path, description = "The account")),
    request_body = RoleInput,
    responses(
        (status = 200, description = "Changed; their sessions ended", body = SessionsEnded),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not allowed, or a fresh second factor is needed", body = ErrorBody),
        (status = 404, description = "No such account", body = ErrorBody),
        (status = 422, description = "Not a person role, or a bad team name", body = ErrorBody)))]
pub async fn change_role(
    State(state): State<AppState>,
    caller: Caller,
    Path(username): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<SessionsEnded>, ApiError> {
    let (user, actor) = account_for(&state, &caller, &username, Action::ChangeRole, "user").await?;
    let invalid = |m: String| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", m);
    let input = serde_json::from_slice::<RoleInput>(&body)
        .map_err(|_| invalid("send {\"role\": \"supervisor\", \"team\": \"billing\"}".into()))?;
    let role = input
        .role
        .parse::<custos_auth::role::Role>()
        .map_err(|_| invalid(format!("`{}` is not a role", input.role)))?;
    let ended = state
        .auth()
        .change_role(actor, &user, role, input.team.as_deref())
        .await
        .map_err(auth_error)?;
    state.detection().forget(&user.username);
    Ok(Json(SessionsEnded { ended }))
}
