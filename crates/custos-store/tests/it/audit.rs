//! The audit tables: chained appends, concurrent writers, queries, checkpoints, cursors.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::Ed25519KeyPair;
use custos_audit::{
    Activity, Actor, ActorKind, AuditEvent, AuditSigner, ChainVerifier, Checkpoint, Outcome,
    PendingEntry, SignedCheckpoint,
};
use custos_store::{AuditQuery, AuditStore, Store};
use custos_testkit::TestDatabase;

pub(crate) const INSTANCE: &str = "store-suite";
pub(crate) const T0: i64 = 1_800_000_000_000;

pub(crate) fn signer() -> AuditSigner {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
    AuditSigner::new(Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap())
}

pub(crate) fn pending(i: i64, actor: &str, action: &str, customer: &str) -> PendingEntry {
    let event = AuditEvent::new(
        T0 + i,
        Activity::ApiRead,
        action,
        Outcome::Success,
        Actor {
            kind: ActorKind::Person,
            name: Some(actor.to_owned()),
            uid: None,
            role: Some("agent".into()),
            session: None,
            device: None,
            ip: Some("127.0.0.1".into()),
        },
        "read",
    )
    .with_target("customer", Some(customer), None);
    PendingEntry::from_event(&event).unwrap()
}

async fn verify_all(store: &Store, signer: &AuditSigner) -> custos_audit::Report {
    let mut verifier = ChainVerifier::new(signer.verifying_key(), INSTANCE);
    for line in store.audit_checkpoint_lines().await.unwrap() {
        verifier.add_checkpoint(SignedCheckpoint::from_json_line(&line).unwrap());
    }
    let mut after = 0;
    loop {
        let page = store.audit_entries(after, 100).await.unwrap();
        let Some(last) = page.last() else { break };
        after = last.seq;
        for entry in &page {
            verifier.push(entry);
        }
    }
    verifier.finish()
}

async fn appends_form_one_verifiable_chain(db: TestDatabase) {
    let store = db.open().await;
    let signer = signer();
    assert_eq!(store.audit_head().await.unwrap().seq, 0);
    let mut i = 0;
    for batch in [1, 5, 250, 1200] {
        let events = (0..batch).map(|_| {
            i += 1;
            pending(i, "alice", "customer.read", "c-1")
        });
        let head = store
            .append_audit(events.collect(), &signer, INSTANCE, T0)
            .await
            .unwrap();
        assert_eq!(head.seq, i as u64);
        assert_eq!(store.audit_head().await.unwrap(), head);
    }
    let head = store.audit_head().await.unwrap();
    let checkpoint = Checkpoint {
        instance: INSTANCE.into(),
        size: head.seq,
        root: head.frontier.root(),
        time_ms: T0,
    }
    .sign(&signer);
    assert_eq!(store.latest_audit_checkpoint_line().await.unwrap(), None);
    store.put_audit_checkpoint(&checkpoint).await.unwrap();
    store.put_audit_checkpoint(&checkpoint).await.unwrap();
    assert_eq!(store.audit_checkpoint_lines().await.unwrap().len(), 1);
    assert_eq!(
        store.latest_audit_checkpoint_line().await.unwrap(),
        Some(checkpoint.to_json_line())
    );

    let report = verify_all(&store, &signer).await;
    assert!(report.is_intact(), "{:?}", report.finding);
    assert_eq!(report.entries, 1456);
    assert_eq!(report.checkpoints_matched, 1);
    finish(store, db).await;
}

async fn concurrent_writers_serialize(db: TestDatabase) {
    let store = db.open().await;
    let signer = std::sync::Arc::new(signer());
    let writers = (0..4).map(|w| {
        let store = store.clone();
        let signer = signer.clone();
        tokio::spawn(async move {
            for b in 0..20 {
                let events = (0..5).map(|k| {
                    pending(
                        w * 1000 + b * 10 + k,
                        &format!("w{w}"),
                        "customer.read",
                        "c",
                    )
                });
                store
                    .append_audit(events.collect(), &signer, INSTANCE, T0)
                    .await
                    .unwrap();
            }
        })
    });
    for writer in writers {
        writer.await.unwrap();
    }
    assert_eq!(store.audit_head().await.unwrap().seq, 400);
    let report = verify_all(&store, &signer).await;
    assert!(report.is_intact(), "{:?}", report.finding);
    finish(store, db).await;
}

