//! Invitations: stored by hash, used once, not after they expire, and a new one for
//! the same username retires the old.

use custos_store::{
    AccountStore as _, InvitationRecord, InvitationStore as _, PasskeyRecord, PasskeyStore as _,
    ResetCredentials, StoreError, UserRecord,
};
use custos_testkit::TestDatabase;
use uuid::Uuid;

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
        resets_user: None,
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
    db.cleanup().await;
}

/// A credential reset takes every second factor and session away at once; its
/// link is used once; completing it sets the new credentials in one go.
async fn credential_resets_clear_factors_then_set_new_ones(db: TestDatabase) {
    let store = db.open().await;
    let user = UserRecord {
        password_hash: "old-hash".into(),
        totp_last_step: Some(7),
        failed_attempts: 4,
        ..crate::accounts::user("nia")
    };
    store.create_user(&user).await.unwrap();
    store
        .set_recovery_codes(user.id, &[[5; 32], [6; 32]])
        .await
        .unwrap();
    store
        .create_session(&crate::accounts::session(user.id), &[8; 32])
        .await
        .unwrap();
    store
        .create_mfa_challenge(&[9; 32], user.id, None, T0 + 300)
        .await
        .unwrap();
    store
        .add_passkey(&PasskeyRecord {
            id: Uuid::new_v4(),
            user_id: user.id,
            credential_id: vec![7; 16],
            name: "laptop".into(),
            sealed: vec![1],
            created_at: T0,
            last_used_at: None,
        })
        .await
        .unwrap();
    store
        .put_ceremony(&[12; 32], user.id, &[2], T0 + 300)
        .await
        .unwrap();
    assert!(store.has_passkey(user.id).await.unwrap());

    let reset = InvitationRecord {
        resets_user: Some(user.id),
        ..invitation(10, "nia")
    };
    assert!(
        matches!(
            store.issue_credential_reset(&invitation(11, "nia")).await,
            Err(StoreError::Corrupt(_))
        ),
        "a reset must name its account"
    );
    assert_eq!(store.issue_credential_reset(&reset).await.unwrap(), 1);
    let cleared = store.user_by_id(user.id).await.unwrap().unwrap();
    assert_eq!((cleared.totp_sealed, cleared.totp_last_step), (None, None));
    assert_eq!(
        cleared.password_hash, "old-hash",
        "the password stays until redeemed"
    );
    assert_eq!(store.unused_recovery_codes(user.id).await.unwrap(), 0);
    assert!(store.live_sessions(user.id).await.unwrap().is_empty());
    assert_eq!(
        store.take_mfa_challenge(&[9; 32], T0 + 2).await.unwrap(),
        None
    );
    assert!(!store.has_passkey(user.id).await.unwrap(), "passkeys gone");
    assert_eq!(
        store.take_ceremony(&[12; 32], T0 + 2).await.unwrap(),
        None,
        "no passkey ceremony survives"
    );

    let found = store
        .consume_invitation(&reset.token_hash, T0 + 2)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.resets_user, Some(user.id));
    store
        .complete_credential_reset(&ResetCredentials {
            user: user.id,
            password_hash: "new-hash",
            totp_sealed: &[4, 5, 6],
            recovery_hashes: &[[11; 32]],
            now: T0 + 3,
        })
        .await
        .unwrap();
    let renewed = store.user_by_id(user.id).await.unwrap().unwrap();
    assert_eq!(
        (
            renewed.password_hash.as_str(),
            renewed.totp_sealed.as_deref(),
            renewed.failed_attempts,
            renewed.password_changed_at
        ),
        ("new-hash", Some(&[4u8, 5, 6][..]), 0, T0 + 3)
    );
    assert_eq!(store.unused_recovery_codes(user.id).await.unwrap(), 1);
    assert_eq!(
        store.password_history(user.id, 3).await.unwrap(),
        vec!["old-hash".to_owned()]
    );
    store.close().await;
    db.cleanup().await;
}

custos_testkit::test_on_both_stores!(
    invitations_work_once_and_expire,
    credential_resets_clear_factors_then_set_new_ones
);
