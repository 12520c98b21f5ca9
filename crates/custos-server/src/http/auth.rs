//! Sign-in, second factor, sign-out and "who am I".

use axum::Json;
use axum::extract::State;
use axum::http::header::{RETRY_AFTER, SET_COOKIE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{AuthError, Principal};
use crate::authz::{Action, Resource};
use crate::http::caller::{Caller, ClientIp, SESSION_COOKIE};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::rfc3339;
use crate::state::AppState;

/// Maps an authentication failure to the contract's error answer.
pub fn auth_error(e: AuthError) -> ApiError {
    let message = e.to_string();
    let (status, code) = match &e {
        AuthError::InvalidCredentials => (StatusCode::UNAUTHORIZED, "invalid_credentials"),
        AuthError::Locked { .. } => (StatusCode::LOCKED, "account_locked"),
        AuthError::Throttled { .. } => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests"),
        AuthError::InvalidMfa => (StatusCode::UNAUTHORIZED, "invalid_mfa"),
        AuthError::MfaReplayed => (StatusCode::UNAUTHORIZED, "mfa_code_replayed"),
        AuthError::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthorized"),
        AuthError::NetworkNotAllowed => (StatusCode::FORBIDDEN, "network_not_allowed"),
        AuthError::DeviceRequired => (StatusCode::FORBIDDEN, "device_not_enrolled"),
        AuthError::PasswordRejected(_) => (StatusCode::UNPROCESSABLE_ENTITY, "weak_password"),
        AuthError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_input"),
        AuthError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
        AuthError::NotFound => (StatusCode::NOT_FOUND, "not_found"),
        AuthError::Audit(_) => (StatusCode::SERVICE_UNAVAILABLE, "audit_unavailable"),
        AuthError::Store(cause) => return ApiError::unavailable(cause),
        AuthError::Crypto => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        AuthError::PasskeysUnavailable => (StatusCode::CONFLICT, "passkeys_unavailable"),
        AuthError::CredentialsReset => (StatusCode::FORBIDDEN, "credentials_reset"),
        AuthError::NoPasskey => (StatusCode::CONFLICT, "no_passkey"),
    };
    ApiError::new(status, code, message)
}

fn auth_error_response(e: AuthError) -> Response {
    let retry_after = match &e {
        AuthError::Throttled { retry_after } => Some(*retry_after),
        _ => None,
    };
    let mut response = auth_error(e).into_response();
    if let Some(secs) = retry_after.and_then(|s| HeaderValue::from_str(&s.to_string()).ok()) {
        response.headers_mut().insert(RETRY_AFTER, secs);
    }
    response
}

/// Step one of a sign-in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Username.
    pub username: String,
    /// Password.
    #[schema(value_type = String, format = Password)]
    pub password: SecretString,
    /// The enrolled device's token (`cus_d_…`); browsers send the `__Host-custos_device`
    /// cookie instead. Required for roles in `auth.device_required_roles`.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub device_token: Option<SecretString>,
}

/// A correct password: the second factor is next.
#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    /// Always `mfa_required`: every person completes MFA.
    #[schema(example = "mfa_required")]
    pub status: &'static str,
    /// Single-use token for the MFA step, valid five minutes.
    pub mfa_token: String,
    /// Factors available, e.g. `["totp"]`.
    pub methods: Vec<&'static str>,
}

/// Sign in, step one: the password.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, description = "Password accepted; MFA required", body = LoginResponse),
        (status = 401, description = "Wrong username or password", body = ErrorBody),
        (status = 423, description = "Account locked", body = ErrorBody),
        (status = 429, description = "Too many attempts from this address", body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: axum::http::HeaderMap,
    Json(body): Json<LoginRequest>,
) -> Response {
    let cookie = crate::http::caller::cookie(&headers, crate::http::devices::DEVICE_COOKIE);
    let device = body
        .device_token
        .as_ref()
        .map(|t| t.expose_secret().to_owned())
        .or(cookie);
    match state
        .auth()
        .begin_sign_in(&body.username, body.password, device.as_deref(), ip)
        .await
    {
        Ok(challenge) => Json(LoginResponse {
            status: "mfa_required",
            mfa_token: challenge.token.expose_secret().to_owned(),
            methods: challenge.methods,
        })
        .into_response(),
        Err(e) => auth_error_response(e),
    }
}

