//! The validated runtime configuration and the rules that produce it.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use custos_store::DatabaseUrl;
use secrecy::{ExposeSecret, SecretString};

use super::file::{AuditSection, FileConfig, VaultSection};
use super::{CliOverrides, ConfigError};

/// Which limits the validation enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComplianceProfile {
    /// PCI DSS 4.0 limits are hard limits (the default).
    Pci,
    /// Only sanity limits; for installations outside PCI scope.
    Custom,
}

/// Where the TLS certificate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsSource {
    /// Generated on first start into the data directory.
    SelfSigned,
    /// The operator's own certificate chain and key, as PEM files.
    Files {
        /// Certificate chain.
        cert: PathBuf,
        /// Private key.
        key: PathBuf,
    },
}

/// Session lifetimes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// A session unused this long ends.
    pub idle_timeout: Duration,
    /// A session ends this long after sign-in, used or not.
    pub absolute_timeout: Duration,
}

/// Per role, the networks people of that role may work from; roles absent are unrestricted.
pub type NetworkRules = std::collections::BTreeMap<custos_auth::role::Role, Vec<ipnet::IpNet>>;

/// Account lockout after repeated failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Consecutive failures that lock the account.
    pub threshold: u32,
    /// How long the lock lasts.
    pub duration: Duration,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// An SMTP server URL whose scheme and transport security were checked.
/// It may carry credentials, so it is kept secret and displayed without them.
#[derive(Clone)]
pub struct SmtpUrl {
    url: SecretString,
    host: String,
}

impl SmtpUrl {
    /// The full URL, credentials included: only for the mail transport.
    pub fn expose(&self) -> &str {
        self.url.expose_secret()
    }

    /// The host the URL names.
    pub fn host(&self) -> &str {
        &self.host
    }
}

impl std::fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SmtpUrl(host={})", self.host)
    }
}

/// Outgoing notifications.
#[derive(Debug, Clone, Default)]
pub struct NotifyConfig {
    /// The SMTP relay, if mail is configured.
    pub smtp_url: Option<SmtpUrl>,
    /// Sender address.
    pub smtp_from: Option<String>,
    /// Where one-time codes for phones are posted.
    pub sms_webhook: Option<super::conversations::WebhookUrl>,
    /// Where detection alerts are posted.
    pub alert_webhook: Option<super::conversations::WebhookUrl>,
    /// The key webhook bodies are signed with.
    pub webhook_secret: Option<super::conversations::WebhookSecret>,
    /// Where detection alerts are mailed.
    pub alert_email: Option<String>,
}

/// The audit trail's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditConfig {
    /// Entries between checkpoints.
    pub checkpoint_every: u64,
    /// Time between checkpoints while entries arrive.
    pub checkpoint_interval: Duration,
    /// Where checkpoints are witnessed outside the database.
    pub witness_file: PathBuf,
    /// Retention of entries, in days.
    pub retention_days: u64,
    /// Forwarding to SIEMs.
    pub forward: ForwardConfig,
}

/// Where the trail is forwarded. Each configured sink gets its own forwarder and cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardConfig {
    /// Syslog over TLS (RFC 5425), when configured.
    pub syslog: Option<SyslogSinkConfig>,
    /// An HTTP endpoint compatible with Splunk HEC, when configured.
    pub http: Option<HttpSinkConfig>,
    /// Entries per delivery.
    pub batch: u32,
}

/// A syslog collector reached over TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyslogSinkConfig {
    /// Host name or IP address; also the name its certificate must carry.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// CA certificates trusted instead of the platform's roots.
    pub ca_file: Option<PathBuf>,
}

/// An HTTPS endpoint taking Splunk HEC event batches. The token is secret and the
/// URL is shown by its host only.
#[derive(Clone)]
pub struct HttpSinkConfig {
    url: reqwest::Url,
    host: String,
    token: SecretString,
    /// CA certificates trusted instead of the platform's roots.
    pub ca_file: Option<PathBuf>,
}

impl HttpSinkConfig {
    /// The endpoint events are posted to.
    pub fn url(&self) -> &reqwest::Url {
        &self.url
    }

    /// The endpoint's host, safe to display.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The HEC token: only for the `Authorization` header.
    pub fn token(&self) -> &SecretString {
        &self.token
    }
}

