//! The settings page: sessions, lockout, retention and masking as in force, each
//! with the configuration file's value and who changed it. Administrators change
//! them here (the page script sends `PATCH /api/v1/settings`, after a step-up);
//! others read them. Reveal reasons and key-encryption keys are shown from the
//! configuration and the keyring (they change in the file and with
//! `custos keys rotate`).

use axum::extract::{Query, State};
use axum::response::Response;
use custos_store::VaultStore as _;
use serde_json::Value;

use super::{Chrome, Viewer, error_page, render};
use crate::authz::{Action, Resource};
use crate::config::CHANNELS;
use crate::http::error::ApiError;
use crate::http::rfc3339;
use crate::http::settings::SettingView;
use crate::settings::{SettingName, Settings};
use crate::vault::fields::{Field, parse_value};
use crate::vault::masking::{Audience, MaskStyle};

/// Made-up example values, one per field, shown masked.
const EXAMPLES: &[(Field, &str)] = &[
    (Field::Name, "Jane Q Doe"),
    (Field::Email, "jane.doe@example.com"),
    (Field::Phone, "+1 555 010 4477"),
    (Field::DateOfBirth, "1984-03-09"),
    (Field::Ssn, "123-45-6789"),
    (Field::Address, "12 Main St, Springfield, IL 62704"),
    (Field::AccountNumber, "000123456789"),
    (Field::CardNumber, "4111111111111111"),
    (Field::CardExpiry, "09/29"),
];

/// A setting as the page shows it.
struct Row {
    name: String,
    label: String,
    /// The value in force, as typed in the form.
    value: String,
    /// The file's value, as shown.
    file_value: String,
    /// "changed by root at …", if it differs from the file.
    changed: Option<String>,
    /// A stored change ignored as outside the rules: its value, as shown.
    ignored: Option<String>,
}

/// One cell of the masking table.
struct MaskCell {
    name: String,
    audience_label: &'static str,
    style: &'static str,
    /// (style, label) for the select.
    choices: Vec<(&'static str, &'static str)>,
    example: String,
    changed: Option<String>,
}

/// One field's row of the masking table.
struct MaskRow {
    field: &'static str,
    cells: Vec<MaskCell>,
}

/// A channel whose raw copy may be kept.
struct Channel {
    name: &'static str,
    kept: bool,
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
    can_change: bool,
    saved: bool,
    profile: &'static str,
    sessions: Vec<Row>,
    retention: Vec<Row>,
    keep_raw: Row,
    channels: Vec<Channel>,
    masking: Vec<MaskRow>,
    reveal_reasons: Vec<String>,
    keys: Vec<KeyRow>,
}

/// `?saved=1` after the page script saved a change.
#[derive(serde::Deserialize)]
pub(crate) struct SettingsQuery {
    #[serde(default)]
    saved: Option<u8>,
}

fn shown(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) if items.is_empty() => "none".to_owned(),
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().unwrap_or_default())
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

fn changed(view: &SettingView) -> Option<String> {
    Some(format!(
        "changed by {} at {}",
        view.changed_by.as_deref()?,
        view.changed_at.as_deref()?
    ))
}

fn row(view: &SettingView) -> Row {
    Row {
        name: view.name.clone(),
        label: view.label.clone(),
        value: shown(&view.value),
        file_value: shown(&view.file_value),
        changed: changed(view),
        ignored: view.ignored_value.as_ref().map(shown),
    }
}

fn masking_table(in_force: &Settings, views: &[SettingView]) -> Vec<MaskRow> {
    EXAMPLES
        .iter()
        .map(|&(field, raw)| MaskRow {
            field: field.as_str(),
            cells: Audience::ALL
                .into_iter()
                .map(|audience| {
                    let name = SettingName::Masking(field, audience).to_string();
                    let style = in_force.masking.style(field, audience);
                    let example = parse_value(field, raw)
                        .map(|v| in_force.masking.mask(field, &v.value, audience))
                        .unwrap_or_default();
                    MaskCell {
                        changed: views.iter().find(|v| v.name == name).and_then(changed),
                        name,
                        audience_label: audience.label(),
                        style: style.as_str(),
                        choices: MaskStyle::choices(field)
                            .iter()
                            .map(|s| (s.as_str(), s.label()))
                            .collect(),
                        example,
                    }
                })
                .collect(),
        })
        .collect()
}

/// `GET /console/settings`: for those who may read the settings.
pub(crate) async fn page(
    State(state): State<crate::state::AppState>,
    Query(query): Query<SettingsQuery>,
    viewer: Viewer,
) -> Response {
    if let Err(e) = crate::http::authorize(
        &state,
        &viewer.caller,
        Action::ReadSettings,
        &Resource::Settings,
        "settings",
    )
    .await
    {
        return error_page(&e);
    }
    let snapshot = state.settings().snapshot();
    let view = crate::http::settings::view_of(state.settings(), &snapshot);
    let in_force = &snapshot.settings;
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
    let rows_of = |names: &[SettingName]| -> Vec<Row> {
        names
            .iter()
            .filter_map(|name| {
                let name = name.to_string();
                view.settings.iter().find(|v| v.name == name).map(row)
            })
            .collect()
    };
    let Some(keep_raw) = rows_of(&[SettingName::KeepRaw]).pop() else {
        return error_page(&ApiError::from_status(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        ));
    };
    render(&SettingsPage {
        chrome: viewer.chrome(&state, "/console/settings"),
        can_change: viewer.may(&state, Action::WriteSettings, &Resource::Settings),
        saved: query.saved == Some(1),
        profile: view.profile,
        sessions: rows_of(&[
            SettingName::IdleTimeout,
            SettingName::AbsoluteTimeout,
            SettingName::LockoutThreshold,
            SettingName::LockoutDuration,
        ]),
        retention: rows_of(&[SettingName::AuditRetentionDays, SettingName::IdleClose]),
        keep_raw,
        channels: CHANNELS
            .iter()
            .map(|&name| Channel {
                name,
                kept: in_force.keep_raw.iter().any(|k| k == name),
            })
            .collect(),
        masking: masking_table(in_force, &view.settings),
        reveal_reasons: state.vault().reveal_reasons().to_vec(),
        keys,
    })
}
