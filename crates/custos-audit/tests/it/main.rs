//! The chain, checkpoints and verifier against every attack of the audit issue,
//! and a property test: any single changed byte of any stored entry is detected.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a broken assumption must fail the test loudly"
)]

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::Ed25519KeyPair;
use custos_audit::{
    Activity, Actor, AuditEvent, AuditSigner, ChainHead, ChainVerifier, Checkpoint, Outcome,
    PendingEntry, Problem, SignedCheckpoint, StoredEntry, seal_batch,
};
use proptest::prelude::*;

const INSTANCE: &str = "6f1d0c1e-0000-4000-8000-000000000001";

fn signer() -> AuditSigner {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
    AuditSigner::new(Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap())
}

fn event(i: u64) -> PendingEntry {
    let e = AuditEvent::new(
        1_800_000_000_000 + i as i64,
        Activity::ApiRead,
        "customer.read",
        if i.is_multiple_of(3) {
            Outcome::Failure
        } else {
            Outcome::Success
        },
        Actor::system(),
        "read a customer",
    )
    .with_target("customer", Some(&format!("c-{i}")), Some("phone"));
    PendingEntry::from_event(&e).unwrap()
}

/// A trail of `n` entries sealed in batches of `batch`, with a checkpoint every `every`.
struct Trail {
    entries: Vec<StoredEntry>,
    checkpoints: Vec<SignedCheckpoint>,
    signer: AuditSigner,
}

fn trail(n: u64, batch: u64, every: u64) -> Trail {
    let signer = signer();
    let mut head = ChainHead::genesis();
    let mut entries = Vec::new();
    let mut checkpoints = Vec::new();
    let mut i = 0;
    while i < n {
        let size = batch.min(n - i);
        let pending = (i..i + size).map(event).collect();
        let (sealed, next) = seal_batch(&head, pending, &signer, INSTANCE);
        entries.extend(sealed);
        head = next;
        i += size;
        if head.seq.is_multiple_of(every) || i == n {
            checkpoints.push(
                Checkpoint {
                    instance: INSTANCE.into(),
                    size: head.seq,
                    root: head.frontier.root(),
                    time_ms: 1_800_000_000_000 + head.seq as i64,
                }
                .sign(&signer),
            );
        }
    }
    Trail {
        entries,
        checkpoints,
        signer,
    }
}

fn verify(
    trail: &Trail,
    entries: &[StoredEntry],
    checkpoints: &[SignedCheckpoint],
) -> custos_audit::Report {
    let mut verifier = ChainVerifier::new(trail.signer.verifying_key(), INSTANCE);
    for cp in checkpoints {
        verifier.add_checkpoint(cp.clone());
    }
    for entry in entries {
        if !verifier.push(entry) {
            break;
        }
    }
    verifier.finish()
}

fn first_bad(trail: &Trail, entries: &[StoredEntry]) -> (u64, Problem) {
    let report = verify(trail, entries, &trail.checkpoints);
    let finding = report.finding.expect("tampering must be found");
    (finding.seq, finding.problem)
}

#[test]
fn an_intact_trail_verifies() {
    let t = trail(250, 7, 50);
    let report = verify(&t, &t.entries, &t.checkpoints);
    assert!(report.is_intact(), "{:?}", report.finding);
    assert_eq!(report.entries, 250);
    assert_eq!(report.checkpoints_matched, t.checkpoints.len());
}

#[test]
fn a_modified_entry_is_named() {
    let t = trail(100, 10, 20);
    let mut entries = t.entries.clone();
    entries[41].payload[10] ^= 1;
    assert_eq!(first_bad(&t, &entries), (42, Problem::Modified));
}

#[test]
fn a_modified_and_rehashed_entry_breaks_the_next_link() {
    let t = trail(100, 10, 20);
    let mut entries = t.entries.clone();
    let e = &mut entries[41];
    e.index.actor = "someone-else".into();
    e.hash = custos_audit::entry_hash(e.seq, &e.prev_hash, e.time_ms, &e.index, &e.payload);
    assert_eq!(first_bad(&t, &entries), (43, Problem::BrokenLink));
}

