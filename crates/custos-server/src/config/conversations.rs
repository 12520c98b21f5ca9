//! The `[conversations]` and `[verification]` sections and the webhook keys of
//! `[notify]`: what is kept of what customers say, how they are verified, and where
//! signed webhooks go.

use std::net::IpAddr;
use std::time::Duration;

use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;

/// `[conversations]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConversationsSection {
    /// Channels (`voice`, `chat`, `email`) whose raw content is kept, sealed.
    pub keep_raw: Option<Vec<String>>,
    /// Seconds without activity after which an interaction is closed.
    pub idle_close_secs: Option<u64>,
}

/// `[verification]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerificationSection {
    /// Seconds a one-time code stays valid.
    pub code_ttl_secs: Option<u64>,
    /// Wrong codes accepted against one code before it is spent.
    pub max_attempts: Option<u32>,
    /// Codes that may be sent per interaction within `send_window_secs`.
    pub max_sends: Option<u32>,
    /// The window of `max_sends`.
    pub send_window_secs: Option<u64>,
    /// Knowledge questions allowed as the fallback: vault fields the customer
    /// is asked about (`date_of_birth`, `postcode`, `card_last4`, `ssn_last4`).
    pub questions: Option<Vec<String>>,
    /// Failed attempts (all methods) after which an interaction can no longer be verified.
    pub max_failures: Option<u32>,
}

/// The conversations' runtime settings. Who may reveal a kept raw copy is the
/// policy's to say (Cedar action `interaction.reveal_raw`), not configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationsConfig {
    /// Channels whose raw content is kept, sealed under the customer's data key.
    pub keep_raw: Vec<String>,
    /// Idle time after which an interaction closes.
    pub idle_close: Duration,
}

/// Customer verification's runtime settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationConfig {
    /// How long a code is valid.
    pub code_ttl: Duration,
    /// Wrong codes per code.
    pub max_attempts: u32,
    /// Codes per interaction per window.
    pub max_sends: u32,
    /// The sending window.
    pub send_window: Duration,
    /// The knowledge questions offered.
    pub questions: Vec<String>,
    /// Failures per interaction, every method together.
    pub max_failures: u32,
}

/// The knowledge questions Custos can check against the vault.
pub const KNOWN_QUESTIONS: &[&str] = &["date_of_birth", "postcode", "card_last4", "ssn_last4"];

/// The channels interactions come in on.
pub const CHANNELS: &[&str] = &["voice", "chat", "email"];

pub(super) fn validate_conversations(
    section: ConversationsSection,
    problems: &mut Vec<String>,
) -> ConversationsConfig {
    let keep_raw = section.keep_raw.unwrap_or_default();
    check_keep_raw(&keep_raw, problems);
    let idle = section.idle_close_secs.unwrap_or(7_200);
    check_idle_close(idle, problems);
    ConversationsConfig {
        keep_raw,
        idle_close: Duration::from_secs(idle),
    }
}

/// The channels whose raw copies are kept: voice, chat or email, each once.
pub(crate) fn check_keep_raw(keep_raw: &[String], problems: &mut Vec<String>) {
    for (i, channel) in keep_raw.iter().enumerate() {
        if !CHANNELS.contains(&channel.as_str()) {
            problems.push(format!(
                "conversations.keep_raw: `{channel}` is not voice, chat or email"
            ));
        } else if keep_raw[..i].contains(channel) {
            problems.push(format!(
                "conversations.keep_raw: `{channel}` is named twice"
            ));
        }
    }
}

/// Idle interactions close after a minute to a week.
pub(crate) fn check_idle_close(idle_secs: u64, problems: &mut Vec<String>) {
    if !(60..=7 * 86_400).contains(&idle_secs) {
        problems.push(
            "conversations.idle_close_secs: must be between 60 and 604800 (a week)".to_owned(),
        );
    }
}

