//! Conversation storage: entries numbered in order and only on open interactions,
//! raw copies dropped with the customer, one-time codes used once within their
//! attempts and lifetime, and idle interactions closed.

use custos_store::{
    AttemptOutcome, ConversationStore, EntryAppend, EntryRecord, VaultStore, VerificationCodeRecord,
};
use custos_testkit::TestDatabase;
use uuid::Uuid;

use crate::vault::interaction_fixture;

const T0: i64 = 1_800_000_000;

fn entry(kind: &str, content: &str, raw: Option<Vec<u8>>) -> EntryRecord {
    EntryRecord {
        id: Uuid::new_v4(),
        interaction_id: Uuid::nil(),
        seq: 0,
        kind: kind.into(),
        created_at: T0,
        created_by: "integration-1".into(),
        content: content.into(),
        raw_sealed: raw,
    }
}

/// One append through [`ConversationStore::append_batch`]; the entries get their numbers.
async fn append(
    store: &custos_store::Store,
    interaction: Uuid,
    entries: &mut [EntryRecord],
    rewrite: &[(Uuid, String)],
    context: Option<&[u8]>,
    now: i64,
) -> bool {
    let mut batch = [EntryAppend {
        interaction,
        entries: entries.to_vec(),
        rewrite: rewrite.to_vec(),
        context: context.map(<[u8]>::to_vec),
        now,
    }];
    let stored = store.append_batch(&mut batch).await.unwrap();
    entries.clone_from_slice(&batch[0].entries);
    stored[0]
}

