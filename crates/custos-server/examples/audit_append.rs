//! Audit trail load: sustained append throughput with group commit, the latency
//! an audited action pays for its event, and offline verification speed from the store.
//!
//! ```sh
//! cargo run --release -p custos-server --example audit_append -- [SECONDS] [PRODUCERS] [DATABASE_URL]
//! ```
//! Defaults: 10 seconds, 64 concurrent producers, the embedded SQLite store in a
//! temporary directory. Prints events/s (overall and in each 10 s window, to show
//! whether the rate holds as the trail grows), latency percentiles, how far the
//! lookup tables lag, and verify speed.
//!
//! Events name a customer drawn from `BENCH_CUSTOMERS` (default 5,000) by a hash
//! of the event number, as agents' reads scatter over many customers;
//! `BENCH_CUSTOMERS=0` gives every event its own customer in ascending order per
//! producer (the layout of the figures before 2026-11-23).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    reason = "a benchmark program: failures abort it, results go to stdout"
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use custos_audit::{
    Activity, Actor, ActorKind, AuditEvent, ChainVerifier, Outcome, SignedCheckpoint,
};
use custos_server::clock::SystemClock;
use custos_server::config::{self, CliOverrides};
use custos_store::{AuditStore, InstanceStore};

/// The window the rate is reported over as the run goes.
const WINDOW: Duration = Duration::from_secs(10);

