//! `custos audit verify` and `custos audit export` against real stores, including
//! an attacker's edits made with SQL directly on the SQLite file and on PostgreSQL.

use std::process::Output;

use custos_audit::{Activity, Actor, ActorKind, AuditEvent, Outcome};
use custos_testkit::{Backend, Installation, TestDatabase, TestServer};

use crate::custos;

/// Events recorded besides the server's own start and stop.
const EVENTS: usize = 20;

/// A stopped installation whose trail holds start, `EVENTS` reads, stop (22 entries),
/// with checkpoints every 5 entries.
async fn installation(db: TestDatabase) -> Installation {
    let server = TestServer::start_on(db, &[("CUSTOS_AUDIT__CHECKPOINT_EVERY", "5")]).await;
    let audit = server.server().state().audit().clone();
    for i in 0..EVENTS {
        let event = AuditEvent::new(
            1_800_000_000_000 + i as i64,
            Activity::ApiRead,
            "customer.read",
            Outcome::Success,
            Actor {
                kind: ActorKind::Person,
                name: Some("agent.alice".into()),
                uid: None,
                role: Some("agent".into()),
                session: None,
                device: None,
                ip: Some("10.0.0.7".into()),
            },
            "read a customer",
        )
        .with_target("customer", Some(&format!("c-{i}")), Some("phone"));
        audit.record(event).await.unwrap();
    }
    server.stop_keeping_installation().await
}

fn run(installation: &Installation, args: &[&str]) -> (Option<i32>, String) {
    let Output { status, stdout, .. } = custos()
        .args(args)
        .args(installation.cli_args())
        .output()
        .unwrap();
    (status.code(), String::from_utf8(stdout).unwrap())
}

fn verify(installation: &Installation) -> (Option<i32>, String) {
    run(installation, &["audit", "verify"])
}

/// Removes the append-only triggers, as an attacker with database rights would.
fn drop_triggers(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => {
            "DROP TRIGGER audit_entries_no_update; DROP TRIGGER audit_entries_no_delete;"
        }
        Backend::Postgres => {
            "DROP TRIGGER audit_entries_append_only ON audit_entries; \
             DROP TRIGGER audit_entries_no_truncate ON audit_entries;"
        }
    }
}

/// Applies `attack` (SQL) to a fresh installation and expects verify to name `first_bad`.
async fn attack(db: TestDatabase, attack: &str, first_bad: u64) {
    let backend = db.backend();
    let installation = installation(db).await;
    assert_eq!(verify(&installation).0, Some(0), "intact before the attack");
    installation
        .database
        .execute_raw(&format!("{} {attack}", drop_triggers(backend)))
        .await;
    let (code, out) = verify(&installation);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains(&format!("first bad sequence number {first_bad}\n")),
        "{out}"
    );
    // The finding is recorded in the trail itself, where detection watches for it
    // (unless the attack left no room for it: an inserted entry takes its number).
    let store = installation.database.open().await;
    let entries = custos_store::AuditStore::audit_entries(&store, 0, 10_000)
        .await
        .unwrap();
    store.close().await;
    let recorded = entries.iter().any(|e| {
        let text = String::from_utf8_lossy(&e.payload);
        text.contains("\"audit.verify\"")
            && text.contains("\"failure\"")
            && text.contains(&format!("\"first_bad_seq\":\"{first_bad}\""))
    });
    assert!(
        recorded || first_bad == 12,
        "the failed verification is in the trail"
    );
    installation.cleanup().await;
}

async fn an_intact_trail_verifies(db: TestDatabase) {
    let installation = installation(db).await;
    let (code, out) = verify(&installation);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.starts_with("intact: 22 entries"), "{out}");
    installation.cleanup().await;
}

async fn the_database_refuses_updates_and_deletes(db: TestDatabase) {
    let installation = installation(db).await;
    for sql in [
        "DELETE FROM audit_entries WHERE seq = 3",
        "UPDATE audit_entries SET actor = 'mallory' WHERE seq = 3",
    ] {
        let refused = installation.database.try_execute_raw(sql).await;
        assert!(
            refused.is_err_and(|e| e.contains("append-only")),
            "{sql} must be refused"
        );
    }
    assert_eq!(verify(&installation).0, Some(0));
    installation.cleanup().await;
}

