//! A person's sessions: list one's own, end one's own; a security officer ends
//! anyone's (after step-up).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Principal;
use crate::authz::{Action, Resource};
use crate::http::auth::auth_error;
use crate::http::caller::Caller;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::rfc3339;
use crate::state::AppState;

/// One live session.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    /// Public id.
    pub id: String,
    /// Signed in at (RFC 3339).
    pub created_at: String,
    /// Last used at (RFC 3339).
    pub last_seen: String,
    /// Address at sign-in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// The session making this request.
    pub current: bool,
}

/// My live sessions.
#[utoipa::path(get, path = "/api/v1/sessions", tag = "auth",
    responses(
        (status = 200, description = "The caller's live sessions", body = [SessionView]),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Service tokens have no sessions", body = ErrorBody)))]
pub async fn list_sessions(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<SessionView>>, ApiError> {
    let Principal::Person(person) = &caller.principal else {
        super::authorize(
            &state,
            &caller,
            Action::ListSessions,
            &Resource::Caller,
            "session",
        )
        .await?;
        return Err(ApiError::from_status(StatusCode::FORBIDDEN));
    };
    super::authorize(
        &state,
        &caller,
        Action::ListSessions,
        &Resource::Account(person.user.clone()),
        "session",
    )
    .await?;
    let sessions = state
        .auth()
        .live_sessions(person.user.id)
        .await
        .map_err(auth_error)?;
    Ok(Json(
        sessions
            .into_iter()
            .map(|s| SessionView {
                current: s.id == person.session.id,
                id: s.id.to_string(),
                created_at: rfc3339(s.created_at),
                last_seen: rfc3339(s.last_seen),
                ip: s.ip,
            })
            .collect(),
    ))
}

/// End a session: one's own, or (security officers, after step-up) anyone's.
#[utoipa::path(delete, path = "/api/v1/sessions/{id}", tag = "auth",
    params(("id" = String, Path, description = "The session's public id")),
    responses(
        (status = 204, description = "Ended"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not allowed, or a fresh second factor is needed", body = ErrorBody),
        (status = 404, description = "No such live session", body = ErrorBody)))]
pub async fn end_session(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Response {
    let not_found = || {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "No such live session.").into_response()
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        return not_found();
    };
    let (session, owner) = match state.auth().session_with_owner(id).await {
        Ok(found) => found,
        Err(crate::auth::AuthError::NotFound) => return not_found(),
        Err(e) => return auth_error(e).into_response(),
    };
    let resource = Resource::Session {
        id: session.id.to_string(),
        owner,
    };
    if let Err(e) =
        super::authorize(&state, &caller, Action::EndSession, &resource, "session").await
    {
        return e.into_response();
    }
    match state
        .auth()
        .end_session_for(&caller.principal, &session, caller.ip)
        .await
    {
        Ok(true) => StatusCode::NO_CONTENT.into_response(),
        Ok(false) => not_found(),
        Err(e) => auth_error(e).into_response(),
    }
}
