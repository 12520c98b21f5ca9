//! Configuration in two steps: a TOML file plus `CUSTOS_<SECTION>__<KEY>`
//! environment overrides are read into [`FileConfig`] (unknown keys refused),
//! then validated into the runtime [`Config`] the server runs on.
//!
//! Precedence, highest first: command-line flags, environment, file, defaults.
//! Secrets (database and SMTP URLs, the SIEM token) are kept in secret types and never printed.

mod conversations;
mod env;
mod file;
mod runtime;

use std::path::{Path, PathBuf};

pub use conversations::{
    CHANNELS, ConversationsConfig, KNOWN_QUESTIONS, VerificationConfig, WebhookSecret, WebhookUrl,
};
pub(crate) use conversations::{check_idle_close, check_keep_raw};
pub use file::FileConfig;
pub use runtime::{
    AuditConfig, ComplianceProfile, Config, ForwardConfig, HttpSinkConfig, LockoutPolicy,
    LogFormat, NetworkRules, NotifyConfig, RootSource, SessionPolicy, SmtpUrl, SyslogSinkConfig,
    TlsSource, VaultConfig,
};
pub(crate) use runtime::{check_audit_retention, check_lockout, check_session};
use thiserror::Error;

/// Flags of the command line that take precedence over file and environment.
#[derive(Debug, Clone, Default)]
pub struct CliOverrides {
    /// `--listen`
    pub listen: Option<String>,
    /// `--data-dir`
    pub data_dir: Option<PathBuf>,
    /// `--database-url`
    pub database_url: Option<String>,
}

/// Why a configuration could not be loaded. Each message names the key at fault.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read configuration file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML or has unknown keys or wrong types.
    #[error("in configuration file {path}: {message}")]
    File {
        /// The file.
        path: PathBuf,
        /// The parser's explanation, with the key and line.
        message: String,
    },
    /// An environment override names an unknown key or has a wrong type.
    #[error("in environment variable {var}: {message}")]
    Env {
        /// The variable.
        var: String,
        /// What is wrong with it.
        message: String,
    },
    /// Values that parse but break a rule; every problem is listed.
    #[error("invalid configuration:\n{}", .0.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<String>),
}

/// Reads `file` (if any), applies the environment `vars` and the command-line
/// `overrides`, and validates the result.
pub fn load(
    file: Option<&Path>,
    vars: impl IntoIterator<Item = (String, String)>,
    overrides: &CliOverrides,
) -> Result<Config, ConfigError> {
    let mut table = match file {
        Some(path) => file::read_table(path)?,
        None => toml::Table::new(),
    };
    env::apply_overrides(&mut table, vars)?;
    let parsed = file::parse_table(table).map_err(|message| ConfigError::File {
        path: file.map(Path::to_path_buf).unwrap_or_default(),
        message,
    })?;
    runtime::validate(parsed, overrides)
}

/// Loads with the process environment.
pub fn load_from_process(
    file: Option<&Path>,
    overrides: &CliOverrides,
) -> Result<Config, ConfigError> {
    load(file, std::env::vars(), overrides)
}

#[cfg(test)]
mod tests;
