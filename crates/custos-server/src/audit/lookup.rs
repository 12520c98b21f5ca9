//! Keeps the audit trail's lookup tables caught up with the chain.
//!
//! Appends write only the entries; the tables behind `GET /api/v1/audit/events`'
//! filters (by actor, action, target, time) are filled here, after the fact, in
//! rounds of up to [`ROUND`] entries each sorted by key, so that a busy customer's
//! or agent's B-tree page is written once per round instead of once per event
//! (design record 0013). A round starts once [`BACKLOG`] entries wait or, for any
//! backlog, every second (which also picks up entries other processes and nodes
//! wrote). Queries never depend on it: they read the entries the tables do not
//! cover yet straight from the trail.

use std::time::Duration;

use custos_store::{AuditStore as _, Store};
use tokio::sync::watch;

/// Entries per indexing transaction. Large, because the target table's inserts
/// scatter over the customers: a round of 8,192 over 5,000 customers wrote
/// nearly a page per entry, and as the table grew the rounds took over half the
/// CPU of the append benchmark; at 65,536 each page written carries about ten
/// (BENCHMARKS.md, issue 3).
pub const ROUND: u32 = 65_536;
/// Entries waiting that start a round before the next tick.
pub const BACKLOG: u64 = 32_768;

/// Runs until shutdown.
pub async fn run(
    store: Store,
    mut committed: watch::Receiver<u64>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut indexed = 0;
    let mut notifier_alive = true;
    loop {
        tokio::select! {
            changed = committed.changed(), if notifier_alive => {
                notifier_alive = changed.is_ok();
                if committed.borrow().saturating_sub(indexed) < BACKLOG {
                    continue;
                }
            }
            _ = tick.tick() => {}
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    return;
                }
                continue;
            }
        }
        indexed = catch_up(&store, indexed).await;
    }
}

/// Indexes rounds until the lookup tables cover the trail; returns their watermark
/// (`indexed`, unchanged, if the store could not be reached).
pub async fn catch_up(store: &Store, mut indexed: u64) -> u64 {
    loop {
        match store.index_audit(ROUND).await {
            Ok(reached) if reached.saturating_sub(indexed) >= u64::from(ROUND) => {
                indexed = reached;
                // A full round: more may wait. Let the appends that queued meanwhile go first.
                tokio::task::yield_now().await;
            }
            Ok(reached) => return reached,
            Err(e) => {
                tracing::warn!(error = %e, "cannot index the audit trail; queries scan the unindexed entries");
                return indexed;
            }
        }
    }
}
