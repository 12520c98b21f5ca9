//! Invitations: stored by hash, used once, not after they expire, and a new one for
//! the same username retires the old.

use custos_store::{InvitationRecord, InvitationStore as _};
use custos_testkit::TestDatabase;

const T0: i64 = 1_800_000_000;

fn invitation(hash: u8, username: &str) -> InvitationRecord {
    InvitationRecord {
        token_hash: [hash; 32],
        username: username.to_owned(),
        role: "agent".to_owned(),
        team: Some("billing".to_owned()),
        invited_by: "admin-1".to_owned(),
        issued_at: T0,
        expires_at: T0 + 86_400,
    }
}

async fn invitations_work_once_and_expire(db: TestDatabase) {
    let store = db.open().await;
    let first = invitation(1, "nia");
    store.create_invitation(&first).await.unwrap();
    assert_eq!(
        store.consume_invitation(&[9; 32], T0 + 1).await.unwrap(),
        None,
        "unknown"
    );
    assert_eq!(
        store
            .find_invitation(&first.token_hash, T0 + 1)
            .await
            .unwrap(),
        Some(first.clone()),
        "finding does not use it"
    );
    assert_eq!(
        store
            .consume_invitation(&first.token_hash, T0 + 1)
            .await
            .unwrap(),
        Some(first.clone())
    );
    assert_eq!(
        store
            .consume_invitation(&first.token_hash, T0 + 2)
            .await
            .unwrap(),
        None,
        "used once"
    );
    assert_eq!(
        store
            .find_invitation(&first.token_hash, T0 + 2)
            .await
            .unwrap(),
        None
    );

    let late = invitation(2, "omar");
    store.create_invitation(&late).await.unwrap();
    assert_eq!(
        store
            .consume_invitation(&late.token_hash, late.expires_at)
            .await
            .unwrap(),
        None,
        "expired"
    );

    // A new invitation for the same person retires the unused earlier one.
    let old = invitation(3, "pia");
    let new = InvitationRecord {
        team: None,
        ..invitation(4, "pia")
    };
    store.create_invitation(&old).await.unwrap();
    store.create_invitation(&new).await.unwrap();
    assert_eq!(
        store
            .consume_invitation(&old.token_hash, T0 + 5)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .consume_invitation(&new.token_hash, T0 + 5)
            .await
            .unwrap(),
        Some(new)
    );
    store.close().await;
}

custos_testkit::test_on_both_stores!(invitations_work_once_and_expire);
