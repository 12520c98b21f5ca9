//! Changing settings: a JSON merge patch (RFC 7396) of names to values, `null`
//! returning a setting to the file's value, applied over the changes stored
//! now. Checked whole before anything changes, recorded in the audit trail
//! before it is stored, then applied. If the store fails after the record, the
//! trail holds a change that did not happen and the caller gets `503`: the
//! trail may say more than happened, never less.

use custos_audit::{Activity, Actor, AuditEvent, Outcome};
use custos_store::{AccountStore as _, SettingRecord};
use serde_json::{Map, Value};

use std::sync::Arc;

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

/// Applies `patch` for `actor` (stored rows name its account) over the changes
/// stored now: returns the names whose value in force or stored change moved
/// (none: nothing was recorded or stored).
pub async fn change(
    state: &AppState,
    actor: Actor,
    patch: &Map<String, Value>,
) -> Result<Vec<SettingName>, SettingsChangeError> {
    let username = actor.name.clone().unwrap_or_default();
    let username = username.as_str();
    let live = state.settings();
    let _writing = live.writer.lock().await;
    let now = state.clock().unix_now().0;
    let before = live.get();
    // The stored rows, not this node's view of them: a change another node made
    // in the last minute, or a row ignored as outside the rules, is the base too.
    let stored = super::stored_changes(state.store()).await?;
    let overrides = patched(live, &stored, patch, username, now)?;
    let after =
        resolve(live.file(), live.profile(), &overrides).map_err(SettingsChangeError::Invalid)?;
    let touched: Vec<SettingName> = SettingName::all()
        .into_iter()
        .filter(|name| {
            before.value(*name) != after.value(*name) || stored.get(name) != overrides.get(name)
        })
        .collect();
    if touched.is_empty() {
        return Ok(touched);
    }
    let old = |name: SettingName| {
        stored
            .get(&name)
            .map_or_else(|| before.value(name), |c| c.value.clone())
    };
    record(state.audit(), state.clock(), actor, &touched, old, &after).await?;
    let removed: Vec<String> = stored
        .keys()
        .filter(|name| !overrides.contains_key(name))
        .map(ToString::to_string)
        .collect();
    let changed: Vec<SettingRecord> = overrides
        .iter()
        .filter(|(name, change)| stored.get(name) != Some(change))
        .map(|(name, change)| SettingRecord {
            name: name.to_string(),
            value: change.value.to_string(),
            changed_by: change.changed_by.clone(),
            changed_at: change.changed_at,
        })
        .collect();
    state.store().change_settings(&removed, &changed).await?;
    live.install(super::InForce {
        settings: Arc::new(after),
        overrides,
        ignored: Overrides::new(),
    });
    Ok(touched)
}

/// `stored` with `patch` applied. A value equal to the file's (once in its normal
/// form) is no change: the setting follows the file. Every problem is reported
/// at once.
fn patched(
    live: &LiveSettings,
    stored: &Overrides,
    patch: &Map<String, Value>,
    username: &str,
    now: i64,
) -> Result<Overrides, SettingsChangeError> {
    let mut overrides = stored.clone();
    let mut problems = Vec::new();
    for (key, value) in patch {
        let Some(name) = SettingName::parse(key) else {
            problems.push(format!("`{key}` is not a setting that can change here"));
            continue;
        };
        if value.is_null() {
            overrides.remove(&name);
            continue;
        }
        let mut scratch = live.file().clone();
        if let Err(problem) = scratch.set(name, value) {
            problems.push(problem);
            continue;
        }
        let value = scratch.value(name);
        if value == live.file().value(name) {
            overrides.remove(&name);
        } else if overrides.get(&name).is_none_or(|c| c.value != value) {
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
    if problems.is_empty() {
        Ok(overrides)
    } else {
        Err(SettingsChangeError::Invalid(problems))
    }
}

/// `settings.change`: each setting changed, with its old (stored or in force)
/// and new value (settings hold no secret and no customer value).
async fn record(
    audit: &AuditLog,
    clock: &dyn Clock,
    actor: Actor,
    touched: &[SettingName],
    old: impl Fn(SettingName) -> Value,
    after: &super::Settings,
) -> Result<(), SettingsChangeError> {
    let names: Vec<String> = touched.iter().map(ToString::to_string).collect();
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
    for name in touched {
        event = event.with_detail(
            &name.to_string(),
            &format!("{} -> {}", old(*name), after.value(*name)),
        );
    }
    audit
        .record(event)
        .await
        .map(drop)
        .map_err(|_| SettingsChangeError::Audit)
}