async fn queries_filter_and_page(db: TestDatabase) {
    let store = db.open().await;
    let signer = signer();
    let events = vec![
        pending(0, "alice", "customer.read", "c-1"),
        pending(10, "bob", "customer.read", "c-2"),
        pending(20, "alice", "customer.reveal", "c-2"),
        pending(30, "alice", "customer.read", "c-2"),
    ];
    store
        .append_audit(events, &signer, INSTANCE, T0)
        .await
        .unwrap();
    let seqs =
        |entries: Vec<custos_audit::StoredEntry>| entries.iter().map(|e| e.seq).collect::<Vec<_>>();
    let all = AuditQuery {
        limit: 100,
        ..AuditQuery::default()
    };
    assert_eq!(seqs(store.query_audit(&all).await.unwrap()), [1, 2, 3, 4]);
    let by_actor = AuditQuery {
        actor: Some("alice".into()),
        ..all.clone()
    };
    assert_eq!(seqs(store.query_audit(&by_actor).await.unwrap()), [1, 3, 4]);
    let by_action = AuditQuery {
        action: Some("customer.reveal".into()),
        ..all.clone()
    };
    assert_eq!(seqs(store.query_audit(&by_action).await.unwrap()), [3]);
    let by_customer = AuditQuery {
        target: Some(("customer".into(), "c-2".into())),
        ..all.clone()
    };
    assert_eq!(
        seqs(store.query_audit(&by_customer).await.unwrap()),
        [2, 3, 4]
    );
    let window = AuditQuery {
        since_ms: Some(T0 + 10),
        until_ms: Some(T0 + 30),
        ..all.clone()
    };
    assert_eq!(seqs(store.query_audit(&window).await.unwrap()), [2, 3]);
    let newest = AuditQuery {
        newest_first: true,
        limit: 2,
        ..all.clone()
    };
    assert_eq!(seqs(store.query_audit(&newest).await.unwrap()), [4, 3]);
    let next_page = AuditQuery {
        newest_first: true,
        limit: 2,
        after_seq: Some(3),
        ..all.clone()
    };
    assert_eq!(seqs(store.query_audit(&next_page).await.unwrap()), [2, 1]);
    let forward = AuditQuery {
        after_seq: Some(2),
        ..all
    };
    assert_eq!(seqs(store.query_audit(&forward).await.unwrap()), [3, 4]);
    finish(store, db).await;
}

