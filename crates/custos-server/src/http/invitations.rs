//! Inviting people: `POST /api/v1/users` (administrators, after step-up) names the
//! account and answers with a one-time link for the person; `POST
//! /api/v1/invitations/redeem` (no credentials: the link is the credential) sets
//! the password and answers with the authenticator to enrol and the recovery codes,
//! once. The link's token travels in the URL fragment, which browsers never send.
//! `POST /api/v1/users/{username}/credential-reset` issues the same kind of link
//! for an existing person whose sign-in was reset; redeeming it is the same call.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use custos_auth::role::Role;
use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::authz::{Action, Resource};
use crate::http::auth::auth_error;
use crate::http::caller::{Caller, ClientIp};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::setup::SetupResponse;
use crate::state::AppState;

/// The person to invite.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteRequest {
    /// Their username (3 to 64 of `a-z 0-9 . _ -`, starting with a letter).
    pub username: String,
    /// A person's role: `agent`, `supervisor`, `security_officer`, `auditor`, `admin`.
    pub role: String,
    /// Their team, if any (a supervisor reaches their team's interactions).
    pub team: Option<String>,
}

/// The invitation, shown once. No `Debug`: the link is a credential.
#[derive(Serialize, ToSchema)]
pub struct InvitationResponse {
    /// Username.
    pub username: String,
    /// Role.
    pub role: String,
    /// Hand this to the person over a trusted channel; it works once.
    pub invitation_url: String,
    /// When it stops working (RFC 3339).
    pub expires_at: String,
}

/// The account an invitation would make, as a policy resource.
pub(crate) fn account_to_be(
    username: &str,
    role: Role,
    team: Option<String>,
) -> custos_store::UserRecord {
    custos_store::UserRecord {
        id: uuid::Uuid::nil(),
        username: username.to_owned(),
        role: role.as_str().to_owned(),
        team,
        supervisor_id: None,
        password_hash: String::new(),
        password_changed_at: 0,
        totp_sealed: None,
        totp_last_step: None,
        failed_attempts: 0,
        locked_until: None,
        disabled_at: None,
        created_at: 0,
        last_sign_in_at: None,
    }
}

/// Invite a person (administrators, after a fresh second factor).
#[utoipa::path(post, path = "/api/v1/users", tag = "auth", request_body = InviteRequest,
    responses(
        (status = 201, description = "Invited; the link is shown once", body = InvitationResponse),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not allowed, or a fresh second factor is needed", body = ErrorBody),
        (status = 409, description = "The username is taken", body = ErrorBody),
        (status = 422, description = "The username or role is not acceptable", body = ErrorBody)))]
pub async fn invite(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<InviteRequest>,
) -> Result<(StatusCode, Json<InvitationResponse>), ApiError> {
    let role: Role = body.role.parse().map_err(|_| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "role must be agent, supervisor, security_officer, auditor or admin",
        )
    })?;
    super::authorize(
        &state,
        &caller,
        Action::InviteAccount,
        &Resource::Account(account_to_be(&body.username, role, body.team.clone())),
        "user",
    )
    .await?;
    let ip = caller.ip_text();
    let invitation = state
        .auth()
        .invite(
            caller.principal.actor(ip.as_deref()),
            &body.username,
            role,
            body.team,
        )
        .await
        .map_err(auth_error)?;
    Ok((
        StatusCode::CREATED,
        Json(InvitationResponse {
            username: body.username,
            role: role.as_str().to_owned(),
            // From the configured address, never the request's Host: a forged or
            // rewritten Host must not send the person and their password elsewhere.
            invitation_url: format!(
                "{}/welcome#token={}",
                state.base_url(),
                invitation.token.expose_secret()
            ),
            expires_at: super::rfc3339(invitation.expires_at),
        }),
    ))
}

/// Redeeming an invitation.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedeemRequest {
    /// The token from the link (after `#token=`).
    #[schema(value_type = String)]
    pub token: SecretString,
    /// The password the person chooses.
    #[schema(value_type = String, format = Password)]
    pub password: SecretString,
}

/// Redeem an invitation: choose a password, receive the authenticator to enrol.
#[utoipa::path(post, path = "/api/v1/invitations/redeem", tag = "auth", request_body = RedeemRequest,
    responses(
        (status = 200, description = "Account created; enrol the authenticator", body = SetupResponse),
        (status = 400, description = "Not {\"token\",\"password\"}", body = ErrorBody),
        (status = 401, description = "The link is invalid, used or expired", body = ErrorBody),
        (status = 422, description = "The password is not acceptable", body = ErrorBody)))]
pub async fn redeem(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    body: axum::body::Bytes,
) -> Result<Json<SetupResponse>, ApiError> {
    let body: RedeemRequest = super::parse_secret_body(&body, "{\"token\": …, \"password\": …}")?;
    let account = state
        .auth()
        .redeem_invitation(&body.token, body.password, ip.map(|i| i.to_string()))
        .await
        .map_err(|e| match e {
            crate::auth::AuthError::Unauthenticated => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_invitation",
                "The link is invalid, used or expired.",
            ),
            other => auth_error(other),
        })?;
    Ok(Json(SetupResponse::from(account)))
}

/// A reset, shown once. No `Debug`: the link is a credential.
#[derive(Serialize, ToSchema)]
pub struct CredentialResetResponse {
    /// Username.
    pub username: String,
    /// Hand this to the person over a trusted channel (not the one that may be
    /// lost); it works once.
    pub reset_url: String,
    /// When it stops working (RFC 3339).
    pub expires_at: String,
    /// How many of their sessions ended.
    pub sessions_ended: usize,
}

/// Reset a person's sign-in (a lost authenticator, a forgotten password): their
/// authenticator, recovery codes, passkeys and sessions go now; the link lets them
/// choose a new password and authenticator. Security officers (not for
/// administrators) and administrators, after a fresh second factor, never their own.
#[utoipa::path(post, path = "/api/v1/users/{username}/credential-reset", tag = "auth",
    params(("username" = String, Path, description = "The account")),
    responses(
        (status = 201, description = "Reset; the link is shown once", body = CredentialResetResponse),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not allowed, or a fresh second factor is needed", body = ErrorBody),
        (status = 404, description = "No such account", body = ErrorBody),
        (status = 422, description = "The account is disabled", body = ErrorBody)))]
pub async fn reset_credentials(
    State(state): State<AppState>,
    caller: Caller,
    Path(username): Path<String>,
) -> Result<(StatusCode, Json<CredentialResetResponse>), ApiError> {
    let (user, actor) =
        super::users::account_for(&state, &caller, &username, Action::ResetCredentials, "user")
            .await?;
    let (link, sessions_ended) = state
        .auth()
        .reset_credentials(actor, &user)
        .await
        .map_err(auth_error)?;
    state.detection().forget(&user.username);
    Ok((
        StatusCode::CREATED,
        Json(CredentialResetResponse {
            username: user.username,
            reset_url: format!(
                "{}/reset#token={}",
                state.base_url(),
                link.token.expose_secret()
            ),
            expires_at: super::rfc3339(link.expires_at),
            sessions_ended,
        }),
    ))
}
