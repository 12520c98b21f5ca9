//! The detection loop: each committed audit batch, as the writer hands it over,
//! runs through the engine, and the loop responds to what it finds. Entries it
//! was not handed (another process's or node's, or a batch dropped because the
//! loop fell behind) show up as a gap in sequence numbers: the loop then reads
//! the entries after its cursor from the store, as it also does every second.

use std::time::Duration;

use custos_audit::StoredEventV1;
use custos_store::AuditStore as _;
use tokio::sync::{mpsc, watch};

use crate::audit::CommittedBatch;
use crate::state::AppState;

/// Entries read per round trip.
const BATCH: u32 = 1_000;

/// Runs until shutdown.
pub async fn run(
    state: AppState,
    mut batches: mpsc::Receiver<CommittedBatch>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut feed_alive = true;
    loop {
        let result = tokio::select! {
            batch = batches.recv(), if feed_alive => match batch {
                Some(batch) => take_batch(&state, batch).await,
                None => {
                    feed_alive = false;
                    continue;
                }
            },
            _ = tick.tick() => catch_up(&state).await,
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    return;
                }
                continue;
            }
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, "detection could not read or answer the audit stream");
        }
    }
}

/// Runs a committed batch through the engine if it follows the cursor; after a
/// gap, reads everything after the cursor from the store instead (which covers
/// the batch too).
async fn take_batch(state: &AppState, batch: CommittedBatch) -> Result<usize, String> {
    let detection = state.detection();
    let mut cursor = detection.cursor.lock().await;
    if batch.first_seq > *cursor + 1 {
        drop(cursor);
        return catch_up(state).await;
    }
    let from = *cursor;
    let entries = (batch.first_seq..)
        .zip(batch.events)
        .filter(|(seq, _)| *seq > from)
        .map(|(seq, event)| (seq, Some(event)));
    observe(state, &mut cursor, entries).await
}

/// Reads every entry after the cursor through the engine and responds to the
/// findings; returns how many findings there were.
pub async fn catch_up(state: &AppState) -> Result<usize, String> {
    let detection = state.detection();
    let mut cursor = detection.cursor.lock().await;
    let mut found = 0;
    loop {
        let entries = state
            .store()
            .audit_entries(*cursor, BATCH)
            .await
            .map_err(|e| e.to_string())?;
        if entries.is_empty() {
            break;
        }
        let stored = entries.iter().map(|e| {
            let event = StoredEventV1::decode(&e.payload).ok();
            if event.is_none() {
                tracing::warn!(seq = e.seq, "an audit entry detection cannot read");
            }
            (e.seq, event)
        });
        found += observe(state, &mut cursor, stored).await?;
        if entries.len() < BATCH as usize {
            break;
        }
    }
    Ok(found)
}

/// Runs `entries` (sequence number, stored event if it could be read) through the
/// engine, moves the cursor past them and responds to the findings; returns how
/// many there were.
async fn observe(
    state: &AppState,
    cursor: &mut u64,
    entries: impl Iterator<Item = (u64, Option<StoredEventV1>)>,
) -> Result<usize, String> {
    let detection = state.detection();
    let mut events = Vec::new();
    let mut last = None;
    for (seq, stored) in entries {
        last = Some(seq);
        if let Some(stored) = stored
            && let Some(event) = detection.to_detect_event(state.store(), seq, stored).await
        {
            events.push(event);
        }
    }
    let Some(last) = last else {
        return Ok(0);
    };
    let mut findings = Vec::new();
    {
        let mut engine = super::lock(&detection.engine);
        for event in &events {
            engine.observe_into(event, &mut findings);
        }
    }
    *cursor = last;
    let found = findings.len();
    for finding in findings {
        super::respond(state, finding).await?;
    }
    Ok(found)
}
