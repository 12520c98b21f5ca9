//! The audit trail as the server writes it: lifecycle events, group commit,
//! fail-closed appends, checkpoints and the witness file, and no secrets inside.

use custos_audit::{
    Activity, Actor, AuditEvent, ChainVerifier, Outcome, SignedCheckpoint, StoredEventV1,
};
use custos_server::audit::AuditError;
use custos_server::audit::witness::WitnessFile;
use custos_store::{AuditStore, InstanceStore, Store};
use custos_testkit::{Backend, TestDatabase, TestServer};
use secrecy::ExposeSecret as _;

fn read_event(i: usize) -> AuditEvent {
    AuditEvent::new(
        1_800_000_000_000,
        Activity::ApiRead,
        "customer.read",
        Outcome::Success,
        Actor::system(),
        "read a customer",
    )
    .with_target("customer", Some(&format!("c-{i}")), None)
}

async fn all_entries(store: &Store) -> Vec<custos_audit::StoredEntry> {
    store.audit_entries(0, 100_000).await.unwrap()
}

fn actions(entries: &[custos_audit::StoredEntry]) -> Vec<&str> {
    entries.iter().map(|e| e.index.action.as_str()).collect()
}

async fn start_and_stop_are_recorded_and_checkpointed(db: TestDatabase) {
    let server = TestServer::start_on(db, &[]).await;
    let witness = server
        .data_dir()
        .join("audit-witness")
        .join("checkpoints.jsonl");
    let installation = server.stop_keeping_installation().await;
    let store = installation.database.open().await;
    let entries = all_entries(&store).await;
    assert_eq!(actions(&entries), ["server.start", "server.stop"]);
    let start = StoredEventV1::decode(&entries[0].payload).unwrap();
    assert_eq!(start.class_uid, 6002);
    assert!(start.details.contains_key("config_sha256"));

    // The final checkpoint covers both entries, in the store and in the witness file.
    let lines = WitnessFile::read_lines(&witness).unwrap();
    let last = SignedCheckpoint::from_json_line(lines.last().unwrap()).unwrap();
    assert_eq!(last.checkpoint.size, 2);
    assert_eq!(
        store
            .audit_checkpoint_lines()
            .await
            .unwrap()
            .last()
            .unwrap(),
        lines.last().unwrap()
    );
    let public = custos_server::keys::load_audit_public_key(
        &installation.data_dir.path().join("audit-signing.pub"),
    )
    .unwrap();
    assert!(last.verify(&public));
    store.close().await;
    installation.cleanup().await;
}

async fn concurrent_events_are_group_committed_in_one_chain(db: TestDatabase) {
    let server = TestServer::start_on(db, &[("CUSTOS_AUDIT__CHECKPOINT_EVERY", "50")]).await;
    let audit = server.server().state().audit().clone();
    let tasks: Vec<_> = (0..300)
        .map(|i| {
            let audit = audit.clone();
            tokio::spawn(async move { audit.record(read_event(i)).await })
        })
        .collect();
    let mut seqs = Vec::new();
    for task in tasks {
        seqs.push(task.await.unwrap().unwrap());
    }
    seqs.sort_unstable();
    assert_eq!(
        seqs,
        (2..=301).collect::<Vec<u64>>(),
        "every event gets its own place, no gaps"
    );

    audit.checkpoint_now().await.unwrap();
    let store = server.server().state().store().clone();
    let instance = store
        .find_instance()
        .await
        .unwrap()
        .unwrap()
        .instance_id
        .to_string();
    let key = server.server().state().keys().audit_signer.verifying_key();
    let mut verifier = ChainVerifier::new(key, &instance);
    for line in store.audit_checkpoint_lines().await.unwrap() {
        verifier.add_checkpoint(SignedCheckpoint::from_json_line(&line).unwrap());
    }
    let entries = all_entries(&store).await;
    for entry in &entries {
        verifier.push(entry);
    }
    let report = verifier.finish();
    assert!(report.is_intact(), "{:?}", report.finding);
    assert!(report.checkpoints_matched >= 1, "{report:?}");
    // Group commit: one signed head per transaction, far fewer than events.
    let batches = entries
        .iter()
        .filter(|e| e.head_signature.is_some())
        .count();
    assert!(
        batches < 100,
        "300 concurrent events took {batches} transactions"
    );
    server.stop().await;
}

async fn an_event_that_cannot_be_stored_fails_the_action(db: TestDatabase) {
    let server = TestServer::start_on(db, &[]).await;
    let audit = server.server().state().audit().clone();
    assert!(audit.record(read_event(1)).await.is_ok());
    let (break_sql, repair_sql) = (
        "ALTER TABLE audit_entries RENAME TO audit_entries_gone",
        "ALTER TABLE audit_entries_gone RENAME TO audit_entries",
    );
    server.database().execute_raw(break_sql).await;
    assert_eq!(
        audit.record(read_event(2)).await,
        Err(AuditError::Unavailable)
    );
    let ready = server.get("/readyz").await;
    assert_eq!(ready.status(), 503);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["error"]["code"], "audit_unavailable");

    server.database().execute_raw(repair_sql).await;
    let seq = audit.record(read_event(3)).await.unwrap();
    assert_eq!(seq, 3, "the failed event took no place in the chain");
    assert_eq!(server.get("/readyz").await.status(), 200);
    server.stop().await;
}

/// Canary values in every secret the server holds must never reach the trail.
async fn no_secret_reaches_the_trail(db: TestDatabase) {
    const SMTP_CANARY: &str = "SmtpCanaryPw7731";
    let smtp = format!("smtps://custos:{SMTP_CANARY}@mail.example.com:465");
    let server = TestServer::start_on(
        db,
        &[
            ("CUSTOS_NOTIFY__SMTP_URL", smtp.as_str()),
            ("CUSTOS_NOTIFY__SMTP_FROM", "custos@example.com"),
        ],
    )
    .await;
    let setup_token = server
        .report()
        .setup_url
        .as_ref()
        .unwrap()
        .expose_secret()
        .split_once("#token=")
        .unwrap()
        .1
        .to_owned();
    let root_key = hex(server.server().state().keys().root.expose());
    let installation = server.stop_keeping_installation().await;
    let store = installation.database.open().await;
    let mut haystack = String::new();
    for entry in all_entries(&store).await {
        haystack.push_str(&String::from_utf8_lossy(&entry.payload));
        haystack.push_str(&format!("{:?}", entry.index));
    }
    for line in store.audit_checkpoint_lines().await.unwrap() {
        haystack.push_str(&line);
    }
    assert!(!haystack.is_empty());
    for canary in [SMTP_CANARY, setup_token.as_str(), root_key.as_str()] {
        assert!(
            !haystack.contains(canary),
            "a secret reached the audit trail"
        );
    }
    store.close().await;
    installation.cleanup().await;
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

custos_testkit::test_on_both_stores!(
    start_and_stop_are_recorded_and_checkpointed,
    concurrent_events_are_group_committed_in_one_chain,
    an_event_that_cannot_be_stored_fails_the_action,
    no_secret_reaches_the_trail,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_after_close_fail() {
    let server = TestServer::start(Backend::Sqlite).await.unwrap();
    let audit = server.server().state().audit().clone();
    audit.close().await;
    assert_eq!(
        audit.record(read_event(1)).await,
        Err(AuditError::Unavailable)
    );
    server.stop().await;
}
