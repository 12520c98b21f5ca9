//! Instance identity, migrations and setup tokens.

use custos_store::{InstanceStore, SetupTokenHash, Store, UnixTime};
use custos_testkit::TestDatabase;

const T0: UnixTime = UnixTime(1_800_000_000);

fn token(byte: u8) -> SetupTokenHash {
    SetupTokenHash([byte; 32])
}

async fn instance_is_created_once_and_survives_reopening(db: TestDatabase) {
    let store = db.open().await;
    store.ping().await.unwrap();
    let first = store.instance(T0).await.unwrap();
    assert_eq!(first.created_at, T0);
    assert_eq!(first.setup_completed_at, None);
    let again = store.instance(UnixTime(T0.0 + 50)).await.unwrap();
    assert_eq!(again, first, "a later call must not re-create the instance");
    store.close().await;

    // Reopening runs the migrations again, which must be a no-op, and keeps the data.
    let reopened = db.open().await;
    assert_eq!(
        reopened.instance(UnixTime(T0.0 + 100)).await.unwrap(),
        first
    );
    reopened.close().await;
    db.cleanup().await;
}

async fn setup_token_is_used_once(db: TestDatabase) {
    let store = db.open().await;
    store.instance(T0).await.unwrap();
    store
        .replace_setup_token(&token(1), T0, UnixTime(T0.0 + 3600))
        .await
        .unwrap();
    assert!(
        !store
            .consume_setup_token(&token(2), UnixTime(T0.0 + 1))
            .await
            .unwrap()
    );
    assert!(
        store
            .consume_setup_token(&token(1), UnixTime(T0.0 + 1))
            .await
            .unwrap()
    );
    assert!(
        !store
            .consume_setup_token(&token(1), UnixTime(T0.0 + 2))
            .await
            .unwrap(),
        "a setup token works only once"
    );
    finish(store, db).await;
}

async fn setup_token_expires(db: TestDatabase) {
    let store = db.open().await;
    store
        .replace_setup_token(&token(1), T0, UnixTime(T0.0 + 3600))
        .await
        .unwrap();
    assert!(
        !store
            .consume_setup_token(&token(1), UnixTime(T0.0 + 3600))
            .await
            .unwrap()
    );
    finish(store, db).await;
}

async fn a_new_setup_token_retires_the_old_one(db: TestDatabase) {
    let store = db.open().await;
    store
        .replace_setup_token(&token(1), T0, UnixTime(T0.0 + 3600))
        .await
        .unwrap();
    store
        .replace_setup_token(&token(2), UnixTime(T0.0 + 10), UnixTime(T0.0 + 3600))
        .await
        .unwrap();
    assert!(
        !store
            .consume_setup_token(&token(1), UnixTime(T0.0 + 20))
            .await
            .unwrap()
    );
    assert!(
        store
            .consume_setup_token(&token(2), UnixTime(T0.0 + 20))
            .await
            .unwrap()
    );
    finish(store, db).await;
}

async fn completing_setup_retires_pending_tokens(db: TestDatabase) {
    let store = db.open().await;
    store.instance(T0).await.unwrap();
    store
        .replace_setup_token(&token(3), T0, UnixTime(T0.0 + 3600))
        .await
        .unwrap();
    store.mark_setup_complete(UnixTime(T0.0 + 5)).await.unwrap();
    let info = store.instance(UnixTime(T0.0 + 6)).await.unwrap();
    assert_eq!(info.setup_completed_at, Some(UnixTime(T0.0 + 5)));
    assert!(
        !store
            .consume_setup_token(&token(3), UnixTime(T0.0 + 6))
            .await
            .unwrap()
    );
    // Completing twice keeps the first time.
    store.mark_setup_complete(UnixTime(T0.0 + 9)).await.unwrap();
    let info = store.instance(UnixTime(T0.0 + 10)).await.unwrap();
    assert_eq!(info.setup_completed_at, Some(UnixTime(T0.0 + 5)));
    finish(store, db).await;
}

async fn concurrent_first_calls_agree_on_one_instance(db: TestDatabase) {
    let store = db.open().await;
    let calls = (0..8).map(|i| {
        let store = store.clone();
        tokio::spawn(async move { store.instance(UnixTime(T0.0 + i)).await.unwrap() })
    });
    let mut ids = Vec::new();
    for call in calls {
        ids.push(call.await.unwrap().instance_id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "every caller sees the same instance");
    finish(store, db).await;
}

async fn finish(store: Store, db: TestDatabase) {
    store.close().await;
    db.cleanup().await;
}

custos_testkit::test_on_both_stores!(
    instance_is_created_once_and_survives_reopening,
    setup_token_is_used_once,
    setup_token_expires,
    a_new_setup_token_retires_the_old_one,
    completing_setup_retires_pending_tokens,
    concurrent_first_calls_agree_on_one_instance,
);
