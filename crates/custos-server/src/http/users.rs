//! Account actions of security officers and administrators: unlock, disable.
//! Both need a recent second factor (step-up), and nobody acts on their own account.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::auth::AuthError;
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
