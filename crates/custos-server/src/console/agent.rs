//! The agent's workspace (and a supervisor's view of the team's): open
//! interactions, and one interaction with its masked customer panel, the
//! verification step, the reveal dialog and the redacted conversation.

use axum::extract::{Path, State};
use axum::response::Response;

use super::{Chrome, Viewer, error_page, render};
use crate::authz::Action;
use crate::http::customers::CustomerView;
use crate::http::interactions::{InteractionSummary, InteractionView};
use crate::state::AppState;

#[derive(askama::Template)]
#[template(path = "console/interactions.html")]
struct InteractionsPage {
    chrome: Chrome,
    interactions: Vec<InteractionSummary>,
}

/// `GET /console/interactions`: the open interactions the person may read.
pub(crate) async fn interactions(State(state): State<AppState>, viewer: Viewer) -> Response {
    let chrome = viewer.chrome(&state, "/console/interactions");
    match crate::http::interactions::list(State(state), viewer.caller).await {
        Ok(list) => render(&InteractionsPage {
            chrome,
            interactions: list.0.interactions,
        }),
        Err(e) => error_page(&e),
    }
}

/// One field of the customer panel.
struct FieldRow {
    /// The API's field name (`ssn`, …), for the reveal request.
    key: &'static str,
    label: &'static str,
    /// The masked form; `None` while the panel shows the header only.
    masked: Option<String>,
}

/// The customer panel's rows, masked as the API answered.
fn field_rows(customer: CustomerView) -> Vec<FieldRow> {
    let row = |key, label, masked| FieldRow { key, label, masked };
    vec![
        row("name", "Name", customer.name),
        row("email", "Email", customer.email),
        row("phone", "Phone", customer.phone),
        row("date_of_birth", "Date of birth", customer.date_of_birth),
        row("ssn", "Social Security number", customer.ssn),
        row("address", "Address", customer.address),
        row("account_number", "Account number", customer.account_number),
    ]
}

/// The card on file, as far as the role may see it.
fn card_line(customer: &CustomerView) -> Option<String> {
    customer.card.as_ref().map(|card| {
        let expiry = card
            .expiry
            .as_deref()
            .map(|e| format!(", expires {e}"))
            .unwrap_or_default();
        format!("{} ending {}{}", card.brand, card.last4, expiry)
    })
}

/// Snake-case codes with a readable label each: `date_of_birth` → "Date of birth".
fn labelled(codes: &[String]) -> Vec<(String, String)> {
    codes
        .iter()
        .map(|code| {
            let words = code.replace('_', " ");
            let mut chars = words.chars();
            let label = chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect())
                .unwrap_or_default();
            (code.clone(), label)
        })
        .collect()
}

#[derive(askama::Template)]
#[template(path = "console/interaction.html")]
struct InteractionPage {
    chrome: Chrome,
    interaction: InteractionView,
    header_only: bool,
    fields: Vec<FieldRow>,
    card: Option<String>,
    /// Reason codes with their labels.
    reasons: Vec<(String, String)>,
    /// Knowledge questions (`date_of_birth`, …) with their labels.
    questions: Vec<(String, String)>,
    /// Agents of the interaction's team it may be given to, when the viewer may
    /// reassign it (a supervisor of the team); empty otherwise.
    reassign_to: Vec<String>,
}

/// The active agents of the interaction's team other than its own, if the viewer
/// may reassign it.
async fn reassign_choices(
    state: &AppState,
    viewer: &Viewer,
    interaction: &InteractionView,
) -> Vec<String> {
    use custos_store::{AccountStore as _, VaultStore as _};
    let Ok(Some(record)) = state.store().interaction(interaction.id).await else {
        return Vec::new();
    };
    let may = viewer.may(
        state,
        Action::OpenInteraction,
        &crate::http::interactions::resource(state, &record),
    );
    if !may || interaction.status != "open" {
        return Vec::new();
    }
    let team = record.agent_team.unwrap_or_default();
    state
        .store()
        .list_users()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|u| u.role == "agent" && u.disabled_at.is_none())
        .filter(|u| u.team.as_deref().unwrap_or_default() == team && u.id != record.agent_id)
        .map(|u| u.username)
        .collect()
}

/// `GET /console/interactions/{id}`.
pub(crate) async fn interaction(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Response {
    let chrome = viewer.chrome(&state, "/console/interactions");
    let interaction = match crate::http::interactions::read(
        State(state.clone()),
        viewer.caller.clone(),
        Path(id),
    )
    .await
    {
        Ok(view) => view.0,
        Err(e) => return error_page(&e),
    };
    let customer = match crate::http::customers::read(
        State(state.clone()),
        viewer.caller.clone(),
        Path(interaction.customer_id.to_string()),
    )
    .await
    {
        Ok(view) => view.0,
        Err(e) => return error_page(&e),
    };
    let card = card_line(&customer);
    let reassign_to = reassign_choices(&state, &viewer, &interaction).await;
    render(&InteractionPage {
        reassign_to,
        chrome,
        header_only: customer.header_only,
        fields: field_rows(customer),
        card,
        reasons: labelled(state.vault().reveal_reasons()),
        questions: labelled(&state.config().verification.questions),
        interaction,
    })
}