fn reveal_event(i: u64, customers: u64) -> AuditEvent {
    let customer = if customers == 0 {
        i
    } else {
        i.wrapping_mul(0x9E37_79B9_7F4A_7C15) % customers
    };
    AuditEvent::new(
        1_800_000_000_000 + i as i64,
        Activity::Decrypt,
        "customer.reveal",
        Outcome::Success,
        Actor {
            kind: ActorKind::Person,
            name: Some("agent.alice".into()),
            uid: Some("5b0c4f9e-2f6e-4f0e-9d1c-6c1b8f0e2a11".into()),
            role: Some("agent".into()),
            session: Some("sess-8c2f1a".into()),
            device: Some("dev-laptop-0042".into()),
            ip: Some("10.20.30.40".into()),
        },
        "Revealed one field of a customer record",
    )
    .with_target(
        "customer",
        Some(&format!("cus-{customer:08}")),
        Some("card"),
    )
    .with_reason(
        "customer_request",
        "caller asked to confirm the card on file",
    )
    .with_request_id(Some("7d0e9a52-3f0b-4c4e-b5c1-0a8c1e9d2f33"))
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i]) / 1000.0
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let seconds: u64 = args.first().map_or(10, |s| s.parse().unwrap());
    let producers: u64 = args.get(1).map_or(64, |s| s.parse().unwrap());
    let database_url = args.get(2).cloned();
    let customers: u64 = std::env::var("BENCH_CUSTOMERS").map_or(5_000, |s| s.parse().unwrap());

    let dir = tempfile::tempdir().unwrap();
    let overrides = CliOverrides {
        listen: Some("127.0.0.1:0".into()),
        data_dir: Some(dir.path().join("data")),
        database_url,
    };
    // CUSTOS_* variables from the environment apply (for instance
    // CUSTOS_STORAGE__SQLITE_DIRECT=false to compare the store's paths).
    let vars = std::env::vars()
        .filter(|(name, _)| name.starts_with("CUSTOS_"))
        .chain([("CUSTOS_LOG__LEVEL".to_owned(), "warn".to_owned())]);
    let config = config::load(None, vars, &overrides).unwrap();
    let (server, _) = custos_server::start(config, Arc::new(SystemClock))
        .await
        .unwrap();
    let audit = server.state().audit().clone();
    let store = server.state().store().clone();
    println!(
        "store: {}; {producers} producers for {seconds} s; customers: {}",
        store.backend(),
        if customers == 0 {
            "one per event".to_owned()
        } else {
            customers.to_string()
        }
    );

    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    // The rate in each window, to see whether it holds as the trail grows.
    let appended = Arc::new(AtomicU64::new(0));
    let windows = tokio::spawn({
        let appended = appended.clone();
        async move {
            let mut rates = Vec::new();
            let mut last = 0;
            let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + WINDOW, WINDOW);
            while Instant::now() + WINDOW / 2 < deadline {
                tick.tick().await;
                let now = appended.load(Ordering::Relaxed);
                rates.push(format!("{:.0}", (now - last) as f64 / WINDOW.as_secs_f64()));
                last = now;
            }
            rates
        }
    });
    let tasks: Vec<_> = (0..producers)
        .map(|p| {
            let audit = audit.clone();
            let appended = appended.clone();
            tokio::spawn(async move {
                let mut latencies_us = Vec::new();
                let mut i = p * 10_000_000;
                while Instant::now() < deadline {
                    let t = Instant::now();
                    audit.record(reveal_event(i, customers)).await.unwrap();
                    appended.fetch_add(1, Ordering::Relaxed);
                    latencies_us.push(u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX));
                    i += 1;
                }
                latencies_us
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.unwrap());
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    println!(
        "appended {} events in {elapsed:.2} s: {:.0} events/s",
        latencies.len(),
        latencies.len() as f64 / elapsed
    );
    println!(
        "events/s in each {} s window: {}",
        WINDOW.as_secs(),
        windows.await.unwrap().join(", ")
    );
    println!(
        "record() latency ms: p50 {:.3}  p90 {:.3}  p99 {:.3}  max {:.3}",
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.90),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0)
    );

    // A single producer: the latency one audited request pays when the server is quiet.
    let mut quiet = Vec::new();
    for i in 0..2000 {
        let t = Instant::now();
        audit.record(reveal_event(i, customers)).await.unwrap();
        quiet.push(u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX));
    }
    quiet.sort_unstable();
    println!(
        "record() latency ms, one producer: p50 {:.3}  p99 {:.3}",
        percentile(&quiet, 0.50),
        percentile(&quiet, 0.99)
    );
    audit.checkpoint_now().await.unwrap();

    // The lookup tables trail the appends by design; how far, and how long they
    // take to cover the rest once the load stops.
    let head = store.audit_head().await.unwrap().seq;
    let t = Instant::now();
    let indexed_before = store.index_audit(0).await.unwrap();
    let indexed = custos_server::audit::lookup::catch_up(&store, indexed_before).await;
    println!(
        "lookup tables: {} of {head} entries covered when the load stopped; the rest indexed in {:.2} s",
        indexed_before,
        t.elapsed().as_secs_f64()
    );
    assert_eq!(indexed, head);

    // Offline verification straight from the store, as `custos audit verify` does it.
    let instance = store
        .find_instance()
        .await
        .unwrap()
        .unwrap()
        .instance_id
        .to_string();
    let key = server.state().keys().audit_signer.verifying_key();
    let t = Instant::now();
    let mut verifier = ChainVerifier::new(key, &instance);
    for line in store.audit_checkpoint_lines().await.unwrap() {
        verifier.add_checkpoint(SignedCheckpoint::from_json_line(&line).unwrap());
    }
    let mut after = 0;
    let mut signed_heads = 0u64;
    loop {
        let page = store.audit_entries(after, 10_000).await.unwrap();
        let Some(last) = page.last() else { break };
        after = last.seq;
        for entry in &page {
            signed_heads += u64::from(entry.head_signature.is_some());
            verifier.push(entry);
        }
    }
    let report = verifier.finish();
    let verify_secs = t.elapsed().as_secs_f64();
    assert!(report.is_intact(), "{:?}", report.finding);
    println!(
        "group commit: {} events in {signed_heads} transactions ({:.1} events per transaction)",
        report.entries,
        report.entries as f64 / signed_heads as f64
    );
    println!(
        "verified {} entries from the store in {verify_secs:.2} s: {:.0} entries/s",
        report.entries,
        report.entries as f64 / verify_secs
    );
    server.shutdown().await;
}
