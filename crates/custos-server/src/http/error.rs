//! The one error type of the web layer and the error shape of CONTRACT.md:
//! `{"error":{"code":"snake_case_code","message":"plain words"}}`.
//!
//! The client sees a stable code and a plain message; the detail (driver
//! errors and the like) is logged with the request id, never sent.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong, for programs (`code`) and people (`message`).
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable snake_case code.
    #[schema(example = "not_found")]
    pub code: String,
    /// Plain words.
    #[schema(example = "There is nothing at this address.")]
    pub message: String,
}

/// An error a handler returns.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    /// An error with an explicit status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The plain-words message (never a secret or a customer value).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// A 503 for a dependency that is down; the cause is logged, not shown.
    pub fn unavailable(cause: &dyn std::error::Error) -> Self {
        tracing::warn!(error = %cause, "dependency unavailable");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "The service is temporarily unavailable.",
        )
    }

    /// 403 `step_up_required`: the action needs a second factor from the last 15 minutes.
    pub fn step_up_required() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "step_up_required",
            "Confirm with a fresh second factor first: POST /api/v1/auth/step-up/totp (or …/step-up/passkey).",
        )
    }

    /// The code and message a bare status maps to, for responses made outside handlers.
    pub fn from_status(status: StatusCode) -> Self {
        let (code, message) = match status {
            StatusCode::BAD_REQUEST => ("bad_request", "The request is malformed."),
            StatusCode::UNAUTHORIZED => ("unauthorized", "Sign in first."),
            StatusCode::FORBIDDEN => ("forbidden", "You are not allowed to do this."),
            StatusCode::NOT_FOUND => ("not_found", "There is nothing at this address."),
            StatusCode::METHOD_NOT_ALLOWED => (
                "method_not_allowed",
                "This address does not accept that method.",
            ),
            StatusCode::REQUEST_TIMEOUT => {
                ("request_timeout", "The request took too long to arrive.")
            }
            StatusCode::PAYLOAD_TOO_LARGE => {
                ("payload_too_large", "The request body is too large.")
            }
            StatusCode::UNSUPPORTED_MEDIA_TYPE => (
                "unsupported_media_type",
                "The request body has an unsupported content type.",
            ),
            StatusCode::UNPROCESSABLE_ENTITY => {
                ("unprocessable_entity", "The request body is invalid.")
            }
            StatusCode::TOO_MANY_REQUESTS => ("too_many_requests", "Too many requests; slow down."),
            StatusCode::SERVICE_UNAVAILABLE => {
                ("unavailable", "The service is temporarily unavailable.")
            }
            StatusCode::GATEWAY_TIMEOUT => ("timeout", "The request took too long to handle."),
            s if s.is_server_error() => ("internal_error", "Something went wrong on our side."),
            _ => ("request_failed", "The request failed."),
        };
        Self::new(status, code, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message,
            },
        };
        (self.status, Json(body)).into_response()
    }
}
