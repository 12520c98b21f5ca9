//! `custos keys rotate` and `custos keys status` against real stores: a rotation
//! paused half-way is resumed by running it again, and every data key stays
//! readable throughout.

use std::process::Output;
use std::sync::Arc;

use custos_audit::Actor;
use custos_server::vault::NewCustomerValues;
use custos_server::vault::fields::{Field, parse_value};
use custos_server::vault::keyring::Keyring;
use custos_store::{AuditStore as _, VaultStore as _};
use custos_testkit::{Installation, TestDatabase, TestServer};
use serde_json::Value;

use crate::custos;

const CUSTOMERS: usize = 40;

async fn installation(db: TestDatabase) -> Installation {
    let server = TestServer::start_on(db, &[]).await;
    let vault = server.server().state().vault();
    for n in 0..CUSTOMERS {
        let values = NewCustomerValues {
            values: vec![parse_value(Field::Email, &format!("p{n}@example.com")).unwrap()],
            card: None,
        };
        vault
            .create_customer(Actor::system(), values)
            .await
            .unwrap();
    }
    server.stop_keeping_installation().await
}

fn keys(installation: &Installation, args: &[&str]) -> Value {
    let Output {
        status,
        stdout,
        stderr,
    } = custos()
        .arg("keys")
        .args(args)
        .args(installation.cli_args())
        .output()
        .unwrap();
    assert_eq!(
        status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&stderr)
    );
    serde_json::from_slice(&stdout).unwrap()
}

/// Every data key opens with the KEK it names, through the installation's root key.
async fn every_data_key_opens(installation: &Installation) -> Vec<(u32, u64)> {
    let store = installation.database.open().await;
    let dir = custos_server::datadir::DataDir::at(installation.data_dir.path());
    let keys =
        custos_server::keys::load_existing(&dir, custos_server::config::RootSource::File).unwrap();
    let root = custos_crypto::LocalRootKey::from_bytes("file", keys.root.expose()).unwrap();
    let keyring = Keyring::load_or_init(&store, Arc::new(root), 0)
        .await
        .unwrap();
    let mut opened = 0;
    let mut customers = Vec::new();
    for entry in store.audit_entries(0, 10_000).await.unwrap() {
        let payload = String::from_utf8_lossy(&entry.payload).into_owned();
        if payload.contains("customer.create") {
            let event: Value = serde_json::from_str(&payload).unwrap();
            let id = event["target"]["id"].as_str().unwrap().to_owned();
            customers.push(uuid::Uuid::parse_str(&id).unwrap());
        }
    }
    assert_eq!(customers.len(), CUSTOMERS);
    for id in customers {
        let stored = store.customer(id).await.unwrap().unwrap().customer;
        let kek = keyring
            .kek(&store, stored.kek_version.unwrap())
            .await
            .unwrap();
        let opens = kek.unwrap_data_key(
            stored.data_key_wrapped.as_deref().unwrap(),
            id.as_bytes(),
            1,
        );
        assert!(opens.is_ok(), "customer {id}");
        opened += 1;
    }
    assert_eq!(opened, CUSTOMERS);
    let usage = store.kek_usage().await.unwrap();
    store.close().await;
    usage
}

async fn a_paused_rotation_resumes_and_finishes(db: TestDatabase) {
    let installation = installation(db).await;
    let status = keys(&installation, &["status", "--json"]);
    assert_eq!(status["root_source"], "file");
    assert_eq!(status["keks"][0]["version"], 1);
    assert_eq!(status["keks"][0]["data_keys"], CUSTOMERS);

    let paused = keys(
        &installation,
        &["rotate", "--json", "--batch", "10", "--stop-after", "20"],
    );
    assert_eq!(paused["complete"], false);
    assert_eq!(paused["version"], 2);
    assert_eq!(paused["rewrapped"], 20);
    assert_eq!(
        every_data_key_opens(&installation).await,
        vec![(1, 20), (2, 20)]
    );

    let resumed = keys(&installation, &["rotate", "--json", "--batch", "10"]);
    assert_eq!(resumed["complete"], true);
    assert_eq!(resumed["resumed"], true);
    assert_eq!(resumed["rewrapped"], 20);
    assert_eq!(resumed["destroyed_versions"], serde_json::json!([1]));
    assert_eq!(
        every_data_key_opens(&installation).await,
        vec![(2, CUSTOMERS as u64)]
    );

    // The next run is a new rotation.
    let again = keys(&installation, &["rotate", "--json"]);
    assert_eq!(
        (again["version"].as_u64(), again["resumed"].as_bool()),
        (Some(3), Some(false))
    );
    let status = keys(&installation, &["status", "--json"]);
    assert_eq!(status["keks"].as_array().unwrap().len(), 1);
    assert_eq!(status["keks"][0]["version"], 3);

    // Each run is in the trail.
    let store = installation.database.open().await;
    let rotations = store
        .audit_entries(0, 10_000)
        .await
        .unwrap()
        .iter()
        .filter(|e| String::from_utf8_lossy(&e.payload).contains("key.rotate"))
        .count();
    assert_eq!(rotations, 3);
    store.close().await;
    installation.cleanup().await;
}

custos_testkit::test_on_both_stores!(a_paused_rotation_resumes_and_finishes);
