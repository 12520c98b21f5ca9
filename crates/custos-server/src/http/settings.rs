//! The settings that change at run time over the API: `GET /api/v1/settings`
//! lists each with its value in force, the configuration file's value and who
//! changed it; `PATCH /api/v1/settings` changes some (a JSON merge patch, `null`
//! returning one to the file's value). See [`crate::settings`].

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::authz::{Action, Resource};
use crate::config::ComplianceProfile;
use crate::http::caller::Caller;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::rfc3339;
use crate::settings::{InForce, LiveSettings, SettingName, SettingsChangeError};
use crate::state::AppState;
use crate::vault::masking::MaskStyle;

/// One setting.
#[derive(Serialize, ToSchema)]
pub struct SettingView {
    /// Its name: the configuration file's key, or `masking.<field>.<audience>`.
    pub name: String,
    /// What it is, in plain words.
    pub label: String,
    /// The value in force.
    #[schema(value_type = Object)]
    pub value: Value,
    /// The configuration file's value (the value in force unless changed here).
    #[schema(value_type = Object)]
    pub file_value: Value,
    /// A stored change not applied because it breaks the rules (the compliance
    /// profile changed since): its value. Send `null` to remove it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub ignored_value: Option<Value>,
    /// Who changed it, if it differs from the file (or, if ignored, who stored that).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed_by: Option<String>,
    /// When (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed_at: Option<String>,
    /// For masking: the styles allowed, from the most shown to the most hidden.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub choices: Option<Vec<&'static str>>,
}

/// The settings.
#[derive(Serialize, ToSchema)]
pub struct SettingsView {
    /// `pci` or `custom`: whose limits the values keep.
    pub profile: &'static str,
    /// Every setting that can change here.
    pub settings: Vec<SettingView>,
    /// After a change: the settings whose value changed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changed: Vec<String>,
}

/// The settings as they are now.
pub(crate) fn view(state: &AppState) -> SettingsView {
    let live = state.settings();
    view_of(live, &live.snapshot())
}

/// The settings of one snapshot (a page that also shows values in force takes
/// one snapshot for both).
pub(crate) fn view_of(live: &LiveSettings, snapshot: &InForce) -> SettingsView {
    SettingsView {
        profile: match live.profile() {
            ComplianceProfile::Pci => "pci",
            ComplianceProfile::Custom => "custom",
        },
        settings: SettingName::all()
            .into_iter()
            .map(|name| {
                let ignored = snapshot.ignored.get(&name);
                let change = snapshot.overrides.get(&name).or(ignored);
                SettingView {
                    name: name.to_string(),
                    label: name.label(),
                    value: snapshot.settings.value(name),
                    file_value: live.file().value(name),
                    ignored_value: ignored.map(|c| c.value.clone()),
                    changed_by: change.map(|c| c.changed_by.clone()),
                    changed_at: change.map(|c| rfc3339(c.changed_at)),
                    choices: match name {
                        SettingName::Masking(field, _) => Some(
                            MaskStyle::choices(field)
                                .iter()
                                .map(|s| s.as_str())
                                .collect(),
                        ),
                        _ => None,
                    },
                }
            })
            .collect(),
        changed: Vec::new(),
    }
}

/// The settings that change at run time: sessions, lockout, retention, masking.
#[utoipa::path(get, path = "/api/v1/settings", tag = "settings",
    responses(
        (status = 200, description = "Every setting, its value, the file's and who changed it", body = SettingsView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not allowed", body = ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<SettingsView>, ApiError> {
    super::authorize(
        &state,
        &caller,
        Action::ReadSettings,
        &Resource::Settings,
        "settings",
    )
    .await?;
    Ok(Json(view(&state)))
}

/// Change settings (administrators, after a fresh second factor): a JSON object
/// of names to values, `null` for the configuration file's value, e.g.
/// `{"session.idle_timeout_secs": 600, "masking.phone.servicing": "last_two"}`.
/// Checked whole against the configuration's rules; applied at once; audited
/// as `settings.change` with each old and new value.
#[utoipa::path(patch, path = "/api/v1/settings", tag = "settings",
    request_body(content = Object, description = "Setting names to new values; null returns one to the file's value"),
    responses(
        (status = 200, description = "Changed (or nothing to change); the settings now", body = SettingsView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not allowed, or a fresh second factor is needed", body = ErrorBody),
        (status = 422, description = "An unknown setting or a value outside the rules; nothing changed", body = ErrorBody),
        (status = 503, description = "The audit trail or the store is unavailable; the change is not applied", body = ErrorBody)))]
pub async fn change(
    State(state): State<AppState>,
    caller: Caller,
    Json(patch): Json<Map<String, Value>>,
) -> Result<Json<SettingsView>, ApiError> {
    super::authorize(
        &state,
        &caller,
        Action::WriteSettings,
        &Resource::Settings,
        "settings",
    )
    .await?;
    let ip = caller.ip_text();
    let changed = crate::settings::change(&state, caller.principal.actor(ip.as_deref()), &patch)
        .await
        .map_err(|e| match e {
            SettingsChangeError::Invalid(_) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_settings",
                e.to_string(),
            ),
            SettingsChangeError::Audit => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "audit_unavailable",
                "The audit trail cannot be written.",
            ),
            SettingsChangeError::Store(e) => ApiError::unavailable(&e),
        })?;
    let mut view = view(&state);
    view.changed = changed.iter().map(ToString::to_string).collect();
    Ok(Json(view))
}
