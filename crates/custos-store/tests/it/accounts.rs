//! People, sessions, sign-in state, service tokens and run-time settings.

use custos_store::{
    AccountStore, ServiceTokenRecord, SessionRecord, SettingRecord, Store, StoreError, UserRecord,
};
use custos_testkit::{Backend, TestDatabase};
use uuid::Uuid;

const T0: i64 = 1_800_000_000;

pub(crate) fn user(name: &str) -> UserRecord {
    UserRecord {
        id: Uuid::new_v4(),
        username: name.to_owned(),
        role: "agent".into(),
        team: Some("billing".into()),
        supervisor_id: None,
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        password_changed_at: T0,
        totp_sealed: Some(vec![1, 2, 3]),
        totp_last_step: None,
        failed_attempts: 0,
        locked_until: None,
        disabled_at: None,
        created_at: T0,
        last_sign_in_at: None,
    }
}

pub(crate) fn session(user: Uuid) -> SessionRecord {
    SessionRecord::signed_in(user, T0, Some("127.0.0.1".into()), None)
}

async fn people_are_created_once_and_found(db: TestDatabase) {
    let store = db.open().await;
    let alice = user("alice");
    store.create_user(&alice).await.unwrap();
    assert_eq!(
        store.user_by_name("alice").await.unwrap(),
        Some(alice.clone())
    );
    assert_eq!(
        store.user_by_id(alice.id).await.unwrap(),
        Some(alice.clone())
    );
    assert!(matches!(
        store.create_user(&user("alice")).await,
        Err(StoreError::Conflict(_))
    ));
    store.create_user(&user("bob")).await.unwrap();
    let names: Vec<_> = store
        .list_users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(names, ["alice", "bob"]);
    assert_eq!(store.user_by_name("carol").await.unwrap(), None);
    finish(store, db).await;
}

async fn sign_in_state_and_password_history(db: TestDatabase) {
    let store = db.open().await;
    let alice = user("alice");
    store.create_user(&alice).await.unwrap();
    store
        .set_sign_in_failures(alice.id, 10, Some(T0 + 1800))
        .await
        .unwrap();
    let locked = store.user_by_id(alice.id).await.unwrap().unwrap();
    assert_eq!(
        (locked.failed_attempts, locked.locked_until),
        (10, Some(T0 + 1800))
    );
    store.unlock_user(alice.id).await.unwrap();
    let unlocked = store.user_by_id(alice.id).await.unwrap().unwrap();
    assert_eq!((unlocked.failed_attempts, unlocked.locked_until), (0, None));
    store.record_sign_in(alice.id, T0 + 5).await.unwrap();
    assert_eq!(
        store
            .user_by_id(alice.id)
            .await
            .unwrap()
            .unwrap()
            .last_sign_in_at,
        Some(T0 + 5)
    );

    store
        .set_password(alice.id, "second", T0 + 10)
        .await
        .unwrap();
    store
        .set_password(alice.id, "third", T0 + 20)
        .await
        .unwrap();
    assert_eq!(
        store
            .user_by_id(alice.id)
            .await
            .unwrap()
            .unwrap()
            .password_hash,
        "third"
    );
    assert_eq!(
        store.password_history(alice.id, 4).await.unwrap(),
        ["second", alice.password_hash.as_str()]
    );
    finish(store, db).await;
}

async fn a_totp_step_is_accepted_once_even_under_races(db: TestDatabase) {
    let store = db.open().await;
    let alice = user("alice");
    store.create_user(&alice).await.unwrap();
    assert!(store.advance_totp_step(alice.id, 5).await.unwrap());
    assert!(!store.advance_totp_step(alice.id, 5).await.unwrap());
    assert!(!store.advance_totp_step(alice.id, 4).await.unwrap());
    let racers: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.advance_totp_step(alice.id, 6).await.unwrap() })
        })
        .collect();
    let mut accepted = 0;
    for racer in racers {
        accepted += usize::from(racer.await.unwrap());
    }
    assert_eq!(accepted, 1, "the same code wins exactly once");
    finish(store, db).await;
}

