//! Changing settings: a JSON merge patch (RFC 7396) of names to values, `null`
//! returning a setting to the file's value. Checked whole before anything
//! changes, recorded in the audit trail before it is stored, then applied.

use custos_audit::{Activity, Actor, AuditEvent, Outcome};
use custos_store::{AccountStore as _, SettingRecord};
use serde_json::{Map, Value};

use super::{Change, LiveSettings, Overrides, SettingName, resolve};
use crate::audit::{AuditLog, event_time_ms};
use crate::clock::Clock;
use crate::state::AppState;

/// Why a change was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum SettingsChangeError {
    /// Unknown names, wrong types or values outside the rules; nothing changed.
    #[error("{}", .0.join("; "))]
    Invalid(Vec<String>),
    /// The audit trail could not record the change; nothing changed.
    #[error("the audit trail cannot be written")]
    Audit,
    /// The store failed after the change was recorded.
    #[error(transparent)]
    Store(#[from] custos_store::StoreError),
}

/// Applies `patch` for `username` (the audit trail's `actor`): returns the names
/// whose value in force changed (none: nothing was recorded or stored).
pub async fn change(
    state: &AppState,
    username: &str,
    actor: Actor,
    patch: &Map<String, Value>,
) -> Result<Vec<SettingName>, SettingsChangeError> {
    let live = state.settings();
    let _writing = live.writer.lock().await;
    let now = state.clock().unix_now().0;
    let before = live.get();
    let overrides = patched(live, patch, username, now)?;
    let after =
        resolve(live.file(), live.profile(), &overrides).map_err(SettingsChangeError::Invalid)?;
    let changed: Vec<SettingName> = SettingName::all()
        .into_iter()
        .filter(|name| before.value(*name) != after.value(*name))
        .collect();
    let old_overrides = live.overrides();
    if changed.is_empty() && old_overrides.keys().eq(overrides.keys()) {
        return Ok(changed);
    }
    if !changed.is_empty() {
        record(
            state.audit(),
            state.clock(),
            actor,
            &changed,
            &before,
            &after,
        )
        .await?;
    }
    let removed: Vec<String> = old_overrides
        .keys()
        .filter(|name| !overrides.contains_key(name))
        .map(ToString::to_string)
        .collect();
    let stored: Vec<SettingRecord> = overrides
        .iter()
        .filter(|(name, change)| old_overrides.get(name) != Some(change))
        .map(|(name, change)| SettingRecord {
            name: name.to_string(),
            value: change.value.to_string(),
            changed_by: change.changed_by.clone(),
            changed_at: change.changed_at,
        })
        .collect();
    state.store().change_settings(&removed, &stored).await?;
    live.install(after, overrides);
    Ok(changed)
}

/// The changes in force with `patch` applied. Values equal to the file's are no
/// change (the setting follows the file); every problem is reported at once.
fn patched(
    live: &LiveSettings,
    patch: &Map<String, Value>,
    username: &str,
    now: i64,
) -> Result<Overrides, SettingsChangeError> {
    let mut overrides = live.overrides();
    let mut problems = Vec::new();
    for (key, value) in patch {
        let Some(name) = SettingName::parse(key) else {
            problems.push(format!("`{key}` is not a setting that can change here"));
            continue;
        };
        let mut scratch = live.file().clone();
        if value.is_null() || *value == live.file().value(name) {
            overrides.remove(&name);
        } else if let Err(problem) = scratch.set(name, value) {
            problems.push(problem);
        } else {
            // Stored in its normal form (as `value` would read it back).
            let value = scratch.value(name);
            if overrides.get(&name).is_none_or(|c| c.value != value) {
                overrides.insert(
                    name,
                    Change {
                        value,
                        changed_by: username.to_owned(),
                        changed_at: now,
                    },
                );
            }
        }
    }
    if problems.is_empty() {
        Ok(overrides)
    } else {
        Err(SettingsChangeError::Invalid(problems))
    }
}

/// `settings.change`: each setting changed, with its old and new value (settings
/// hold no secret and no customer value).
async fn record(
    audit: &AuditLog,
    clock: &dyn Clock,
    actor: Actor,
    changed: &[SettingName],
    before: &super::Settings,
    after: &super::Settings,
) -> Result<(), SettingsChangeError> {
    let names: Vec<String> = changed.iter().map(ToString::to_string).collect();
    let mut event = AuditEvent::new(
        event_time_ms(clock),
        Activity::EntityUpdate,
        "settings.change",
        Outcome::Success,
        actor,
        "Settings changed",
    )
    .with_target("settings", None, None)
    .with_detail("changed", &names.join(","));
    for name in changed {
        event = event.with_detail(
            &name.to_string(),
            &format!("{} -> {}", before.value(*name), after.value(*name)),
        );
    }
    audit
        .record(event)
        .await
        .map(drop)
        .map_err(|_| SettingsChangeError::Audit)
}
