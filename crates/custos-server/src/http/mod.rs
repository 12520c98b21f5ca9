//! The HTTP surface: routes, their OpenAPI description, and the layers around them.
//! Handlers are thin: parse, authorize, call a service, shape the response.

pub mod access_review;
pub mod alerts;
pub mod audit_trail;
pub mod auth;
pub mod caller;
pub mod conversation;
pub mod customers;
pub mod devices;
pub mod error;
pub mod health;
pub mod interactions;
pub mod invitations;
mod layers;
pub mod metrics;
pub mod openapi;
pub mod passkeys;
pub mod policies;
pub mod recovery_codes;
pub mod redact;
pub mod service_tokens;
pub mod sessions;
pub mod settings;
pub mod setup;
pub mod users;
mod vault_body;
pub mod verification;

use axum::Router;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// Every route with its OpenAPI entry. A route registered here is documented by construction.
pub fn routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(metrics::metrics))
        .routes(routes!(openapi::openapi_json))
        .routes(routes!(auth::login))
        .routes(routes!(auth::mfa_totp))
        .routes(routes!(auth::mfa_recovery))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(auth::change_password))
        .routes(routes!(audit_trail::list_events))
        .routes(routes!(setup::redeem))
        .routes(routes!(auth::step_up_totp))
        .routes(routes!(passkeys::list))
        .routes(routes!(passkeys::register_start))
        .routes(routes!(passkeys::register_finish))
        .routes(routes!(passkeys::remove))
        .routes(routes!(recovery_codes::count, recovery_codes::renew))
        .routes(routes!(passkeys::sign_in_start))
        .routes(routes!(passkeys::sign_in_finish))
        .routes(routes!(passkeys::step_up_start))
        .routes(routes!(passkeys::step_up_finish))
        .routes(routes!(sessions::list_sessions))
        .routes(routes!(sessions::end_session))
        .routes(routes!(users::unlock))
        .routes(routes!(users::disable))
        .routes(routes!(invitations::invite))
        .routes(routes!(invitations::redeem))
        .routes(routes!(invitations::reset_credentials))
        .routes(routes!(users::lock))
        .routes(routes!(users::end_sessions))
        .routes(routes!(users::set_shift))
        .routes(routes!(users::change_role))
        .routes(routes!(access_review::report))
        .routes(routes!(access_review::sign_off))
        .routes(routes!(access_review::sign_offs))
        .routes(routes!(policies::list, policies::add))
        .routes(routes!(customers::create))
        .routes(routes!(customers::search))
        .routes(routes!(customers::read, customers::delete))
        .routes(routes!(customers::reveal))
        .routes(routes!(customers::detokenize))
        .routes(routes!(interactions::open, interactions::list))
        .routes(routes!(interactions::read))
        .routes(routes!(interactions::close))
        .routes(routes!(interactions::assign))
        .routes(routes!(conversation::add_message))
        .routes(routes!(conversation::add_transcript))
        .routes(routes!(conversation::redact_audio))
        .routes(routes!(conversation::reveal_raw))
        .routes(routes!(verification::send))
        .routes(routes!(verification::confirm))
        .routes(routes!(verification::questions))
        .routes(routes!(alerts::list))
        .routes(routes!(alerts::read))
        .routes(routes!(alerts::acknowledge))
        .routes(routes!(alerts::resolve))
        .routes(routes!(alerts::add_note))
        .routes(routes!(alerts::rules, alerts::add_rule))
        .routes(routes!(alerts::change_rule))
        .routes(routes!(redact::redact))
        .routes(routes!(devices::issue_code))
        .routes(routes!(devices::enrol))
        .routes(routes!(devices::list))
        .routes(routes!(devices::revoke))
        .routes(routes!(service_tokens::list, service_tokens::create))
        .routes(routes!(service_tokens::revoke))
        .routes(routes!(settings::show, settings::change))
        .split_for_parts()
}

/// Parses a JSON body that carries a credential (a password, a link token, an MFA
/// token, an authenticator's answer) with a fixed message on failure: serde's and
/// axum's messages can quote the input, and they reach clients and traces.
pub(crate) fn parse_secret_body<T: serde::de::DeserializeOwned>(
    body: &[u8],
    shape: &str,
) -> Result<T, error::ApiError> {
    serde_json::from_slice(body).map_err(|_| {
        error::ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "bad_request",
            format!("Send {shape}."),
        )
    })
}

/// Asks the authorizer; a denial is recorded in the audit trail (or, if it cannot
/// be, the request fails as unavailable) and answered with 403: `step_up_required`
/// when a fresh second factor would have been enough, `forbidden` otherwise.
pub(crate) async fn authorize(
    state: &AppState,
    caller: &caller::Caller,
    action: crate::authz::Action,
    resource: &crate::authz::Resource,
    resource_kind: &str,
) -> Result<(), error::ApiError> {
    let fresh = state.auth().mfa_fresh(&caller.principal);
    let authz = state.authz();
    if authz
        .authorize(&caller.principal, action, resource, fresh)
        .allowed
    {
        return Ok(());
    }
    let step_up_would_do = !fresh
        && authz
            .authorize(&caller.principal, action, resource, true)
            .allowed;
    state
        .auth()
        .record_denial(
            &caller.principal,
            caller.ip,
            action.id(),
            resource_kind,
            None,
        )
        .await
        .map_err(auth::auth_error)?;
    if step_up_would_do {
        return Err(error::ApiError::step_up_required());
    }
    Err(error::ApiError::from_status(
        axum::http::StatusCode::FORBIDDEN,
    ))
}

/// A Unix time as RFC 3339 text.
pub(crate) fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// The complete application for `state`.
pub fn app(router: Router<AppState>, state: AppState) -> Router {
    let router = router
        .merge(crate::console::routes())
        .fallback(|| async { error::ApiError::from_status(axum::http::StatusCode::NOT_FOUND) });
    layers::apply(router, &state).with_state(state)
}

#[cfg(test)]
mod tests {
    #[derive(Debug, serde::Deserialize)]
    #[expect(dead_code, reason = "only parsed")]
    struct Redeem {
        token: String,
        password: String,
    }

    #[test]
    fn a_secret_body_that_does_not_parse_is_not_quoted() {
        // serde's own messages quote these values ("invalid type: string …").
        for body in [
            &br#""hunter2-violet-kettle""#[..],
            br#"{"token": 123456789, "password": "hunter2-violet-kettle"}"#,
            br#"{"token": "tok-hunter2", "password": ["hunter2-violet-kettle"]}"#,
        ] {
            let refused =
                super::parse_secret_body::<Redeem>(body, "{\"token\", \"password\"}").unwrap_err();
            let message = refused.message();
            assert!(
                !message.contains("hunter2") && !message.contains("123456789"),
                "{message}"
            );
            assert_eq!(message, "Send {\"token\", \"password\"}.");
        }
    }
}
