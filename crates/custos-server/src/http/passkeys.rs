//! Passkeys over HTTP. A signed-in person enrols one (`…/me/passkeys/register/start`,
//! then `…/finish` with the browser's `navigator.credentials.create` answer), lists
//! and removes theirs; a sign-in's second step and a step-up can use one
//! (`…/passkey/start` for the challenge, then the answer of
//! `navigator.credentials.get`). The options and answers are WebAuthn's own JSON
//! (base64url binary fields), as webauthn-rs and browsers' `toJSON()` write them.
//!
//! Bodies are parsed here with fixed error messages: a serde message could quote
//! the MFA token.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use webauthn_rs::prelude::{PublicKeyCredential, RegisterPublicKeyCredential};

use crate::auth::{PersonPrincipal, Principal};
use crate::authz::{Action, Resource};
use crate::http::auth::{StepUpResponse, auth_error, session_response};
use crate::http::caller::{Caller, ClientIp};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::parse_secret_body as parse;
use crate::http::rfc3339;
use crate::state::AppState;

/// The signed-in person; a service token is refused (`not_a_session`).
pub(super) fn person(caller: &Caller) -> Result<&PersonPrincipal, ApiError> {
    match &caller.principal {
        Principal::Person(person) => Ok(person),
        Principal::Service(_) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "not_a_session",
            "Service tokens have no second factors of their own.",
        )),
    }
}

/// Refuses with `step_up_required` unless the caller passed a second factor recently.
pub(super) fn require_step_up(state: &AppState, caller: &Caller) -> Result<(), ApiError> {
    if state.auth().mfa_fresh(&caller.principal) {
        Ok(())
    } else {
        Err(ApiError::step_up_required())
    }
}

/// One enrolled passkey.
#[derive(Debug, Serialize, ToSchema)]
pub struct PasskeyView {
    /// Public id.
    pub id: String,
    /// The owner's label.
    pub name: String,
    /// Enrolled at (RFC 3339).
    pub created_at: String,
    /// Last used to sign in or step up (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<String>,
}

impl From<&custos_store::PasskeyRecord> for PasskeyView {
    fn from(record: &custos_store::PasskeyRecord) -> Self {
        Self {
            id: record.id.to_string(),
            name: record.name.clone(),
            created_at: rfc3339(record.created_at),
            last_used_at: record.last_used_at.map(rfc3339),
        }
    }
}

/// My passkeys.
#[utoipa::path(get, path = "/api/v1/me/passkeys", tag = "auth",
    responses(
        (status = 200, description = "The caller's passkeys", body = [PasskeyView]),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Service tokens have no passkeys", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<PasskeyView>>, ApiError> {
    super::authorize(&state, &caller, Action::ReadSelf, &Resource::Caller, "self").await?;
    let person = person(&caller)?;
    let passkeys = state
        .auth()
        .passkeys_of(person.user.id)
        .await
        .map_err(auth_error)?;
    Ok(Json(passkeys.iter().map(PasskeyView::from).collect()))
}

/// The start of an enrolment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrolmentStart {
    /// A label for the passkey, 1 to 64 characters, e.g. "work laptop".
    pub name: String,
}

/// WebAuthn options for the browser.
#[derive(Serialize, ToSchema)]
pub struct CeremonyOptions {
    /// Pass `options.publicKey` to `navigator.credentials.create` or `.get` (binary
    /// fields base64url-encoded; `PublicKeyCredential.parseCreationOptionsFromJSON`
    /// and `parseRequestOptionsFromJSON` decode them). Valid five minutes, once.
    #[schema(value_type = Object)]
    pub options: serde_json::Value,
}

fn options<T: Serialize>(value: &T) -> Result<Json<CeremonyOptions>, ApiError> {
    serde_json::to_value(value)
        .map(|options| Json(CeremonyOptions { options }))
        .map_err(|_| ApiError::from_status(StatusCode::SERVICE_UNAVAILABLE))
}

/// Start enrolling a passkey, within 15 minutes of a second factor.
#[utoipa::path(post, path = "/api/v1/me/passkeys/register/start", tag = "auth",
    request_body = EnrolmentStart,
    responses(
        (status = 200, description = "Options for `navigator.credentials.create`", body = CeremonyOptions),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "A fresh second factor is needed (`step_up_required`), or not a session", body = ErrorBody),
        (status = 409, description = "Passkeys need the server's domain name (`passkeys_unavailable`)", body = ErrorBody),
        (status = 422, description = "A bad name, or ten passkeys already", body = ErrorBody)))]
pub async fn register_start(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<Json<CeremonyOptions>, ApiError> {
    let person = person(&caller)?;
    let request: EnrolmentStart = parse(&body, "{\"name\": \"work laptop\"}")?;
    require_step_up(&state, &caller)?;
    let challenge = state
        .auth()
        .begin_passkey_enrolment(person, &request.name)
        .await
        .map_err(auth_error)?;
    options(&challenge)
}

/// The authenticator's answer to an enrolment.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrolmentFinish {
    /// The `PublicKeyCredential` from `navigator.credentials.create`, as JSON.
    #[schema(value_type = Object)]
    pub credential: RegisterPublicKeyCredential,
}

