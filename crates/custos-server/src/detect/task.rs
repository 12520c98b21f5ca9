//! The detection loop: after each committed audit batch (and at least every second,
//! for other nodes' events on a shared store), read the entries after the cursor,
//! run them through the engine, and respond to what it finds.

use std::time::Duration;

use custos_audit::StoredEventV1;
use custos_store::AuditStore as _;
use tokio::sync::watch;

use crate::state::AppState;

/// Entries read per round trip.
const BATCH: u32 = 1_000;

/// Runs until shutdown.
pub async fn run(
    state: AppState,
    mut committed: watch::Receiver<u64>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut notifier_alive = true;
    loop {
        tokio::select! {
            changed = committed.changed(), if notifier_alive => {
                notifier_alive = changed.is_ok();
            }
            _ = tick.tick() => {}
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    return;
                }
            }
        }
        if let Err(e) = catch_up(&state).await {
            tracing::warn!(error = %e, "detection could not read or answer the audit stream");
        }
    }
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
        let Some(last) = entries.last().map(|e| e.seq) else {
            break;
        };
        let mut events = Vec::with_capacity(entries.len());
        for entry in &entries {
            match StoredEventV1::decode(&entry.payload) {
                Ok(stored) => {
                    if let Some(event) = detection
                        .to_detect_event(state.store(), entry.seq, stored)
                        .await
                    {
                        events.push(event);
                    }
                }
                Err(_) => tracing::warn!(seq = entry.seq, "an audit entry detection cannot read"),
            }
        }
        let mut findings = Vec::new();
        {
            let mut engine = super::lock(&detection.engine);
            for event in &events {
                engine.observe_into(event, &mut findings);
            }
        }
        *cursor = last;
        found += findings.len();
        for finding in findings {
            super::respond(state, finding).await?;
        }
        if entries.len() < BATCH as usize {
            break;
        }
    }
    Ok(found)
}
