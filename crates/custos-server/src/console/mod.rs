//! The web console: server-rendered pages for people, from askama templates
//! compiled into the binary, with one stylesheet and one script of our own (no
//! inline script or style, nothing from another origin, so the strict CSP holds).
//!
//! Pages read through the same handlers as the JSON API, so every page is
//! authorized by the same Cedar policies and audited like the API call it makes.
//! Actions (sign-in, verification, reveal, alert handling, unlocking) are made by
//! the page script against the JSON API with the session cookie; the caller
//! extractor's same-origin check is the CSRF protection for both.
//!
//! See `docs/design/0008-web-console.md`.

mod account;
mod agent;
mod assets;
mod chrome;
mod governance;
mod integrations;
mod login;
mod posture;
mod security;
mod settings;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;

use crate::auth::Principal;
use crate::http::caller::Caller;
use crate::http::error::ApiError;
use crate::state::AppState;

pub(crate) use chrome::Chrome;

/// The console's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/console") }))
        .route("/console", get(home))
        .route("/console/login", get(login::page))
        .route("/setup", get(login::setup))
        .route("/welcome", get(login::welcome))
        .route("/reset", get(login::reset))
        .route("/console/static/{file}", get(assets::serve))
        .route("/console/interactions", get(agent::interactions))
        .route("/console/interactions/{id}", get(agent::interaction))
        .route("/console/audit", get(security::audit))
        .route("/console/alerts", get(security::alerts))
        .route("/console/alerts/{id}", get(security::alert))
        .route("/console/people", get(security::people))
        .route("/console/people/{username}", get(security::person))
        .route("/console/enrol-device", get(login::enrol_device))
        .route("/console/posture", get(posture::dashboard))
        .route("/console/rules", get(governance::rules))
        .route("/console/policies", get(governance::policies))
        .route("/console/settings", get(settings::page))
        .route("/console/account", get(account::page))
        .route("/console/integrations", get(integrations::page))
}

/// A signed-in person looking at a page. Anyone else is sent to the sign-in page;
/// a service token gets a refusal (integrations use the API).
pub(crate) struct Viewer {
    /// The caller, to hand to the API's handlers.
    pub caller: Caller,
}

impl Viewer {
    /// The page frame for this person, with `current` marked in the navigation.
    pub fn chrome(&self, state: &AppState, current: &'static str) -> Chrome {
        Chrome::new(state, &self.caller.principal, current)
    }

    /// Whether the policies let this person do `action` on `resource` once they
    /// have passed a second factor: whether to show the button for it (the API
    /// still decides, and asks for the step-up when it is due).
    pub fn may(
        &self,
        state: &AppState,
        action: crate::authz::Action,
        resource: &crate::authz::Resource,
    ) -> bool {
        state
            .authz()
            .authorize(&self.caller.principal, action, resource, true)
            .allowed
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let caller = match Caller::from_request_parts(parts, state).await {
            Ok(caller) => caller,
            Err(e) if e.status() == StatusCode::UNAUTHORIZED => {
                return Err(Redirect::to("/console/login").into_response());
            }
            Err(e) => return Err(error_page(&e)),
        };
        match caller.principal {
            Principal::Person(_) => Ok(Self { caller }),
            Principal::Service(_) => Err(error_page(&ApiError::new(
                StatusCode::FORBIDDEN,
                "not_a_person",
                "The console is for people; integrations use the API.",
            ))),
        }
    }
}

/// Each role's first page.
async fn home(viewer: Viewer) -> Redirect {
    Redirect::to(chrome::home_of(viewer.caller.principal.role()))
}

/// Renders a template, or the error page if it cannot be.
pub(crate) fn render(template: &impl askama::Template) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "console template failed");
            error_page(&ApiError::from_status(StatusCode::INTERNAL_SERVER_ERROR))
        }
    }
}

/// The error page: what went wrong in plain words, with the API error's status.
#[derive(askama::Template)]
#[template(path = "console/error.html")]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    message: &'a str,
}

/// An API error as a page: a refusal, a missing record, an outage.
pub(crate) fn error_page(error: &ApiError) -> Response {
    let status = error.status();
    let title = match status {
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::NOT_FOUND => "Not found",
        s if s.is_server_error() => "Something went wrong",
        _ => "This did not work",
    };
    let page = ErrorPage {
        status: status.as_u16(),
        title,
        message: error.message(),
    };
    let html =
        askama::Template::render(&page).unwrap_or_else(|_| "Something went wrong.".to_owned());
    (status, Html(html)).into_response()
}