#[test]
fn a_rewritten_suffix_contradicts_the_signed_checkpoint() {
    let t = trail(100, 10, 20);
    let mut entries = t.entries.clone();
    entries[44].index.actor = "someone-else".into();
    // The forger recomputes every later hash and link, but cannot sign.
    for i in 44..entries.len() {
        let prev = if i == 0 { [0; 32] } else { entries[i - 1].hash };
        let e = &mut entries[i];
        e.prev_hash = prev;
        e.hash = custos_audit::entry_hash(e.seq, &e.prev_hash, e.time_ms, &e.index, &e.payload);
    }
    let (seq, problem) = first_bad(&t, &entries);
    // Head signatures fail first (batch ends at 50), else the checkpoint at 60 would.
    assert!(
        matches!(
            problem,
            Problem::BadHeadSignature | Problem::CheckpointMismatch { .. }
        ),
        "{problem:?}"
    );
    assert!((41..=50).contains(&seq), "{seq}");
}

#[test]
fn a_deleted_entry_is_named() {
    let t = trail(100, 10, 20);
    let mut entries = t.entries.clone();
    entries.remove(57);
    assert_eq!(
        first_bad(&t, &entries),
        (58, Problem::Missing { next_present: 59 })
    );
}

#[test]
fn reordered_entries_are_named() {
    let t = trail(100, 10, 20);
    let mut entries = t.entries.clone();
    entries.swap(30, 31);
    assert_eq!(
        first_bad(&t, &entries),
        (31, Problem::Missing { next_present: 32 })
    );
    // Swapping their numbers too (rows renumbered in place) breaks the links instead.
    let mut renumbered = t.entries.clone();
    renumbered.swap(30, 31);
    renumbered[30].seq = 31;
    renumbered[31].seq = 32;
    assert_eq!(first_bad(&t, &renumbered).0, 31);
}

#[test]
fn an_inserted_entry_is_named() {
    let t = trail(100, 10, 20);
    let mut entries = t.entries.clone();
    let mut forged = entries[20].clone();
    forged.index.actor = "ghost".into();
    entries.insert(21, forged);
    for (i, e) in entries.iter_mut().enumerate().skip(21) {
        e.seq = i as u64 + 1;
    }
    assert_eq!(first_bad(&t, &entries).0, 22);
}

#[test]
fn a_truncated_tail_is_caught_by_the_checkpoint() {
    let t = trail(100, 10, 20);
    let entries = &t.entries[..85];
    assert_eq!(
        first_bad(&t, entries),
        (
            86,
            Problem::Truncated {
                checkpoint_size: 100
            }
        )
    );
}

#[test]
fn an_entry_appended_without_the_key_is_named() {
    let t = trail(100, 10, 20);
    let mut entries = t.entries.clone();
    let last = entries.last().unwrap().clone();
    let mut forged = last.clone();
    forged.seq = 101;
    forged.prev_hash = last.hash;
    forged.head_signature = None;
    forged.hash = custos_audit::entry_hash(
        101,
        &forged.prev_hash,
        forged.time_ms,
        &forged.index,
        &forged.payload,
    );
    entries.push(forged);
    assert_eq!(first_bad(&t, &entries), (101, Problem::UnsignedTail));
}

#[test]
fn a_checkpoint_signed_by_another_key_is_refused() {
    let t = trail(40, 10, 20);
    let other = signer();
    let mut checkpoints = t.checkpoints.clone();
    checkpoints.push(
        Checkpoint {
            instance: INSTANCE.into(),
            size: 40,
            root: [7; 32],
            time_ms: 0,
        }
        .sign(&other),
    );
    let report = verify(&t, &t.entries, &checkpoints);
    assert_eq!(
        report.finding.unwrap().problem,
        Problem::BadCheckpointSignature { size: 40 }
    );
}

