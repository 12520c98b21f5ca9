//! Signed webhooks. The body is JSON; the `Custos-Signature` header carries
//! `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` under the configured
//! secret, so a receiver can check origin and freshness (reject old `t`).

use std::time::Duration;

use aws_lc_rs::hmac;
use reqwest::header::{CONTENT_TYPE, HeaderValue};

use super::NotifyError;
use crate::config::{WebhookSecret, WebhookUrl};

/// The signature header's name.
pub const SIGNATURE_HEADER: &str = "custos-signature";

const TIMEOUT: Duration = Duration::from_secs(10);

/// A webhook endpoint and the key its bodies are signed with.
#[derive(Clone)]
pub struct SignedWebhook {
    client: reqwest::Client,
    url: WebhookUrl,
    key: hmac::Key,
}

/// The signature header value for `body` sent at `unix_secs`.
pub fn signature(secret: &[u8], unix_secs: i64, body: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    sign_with(&key, unix_secs, body)
}

fn sign_with(key: &hmac::Key, unix_secs: i64, body: &[u8]) -> String {
    let mut ctx = hmac::Context::with_key(key);
    ctx.update(unix_secs.to_string().as_bytes());
    ctx.update(b".");
    ctx.update(body);
    format!(
        "t={unix_secs},v1={}",
        data_encoding::HEXLOWER.encode(ctx.sign().as_ref())
    )
}

impl SignedWebhook {
    /// A webhook to `url` signed with `secret`.
    pub fn new(url: &WebhookUrl, secret: WebhookSecret) -> Result<Self, NotifyError> {
        let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| NotifyError::Setup(e.to_string()))?;
        let tls = {
            use rustls_platform_verifier::BuilderVerifierExt as _;
            tls.with_platform_verifier()
                .map_err(|e| NotifyError::Setup(e.to_string()))?
                .with_no_client_auth()
        };
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            // A redirect could carry the signed body elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(TIMEOUT)
            .build()
            .map_err(|e| NotifyError::Setup(e.without_url().to_string()))?;
        Ok(Self {
            client,
            url: url.clone(),
            key: hmac::Key::new(hmac::HMAC_SHA256, secret.expose()),
        })
    }

    /// Posts `body`, signed, naming the `event` kind; a non-2xx answer is a failure.
    pub async fn post(&self, event: &str, body: &serde_json::Value) -> Result<(), NotifyError> {
        let bytes = serde_json::to_vec(body).map_err(|e| NotifyError::Setup(e.to_string()))?;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let signature = sign_with(&self.key, now, &bytes);
        let fail = |reason: String| NotifyError::Delivery {
            channel: "webhook",
            reason,
        };
        let response = self
            .client
            .post(self.url.as_str())
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header(SIGNATURE_HEADER, signature)
            .header("custos-event", event)
            .body(bytes)
            .send()
            .await
            .map_err(|e| fail(e.without_url().to_string()))?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(fail(format!(
                "{} answered {}",
                self.url.host(),
                response.status()
            )))
        }
    }
}