async fn disabling_ends_every_session_at_once(db: TestDatabase) {
    let store = db.open().await;
    let alice = user("alice");
    store.create_user(&alice).await.unwrap();
    let (one, two) = (session(alice.id), session(alice.id));
    store.create_session(&one, &[1; 32]).await.unwrap();
    store.create_session(&two, &[2; 32]).await.unwrap();
    store
        .create_mfa_challenge(&[3; 32], alice.id, None, T0 + 300)
        .await
        .unwrap();
    let (found, who) = store.session_by_token(&[1; 32]).await.unwrap().unwrap();
    assert_eq!((found.id, who.id), (one.id, alice.id));
    assert_eq!(store.live_sessions(alice.id).await.unwrap().len(), 2);

    assert!(store.disable_user(alice.id, T0 + 60).await.unwrap());
    assert!(
        !store.disable_user(alice.id, T0 + 61).await.unwrap(),
        "already disabled"
    );
    assert_eq!(store.session_by_token(&[1; 32]).await.unwrap(), None);
    assert_eq!(store.session_by_token(&[2; 32]).await.unwrap(), None);
    assert!(store.live_sessions(alice.id).await.unwrap().is_empty());
    assert_eq!(
        store.take_mfa_challenge(&[3; 32], T0 + 61).await.unwrap(),
        None
    );
    assert_eq!(
        store
            .user_by_id(alice.id)
            .await
            .unwrap()
            .unwrap()
            .disabled_at,
        Some(T0 + 60)
    );
    finish(store, db).await;
}

async fn sessions_end_and_challenges_are_single_use(db: TestDatabase) {
    let store = db.open().await;
    let alice = user("alice");
    store.create_user(&alice).await.unwrap();
    let s = session(alice.id);
    store.create_session(&s, &[9; 32]).await.unwrap();
    store.touch_session(s.id, T0 + 30).await.unwrap();
    store.touch_session(s.id, T0 + 10).await.unwrap();
    assert_eq!(
        store
            .session_by_token(&[9; 32])
            .await
            .unwrap()
            .unwrap()
            .0
            .last_seen,
        T0 + 30
    );
    assert!(store.end_session(s.id, T0 + 40, "logout").await.unwrap());
    assert!(!store.end_session(s.id, T0 + 41, "logout").await.unwrap());
    assert_eq!(store.session_by_token(&[9; 32]).await.unwrap(), None);

    store
        .create_mfa_challenge(&[4; 32], alice.id, None, T0 + 300)
        .await
        .unwrap();
    assert_eq!(
        store.take_mfa_challenge(&[4; 32], T0 + 1).await.unwrap(),
        Some((alice.id, None))
    );
    assert_eq!(
        store.take_mfa_challenge(&[4; 32], T0 + 2).await.unwrap(),
        None,
        "single use"
    );
    store
        .create_mfa_challenge(&[5; 32], alice.id, None, T0 + 300)
        .await
        .unwrap();
    assert_eq!(
        store.take_mfa_challenge(&[5; 32], T0 + 300).await.unwrap(),
        None,
        "expired"
    );
    finish(store, db).await;
}

async fn sessions_are_found_by_id_and_stepped_up(db: TestDatabase) {
    let store = db.open().await;
    let alice = user("alice");
    store.create_user(&alice).await.unwrap();
    let s = session(alice.id);
    store.create_session(&s, &[6; 32]).await.unwrap();
    store.set_session_mfa(s.id, T0 + 100).await.unwrap();
    assert_eq!(
        store.session_by_id(s.id).await.unwrap().unwrap().mfa_at,
        T0 + 100
    );
    store.end_session(s.id, T0 + 200, "logout").await.unwrap();
    store.set_session_mfa(s.id, T0 + 300).await.unwrap();
    let ended = store.session_by_id(s.id).await.unwrap().unwrap();
    assert_eq!(
        (ended.mfa_at, ended.ended_at),
        (T0 + 100, Some(T0 + 200)),
        "an ended session is not stepped up"
    );
    assert_eq!(store.session_by_id(Uuid::new_v4()).await.unwrap(), None);
    finish(store, db).await;
}