impl std::fmt::Debug for HttpSinkConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "HttpSinkConfig(host={}, ca_file={:?})",
            self.host, self.ca_file
        )
    }
}

impl PartialEq for HttpSinkConfig {
    fn eq(&self, other: &Self) -> bool {
        let same_token = aws_lc_rs::constant_time::verify_slices_are_equal(
            self.token.expose_secret().as_bytes(),
            other.token.expose_secret().as_bytes(),
        )
        .is_ok();
        self.url == other.url && self.ca_file == other.ca_file && same_token
    }
}

impl Eq for HttpSinkConfig {}

/// Everything the server needs, validated.
#[derive(Debug, Clone)]
pub struct Config {
    /// Listener address.
    pub listen: SocketAddr,
    /// Externally visible base URL, when set.
    pub public_url: Option<String>,
    /// Data directory.
    pub data_dir: PathBuf,
    /// Bound on one request.
    pub request_timeout: Duration,
    /// Largest request body in bytes.
    pub body_limit: usize,
    /// Bound on graceful shutdown.
    pub shutdown_grace: Duration,
    /// Certificate source.
    pub tls: TlsSource,
    /// External database; `None` means the embedded SQLite file in the data directory.
    pub database_url: Option<DatabaseUrl>,
    /// Pool size.
    pub max_connections: u32,
    /// SQLite: the hot paths on direct connections instead of sqlx's pool.
    pub sqlite_direct: bool,
    /// Session lifetimes.
    pub session: SessionPolicy,
    /// Lockout.
    pub lockout: LockoutPolicy,
    /// Allowed networks per role.
    pub allowed_networks: NetworkRules,
    /// Person roles that sign in only from an enrolled device.
    pub device_required_roles: Vec<custos_auth::role::Role>,
    /// The passkeys' relying-party id, when not the public URL's host.
    pub webauthn_rp_id: Option<String>,
    /// Notifications.
    pub notify: NotifyConfig,
    /// Log line format.
    pub log_format: LogFormat,
    /// Log filter directive.
    pub log_level: String,
    /// Enforced limits.
    pub profile: ComplianceProfile,
    /// The audit trail.
    pub audit: AuditConfig,
    /// Reverse proxies whose `X-Forwarded-For` names the client (empty: none).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The customer vault.
    pub vault: VaultConfig,
    /// Where the root key comes from.
    pub root_source: RootSource,
    /// What is kept of conversations, and when interactions close.
    pub conversations: super::conversations::ConversationsConfig,
    /// How customers are verified.
    pub verification: super::conversations::VerificationConfig,
}

/// Where the root key comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootSource {
    /// `root.key` in the data directory (created on the first start).
    File,
    /// `CUSTOS_ROOT_KEY`: 32 bytes in base64, from a secrets manager.
    Env,
    /// `CUSTOS_ROOT_PASSPHRASE`, stretched with Argon2id and a salt kept in the data directory.
    Passphrase,
}

/// The customer vault's settings.
#[derive(Debug, Clone)]
pub struct VaultConfig {
    /// The reason codes a reveal may give.
    pub reveal_reasons: Vec<String>,
    /// Reveals one person may make per hour.
    pub reveal_limit_per_hour: u32,
}

/// The reason codes shipped by default.
pub const DEFAULT_REVEAL_REASONS: &[&str] = &[
    "customer_request",
    "identity_verification",
    "payment_dispute",
    "fraud_investigation",
    "legal_request",
];

impl Config {
    /// The database the server uses: the configured URL or the embedded file.
    pub fn effective_database_url(&self) -> DatabaseUrl {
        self.database_url
            .clone()
            .unwrap_or_else(|| DatabaseUrl::sqlite_file(&self.data_dir.join("custos.db")))
    }