pub(super) fn validate_verification(
    section: VerificationSection,
    problems: &mut Vec<String>,
) -> VerificationConfig {
    let code_ttl = section.code_ttl_secs.unwrap_or(300);
    if !(60..=900).contains(&code_ttl) {
        problems.push("verification.code_ttl_secs: must be between 60 and 900".to_owned());
    }
    let max_attempts = section.max_attempts.unwrap_or(5);
    if !(1..=10).contains(&max_attempts) {
        problems.push("verification.max_attempts: must be between 1 and 10".to_owned());
    }
    let max_sends = section.max_sends.unwrap_or(3);
    if !(1..=10).contains(&max_sends) {
        problems.push("verification.max_sends: must be between 1 and 10".to_owned());
    }
    let send_window = section.send_window_secs.unwrap_or(900);
    if !(60..=86_400).contains(&send_window) {
        problems.push("verification.send_window_secs: must be between 60 and 86400".to_owned());
    }
    let questions = section.questions.unwrap_or_else(|| {
        ["date_of_birth", "postcode"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect()
    });
    for q in &questions {
        if !KNOWN_QUESTIONS.contains(&q.as_str()) {
            problems.push(format!(
                "verification.questions: `{q}` is not one of {}",
                KNOWN_QUESTIONS.join(", ")
            ));
        }
    }
    let max_failures = section.max_failures.unwrap_or(10);
    if !(1..=50).contains(&max_failures) {
        problems.push("verification.max_failures: must be between 1 and 50".to_owned());
    }
    VerificationConfig {
        code_ttl: Duration::from_secs(code_ttl),
        max_attempts,
        max_sends,
        send_window: Duration::from_secs(send_window),
        questions,
        max_failures,
    }
}

/// A webhook URL: `https://`, or plain `http://` to a loopback address only.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookUrl {
    url: String,
    host: String,
}

impl WebhookUrl {
    /// Checks a URL.
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let (scheme, rest) = text
            .split_once("://")
            .ok_or("must be an https:// URL (or http:// to a loopback address)")?;
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        if authority.contains('@') {
            return Err("must not carry credentials; the body is signed instead");
        }
        let host = if let Some(bracketed) = authority.strip_prefix('[') {
            bracketed.split(']').next().unwrap_or("")
        } else {
            authority.split(':').next().unwrap_or("")
        };
        if host.is_empty() {
            return Err("names no host");
        }
        match scheme {
            "https" => {}
            "http" => {
                let loopback =
                    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
                if !loopback {
                    return Err("plain http:// is allowed only to a loopback address");
                }
            }
            _ => return Err("scheme must be https"),
        }
        Ok(Self {
            url: text.to_owned(),
            host: host.to_owned(),
        })
    }

    /// The URL.
    pub fn as_str(&self) -> &str {
        &self.url
    }

    /// Its host, for descriptions.
    pub fn host(&self) -> &str {
        &self.host
    }
}

impl std::fmt::Debug for WebhookUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "WebhookUrl(host={})", self.host)
    }
}

/// The key webhooks are signed with (HMAC-SHA256), at least 32 characters.
#[derive(Clone)]
pub struct WebhookSecret(SecretString);

impl WebhookSecret {
    /// The key bytes, only for signing.
    pub fn expose(&self) -> &[u8] {
        self.0.expose_secret().as_bytes()
    }
}

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(<hidden>)")
    }
}

/// Validates `notify.sms_webhook_url`, `notify.alert_webhook_url` and `notify.webhook_secret`.
pub(super) fn validate_webhooks(
    sms: Option<String>,
    alert: Option<String>,
    secret: Option<String>,
    problems: &mut Vec<String>,
) -> (
    Option<WebhookUrl>,
    Option<WebhookUrl>,
    Option<WebhookSecret>,
) {
    let mut url = |key: &str, text: Option<String>| {
        text.and_then(|t| match WebhookUrl::parse(&t) {
            Ok(u) => Some(u),
            Err(e) => {
                problems.push(format!("notify.{key}: {e}"));
                None
            }
        })
    };
    let sms = url("sms_webhook_url", sms);
    let alert = url("alert_webhook_url", alert);
    let secret = secret.and_then(|s| {
        if s.chars().count() < 32 {
            problems.push("notify.webhook_secret: must be at least 32 characters".to_owned());
            None
        } else {
            Some(WebhookSecret(SecretString::from(s)))
        }
    });
    let secret_refused = problems
        .iter()
        .any(|p| p.starts_with("notify.webhook_secret"));
    if (sms.is_some() || alert.is_some()) && secret.is_none() && !secret_refused {
        problems.push(
            "notify.webhook_secret: required when a webhook URL is set (bodies are signed)"
                .to_owned(),
        );
    }
    (sms, alert, secret)
}
