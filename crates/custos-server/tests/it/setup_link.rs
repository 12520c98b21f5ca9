//! The first administrator's one-time setup link.

use custos_server::clock::Clock as _;
use custos_server::setup::hash_setup_token;
use custos_store::InstanceStore;
use custos_testkit::{TestDatabase, TestServer};
use secrecy::ExposeSecret as _;

fn token_of(url: &str) -> String {
    url.split_once("#token=").unwrap().1.to_owned()
}

async fn a_setup_link_is_issued_and_works_once(db: TestDatabase) {
    let server = TestServer::start_on(db, &[]).await;
    let url = server
        .report()
        .setup_url
        .as_ref()
        .unwrap()
        .expose_secret()
        .to_owned();
    assert!(url.starts_with(&server.url("/setup#token=")), "{url}");
    let token = token_of(&url);
    assert!(token.len() >= 43, "256-bit token");

    let store = server.server().state().store();
    let now = server.clock().unix_now();
    assert!(
        store
            .consume_setup_token(&hash_setup_token(&token), now)
            .await
            .unwrap()
    );
    assert!(
        !store
            .consume_setup_token(&hash_setup_token(&token), now)
            .await
            .unwrap()
    );
    server.stop().await;
}

async fn a_setup_link_expires_after_a_day(db: TestDatabase) {
    let server = TestServer::start_on(db, &[]).await;
    let token = token_of(server.report().setup_url.as_ref().unwrap().expose_secret());
    server.clock().advance(time::Duration::hours(24));
    let store = server.server().state().store();
    let later = server.clock().unix_now();
    assert!(
        !store
            .consume_setup_token(&hash_setup_token(&token), later)
            .await
            .unwrap()
    );
    server.stop().await;
}

async fn no_link_once_setup_is_complete(db: TestDatabase) {
    let server = TestServer::start_on(db, &[]).await;
    let store = server.server().state().store();
    store
        .mark_setup_complete(server.clock().unix_now())
        .await
        .unwrap();
    let db = server.stop_keeping_database().await;

    let again = TestServer::start_on(db, &[]).await;
    assert!(
        again.report().setup_url.is_none(),
        "setup is complete: no new link"
    );
    again.stop().await;
}

custos_testkit::test_on_both_stores!(
    a_setup_link_is_issued_and_works_once,
    a_setup_link_expires_after_a_day,
    no_link_once_setup_is_complete,
);