#[test]
fn checkpoint_lines_round_trip() {
    let t = trail(20, 5, 10);
    for cp in &t.checkpoints {
        let parsed = SignedCheckpoint::from_json_line(&cp.to_json_line()).unwrap();
        assert_eq!(&parsed, cp);
        assert!(parsed.verify(&t.signer.verifying_key()));
    }
}

/// Which stored field of an entry a mutation touches.
#[derive(Debug, Clone, Copy)]
enum Field {
    Seq,
    Time,
    Action,
    Actor,
    TargetKind,
    TargetId,
    Outcome,
    Payload,
    PrevHash,
    Hash,
    Signature,
}

fn field_strategy() -> impl Strategy<Value = Field> {
    prop_oneof![
        Just(Field::Seq),
        Just(Field::Time),
        Just(Field::Action),
        Just(Field::Actor),
        Just(Field::TargetKind),
        Just(Field::TargetId),
        Just(Field::Outcome),
        Just(Field::Payload),
        Just(Field::PrevHash),
        Just(Field::Hash),
        Just(Field::Signature),
    ]
}

fn flip(bytes: &mut [u8], position: usize, bit: u8) -> bool {
    if bytes.is_empty() {
        return false;
    }
    let i = position % bytes.len();
    bytes[i] ^= 1 << (bit % 8);
    true
}

fn flip_string(s: &mut String, position: usize, bit: u8) -> bool {
    let mut bytes = std::mem::take(s).into_bytes();
    let changed = flip(&mut bytes, position, bit);
    // Index columns are text in the database: a flip that is not UTF-8 cannot be stored.
    *s = String::from_utf8_lossy(&bytes).into_owned();
    changed
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_single_changed_byte_is_detected(
        index in 0usize..60,
        field in field_strategy(),
        position in 0usize..4096,
        bit in 0u8..8,
    ) {
        let t = trail(60, 8, 16);
        let mut entries = t.entries.clone();
        let e = &mut entries[index];
        let changed = match field {
            Field::Seq => { e.seq ^= 1 << (bit % 8); true }
            Field::Time => { e.time_ms ^= 1 << (bit % 8); true }
            Field::Action => flip_string(&mut e.index.action, position, bit),
            Field::Actor => flip_string(&mut e.index.actor, position, bit),
            Field::TargetKind => e.index.target_kind.as_mut().is_some_and(|s| flip_string(s, position, bit)),
            Field::TargetId => e.index.target_id.as_mut().is_some_and(|s| flip_string(s, position, bit)),
            Field::Outcome => flip_string(&mut e.index.outcome, position, bit),
            Field::Payload => flip(&mut e.payload, position, bit),
            Field::PrevHash => flip(&mut e.prev_hash, position, bit),
            Field::Hash => flip(&mut e.hash, position, bit),
            Field::Signature => e.head_signature.as_mut().is_some_and(|s| flip(s, position, bit)),
        };
        prop_assume!(changed);
        // Entries are read back ordered by sequence number, as the store returns them.
        entries.sort_by_key(|e| e.seq);
        let report = verify(&t, &entries, &t.checkpoints);
        prop_assert!(!report.is_intact(), "{field:?} of entry {} changed undetected", index + 1);
    }
}

mod bundles {
    use std::io::{Read as _, Write as _};

    use custos_audit::{BundleError, ChainHead, ChainVerifier, read_bundle, write_bundle};

    use super::{INSTANCE, trail};

    /// The head just before entry `seq + 1`, rebuilt from the trail.
    fn head_at(entries: &[custos_audit::StoredEntry], seq: u64) -> ChainHead {
        let mut head = ChainHead::genesis();
        for e in &entries[..seq as usize] {
            head.seq = e.seq;
            head.hash = e.hash;
            head.frontier.push(&e.hash);
        }
        head
    }

