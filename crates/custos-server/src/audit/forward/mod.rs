//! Forwarding the audit trail to SIEMs, at least once, from a cursor kept in
//! the store.
//!
//! Each configured sink ([`syslog`] over TLS, [`hec`] over HTTPS) gets one task
//! that loops:
//!
//! 1. read the sink's cursor (the last sequence number it has acknowledged),
//! 2. read up to `audit.forward_batch` entries after it,
//! 3. decode each and format it as OCSF JSON,
//! 4. deliver the batch,
//! 5. only after the sink acknowledged it, move the cursor to its last entry.
//!
//! With nothing new it waits for the audit writer's commit notification, or
//! for a short poll that also finds entries other processes appended. When
//! delivery fails the cursor stays where it is, the task retries with capped
//! exponential backoff ([`backoff`]), and the backlog drains in order once the
//! SIEM is back: nothing is lost while the trail itself is kept.
//!
//! **At least once, not exactly once.** A crash (or a store error) between a
//! delivery and the cursor update sends that batch again after restart, so a
//! SIEM can see an entry twice. Every message carries its sequence number, which
//! makes duplicates easy to drop and gaps easy to see.
//!
//! The forwarder records its own life in the trail: `audit.sink_start` and
//! `audit.sink_stop`, `audit.sink_down` once per outage (with a stable reason
//! code) and `audit.sink_restored` when delivery works again. They name the sink
//! (`syslog`, `http`), never its address or token. On shutdown each task stops
//! waiting (a delivery in flight may finish), records its stop, and delivers
//! what it can until [`DRAIN_BOUND`] after the request; what is left goes out
//! after the next start.
//!
//! The design record is `docs/design/0003-audit-forwarding.md`.

pub mod backoff;
pub mod hec;
pub mod sink;
pub mod syslog;
mod trust;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use custos_audit::AuditEvent;
use custos_store::{AuditStore, Store, StoreError};
use thiserror::Error;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::{AuditLog, event_time_ms, events};
use crate::clock::Clock;
use crate::config::ForwardConfig;
use backoff::Backoff;
use hec::HecSink;
use sink::{DeliveryError, ForwardedEvent, Sink};
use syslog::SyslogSink;

/// Longest wait for new entries without a commit notification: entries appended
/// by another process (the CLI, another node on the same PostgreSQL) raise none.
pub const POLL_INTERVAL: Duration = Duration::from_secs(2);
/// How long a stopping forwarder keeps delivering, counted from the stop request.
pub const DRAIN_BOUND: Duration = Duration::from_secs(3);
/// Extra time shutdown gives a forwarder past its drain deadline (to record its
/// stop) before abandoning it.
const STOP_MARGIN: Duration = Duration::from_secs(2);

