//! The settings page: how Custos is set up to protect data, read from the running
//! configuration and the masking table itself (so the page cannot drift from what
//! the server does). Settings change in the configuration file, which
//! `custos config check` validates; this page only shows them.

use axum::extract::State;
use axum::response::Response;
use custos_store::VaultStore as _;

use super::{Chrome, Viewer, error_page, render};
use crate::authz::{Action, Resource};
use crate::http::error::ApiError;
use crate::http::rfc3339;
use crate::state::AppState;
use crate::vault::fields::{Field, parse_value};
use crate::vault::masking::{Audience, mask};

/// Made-up example values, one per field, shown masked.
const EXAMPLES: &[(Field, &str)] = &[
    (Field::Name, "Jane Q Doe"),
    (Field::Email, "jane.doe@example.com"),
    (Field::Phone, "+1 555 010 4477"),
    (Field::DateOfBirth, "1984-03-09"),
    (Field::Ssn, "123-45-6789"),
    (Field::Address, "12 Main St, Springfield, IL 62704"),
    (Field::AccountNumber, "000123456789"),
];

/// One row of the masking table.
struct MaskRow {
    field: &'static str,
    servicing: String,
    integration: String,
    investigation: String,
}

fn masking_table() -> Vec<MaskRow> {
    EXAMPLES
        .iter()
        .filter_map(|&(field, raw)| {
            let value = parse_value(field, raw).ok()?;
            let shown = |audience| mask(field, &value.value, audience);
            Some(MaskRow {
                field: field.as_str(),
                servicing: shown(Audience::Servicing),
                integration: shown(Audience::Integration),
                investigation: shown(Audience::Investigation),
            })
        })
        .collect()
}

/// A key-encryption key's version and creation time.
struct KeyRow {
    version: u32,
    created_at: String,
}

#[derive(askama::Template)]
#[template(path = "console/settings.html")]
struct SettingsPage {
    chrome: Chrome,
    masking: Vec<MaskRow>,
    idle_secs: u64,
    absolute_secs: u64,
    lockout_threshold: u32,
    lockout_secs: u64,
    audit_retention_days: u64,
    idle_close_secs: u64,
    keep_raw: Vec<String>,
    reveal_reasons: Vec<String>,
    keys: Vec<KeyRow>,
}

/// `GET /console/settings`: for those who may read the policies in force.
pub(crate) async fn page(State(state): State<AppState>, viewer: Viewer) -> Response {
    if let Err(e) = crate::http::authorize(
        &state,
        &viewer.caller,
        Action::ReadPolicies,
        &Resource::PolicyStore,
        "settings",
    )
    .await
    {
        return error_page(&e);
    }
    let keys = match state.store().vault_keks().await {
        Ok(keks) => keks
            .into_iter()
            .map(|k| KeyRow {
                version: k.version,
                created_at: rfc3339(k.created_at),
            })
            .collect(),
        Err(e) => return error_page(&ApiError::unavailable(&e)),
    };
    let config = state.config();
    render(&SettingsPage {
        chrome: viewer.chrome(&state, "/console/settings"),
        masking: masking_table(),
        idle_secs: config.session.idle_timeout.as_secs(),
        absolute_secs: config.session.absolute_timeout.as_secs(),
        lockout_threshold: config.lockout.threshold,
        lockout_secs: config.lockout.duration.as_secs(),
        audit_retention_days: config.audit.retention_days,
        idle_close_secs: config.conversations.idle_close.as_secs(),
        keep_raw: config.conversations.keep_raw.clone(),
        reveal_reasons: state.vault().reveal_reasons().to_vec(),
        keys,
    })
}