/// Queries answer the same whether the lookup tables cover none, part or all of
/// the trail: the indexed part through them, the rest straight from the entries.
async fn queries_agree_however_far_the_lookups_reach(db: TestDatabase) {
    let store = db.open().await;
    let signer = signer();
    let actors = ["alice", "bob", "carol"];
    let actions = ["customer.read", "customer.reveal"];
    let events: Vec<PendingEntry> = (0..150_i64)
        .map(|i| {
            let customer = format!("c-{}", (i * 7) % 11);
            // Times run back and forth a little, as events queued by many callers do.
            pending(
                i * 10 - (i % 3) * 15,
                actors[(i % 3) as usize],
                actions[(i % 5 == 0) as usize],
                &customer,
            )
        })
        .collect();
    for batch in events.chunks(40) {
        store
            .append_audit(batch.to_vec(), &signer, INSTANCE, T0)
            .await
            .unwrap();
    }
    let everything = store.audit_entries(0, 1000).await.unwrap();
    let queries = [
        AuditQuery::default(),
        AuditQuery {
            actor: Some("bob".into()),
            ..AuditQuery::default()
        },
        AuditQuery {
            action: Some("customer.reveal".into()),
            ..AuditQuery::default()
        },
        AuditQuery {
            target: Some(("customer".into(), "c-3".into())),
            ..AuditQuery::default()
        },
        AuditQuery {
            since_ms: Some(T0 + 300),
            until_ms: Some(T0 + 900),
            ..AuditQuery::default()
        },
        AuditQuery {
            actor: Some("alice".into()),
            action: Some("customer.read".into()),
            since_ms: Some(T0 + 200),
            ..AuditQuery::default()
        },
        AuditQuery {
            target: Some(("customer".into(), "c-5".into())),
            actor: Some("carol".into()),
            until_ms: Some(T0 + 1200),
            ..AuditQuery::default()
        },
    ];
    let expected = |query: &AuditQuery| {
        let mut seqs: Vec<u64> = everything
            .iter()
            .filter(|e| query.actor.as_ref().is_none_or(|a| *a == e.index.actor))
            .filter(|e| query.action.as_ref().is_none_or(|a| *a == e.index.action))
            .filter(|e| {
                query.target.as_ref().is_none_or(|(kind, id)| {
                    e.index.target_kind.as_ref() == Some(kind)
                        && e.index.target_id.as_ref() == Some(id)
                })
            })
            .filter(|e| query.since_ms.is_none_or(|t| e.time_ms >= t))
            .filter(|e| query.until_ms.is_none_or(|t| e.time_ms < t))
            .map(|e| e.seq)
            .collect();
        if query.newest_first {
            seqs.reverse();
        }
        seqs
    };
    // Every query, both ways round, read in pages of 7 following the cursor.
    let check = |coverage: &'static str| {
        let store = &store;
        let queries = &queries;
        let expected = &expected;
        async move {
            for query in queries {
                for newest_first in [false, true] {
                    let mut query = AuditQuery {
                        newest_first,
                        limit: 7,
                        ..query.clone()
                    };
                    let mut paged = Vec::new();
                    loop {
                        let page = store.query_audit(&query).await.unwrap();
                        let Some(last) = page.last() else { break };
                        query.after_seq = Some(last.seq);
                        paged.extend(page.iter().map(|e| e.seq));
                    }
                    query.after_seq = None;
                    assert_eq!(paged, expected(&query), "{query:?} with {coverage}");
                }
            }
        }
    };
    check("no lookups").await;
    assert_eq!(store.index_audit(55).await.unwrap(), 55);
    check("lookups to 55").await;
    assert_eq!(store.index_audit(60).await.unwrap(), 115);
    check("lookups to 115").await;
    assert_eq!(store.index_audit(1000).await.unwrap(), 150);
    assert_eq!(store.index_audit(1000).await.unwrap(), 150);
    check("full lookups").await;
    finish(store, db).await;
}

async fn cursors_only_move_forward(db: TestDatabase) {
    let store = db.open().await;
    assert_eq!(store.audit_cursor("syslog").await.unwrap(), 0);
    store.set_audit_cursor("syslog", 5, T0).await.unwrap();
    store.set_audit_cursor("syslog", 3, T0).await.unwrap();
    assert_eq!(store.audit_cursor("syslog").await.unwrap(), 5);
    assert_eq!(store.audit_cursor("http").await.unwrap(), 0);
    finish(store, db).await;
}

/// `n` events numbered from `from`.
fn batch(from: i64, n: i64) -> Vec<PendingEntry> {
    (from..from + n)
        .map(|i| pending(i, "alice", "customer.read", "c"))
        .collect()
}

/// A copy of entry 1 squatting on sequence number `seq`, so that an append
/// reaching it fails.
async fn squat(db: &TestDatabase, seq: u64) {
    db.execute_raw(&format!(
        "INSERT INTO audit_entries (seq, time_ms, action, actor, outcome, payload, prev_hash, hash) \
         SELECT {seq}, time_ms, action, actor, outcome, payload, prev_hash, hash FROM audit_entries \
         WHERE seq = 1"
    ))
    .await;
}

