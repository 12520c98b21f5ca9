//! The signed-in person's recovery codes: `GET /api/v1/me/recovery-codes` counts
//! the unused ones; `POST /api/v1/me/recovery-codes` (after a fresh second factor)
//! replaces them with a new set, shown once.

use axum::Json;
use axum::extract::State;
use secrecy::ExposeSecret as _;
use serde::Serialize;
use utoipa::ToSchema;

use super::passkeys::{person, require_step_up};
use crate::http::auth::auth_error;
use crate::http::caller::Caller;
use crate::http::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// How many recovery codes are left.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecoveryCodesLeft {
    /// Unused codes.
    pub unused: u32,
}

/// Count my unused recovery codes.
#[utoipa::path(get, path = "/api/v1/me/recovery-codes", tag = "auth",
    responses(
        (status = 200, description = "The count", body = RecoveryCodesLeft),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a person's session", body = ErrorBody)))]
pub async fn count(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<RecoveryCodesLeft>, ApiError> {
    let person = person(&caller)?;
    let unused = state
        .auth()
        .recovery_codes_left(person.user.id)
        .await
        .map_err(auth_error)?;
    Ok(Json(RecoveryCodesLeft { unused }))
}

/// A new set of recovery codes, shown once. No `Debug`: the codes are credentials.
#[derive(Serialize, ToSchema)]
pub struct NewRecoveryCodes {
    /// Each signs in once; the earlier set no longer works.
    pub recovery_codes: Vec<String>,
}

/// Replace my recovery codes, within 15 minutes of a second factor.
#[utoipa::path(post, path = "/api/v1/me/recovery-codes", tag = "auth",
    responses(
        (status = 200, description = "The new codes, shown once", body = NewRecoveryCodes),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "A fresh second factor is needed (`step_up_required`), or not a session", body = ErrorBody)))]
pub async fn renew(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<NewRecoveryCodes>, ApiError> {
    let person = person(&caller)?;
    require_step_up(&state, &caller)?;
    let codes = state
        .auth()
        .renew_recovery_codes(person, caller.ip)
        .await
        .map_err(auth_error)?;
    Ok(Json(NewRecoveryCodes {
        recovery_codes: codes.iter().map(|c| c.expose_secret().to_owned()).collect(),
    }))
}
