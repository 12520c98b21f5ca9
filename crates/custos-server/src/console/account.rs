//! The person's own account page: their sign-in methods. Passkeys are listed
//! through the API's own handler; adding one runs `navigator.credentials.create`
//! in the page script against `POST /api/v1/me/passkeys/register/…` (step-up
//! first), removing one calls `DELETE /api/v1/me/passkeys/{id}`. Recovery codes
//! are counted, and renewed by `POST /api/v1/me/recovery-codes` (step-up first).
//! After a sign-in with a recovery code the sign-in page lands here
//! (`?recovered=1`), which says what to do about the lost authenticator.

use axum::Json;
use axum::extract::{Query, State};
use axum::response::Response;

use super::{Chrome, Viewer, error_page, render};
use crate::http::passkeys::PasskeyView;
use crate::state::AppState;

#[derive(askama::Template)]
#[template(path = "console/account.html")]
struct AccountPage {
    chrome: Chrome,
    passkeys: Vec<PasskeyView>,
    /// The origin passkeys work at, or `None` when they are off.
    passkey_origin: Option<String>,
    max_passkeys: usize,
    recovery_codes_left: u32,
    /// The person just signed in with a recovery code.
    recovered: bool,
}

/// `?recovered=1` after a sign-in with a recovery code.
#[derive(serde::Deserialize)]
pub(crate) struct AccountQuery {
    #[serde(default)]
    recovered: Option<u8>,
}

/// `GET /console/account`.
pub(crate) async fn page(
    State(state): State<AppState>,
    Query(query): Query<AccountQuery>,
    viewer: Viewer,
) -> Response {
    let passkeys =
        match crate::http::passkeys::list(State(state.clone()), viewer.caller.clone()).await {
            Ok(Json(passkeys)) => passkeys,
            Err(e) => return error_page(&e),
        };
    let recovery_codes_left =
        match crate::http::recovery_codes::count(State(state.clone()), viewer.caller.clone()).await
        {
            Ok(Json(left)) => left.unused,
            Err(e) => return error_page(&e),
        };
    render(&AccountPage {
        chrome: viewer.chrome(&state, "/console/account"),
        passkeys,
        passkey_origin: state
            .auth()
            .relying_party()
            .map(|rp| rp.origin().to_owned()),
        max_passkeys: crate::auth::MAX_PASSKEYS,
        recovery_codes_left,
        recovered: query.recovered == Some(1),
    })
}
