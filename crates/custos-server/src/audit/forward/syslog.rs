//! Syslog over TLS (RFC 5425) carrying RFC 5424 messages, one per trail entry:
//!
//! ```text
//! MSG-LEN SP <PRI>1 TIMESTAMP HOSTNAME custos - MSGID [custos@32473 seq="N" action="…"] {OCSF JSON}
//! ```
//!
//! Facility 13 (log audit); severity 6 (informational) for successes, 4 (warning)
//! for failures. TIMESTAMP is the event time in UTC with milliseconds, MSGID the
//! action name, and the structured data repeats the sequence number so a
//! collector can spot gaps without parsing the JSON. Frames are octet-counted,
//! so no message content can split or join records.
//!
//! One connection is kept open and replaced whenever it fails or the collector
//! closed it. TCP gives no application acknowledgement: a batch counts as
//! delivered once it is written and flushed. A collector that accepts bytes and
//! then dies before storing them loses them; the HTTP sink has no such gap.

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use custos_audit::Outcome;
use rustls_pki_types::ServerName;
use time::OffsetDateTime;
use tokio::io::{AsyncRead, AsyncWriteExt as _, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::sink::{DeliveryError, ForwardedEvent, Sink};
use super::{ForwardError, trust};
use crate::config::SyslogSinkConfig;

/// The name of this sink's cursor and events.
pub const SINK_NAME: &str = "syslog";
/// Facility 13: log audit.
const FACILITY_LOG_AUDIT: u8 = 13;
const SEVERITY_INFORMATIONAL: u8 = 6;
const SEVERITY_WARNING: u8 = 4;
/// The SD-ID of our structured data. 32473 is the enterprise number IANA keeps for
/// documentation (RFC 5612); collectors key parsing rules on this exact string.
const SD_ID: &str = "custos@32473";
/// RFC 5424 limits MSGID to 32 printable ASCII characters.
const MSGID_MAX: usize = 32;
/// RFC 5424 limits HOSTNAME to 255 printable ASCII characters.
const HOSTNAME_MAX: usize = 255;
/// Bound on the TCP connect and on the TLS handshake, each.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Bound on writing and flushing one batch.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// A syslog collector over TLS.
pub struct SyslogSink {
    host: String,
    port: u16,
    server_name: ServerName<'static>,
    connector: TlsConnector,
    hostname: String,
    connection: Option<TlsStream<TcpStream>>,
}

impl std::fmt::Debug for SyslogSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SyslogSink({}:{})", self.host, self.port)
    }
}

impl SyslogSink {
    /// A sink for `config`; messages name `hostname` as their origin.
    pub fn new(config: &SyslogSinkConfig, hostname: Option<&str>) -> Result<Self, ForwardError> {
        let tls = trust::client_config(config.ca_file.as_deref(), "audit.syslog_ca_file", &[])?;
        let server_name =
            ServerName::try_from(config.host.clone()).map_err(|_| ForwardError::SyslogHost)?;
        Ok(Self {
            host: config.host.clone(),
            port: config.port,
            server_name,
            connector: TlsConnector::from(Arc::new(tls)),
            hostname: hostname.map_or_else(|| "-".to_owned(), header_hostname),
            connection: None,
        })
    }

    async fn connect(&self) -> Result<TlsStream<TcpStream>, DeliveryError> {
        let tcp = tokio::time::timeout(
            CONNECT_TIMEOUT,
            TcpStream::connect((self.host.as_str(), self.port)),
        )
        .await
        .map_err(|_| DeliveryError::Timeout)?
        .map_err(|e| DeliveryError::Connect(e.kind()))?;
        // Each batch is one write followed by a flush; don't hold its tail back.
        let _ = tcp.set_nodelay(true);
        tokio::time::timeout(
            CONNECT_TIMEOUT,
            self.connector.connect(self.server_name.clone(), tcp),
        )
        .await
        .map_err(|_| DeliveryError::Timeout)?
        .map_err(|e| DeliveryError::Tls(e.to_string()))
    }
}

impl Sink for SyslogSink {
    fn name(&self) -> &'static str {
        SINK_NAME
    }

    async fn deliver(&mut self, batch: &[ForwardedEvent]) -> Result<(), DeliveryError> {
        let mut frames = Vec::new();
        for event in batch {
            push_frame(&mut frames, &format_message(event, &self.hostname));
        }
        // Taken out while in use: if this future is dropped or fails part-way, the
        // half-written connection is dropped with it and the next call reconnects.
        let kept = match self.connection.take() {
            Some(mut open) => peer_still_open(&mut open).await.then_some(open),
            None => None,
        };
        let mut stream = match kept {
            Some(open) => open,
            None => self.connect().await?,
        };
        tokio::time::timeout(WRITE_TIMEOUT, async {
            stream.write_all(&frames).await?;
            stream.flush().await
        })
        .await
        .map_err(|_| DeliveryError::Timeout)?
        .map_err(|e| DeliveryError::Write(e.kind()))?;
        self.connection = Some(stream);
        Ok(())
    }
}