async fn entries_are_numbered_and_only_added_while_open(db: TestDatabase) {
    let store = db.open().await;
    let interaction = interaction_fixture(&store).await;
    let mut first = [entry("message", r#"{"text":"hello"}"#, None)];
    assert!(
        append(
            &store,
            interaction.id,
            &mut first,
            &[],
            Some(b"ctx-1"),
            T0 + 5
        )
        .await
    );
    let mut more = [
        entry("transcript", r#"{"turns":[]}"#, Some(vec![7; 40])),
        entry("message", r#"{"text":"bye"}"#, None),
    ];
    assert!(
        append(
            &store,
            interaction.id,
            &mut more,
            &[(first[0].id, r#"{"text":"[redacted]"}"#.to_owned())],
            None,
            T0 + 9
        )
        .await
    );
    let stored = store.entries(interaction.id).await.unwrap();
    assert_eq!(
        stored.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert_eq!(stored[1], more[0]);
    assert_eq!(
        stored[0].content, r#"{"text":"[redacted]"}"#,
        "rewritten in place"
    );
    // Two appends in one batch (one commit) number in turn.
    let next = || EntryAppend {
        interaction: interaction.id,
        entries: vec![entry("message", "{}", None)],
        rewrite: Vec::new(),
        context: None,
        now: T0 + 9,
    };
    let mut batch = [next(), next()];
    assert_eq!(
        store.append_batch(&mut batch).await.unwrap(),
        vec![true, true]
    );
    assert_eq!((batch[0].entries[0].seq, batch[1].entries[0].seq), (4, 5));
    assert_eq!(
        store
            .redaction_context(interaction.id)
            .await
            .unwrap()
            .as_deref(),
        Some(&b"ctx-1"[..]),
        "kept when none is given"
    );
    assert_eq!(
        store.entry(interaction.id, more[0].id).await.unwrap(),
        Some(more[0].clone())
    );
    assert_eq!(
        store
            .interaction(interaction.id)
            .await
            .unwrap()
            .unwrap()
            .last_activity_at,
        T0 + 9
    );

    // Deleting the customer drops the raw copies with the key.
    assert!(
        store
            .delete_customer(interaction.customer_id, T0 + 20, "admin")
            .await
            .unwrap()
    );
    let after = store.entries(interaction.id).await.unwrap();
    assert!(after.iter().all(|e| e.raw_sealed.is_none()));
    assert_eq!(store.redaction_context(interaction.id).await.unwrap(), None);
    assert_eq!(after.len(), 5, "the redacted record stays");

    store
        .close_interaction(interaction.id, T0 + 30, "agent1")
        .await
        .unwrap();
    let mut late = [entry("message", "{}", None)];
    assert!(!append(&store, interaction.id, &mut late, &[], None, T0 + 31).await);
    assert_eq!(store.entries(interaction.id).await.unwrap().len(), 5);
    store.close().await;
    db.cleanup().await;
}

fn code(interaction: Uuid, created_at: i64) -> VerificationCodeRecord {
    VerificationCodeRecord {
        id: Uuid::new_v4(),
        interaction_id: interaction,
        method: "email".into(),
        code_mac: vec![5; 32],
        created_at,
        expires_at: created_at + 300,
        attempts: 0,
        used_at: None,
    }
}

async fn codes_are_used_once_within_attempts_and_lifetime(db: TestDatabase) {
    let store = db.open().await;
    let interaction = interaction_fixture(&store).await;
    let first = code(interaction.id, T0);
    store.add_verification_code(&first).await.unwrap();
    assert_eq!(store.codes_sent_since(interaction.id, T0).await.unwrap(), 1);
    assert_eq!(
        store
            .codes_sent_since(interaction.id, T0 + 1)
            .await
            .unwrap(),
        0
    );

    // Expired: refused, not counted.
    assert_eq!(
        store
            .attempt_verification_code(first.id, true, 5, T0 + 300)
            .await
            .unwrap(),
        AttemptOutcome::Refused
    );
    let second = code(interaction.id, T0 + 400);
    store.add_verification_code(&second).await.unwrap();
    assert_eq!(
        store
            .latest_verification_code(interaction.id)
            .await
            .unwrap(),
        Some(second.clone())
    );
    for _ in 0..2 {
        assert_eq!(
            store
                .attempt_verification_code(second.id, false, 3, T0 + 401)
                .await
                .unwrap(),
            AttemptOutcome::Counted
        );
    }
    assert_eq!(
        store
            .attempt_verification_code(second.id, true, 3, T0 + 402)
            .await
            .unwrap(),
        AttemptOutcome::Verified
    );
    let verified = store.interaction(interaction.id).await.unwrap().unwrap();
    assert_eq!(verified.verified_at, Some(T0 + 402));
    assert_eq!(verified.verified_method.as_deref(), Some("email"));
    assert_eq!(verified.verification_failures, 2);
    // Replay: the code is used.
    assert_eq!(
        store
            .attempt_verification_code(second.id, true, 3, T0 + 403)
            .await
            .unwrap(),
        AttemptOutcome::Refused
    );

    // Out of attempts: even the right code is refused.
    let third = code(interaction.id, T0 + 500);
    store.add_verification_code(&third).await.unwrap();
    for _ in 0..3 {
        store
            .attempt_verification_code(third.id, false, 3, T0 + 501)
            .await
            .unwrap();
    }
    assert_eq!(
        store
            .attempt_verification_code(third.id, true, 3, T0 + 502)
            .await
            .unwrap(),
        AttemptOutcome::Refused
    );
    assert_eq!(
        store
            .latest_verification_code(interaction.id)
            .await
            .unwrap()
            .unwrap()
            .attempts,
        3
    );

    // Questions: failures counted, success verifies; nothing once closed.
    assert_eq!(
        store
            .record_verification(interaction.id, "questions", false, T0 + 600)
            .await
            .unwrap(),
        AttemptOutcome::Counted
    );
    assert_eq!(
        store
            .record_verification(interaction.id, "questions", true, T0 + 601)
            .await
            .unwrap(),
        AttemptOutcome::Verified
    );
    let by_questions = store.interaction(interaction.id).await.unwrap().unwrap();
    assert_eq!(by_questions.verified_method.as_deref(), Some("questions"));
    assert_eq!(by_questions.verification_failures, 6);
    store
        .close_interaction(interaction.id, T0 + 700, "agent1")
        .await
        .unwrap();
    assert_eq!(
        store
            .record_verification(interaction.id, "questions", true, T0 + 701)
            .await
            .unwrap(),
        AttemptOutcome::Refused
    );
    store.close().await;
    db.cleanup().await;
}

async fn idle_interactions_are_closed(db: TestDatabase) {
    let store = db.open().await;
    let interaction = interaction_fixture(&store).await;
    assert!(
        store
            .close_idle_interactions(interaction.last_activity_at, T0 + 10, "system")
            .await
            .unwrap()
            .is_empty(),
        "active at the cut-off: stays open"
    );
    let closed = store
        .close_idle_interactions(interaction.last_activity_at + 1, T0 + 20, "system")
        .await
        .unwrap();
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0].id, interaction.id);
    assert_eq!(closed[0].closed_at, Some(T0 + 20));
    assert_eq!(closed[0].closed_by.as_deref(), Some("system"));
    assert!(
        store
            .close_idle_interactions(T0 + 1_000, T0 + 30, "system")
            .await
            .unwrap()
            .is_empty(),
        "closed once"
    );
    store.close().await;
    db.cleanup().await;
}

custos_testkit::test_on_both_stores!(
    entries_are_numbered_and_only_added_while_open,
    codes_are_used_once_within_attempts_and_lifetime,
    idle_interactions_are_closed,
);
