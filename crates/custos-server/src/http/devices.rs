//! Enrolled devices over HTTP: officers issue a person an enrolment code
//! (`POST /api/v1/users/{username}/device-codes`), the person's device redeems it
//! (`POST /api/v1/auth/devices/enrol`, no session needed: the code is the
//! credential) and keeps the device token, in the `__Host-custos_device` cookie for
//! browsers; `GET /api/v1/users/{username}/devices` lists them and
//! `DELETE /api/v1/devices/{id}` revokes one, ending its sessions.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::AuthError;
use crate::authz::{Action, Resource};
use crate::http::auth::auth_error;
use crate::http::caller::{Caller, ClientIp};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::rfc3339;
use crate::state::AppState;

/// The device token's cookie; `__Host-` keeps it to this origin, HttpOnly from scripts.
pub const DEVICE_COOKIE: &str = "__Host-custos_device";
/// A device stays enrolled until revoked; the cookie lives a year.
const DEVICE_COOKIE_MAX_AGE: i64 = 365 * 24 * 3600;

/// A new enrolment code, shown once.
#[derive(Serialize, ToSchema)]
pub struct DeviceCode {
    /// Hand it to the person over a trusted channel; it works once.
    pub code: String,
    /// When it stops working (RFC 3339).
    pub expires_at: String,
}

/// Issue a single-use device enrolment code for a person (valid 24 hours).
#[utoipa::path(post, path = "/api/v1/users/{username}/device-codes", tag = "auth",
    params(("username" = String, Path, description = "The person")),
    responses(
        (status = 201, description = "The code, shown once", body = DeviceCode),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not allowed, or a fresh second factor is needed", body = ErrorBody),
        (status = 404, description = "No such account", body = ErrorBody)))]
pub async fn issue_code(
    State(state): State<AppState>,
    caller: Caller,
    Path(username): Path<String>,
) -> Result<Response, ApiError> {
    let (user, actor) = super::users::account_for(
        &state,
        &caller,
        &username,
        Action::IssueDeviceCode,
        "device",
    )
    .await?;
    let (code, expires_at) = state
        .auth()
        .issue_device_code(actor, &user)
        .await
        .map_err(auth_error)?;
    let body = DeviceCode {
        code: code.expose_secret().to_owned(),
        expires_at: rfc3339(expires_at),
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// Redeem an enrolment code on the device being enrolled.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrolRequest {
    /// Whose device.
    pub username: String,
    /// The code an officer issued (`cus_e_…`).
    #[schema(value_type = String)]
    pub code: SecretString,
    /// A name for the device, e.g. `laptop-4411`.
    pub name: String,
}

/// The enrolled device.
#[derive(Serialize, ToSchema)]
pub struct EnrolledDevice {
    /// Its id.
    pub device_id: String,
    /// Shown once: send it at sign-in as `device_token` (browsers keep it in a cookie).
    pub device_token: String,
}

/// Enrol this device with a code.
#[utoipa::path(post, path = "/api/v1/auth/devices/enrol", tag = "auth",
    request_body = EnrolRequest,
    responses(
        (status = 201, description = "Enrolled; the token is also set as a cookie", body = EnrolledDevice),
        (status = 422, description = "The code is wrong, used or expired", body = ErrorBody),
        (status = 429, description = "Too many attempts from this address", body = ErrorBody)))]
pub async fn enrol(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(body): Json<EnrolRequest>,
) -> Result<Response, ApiError> {
    let (token, device) = state
        .auth()
        .enrol_device(&body.username, body.code.expose_secret(), &body.name, ip)
        .await
        .map_err(auth_error)?;
    let cookie = format!(
        "{DEVICE_COOKIE}={}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age={DEVICE_COOKIE_MAX_AGE}",
        token.expose_secret()
    );
    let mut response = (
        StatusCode::CREATED,
        Json(EnrolledDevice {
            device_id: device.id.to_string(),
            device_token: token.expose_secret().to_owned(),
        }),
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(SET_COOKIE, value);
    }
    Ok(response)
}

/// An enrolled device.
#[derive(Serialize, ToSchema)]
pub struct DeviceView {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Enrolled (RFC 3339).
    pub created_at: String,
    /// Last sign-in from it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seen_at: Option<String>,
    /// Revoked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
}

/// A person's devices.
#[utoipa::path(get, path = "/api/v1/users/{username}/devices", tag = "auth",
    params(("username" = String, Path, description = "The person")),
    responses(
        (status = 200, description = "Their devices, newest first", body = [DeviceView]),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody),
        (status = 404, description = "No such account", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(username): Path<String>,
) -> Result<Json<Vec<DeviceView>>, ApiError> {
    let (user, _) =
        super::users::account_for(&state, &caller, &username, Action::ListDevices, "device")
            .await?;
    let devices = state.auth().devices_of(&user).await.map_err(auth_error)?;
    Ok(Json(
        devices
            .into_iter()
            .map(|d| DeviceView {
                id: d.id.to_string(),
                name: d.name,
                created_at: rfc3339(d.created_at),
                last_seen_at: d.last_seen_at.map(rfc3339),
                revoked_at: d.revoked_at.map(rfc3339),
            })
            .collect(),
    ))
}

/// Revoke a device: it no longer counts at sign-in, and its sessions end now.
#[utoipa::path(delete, path = "/api/v1/devices/{id}", tag = "auth",
    params(("id" = String, Path, description = "Device id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not allowed, or a fresh second factor is needed", body = ErrorBody),
        (status = 404, description = "No such device", body = ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let not_found = || ApiError::new(StatusCode::NOT_FOUND, "not_found", "No such device.");
    let id = uuid::Uuid::parse_str(&id).map_err(|_| not_found())?;
    let (device, owner) = match state.auth().device(id).await {
        Ok(found) => found,
        Err(AuthError::NotFound) => return Err(not_found()),
        Err(e) => return Err(auth_error(e)),
    };
    super::authorize(
        &state,
        &caller,
        Action::RevokeDevice,
        &Resource::Account(owner.clone()),
        "device",
    )
    .await?;
    let ip = caller.ip_text();
    state
        .auth()
        .revoke_device(caller.principal.actor(ip.as_deref()), &device, &owner)
        .await
        .map_err(auth_error)?;
    Ok(StatusCode::NO_CONTENT)
}