async fn service_tokens_have_unique_names(db: TestDatabase) {
    let store = db.open().await;
    let token = ServiceTokenRecord {
        id: Uuid::new_v4(),
        name: "genesys".into(),
        role: "integration".into(),
        created_at: T0,
        expires_at: T0 + 86_400,
        revoked_at: None,
        last_used_at: None,
    };
    store.create_service_token(&token, &[7; 32]).await.unwrap();
    assert_eq!(
        store.service_token_by_hash(&[7; 32]).await.unwrap(),
        Some(token.clone())
    );
    assert_eq!(store.service_token_by_hash(&[8; 32]).await.unwrap(), None);
    let again = ServiceTokenRecord {
        id: Uuid::new_v4(),
        ..token.clone()
    };
    assert!(matches!(
        store.create_service_token(&again, &[8; 32]).await,
        Err(StoreError::Conflict(_))
    ));
    store.touch_service_token(token.id, T0 + 5).await.unwrap();
    assert_eq!(
        store
            .service_token_by_hash(&[7; 32])
            .await
            .unwrap()
            .unwrap()
            .last_used_at,
        Some(T0 + 5)
    );
    assert_eq!(
        store
            .service_token_by_id(token.id)
            .await
            .unwrap()
            .unwrap()
            .name,
        "genesys"
    );
    assert_eq!(
        store.service_token_by_id(Uuid::new_v4()).await.unwrap(),
        None
    );
    assert!(store.revoke_service_token(token.id, T0 + 9).await.unwrap());
    assert!(
        !store.revoke_service_token(token.id, T0 + 10).await.unwrap(),
        "already revoked"
    );
    assert_eq!(
        store
            .service_token_by_hash(&[7; 32])
            .await
            .unwrap()
            .unwrap()
            .revoked_at,
        Some(T0 + 9)
    );
    finish(store, db).await;
}

async fn settings_change_in_one_step_and_return_to_the_file(db: TestDatabase) {
    let store = db.open().await;
    assert!(store.settings().await.unwrap().is_empty());
    let setting = |name: &str, value: &str, at: i64| SettingRecord {
        name: name.into(),
        value: value.into(),
        changed_by: "root".into(),
        changed_at: at,
    };
    store
        .change_settings(
            &[],
            &[
                setting("session.idle_timeout_secs", "600", T0),
                setting("masking.phone.servicing", "\"last_two\"", T0),
            ],
        )
        .await
        .unwrap();
    // A second change replaces one value and returns the other to the file.
    store
        .change_settings(
            &["masking.phone.servicing".into()],
            &[setting("session.idle_timeout_secs", "300", T0 + 1)],
        )
        .await
        .unwrap();
    assert_eq!(
        store.settings().await.unwrap(),
        vec![setting("session.idle_timeout_secs", "300", T0 + 1)]
    );
    // Removing what is not there changes nothing.
    store
        .change_settings(&["audit.retention_days".into()], &[])
        .await
        .unwrap();
    assert_eq!(store.settings().await.unwrap().len(), 1);
    finish(store, db).await;
}

async fn finish(store: Store, db: TestDatabase) {
    store.close().await;
    db.cleanup().await;
}

custos_testkit::test_on_both_stores!(
    devices_enrol_once_and_revocation_ends_their_sessions,
    people_are_created_once_and_found,
    sign_in_state_and_password_history,
    a_totp_step_is_accepted_once_even_under_races,
    disabling_ends_every_session_at_once,
    sessions_end_and_challenges_are_single_use,
    service_tokens_have_unique_names,
    sessions_are_found_by_id_and_stepped_up,
    settings_change_in_one_step_and_return_to_the_file,
    lookups_see_other_connections_at_once_and_hold_no_snapshot,
);

