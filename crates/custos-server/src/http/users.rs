//! Account actions of security officers and administrators: lock, unlock, end every
//! session, disable, and set the work shift detection compares activity with. Each
//! needs a recent second factor (step-up), and nobody acts on their own account.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::auth::{AuthError, Because};
use crate::authz::{Action, Resource};
use crate::http::auth::auth_error;
use crate::http::caller::Caller;
use crate::http::error::{ApiError, ErrorBody};
use crate::state::AppState;

async fn managed_account(
    state: &AppState,
    caller: &Caller,
    username: &str,
) -> Result<custos_store::UserRecord, Response> {
    let user = match state.auth().user_named(username).await {
        Ok(user) => user,
        Err(AuthError::NotFound) => {
            return Err(
                ApiError::new(StatusCode::NOT_FOUND, "not_found", "No such account.")
                    .into_response(),
            );
        }
        Err(e) => return Err(auth_error(e).into_response()),
    };
    super::authorize(
        state,
        caller,
        Action::ManageAccount,
        &Resource::Account(user.clone()),
        "user",
    )
    .await
    .map_err(IntoResponse::into_response)?;
    Ok(user)
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
) -> Response {
    let user = match managed_account(&state, &caller, &username).await {
        Ok(user) => user,
        Err(response) => return response,
    };
    let ip = caller.ip_text();
    match state
        .auth()
        .unlock_user(caller.principal.actor(ip.as_deref()), &user)
        .await
    {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => auth_error(e).into_response(),
    }
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
) -> Response {
    let user = match managed_account(&state, &caller, &username).await {
        Ok(user) => user,
        Err(response) => return response,
    };
    let ip = caller.ip_text();
    let actor = caller.principal.actor(ip.as_deref());
    let until = state.clock().unix_now().0.saturating_add(OFFICER_LOCK_SECS);
    let auth = state.auth();
    let done = async {
        auth.lock_user(actor.clone(), &user, until, Because::Officer)
            .await?;
        auth.end_sessions_of(actor, &user, Because::Officer).await
    };
    match done.await {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => auth_error(e).into_response(),
    }
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
) -> Response {
    let user = match managed_account(&state, &caller, &username).await {
        Ok(user) => user,
        Err(response) => return response,
    };
    let ip = caller.ip_text();
    match state
        .auth()
        .end_sessions_of(
            caller.principal.actor(ip.as_deref()),
            &user,
            Because::Officer,
        )
        .await
    {
        Ok(ended) => axum::Json(SessionsEnded { ended }).into_response(),
        Err(e) => auth_error(e).into_response(),
    }
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
) -> Response {
    let user = match managed_account(&state, &caller, &username).await {
        Ok(user) => user,
        Err(response) => return response,
    };
    let ip = caller.ip_text();
    match state
        .auth()
        .disable_user(caller.principal.actor(ip.as_deref()), &user.username)
        .await
    {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => auth_error(e).into_response(),
    }
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
) -> Response {
    let user = match managed_account(&state, &caller, &username).await {
        Ok(user) => user,
        Err(response) => return response,
    };
    let invalid = |m: &str| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", m).into_response()
    };
    let Ok(input) = serde_json::from_slice::<ShiftInput>(&body) else {
        return invalid(
            "send {\"shift\": {\"start\": \"HH:MM\", \"end\": \"HH:MM\"}} or {\"shift\": null}",
        );
    };
    let shift = match input.shift {
        None => None,
        Some(times) => match (minute_of_day(&times.start), minute_of_day(&times.end)) {
            (Some(start), Some(end)) => Some((start, end)),
            _ => return invalid("start and end must be HH:MM (UTC)"),
        },
    };
    let ip = caller.ip_text();
    match state
        .auth()
        .set_shift(caller.principal.actor(ip.as_deref()), &user, shift)
        .await
    {
        Ok(()) => {
            state.detection().forget(&user.username);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => auth_error(e).into_response(),
    }
}
