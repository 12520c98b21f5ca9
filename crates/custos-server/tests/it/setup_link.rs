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

mod redeem {
    use custos_testkit::{TestDatabase, TestServer};
    use secrecy::ExposeSecret as _;
    use serde_json::{Value, json};

    use crate::auth::{PASSWORD, post, sign_in};

    async fn the_link_creates_the_first_admin_once(db: TestDatabase) {
        let server = TestServer::start_on(db, &[]).await;
        let url = server
            .report()
            .setup_url
            .as_ref()
            .unwrap()
            .expose_secret()
            .to_owned();
        let token = super::token_of(&url);

        let weak = post(
            &server,
            "/api/v1/setup",
            json!({ "token": token, "username": "root.admin", "password": "password1234" }),
        )
        .await;
        assert_eq!(
            weak.status(),
            422,
            "a weak password is refused before the link is spent"
        );

        let made = post(
            &server,
            "/api/v1/setup",
            json!({ "token": token, "username": "root.admin", "password": PASSWORD }),
        )
        .await;
        assert_eq!(made.status(), 200);
        let made: Value = made.json().await.unwrap();
        assert_eq!(made["role"], "admin");
        assert!(made["totp_qr_svg"].as_str().unwrap().contains("<svg"));
        let secret = crate::auth::totp_secret_of(made["totp_uri"].as_str().unwrap());
        let session = sign_in(&server, "root.admin", &secret).await;
        let me: Value = crate::auth::get_as(&server, "/api/v1/me", &session)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(me["role"], "admin");

        let again = post(
            &server,
            "/api/v1/setup",
            json!({ "token": token, "username": "second.admin", "password": PASSWORD }),
        )
        .await;
        assert_eq!(again.status(), 401, "the link works once");
        let db = server.stop_keeping_database().await;
        let restarted = TestServer::start_on(db, &[]).await;
        assert!(
            restarted.report().setup_url.is_none(),
            "setup is closed once an admin exists"
        );
        restarted.stop().await;
    }

    custos_testkit::test_on_both_stores!(the_link_creates_the_first_admin_once);
}
