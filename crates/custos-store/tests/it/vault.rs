//! The vault's storage: keys, customers with sealed fields, blind indexes, card
//! tokens, crypto-shredding, rewrapping and interactions.

use custos_store::{
    AccountStore, CardTokenRecord, CustomerRecord, InteractionRecord, InteractionScope, KekRecord,
    NewCustomer, StoreError, SystemKeyRecord, UserRecord, VaultStore,
};
use custos_testkit::TestDatabase;
use uuid::Uuid;

const T0: i64 = 1_800_000_000;

fn kek(version: u32) -> KekRecord {
    KekRecord {
        version,
        wrapped: vec![version as u8; 60],
        created_at: T0,
    }
}

fn new_customer(kek_version: u32) -> NewCustomer {
    let id = Uuid::new_v4();
    NewCustomer {
        customer: CustomerRecord {
            id,
            created_at: T0,
            created_by: "integration-1".into(),
            kek_version: Some(kek_version),
            data_key_version: 1,
            data_key_wrapped: Some(vec![9; 60]),
            deleted_at: None,
            deleted_by: None,
        },
        fields: vec![("email".into(), vec![1; 40]), ("phone".into(), vec![2; 36])],
        index: vec![("phone".into(), vec![7; 16])],
        cards: vec![CardTokenRecord {
            token: format!("tok_{}", id.simple()),
            customer_id: id,
            brand: "visa".into(),
            bin: "411111".into(),
            last4: "1111".into(),
            expiry_sealed: vec![3; 33],
            pan_sealed: vec![4; 80],
            vault_key_version: 1,
            created_at: T0,
        }],
    }
}

async fn keys_are_versioned_and_added_once(db: TestDatabase) {
    let store = db.open().await;
    assert!(store.vault_keks().await.unwrap().is_empty());
    assert!(store.add_vault_kek(&kek(1)).await.unwrap());
    assert!(
        !store.add_vault_kek(&kek(1)).await.unwrap(),
        "a second node"
    );
    assert!(store.add_vault_kek(&kek(2)).await.unwrap());
    assert_eq!(store.vault_keks().await.unwrap(), vec![kek(1), kek(2)]);
    let index = SystemKeyRecord {
        purpose: "blind_index".into(),
        version: 1,
        wrapped: vec![5; 60],
    };
    assert!(store.add_vault_system_key(&index, T0).await.unwrap());
    assert!(!store.add_vault_system_key(&index, T0).await.unwrap());
    assert_eq!(store.vault_system_keys().await.unwrap(), vec![index]);
    store.close().await;
    db.cleanup().await;
}

async fn customers_are_stored_found_and_shredded(db: TestDatabase) {
    let store = db.open().await;
    store.add_vault_kek(&kek(1)).await.unwrap();
    let new = new_customer(1);
    let id = new.customer.id;
    store.create_customer(&new).await.unwrap();
    store.create_customer(&new_customer(1)).await.unwrap();
    let stored = store.customer(id).await.unwrap().unwrap();
    assert_eq!(stored.customer, new.customer);
    assert_eq!(stored.fields, new.fields);
    assert_eq!(stored.cards, new.cards);
    assert_eq!(
        store
            .customers_by_index("phone", &[7; 16])
            .await
            .unwrap()
            .len(),
        2
    );
    assert!(
        store
            .customers_by_index("email", &[7; 16])
            .await
            .unwrap()
            .is_empty()
    );
    let token = &new.cards[0].token;
    assert_eq!(
        store.card_token(token).await.unwrap(),
        Some(new.cards[0].clone())
    );
    assert!(store.customer(Uuid::new_v4()).await.unwrap().is_none());

    // An unknown KEK version is refused by the database itself.
    assert!(store.create_customer(&new_customer(9)).await.is_err());

    assert!(store.delete_customer(id, T0 + 5, "admin-1").await.unwrap());
    assert!(!store.delete_customer(id, T0 + 6, "admin-1").await.unwrap());
    let tombstone = store.customer(id).await.unwrap().unwrap();
    assert_eq!(tombstone.customer.data_key_wrapped, None);
    assert_eq!(tombstone.customer.kek_version, None);
    assert_eq!(tombstone.customer.deleted_at, Some(T0 + 5));
    assert_eq!(tombstone.customer.deleted_by.as_deref(), Some("admin-1"));
    assert!(tombstone.fields.is_empty() && tombstone.cards.is_empty());
    assert_eq!(store.card_token(token).await.unwrap(), None);
    assert_eq!(
        store
            .customers_by_index("phone", &[7; 16])
            .await
            .unwrap()
            .len(),
        1
    );
    store.close().await;
    db.cleanup().await;
}

