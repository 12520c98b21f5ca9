//! The pages that show how Custos decides: the detection rules (enable or disable
//! one; security officers and administrators) and the Cedar policies in force
//! (read; administrators add validated ones).

use axum::extract::State;
use axum::response::Response;

use super::{Chrome, Viewer, error_page, render};
use crate::authz::{Action, Resource};
use crate::http::alerts::RuleView;
use crate::http::policies::Policies;
use crate::state::AppState;

#[derive(askama::Template)]
#[template(path = "console/rules.html")]
struct RulesPage {
    chrome: Chrome,
    rules: Vec<RuleView>,
}

/// `GET /console/rules`: every detection rule with its state.
pub(crate) async fn rules(State(state): State<AppState>, viewer: Viewer) -> Response {
    let chrome = viewer.chrome(&state, "/console/rules");
    match crate::http::alerts::rules(State(state), viewer.caller).await {
        Ok(list) => render(&RulesPage {
            chrome,
            rules: list.0.rules,
        }),
        Err(e) => error_page(&e),
    }
}

#[derive(askama::Template)]
#[template(path = "console/policies.html")]
struct PoliciesPage {
    chrome: Chrome,
    policies: Policies,
    /// Whether the policy lets the viewer add policies (asked again, with step-up).
    can_add: bool,
}

/// `GET /console/policies`: the schema and every policy, shipped and added.
pub(crate) async fn policies(State(state): State<AppState>, viewer: Viewer) -> Response {
    let chrome = viewer.chrome(&state, "/console/policies");
    let can_add = viewer.may(&state, Action::WritePolicies, &Resource::PolicyStore);
    match crate::http::policies::list(State(state), viewer.caller).await {
        Ok(policies) => render(&PoliciesPage {
            chrome,
            policies: policies.0,
            can_add,
        }),
        Err(e) => error_page(&e),
    }
}