/// A batch that fails half-way leaves nothing behind, and the writer is usable
/// again at once (no transaction left open on it).
async fn a_failed_append_stores_nothing(db: TestDatabase) {
    let store = db.open().await;
    let signer = signer();
    store
        .append_audit(batch(1, 2), &signer, INSTANCE, T0)
        .await
        .unwrap();
    let before = store.audit_head().await.unwrap();
    // A row squatting on sequence number 4: the next batch of three collides on its second entry.
    squat(&db, 4).await;
    assert!(
        store
            .append_audit(batch(3, 3), &signer, INSTANCE, T0)
            .await
            .is_err()
    );
    assert_eq!(store.audit_head().await.unwrap(), before);
    let stored = store.audit_entries(0, 10).await.unwrap();
    assert_eq!(stored.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 4]);
    // One entry (sequence number 3) still fits before the squatter.
    let head = store
        .append_audit(batch(3, 1), &signer, INSTANCE, T0)
        .await
        .unwrap();
    assert_eq!(head.seq, 3);
    finish(store, db).await;
}

/// A checkpoint appended with its batch is stored, verifies and covers the
/// batch's head; a batch that fails stores neither its entries nor its checkpoint.
async fn a_checkpoint_rides_its_batch(db: TestDatabase) {
    let store = db.open().await;
    let signer = signer();
    let (head, signed) = store
        .append_audit_checkpointed(batch(1, 3), &signer, INSTANCE, T0)
        .await
        .unwrap();
    assert_eq!(head.seq, 3);
    assert_eq!(signed.checkpoint, Checkpoint::of_head(&head, INSTANCE, T0));
    assert!(signed.verify(&signer.verifying_key()));
    assert_eq!(
        store.latest_audit_checkpoint_line().await.unwrap(),
        Some(signed.to_json_line())
    );

    // A batch that fails takes its checkpoint with it.
    squat(&db, 5).await;
    assert!(
        store
            .append_audit_checkpointed(batch(4, 2), &signer, INSTANCE, T0 + 1)
            .await
            .is_err()
    );
    assert_eq!(store.audit_head().await.unwrap(), head);
    assert_eq!(
        store.audit_checkpoint_lines().await.unwrap(),
        [signed.to_json_line()]
    );
    finish(store, db).await;
}

async fn finish(store: Store, db: TestDatabase) {
    store.close().await;
    db.cleanup().await;
}

custos_testkit::test_on_both_stores!(
    appends_form_one_verifiable_chain,
    concurrent_writers_serialize,
    queries_filter_and_page,
    queries_agree_however_far_the_lookups_reach,
    cursors_only_move_forward,
    a_failed_append_stores_nothing,
    a_checkpoint_rides_its_batch,
);

/// A lookup file that does not belong to the trail beside it (restored from
/// another copy, or another instance's) is emptied on open and rebuilt; kept, it
/// would hide entries from filtered queries, because its watermark claims to
/// cover them.
#[tokio::test]
async fn a_stale_lookup_file_is_rebuilt() {
    let signer = signer();
    let mut trails = Vec::new();
    for actor in ["alice", "bob"] {
        let db = TestDatabase::create(custos_testkit::Backend::Sqlite)
            .await
            .unwrap();
        let store = db.open().await;
        let events = (0..50)
            .map(|i| pending(i, actor, "customer.read", "c"))
            .collect();
        store
            .append_audit(events, &signer, INSTANCE, T0)
            .await
            .unwrap();
        assert_eq!(store.index_audit(1000).await.unwrap(), 50);
        store.close().await;
        trails.push(db);
    }
    let lookup =
        |db: &TestDatabase| custos_store::sqlite_lookup_path(&db.url().sqlite_path().unwrap());
    // Bob's trail gets Alice's lookups (same watermark, other entries).
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", lookup(&trails[1]).display()));
    }
    for suffix in ["", "-wal"] {
        let from = format!("{}{suffix}", lookup(&trails[0]).display());
        if std::path::Path::new(&from).exists() {
            std::fs::copy(from, format!("{}{suffix}", lookup(&trails[1]).display())).unwrap();
        }
    }
    let store = trails[1].open().await;
    let by_actor = |actor: &str| AuditQuery {
        actor: Some(actor.into()),
        limit: 100,
        ..AuditQuery::default()
    };
    assert_eq!(store.query_audit(&by_actor("bob")).await.unwrap().len(), 50);
    assert!(
        store
            .query_audit(&by_actor("alice"))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.index_audit(1000).await.unwrap(), 50);
    assert_eq!(store.query_audit(&by_actor("bob")).await.unwrap().len(), 50);
    store.close().await;
    for db in trails {
        db.cleanup().await;
    }
}

