//! What a sink is: something that takes a batch of formatted audit entries and
//! says whether the receiver has them. The forwarder only advances a sink's
//! cursor after `deliver` returned `Ok`.

use std::future::Future;

use custos_audit::export::{OCSF_VERSION, ocsf_json};
use custos_audit::{Outcome, StoredEntry, StoredEventV1};
use serde_json::{Value, json};
use thiserror::Error;

/// One trail entry as the SIEM gets it.
#[derive(Debug, Clone, PartialEq)]
pub struct ForwardedEvent {
    /// Position in the chain; SIEMs use it to spot gaps and duplicates.
    pub seq: u64,
    /// Event time, milliseconds since the epoch.
    pub time_ms: i64,
    /// Stable action name (`customer.reveal`).
    pub action: String,
    /// Outcome, which sets the syslog severity.
    pub outcome: Outcome,
    /// The OCSF 1.3 object (`custos_audit::export::ocsf_json`).
    pub ocsf: Value,
}

impl ForwardedEvent {
    /// Formats a stored entry. An entry whose payload cannot be read (tampering,
    /// or a format newer than this build) still goes out, as a marker carrying its
    /// sequence number, so the SIEM sees a hole instead of nothing and the
    /// forwarder does not stall on it.
    pub fn from_entry(entry: &StoredEntry) -> Self {
        match StoredEventV1::decode(&entry.payload) {
            Ok(event) => Self {
                seq: entry.seq,
                time_ms: event.time_ms,
                action: event.action.clone(),
                outcome: event.outcome,
                ocsf: ocsf_json(entry.seq, &event),
            },
            Err(_) => {
                tracing::warn!(
                    seq = entry.seq,
                    "audit entry unreadable; forwarded as a marker (run `custos audit verify`)"
                );
                Self {
                    seq: entry.seq,
                    time_ms: entry.time_ms,
                    action: entry.index.action.clone(),
                    outcome: Outcome::Unknown,
                    ocsf: unreadable_marker(entry),
                }
            }
        }
    }
}

/// An OCSF-shaped stand-in for an entry that cannot be decoded: position, time
/// and the stored action name, nothing from the payload.
fn unreadable_marker(entry: &StoredEntry) -> Value {
    json!({
        "class_uid": 0,
        "class_name": "Unknown",
        "category_uid": 0,
        "category_name": "Unknown",
        "activity_id": 99,
        "activity_name": "Other",
        "type_uid": 99,
        "time": entry.time_ms,
        "severity_id": 3,
        "status_id": 0,
        "status": "Unknown",
        "message": "Unreadable audit entry; run `custos audit verify`",
        "metadata": {
            "version": OCSF_VERSION,
            "product": { "name": "Custos", "vendor_name": "Custos" },
            "sequence": entry.seq,
            "uid": entry.seq.to_string(),
            "event_code": entry.index.action,
        },
    })
}

/// Why a delivery failed. Nothing here holds an address, a token or a response
/// body: these values reach logs and, as [`code`](Self::code), the audit trail.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DeliveryError {
    /// No TCP connection could be made.
    #[error("cannot connect ({0:?})")]
    Connect(std::io::ErrorKind),
    /// The TLS handshake failed (for example, an untrusted certificate).
    #[error("TLS handshake failed: {0}")]
    Tls(String),
    /// Connecting, writing or waiting for an answer took too long.
    #[error("timed out")]
    Timeout,
    /// The connection broke while sending.
    #[error("write failed ({0:?})")]
    Write(std::io::ErrorKind),
    /// The HTTP endpoint answered with a status other than 2xx.
    #[error("HTTP status {0}")]
    HttpStatus(u16),
    /// The HTTP request failed below the status line.
    #[error("HTTP request failed")]
    Request,
    /// A batch could not be encoded.
    #[error("cannot encode the batch")]
    Encode,
}

impl DeliveryError {
    /// A stable code for the `audit.sink_down` event.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Connect(_) => "connect_failed",
            Self::Tls(_) => "tls_failed",
            Self::Timeout => "timeout",
            Self::Write(_) => "write_failed",
            Self::HttpStatus(_) => "http_status",
            Self::Request => "request_failed",
            Self::Encode => "encode_failed",
        }
    }
}

/// A SIEM connection.
pub trait Sink: Send + 'static {
    /// The name the cursor and the sink's own audit events are kept under.
    fn name(&self) -> &'static str;

    /// Sends `batch` in order. `Ok` means the receiver has all of it, as far as the
    /// protocol can tell; on `Err` none of it counts as delivered. Dropping the
    /// future part-way leaves the sink usable (it reconnects on the next call).
    fn deliver(
        &mut self,
        batch: &[ForwardedEvent],
    ) -> impl Future<Output = Result<(), DeliveryError>> + Send;
}

#[cfg(test)]
mod tests {
    use custos_audit::{Activity, Actor, AuditEvent, IndexFields, PendingEntry};

    use super::*;

    fn entry(seq: u64, payload: Vec<u8>) -> StoredEntry {
        StoredEntry {
            seq,
            time_ms: 1_800_000_000_000,
            index: IndexFields {
                action: "customer.reveal".into(),
                actor: "alice".into(),
                target_kind: None,
                target_id: None,
                outcome: "success".into(),
            },
            payload,
            prev_hash: [0; 32],
            hash: [1; 32],
            head_signature: None,
        }
    }

    #[test]
    fn a_readable_entry_becomes_its_ocsf_object() {
        let event = AuditEvent::new(
            1_800_000_000_123,
            Activity::Decrypt,
            "customer.reveal",
            Outcome::Failure,
            Actor::system(),
            "denied",
        );
        let pending = PendingEntry::from_event(&event).unwrap();
        let forwarded = ForwardedEvent::from_entry(&entry(7, pending.payload));
        assert_eq!(forwarded.seq, 7);
        assert_eq!(forwarded.time_ms, 1_800_000_000_123);
        assert_eq!(forwarded.action, "customer.reveal");
        assert_eq!(forwarded.outcome, Outcome::Failure);
        assert_eq!(forwarded.ocsf["metadata"]["sequence"], 7);
        assert_eq!(forwarded.ocsf["class_uid"], 6005);
    }

    #[test]
    fn an_unreadable_entry_still_goes_out_with_its_position() {
        let forwarded = ForwardedEvent::from_entry(&entry(9, b"{not json".to_vec()));
        assert_eq!(forwarded.seq, 9);
        assert_eq!(forwarded.outcome, Outcome::Unknown);
        assert_eq!(forwarded.ocsf["metadata"]["sequence"], 9);
        assert_eq!(forwarded.ocsf["metadata"]["event_code"], "customer.reveal");
    }
}