/// Whether a kept connection can still take data. A collector never sends
/// application data on this channel, so anything readable is either TLS
/// housekeeping (handled inside the read), a close, or an error. Checking before
/// reuse catches a restarted collector, whose old socket would otherwise accept
/// the first write into the void.
async fn peer_still_open(stream: &mut TlsStream<TcpStream>) -> bool {
    poll_fn(|cx| {
        let mut scratch = [0u8; 512];
        let mut buf = ReadBuf::new(&mut scratch);
        Poll::Ready(match Pin::new(&mut *stream).poll_read(cx, &mut buf) {
            Poll::Pending => true,
            Poll::Ready(Ok(())) => !buf.filled().is_empty(),
            Poll::Ready(Err(_)) => false,
        })
    })
    .await
}

/// One RFC 5424 message, without framing.
pub fn format_message(event: &ForwardedEvent, hostname: &str) -> String {
    let severity = match event.outcome {
        Outcome::Failure => SEVERITY_WARNING,
        Outcome::Success | Outcome::Unknown => SEVERITY_INFORMATIONAL,
    };
    let pri = u16::from(FACILITY_LOG_AUDIT) * 8 + u16::from(severity);
    let timestamp = rfc3339_millis(event.time_ms).unwrap_or_else(|| "-".to_owned());
    format!(
        "<{pri}>1 {timestamp} {hostname} custos - {msgid} [{SD_ID} seq=\"{seq}\" action=\"{action}\"] {json}",
        msgid = msgid(&event.action),
        seq = event.seq,
        action = sd_param_value(&event.action),
        json = event.ocsf,
    )
}

/// RFC 5425 octet counting: `MSG-LEN SP SYSLOG-MSG`, the length in bytes.
pub fn push_frame(out: &mut Vec<u8>, message: &str) {
    out.extend_from_slice(message.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(message.as_bytes());
}

/// `2027-01-15T08:00:00.123Z`; `None` for a time RFC 5424 cannot express.
fn rfc3339_millis(time_ms: i64) -> Option<String> {
    let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(time_ms) * 1_000_000).ok()?;
    if !(0..=9999).contains(&at.year()) {
        return None;
    }
    Some(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.millisecond()
    ))
}

/// The action name as MSGID: printable ASCII only, at most 32 characters.
fn msgid(action: &str) -> String {
    let id: String = action
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(MSGID_MAX)
        .collect();
    if id.is_empty() { "-".to_owned() } else { id }
}

/// A structured-data parameter value: `"`, `\` and `]` escaped (RFC 5424 6.3.3).
fn sd_param_value(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '"' | '\\' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The local host name as HOSTNAME: printable ASCII, at most 255 characters.
fn header_hostname(name: &str) -> String {
    let name: String = name
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(HOSTNAME_MAX)
        .collect();
    if name.is_empty() {
        "-".to_owned()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn event(outcome: Outcome, action: &str) -> ForwardedEvent {
        ForwardedEvent {
            seq: 42,
            time_ms: 1_800_000_000_123,
            action: action.to_owned(),
            outcome,
            ocsf: json!({ "metadata": { "sequence": 42 }, "message": "é \"quoted\"\nnext" }),
        }
    }

    #[test]
    fn a_success_is_informational_log_audit() {
        let event = event(Outcome::Success, "customer.reveal");
        let message = format_message(&event, "node-1");
        let (header, json) = message.split_once("] ").unwrap();
        assert_eq!(
            header,
            "<110>1 2027-01-15T08:00:00.123Z node-1 custos - customer.reveal \
             [custos@32473 seq=\"42\" action=\"customer.reveal\""
        );
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(json).unwrap(),
            event.ocsf
        );
        assert!(!message.contains('\n'), "one record, one line");
    }

    #[test]
    fn a_failure_is_a_warning() {
        let message = format_message(&event(Outcome::Failure, "auth.sign_in"), "-");
        assert!(message.starts_with("<108>1 "), "{message}");
    }

    #[test]
    fn msgid_is_printable_and_at_most_32_characters() {
        let long = "a.very_long_action_name_that_goes_on.and_on";
        assert_eq!(msgid(long), &long[..32]);
        assert_eq!(msgid("bad name\u{e9}"), "badname");
        assert_eq!(msgid(""), "-");
    }

    #[test]
    fn structured_data_values_are_escaped() {
        assert_eq!(sd_param_value(r#"a"b\c]d"#), r#"a\"b\\c\]d"#);
    }

    #[test]
    fn frames_count_bytes_not_characters() {
        let mut out = Vec::new();
        push_frame(&mut out, "é1");
        push_frame(&mut out, "xyz");
        assert_eq!(out, "3 é13 xyz".as_bytes());
    }

    #[test]
    fn timestamps_are_utc_with_milliseconds() {
        assert_eq!(
            rfc3339_millis(0).as_deref(),
            Some("1970-01-01T00:00:00.000Z")
        );
        assert_eq!(
            rfc3339_millis(1_700_000_000_007).as_deref(),
            Some("2023-11-14T22:13:20.007Z")
        );
        assert_eq!(rfc3339_millis(i64::MAX), None);
    }

    #[test]
    fn hostnames_are_made_printable() {
        assert_eq!(header_hostname("node 1\n"), "node1");
        assert_eq!(header_hostname(" "), "-");
    }
}