    fn verify_bundle(bytes: &[u8], t: &super::Trail) -> Result<custos_audit::Report, BundleError> {
        let bundle = read_bundle(bytes, &t.signer.verifying_key())?;
        let mut v = ChainVerifier::starting_at(
            t.signer.verifying_key(),
            &bundle.instance,
            bundle.start.clone(),
        )
        .ending_at(bundle.to_seq);
        // Every checkpoint known, including those beyond the segment (a witness file).
        for cp in bundle.checkpoints.iter().chain(&t.checkpoints) {
            v.add_checkpoint(cp.clone());
        }
        for e in &bundle.entries {
            v.push(e);
        }
        Ok(v.finish())
    }

    fn gunzip(bytes: &[u8]) -> String {
        let mut text = String::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_string(&mut text)
            .unwrap();
        text
    }

    fn gzip(text: &str) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(text.as_bytes()).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn a_segment_round_trips_and_verifies() {
        let t = trail(100, 10, 20);
        let start = head_at(&t.entries, 40);
        let bytes = write_bundle(
            Vec::new(),
            INSTANCE,
            &start,
            &t.entries[40..80],
            &t.checkpoints,
            1,
            &t.signer,
        )
        .unwrap();
        let bundle = read_bundle(bytes.as_slice(), &t.signer.verifying_key()).unwrap();
        assert_eq!((bundle.from_seq, bundle.to_seq), (41, 80));
        assert_eq!(bundle.entries, t.entries[40..80]);
        assert_eq!(bundle.checkpoints.len(), 2, "checkpoints at 60 and 80");
        let report = verify_bundle(&bytes, &t).unwrap();
        assert!(report.is_intact(), "{:?}", report.finding);
        assert_eq!(report.checkpoints_matched, 2);
    }

    #[test]
    fn an_edited_bundle_fails_its_signature() {
        let t = trail(40, 10, 20);
        let bytes = write_bundle(
            Vec::new(),
            INSTANCE,
            &ChainHead::genesis(),
            &t.entries,
            &t.checkpoints,
            1,
            &t.signer,
        )
        .unwrap();
        let edited = gunzip(&bytes).replacen("\"actor\":\"custos\"", "\"actor\":\"mallory\"", 1);
        assert!(matches!(
            read_bundle(gzip(&edited).as_slice(), &t.signer.verifying_key()),
            Err(BundleError::BadSignature)
        ));
        let text = gunzip(&bytes);
        let cut: Vec<&str> = text.lines().collect();
        let truncated = cut[..cut.len() - 1].join("\n") + "\n";
        assert!(matches!(
            read_bundle(gzip(&truncated).as_slice(), &t.signer.verifying_key()),
            Err(BundleError::Malformed(_))
        ));
    }

    #[test]
    fn a_bundle_re_signed_by_another_key_is_refused() {
        let t = trail(40, 10, 20);
        let other = super::signer();
        let bytes = write_bundle(
            Vec::new(),
            INSTANCE,
            &ChainHead::genesis(),
            &t.entries,
            &t.checkpoints,
            1,
            &other,
        )
        .unwrap();
        assert!(matches!(
            read_bundle(bytes.as_slice(), &t.signer.verifying_key()),
            Err(BundleError::BadSignature)
        ));
    }

    #[test]
    fn a_forged_start_head_contradicts_the_checkpoints() {
        let t = trail(100, 10, 20);
        let mut start = head_at(&t.entries, 40);
        start.frontier = head_at(&t.entries, 39).frontier;
        start.frontier.push(&[9; 32]);
        let bytes = write_bundle(
            Vec::new(),
            INSTANCE,
            &start,
            &t.entries[40..80],
            &t.checkpoints,
            1,
            &t.signer,
        )
        .unwrap();
        let report = verify_bundle(&bytes, &t).unwrap();
        assert!(!report.is_intact());
    }
}
