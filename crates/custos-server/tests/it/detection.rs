//! Detection and response through the real server: wrong passwords lock the account
//! and raise an alert; an agent opening far more customers than their peers is
//! signed out; refusals notify a signed webhook; alerts move through their
//! lifecycle with a timeline; admins change rules, validated and audited.

use custos_auth::role::Role;
use custos_testkit::{TestDatabase, TestServer, WebhookReceiver};
use serde_json::{Value, json};

use crate::auth::{PASSWORD, create_person, get_as, login, sign_in};
use crate::vault::{create_customer, open_interaction, post_as, send, service_token};

/// Runs the detection loop over everything committed so far. The server's own task
/// does the same on every commit; this waits for a round it may be in the middle of
/// (they take turns on the cursor), so afterwards every finding has been answered.
async fn detect(server: &TestServer) -> usize {
    custos_server::detect::catch_up(server.server().state())
        .await
        .unwrap()
}

/// The request carries `Custos-Signature: t=…,v1=…` computed with `secret` (and no other).
pub fn assert_signed(request: &custos_testkit::ReceivedRequest, secret: &str) {
    let signature = &request.headers["custos-signature"];
    let t: i64 = signature
        .split(',')
        .find_map(|p| p.strip_prefix("t="))
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        signature,
        &custos_server::notify::signature(secret.as_bytes(), t, &request.body),
        "signed with the configured secret"
    );
    assert_ne!(
        signature,
        &custos_server::notify::signature(b"another-secret-0123456789abcdefghij", t, &request.body)
    );
}

async fn alerts(server: &TestServer, token: &str) -> Vec<Value> {
    let list: Value = get_as(server, "/api/v1/alerts", token)
        .await
        .json()
        .await
        .unwrap();
    list["alerts"].as_array().unwrap().clone()
}

async fn eleven_wrong_passwords_lock_the_account_and_raise_an_alert(db: TestDatabase) {
    let server = TestServer::start_on(db, &[]).await;
    create_person(&server, "lena", Role::Agent).await;
    let olga = create_person(&server, "olga", Role::SecurityOfficer).await;
    for _ in 0..11 {
        server.clock().advance(time::Duration::seconds(3));
        let refused = login(&server, "lena", "wrong-password-but-long-1").await;
        assert!(matches!(refused.status().as_u16(), 401 | 423));
    }
    detect(&server).await;
    let olga_token = sign_in(&server, "olga", &olga).await;
    let found = alerts(&server, &olga_token).await;
    let alert = found
        .iter()
        .find(|a| a["rule"] == "brute-force-account")
        .expect("an alert for the guessing");
    assert_eq!(alert["actor"], "lena");
    assert_eq!(alert["status"], "open");
    assert!(alert["events"].as_array().unwrap().len() >= 10);
    let responses = alert["responses"].as_array().unwrap();
    assert!(
        responses
            .iter()
            .any(|r| r["response"] == "lock_account" && r["outcome"] == "success"),
        "{responses:?}"
    );
    // Locked: even the right password does not open it.
    assert_eq!(login(&server, "lena", PASSWORD).await.status(), 423);

    // The incident view: the alert with the actor's events around it.
    let id = alert["id"].as_str().unwrap();
    let detail: Value = get_as(&server, &format!("/api/v1/alerts/{id}"), &olga_token)
        .await
        .json()
        .await
        .unwrap();
    let timeline = detail["timeline"].as_array().unwrap();
    assert!(timeline.len() >= 10, "{timeline:?}");
    // Acknowledge with a note (a card number typed into it is redacted), then resolve.
    let acked = post_as(
        &server,
        &format!("/api/v1/alerts/{id}/acknowledge"),
        &olga_token,
        json!({ "note": "calling lena; she pasted 4111 1111 1111 1111 somewhere" }),
    )
    .await;
    assert_eq!(acked.status(), 200);
    assert_eq!(
        acked.json::<Value>().await.unwrap()["status"],
        "acknowledged"
    );
    let resolved = post_as(
        &server,
        &format!("/api/v1/alerts/{id}/resolve"),
        &olga_token,
        json!({}),
    )
    .await;
    assert_eq!(
        resolved.json::<Value>().await.unwrap()["status"],
        "resolved"
    );
    let detail: Value = get_as(&server, &format!("/api/v1/alerts/{id}"), &olga_token)
        .await
        .json()
        .await
        .unwrap();
    let note = detail["notes"][0]["text"].as_str().unwrap();
    assert!(
        note.starts_with("calling lena") && !note.contains("4111"),
        "{note}"
    );
    // Agents see no alerts.
    let agent = create_person(&server, "amy", Role::Agent).await;
    let agent_token = sign_in(&server, "amy", &agent).await;
    assert_eq!(
        get_as(&server, "/api/v1/alerts", &agent_token)
            .await
            .status(),
        403
    );
    server.stop().await;
}

