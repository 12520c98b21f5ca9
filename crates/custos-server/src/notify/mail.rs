//! Mail through the SMTP relay of `notify.smtp_url` (lettre over rustls with the
//! aws-lc-rs provider): implicit TLS for `smtps://`, STARTTLS required for
//! `smtp://…?tls=starttls`, and plain SMTP only to a loopback relay.

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};

use super::NotifyError;
use crate::config::SmtpUrl;

/// A mail transport and its sender.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

/// The pieces of a checked SMTP URL.
struct Relay {
    implicit_tls: bool,
    starttls: bool,
    host: String,
    port: Option<u16>,
    credentials: Option<Credentials>,
}

fn relay(url: &str) -> Result<Relay, NotifyError> {
    let bad = || NotifyError::Setup("notify.smtp_url cannot be read".to_owned());
    let (scheme, rest) = url.split_once("://").ok_or_else(bad)?;
    let (authority, query) = match rest.split_once('?') {
        Some((a, q)) => (a.trim_end_matches('/'), Some(q)),
        None => (rest.trim_end_matches('/'), None),
    };
    let (userinfo, host_port) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    let (host, port) = if let Some(bracketed) = host_port.strip_prefix('[') {
        let (host, after) = bracketed.split_once(']').ok_or_else(bad)?;
        (host, after.strip_prefix(':'))
    } else {
        match host_port.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (host_port, None),
        }
    };
    let port = port
        .map(|p| p.parse::<u16>().map_err(|_| bad()))
        .transpose()?;
    let decode = |s: &str| {
        percent_decode(s).ok_or_else(|| NotifyError::Setup("notify.smtp_url: bad escape".into()))
    };
    let credentials = userinfo
        .map(|u| -> Result<Credentials, NotifyError> {
            let (user, pass) = u.split_once(':').unwrap_or((u, ""));
            Ok(Credentials::new(decode(user)?, decode(pass)?))
        })
        .transpose()?;
    Ok(Relay {
        implicit_tls: scheme == "smtps",
        starttls: query.is_some_and(|q| q.split('&').any(|kv| kv == "tls=starttls")),
        host: host.to_owned(),
        port,
        credentials,
    })
}

/// `%XX` escapes of a URL's user information.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

impl Mailer {
    /// A mailer for the relay at `url`, sending as `from`.
    pub fn new(url: &SmtpUrl, from: &str) -> Result<Self, NotifyError> {
        let relay = relay(url.expose())?;
        let setup = |e: lettre::transport::smtp::Error| NotifyError::Setup(e.to_string());
        let mut builder = if relay.implicit_tls {
            AsyncSmtpTransport::<Tokio1Executor>::relay(&relay.host).map_err(setup)?
        } else if relay.starttls {
            AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&relay.host).map_err(setup)?
        } else {
            // Only to a loopback relay: the configuration refuses anything else.
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&relay.host)
        };
        if let Some(port) = relay.port {
            builder = builder.port(port);
        }
        if let Some(credentials) = relay.credentials {
            builder = builder.credentials(credentials);
        }
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
    fn relay_urls_are_taken_apart() {
        let r = relay("smtps://mailer:p%40ss@mail.example.com:2465")
            .unwrap_or_else(|_| unreachable!("a valid URL"));
        assert!(r.implicit_tls && !r.starttls);
        assert_eq!((r.host.as_str(), r.port), ("mail.example.com", Some(2465)));
        assert!(r.credentials.is_some());
        let r = relay("smtp://mail.example.com?tls=starttls").unwrap_or_else(|_| unreachable!());
        assert!(!r.implicit_tls && r.starttls && r.port.is_none());
        let r = relay("smtp://[::1]:2525").unwrap_or_else(|_| unreachable!());
        assert_eq!((r.host.as_str(), r.port), ("::1", Some(2525)));
        assert_eq!(percent_decode("a%40b%2Fc").as_deref(), Some("a@b/c"));
        assert_eq!(percent_decode("bad%4"), None);
    }
}
