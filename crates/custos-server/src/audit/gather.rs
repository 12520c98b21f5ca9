//! When the audit writer waits a moment for more of a batch, and when it commits at once.
//!
//! Right after a commit, the callers it answered are still building their next
//! events: taking only what is queued then splits a steady load into alternating
//! large and small batches, each paying a whole commit. So while fewer than the last
//! batch's size are gathered (and fewer than [`GATHER_UP_TO`]), the writer lets the
//! other tasks run, up to [`GATHER_YIELDS`] times, and takes what they queue.
//!
//! Letting the other tasks run is cheap when they are few and short (callers that
//! only record events) and dear when the workers are busy: under an HTTP load a
//! yielded task runs again only after the worker's next maintenance, dozens of
//! request polls later (about 1–2 ms on the reference machine), and meanwhile every
//! caller of the next batch waits with the cores partly idle. So the writer also
//! keeps the time it spends gathering under half its last commit's duration (what
//! the wait would save), judging each yield by what the last one cost. Once every
//! [`PROBE_EVERY`] batches it yields once regardless, so the estimate follows the load
//! when it lightens. Figures: BENCHMARKS.md, issue 5 (nineteenth session) and issue 3.

use std::time::{Duration, Instant};

use tokio::sync::mpsc;

/// How many times the writer lets the other tasks run while gathering a batch.
const GATHER_YIELDS: usize = 4;
/// A batch this large is committed without gathering: the commit's fsync is
/// already shared widely, and waiting would only idle the writer (measured: at
/// 512 producers gathering up to the last batch's size cost 8%).
const GATHER_UP_TO: usize = 64;
/// Every this many batches the writer yields once whatever the last yield cost, to
/// measure it again.
const PROBE_EVERY: u64 = 32;

/// What the writer remembers from one batch to the next to decide how long to gather.
#[derive(Debug)]
pub(super) struct Gathering {
    last_batch: usize,
    last_commit: Duration,
    yield_cost: Duration,
    batches: u64,
    started: Instant,
    probe: bool,
}

impl Default for Gathering {
    fn default() -> Self {
        Self {
            last_batch: 0,
            last_commit: Duration::ZERO,
            yield_cost: Duration::ZERO,
            batches: 0,
            started: Instant::now(),
            probe: false,
        }
    }
}

impl Gathering {
    /// A batch starts: its first command has just been taken.
    pub(super) fn begin(&mut self) {
        self.started = Instant::now();
        self.probe = self.batches.is_multiple_of(PROBE_EVERY);
    }

    /// The batch of `size` events was committed (or failed) in `took`.
    pub(super) fn committed(&mut self, size: usize, took: Duration) {
        self.last_batch = size;
        self.last_commit = took;
        self.batches = self.batches.wrapping_add(1);
    }

    /// Waits a moment for another command when the batch of `gathered` events is
    /// worth growing (see the module's documentation); `None` when it is not, or
    /// when nothing came.
    pub(super) async fn more<T>(
        &mut self,
        receiver: &mut mpsc::Receiver<T>,
        gathered: usize,
    ) -> Option<T> {
        if gathered >= self.last_batch.min(GATHER_UP_TO) {
            return None;
        }
        for _ in 0..GATHER_YIELDS {
            if !std::mem::take(&mut self.probe)
                && !worth_a_yield(self.started.elapsed(), self.yield_cost, self.last_commit)
            {
                return None;
            }
            let before = Instant::now();
            tokio::task::yield_now().await;
            self.yield_cost = before.elapsed();
            if let Ok(command) = receiver.try_recv() {
                return Some(command);
            }
        }
        None
    }
}

/// Whether another yield, expected to cost `yield_cost`, keeps a batch's gathering
/// (`gathered_for` so far) within half the last commit's duration.
fn worth_a_yield(gathered_for: Duration, yield_cost: Duration, last_commit: Duration) -> bool {
    gathered_for.saturating_add(yield_cost) <= last_commit / 2
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us(n: u64) -> Duration {
        Duration::from_micros(n)
    }

    #[test]
    fn yields_only_while_the_wait_stays_within_half_the_last_commit() {
        // (gathered for, last yield's cost, last commit, worth another yield)
        let cases = [
            (us(0), us(50), us(1000), true),
            (us(300), us(150), us(1000), true),
            (us(400), us(150), us(1000), false),
            (us(0), us(1800), us(1000), false),
            (us(0), us(0), us(0), true),
            (us(1), us(0), us(0), false),
            (Duration::MAX, us(1), us(1000), false),
        ];
        for (gathered_for, yield_cost, last_commit, expected) in cases {
            assert_eq!(
                worth_a_yield(gathered_for, yield_cost, last_commit),
                expected,
                "{gathered_for:?} gathered, yields cost {yield_cost:?}, commits {last_commit:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_quiet_writer_never_waits_and_a_full_batch_goes_at_once() {
        let (sender, mut receiver) = mpsc::channel::<u32>(4);
        let mut gathering = Gathering::default();
        gathering.begin();
        // No batch before: nothing to match, so no wait even with a command queued.
        sender.send(1).await.unwrap();
        assert_eq!(gathering.more(&mut receiver, 1).await, None);
        gathering.committed(GATHER_UP_TO * 2, us(1000));
        gathering.begin();
        assert_eq!(gathering.more(&mut receiver, GATHER_UP_TO).await, None);
    }

    #[tokio::test]
    async fn a_small_batch_takes_what_arrives_while_it_gathers() {
        let (sender, mut receiver) = mpsc::channel::<u32>(4);
        let mut gathering = Gathering::default();
        gathering.committed(8, Duration::from_secs(1));
        gathering.begin();
        let producer = tokio::spawn(async move { sender.send(7).await.unwrap() });
        assert_eq!(gathering.more(&mut receiver, 1).await, Some(7));
        producer.await.unwrap();
    }

    #[tokio::test]
    async fn a_dear_yield_commits_at_once_unless_the_batch_probes() {
        let (sender, mut receiver) = mpsc::channel::<u32>(4);
        let mut gathering = Gathering::default();
        gathering.committed(8, us(1000));
        gathering.yield_cost = us(1800);
        gathering.begin();
        // The producer could only run if the writer yielded.
        let producer = tokio::spawn(async move { sender.send(7).await.unwrap() });
        assert_eq!(gathering.more(&mut receiver, 1).await, None);
        // Every PROBE_EVERY-th batch yields once all the same (and measures the cost again).
        while !gathering.batches.is_multiple_of(PROBE_EVERY) {
            gathering.committed(8, us(1000));
        }
        gathering.yield_cost = us(1800);
        gathering.begin();
        assert_eq!(gathering.more(&mut receiver, 1).await, Some(7));
        producer.await.unwrap();
    }
}
