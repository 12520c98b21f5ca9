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
//! compliance profile changed since) are ignored with an error in the log, so the
//! server falls back to the file's validated values rather than running outside
//! the limits. Nodes sharing a database pick up each other's changes within a
//! minute (`reload_shared_state`).

mod change;
mod name;

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use custos_store::{AccountStore as _, SettingRecord, Store, StoreError};
use serde_json::Value;

pub use change::{SettingsChangeError, change};
pub use name::SettingName;

use crate::config::{ComplianceProfile, Config, LockoutPolicy, SessionPolicy};
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
            keep_raw: config.conversations.keep_raw.clone(),
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
                self.keep_raw = value
                    .as_array()
                    .and_then(|items| {
                        items
                            .iter()
                            .map(|c| c.as_str().map(str::to_owned))
                            .collect::<Option<Vec<_>>>()
                    })
                    .ok_or_else(|| format!("{name}: must be a list of channel names"))?;
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

struct InForce {
    settings: Arc<Settings>,
    overrides: Overrides,
}

/// The settings in force, shared by every service; cheap to read on hot paths.
pub struct LiveSettings {
    file: Settings,
    profile: ComplianceProfile,
    in_force: RwLock<InForce>,
    /// Held from reading the stored changes to installing them, by a change and
    /// by a reload: a reload cannot install what it read before a change, and
    /// two changes cannot lose each other's.
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
            in_force: RwLock::new(InForce {
                settings: Arc::new(file.clone()),
                overrides: Overrides::new(),
            }),
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

    /// The settings in force.
    pub fn get(&self) -> Arc<Settings> {
        self.read().settings.clone()
    }

    /// The configuration file's values.
    pub fn file(&self) -> &Settings {
        &self.file
    }

    /// The changes in force.
    pub fn overrides(&self) -> Overrides {
        self.read().overrides.clone()
    }

    /// The compliance profile whose limits the values keep.
    pub fn profile(&self) -> ComplianceProfile {
        self.profile
    }

    /// Reads the stored changes again (another node may have made some); those that
    /// no longer pass the rules are ignored, with an error in the log.
    pub async fn reload(&self, store: &Store) -> Result<(), StoreError> {
        let _writing = self.writer.lock().await;
        let records = store.settings().await?;
        let (masking, others): (Overrides, Overrides) = records
            .into_iter()
            .filter_map(|record| stored_change(&record))
            .partition(|(name, _)| matches!(name, SettingName::Masking(..)));
        // Masking styles stand alone; the other values are checked together, as
        // they were saved, and ignored together if they no longer pass.
        let mut kept = Overrides::new();
        for (name, change) in masking {
            let single = Overrides::from([(name, change)]);
            if resolve(&self.file, self.profile, &single).is_ok() {
                kept.extend(single);
            } else {
                tracing::error!(setting = %name, "a stored masking setting is not valid; the file's value applies");
            }
        }
        let mut together = kept.clone();
        together.extend(others.clone());
        match resolve(&self.file, self.profile, &together) {
            Ok(_) => kept = together,
            Err(problems) => tracing::error!(
                problems = %problems.join("; "),
                "stored settings break the configuration's rules; the file's values apply instead"
            ),
        }
        let settings =
            resolve(&self.file, self.profile, &kept).unwrap_or_else(|_| self.file.clone());
        self.install(settings, kept);
        Ok(())
    }

    fn install(&self, settings: Settings, overrides: Overrides) {
        let mut in_force = self
            .in_force
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *in_force = InForce {
            settings: Arc::new(settings),
            overrides,
        };
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, InForce> {
        self.in_force
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
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
