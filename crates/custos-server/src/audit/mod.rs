//! The audit log service: every security-relevant action records an event here
//! and waits until it is durable.
//!
//! One writer task owns appends. Callers queue an event and wait; the writer takes
//! everything queued (up to [`MAX_BATCH`]), seals it onto the chain in one
//! transaction with one head signature (group commit), and only then answers each
//! caller. If the append fails, every caller in the batch gets an error and the
//! action it was recording must fail too: fail closed.
//!
//! When `checkpoint_every` entries will have accumulated by a batch's end, or
//! `checkpoint_interval` has passed, the batch's transaction also stores a signed
//! checkpoint of the head it reaches (no commit of its own: storing it apart cost
//! the writer a quarter of its time at 40,000 events/s); the writer then appends it
//! to the witness file outside the database. A quiet interval's checkpoint is made
//! on its own, from the head in the store.

pub mod events;
pub mod forward;
mod gather;
pub mod lookup;
pub mod witness;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use custos_audit::{AuditEvent, AuditSigner, ChainHead, Checkpoint, PendingEntry, StoredEventV1};
use custos_store::{AuditStore, Store};
use thiserror::Error;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::clock::Clock;
use crate::config::AuditConfig;
use gather::Gathering;
use witness::WitnessFile;

/// Largest number of events sealed in one transaction.
pub const MAX_BATCH: usize = 2048;
/// Events that may wait for the writer; callers beyond this wait for room.
const QUEUE_DEPTH: usize = 16 * 1024;

/// Committed batches the detection feed may hold before the writer drops one
/// (the reader then finds the gap and reads those entries from the store).
pub const FEED_DEPTH: usize = 256;

/// A batch as committed, handed to the detection loop so that it need not read
/// the entries back from the store and decode them.
#[derive(Debug)]
pub struct CommittedBatch {
    /// The sequence number of the first entry.
    pub first_seq: u64,
    /// The events as stored (what decoding each payload gives), in sequence order.
    pub events: Vec<StoredEventV1>,
}

/// Why an event could not be recorded. The action being audited must not proceed.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum AuditError {
    /// The event itself is malformed (a programming error).
    #[error("audit event refused: {0}")]
    Invalid(String),
    /// The trail could not be written.
    #[error("the audit trail is unavailable")]
    Unavailable,
}

/// A queued append: the entry, its stored form, who waits for its sequence number.
type Append = (
    PendingEntry,
    StoredEventV1,
    oneshot::Sender<Result<u64, AuditError>>,
);

#[allow(
    clippy::large_enum_variant,
    reason = "nearly every command is an append; boxing it would add an allocation per event"
)]
enum Command {
    Append {
        entry: PendingEntry,
        stored: StoredEventV1,
        done: oneshot::Sender<Result<u64, AuditError>>,
    },
    Checkpoint {
        done: oneshot::Sender<Result<Option<u64>, AuditError>>,
    },
    Close {
        done: oneshot::Sender<()>,
    },
}

/// A handle to the writer. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AuditLog {
    commands: mpsc::Sender<Command>,
    healthy: Arc<AtomicBool>,
}

/// Everything the writer needs.
pub struct AuditWriter {
    store: Store,
    signer: Arc<AuditSigner>,
    instance: String,
    clock: Arc<dyn Clock>,
    config: AuditConfig,
    witness: WitnessFile,
    /// Told the new head's sequence number after each committed batch (the forwarders wait on it).
    committed: Option<watch::Sender<u64>>,
    /// Handed each committed batch's events (the detection loop reads them).
    feed: Option<mpsc::Sender<CommittedBatch>>,
}

impl AuditWriter {
    /// Prepares a writer for `store`, signing with `signer` for `instance`.
    pub fn new(
        store: Store,
        signer: Arc<AuditSigner>,
        instance: String,
        clock: Arc<dyn Clock>,
        config: AuditConfig,
    ) -> Self {
        let witness = WitnessFile::new(config.witness_file.clone());
        Self {
            store,
            signer,
            instance,
            clock,
            config,
            witness,
            committed: None,
            feed: None,
        }
    }

    /// Publishes the head's sequence number on `committed` after every committed batch.
    #[must_use]
    pub fn with_commit_notifier(mut self, committed: watch::Sender<u64>) -> Self {
        self.committed = Some(committed);
        self
    }

    /// Hands every committed batch's events to `feed`, dropping a batch rather than
    /// waiting when it is full.
    #[must_use]
    pub fn with_batch_feed(mut self, feed: mpsc::Sender<CommittedBatch>) -> Self {
        self.feed = Some(feed);
        self
    }