async fn data_keys_are_rewrapped_and_old_keks_destroyed(db: TestDatabase) {
    let store = db.open().await;
    store.add_vault_kek(&kek(1)).await.unwrap();
    let mut ids = Vec::new();
    for _ in 0..5 {
        let c = new_customer(1);
        ids.push(c.customer.id);
        store.create_customer(&c).await.unwrap();
    }
    store.add_vault_kek(&kek(2)).await.unwrap();
    assert_eq!(store.kek_usage().await.unwrap(), vec![(1, 5)]);
    assert!(
        store.destroy_unused_keks(2).await.unwrap().is_empty(),
        "still in use"
    );
    let batch = store.data_keys_to_rewrap(2, 3).await.unwrap();
    assert_eq!(batch.len(), 3);
    for key in &batch {
        assert!(
            store
                .rewrap_data_key(key.customer_id, 1, 2, &[8; 60])
                .await
                .unwrap()
        );
        assert!(
            !store
                .rewrap_data_key(key.customer_id, 1, 2, &[8; 60])
                .await
                .unwrap(),
            "compare-and-set"
        );
    }
    assert_eq!(store.kek_usage().await.unwrap(), vec![(1, 2), (2, 3)]);
    for key in store.data_keys_to_rewrap(2, 100).await.unwrap() {
        store
            .rewrap_data_key(key.customer_id, 1, 2, &[8; 60])
            .await
            .unwrap();
    }
    assert!(store.data_keys_to_rewrap(2, 100).await.unwrap().is_empty());
    assert_eq!(store.destroy_unused_keks(2).await.unwrap(), vec![1]);
    assert_eq!(store.vault_keks().await.unwrap(), vec![kek(2)]);
    let rewrapped = store.customer(ids[0]).await.unwrap().unwrap().customer;
    assert_eq!(rewrapped.kek_version, Some(2));
    assert_eq!(rewrapped.data_key_wrapped, Some(vec![8; 60]));
    store.close().await;
    db.cleanup().await;
}

/// A customer, an agent and an open interaction between them, stored.
pub(crate) async fn interaction_fixture(store: &custos_store::Store) -> InteractionRecord {
    store.add_vault_kek(&kek(1)).await.unwrap();
    let customer = new_customer(1);
    store.create_customer(&customer).await.unwrap();
    let agent = UserRecord {
        id: Uuid::new_v4(),
        username: "agent1".into(),
        role: "agent".into(),
        team: Some("billing".into()),
        supervisor_id: None,
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        password_changed_at: T0,
        totp_sealed: None,
        totp_last_step: None,
        failed_attempts: 0,
        locked_until: None,
        disabled_at: None,
        created_at: T0,
        last_sign_in_at: None,
    };
    store.create_user(&agent).await.unwrap();
    let interaction = InteractionRecord {
        id: Uuid::new_v4(),
        customer_id: customer.customer.id,
        channel: "voice".into(),
        agent_id: agent.id,
        agent_team: Some("billing".into()),
        opened_by: "integration-1".into(),
        opened_at: T0,
        closed_at: None,
        closed_by: None,
        verified_at: None,
        verified_method: None,
        verification_failures: 0,
        last_activity_at: T0,
    };
    store.create_interaction(&interaction).await.unwrap();
    interaction
}

