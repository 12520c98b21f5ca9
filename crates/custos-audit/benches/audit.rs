//! Sealing and verification throughput of the audit chain.
//! `cargo bench -p custos-audit --bench audit`

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::Ed25519KeyPair;
use custos_audit::{
    Activity, Actor, ActorKind, AuditEvent, AuditSigner, ChainHead, ChainVerifier, Checkpoint,
    Outcome, PendingEntry, StoredEntry, read_bundle, seal_batch, write_bundle,
};
use divan::{Bencher, black_box, counter::ItemsCount};

const INSTANCE: &str = "bench-instance";

fn main() {
    divan::main();
}

fn signer() -> AuditSigner {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
        .unwrap_or_else(|_| std::process::abort());
    AuditSigner::new(
        Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap_or_else(|_| std::process::abort()),
    )
}

/// A realistic reveal event (~450 bytes of payload).
fn pending(i: u64) -> PendingEntry {
    let event = AuditEvent::new(
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
    .with_target("customer", Some(&format!("cus-{i:08}")), Some("card"))
    .with_reason(
        "customer_request",
        "caller asked to confirm the card on file",
    )
    .with_request_id(Some("7d0e9a52-3f0b-4c4e-b5c1-0a8c1e9d2f33"));
    PendingEntry::from_event(&event).unwrap_or_else(|_| std::process::abort())
}

fn sealed_trail(
    n: u64,
    batch: u64,
) -> (
    AuditSigner,
    Vec<StoredEntry>,
    Vec<custos_audit::SignedCheckpoint>,
) {
    let signer = signer();
    let mut head = ChainHead::genesis();
    let mut entries = Vec::with_capacity(n as usize);
    let mut checkpoints = Vec::new();
    let mut i = 0;
    while i < n {
        let size = batch.min(n - i);
        let (sealed, next) = seal_batch(
            &head,
            (i..i + size).map(pending).collect(),
            &signer,
            INSTANCE,
        );
        entries.extend(sealed);
        head = next;
        i += size;
        if head.seq.is_multiple_of(1000) {
            checkpoints.push(
                Checkpoint {
                    instance: INSTANCE.into(),
                    size: head.seq,
                    root: head.frontier.root(),
                    time_ms: 0,
                }
                .sign(&signer),
            );
        }
    }
    (signer, entries, checkpoints)
}

/// Sealing a group-commit batch: hashing, Merkle frontier, one head signature.
#[divan::bench(args = [1, 64, 512])]
fn seal(bencher: Bencher, batch: u64) {
    let signer = signer();
    bencher
        .counter(ItemsCount::new(batch))
        .with_inputs(|| (0..batch).map(pending).collect::<Vec<_>>())
        .bench_local_values(|pending| {
            seal_batch(&ChainHead::genesis(), pending, &signer, INSTANCE)
        });
}

/// Offline verification of 100,000 entries in batches of 256 with a checkpoint every 1,000.
#[divan::bench(sample_count = 10)]
fn verify_100k(bencher: Bencher) {
    let (signer, entries, checkpoints) = sealed_trail(100_000, 256);
    let key = signer.verifying_key();
    bencher
        .counter(ItemsCount::new(entries.len()))
        .bench_local(|| {
            let mut verifier = ChainVerifier::new(key.clone(), INSTANCE);
            for cp in &checkpoints {
                verifier.add_checkpoint(cp.clone());
            }
            for entry in &entries {
                verifier.push(entry);
            }
            black_box(verifier.finish())
        });
}

/// Encoding one event for the chain (canonical JSON payload).
#[divan::bench]
fn encode_event(bencher: Bencher) {
    bencher
        .counter(ItemsCount::new(1usize))
        .bench_local(|| black_box(pending(black_box(7))));
}

/// An archive bundle of 100,000 entries: gunzip, parse, check the trailer
/// signature, then verify the chain, as `custos audit verify --bundle` does.
#[divan::bench(sample_count = 10)]
fn verify_bundle_100k(bencher: Bencher) {
    let (signer, entries, checkpoints) = sealed_trail(100_000, 256);
    let bytes = write_bundle(
        Vec::new(),
        INSTANCE,
        &ChainHead::genesis(),
        &entries,
        &checkpoints,
        0,
        &signer,
    )
    .unwrap_or_else(|_| std::process::abort());
    let key = signer.verifying_key();
    bencher
        .counter(ItemsCount::new(entries.len()))
        .bench_local(|| {
            let bundle =
                read_bundle(bytes.as_slice(), &key).unwrap_or_else(|_| std::process::abort());
            let mut verifier =
                ChainVerifier::starting_at(key.clone(), INSTANCE, bundle.start.clone())
                    .ending_at(bundle.to_seq);
            for cp in &bundle.checkpoints {
                verifier.add_checkpoint(cp.clone());
            }
            for entry in &bundle.entries {
                verifier.push(entry);
            }
            black_box(verifier.finish())
        });
}
