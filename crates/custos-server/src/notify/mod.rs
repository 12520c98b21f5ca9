//! Outgoing notifications: mail through the configured SMTP relay and signed
//! webhooks (an SMS provider's bridge for one-time codes; alert receivers).
//!
//! Errors say which channel failed and why in transport terms; they never carry a
//! recipient, a code or a message body.

mod mail;
mod webhook;

pub use mail::Mailer;
pub use webhook::{SIGNATURE_HEADER, SignedWebhook, signature};

use thiserror::Error;

use crate::config::Config;

/// Why a notification could not be sent.
#[derive(Debug, Error)]
pub enum NotifyError {
    /// The channel is not configured.
    #[error("{0} is not configured")]
    NotConfigured(&'static str),
    /// The configuration could not be turned into a transport.
    #[error("notification setup failed: {0}")]
    Setup(String),
    /// The relay or receiver refused or could not be reached.
    #[error("{channel} delivery failed: {reason}")]
    Delivery {
        /// `mail` or `webhook`.
        channel: &'static str,
        /// Transport-level reason, without recipient or content.
        reason: String,
    },
}

/// Every configured outgoing channel.
#[derive(Clone, Default)]
pub struct Notifier {
    mailer: Option<Mailer>,
    sms: Option<SignedWebhook>,
    alerts: Option<SignedWebhook>,
    alert_email: Option<String>,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier")
            .field("mail", &self.mailer.is_some())
            .field("sms", &self.sms.is_some())
            .field("alerts", &self.alerts.is_some())
            .finish()
    }
}

impl Notifier {
    /// The channels `config` names.
    pub fn from_config(config: &Config) -> Result<Self, NotifyError> {
        let mailer = match (&config.notify.smtp_url, &config.notify.smtp_from) {
            (Some(url), Some(from)) => Some(Mailer::new(url, from)?),
            _ => None,
        };
        let secret = config.notify.webhook_secret.clone();
        let webhook = |url: &Option<crate::config::WebhookUrl>| -> Result<_, NotifyError> {
            match (url, &secret) {
                (Some(url), Some(secret)) => Ok(Some(SignedWebhook::new(url, secret.clone())?)),
                _ => Ok(None),
            }
        };
        Ok(Self {
            mailer,
            sms: webhook(&config.notify.sms_webhook)?,
            alerts: webhook(&config.notify.alert_webhook)?,
            alert_email: config.notify.alert_email.clone(),
        })
    }

    /// Whether mail can be sent.
    pub fn can_mail(&self) -> bool {
        self.mailer.is_some()
    }

    /// Whether text messages can be sent.
    pub fn can_text(&self) -> bool {
        self.sms.is_some()
    }

    /// Mails `body` to `to`.
    pub async fn mail(&self, to: &str, subject: &str, body: &str) -> Result<(), NotifyError> {
        let mailer = self
            .mailer
            .as_ref()
            .ok_or(NotifyError::NotConfigured("mail"))?;
        mailer.send(to, subject, body).await
    }

    /// Sends a text message to `phone` through the SMS webhook.
    pub async fn text(&self, phone: &str, message: &str) -> Result<(), NotifyError> {
        let sms = self
            .sms
            .as_ref()
            .ok_or(NotifyError::NotConfigured("the SMS webhook"))?;
        let body = serde_json::json!({"to": phone, "message": message});
        sms.post("verification.code", &body).await
    }

    /// Posts an alert to the alert webhook.
    pub async fn alert_webhook(&self, body: &serde_json::Value) -> Result<(), NotifyError> {
        let hook = self
            .alerts
            .as_ref()
            .ok_or(NotifyError::NotConfigured("the alert webhook"))?;
        hook.post("detection.alert", body).await
    }

    /// Mails an alert to `notify.alert_email`.
    pub async fn alert_mail(&self, subject: &str, text: &str) -> Result<(), NotifyError> {
        match (&self.mailer, &self.alert_email) {
            (Some(mailer), Some(to)) => mailer.send(to, subject, text).await,
            _ => Err(NotifyError::NotConfigured("alert mail")),
        }
    }
}