    /// A summary safe to print: no secret appears in it.
    pub fn describe(&self) -> String {
        let tls = match &self.tls {
            TlsSource::SelfSigned => "self-signed (generated in the data directory)".to_owned(),
            TlsSource::Files { cert, .. } => format!("certificate {}", cert.display()),
        };
        let smtp = self.notify.smtp_url.as_ref().map_or_else(
            || "not configured".to_owned(),
            |u| format!("relay at {}", u.host()),
        );
        let forward = describe_forwarding(&self.audit.forward);
        let host_of = |w: &Option<super::conversations::WebhookUrl>| {
            w.as_ref().map_or("none", |w| w.host()).to_owned()
        };
        let webhooks = format!(
            "sms to {}, alerts to {}",
            host_of(&self.notify.sms_webhook),
            host_of(&self.notify.alert_webhook)
        );
        let raw = if self.conversations.keep_raw.is_empty() {
            "no channel".to_owned()
        } else {
            self.conversations.keep_raw.join(" ")
        };
        format!(
            "listen            {}\n\
             data dir          {}\n\
             database          {}\n\
             tls               {tls}\n\
             profile           {:?}\n\
             session           idle {} s, absolute {} s\n\
             lockout           after {} failures, for {} s\n\
             networks          {}\n\
             devices required  {}\n\
             trusted proxies   {}\n\
             request limits    {} s, {} bytes\n\
             smtp              {smtp}\n\
             webhooks          {webhooks}\n\
             conversations     raw kept for {raw}, idle interactions close after {} s\n\
             verification      codes valid {} s, {} tries each, {} sends per {} s, questions {}\n\
             audit             checkpoint every {} entries or {} s, witness {}, kept {} days\n\
             audit forwarding  {forward}\n\
             root key          {:?}\n\
             reveals           reasons {}, at most {} per person per hour\n\
             log               {:?} at {}",
            self.listen,
            self.data_dir.display(),
            self.effective_database_url(),
            self.profile,
            self.session.idle_timeout.as_secs(),
            self.session.absolute_timeout.as_secs(),
            self.lockout.threshold,
            self.lockout.duration.as_secs(),
            describe_networks(&self.allowed_networks),
            if self.device_required_roles.is_empty() {
                "for no role".to_owned()
            } else {
                self.device_required_roles
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            },
            if self.trusted_proxies.is_empty() {
                "none (the TCP peer is the client)".to_owned()
            } else {
                self.trusted_proxies
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(" ")
            },
            self.request_timeout.as_secs(),
            self.body_limit,
            self.conversations.idle_close.as_secs(),
            self.verification.code_ttl.as_secs(),
            self.verification.max_attempts,
            self.verification.max_sends,
            self.verification.send_window.as_secs(),
            self.verification.questions.join(" "),
            self.audit.checkpoint_every,
            self.audit.checkpoint_interval.as_secs(),
            self.audit.witness_file.display(),
            self.audit.retention_days,
            self.root_source,
            self.vault.reveal_reasons.join(" "),
            self.vault.reveal_limit_per_hour,
            self.log_format,
            self.log_level,
        )
    }
}

/// The forwarding line of [`Config::describe`]: hosts only, never a URL's path or the token.
fn describe_forwarding(forward: &ForwardConfig) -> String {
    let mut sinks = Vec::new();
    if let Some(syslog) = &forward.syslog {
        sinks.push(format!(
            "syslog over TLS to {}:{}",
            syslog.host, syslog.port
        ));
    }
    if let Some(http) = &forward.http {
        sinks.push(format!("HTTP (HEC) to {}", http.host()));
    }
    if sinks.is_empty() {
        "not configured".to_owned()
    } else {
        format!(
            "{}, {} entries per delivery",
            sinks.join("; "),
            forward.batch
        )
    }
}

