//! The sign-in page: password, then the TOTP code (the page script calls
//! `POST /api/v1/auth/login` and `…/auth/mfa/totp`, which set the session cookie);
//! the first administrator's setup page, where the link `serve` prints lands, and
//! the welcome page an invitation link opens (their tokens stay in the URL
//! fragment, which browsers never send); and device enrolment by code.

use axum::extract::Query;
use axum::response::Response;
use serde::Deserialize;

/// Why the person is back at the sign-in page.
#[derive(Debug, Deserialize)]
pub(crate) struct LoginQuery {
    /// `idle` after the idle sign-out, `signed_out` after signing out.
    reason: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "console/login.html")]
struct LoginPage {
    notice: Option<&'static str>,
}

/// `GET /console/login`.
pub(crate) async fn page(Query(query): Query<LoginQuery>) -> Response {
    let notice = match query.reason.as_deref() {
        Some("idle") => Some("You were signed out after a period of inactivity."),
        Some("signed_out") => Some("You are signed out."),
        _ => None,
    };
    super::render(&LoginPage { notice })
}

#[derive(askama::Template)]
#[template(path = "console/setup.html")]
struct SetupPage {
    /// An invited person's page rather than the first administrator's.
    invitation: bool,
    /// A reset link's page: the person exists and chooses new credentials.
    reset: bool,
}

/// `GET /setup`: the page the one-time setup link opens. The script reads the
/// token from the fragment and calls `POST /api/v1/setup`.
pub(crate) async fn setup() -> Response {
    super::render(&SetupPage {
        invitation: false,
        reset: false,
    })
}

/// `GET /welcome`: the page an invitation link opens; the script calls
/// `POST /api/v1/invitations/redeem`.
pub(crate) async fn welcome() -> Response {
    super::render(&SetupPage {
        invitation: true,
        reset: false,
    })
}

/// `GET /reset`: the page a reset link opens; redeemed like an invitation.
pub(crate) async fn reset() -> Response {
    super::render(&SetupPage {
        invitation: true,
        reset: true,
    })
}

#[derive(askama::Template)]
#[template(path = "console/enrol_device.html")]
struct EnrolDevicePage;

/// `GET /console/enrol-device`: redeem an enrolment code in this browser (the
/// script calls `POST /api/v1/auth/devices/enrol`, which sets the device cookie).
pub(crate) async fn enrol_device() -> Response {
    super::render(&EnrolDevicePage)
}
