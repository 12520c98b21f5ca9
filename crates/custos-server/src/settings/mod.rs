//! Settings an administrator changes while Custos runs: session lifetimes, the
//! account lockout, retention (audit trail, idle interactions, raw copies) and
//! masking. The configuration file gives each its starting value; a change made
//! from the console or `PATCH /api/v1/settings` is stored in the database over
//! it, applies at once (to sessions already open too), and is in the audit
//! trail. A setting set back to the file's value follows the file again.
//!
//! Every value passes the same rules as the file (`custos config check`): the PCI
//! profile's limits hold here too, and masking can only pick among the styles
//! [`MaskStyle::choices`] allows. Stored changes that no longer pass (the file's
//! compliance profile changed since) are ignored with an error in the log and
//! listed as ignored until an administrator removes them, so the server falls
//! back to the file's validated values rather than running outside the limits.
//! Nodes sharing a database pick up each other's changes within a minute
//! (`reload_shared_state`).

mod change;
mod name;

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use custos_store::{AccountStore as _, SettingRecord, Store, StoreError};
use serde_json::Value;

pub use change::{SettingsChangeError, change};
pub use name::SettingName;

use crate::config::{CHANNELS, ComplianceProfile, Config, LockoutPolicy, SessionPolicy};
use crate::vault::masking::{MaskStyle, MaskingPolicy};

/// The values in force of the settings that change at run time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Session lifetimes.
    pub session: SessionPolicy,
    /// Account lockout.
    pub lockout: LockoutPolicy,
    /// Days the audit trail is kept before it may be archived and pruned.
    pub audit_retention_days: u64,
    /// Idle time after which an interaction closes.
    pub idle_close: Duration,
    /// Channels whose raw content is kept, sealed under the customer's key.
    pub keep_raw: Vec<String>,
    /// What each audience sees of each field.
    pub masking: MaskingPolicy,
}

impl Settings {
    /// The configuration file's values.
    pub fn from_config(config: &Config) -> Self {
        Self {
            session: config.session,
            lockout: config.lockout,
            audit_retention_days: config.audit.retention_days,
            idle_close: config.conversations.idle_close,
            keep_raw: {
                let mut channels = config.conversations.keep_raw.clone();
                in_channel_order(&mut channels);
                channels
            },
            masking: MaskingPolicy::default(),
        }
    }

    /// The value of `name`, as JSON.
    pub fn value(&self, name: SettingName) -> Value {
        match name {
            SettingName::IdleTimeout => self.session.idle_timeout.as_secs().into(),
            SettingName::AbsoluteTimeout => self.session.absolute_timeout.as_secs().into(),
            SettingName::LockoutThreshold => self.lockout.threshold.into(),
            SettingName::LockoutDuration => self.lockout.duration.as_secs().into(),
            SettingName::AuditRetentionDays => self.audit_retention_days.into(),
            SettingName::IdleClose => self.idle_close.as_secs().into(),
            SettingName::KeepRaw => self.keep_raw.clone().into(),
            SettingName::Masking(field, audience) => {
                self.masking.style(field, audience).as_str().into()
            }
        }
    }

    /// Sets `name` to `value`, checking its type and, for masking, its style; the
    /// rules between values are [`Settings::problems`]'.
    fn set(&mut self, name: SettingName, value: &Value) -> Result<(), String> {
        let seconds = || {
            value
                .as_u64()
                .map(Duration::from_secs)
                .ok_or_else(|| format!("{name}: must be a whole number of seconds"))
        };
        let number = || {
            value
                .as_u64()
                .ok_or_else(|| format!("{name}: must be a whole number"))
        };
        match name {
            SettingName::IdleTimeout => self.session.idle_timeout = seconds()?,
            SettingName::AbsoluteTimeout => self.session.absolute_timeout = seconds()?,
            SettingName::LockoutThreshold => {
                self.lockout.threshold = u32::try_from(number()?)
                    .map_err(|_| format!("{name}: must be at most {}", u32::MAX))?;
            }
            SettingName::LockoutDuration => self.lockout.duration = seconds()?,
            SettingName::AuditRetentionDays => self.audit_retention_days = number()?,
            SettingName::IdleClose => self.idle_close = seconds()?,
            SettingName::KeepRaw => {
                let mut channels = value
                    .as_array()
                    .and_then(|items| {
                        items
                            .iter()
                            .map(|c| c.as_str().map(str::to_owned))
                            .collect::<Option<Vec<_>>>()
                    })
                    .ok_or_else(|| format!("{name}: must be a list of channel names"))?;
                in_channel_order(&mut channels);
                self.keep_raw = channels;
            }
            SettingName::Masking(field, audience) => {
                let choices = MaskStyle::choices(field);
                let style = value
                    .as_str()
                    .and_then(|s| MaskStyle::parse(field, s))
                    .ok_or_else(|| {
                        let names: Vec<&str> = choices.iter().map(|c| c.as_str()).collect();
                        format!("{name}: must be one of {}", names.join(", "))
                    })?;
                self.masking.set(field, audience, style);
            }
        }
        Ok(())
    }

    /// What breaks the rules the configuration file's values must also keep.
    pub fn problems(&self, profile: ComplianceProfile) -> Vec<String> {
        let pci = profile == ComplianceProfile::Pci;
        let mut problems = Vec::new();
        crate::config::check_session(
            self.session.idle_timeout.as_secs(),
            self.session.absolute_timeout.as_secs(),
            pci,
            &mut problems,
        );
        crate::config::check_lockout(
            self.lockout.threshold,
            self.lockout.duration.as_secs(),
            pci,
            &mut problems,
        );
        crate::config::check_audit_retention(self.audit_retention_days, pci, &mut problems);
        crate::config::check_idle_close(self.idle_close.as_secs(), &mut problems);
        crate::config::check_keep_raw(&self.keep_raw, &mut problems);
        problems
    }
}