/// The trail's tables, which live in a file of their own beside an SQLite database.
const TRAIL_TABLES: [&str; 5] = [
    "audit_entries",
    "audit_head",
    "audit_checkpoints",
    "audit_anchor",
    "audit_cursors",
];

/// Puts the trail of the closed SQLite database `main` back into its main file,
/// as a release from before the trail's own file kept it: same definitions,
/// same rows. The trail's file is deleted unless `keep_file` (the state a crash
/// between the two steps of the move leaves).
fn restore_old_layout(main: &std::path::Path, keep_file: bool) {
    let trail = custos_store::sqlite_trail_path(main);
    let connection = rusqlite::Connection::open(main).unwrap();
    connection
        .execute("ATTACH DATABASE ?1 AS old", [trail.to_str().unwrap()])
        .unwrap();
    let definitions: Vec<String> = connection
        .prepare(
            "SELECT sql FROM old.sqlite_schema WHERE sql IS NOT NULL \
             ORDER BY type = 'trigger', rowid",
        )
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(definitions.len() >= TRAIL_TABLES.len(), "{definitions:?}");
    connection.execute_batch("BEGIN").unwrap();
    for definition in definitions {
        connection.execute_batch(&definition).unwrap();
    }
    for table in TRAIL_TABLES {
        connection
            .execute_batch(&format!(
                "INSERT INTO main.{table} SELECT * FROM old.{table}"
            ))
            .unwrap();
    }
    connection
        .execute_batch("COMMIT; DETACH DATABASE old")
        .unwrap();
    drop(connection);
    if !keep_file {
        delete_trail_file(main);
    }
}

/// Deletes the trail's file of the closed SQLite database `main`, with its WAL.
fn delete_trail_file(main: &std::path::Path) {
    let trail = custos_store::sqlite_trail_path(main);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", trail.display()));
    }
}

/// A closed SQLite test database whose trail holds `entries` of Alice's reads
/// and a checkpoint of them; its file and the head.
async fn closed_sqlite_trail(
    signer: &AuditSigner,
    entries: i64,
) -> (TestDatabase, std::path::PathBuf, custos_audit::ChainHead) {
    let db = TestDatabase::create(custos_testkit::Backend::Sqlite)
        .await
        .unwrap();
    let main = db.url().sqlite_path().unwrap();
    let store = db.open().await;
    let events = (0..entries)
        .map(|i| pending(i, "alice", "customer.read", "c"))
        .collect();
    let (head, _) = store
        .append_audit_checkpointed(events, signer, INSTANCE, T0)
        .await
        .unwrap();
    store.close().await;
    (db, main, head)
}

/// The number of the trail's tables in the main file itself.
fn trail_tables_in_main_file(main: &std::path::Path) -> i64 {
    let connection = rusqlite::Connection::open(main).unwrap();
    let names = TRAIL_TABLES.map(|t| format!("'{t}'")).join(", ");
    connection
        .query_row(
            &format!("SELECT COUNT(*) FROM sqlite_schema WHERE name IN ({names})"),
            [],
            |row| row.get(0),
        )
        .unwrap()
}

/// A database from before the trail's own file (and one a crash left half-way
/// through the move) opens with its whole trail moved: every entry, the head,
/// the checkpoints, the append-only triggers, and the chain goes on from there.
#[tokio::test]
async fn a_trail_in_the_main_file_moves_to_its_own_whole() {
    let signer = signer();
    for keep_file in [false, true] {
        let (db, main, head) = closed_sqlite_trail(&signer, 80).await;
        assert_eq!(trail_tables_in_main_file(&main), 0);
        restore_old_layout(&main, keep_file);
        assert_eq!(trail_tables_in_main_file(&main), 5);

        let store = db.open().await;
        assert_eq!(trail_tables_in_main_file(&main), 0, "keep_file {keep_file}");
        assert_eq!(store.audit_head().await.unwrap(), head);
        assert_eq!(store.audit_checkpoint_lines().await.unwrap().len(), 1);
        let more = (80..90)
            .map(|i| pending(i, "bob", "customer.read", "c"))
            .collect();
        store
            .append_audit(more, &signer, INSTANCE, T0 + 1)
            .await
            .unwrap();
        let report = verify_all(&store, &signer).await;
        assert!(report.is_intact(), "{:?}", report.finding);
        assert_eq!(report.entries, 90);
        let refused = db
            .try_execute_raw("UPDATE audit_entries SET actor = 'mallory' WHERE seq = 3")
            .await;
        assert!(refused.is_err_and(|e| e.contains("append-only")));
        store.close().await;
        db.cleanup().await;
    }
}

