//! The configuration as written in the file: every key optional, unknown keys refused.

use std::path::Path;

use serde::Deserialize;

use super::ConfigError;

/// The whole file. Sections mirror CONTRACT.md.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// `[server]`
    #[serde(default)]
    pub server: ServerSection,
    /// `[tls]`
    #[serde(default)]
    pub tls: TlsSection,
    /// `[storage]`
    #[serde(default)]
    pub storage: StorageSection,
    /// `[session]`
    #[serde(default)]
    pub session: SessionSection,
    /// `[auth]`
    #[serde(default)]
    pub auth: AuthSection,
    /// `[notify]`
    #[serde(default)]
    pub notify: NotifySection,
    /// `[log]`
    #[serde(default)]
    pub log: LogSection,
    /// `[compliance]`
    #[serde(default)]
    pub compliance: ComplianceSection,
    /// `[audit]`
    #[serde(default)]
    pub audit: AuditSection,
    /// `[vault]`
    #[serde(default)]
    pub vault: VaultSection,
    /// `[keys]`
    #[serde(default)]
    pub keys: KeysSection,
    /// `[conversations]`
    #[serde(default)]
    pub conversations: super::conversations::ConversationsSection,
    /// `[verification]`
    #[serde(default)]
    pub verification: super::conversations::VerificationSection,
}

/// `[vault]`: how customer data may be revealed.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VaultSection {
    /// The reason codes a reveal may give (each with free text).
    pub reveal_reasons: Option<Vec<String>>,
    /// Reveals one person may make per hour.
    pub reveal_limit_per_hour: Option<u32>,
}

/// `[keys]`: where the root key comes from.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeysSection {
    /// `file` (the data directory's `root.key`, the default), `env` (`CUSTOS_ROOT_KEY`,
    /// 32 bytes in base64) or `passphrase` (`CUSTOS_ROOT_PASSPHRASE`, stretched with Argon2id).
    pub root_source: Option<String>,
}

/// `[server]`: where and how the HTTPS listener runs.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSection {
    /// Socket address to listen on, e.g. `127.0.0.1:8443`.
    pub listen: Option<String>,
    /// Directory holding keys, certificate and the embedded database.
    pub data_dir: Option<String>,
    /// The address people reach this server by, used in links it prints.
    pub public_url: Option<String>,
    /// Upper bound on handling one request.
    pub request_timeout_secs: Option<u64>,
    /// Largest accepted request body.
    pub body_limit_bytes: Option<u64>,
    /// How long shutdown waits for requests in flight.
    pub shutdown_grace_secs: Option<u64>,
    /// Networks of reverse proxies / load balancers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Option<Vec<String>>,
}

/// `[tls]`: your own certificate instead of the generated self-signed one.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSection {
    /// PEM certificate chain.
    pub cert_file: Option<String>,
    /// PEM private key (PKCS#8, SEC1 or PKCS#1).
    pub key_file: Option<String>,
}

/// `[storage]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageSection {
    /// `sqlite://PATH` or `postgres://…`; the embedded SQLite file when absent.
    pub database_url: Option<String>,
    /// Pool size.
    pub max_connections: Option<u32>,
    /// SQLite: run the hot paths on direct connections (design record 0012).
    pub sqlite_direct: Option<bool>,
}

/// `[session]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionSection {
    /// Idle timeout (PCI DSS 8.2.8: at most 900).
    pub idle_timeout_secs: Option<u64>,
    /// Absolute session lifetime.
    pub absolute_timeout_secs: Option<u64>,
}

/// `[auth]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSection {
    /// Consecutive failures that lock an account (PCI DSS 8.3.4: at most 10).
    pub lockout_threshold: Option<u32>,
    /// How long a lockout lasts (PCI DSS 8.3.4: at least 1800).
    pub lockout_secs: Option<u64>,
    /// Per role, the only networks people of that role may work from, e.g.
    /// `{ agent = ["10.8.0.0/16"] }` for remote agents on the VPN. Roles not named are
    /// not restricted.
    pub allowed_networks: Option<std::collections::BTreeMap<String, Vec<String>>>,
    /// Person roles that may sign in only from an enrolled device, e.g. `["agent"]`.
    pub device_required_roles: Option<Vec<String>>,
    /// The WebAuthn relying-party id for passkeys: the public URL's host (the
    /// default) or a parent domain of it.
    pub webauthn_rp_id: Option<String>,
}

/// `[notify]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifySection {
    /// `smtps://…` or `smtp://…?tls=starttls`; plain `smtp://` only to loopback.
    pub smtp_url: Option<String>,
    /// Sender address of outgoing mail.
    pub smtp_from: Option<String>,
    /// Where one-time codes for phones are posted (an SMS provider's bridge).
    pub sms_webhook_url: Option<String>,
    /// Where detection alerts are posted.
    pub alert_webhook_url: Option<String>,
    /// The HMAC-SHA256 key every webhook body is signed with.
    pub webhook_secret: Option<String>,
    /// Where detection alerts are mailed.
    pub alert_email: Option<String>,
}

/// `[log]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSection {
    /// `text` or `json`.
    pub format: Option<String>,
    /// A tracing filter such as `info` or `custos_server=debug,info`.
    pub level: Option<String>,
}

/// `[compliance]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComplianceSection {
    /// `pci` (default: enforce PCI DSS limits) or `custom`.
    pub profile: Option<String>,
}

/// `[audit]`: the trail's checkpoints, witness, retention and forwarding to SIEMs.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSection {
    /// A signed checkpoint after this many new entries.
    pub checkpoint_every: Option<u64>,
    /// …and at least this often while entries arrive.
    pub checkpoint_interval_secs: Option<u64>,
    /// The witness file checkpoints are also appended to; put it on another volume.
    pub witness_file: Option<String>,
    /// How long entries are kept (PCI DSS 10.5.1: at least 365 days under `pci`).
    pub retention_days: Option<u64>,
    /// Syslog collector to forward the trail to: `tls://HOST:PORT` (RFC 5425).
    pub syslog_url: Option<String>,
    /// PEM CA certificate(s) that alone are trusted for the syslog collector.
    pub syslog_ca_file: Option<String>,
    /// Splunk-HEC-compatible endpoint to forward the trail to: `https://…`.
    pub http_url: Option<String>,
    /// The HEC token, sent as `Authorization: Splunk <token>`. A secret.
    pub http_token: Option<String>,
    /// PEM CA certificate(s) that alone are trusted for the HTTP endpoint.
    pub http_ca_file: Option<String>,
    /// Entries per delivery to a sink.
    pub forward_batch: Option<u64>,
}

/// Reads and parses the file into a TOML table.
pub(super) fn read_table(path: &Path) -> Result<toml::Table, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    text.parse::<toml::Table>().map_err(|e| ConfigError::File {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// Turns a merged table into the typed file configuration.
pub(super) fn parse_table(table: toml::Table) -> Result<FileConfig, String> {
    FileConfig::deserialize(table).map_err(|e| e.to_string())
}