/// Why forwarding could not be set up. Messages name keys and files, never a URL or token.
#[derive(Debug, Error)]
pub enum ForwardError {
    /// A configured CA file could not be read or holds no usable certificate.
    #[error("{key}: cannot read a PEM CA certificate from {path}")]
    CaFile {
        /// The configuration key.
        key: &'static str,
        /// The file.
        path: PathBuf,
    },
    /// The TLS client configuration (including the platform's roots) failed.
    #[error("TLS set-up for audit forwarding: {0}")]
    Tls(#[from] rustls::Error),
    /// The syslog host is not a name a certificate can carry.
    #[error("audit.syslog_url: the host is not a DNS name or an IP address")]
    SyslogHost,
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client for audit forwarding: {0}")]
    HttpClient(#[source] reqwest::Error),
    /// The token cannot be sent in a header.
    #[error("audit.http_token: not usable in an HTTP header")]
    Token,
}

/// The sinks of a configuration, built (CA files read, clients made) but not yet running.
#[derive(Debug)]
pub struct PreparedSinks {
    syslog: Option<SyslogSink>,
    http: Option<HecSink>,
    batch: u32,
}

/// Builds the configured sinks, so a bad CA file stops the start before anything runs.
/// Messages name `hostname` as their origin.
pub fn prepare(
    config: &ForwardConfig,
    hostname: Option<&str>,
) -> Result<PreparedSinks, ForwardError> {
    Ok(PreparedSinks {
        syslog: config
            .syslog
            .as_ref()
            .map(|c| SyslogSink::new(c, hostname))
            .transpose()?,
        http: config
            .http
            .as_ref()
            .map(|c| HecSink::new(c, hostname))
            .transpose()?,
        batch: config.batch,
    })
}

/// What every forwarder shares with the rest of the node.
#[derive(Clone)]
pub struct ForwardContext {
    /// Where the trail and the cursors are.
    pub store: Store,
    /// For the forwarders' own events.
    pub audit: AuditLog,
    /// Event times and cursor update times.
    pub clock: Arc<dyn Clock>,
    /// The head's sequence number after each commit ([`AuditWriter::with_commit_notifier`](super::AuditWriter::with_commit_notifier)).
    pub committed: watch::Receiver<u64>,
}

impl PreparedSinks {
    /// Starts one forwarder per sink.
    pub fn spawn(self, context: ForwardContext) -> Forwarders {
        let (stop, stop_rx) = watch::channel(None);
        let mut tasks = Vec::new();
        if let Some(sink) = self.syslog {
            tasks.push(spawn_forwarder(sink, self.batch, &context, stop_rx.clone()));
        }
        if let Some(sink) = self.http {
            tasks.push(spawn_forwarder(sink, self.batch, &context, stop_rx.clone()));
        }
        Forwarders { stop, tasks }
    }
}

fn spawn_forwarder<S: Sink>(
    sink: S,
    batch: u32,
    context: &ForwardContext,
    stop: watch::Receiver<Option<Instant>>,
) -> (&'static str, JoinHandle<()>) {
    let name = sink.name();
    let forwarder = Forwarder {
        sink,
        context: context.clone(),
        batch,
        backoff: Backoff::default(),
        outage: None,
    };
    (name, tokio::spawn(forwarder.run(stop)))
}

/// The running forwarders.
#[derive(Debug)]
pub struct Forwarders {
    /// `Some(drain deadline)` once stopping is asked for.
    stop: watch::Sender<Option<Instant>>,
    tasks: Vec<(&'static str, JoinHandle<()>)>,
}

impl Forwarders {
    /// Asks every forwarder to stop and waits for them, bounded: a stopping
    /// forwarder records `audit.sink_stop` and drains until [`DRAIN_BOUND`] after
    /// this call. Call before the audit writer closes.
    pub async fn stop(self) {
        let deadline = Instant::now() + DRAIN_BOUND;
        self.stop.send_replace(Some(deadline));
        for (name, mut task) in self.tasks {
            match tokio::time::timeout_at(deadline + STOP_MARGIN, &mut task).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::error!(sink = name, error = %e, "audit forwarder failed"),
                Err(_) => {
                    task.abort();
                    tracing::warn!(
                        sink = name,
                        "audit forwarder did not stop in time; abandoned"
                    );
                }
            }
        }
    }
}

/// What one pass of the loop achieved.
enum Progress {
    /// A batch went out and the cursor moved.
    Delivered,
    /// Nothing after the cursor.
    CaughtUp,
}

/// Why one pass failed.
enum Failure {
    /// The SIEM did not take the batch.
    Delivery(DeliveryError),
    /// The cursor or the entries could not be read or written.
    Store(StoreError),
}

/// What to wait for before the next pass.
enum Pause {
    /// Caught up: a commit notification or the poll interval.
    UntilNewEntries,
    /// After a failure.
    Backoff(Duration),
}

/// A delivery outage in progress.
struct Outage {
    failed_attempts: u64,
}

struct Forwarder<S> {
    sink: S,
    context: ForwardContext,
    batch: u32,
    backoff: Backoff,
    outage: Option<Outage>,
}

impl<S: Sink> Forwarder<S> {
    async fn run(mut self, mut stop: watch::Receiver<Option<Instant>>) {
        let name = self.sink.name();
        tracing::info!(sink = name, "audit forwarding started");
        self.record(events::audit_sink_started(self.now_ms(), name))
            .await;
        let deadline = self.forward_until_stopped(&mut stop).await;
        self.record(events::audit_sink_stopping(self.now_ms(), name))
            .await;
        self.drain(deadline).await;
        tracing::info!(sink = name, "audit forwarding stopped");
    }

    /// Delivers, waits, retries until stopping is asked for; returns the drain
    /// deadline. Waits end at once on a stop request, but a delivery in flight is
    /// let finish (up to the deadline): cancelling one the SIEM already took
    /// would send it again at the next start.
    async fn forward_until_stopped(
        &mut self,
        stop: &mut watch::Receiver<Option<Instant>>,
    ) -> Instant {
        loop {
            // Seen before reading, so a commit landing after the read still wakes the wait.
            self.context.committed.borrow_and_update();
            let pass = tokio::select! {
                biased;
                pass = self.forward_batch() => pass,
                deadline = deadline_passed(stop) => return deadline,
            };
            let pause = match pass {
                Ok(Progress::Delivered) => None,
                Ok(Progress::CaughtUp) => Some(Pause::UntilNewEntries),
                Err(failure) => {
                    self.note_failure(failure).await;
                    Some(Pause::Backoff(self.backoff.next_delay()))
                }
            };
            if let Some(deadline) = *stop.borrow() {
                return deadline;
            }
            if let Some(pause) = pause {
                tokio::select! {
                    biased;
                    deadline = stop_requested(stop) => return deadline,
                    () = self.pause(pause) => {}
                }
            }
        }
    }

    async fn pause(&mut self, pause: Pause) {
        match pause {
            Pause::UntilNewEntries => self.wait_for_entries().await,
            Pause::Backoff(delay) => tokio::time::sleep(delay).await,
        }
    }

    /// One batch: cursor, entries, delivery, then the cursor moves.
    async fn forward_batch(&mut self) -> Result<Progress, Failure> {
        let name = self.sink.name();
        let store = &self.context.store;
        let cursor = store.audit_cursor(name).await.map_err(Failure::Store)?;
        let entries = store
            .audit_entries(cursor, self.batch)
            .await
            .map_err(Failure::Store)?;
        let Some(last) = entries.last().map(|e| e.seq) else {
            return Ok(Progress::CaughtUp);
        };
        let batch: Vec<ForwardedEvent> = entries.iter().map(ForwardedEvent::from_entry).collect();
        self.sink.deliver(&batch).await.map_err(Failure::Delivery)?;
        self.note_delivery().await;
        self.context
            .store
            .set_audit_cursor(name, last, self.now_ms())
            .await
            .map_err(Failure::Store)?;
        tracing::debug!(
            sink = name,
            through = last,
            entries = batch.len(),
            "audit entries forwarded"
        );
        Ok(Progress::Delivered)
    }

    async fn wait_for_entries(&mut self) {
        match tokio::time::timeout(POLL_INTERVAL, self.context.committed.changed()).await {
            Ok(Ok(())) | Err(_) => {}
            // The writer is gone; only polling is left.
            Ok(Err(_)) => tokio::time::sleep(POLL_INTERVAL).await,
        }
    }

    /// Keeps the backlog going out until `deadline`, stopping at the first
    /// failure: a SIEM that is down now is not waited for.
    async fn drain(&mut self, deadline: Instant) {
        let name = self.sink.name();
        loop {
            match tokio::time::timeout_at(deadline, self.forward_batch()).await {
                Ok(Ok(Progress::Delivered)) => {}
                Ok(Ok(Progress::CaughtUp)) => return,
                Ok(Err(failure)) => {
                    log_failure(name, &failure);
                    tracing::warn!(
                        sink = name,
                        "stopping with undelivered audit entries; they go out after the next start"
                    );
                    return;
                }
                Err(_) => {
                    tracing::warn!(
                        sink = name,
                        "stopping with undelivered audit entries; they go out after the next start"
                    );
                    return;
                }
            }
        }
    }

    async fn note_delivery(&mut self) {
        self.backoff.reset();
        if let Some(outage) = self.outage.take() {
            let name = self.sink.name();
            tracing::info!(
                sink = name,
                failed_attempts = outage.failed_attempts,
                "audit forwarding restored"
            );
            self.record(events::audit_sink_restored(
                self.now_ms(),
                name,
                outage.failed_attempts,
            ))
            .await;
        }
    }

    async fn note_failure(&mut self, failure: Failure) {
        let name = self.sink.name();
        log_failure(name, &failure);
        let Failure::Delivery(error) = failure else {
            // A store problem is not the SIEM's outage; the trail itself reports it.
            return;
        };
        match &mut self.outage {
            Some(outage) => outage.failed_attempts += 1,
            None => {
                self.outage = Some(Outage { failed_attempts: 1 });
                self.record(events::audit_sink_down(self.now_ms(), name, error.code()))
                    .await;
            }
        }
    }

    /// Records one of the forwarder's own events. Failing to is logged, not fatal:
    /// the trail's own unavailability is reported by the writer and readiness.
    /// (Borrows only the context, so the sink need not be `Sync`.)
    fn record(&self, event: AuditEvent) -> impl Future<Output = ()> + Send + '_ {
        record(&self.context.audit, self.sink.name(), event)
    }

    fn now_ms(&self) -> i64 {
        event_time_ms(self.context.clock.as_ref())
    }
}

async fn record(audit: &AuditLog, sink: &'static str, event: AuditEvent) {
    if let Err(e) = audit.record(event).await {
        tracing::error!(sink, error = %e, "cannot record an audit forwarding event");
    }
}

fn log_failure(sink: &str, failure: &Failure) {
    match failure {
        Failure::Delivery(e) => {
            tracing::warn!(sink, error = %e, "audit forwarding failed; will retry");
        }
        Failure::Store(e) => {
            tracing::error!(sink, error = %e, "audit forwarding cannot use the store; will retry");
        }
    }
}

/// Resolves once stopping is asked for, with the drain deadline. A dropped
/// handle (a start that failed after spawning) counts as a request now.
async fn stop_requested(stop: &mut watch::Receiver<Option<Instant>>) -> Instant {
    match stop.wait_for(Option::is_some).await {
        Ok(deadline) => deadline.unwrap_or_else(|| Instant::now() + DRAIN_BOUND),
        Err(_) => Instant::now() + DRAIN_BOUND,
    }
}

/// Resolves once stopping was asked for and its drain deadline has passed.
async fn deadline_passed(stop: &mut watch::Receiver<Option<Instant>>) -> Instant {
    let deadline = stop_requested(stop).await;
    tokio::time::sleep_until(deadline).await;
    deadline
}

/// This machine's host name, for the messages' origin; `None` when unknown.
pub fn local_hostname() -> Option<String> {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|path| {
            let name = std::fs::read_to_string(path).ok()?;
            let name = name.trim();
            (!name.is_empty()).then(|| name.to_owned())
        })
}
