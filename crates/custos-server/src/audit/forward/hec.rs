//! HTTP event batches in the Splunk HTTP Event Collector format, which many
//! SIEMs accept: one POST per batch to the configured `https://` URL with
//! `Authorization: Splunk <token>`, the body a run of JSON objects
//!
//! ```text
//! {"time":1800000000.123,"host":"node-1","source":"custos","sourcetype":"ocsf","event":{…OCSF…}}
//! ```
//!
//! one per line. Only a 2xx answer counts as delivered; anything else, including
//! a redirect, is a failure and the batch is sent again later.

use std::time::Duration;

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use secrecy::ExposeSecret as _;
use serde::Serialize;
use serde_json::Value;

use super::sink::{DeliveryError, ForwardedEvent, Sink};
use super::{ForwardError, trust};
use crate::config::HttpSinkConfig;

/// The name of this sink's cursor and events.
pub const SINK_NAME: &str = "http";
/// Bound on establishing a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Bound on one request, answer included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// An HEC-compatible endpoint.
pub struct HecSink {
    client: reqwest::Client,
    url: reqwest::Url,
    /// `Splunk <token>`, marked sensitive so no HTTP-layer log prints it.
    authorization: HeaderValue,
    hostname: Option<String>,
}

impl std::fmt::Debug for HecSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HecSink({})", self.url.host_str().unwrap_or("-"))
    }
}

impl HecSink {
    /// A sink for `config`; events name `hostname` as their `host`.
    pub fn new(config: &HttpSinkConfig, hostname: Option<&str>) -> Result<Self, ForwardError> {
        let tls = trust::client_config(
            config.ca_file.as_deref(),
            "audit.http_ca_file",
            &[b"h2", b"http/1.1"],
        )?;
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .https_only(true)
            // A redirect could carry the token elsewhere, and a SIEM endpoint has no reason to move.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| ForwardError::HttpClient(e.without_url()))?;
        let mut authorization =
            HeaderValue::from_str(&format!("Splunk {}", config.token().expose_secret()))
                .map_err(|_| ForwardError::Token)?;
        authorization.set_sensitive(true);
        Ok(Self {
            client,
            url: config.url().clone(),
            authorization,
            hostname: hostname.map(str::to_owned),
        })
    }
}

impl Sink for HecSink {
    fn name(&self) -> &'static str {
        SINK_NAME
    }

    async fn deliver(&mut self, batch: &[ForwardedEvent]) -> Result<(), DeliveryError> {
        let body = hec_body(batch, self.hostname.as_deref())?;
        let response = self
            .client
            .post(self.url.clone())
            .header(AUTHORIZATION, self.authorization.clone())
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| classify(&e))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(DeliveryError::HttpStatus(status.as_u16()))
        }
    }
}

/// Sorts a request failure without keeping reqwest's error, whose text names the URL.
fn classify(error: &reqwest::Error) -> DeliveryError {
    if error.is_timeout() {
        DeliveryError::Timeout
    } else if error.is_connect() {
        DeliveryError::Connect(std::io::ErrorKind::Other)
    } else {
        DeliveryError::Request
    }
}

/// One HEC event.
#[derive(Serialize)]
struct HecEvent<'a> {
    /// Seconds since the epoch, milliseconds as the fraction.
    time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    host: Option<&'a str>,
    source: &'static str,
    sourcetype: &'static str,
    event: &'a Value,
}

/// The request body: one HEC event object per line.
pub fn hec_body(
    batch: &[ForwardedEvent],
    hostname: Option<&str>,
) -> Result<Vec<u8>, DeliveryError> {
    let mut body = Vec::new();
    for event in batch {
        let wrapped = HecEvent {
            time: event.time_ms as f64 / 1000.0,
            host: hostname,
            source: "custos",
            sourcetype: "ocsf",
            event: &event.ocsf,
        };
        serde_json::to_writer(&mut body, &wrapped).map_err(|_| DeliveryError::Encode)?;
        body.push(b'\n');
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use custos_audit::Outcome;
    use serde_json::json;

    use super::*;

    #[test]
    fn the_body_is_one_hec_event_per_entry() {
        let batch: Vec<ForwardedEvent> = (1..=2)
            .map(|seq| ForwardedEvent {
                seq,
                time_ms: 1_800_000_000_123,
                action: "customer.read".into(),
                outcome: Outcome::Success,
                ocsf: json!({ "metadata": { "sequence": seq } }),
            })
            .collect();
        let body = hec_body(&batch, Some("node-1")).unwrap();
        let objects: Vec<Value> = serde_json::Deserializer::from_slice(&body)
            .into_iter::<Value>()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(objects.len(), 2);
        assert_eq!(
            objects[0],
            json!({
                "time": 1_800_000_000.123,
                "host": "node-1",
                "source": "custos",
                "sourcetype": "ocsf",
                "event": { "metadata": { "sequence": 1 } },
            })
        );
        assert_eq!(objects[1]["event"]["metadata"]["sequence"], 2);
        let text = String::from_utf8(body).unwrap();
        assert!(text.contains("\"time\":1800000000.123,"), "{text}");
        let without_host = hec_body(&batch[..1], None).unwrap();
        assert!(!String::from_utf8(without_host).unwrap().contains("host"));
    }
}