/// The lookups every request makes (on SQLite, on the store's direct connections)
/// see a change made through another connection at once, and leave no read open
/// behind them: an open read would keep SQLite from checkpointing its log.
async fn lookups_see_other_connections_at_once_and_hold_no_snapshot(db: TestDatabase) {
    let store = db.open().await;
    let alice = user("alice");
    store.create_user(&alice).await.unwrap();
    store
        .create_session(&session(alice.id), &[21; 32])
        .await
        .unwrap();
    let token = ServiceTokenRecord {
        id: Uuid::new_v4(),
        name: "crm".into(),
        role: "integration".into(),
        created_at: T0,
        expires_at: T0 + 3600,
        revoked_at: None,
        last_used_at: None,
    };
    store.create_service_token(&token, &[22; 32]).await.unwrap();
    for _ in 0..3 {
        assert!(store.session_by_token(&[21; 32]).await.unwrap().is_some());
        assert_eq!(
            store.service_token_by_hash(&[22; 32]).await.unwrap(),
            Some(token.clone())
        );
    }
    if db.backend() == Backend::Sqlite {
        db.execute_raw("PRAGMA wal_checkpoint(TRUNCATE)").await;
        let path = db.url().sqlite_path().unwrap();
        let wal = std::path::PathBuf::from(format!("{}-wal", path.display()));
        assert_eq!(
            std::fs::metadata(&wal).map_or(0, |m| m.len()),
            0,
            "a lookup left a read open, so the log could not be checkpointed"
        );
    }
    db.execute_raw(&format!(
        "UPDATE sessions SET ended_at = {T0}, end_reason = 'elsewhere'; \
         UPDATE service_tokens SET revoked_at = {T0}"
    ))
    .await;
    assert_eq!(store.session_by_token(&[21; 32]).await.unwrap(), None);
    assert_eq!(
        store
            .service_token_by_hash(&[22; 32])
            .await
            .unwrap()
            .and_then(|t| t.revoked_at),
        Some(T0)
    );
    finish(store, db).await;
}

async fn devices_enrol_once_and_revocation_ends_their_sessions(db: TestDatabase) {
    let store = db.open().await;
    let alice = user("alice");
    store.create_user(&alice).await.unwrap();
    store
        .create_device_code(&[7; 32], alice.id, "officer-1", T0, T0 + 3600)
        .await
        .unwrap();
    assert!(
        !store
            .take_device_code(&[7; 32], alice.id, T0 + 3600)
            .await
            .unwrap(),
        "expired"
    );
    assert!(
        !store
            .take_device_code(&[7; 32], Uuid::new_v4(), T0 + 1)
            .await
            .unwrap(),
        "someone else's"
    );
    assert!(
        store
            .take_device_code(&[7; 32], alice.id, T0 + 1)
            .await
            .unwrap()
    );
    assert!(
        !store
            .take_device_code(&[7; 32], alice.id, T0 + 2)
            .await
            .unwrap(),
        "single use"
    );
    let device = custos_store::DeviceRecord {
        id: Uuid::new_v4(),
        user_id: alice.id,
        name: "laptop-1".into(),
        created_at: T0,
        last_seen_at: None,
        revoked_at: None,
    };
    store.create_device(&device, &[8; 32]).await.unwrap();
    assert_eq!(
        store.device_by_token(&[8; 32]).await.unwrap(),
        Some(device.clone())
    );
    store.touch_device(device.id, T0 + 5).await.unwrap();
    assert_eq!(
        store.devices_of(alice.id).await.unwrap()[0].last_seen_at,
        Some(T0 + 5)
    );
    store
        .create_mfa_challenge(&[9; 32], alice.id, Some(device.id), T0 + 300)
        .await
        .unwrap();
    assert_eq!(
        store.take_mfa_challenge(&[9; 32], T0 + 1).await.unwrap(),
        Some((alice.id, Some(device.id)))
    );
    let mut from_device = session(alice.id);
    from_device.device_id = Some(device.id);
    store.create_session(&from_device, &[10; 32]).await.unwrap();
    let other = session(alice.id);
    store.create_session(&other, &[11; 32]).await.unwrap();
    assert!(store.revoke_device(device.id, T0 + 9).await.unwrap());
    assert!(!store.revoke_device(device.id, T0 + 10).await.unwrap());
    assert_eq!(store.device_by_token(&[8; 32]).await.unwrap(), None);
    assert!(
        store.session_by_token(&[10; 32]).await.unwrap().is_none(),
        "its session ended"
    );
    assert!(
        store.session_by_token(&[11; 32]).await.unwrap().is_some(),
        "others go on"
    );
    let revoked = store.device_by_id(device.id).await.unwrap().unwrap();
    assert_eq!(revoked.revoked_at, Some(T0 + 9));
}
