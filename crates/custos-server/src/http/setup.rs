//! Redeeming the one-time setup link: creates the first administrator (with a
//! TOTP authenticator to enrol) and closes setup for good.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use custos_audit::Actor;
use custos_auth::role::Role;
use custos_auth::totp::qr_svg;
use custos_store::InstanceStore;
use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::auth::auth_error;
use crate::http::caller::ClientIp;
use crate::http::error::{ApiError, ErrorBody};
use crate::setup::hash_setup_token;
use crate::state::AppState;

/// The first administrator.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetupRequest {
    /// The token from the setup link (after `#token=`).
    #[schema(value_type = String)]
    pub token: SecretString,
    /// The administrator's username.
    pub username: String,
    /// Their password (12 to 256 characters, letters and digits, not common).
    #[schema(value_type = String, format = Password)]
    pub password: SecretString,
}

/// The new person (the first administrator, or someone invited) and the
/// authenticator to enrol now (shown once). No `Debug`:
/// it holds the TOTP secret and the recovery codes.
#[derive(Serialize, ToSchema)]
pub struct SetupResponse {
    /// Username.
    pub username: String,
    /// Always `admin`.
    pub role: String,
    /// `otpauth://` URI for the authenticator app.
    pub totp_uri: String,
    /// The same as a QR code (SVG).
    pub totp_qr_svg: String,
    /// Ten single-use recovery codes; keep them somewhere safe.
    pub recovery_codes: Vec<String>,
}

/// Create the first administrator with the one-time setup link.
#[utoipa::path(post, path = "/api/v1/setup", tag = "auth", request_body = SetupRequest,
    responses(
        (status = 200, description = "Administrator created; enrol the authenticator", body = SetupResponse),
        (status = 400, description = "Not {\"token\",\"username\",\"password\"}", body = ErrorBody),
        (status = 401, description = "The link is invalid, used or expired", body = ErrorBody),
        (status = 422, description = "The username or password is not acceptable", body = ErrorBody)))]
pub async fn redeem(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    body: axum::body::Bytes,
) -> Result<Json<SetupResponse>, ApiError> {
    let body: SetupRequest =
        super::parse_secret_body(&body, "{\"token\": …, \"username\": …, \"password\": …}")?;
    let now = state.clock().unix_now();
    let invalid = || {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_setup_link",
            "The setup link is invalid, used or expired.",
        )
    };
    // Check the password policy before the single-use token is spent.
    custos_auth::password::check_policy(&body.password, &body.username)
        .map_err(|e| auth_error(crate::auth::AuthError::PasswordRejected(e)))?;
    let consumed = state
        .store()
        .consume_setup_token(&hash_setup_token(body.token.expose_secret()), now)
        .await
        .map_err(|e| ApiError::unavailable(&e))?;
    if !consumed {
        return Err(invalid());
    }
    let actor = Actor {
        name: Some("setup-link".to_owned()),
        ip: ip.map(|i| i.to_string()),
        ..Actor::system()
    };
    let account = state
        .auth()
        .create_user(actor, &body.username, Role::Admin, None, body.password)
        .await
        .map_err(auth_error)?;
    state
        .store()
        .mark_setup_complete(now)
        .await
        .map_err(|e| ApiError::unavailable(&e))?;
    Ok(Json(SetupResponse::from(account)))
}

impl From<crate::auth::NewAccount> for SetupResponse {
    fn from(account: crate::auth::NewAccount) -> Self {
        Self {
            username: account.user.username,
            role: account.user.role,
            totp_qr_svg: qr_svg(&account.totp_uri).unwrap_or_default(),
            totp_uri: account.totp_uri.expose_secret().to_owned(),
            recovery_codes: account
                .recovery_codes
                .iter()
                .map(|c| c.expose_secret().to_owned())
                .collect(),
        }
    }
}