fn describe_networks(rules: &NetworkRules) -> String {
    if rules.is_empty() {
        return "any, for every role".to_owned();
    }
    rules
        .iter()
        .map(|(role, nets)| {
            let nets: Vec<String> = nets.iter().map(ToString::to_string).collect();
            format!("{role}: {}", nets.join(" "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The rules for session lifetimes, shared by the file and the settings page.
pub(crate) fn check_session(idle: u64, absolute: u64, pci: bool, problems: &mut Vec<String>) {
    if idle == 0 {
        problems.push("session.idle_timeout_secs: must be at least 1".to_owned());
    }
    if pci && idle > PCI_MAX_IDLE_SECS {
        problems.push(format!(
            "session.idle_timeout_secs: {idle} exceeds {PCI_MAX_IDLE_SECS}, the PCI DSS 8.2.8 limit \
             (set compliance.profile = \"custom\" only outside PCI scope)"
        ));
    }
    if absolute < idle {
        problems.push(
            "session.absolute_timeout_secs: must not be shorter than session.idle_timeout_secs"
                .to_owned(),
        );
    }
    if absolute > 7 * 86_400 {
        problems.push("session.absolute_timeout_secs: must be at most 604800 (7 days)".to_owned());
    }
}

/// The rules for the account lockout, shared by the file and the settings page.
pub(crate) fn check_lockout(
    threshold: u32,
    lockout_secs: u64,
    pci: bool,
    problems: &mut Vec<String>,
) {
    if threshold == 0 {
        problems.push("auth.lockout_threshold: must be at least 1".to_owned());
    }
    if pci && threshold > PCI_MAX_LOCKOUT_THRESHOLD {
        problems.push(format!(
            "auth.lockout_threshold: {threshold} exceeds {PCI_MAX_LOCKOUT_THRESHOLD}, the PCI DSS 8.3.4 limit"
        ));
    }
    if pci && lockout_secs < PCI_MIN_LOCKOUT_SECS {
        problems.push(format!(
            "auth.lockout_secs: {lockout_secs} is below {PCI_MIN_LOCKOUT_SECS}, the PCI DSS 8.3.4 minimum"
        ));
    }
    if lockout_secs == 0 {
        problems.push("auth.lockout_secs: must be at least 1".to_owned());
    }
}

/// The rules for the audit trail's retention, shared by the file and the settings page.
pub(crate) fn check_audit_retention(retention_days: u64, pci: bool, problems: &mut Vec<String>) {
    if pci && retention_days < PCI_MIN_AUDIT_RETENTION_DAYS {
        problems.push(format!(
            "audit.retention_days: {retention_days} is below {PCI_MIN_AUDIT_RETENTION_DAYS}, the PCI DSS 10.5.1 minimum"
        ));
    }
    if retention_days == 0 {
        problems.push("audit.retention_days: must be at least 1".to_owned());
    }
}

/// Defaults, per CONTRACT.md.
const DEFAULT_LISTEN: &str = "127.0.0.1:8443";
const DEFAULT_DATA_DIR: &str = "custos-data";
const DEFAULT_IDLE_SECS: u64 = 900;
const DEFAULT_ABSOLUTE_SECS: u64 = 43_200;
const DEFAULT_LOCKOUT_THRESHOLD: u32 = 10;
const DEFAULT_LOCKOUT_SECS: u64 = 1_800;
const DEFAULT_REQUEST_TIMEOUT_SECS: u64 = 30;
const DEFAULT_BODY_LIMIT: u64 = 1024 * 1024;
const DEFAULT_SHUTDOWN_GRACE_SECS: u64 = 30;
const DEFAULT_MAX_CONNECTIONS: u32 = 16;
const DEFAULT_FORWARD_BATCH: u64 = 500;
const MAX_FORWARD_BATCH: u64 = 10_000;

/// PCI DSS limits enforced under the `pci` profile.
const PCI_MAX_IDLE_SECS: u64 = 900; // 8.2.8
const PCI_MAX_LOCKOUT_THRESHOLD: u32 = 10; // 8.3.4
const PCI_MIN_LOCKOUT_SECS: u64 = 1_800; // 8.3.4
const PCI_MIN_AUDIT_RETENTION_DAYS: u64 = 365; // 10.5.1

/// Checks every rule and collects every problem, so one run shows them all.
pub(super) fn validate(mut file: FileConfig, cli: &CliOverrides) -> Result<Config, ConfigError> {
    let mut problems = Vec::new();

    let profile = match file.compliance.profile.as_deref().unwrap_or("pci") {
        "pci" => ComplianceProfile::Pci,
        "custom" => ComplianceProfile::Custom,
        other => {
            problems.push(format!(
                "compliance.profile: `{other}` is not a profile (use `pci` or `custom`)"
            ));
            ComplianceProfile::Pci
        }
    };
    let pci = profile == ComplianceProfile::Pci;

    let listen_text = cli
        .listen
        .clone()
        .or(file.server.listen)
        .unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
    let listen = listen_text.parse::<SocketAddr>().unwrap_or_else(|_| {
        problems.push(format!(
            "server.listen: `{listen_text}` is not an address such as 127.0.0.1:8443"
        ));
        SocketAddr::from(([127, 0, 0, 1], 8443))
    });

    let data_dir = cli
        .data_dir
        .clone()
        .or(file.server.data_dir.map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));

    let public_url = file
        .server
        .public_url
        .map(|u| u.trim_end_matches('/').to_owned());
    if let Some(url) = &public_url
        && !url.starts_with("https://")
    {
        problems.push("server.public_url: must start with https://".to_owned());
    }

    let mut trusted_proxies = Vec::new();
    for network in file.server.trusted_proxies.take().unwrap_or_default() {
        match network
            .parse::<ipnet::IpNet>()
            .or_else(|_| network.parse::<IpAddr>().map(ipnet::IpNet::from))
        {
            Ok(net) => trusted_proxies.push(net),
            Err(_) => problems.push(format!(
                "server.trusted_proxies: `{network}` is not an address or network such as 10.0.0.0/8"
            )),
        }
    }

    let request_timeout_secs = file
        .server
        .request_timeout_secs
        .unwrap_or(DEFAULT_REQUEST_TIMEOUT_SECS);
    if !(1..=300).contains(&request_timeout_secs) {
        problems.push("server.request_timeout_secs: must be between 1 and 300".to_owned());
    }
    let body_limit = file.server.body_limit_bytes.unwrap_or(DEFAULT_BODY_LIMIT);
    if !(1024..=64 * 1024 * 1024).contains(&body_limit) {
        problems.push("server.body_limit_bytes: must be between 1024 and 67108864".to_owned());
    }
    let shutdown_grace_secs = file
        .server
        .shutdown_grace_secs
        .unwrap_or(DEFAULT_SHUTDOWN_GRACE_SECS);
    if shutdown_grace_secs > 600 {
        problems.push("server.shutdown_grace_secs: must be at most 600".to_owned());
    }

    let tls = match (file.tls.cert_file, file.tls.key_file) {
        (None, None) => TlsSource::SelfSigned,
        (Some(cert), Some(key)) => TlsSource::Files {
            cert: PathBuf::from(cert),
            key: PathBuf::from(key),
        },
        _ => {
            problems.push("tls: cert_file and key_file must be given together".to_owned());
            TlsSource::SelfSigned
        }
    };

    let database_url = match cli.database_url.clone().or(file.storage.database_url) {
        None => None,
        Some(text) => match DatabaseUrl::parse(&text) {
            Ok(url) => Some(url),
            Err(e) => {
                problems.push(format!("storage.database_url: {e}"));
                None
            }
        },
    };
    let max_connections = file
        .storage
        .max_connections
        .unwrap_or(DEFAULT_MAX_CONNECTIONS);
    if !(1..=512).contains(&max_connections) {
        problems.push("storage.max_connections: must be between 1 and 512".to_owned());
    }

    let idle = file.session.idle_timeout_secs.unwrap_or(DEFAULT_IDLE_SECS);
    let absolute = file
        .session
        .absolute_timeout_secs
        .unwrap_or(DEFAULT_ABSOLUTE_SECS);
    check_session(idle, absolute, pci, &mut problems);

    let threshold = file
        .auth
        .lockout_threshold
        .unwrap_or(DEFAULT_LOCKOUT_THRESHOLD);
    let lockout_secs = file.auth.lockout_secs.unwrap_or(DEFAULT_LOCKOUT_SECS);
    check_lockout(threshold, lockout_secs, pci, &mut problems);

    let mut device_required_roles = Vec::new();
    for role_name in file.auth.device_required_roles.take().unwrap_or_default() {
        match role_name.parse::<custos_auth::role::Role>() {
            Ok(role) if role.is_person() => device_required_roles.push(role),
            _ => problems.push(format!(
                "auth.device_required_roles: `{role_name}` is not a person role (agent, supervisor, security_officer, auditor, admin)"
            )),
        }
    }

    let webauthn_rp_id = file.auth.webauthn_rp_id.take();
    if let Some(rp_id) = &webauthn_rp_id
        && (rp_id.is_empty()
            || rp_id.parse::<std::net::IpAddr>().is_ok()
            || rp_id.contains(['/', ':']))
    {
        problems.push(format!(
            "auth.webauthn_rp_id: `{rp_id}` is not a domain name (e.g. custos.example.com)"
        ));
    }

    let mut allowed_networks = NetworkRules::new();
    for (role_name, networks) in file.auth.allowed_networks.unwrap_or_default() {
        let role = match role_name.parse::<custos_auth::role::Role>() {
            Ok(role) if role.is_person() => role,
            _ => {
                problems.push(format!(
                    "auth.allowed_networks: `{role_name}` is not a person role (agent, supervisor, security_officer, auditor, admin)"
                ));
                continue;
            }
        };
        let mut parsed = Vec::new();
        for network in networks {
            match network.parse::<ipnet::IpNet>() {
                Ok(net) => parsed.push(net),
                Err(_) => problems.push(format!(
                    "auth.allowed_networks.{role_name}: `{network}` is not a network such as 10.8.0.0/16"
                )),
            }
        }
        if parsed.is_empty() {
            problems.push(format!(
                "auth.allowed_networks.{role_name}: list at least one network (or leave the role out)"
            ));
        }
        allowed_networks.insert(role, parsed);
    }

    let smtp_url = file
        .notify
        .smtp_url
        .and_then(|text| match parse_smtp_url(&text) {
            Ok(url) => Some(url),
            Err(e) => {
                problems.push(format!("notify.smtp_url: {e}"));
                None
            }
        });
    let smtp_from = file.notify.smtp_from;
    if let Some(from) = &smtp_from
        && !is_email_address(from)
    {
        problems.push("notify.smtp_from: must be an email address".to_owned());
    }
    let alert_email = file.notify.alert_email;
    if let Some(to) = &alert_email
        && !is_email_address(to)
    {
        problems.push("notify.alert_email: must be an email address".to_owned());
    }
    if alert_email.is_some() && smtp_url.is_none() {
        problems.push("notify.alert_email: needs notify.smtp_url".to_owned());
    }
    let (sms_webhook, alert_webhook, webhook_secret) = super::conversations::validate_webhooks(
        file.notify.sms_webhook_url,
        file.notify.alert_webhook_url,
        file.notify.webhook_secret,
        &mut problems,
    );
    let conversations =
        super::conversations::validate_conversations(file.conversations, &mut problems);
    let verification =
        super::conversations::validate_verification(file.verification, &mut problems);
    if smtp_url.is_some() && smtp_from.is_none() {
        problems.push("notify.smtp_from: required when notify.smtp_url is set".to_owned());
    }

    let log_format = match file.log.format.as_deref().unwrap_or("text") {
        "text" => LogFormat::Text,
        "json" => LogFormat::Json,
        other => {
            problems.push(format!("log.format: `{other}` is not `text` or `json`"));
            LogFormat::Text
        }
    };
    let log_level = file.log.level.unwrap_or_else(|| "info".to_owned());
    if tracing_subscriber::EnvFilter::try_new(&log_level).is_err() {
        problems.push(format!(
            "log.level: `{log_level}` is not a log filter such as `info`"
        ));
    }

    let checkpoint_every = file.audit.checkpoint_every.unwrap_or(1000);
    if !(1..=1_000_000).contains(&checkpoint_every) {
        problems.push("audit.checkpoint_every: must be between 1 and 1000000".to_owned());
    }
    let checkpoint_interval_secs = file.audit.checkpoint_interval_secs.unwrap_or(60);
    if !(1..=3600).contains(&checkpoint_interval_secs) {
        problems.push("audit.checkpoint_interval_secs: must be between 1 and 3600".to_owned());
    }
    let witness_file = file.audit.witness_file.take().map_or_else(
        || data_dir.join("audit-witness").join("checkpoints.jsonl"),
        PathBuf::from,
    );
    let retention_days = file
        .audit
        .retention_days
        .unwrap_or(PCI_MIN_AUDIT_RETENTION_DAYS);
    check_audit_retention(retention_days, pci, &mut problems);

    let forward = validate_forwarding(&mut file.audit, &mut problems);
    let vault = validate_vault(file.vault, &mut problems);
    let root_source = match file.keys.root_source.as_deref().unwrap_or("file") {
        "file" => RootSource::File,
        "env" => RootSource::Env,
        "passphrase" => RootSource::Passphrase,
        other => {
            problems.push(format!(
                "keys.root_source: `{other}` is not `file`, `env` or `passphrase`"
            ));
            RootSource::File
        }
    };

    if !problems.is_empty() {
        return Err(ConfigError::Invalid(problems));
    }
    Ok(Config {
        listen,
        public_url,
        data_dir,
        request_timeout: Duration::from_secs(request_timeout_secs),
        body_limit: usize::try_from(body_limit).unwrap_or(usize::MAX),
        shutdown_grace: Duration::from_secs(shutdown_grace_secs),
        tls,
        database_url,
        max_connections,
        sqlite_direct: file.storage.sqlite_direct.unwrap_or(true),
        session: SessionPolicy {
            idle_timeout: Duration::from_secs(idle),
            absolute_timeout: Duration::from_secs(absolute),
        },
        lockout: LockoutPolicy {
            threshold,
            duration: Duration::from_secs(lockout_secs),
        },
        allowed_networks,
        device_required_roles,
        webauthn_rp_id,
        notify: NotifyConfig {
            smtp_url,
            smtp_from,
            sms_webhook,
            alert_webhook,
            webhook_secret,
            alert_email,
        },
        log_format,
        log_level,
        profile,
        audit: AuditConfig {
            checkpoint_every,
            checkpoint_interval: Duration::from_secs(checkpoint_interval_secs),
            witness_file,
            retention_days,
            forward,
        },
        trusted_proxies,
        vault,
        root_source,
        conversations,
        verification,
    })
}

/// A plausible email address: something, `@`, a dotted domain.
fn is_email_address(text: &str) -> bool {
    text.split_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
}

/// The `vault.*` keys: reason codes are short snake_case words, the rate at least 1.
fn validate_vault(vault: VaultSection, problems: &mut Vec<String>) -> VaultConfig {
    let reveal_reasons = vault.reveal_reasons.unwrap_or_else(|| {
        DEFAULT_REVEAL_REASONS
            .iter()
            .map(|s| (*s).to_owned())
            .collect()
    });
    if reveal_reasons.is_empty() {
        problems.push("vault.reveal_reasons: list at least one reason code".to_owned());
    }
    for code in &reveal_reasons {
        let valid = !code.is_empty()
            && code.len() <= 40
            && code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !valid {
            problems.push(format!(
                "vault.reveal_reasons: `{code}` is not a snake_case code of up to 40 characters"
            ));
        }
    }
    let reveal_limit_per_hour = vault.reveal_limit_per_hour.unwrap_or(60);
    if !(1..=1_000_000).contains(&reveal_limit_per_hour) {
        problems.push("vault.reveal_limit_per_hour: must be between 1 and 1000000".to_owned());
    }
    VaultConfig {
        reveal_reasons,
        reveal_limit_per_hour,
    }
}

/// The `audit.*` forwarding keys. A CA file or token without its URL is refused
/// rather than ignored, so a typo in one key cannot silently disable a sink.
fn validate_forwarding(audit: &mut AuditSection, problems: &mut Vec<String>) -> ForwardConfig {
    let batch = audit.forward_batch.unwrap_or(DEFAULT_FORWARD_BATCH);
    if !(1..=MAX_FORWARD_BATCH).contains(&batch) {
        problems.push(format!(
            "audit.forward_batch: must be between 1 and {MAX_FORWARD_BATCH}"
        ));
    }

    let syslog_ca_file = audit.syslog_ca_file.take().map(PathBuf::from);
    let syslog = match audit.syslog_url.take() {
        Some(text) => match parse_syslog_url(&text) {
            Ok((host, port)) => Some(SyslogSinkConfig {
                host,
                port,
                ca_file: syslog_ca_file,
            }),
            Err(e) => {
                problems.push(format!("audit.syslog_url: {e}"));
                None
            }
        },
        None => {
            if syslog_ca_file.is_some() {
                problems.push("audit.syslog_ca_file: set without audit.syslog_url".to_owned());
            }
            None
        }
    };

    let http_ca_file = audit.http_ca_file.take().map(PathBuf::from);
    let token = audit.http_token.take();
    if let Some(token) = &token
        && let Err(e) = check_http_token(token)
    {
        problems.push(format!("audit.http_token: {e}"));
    }
    let http = match audit.http_url.take() {
        Some(text) => match (parse_http_sink_url(&text), token) {
            (Ok((url, host)), Some(token)) => Some(HttpSinkConfig {
                url,
                host,
                token: SecretString::from(token),
                ca_file: http_ca_file,
            }),
            (Ok(_), None) => {
                problems.push("audit.http_token: required when audit.http_url is set".to_owned());
                None
            }
            (Err(e), _) => {
                problems.push(format!("audit.http_url: {e}"));
                None
            }
        },
        None => {
            if token.is_some() {
                problems.push("audit.http_token: set without audit.http_url".to_owned());
            }
            if http_ca_file.is_some() {
                problems.push("audit.http_ca_file: set without audit.http_url".to_owned());
            }
            None
        }
    };

    ForwardConfig {
        syslog,
        http,
        batch: u32::try_from(batch.clamp(1, MAX_FORWARD_BATCH)).unwrap_or(1),
    }
}

/// `tls://HOST:PORT`, HOST a DNS name or an IP address (`[…]` for IPv6). Plain TCP
/// and UDP syslog are refused: the trail leaves the node only over TLS.
fn parse_syslog_url(text: &str) -> Result<(String, u16), &'static str> {
    const SHAPE: &str = "must be tls://HOST:PORT (syslog over TLS, RFC 5425)";
    let rest = text.strip_prefix("tls://").ok_or(SHAPE)?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.contains(['/', '@', '?', '#']) {
        return Err(SHAPE);
    }
    let (host, port) = match rest.strip_prefix('[') {
        Some(bracketed) => {
            let (host, after) = bracketed.split_once(']').ok_or(SHAPE)?;
            (host, after.strip_prefix(':').ok_or(SHAPE)?)
        }
        None => rest.rsplit_once(':').ok_or(SHAPE)?,
    };
    if host.is_empty() || port.is_empty() {
        return Err(SHAPE);
    }
    let port = port
        .parse::<u16>()
        .ok()
        .filter(|p| *p != 0)
        .ok_or("the port must be a number from 1 to 65535")?;
    if rustls_pki_types::ServerName::try_from(host).is_err() {
        return Err("the host must be a DNS name or an IP address");
    }
    Ok((host.to_owned(), port))
}

/// An `https://` URL with a host and no credentials (the token has its own key).
/// Messages never repeat the URL.
fn parse_http_sink_url(text: &str) -> Result<(reqwest::Url, String), &'static str> {
    let url = reqwest::Url::parse(text).map_err(|_| "is not a URL")?;
    if url.scheme() != "https" {
        return Err("must start with https://");
    }
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or("names no host")?
        .to_owned();
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry credentials; put the token in audit.http_token");
    }
    if url.fragment().is_some() {
        return Err("must not have a #fragment");
    }
    Ok((url, host))
}

/// A token must fit an HTTP header as `Splunk <token>`. Messages never repeat it.
fn check_http_token(token: &str) -> Result<(), &'static str> {
    if token.is_empty() {
        return Err("must not be empty");
    }
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("must be printable ASCII without spaces");
    }
    Ok(())
}