    /// Starts the writer task.
    pub fn spawn(self) -> (AuditLog, JoinHandle<()>) {
        let (commands, receiver) = mpsc::channel(QUEUE_DEPTH);
        let healthy = Arc::new(AtomicBool::new(true));
        let task = tokio::spawn(self.run(receiver, healthy.clone()));
        (AuditLog { commands, healthy }, task)
    }

    async fn run(self, mut receiver: mpsc::Receiver<Command>, healthy: Arc<AtomicBool>) {
        let last_size = self.last_checkpoint_size().await;
        let mut state = CheckpointState {
            last_size,
            last_time: tokio::time::Instant::now(),
            head_seq: last_size,
        };
        let mut tick =
            tokio::time::interval(self.config.checkpoint_interval.max(Duration::from_secs(1)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut gathering = Gathering::default();
        loop {
            let first = tokio::select! {
                command = receiver.recv() => match command {
                    Some(command) => command,
                    None => break,
                },
                _ = tick.tick() => {
                    if state.last_time.elapsed() >= self.config.checkpoint_interval {
                        let _ = self.checkpoint(&mut state, None).await;
                    }
                    continue;
                }
            };
            gathering.begin();
            let mut appends = Vec::new();
            let mut checkpoint_requests = Vec::new();
            let mut close = None;
            let mut next = Some(first);
            while let Some(command) = next.take() {
                match command {
                    Command::Append {
                        entry,
                        stored,
                        done,
                    } => appends.push((entry, stored, done)),
                    Command::Checkpoint { done } => checkpoint_requests.push(done),
                    Command::Close { done } => {
                        close = Some(done);
                        break;
                    }
                }
                if appends.len() < MAX_BATCH {
                    next = receiver.try_recv().ok();
                }
                if next.is_none() {
                    next = gathering.more(&mut receiver, appends.len()).await;
                }
            }
            let size = appends.len();
            let mut head = None;
            if !appends.is_empty() {
                // A checkpoint due at this batch's end is stored in its transaction.
                let reaches = state.head_seq + size as u64;
                let due = reaches >= state.last_size + self.config.checkpoint_every
                    || state.last_time.elapsed() >= self.config.checkpoint_interval;
                let started = std::time::Instant::now();
                head = self.append(appends, due, &mut state, &healthy).await;
                gathering.committed(size, started.elapsed());
                let due_by_count = head
                    .as_ref()
                    .is_some_and(|h| h.seq >= state.last_size + self.config.checkpoint_every);
                let due_by_time = state.last_time.elapsed() >= self.config.checkpoint_interval;
                if due_by_count || due_by_time {
                    let _ = self.checkpoint(&mut state, head.clone()).await;
                }
            }
            for done in checkpoint_requests {
                let _ = done.send(self.checkpoint(&mut state, head.clone()).await);
            }
            if let Some(done) = close {
                // Cover everything written with a final checkpoint before stopping.
                let _ = self.checkpoint(&mut state, head).await;
                let _ = done.send(());
                return;
            }
        }
        let _ = self.checkpoint(&mut state, None).await;
    }

    /// Seals a batch, with a checkpoint of the head it reaches when `checkpoint`
    /// says so, and answers its callers.
    async fn append(
        &self,
        appends: Vec<Append>,
        checkpoint: bool,
        state: &mut CheckpointState,
        healthy: &AtomicBool,
    ) -> Option<ChainHead> {
        let count = appends.len() as u64;
        let mut entries = Vec::with_capacity(appends.len());
        let mut events = Vec::with_capacity(appends.len());
        let mut waiters = Vec::with_capacity(appends.len());
        for (entry, stored, done) in appends {
            entries.push(entry);
            events.push(stored);
            waiters.push(done);
        }
        let now_ms = now_ms(self.clock.as_ref());
        let appended = if checkpoint {
            self.store
                .append_audit_checkpointed(entries, &self.signer, &self.instance, now_ms)
                .await
                .map(|(head, signed)| (head, Some(signed)))
        } else {
            self.store
                .append_audit(entries, &self.signer, &self.instance, now_ms)
                .await
                .map(|head| (head, None))
        };
        match appended {
            Ok((head, signed)) => {
                healthy.store(true, Ordering::SeqCst);
                state.head_seq = head.seq;
                if let Some(signed) = signed {
                    self.witness(&signed);
                    state.checkpointed(head.seq);
                }
                if let Some(committed) = &self.committed {
                    committed.send_replace(head.seq);
                }
                let first = head.seq + 1 - count;
                if let Some(feed) = &self.feed {
                    let _ = feed.try_send(CommittedBatch {
                        first_seq: first,
                        events,
                    });
                }
                for (offset, done) in waiters.into_iter().enumerate() {
                    let _ = done.send(Ok(first + offset as u64));
                }
                Some(head)
            }
            Err(e) => {
                healthy.store(false, Ordering::SeqCst);
                tracing::error!(error = %e, events = count, "audit append failed; the audited actions fail");
                for done in waiters {
                    let _ = done.send(Err(AuditError::Unavailable));
                }
                None
            }
        }
    }

    async fn last_checkpoint_size(&self) -> u64 {
        match self.store.latest_audit_checkpoint_line().await {
            Ok(line) => line
                .and_then(|l| custos_audit::SignedCheckpoint::from_json_line(&l).ok())
                .map_or(0, |c| c.checkpoint.size),
            Err(_) => 0,
        }
    }

    /// Signs, stores and witnesses a checkpoint of `head` (read from the store if
    /// not given) when it covers entries no checkpoint covers yet.
    async fn checkpoint(
        &self,
        state: &mut CheckpointState,
        head: Option<ChainHead>,
    ) -> Result<Option<u64>, AuditError> {
        state.last_time = tokio::time::Instant::now();
        let head = match head {
            Some(head) => head,
            None => self.store.audit_head().await.map_err(|e| {
                tracing::error!(error = %e, "cannot read the audit head for a checkpoint");
                AuditError::Unavailable
            })?,
        };
        if head.seq == 0 || head.seq <= state.last_size {
            return Ok(None);
        }
        let signed = Checkpoint::of_head(&head, &self.instance, now_ms(self.clock.as_ref()))
            .sign(&self.signer);
        self.store
            .put_audit_checkpoint(&signed)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "cannot store an audit checkpoint");
                AuditError::Unavailable
            })?;
        self.witness(&signed);
        state.checkpointed(head.seq);
        Ok(Some(head.seq))
    }

    /// Appends a stored checkpoint to the witness file.
    fn witness(&self, signed: &custos_audit::SignedCheckpoint) {
        if let Err(e) = self.witness.append(signed) {
            // The checkpoint is in the database; the witness is what survives its loss.
            tracing::error!(error = %e, path = %self.witness.path().display(), "cannot write the audit witness file");
        }
        tracing::debug!(size = signed.checkpoint.size, "audit checkpoint");
    }
}