async fn an_agent_opening_far_more_customers_than_peers_is_signed_out(db: TestDatabase) {
    let server = TestServer::start_on(db, &[]).await;
    let integration = service_token(&server, Role::Integration).await;
    let mut peers = Vec::new();
    for name in ["pia", "pat", "pax"] {
        let secret = create_person(&server, name, Role::Agent).await;
        peers.push((name, sign_in(&server, name, &secret).await));
    }
    let mallory = create_person(&server, "mallory", Role::Agent).await;
    let mallory_token = sign_in(&server, "mallory", &mallory).await;
    let customer = json!({ "name": "Casey Customer", "phone": "+1 555 010 7788" });
    for (name, token) in &peers {
        for _ in 0..5 {
            let (id, _) = create_customer(&server, &integration, customer.clone()).await;
            open_interaction(&server, &integration, &id, name).await;
            assert_eq!(
                get_as(&server, &format!("/api/v1/customers/{id}"), token)
                    .await
                    .status(),
                200
            );
        }
    }
    for _ in 0..60 {
        let (id, _) = create_customer(&server, &integration, customer.clone()).await;
        open_interaction(&server, &integration, &id, "mallory").await;
        server.clock().advance(time::Duration::seconds(2));
        let read = get_as(&server, &format!("/api/v1/customers/{id}"), &mallory_token).await;
        assert!(matches!(read.status().as_u16(), 200 | 401));
    }
    detect(&server).await;
    assert_eq!(
        get_as(&server, "/api/v1/me", &mallory_token).await.status(),
        401,
        "the forced sign-out ended the session"
    );
    for (_, token) in &peers {
        assert_eq!(
            get_as(&server, "/api/v1/me", token).await.status(),
            200,
            "peers keep working"
        );
    }
    let olga = create_person(&server, "olga", Role::SecurityOfficer).await;
    let olga_token = sign_in(&server, "olga", &olga).await;
    let found = alerts(&server, &olga_token).await;
    let alert = found
        .iter()
        .find(|a| a["rule"] == "customer-reads-above-peers")
        .expect("an alert for the browsing");
    assert_eq!(alert["actor"], "mallory");
    assert!(
        alert["responses"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["response"] == "end_sessions" && r["outcome"] == "success")
    );
    server.stop().await;
}

async fn refusals_notify_a_signed_webhook(db: TestDatabase) {
    let mut hook = WebhookReceiver::start(204).await;
    let url = hook.url();
    let secret = "alert-signing-secret-0123456789abcdef";
    let server = TestServer::start_on(
        db,
        &[
            ("CUSTOS_NOTIFY__ALERT_WEBHOOK_URL", &url),
            ("CUSTOS_NOTIFY__WEBHOOK_SECRET", secret),
        ],
    )
    .await;
    let integration = service_token(&server, Role::Integration).await;
    let (customer, _) = create_customer(&server, &integration, json!({ "name": "Nadia N" })).await;
    let bob = create_person(&server, "bob", Role::Agent).await;
    let bob_token = sign_in(&server, "bob", &bob).await;
    for _ in 0..3 {
        let refused = get_as(
            &server,
            &format!("/api/v1/customers/{customer}"),
            &bob_token,
        )
        .await;
        assert_eq!(refused.status(), 403);
    }
    detect(&server).await;
    let request = hook.next().await;
    assert_eq!(request.headers["custos-event"], "detection.alert");
    assert_signed(&request, secret);
    let body: Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body["rule"], "access-without-interaction");
    assert_eq!(body["actor"], "bob");
    assert!(!String::from_utf8_lossy(&request.body).contains("Nadia"));
    server.stop().await;
}

