//! Mail through the SMTP relay of `notify.smtp_url` (lettre over rustls with the
//! aws-lc-rs provider): implicit TLS for `smtps://`, STARTTLS required for
//! `smtp://…?tls=starttls`, and plain SMTP only to a loopback relay.

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};

use super::NotifyError;
use crate::config::SmtpUrl;

/// A mail transport and its sender.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

/// Our `notify.smtp_url` in lettre's terms: `?tls=starttls` is lettre's `?tls=required`
/// (STARTTLS, refused when the relay does not offer it); `smtps://` and plain loopback
/// `smtp://` mean the same to both.
fn lettre_url(url: &str) -> String {
    url.replacen("tls=starttls", "tls=required", 1)
}

impl Mailer {
    /// A mailer for the relay at `url`, sending as `from`.
    pub fn new(url: &SmtpUrl, from: &str) -> Result<Self, NotifyError> {
        // lettre's own URL reading (credentials percent-decoded, ports defaulted); its
        // error could quote the URL, credentials included, so it is not passed on.
        let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(&lettre_url(url.expose()))
            .map_err(|_| NotifyError::Setup("notify.smtp_url cannot be used".to_owned()))?;
        let from = from
            .parse::<Mailbox>()
            .map_err(|_| NotifyError::Setup("notify.smtp_from is not a mailbox".to_owned()))?;
        Ok(Self {
            transport: builder
                .timeout(Some(std::time::Duration::from_secs(15)))
                .build(),
            from,
        })
    }

    /// Sends a plain-text message.
    pub async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), NotifyError> {
        let fail = |reason: String| NotifyError::Delivery {
            channel: "mail",
            reason,
        };
        let to = to
            .parse::<Mailbox>()
            .map_err(|_| fail("the recipient is not a valid address".to_owned()))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_owned())
            .map_err(|e| fail(format!("the message could not be built: {e}")))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| fail(smtp_reason(&e)))
    }
}

/// A transport error in words that name neither recipient nor content.
fn smtp_reason(error: &lettre::transport::smtp::Error) -> String {
    if let Some(code) = error.status() {
        format!("the relay answered {code}")
    } else if error.is_timeout() {
        "the relay timed out".to_owned()
    } else if error.is_tls() {
        "TLS with the relay failed".to_owned()
    } else {
        "the relay could not be reached".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starttls_is_required_and_other_forms_pass_as_they_are() {
        assert_eq!(
            lettre_url("smtp://mail.example.com:587?tls=starttls"),
            "smtp://mail.example.com:587?tls=required"
        );
        for url in [
            "smtps://u:p%40ss@mail.example.com:465",
            "smtp://127.0.0.1:2525",
        ] {
            assert_eq!(lettre_url(url), url);
            assert!(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url).is_ok(),
                "{url}"
            );
        }
        assert!(
            AsyncSmtpTransport::<Tokio1Executor>::from_url(&lettre_url(
                "smtp://mail.example.com?tls=starttls"
            ))
            .is_ok()
        );
    }
}
