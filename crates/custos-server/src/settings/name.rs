//! The names of the settings that change at run time: the configuration file's
//! keys (`session.idle_timeout_secs`), and `masking.<field>.<audience>` for the
//! masking table, which has no place in the file.

use std::fmt;

use crate::vault::fields::Field;
use crate::vault::masking::Audience;

/// One setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SettingName {
    /// `session.idle_timeout_secs`.
    IdleTimeout,
    /// `session.absolute_timeout_secs`.
    AbsoluteTimeout,
    /// `auth.lockout_threshold`.
    LockoutThreshold,
    /// `auth.lockout_secs`.
    LockoutDuration,
    /// `audit.retention_days`.
    AuditRetentionDays,
    /// `conversations.idle_close_secs`.
    IdleClose,
    /// `conversations.keep_raw`.
    KeepRaw,
    /// `masking.<field>.<audience>`.
    Masking(Field, Audience),
}

const PLAIN: [(SettingName, &str); 7] = [
    (SettingName::IdleTimeout, "session.idle_timeout_secs"),
    (
        SettingName::AbsoluteTimeout,
        "session.absolute_timeout_secs",
    ),
    (SettingName::LockoutThreshold, "auth.lockout_threshold"),
    (SettingName::LockoutDuration, "auth.lockout_secs"),
    (SettingName::AuditRetentionDays, "audit.retention_days"),
    (SettingName::IdleClose, "conversations.idle_close_secs"),
    (SettingName::KeepRaw, "conversations.keep_raw"),
];

impl SettingName {
    /// Every setting: the plain ones, then masking by field and audience.
    pub fn all() -> Vec<Self> {
        let mut all: Vec<Self> = PLAIN.iter().map(|(name, _)| *name).collect();
        for field in Field::ALL {
            for audience in Audience::ALL {
                all.push(Self::Masking(field, audience));
            }
        }
        all
    }

    /// The setting called `text`.
    pub fn parse(text: &str) -> Option<Self> {
        if let Some((name, _)) = PLAIN.iter().find(|(_, key)| *key == text) {
            return Some(*name);
        }
        let (field, audience) = text.strip_prefix("masking.")?.split_once('.')?;
        let field = Field::parse(field)?;
        let audience = Audience::ALL.into_iter().find(|a| a.as_str() == audience)?;
        Some(Self::Masking(field, audience))
    }

    /// What the setting is, in plain words.
    pub fn label(self) -> String {
        match self {
            Self::IdleTimeout => "Idle timeout (seconds)".to_owned(),
            Self::AbsoluteTimeout => "Absolute timeout (seconds)".to_owned(),
            Self::LockoutThreshold => "Failed sign-ins before a lockout".to_owned(),
            Self::LockoutDuration => "Lockout duration (seconds)".to_owned(),
            Self::AuditRetentionDays => "Audit trail kept (days)".to_owned(),
            Self::IdleClose => "Idle interactions close after (seconds)".to_owned(),
            Self::KeepRaw => "Raw conversations kept for channels".to_owned(),
            Self::Masking(field, audience) => {
                format!("{} for {}", field.as_str(), audience.label())
            }
        }
    }
}

impl fmt::Display for SettingName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Masking(field, audience) => {
                write!(f, "masking.{}.{}", field.as_str(), audience.as_str())
            }
            plain => {
                let key = PLAIN
                    .iter()
                    .find(|(name, _)| name == plain)
                    .map_or("", |(_, key)| key);
                f.write_str(key)
            }
        }
    }
}