/// Step two with a TOTP code.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpRequest {
    /// From the login answer.
    #[schema(value_type = String)]
    pub mfa_token: SecretString,
    /// Six digits from the authenticator.
    #[schema(value_type = String, example = "123456")]
    pub code: SecretString,
}

/// A new session.
#[derive(Serialize, ToSchema)]
pub struct SessionResponse {
    /// Bearer token for API clients; browsers get the same in an HttpOnly cookie.
    pub session_token: String,
    /// Public id of the session.
    pub session_id: String,
    /// When it ends if unused (RFC 3339).
    pub expires_at: String,
}

/// Sign in, step two: a TOTP code, accepted once.
#[utoipa::path(post, path = "/api/v1/auth/mfa/totp", tag = "auth", request_body = TotpRequest,
    responses(
        (status = 200, description = "Signed in; also sets the session cookie", body = SessionResponse),
        (status = 401, description = "Wrong, expired or replayed code", body = ErrorBody)))]
pub async fn mfa_totp(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(body): Json<TotpRequest>,
) -> Response {
    let result = state
        .auth()
        .complete_totp(
            body.mfa_token.expose_secret(),
            body.code.expose_secret(),
            ip,
        )
        .await;
    session_response(&state, result)
}

/// Step two with a recovery code.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecoveryRequest {
    /// From the login answer.
    #[schema(value_type = String)]
    pub mfa_token: SecretString,
    /// One of the recovery codes shown at enrolment (dashes and case do not matter).
    #[schema(value_type = String, example = "abcd-efgh-ijkl-mnop")]
    pub code: SecretString,
}

/// Sign in, step two: a recovery code, when the authenticator is lost. Each code works once.
#[utoipa::path(post, path = "/api/v1/auth/mfa/recovery", tag = "auth", request_body = RecoveryRequest,
    responses(
        (status = 200, description = "Signed in; also sets the session cookie", body = SessionResponse),
        (status = 401, description = "Wrong or used code, or an expired sign-in step", body = ErrorBody)))]
pub async fn mfa_recovery(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(body): Json<RecoveryRequest>,
) -> Response {
    let result = state
        .auth()
        .complete_recovery(body.mfa_token.expose_secret(), &body.code, ip)
        .await;
    session_response(&state, result)
}

/// The answer to a completed sign-in: the token in the body and in the cookie.
pub(crate) fn session_response(
    state: &AppState,
    result: Result<crate::auth::NewSession, AuthError>,
) -> Response {
    let new = match result {
        Ok(new) => new,
        Err(e) => return auth_error_response(e),
    };
    let max_age = state.auth().limits().absolute_secs;
    let cookie = format!(
        "{SESSION_COOKIE}={}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age={max_age}",
        new.token.expose_secret()
    );
    let mut response = Json(SessionResponse {
        session_token: new.token.expose_secret().to_owned(),
        session_id: new.session.id.to_string(),
        expires_at: rfc3339(new.expires_at),
    })
    .into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(SET_COOKIE, value);
    }
    response
}

/// End the current session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses(
        (status = 204, description = "Signed out; the cookie is cleared"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Service tokens have no session", body = ErrorBody)))]
pub async fn logout(State(state): State<AppState>, caller: Caller) -> Response {
    let Principal::Person(person) = &caller.principal else {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "not_a_session",
            "Service tokens have no session to end.",
        )
        .into_response();
    };
    if let Err(e) = state.auth().logout(person, caller.ip).await {
        return auth_error_response(e);
    }
    let clear = format!("{SESSION_COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0");
    let mut response = StatusCode::NO_CONTENT.into_response();
    if let Ok(value) = HeaderValue::from_str(&clear) {
        response.headers_mut().insert(SET_COOKIE, value);
    }
    response
}

/// The caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// `person` or `service`.
    pub kind: &'static str,
    /// Username or token name.
    pub name: String,
    /// Role.
    pub role: String,
    /// Team, for people.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    /// The session, for people.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<MeSession>,
}

/// The current session.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeSession {
    /// Public id.
    pub id: String,
    /// When it ends if unused (RFC 3339).
    pub expires_at: String,
    /// Last MFA (RFC 3339).
    pub mfa_at: String,
}

/// Who am I: identity, role and session expiry.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    responses(
        (status = 200, description = "The caller", body = Me),
        (status = 401, description = "Not signed in", body = ErrorBody)))]