async fn admins_change_rules_validated_and_audited(db: TestDatabase) {
    let server = TestServer::start_on(db, &[]).await;
    let ada = create_person(&server, "ada", Role::Admin).await;
    let ada_token = sign_in(&server, "ada", &ada).await;
    let rules: Value = get_as(&server, "/api/v1/detection/rules", &ada_token)
        .await
        .json()
        .await
        .unwrap();
    assert!(rules["rules"].as_array().unwrap().len() >= 16);
    let disable = send(
        &server,
        reqwest::Method::PUT,
        "/api/v1/detection/rules/brute-force-account",
        &ada_token,
        Some(json!({ "enabled": false })),
    )
    .await;
    assert_eq!(disable.status(), 200);
    assert_eq!(disable.json::<Value>().await.unwrap()["enabled"], false);
    let bad = post_as(
        &server,
        "/api/v1/detection/rules",
        &ada_token,
        json!({ "definition": "id = \"x\"\ntitle = \"t\"\ndescription = \"d\"\nseverity = \"loud\"\n[match]\naction = \"auth.password\"\n[correlate]\nkind = \"none\"\n" }),
    )
    .await;
    assert_eq!(bad.status(), 422);
    assert!(bad.text().await.unwrap().contains("severity"));
    let added = post_as(
        &server,
        "/api/v1/detection/rules",
        &ada_token,
        json!({ "definition": "id = \"any-reveal\"\ntitle = \"Any reveal\"\ndescription = \"Every reveal, for a trial.\"\nseverity = \"low\"\nresponses = [\"alert\"]\n[match]\naction = \"customer.reveal\"\n[correlate]\nkind = \"none\"\n" }),
    )
    .await;
    assert_eq!(added.status(), 201);
    // The change survives a restart (stored), and the disabled rule stays off.
    let database = server.stop_keeping_database().await;
    let server = TestServer::start_on(database, &[]).await;
    server.clock().advance(time::Duration::seconds(31));
    let ada_token = sign_in(&server, "ada", &ada).await;
    let rules: Value = get_as(&server, "/api/v1/detection/rules", &ada_token)
        .await
        .json()
        .await
        .unwrap();
    let by_id = |id: &str| {
        rules["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .cloned()
            .unwrap()
    };
    assert_eq!(by_id("brute-force-account")["enabled"], false);
    assert_eq!(by_id("any-reveal")["severity"], "low");
    // An officer may read but not change them; admins need a fresh second factor.
    let olga = create_person(&server, "olga", Role::SecurityOfficer).await;
    let olga_token = sign_in(&server, "olga", &olga).await;
    let put = |token: String| {
        let server = &server;
        async move {
            send(
                server,
                reqwest::Method::PUT,
                "/api/v1/detection/rules/any-reveal",
                &token,
                Some(json!({ "enabled": false })),
            )
            .await
            .status()
        }
    };
    assert_eq!(put(olga_token).await, 403);
    assert_eq!(put(ada_token.clone()).await, 200);
    // Sixteen minutes on, the session is alive (used at ten) but its factor is stale.
    server.clock().advance(time::Duration::minutes(10));
    assert_eq!(
        get_as(&server, "/api/v1/me", &ada_token).await.status(),
        200
    );
    server.clock().advance(time::Duration::minutes(6));
    assert_eq!(put(ada_token).await, 403, "no fresh second factor");
    server.stop().await;
}

async fn customer_data_used_outside_the_shift_is_flagged(db: TestDatabase) {
    // 2026-11-23 03:10 UTC.
    let night = time::OffsetDateTime::from_unix_timestamp(1_795_403_400).unwrap();
    let server = TestServer::start_on_at(db, &[], night).await;
    let integration = service_token(&server, Role::Integration).await;
    let olga = create_person(&server, "olga", Role::SecurityOfficer).await;
    let olga_token = sign_in(&server, "olga", &olga).await;
    let mut readers = Vec::new();
    for name in ["amy", "bob"] {
        let secret = create_person(&server, name, Role::Agent).await;
        readers.push((name, sign_in(&server, name, &secret).await));
    }
    // Amy works days; Bob has no shift on record.
    let set = send(
        &server,
        reqwest::Method::PUT,
        "/api/v1/users/amy/shift",
        &olga_token,
        Some(json!({ "shift": { "start": "08:00", "end": "17:00" } })),
    )
    .await;
    assert_eq!(set.status(), 204);
    let bad = send(
        &server,
        reqwest::Method::PUT,
        "/api/v1/users/bob/shift",
        &olga_token,
        Some(json!({ "shift": { "start": "8am", "end": "17:00" } })),
    )
    .await;
    assert_eq!(bad.status(), 422);
    for (name, token) in &readers {
        let (id, _) =
            create_customer(&server, &integration, json!({ "name": "Night Caller" })).await;
        open_interaction(&server, &integration, &id, name).await;
        assert_eq!(
            get_as(&server, &format!("/api/v1/customers/{id}"), token)
                .await
                .status(),
            200
        );
    }
    detect(&server).await;
    let found = alerts(&server, &olga_token).await;
    let outside: Vec<&Value> = found
        .iter()
        .filter(|a| a["rule"] == "activity-outside-shift")
        .collect();
    assert_eq!(outside.len(), 1, "{found:?}");
    assert_eq!(outside[0]["actor"], "amy");
    server.stop().await;
}

async fn a_failed_trail_verification_is_mailed_to_the_security_team(db: TestDatabase) {
    let (server, mut smtp) = crate::conversations::server_with_mail(
        db,
        &[("CUSTOS_NOTIFY__ALERT_EMAIL", "soc@example.com")],
    )
    .await;
    // What `custos audit verify` records when it finds tampering.
    let state = server.server().state();
    state
        .audit()
        .record(custos_server::audit::events::trail_verified(
            custos_server::audit::event_time_ms(state.clock()),
            "cron",
            false,
            Some(42),
        ))
        .await
        .unwrap();
    detect(&server).await;
    let mail = smtp.next().await;
    assert_eq!(mail.to, vec!["soc@example.com".to_owned()]);
    assert!(mail.data.contains("[Custos critical]"), "{}", mail.data);
    assert!(
        mail.data.contains("audit-verification-failed"),
        "{}",
        mail.data
    );
    let olga = create_person(&server, "olga", Role::SecurityOfficer).await;
    let olga_token = sign_in(&server, "olga", &olga).await;
    let found = alerts(&server, &olga_token).await;
    let alert = found
        .iter()
        .find(|a| a["rule"] == "audit-verification-failed")
        .expect("an alert");
    let responses = alert["responses"].as_array().unwrap();
    assert!(
        responses.iter().any(|r| r["status"] == "sent"),
        "{responses:?}"
    );
    assert!(
        responses
            .iter()
            .any(|r| r["response"] == "notify" && r["status"] == "not_configured"),
        "the syslog channel is not configured here: {responses:?}"
    );
    server.stop().await;
}

custos_testkit::test_on_both_stores!(
    a_failed_trail_verification_is_mailed_to_the_security_team,
    customer_data_used_outside_the_shift_is_flagged,
    eleven_wrong_passwords_lock_the_account_and_raise_an_alert,
    an_agent_opening_far_more_customers_than_peers_is_signed_out,
    refusals_notify_a_signed_webhook,
    admins_change_rules_validated_and_audited,
);