async fn a_modified_index_column_is_caught(db: TestDatabase) {
    attack(
        db,
        "UPDATE audit_entries SET actor = 'mallory' WHERE seq = 7;",
        7,
    )
    .await;
}

async fn a_modified_payload_is_caught(db: TestDatabase) {
    let sql = match db.backend() {
        Backend::Sqlite => {
            "UPDATE audit_entries SET payload = CAST(replace(CAST(payload AS TEXT), 'c-6', 'c-X') AS BLOB) WHERE seq = 8;"
        }
        Backend::Postgres => {
            "UPDATE audit_entries SET payload = convert_to(replace(convert_from(payload, 'UTF8'), 'c-6', 'c-X'), 'UTF8') WHERE seq = 8;"
        }
    };
    attack(db, sql, 8).await;
}

async fn a_deleted_entry_is_caught(db: TestDatabase) {
    attack(db, "DELETE FROM audit_entries WHERE seq = 9;", 9).await;
}

async fn reordered_entries_are_caught(db: TestDatabase) {
    attack(
        db,
        "UPDATE audit_entries SET seq = -10 WHERE seq = 10; \
         UPDATE audit_entries SET seq = 10 WHERE seq = 11; \
         UPDATE audit_entries SET seq = 11 WHERE seq = -10;",
        10,
    )
    .await;
}

async fn an_inserted_entry_is_caught(db: TestDatabase) {
    attack(
        db,
        "UPDATE audit_entries SET seq = -seq WHERE seq >= 12; \
         UPDATE audit_entries SET seq = 1 - seq WHERE seq < 0; \
         INSERT INTO audit_entries SELECT 12, time_ms, action, 'ghost', target_kind, target_id, outcome, \
                payload, prev_hash, hash, head_signature FROM audit_entries WHERE seq = 11;",
        12,
    )
    .await;
}

async fn a_truncated_tail_is_caught_by_the_witness(db: TestDatabase) {
    // The attacker removes the tail and every checkpoint in the database; the
    // witness file outside it still names the size the trail had.
    attack(
        db,
        "DELETE FROM audit_entries WHERE seq > 15; DELETE FROM audit_checkpoints;",
        16,
    )
    .await;
}

async fn export_writes_ocsf_and_cef_and_is_itself_audited(db: TestDatabase) {
    let installation = installation(db).await;
    let (code, out) = run(
        &installation,
        &["audit", "export", "--format", "ocsf-jsonl"],
    );
    assert_eq!(code, Some(0));
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 23, "22 entries and the export's own event");
    assert_eq!(lines[1]["class_uid"], 6003);
    assert_eq!(lines[1]["actor"]["user"]["name"], "agent.alice");
    assert_eq!(lines[1]["src_endpoint"]["ip"], "10.0.0.7");
    assert_eq!(lines[22]["metadata"]["event_code"], "audit.export");

    // The reads are dated 2027-01-15T08:00:00.000Z + i ms; --since keeps i >= 10.
    let since = [
        "audit",
        "export",
        "--format",
        "cef",
        "--since",
        "2027-01-15T08:00:00.010Z",
    ];
    let (code, out) = run(&installation, &since);
    assert_eq!(code, Some(0));
    assert!(
        out.lines().all(|l| l.starts_with("CEF:0|Custos|Custos|")),
        "{out}"
    );
    assert_eq!(out.lines().count(), 10, "--since filters: {out}");
    assert!(
        out.contains("cs2=c-10 ") && !out.contains("cs2=c-9 "),
        "{out}"
    );
    let (code, out) = verify(&installation);
    assert_eq!(
        code,
        Some(0),
        "exports append properly chained events: {out}"
    );
    installation.cleanup().await;
}

custos_testkit::test_on_both_stores!(
    an_intact_trail_verifies,
    the_database_refuses_updates_and_deletes,
    a_modified_index_column_is_caught,
    a_modified_payload_is_caught,
    a_deleted_entry_is_caught,
    reordered_entries_are_caught,
    an_inserted_entry_is_caught,
    a_truncated_tail_is_caught_by_the_witness,
    export_writes_ocsf_and_cef_and_is_itself_audited,
);