pub async fn me(State(state): State<AppState>, caller: Caller) -> Result<Json<Me>, ApiError> {
    super::authorize(&state, &caller, Action::ReadSelf, &Resource::Caller, "self").await?;
    Ok(Json(match &caller.principal {
        Principal::Person(p) => Me {
            kind: "person",
            name: p.user.username.clone(),
            role: p.role.as_str().to_owned(),
            team: p.user.team.clone(),
            session: Some(MeSession {
                id: p.session.id.to_string(),
                expires_at: rfc3339(p.expires_at),
                mfa_at: rfc3339(p.session.mfa_at),
            }),
        },
        Principal::Service(s) => Me {
            kind: "service",
            name: s.token.name.clone(),
            role: s.role.as_str().to_owned(),
            team: None,
            session: None,
        },
    }))
}

/// A fresh second factor on the current session.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepUpRequest {
    /// Six digits from the authenticator (a code not used before).
    #[schema(value_type = String, example = "123456")]
    pub code: SecretString,
}

/// The session's new MFA time.
#[derive(Debug, Serialize, ToSchema)]
pub struct StepUpResponse {
    /// Last MFA (RFC 3339); sensitive actions are allowed for 15 minutes from it.
    pub mfa_at: String,
}

/// Step-up: confirm a TOTP code on the current session before a sensitive action.
#[utoipa::path(post, path = "/api/v1/auth/step-up/totp", tag = "auth", request_body = StepUpRequest,
    responses(
        (status = 200, description = "Stepped up", body = StepUpResponse),
        (status = 401, description = "Not signed in, or the code is wrong or used", body = ErrorBody),
        (status = 403, description = "Service tokens have no session", body = ErrorBody)))]
pub async fn step_up_totp(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<StepUpRequest>,
) -> Response {
    let Principal::Person(person) = &caller.principal else {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "not_a_session",
            "Service tokens have no session.",
        )
        .into_response();
    };
    match state
        .auth()
        .step_up_totp(person, body.code.expose_secret(), caller.ip)
        .await
    {
        Ok(mfa_at) => Json(StepUpResponse {
            mfa_at: rfc3339(mfa_at),
        })
        .into_response(),
        Err(e) => auth_error_response(e),
    }
}

/// A password change.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChangeRequest {
    /// The password now.
    #[schema(value_type = String)]
    pub current_password: SecretString,
    /// The new one: 12 to 256 characters, a letter and a digit, not common, none of
    /// the last four.
    #[schema(value_type = String)]
    pub new_password: SecretString,
}

/// The result of a password change.
#[derive(Debug, Serialize, ToSchema)]
pub struct PasswordChanged {
    /// The caller's other sessions, ended.
    pub other_sessions_ended: usize,
}

/// Change your own password, within 15 minutes of a second factor; your other
/// sessions end. A wrong current password counts toward the lockout.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "auth", request_body = PasswordChangeRequest,
    responses(
        (status = 200, description = "Changed", body = PasswordChanged),
        (status = 401, description = "Not signed in, or the current password is wrong", body = ErrorBody),
        (status = 403, description = "A fresh second factor is needed (`step_up_required`), or not a session", body = ErrorBody),
        (status = 422, description = "The new password is refused (`weak_password`), e.g. one of the last four", body = ErrorBody),
        (status = 423, description = "Locked", body = ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    caller: Caller,
    body: axum::body::Bytes,
) -> Response {
    let Principal::Person(person) = &caller.principal else {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "not_a_session",
            "Service tokens have no password.",
        )
        .into_response();
    };
    // Parsed here: axum's rejection could quote the body, which holds passwords.
    let Ok(request) = serde_json::from_slice::<PasswordChangeRequest>(&body) else {
        return ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "Send {\"current_password\": …, \"new_password\": …}.",
        )
        .into_response();
    };
    if !state.auth().mfa_fresh(&caller.principal) {
        return ApiError::step_up_required().into_response();
    }
    match state
        .auth()
        .change_password(
            person,
            request.current_password,
            request.new_password,
            caller.ip,
        )
        .await
    {
        Ok(ended) => Json(PasswordChanged {
            other_sessions_ended: ended,
        })
        .into_response(),
        Err(e) => auth_error_response(e),
    }
}