/// Finish enrolling a passkey with the authenticator's answer.
#[utoipa::path(post, path = "/api/v1/me/passkeys/register/finish", tag = "auth",
    request_body = EnrolmentFinish,
    responses(
        (status = 201, description = "Enrolled", body = PasskeyView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 409, description = "This authenticator is enrolled already", body = ErrorBody),
        (status = 422, description = "No enrolment in progress, or the answer does not verify", body = ErrorBody)))]
pub async fn register_finish(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<Response, ApiError> {
    let person = person(&caller)?;
    let request: EnrolmentFinish =
        parse(&body, "{\"credential\": <the PublicKeyCredential as JSON>}")?;
    let record = state
        .auth()
        .finish_passkey_enrolment(person, &request.credential, caller.ip)
        .await
        .map_err(auth_error)?;
    Ok((StatusCode::CREATED, Json(PasskeyView::from(&record))).into_response())
}

/// Remove one of my passkeys, within 15 minutes of a second factor.
#[utoipa::path(delete, path = "/api/v1/me/passkeys/{id}", tag = "auth",
    params(("id" = String, Path, description = "The passkey")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "A fresh second factor is needed (`step_up_required`)", body = ErrorBody),
        (status = 404, description = "No such passkey of yours", body = ErrorBody)))]
pub async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let person = person(&caller)?;
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::from_status(StatusCode::NOT_FOUND))?;
    require_step_up(&state, &caller)?;
    state
        .auth()
        .remove_passkey(person, id, caller.ip)
        .await
        .map_err(auth_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// A sign-in's pending second step.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInStart {
    /// From the login answer (it stays valid for the finish).
    #[schema(value_type = String)]
    pub mfa_token: SecretString,
}

/// Sign in, step two with a passkey, part one: the challenge.
#[utoipa::path(post, path = "/api/v1/auth/mfa/passkey/start", tag = "auth",
    request_body = SignInStart,
    responses(
        (status = 200, description = "Options for `navigator.credentials.get`", body = CeremonyOptions),
        (status = 401, description = "Unknown or expired sign-in step, or no passkey enrolled", body = ErrorBody),
        (status = 409, description = "Passkeys need the server's domain name", body = ErrorBody)))]
pub async fn sign_in_start(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Json<CeremonyOptions>, ApiError> {
    let request: SignInStart = parse(&body, "{\"mfa_token\": …}")?;
    let challenge = state
        .auth()
        .begin_passkey_sign_in(request.mfa_token.expose_secret())
        .await
        .map_err(auth_error)?;
    options(&challenge)
}

/// A sign-in's second step with a passkey's answer.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInFinish {
    /// From the login answer.
    #[schema(value_type = String)]
    pub mfa_token: SecretString,
    /// The `PublicKeyCredential` from `navigator.credentials.get`, as JSON.
    #[schema(value_type = Object)]
    pub credential: PublicKeyCredential,
}

/// Sign in, step two with a passkey, part two: the answer. User verification is required.
#[utoipa::path(post, path = "/api/v1/auth/mfa/passkey", tag = "auth",
    request_body = SignInFinish,
    responses(
        (status = 200, description = "Signed in; also sets the session cookie", body = crate::http::auth::SessionResponse),
        (status = 401, description = "The answer does not verify, or the step expired", body = ErrorBody)))]
pub async fn sign_in_finish(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    body: Bytes,
) -> Response {
    let request: SignInFinish = match parse(
        &body,
        "{\"mfa_token\": …, \"credential\": <the PublicKeyCredential as JSON>}",
    ) {
        Ok(request) => request,
        Err(e) => return e.into_response(),
    };
    let result = state
        .auth()
        .complete_passkey(request.mfa_token.expose_secret(), &request.credential, ip)
        .await;
    session_response(&state, result)
}

/// Step-up with a passkey, part one: the challenge.
#[utoipa::path(post, path = "/api/v1/auth/step-up/passkey/start", tag = "auth",
    responses(
        (status = 200, description = "Options for `navigator.credentials.get`", body = CeremonyOptions),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Service tokens have no session", body = ErrorBody),
        (status = 409, description = "The person has no passkey (`no_passkey`)", body = ErrorBody)))]
pub async fn step_up_start(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<CeremonyOptions>, ApiError> {
    let person = person(&caller)?;
    let challenge = state
        .auth()
        .begin_passkey_step_up(person)
        .await
        .map_err(auth_error)?;
    options(&challenge)
}

/// A step-up's answer.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepUpFinish {
    /// The `PublicKeyCredential` from `navigator.credentials.get`, as JSON.
    #[schema(value_type = Object)]
    pub credential: PublicKeyCredential,
}

/// Step-up with a passkey, part two: the session's second factor is fresh again.
#[utoipa::path(post, path = "/api/v1/auth/step-up/passkey", tag = "auth",
    request_body = StepUpFinish,
    responses(
        (status = 200, description = "Stepped up", body = StepUpResponse),
        (status = 401, description = "The answer does not verify", body = ErrorBody),
        (status = 403, description = "Service tokens have no session", body = ErrorBody)))]
pub async fn step_up_finish(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<Json<StepUpResponse>, ApiError> {
    let person = person(&caller)?;
    let request: StepUpFinish =
        parse(&body, "{\"credential\": <the PublicKeyCredential as JSON>}")?;
    let mfa_at = state
        .auth()
        .step_up_passkey(person, &request.credential, caller.ip)
        .await
        .map_err(auth_error)?;
    Ok(Json(StepUpResponse {
        mfa_at: rfc3339(mfa_at),
    }))
}