/// Sorts channel names as [`CHANNELS`] lists them (unknown names last), so that
/// the same set is the same value whatever order it was given in.
fn in_channel_order(channels: &mut [String]) {
    channels.sort_by_key(|c| {
        CHANNELS
            .iter()
            .position(|k| k == c)
            .unwrap_or(CHANNELS.len())
    });
}

/// The changes in force, by setting.
pub type Overrides = BTreeMap<SettingName, Change>;

/// A stored change: its value and who made it when.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The value.
    pub value: Value,
    /// The username of who changed it.
    pub changed_by: String,
    /// When (Unix seconds).
    pub changed_at: i64,
}

/// The file's values with `overrides` applied; the problems if they break a rule.
fn resolve(
    file: &Settings,
    profile: ComplianceProfile,
    overrides: &Overrides,
) -> Result<Settings, Vec<String>> {
    let mut settings = file.clone();
    let mut problems = Vec::new();
    for (name, change) in overrides {
        if let Err(problem) = settings.set(*name, &change.value) {
            problems.push(problem);
        }
    }
    problems.extend(settings.problems(profile));
    if problems.is_empty() {
        Ok(settings)
    } else {
        Err(problems)
    }
}

/// The settings in force and the stored changes behind them, as one consistent
/// snapshot.
#[derive(Debug)]
pub struct InForce {
    /// The values in force.
    pub settings: Arc<Settings>,
    /// The stored changes applied.
    pub overrides: Overrides,
    /// Stored changes not applied because they break the rules (the file's
    /// compliance profile changed since): shown, so they can be removed.
    pub ignored: Overrides,
}

/// The settings in force, shared by every service; cheap to read on hot paths.
pub struct LiveSettings {
    file: Settings,
    profile: ComplianceProfile,
    in_force: RwLock<Arc<InForce>>,
    /// Held by a change and by a reload from reading the stored changes to
    /// installing the result: on one node, a reload cannot install what it read
    /// before a change committed, and two changes cannot lose each other's.
    writer: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for LiveSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveSettings")
            .field("settings", &self.get())
            .finish_non_exhaustive()
    }
}

impl LiveSettings {
    /// The configuration file's values, nothing changed.
    pub fn from_config(config: &Config) -> Self {
        let file = Settings::from_config(config);
        Self {
            in_force: RwLock::new(Arc::new(InForce {
                settings: Arc::new(file.clone()),
                overrides: Overrides::new(),
                ignored: Overrides::new(),
            })),
            file,
            profile: config.profile,
            writer: tokio::sync::Mutex::new(()),
        }
    }

    /// The file's values with the changes stored in `store` applied.
    pub async fn load(config: &Config, store: &Store) -> Result<Self, StoreError> {
        let live = Self::from_config(config);
        live.reload(store).await?;
        Ok(live)
    }

    /// The settings in force: take it once per request.
    pub fn get(&self) -> Arc<Settings> {
        self.snapshot().settings.clone()
    }

    /// The settings in force with the changes behind them, read together.
    pub fn snapshot(&self) -> Arc<InForce> {
        self.in_force
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The configuration file's values.
    pub fn file(&self) -> &Settings {
        &self.file
    }

    /// The compliance profile whose limits the values keep.
    pub fn profile(&self) -> ComplianceProfile {
        self.profile
    }

    /// Reads the stored changes again (another node may have made some) and
    /// applies, in name order, each that keeps the whole within the rules; the
    /// others are ignored, with an error in the log when first ignored, until removed.
    pub async fn reload(&self, store: &Store) -> Result<(), StoreError> {
        let _writing = self.writer.lock().await;
        let stored = stored_changes(store).await?;
        let was_ignored = self.snapshot();
        let mut settings = self.file.clone();
        let mut overrides = Overrides::new();
        let mut ignored = Overrides::new();
        for (name, change) in stored {
            let mut trial = overrides.clone();
            trial.insert(name, change.clone());
            match resolve(&self.file, self.profile, &trial) {
                Ok(admitted) => {
                    settings = admitted;
                    overrides = trial;
                }
                Err(problems) => {
                    if was_ignored.ignored.get(&name) != Some(&change) {
                        tracing::error!(
                            setting = %name,
                            problems = %problems.join("; "),
                            "a stored setting breaks the configuration's rules; ignored until removed"
                        );
                    }
                    ignored.insert(name, change);
                }
            }
        }
        self.install(InForce {
            settings: Arc::new(settings),
            overrides,
            ignored,
        });
        Ok(())
    }

    fn install(&self, in_force: InForce) {
        *self
            .in_force
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(in_force);
    }
}

/// Every stored change, by name (rows that do not parse are skipped, logged).
async fn stored_changes(store: &Store) -> Result<Overrides, StoreError> {
    Ok(store
        .settings()
        .await?
        .iter()
        .filter_map(stored_change)
        .collect())
}

/// A stored row as a change; unknown names and malformed JSON are skipped, logged.
fn stored_change(record: &SettingRecord) -> Option<(SettingName, Change)> {
    let Some(name) = SettingName::parse(&record.name) else {
        tracing::error!(setting = %record.name, "an unknown setting is stored; ignored");
        return None;
    };
    let Ok(value) = serde_json::from_str(&record.value) else {
        tracing::error!(setting = %record.name, "a stored setting is not JSON; ignored");
        return None;
    };
    Some((
        name,
        Change {
            value,
            changed_by: record.changed_by.clone(),
            changed_at: record.changed_at,
        },
    ))
}

#[cfg(test)]
mod tests;
