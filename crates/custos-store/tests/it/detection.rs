//! Detection storage: alerts with their lifecycle and notes, administrators' rule
//! changes replacing earlier ones, and the work shifts activity is compared with.

use custos_store::{AccountStore, AlertNote, AlertRecord, DetectionRuleRecord, DetectionStore};
use custos_testkit::TestDatabase;
use uuid::Uuid;

const T0: i64 = 1_800_000_000;

fn alert(rule: &str, at: i64) -> AlertRecord {
    AlertRecord {
        id: Uuid::new_v4(),
        rule_id: rule.into(),
        severity: "high".into(),
        title: "Password guessing against one account".into(),
        summary: "10 events for actor=amy within 15m".into(),
        status: "open".into(),
        actor: Some("amy".into()),
        source_ip: Some("203.0.113.9".into()),
        events: "[1,2,3]".into(),
        responses: "[]".into(),
        created_at: at,
        updated_at: at,
        updated_by: None,
    }
}

async fn alerts_move_through_their_lifecycle(db: TestDatabase) {
    let store = db.open().await;
    let first = alert("brute-force-account", T0);
    let second = alert("customer-reads-above-peers", T0 + 5);
    store.create_alert(&first).await.unwrap();
    store.create_alert(&second).await.unwrap();
    assert_eq!(
        store.alerts(None, 10).await.unwrap(),
        vec![second.clone(), first.clone()]
    );
    assert!(
        store
            .update_alert(
                first.id,
                "acknowledged",
                Some(r#"[{"action":"alert"}]"#),
                "olga",
                T0 + 9
            )
            .await
            .unwrap()
    );
    let open = store.alerts(Some("open"), 10).await.unwrap();
    assert_eq!(open, vec![second.clone()]);
    let acked = store.alert(first.id).await.unwrap().unwrap();
    assert_eq!(acked.status, "acknowledged");
    assert_eq!(acked.updated_by.as_deref(), Some("olga"));
    assert_eq!(acked.responses, r#"[{"action":"alert"}]"#);
    assert!(
        !store
            .update_alert(Uuid::new_v4(), "resolved", None, "olga", T0)
            .await
            .unwrap()
    );
    assert_eq!(store.alerts(None, 1).await.unwrap().len(), 1, "limited");

    for (i, text) in ["looked at the sign-ins", "false alarm: a training account"]
        .iter()
        .enumerate()
    {
        store
            .add_alert_note(
                first.id,
                &AlertNote {
                    created_at: T0 + 10 + i as i64,
                    author: "olga".into(),
                    text: (*text).into(),
                },
            )
            .await
            .unwrap();
    }
    let notes = store.alert_notes(first.id).await.unwrap();
    assert_eq!(notes.len(), 2);
    assert_eq!(notes[1].text, "false alarm: a training account");
    store.close().await;
    db.cleanup().await;
}

async fn rule_changes_replace_earlier_ones(db: TestDatabase) {
    let store = db.open().await;
    assert!(store.detection_rules().await.unwrap().is_empty());
    let mut rule = DetectionRuleRecord {
        id: "brute-force-account".into(),
        definition: "id = \"brute-force-account\"".into(),
        enabled: true,
        updated_at: T0,
        updated_by: "ada".into(),
    };
    store.put_detection_rule(&rule).await.unwrap();
    rule.enabled = false;
    rule.updated_at = T0 + 1;
    store.put_detection_rule(&rule).await.unwrap();
    assert_eq!(store.detection_rules().await.unwrap(), vec![rule]);
    store.close().await;
    db.cleanup().await;
}

async fn work_shifts_are_set_replaced_and_cleared(db: TestDatabase) {
    let store = db.open().await;
    let agent = crate::vault::interaction_fixture(&store).await.agent_id;
    assert_eq!(store.user_shift(agent).await.unwrap(), None);
    store
        .set_user_shift(agent, Some((480, 1020)))
        .await
        .unwrap();
    store
        .set_user_shift(agent, Some((1320, 360)))
        .await
        .unwrap();
    assert_eq!(
        store.user_shift(agent).await.unwrap(),
        Some((1320, 360)),
        "wraps midnight"
    );
    store.set_user_shift(agent, None).await.unwrap();
    assert_eq!(store.user_shift(agent).await.unwrap(), None);
    store.close().await;
    db.cleanup().await;
}

custos_testkit::test_on_both_stores!(
    work_shifts_are_set_replaced_and_cleared,
    alerts_move_through_their_lifecycle,
    rule_changes_replace_earlier_ones,
);