/// Once the trail has its own file, losing that file stops the store from
/// opening rather than starting an empty trail.
#[tokio::test]
async fn a_missing_trail_file_stops_the_store_from_opening() {
    let (db, main, _) = closed_sqlite_trail(&signer(), 5).await;
    delete_trail_file(&main);
    for _ in 0..2 {
        let opened = Store::open(db.url(), &custos_store::StoreOptions::default()).await;
        let Err(error) = opened else {
            panic!("the store opened without its trail file");
        };
        let error = error.to_string();
        assert!(error.contains("audit trail file"), "{error}");
    }
    assert_eq!(trail_tables_in_main_file(&main), 0);
    db.cleanup().await;
}

mod retention {
    use custos_audit::{ChainHead, ChainVerifier, Checkpoint};
    use custos_store::{AuditAnchor, AuditStore};
    use custos_testkit::TestDatabase;

    use super::{INSTANCE, T0, pending, signer};

    async fn pruning_moves_the_anchor_and_keeps_the_rest_verifiable(db: TestDatabase) {
        let store = db.open().await;
        let signer = signer();
        let events = (0..100)
            .map(|i| pending(i, "alice", "customer.read", "c"))
            .collect();
        store
            .append_audit(events, &signer, INSTANCE, T0)
            .await
            .unwrap();
        let entries = store.audit_entries(0, 1000).await.unwrap();
        let mut head = ChainHead::genesis();
        for e in &entries[..60] {
            head.seq = e.seq;
            head.hash = e.hash;
            head.frontier.push(&e.hash);
        }
        let checkpoint = Checkpoint {
            instance: INSTANCE.into(),
            size: 60,
            root: head.frontier.root(),
            time_ms: T0,
        }
        .sign(&signer);
        let anchor = AuditAnchor {
            head: head.clone(),
            checkpoint_line: checkpoint.to_json_line(),
            pruned_ms: T0,
        };
        assert_eq!(store.index_audit(1000).await.unwrap(), 100);
        assert_eq!(store.prune_audit(&anchor).await.unwrap(), 60);
        // The pruned entries' lookup rows went with them (the row inserts again),
        // the others stayed (their row collides).
        for (seq, gone) in [(60, true), (61, false)] {
            let insert =
                format!("INSERT INTO audit_lookup_actor (actor, seq) VALUES ('alice', {seq})");
            assert_eq!(
                db.try_execute_raw(&insert).await.is_ok(),
                gone,
                "lookup row {seq}"
            );
        }
        assert_eq!(store.audit_anchor().await.unwrap(), Some(anchor.clone()));
        assert_eq!(store.audit_entries(0, 1).await.unwrap()[0].seq, 61);

        // The anchor never moves back, and entries above it stay undeletable.
        let mut back = anchor.clone();
        back.head = ChainHead::genesis();
        assert!(store.prune_audit(&back).await.is_err());
        let refused = db
            .try_execute_raw("DELETE FROM audit_entries WHERE seq = 70")
            .await;
        assert!(refused.is_err_and(|e| e.contains("append-only")));

        let mut verifier = ChainVerifier::starting_at(signer.verifying_key(), INSTANCE, head);
        for e in store.audit_entries(0, 1000).await.unwrap() {
            verifier.push(&e);
        }
        let report = verifier.finish();
        assert!(report.is_intact(), "{:?}", report.finding);
        assert_eq!(report.entries, 40);
        store.close().await;
        db.cleanup().await;
    }

    custos_testkit::test_on_both_stores!(pruning_moves_the_anchor_and_keeps_the_rest_verifiable);
}