async fn interactions_open_and_close_once(db: TestDatabase) {
    let store = db.open().await;
    let interaction = interaction_fixture(&store).await;
    let customer = interaction.customer_id;
    assert_eq!(
        store.interaction(interaction.id).await.unwrap(),
        Some(interaction.clone())
    );
    let with = store.customer(customer).await.unwrap().unwrap();
    assert_eq!(with.open_interactions, vec![interaction.clone()]);
    assert_eq!(with.fields.len(), 2, "each field once");
    assert_eq!(with.cards.len(), 1);
    assert_eq!(
        store.open_interactions(customer).await.unwrap(),
        vec![interaction.clone()]
    );
    let listed = |scope: InteractionScope| {
        let store = &store;
        async move { store.open_interactions_in(&scope, 10).await.unwrap() }
    };
    assert_eq!(
        listed(InteractionScope::All).await,
        vec![interaction.clone()]
    );
    assert_eq!(
        listed(InteractionScope::Agent(interaction.agent_id)).await,
        vec![interaction.clone()]
    );
    assert!(
        listed(InteractionScope::Agent(Uuid::new_v4()))
            .await
            .is_empty()
    );
    assert_eq!(
        listed(InteractionScope::Team("billing".into())).await,
        vec![interaction.clone()]
    );
    assert!(
        listed(InteractionScope::Team("sales".into()))
            .await
            .is_empty()
    );
    assert!(
        store
            .open_interactions_in(&InteractionScope::All, 0)
            .await
            .unwrap()
            .is_empty()
    );
    // Reassigned to nobody known: refused by the foreign key, nothing changes.
    assert!(
        store
            .reassign_interaction(interaction.id, Uuid::new_v4(), Some("sales"), T0 + 5)
            .await
            .is_err()
    );
    assert!(
        store
            .reassign_interaction(interaction.id, interaction.agent_id, Some("sales"), T0 + 5)
            .await
            .unwrap()
    );
    let moved = store.interaction(interaction.id).await.unwrap().unwrap();
    assert_eq!(moved.agent_team.as_deref(), Some("sales"));
    assert_eq!(moved.last_activity_at, T0 + 5);
    assert!(
        store
            .reassign_interaction(
                interaction.id,
                interaction.agent_id,
                Some("billing"),
                T0 + 6
            )
            .await
            .unwrap()
    );
    assert!(
        store
            .close_interaction(interaction.id, T0 + 60, "agent1")
            .await
            .unwrap()
    );
    assert!(
        !store
            .close_interaction(interaction.id, T0 + 61, "agent1")
            .await
            .unwrap()
    );
    assert!(store.open_interactions(customer).await.unwrap().is_empty());
    assert!(listed(InteractionScope::All).await.is_empty());
    assert!(
        !store
            .reassign_interaction(interaction.id, interaction.agent_id, None, T0 + 62)
            .await
            .unwrap(),
        "a closed interaction stays with its agent"
    );
    let closed = store.interaction(interaction.id).await.unwrap().unwrap();
    assert_eq!(closed.closed_at, Some(T0 + 60));
    // An interaction for nobody known is refused.
    let orphan = InteractionRecord {
        id: Uuid::new_v4(),
        agent_id: Uuid::new_v4(),
        ..interaction
    };
    assert!(matches!(
        store.create_interaction(&orphan).await,
        Err(StoreError::Query { .. })
    ));
    store.close().await;
    db.cleanup().await;
}

/// A customer is read with each of their records once and in order: every field,
/// every card (oldest first) and every open interaction, but no closed one.
async fn a_customer_is_read_with_every_card_and_open_interaction(db: TestDatabase) {
    let store = db.open().await;
    let fixture = interaction_fixture(&store).await;
    let mut new = new_customer(1);
    let id = new.customer.id;
    let older = CardTokenRecord {
        token: format!("tok_older_{}", id.simple()),
        last4: "4242".into(),
        created_at: T0 - 1,
        ..new.cards[0].clone()
    };
    new.cards.push(older.clone());
    store.create_customer(&new).await.unwrap();
    let mut opened = Vec::new();
    for (n, channel) in ["chat", "voice", "email"].into_iter().enumerate() {
        let interaction = InteractionRecord {
            id: Uuid::new_v4(),
            customer_id: id,
            channel: channel.into(),
            opened_at: T0 + 10 - n as i64,
            ..fixture.clone()
        };
        store.create_interaction(&interaction).await.unwrap();
        opened.push(interaction);
    }
    assert!(
        store
            .close_interaction(opened[1].id, T0 + 20, "agent1")
            .await
            .unwrap()
    );
    let read = store.customer(id).await.unwrap().unwrap();
    assert_eq!(read.customer, new.customer);
    assert_eq!(read.fields, new.fields);
    assert_eq!(read.cards, vec![older, new.cards[0].clone()]);
    assert_eq!(
        read.open_interactions,
        vec![opened[2].clone(), opened[0].clone()]
    );
    store.close().await;
    db.cleanup().await;
}

custos_testkit::test_on_both_stores!(
    keys_are_versioned_and_added_once,
    customers_are_stored_found_and_shredded,
    data_keys_are_rewrapped_and_old_keks_destroyed,
    interactions_open_and_close_once,
    a_customer_is_read_with_every_card_and_open_interaction,
);
