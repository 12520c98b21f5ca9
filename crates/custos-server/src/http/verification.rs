//! Customer verification in an interaction:
//! `POST /api/v1/interactions/{id}/verification` sends a one-time code to the
//! customer's contact on file, `…/verification/confirm` checks the code the
//! customer reads out, `…/verification/questions` checks answers to knowledge
//! questions as the fallback. Until one succeeds, agents see the masked header only.

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::authz::Action;
use crate::conversation::ConversationError;
use crate::conversation::verification::{self, CodeSent, Method, Verified};
use crate::http::caller::Caller;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::interactions::{authorized_record, customer_of};
use crate::http::vault_body::{self, vault_error};
use crate::state::AppState;

/// Which contact a code goes to.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendCode {
    /// `email` or `phone`; without it, email when possible, else phone.
    pub method: Option<String>,
}

/// The code the customer read out.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmCode {
    /// Six digits.
    pub code: String,
}

/// Answers to knowledge questions, by question (`date_of_birth`, `postcode`,
/// `card_last4`, `ssn_last4`: those in `verification.questions`).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Answers {
    /// Question → the customer's answer.
    pub answers: BTreeMap<String, String>,
}

/// Maps a conversation failure to its API error.
pub(crate) fn conversation_error(e: ConversationError) -> ApiError {
    use ConversationError as E;
    let status = |s: StatusCode, code: &'static str, e: &ConversationError| {
        ApiError::new(s, code, e.to_string())
    };
    match e {
        E::Vault(v) => vault_error(v),
        E::Store(cause) => ApiError::unavailable(&cause),
        E::Audit(cause) => {
            tracing::error!(error = %cause, "refused: the audit trail cannot record it");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "audit_unavailable",
                "The audit trail cannot record this action right now, so it was not done.",
            )
        }
        E::Closed => status(StatusCode::CONFLICT, "interaction_closed", &e),
        E::AlreadyVerified => status(StatusCode::CONFLICT, "already_verified", &e),
        E::VerificationLocked => status(StatusCode::FORBIDDEN, "verification_locked", &e),
        E::NoContact(_) => status(StatusCode::UNPROCESSABLE_ENTITY, "no_contact_on_file", &e),
        E::NotConfigured(_) => status(
            StatusCode::SERVICE_UNAVAILABLE,
            "channel_not_configured",
            &e,
        ),
        E::TooManyCodes { .. } => status(StatusCode::TOO_MANY_REQUESTS, "too_many_codes", &e),
        E::Delivery(_) => ApiError::new(
            StatusCode::BAD_GATEWAY,
            "delivery_failed",
            "The code could not be delivered; try again or use another method.",
        ),
        E::NoCode => status(StatusCode::CONFLICT, "no_code_sent", &e),
        E::WrongCode { attempts_left } => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_code",
            format!("The code is not right; {attempts_left} tries left on it."),
        ),
        E::CodeUsed => status(StatusCode::CONFLICT, "code_used", &e),
        E::CodeExpired => status(StatusCode::GONE, "code_expired", &e),
        E::CodeSpent => status(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts", &e),
        E::WrongAnswers => status(StatusCode::UNPROCESSABLE_ENTITY, "wrong_answers", &e),
        E::Random => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "No randomness is available right now.",
        ),
        E::Invalid(message) => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", message)
        }
        E::Unavailable(_) => status(StatusCode::SERVICE_UNAVAILABLE, "unavailable", &e),
    }
}

/// Send a one-time code to the customer's registered email or phone.
#[utoipa::path(post, path = "/api/v1/interactions/{id}/verification", tag = "conversations",
    params(("id" = String, Path, description = "Interaction id")),
    request_body = SendCode,
    responses(
        (status = 202, description = "Sent", body = CodeSent),
        (status = 403, description = "Not allowed, or too many failures (`verification_locked`)", body = ErrorBody),
        (status = 409, description = "Closed, or already verified", body = ErrorBody),
        (status = 422, description = "No such contact on file", body = ErrorBody),
        (status = 429, description = "Too many codes sent (`too_many_codes`)", body = ErrorBody),
        (status = 502, description = "Not delivered", body = ErrorBody)))]
pub async fn send(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<CodeSent>), ApiError> {
    let request: SendCode = if body.is_empty() {
        SendCode::default()
    } else {
        vault_body::parse(&body, "a verification request")?
    };
    let method = request
        .method
        .as_deref()
        .map(|m| {
            Method::parse(m).ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_request",
                    "method must be email or phone",
                )
            })
        })
        .transpose()?;
    let record = authorized_record(&state, &caller, &id, Action::VerifyCustomer).await?;
    let customer = customer_of(&state, &record).await?;
    let ip = caller.ip_text();
    let sent = verification::send_code(
        &state,
        caller.principal.actor(ip.as_deref()),
        &record,
        &customer,
        method,
    )
    .await
    .map_err(conversation_error)?;
    Ok((StatusCode::ACCEPTED, Json(sent)))
}

/// Check the code the customer read out.
#[utoipa::path(post, path = "/api/v1/interactions/{id}/verification/confirm", tag = "conversations",
    params(("id" = String, Path, description = "Interaction id")),
    request_body = ConfirmCode,
    responses(
        (status = 200, description = "Verified", body = Verified),
        (status = 409, description = "No code sent, code used, or interaction closed", body = ErrorBody),
        (status = 410, description = "Code expired", body = ErrorBody),
        (status = 422, description = "Wrong code (`invalid_code`)", body = ErrorBody),
        (status = 429, description = "No tries left on the code", body = ErrorBody)))]
pub async fn confirm(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Verified>, ApiError> {
    let request: ConfirmCode = vault_body::parse(&body, "a code")?;
    let record = authorized_record(&state, &caller, &id, Action::VerifyCustomer).await?;
    let ip = caller.ip_text();
    verification::confirm_code(
        &state,
        caller.principal.actor(ip.as_deref()),
        &record,
        request.code.trim(),
    )
    .await
    .map(Json)
    .map_err(conversation_error)
}

/// Check the customer's answers to the configured knowledge questions.
#[utoipa::path(post, path = "/api/v1/interactions/{id}/verification/questions", tag = "conversations",
    params(("id" = String, Path, description = "Interaction id")),
    request_body = Answers,
    responses(
        (status = 200, description = "Verified", body = Verified),
        (status = 409, description = "Closed, or already verified", body = ErrorBody),
        (status = 422, description = "Wrong answers, or a question not configured", body = ErrorBody)))]
pub async fn questions(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Verified>, ApiError> {
    let request: Answers = vault_body::parse(&body, "answers")?;
    let record = authorized_record(&state, &caller, &id, Action::VerifyCustomer).await?;
    let customer = customer_of(&state, &record).await?;
    let ip = caller.ip_text();
    verification::answer_questions(
        &state,
        caller.principal.actor(ip.as_deref()),
        &record,
        &customer,
        &request.answers,
    )
    .await
    .map(Json)
    .map_err(conversation_error)
}