/// `smtps://` always; `smtp://` only with `tls=starttls`, or in plain text to a loopback host.
/// Messages never repeat the URL, which may hold a password.
fn parse_smtp_url(text: &str) -> Result<SmtpUrl, &'static str> {
    let (scheme, rest) = text
        .split_once("://")
        .ok_or("must be smtps://HOST[:PORT] or smtp://HOST[:PORT]?tls=starttls")?;
    let (authority, query) = match rest.split_once('?') {
        Some((a, q)) => (a.trim_end_matches('/'), Some(q)),
        None => (rest.trim_end_matches('/'), None),
    };
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(bracketed) = host_port.strip_prefix('[') {
        bracketed.split(']').next().unwrap_or("")
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    if host.is_empty() {
        return Err("names no host");
    }
    let starttls = query.is_some_and(|q| q.split('&').any(|kv| kv == "tls=starttls"));
    match scheme {
        "smtps" => {}
        "smtp" if starttls => {}
        "smtp" => {
            let loopback =
                host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
            if !loopback {
                return Err(
                    "plain smtp:// is allowed only to a loopback address; use smtps:// or add ?tls=starttls",
                );
            }
        }
        _ => return Err("scheme must be smtps or smtp"),
    }
    Ok(SmtpUrl {
        url: SecretString::from(text.to_owned()),
        host: host.to_owned(),
    })
}