#[test]
fn without_a_public_key_nothing_can_be_checked() {
    let output = custos()
        .args(["audit", "verify", "--data-dir", "/nonexistent-custos"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

mod archive {
    use custos_testkit::{Installation, TestDatabase, TestServer};

    use super::{installation, run, verify};

    const FAR_FUTURE: &str = "2100-01-01";

    fn verify_bundle(
        installation: &Installation,
        bundle: &std::path::Path,
    ) -> (Option<i32>, String) {
        let key = installation.data_dir.path().join("audit-signing.pub");
        let output = crate::custos()
            .args(["audit", "verify", "--bundle"])
            .arg(bundle)
            .arg("--public-key")
            .arg(key)
            .output()
            .unwrap();
        (
            output.status.code(),
            String::from_utf8(output.stdout).unwrap(),
        )
    }

    async fn an_archive_bundle_verifies_offline_and_edits_are_caught(db: TestDatabase) {
        let installation = installation(db).await;
        let bundle = installation.data_dir.path().join("trail.bundle");
        let bundle_arg = bundle.display().to_string();
        let (code, out) = run(
            &installation,
            &[
                "audit",
                "archive",
                "--until",
                FAR_FUTURE,
                "--output",
                &bundle_arg,
            ],
        );
        assert_eq!(code, Some(0), "{out}");
        assert!(
            out.starts_with("archived entries 1..=22 (22 entries)"),
            "{out}"
        );
        let (code, out) = verify_bundle(&installation, &bundle);
        assert_eq!(code, Some(0), "{out}");
        assert!(
            out.starts_with("intact: 22 entries (1..=22, archive bundle)"),
            "{out}"
        );

        let mut bytes = std::fs::read(&bundle).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x10;
        let edited = installation.data_dir.path().join("edited.bundle");
        std::fs::write(&edited, &bytes).unwrap();
        let (code, out) = verify_bundle(&installation, &edited);
        assert_eq!(code, Some(1), "{out}");
        assert!(out.starts_with("TAMPERED"), "{out}");

        let truncated = installation.data_dir.path().join("truncated.bundle");
        std::fs::write(&truncated, &bytes[..middle]).unwrap();
        assert_eq!(verify_bundle(&installation, &truncated).0, Some(1));
        installation.cleanup().await;
    }

    async fn young_entries_are_not_pruned(db: TestDatabase) {
        let installation = installation(db).await;
        let bundle = installation
            .data_dir
            .path()
            .join("trail.bundle")
            .display()
            .to_string();
        let (code, _) = run(
            &installation,
            &[
                "audit", "archive", "--until", FAR_FUTURE, "--output", &bundle, "--prune",
            ],
        );
        assert_eq!(code, Some(1));
        let (code, out) = verify(&installation);
        assert_eq!(code, Some(0), "{out}");
        assert!(
            out.starts_with("intact: 23 entries"),
            "nothing pruned, the archive recorded: {out}"
        );
        installation.cleanup().await;
    }

    async fn old_entries_are_pruned_and_the_rest_still_verifies(db: TestDatabase) {
        let long_ago = time::OffsetDateTime::now_utc() - time::Duration::days(400);
        let server =
            TestServer::start_on_at(db, &[("CUSTOS_AUDIT__CHECKPOINT_EVERY", "5")], long_ago).await;
        let installation = server.stop_keeping_installation().await;
        let bundle = installation.data_dir.path().join("old.bundle");
        let bundle_arg = bundle.display().to_string();
        let (code, out) = run(
            &installation,
            &[
                "audit",
                "archive",
                "--until",
                FAR_FUTURE,
                "--output",
                &bundle_arg,
                "--prune",
            ],
        );
        assert_eq!(code, Some(0), "{out}");
        assert!(out.ends_with("pruned 2 entries from the store\n"), "{out}");
        let (code, out) = verify(&installation);
        assert_eq!(code, Some(0), "{out}");
        assert!(
            out.starts_with("intact: 2 entries (from 3, older entries archived)"),
            "{out}"
        );
        assert_eq!(verify_bundle(&installation, &bundle).0, Some(0));

        // A forged anchor (moved forward to hide entries) is caught.
        installation
            .database
            .execute_raw("UPDATE audit_anchor SET seq = 3")
            .await;
        let (code, out) = verify(&installation);
        assert_eq!(code, Some(1), "{out}");
        installation.cleanup().await;
    }

    custos_testkit::test_on_both_stores!(
        an_archive_bundle_verifies_offline_and_edits_are_caught,
        young_entries_are_not_pruned,
        old_entries_are_pruned_and_the_rest_still_verifies,
    );
}
