//! Service tokens through the API: administrators create them (shown once),
//! security officers and administrators revoke them (the next request is refused),
//! auditors read the list; every change needs a fresh second factor and is in the
//! trail by name, never by token.

use custos_auth::role::Role;
use custos_testkit::{TestDatabase, TestServer};
use serde_json::{Value, json};

use crate::auth::{create_person, get_as, sign_in};
use crate::vault::{post_as, send, trail_text};

async fn delete_as(server: &TestServer, token: &str, id: &str) -> u16 {
    send(
        server,
        reqwest::Method::DELETE,
        &format!("/api/v1/service-tokens/{id}"),
        token,
        None,
    )
    .await
    .status()
    .as_u16()
}

async fn listing(server: &TestServer, token: &str) -> Value {
    let response = get_as(server, "/api/v1/service-tokens", token).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn administrators_create_and_officers_revoke_service_tokens(db: TestDatabase) {
    let server = TestServer::start_on(db, &[]).await;
    let admin = create_person(&server, "ana", Role::Admin).await;
    let officer = create_person(&server, "sol", Role::SecurityOfficer).await;
    let auditor = create_person(&server, "aud", Role::Auditor).await;
    let admin_token = sign_in(&server, "ana", &admin).await;
    let officer_token = sign_in(&server, "sol", &officer).await;
    let auditor_token = sign_in(&server, "aud", &auditor).await;

    // Bad requests are refused and create nothing.
    for (body, status) in [
        (json!({ "name": "crm", "role": "agent" }), 422),
        (json!({ "name": "crm", "role": "root" }), 422),
        (json!({ "name": "Crm Prod", "role": "integration" }), 422),
        (
            json!({ "name": "crm", "role": "integration", "days": 0 }),
            422,
        ),
        (
            json!({ "name": "crm", "role": "integration", "days": 3651 }),
            422,
        ),
        (
            json!({ "name": "crm", "role": "integration", "secret": "x" }),
            422,
        ),
    ] {
        let response = post_as(&server, "/api/v1/service-tokens", &admin_token, body).await;
        assert_eq!(response.status().as_u16(), status);
    }
    assert_eq!(listing(&server, &auditor_token).await, json!([]));
    for token in [&officer_token, &auditor_token] {
        let response = post_as(
            &server,
            "/api/v1/service-tokens",
            token,
            json!({ "name": "crm", "role": "integration" }),
        )
        .await;
        assert_eq!(response.status(), 403, "only administrators create tokens");
    }

    // Created: shown once, and it works.
    let response = post_as(
        &server,
        "/api/v1/service-tokens",
        &admin_token,
        json!({ "name": "crm-prod", "role": "integration", "days": 90 }),
    )
    .await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    let crm = created["token"].as_str().unwrap().to_owned();
    let id = created["id"].as_str().unwrap().to_owned();
    let me: Value = get_as(&server, "/api/v1/me", &crm)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["name"], "crm-prod");
    let duplicate = post_as(
        &server,
        "/api/v1/service-tokens",
        &admin_token,
        json!({ "name": "crm-prod", "role": "payment_service" }),
    )
    .await;
    assert_eq!(duplicate.status(), 409);

    // Listed by name, role and state; the token itself never again.
    let listed = listing(&server, &auditor_token).await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(
        (
            listed[0]["name"].as_str(),
            listed[0]["role"].as_str(),
            listed[0]["status"].as_str()
        ),
        (Some("crm-prod"), Some("integration"), Some("active"))
    );
    assert!(listed[0]["last_used_at"].is_string());
    assert!(!listed.to_string().contains(&crm));

    // Revoking: auditors may not; a stale second factor asks for a step-up.
    assert_eq!(delete_as(&server, &auditor_token, &id).await, 403);
    server.clock().advance(time::Duration::minutes(14));
    assert_eq!(
        get_as(&server, "/api/v1/me", &officer_token).await.status(),
        200
    );
    server.clock().advance(time::Duration::minutes(2));
    let stale = send(
        &server,
        reqwest::Method::DELETE,
        &format!("/api/v1/service-tokens/{id}"),
        &officer_token,
        None,
    )
    .await;
    assert_eq!(stale.status(), 403);
    let body: Value = stale.json().await.unwrap();
    assert_eq!(body["error"]["code"], "step_up_required");
    assert_eq!(get_as(&server, "/api/v1/me", &crm).await.status(), 200);

    let officer_token = sign_in(&server, "sol", &officer).await;
    assert_eq!(delete_as(&server, &officer_token, &id).await, 204);
    assert_eq!(get_as(&server, "/api/v1/me", &crm).await.status(), 401);
    assert_eq!(delete_as(&server, &officer_token, &id).await, 422);
    assert_eq!(
        delete_as(&server, &officer_token, &uuid::Uuid::new_v4().to_string()).await,
        404
    );
    assert_eq!(delete_as(&server, &officer_token, "not-an-id").await, 404);
    let listed = listing(&server, &officer_token).await;
    assert_eq!(listed[0]["status"], "revoked");
    assert!(listed[0]["revoked_at"].is_string());

    let trail = trail_text(&server).await;
    assert!(!trail.contains(&crm), "no token in the trail");
    let revocation = trail
        .lines()
        .find(|e| e.contains("\"action\":\"token.revoke\""))
        .expect("the revocation is in the trail");
    assert!(
        revocation.contains("crm-prod") && revocation.contains("\"sol\""),
        "{revocation}"
    );
    assert!(
        trail
            .lines()
            .any(|e| e.contains("\"action\":\"token.create\"") && e.contains("crm-prod"))
    );
    assert!(
        trail
            .lines()
            .any(|e| e.contains("access.denied") && e.contains("service_token.create")),
        "refused creations are recorded"
    );
    server.stop().await;
}

custos_testkit::test_on_both_stores!(administrators_create_and_officers_revoke_service_tokens);