/// Where the chain and its checkpoints stand, as the writer last saw them.
struct CheckpointState {
    /// Entries the last checkpoint covers.
    last_size: u64,
    /// When the last checkpoint was made (or one was last considered).
    last_time: tokio::time::Instant,
    /// The head's sequence number after the writer's last batch (other processes
    /// may have appended since; a checkpoint then comes one batch later).
    head_seq: u64,
}

impl CheckpointState {
    fn checkpointed(&mut self, size: u64) {
        self.last_size = size;
        self.last_time = tokio::time::Instant::now();
    }
}

fn now_ms(clock: &dyn Clock) -> i64 {
    let now = clock.now();
    now.unix_timestamp() * 1000 + i64::from(now.millisecond())
}

impl AuditLog {
    /// Records `event` and waits until it is durable; returns its sequence number.
    /// An error means the audited action must not go ahead.
    pub async fn record(&self, event: AuditEvent) -> Result<u64, AuditError> {
        let (entry, stored) =
            PendingEntry::with_stored(event).map_err(|e| AuditError::Invalid(e.to_string()))?;
        let (done, answer) = oneshot::channel();
        self.commands
            .send(Command::Append {
                entry,
                stored,
                done,
            })
            .await
            .map_err(|_| AuditError::Unavailable)?;
        answer.await.map_err(|_| AuditError::Unavailable)?
    }

    /// Makes a checkpoint now if entries are uncovered; returns its size.
    pub async fn checkpoint_now(&self) -> Result<Option<u64>, AuditError> {
        let (done, answer) = oneshot::channel();
        self.commands
            .send(Command::Checkpoint { done })
            .await
            .map_err(|_| AuditError::Unavailable)?;
        answer.await.map_err(|_| AuditError::Unavailable)?
    }

    /// Stops the writer after what is queued, with a final checkpoint. Later
    /// records fail with [`AuditError::Unavailable`].
    pub async fn close(&self) {
        let (done, answer) = oneshot::channel();
        if self.commands.send(Command::Close { done }).await.is_ok() {
            let _ = answer.await;
        }
    }

    /// Whether the last append succeeded.
    pub fn is_healthy(&self) -> bool {
        self.healthy.load(Ordering::SeqCst)
    }
}

/// The current time in milliseconds, as events carry it.
pub fn event_time_ms(clock: &dyn Clock) -> i64 {
    now_ms(clock)
}
