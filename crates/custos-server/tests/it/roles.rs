//! Administrators change a person's role and team through the API: the person's
//! sessions end, the next sign-in carries the new role, and only administrators,
//! never on themselves, with valid roles, can do it.

use custos_auth::role::Role;
use custos_testkit::{TestDatabase, TestServer};
use serde_json::{Value, json};

use crate::auth::{create_person, create_person_in_team, get_as, sign_in};
use crate::vault::trail_text;

async fn put_role(server: &TestServer, token: &str, username: &str, body: Value) -> (u16, Value) {
    let response = server
        .client()
        .put(server.url(&format!("/api/v1/users/{username}/role")))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn administrators_change_roles_and_the_old_sessions_end(db: TestDatabase) {
    let server = TestServer::start_on(db, &[]).await;
    let admin = create_person(&server, "ana", Role::Admin).await;
    let agent = create_person_in_team(&server, "ben", Role::Agent, "billing").await;
    let officer = create_person(&server, "sol", Role::SecurityOfficer).await;
    let ben_token = sign_in(&server, "ben", &agent).await;
    let admin_token = sign_in(&server, "ana", &admin).await;
    let officer_token = sign_in(&server, "sol", &officer).await;

    // Refusals change nothing.
    for (body, status) in [
        (json!({ "role": "integration" }), 422),
        (json!({ "role": "king" }), 422),
        (json!({ "role": "supervisor", "team": "x".repeat(65) }), 422),
        (json!({ "rank": "supervisor" }), 422),
    ] {
        assert_eq!(put_role(&server, &admin_token, "ben", body).await.0, status);
    }
    assert_eq!(
        put_role(&server, &admin_token, "nobody", json!({ "role": "agent" }))
            .await
            .0,
        404
    );
    let (status, body) = put_role(&server, &officer_token, "ben", json!({ "role": "admin" })).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("forbidden"))
    );
    assert_eq!(
        put_role(&server, &admin_token, "ana", json!({ "role": "agent" }))
            .await
            .0,
        403,
        "administrators do not change their own role"
    );
    assert_eq!(
        get_as(&server, "/api/v1/me", &ben_token).await.status(),
        200
    );

    // The change: ben's session ends; his next sign-in is a supervisor's of claims.
    let (status, body) = put_role(
        &server,
        &admin_token,
        "ben",
        json!({ "role": "supervisor", "team": "claims" }),
    )
    .await;
    assert_eq!((status, body["ended"].as_u64()), (200, Some(1)));
    assert_eq!(
        get_as(&server, "/api/v1/me", &ben_token).await.status(),
        401
    );
    server.clock().advance(time::Duration::seconds(31)); // a new TOTP step
    let ben_token = sign_in(&server, "ben", &agent).await;
    let me: Value = get_as(&server, "/api/v1/me", &ben_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (me["role"].as_str(), me["team"].as_str()),
        (Some("supervisor"), Some("claims"))
    );

    // No team at all.
    let (status, _) = put_role(
        &server,
        &admin_token,
        "ben",
        json!({ "role": "auditor", "team": null }),
    )
    .await;
    assert_eq!(status, 200);
    server.clock().advance(time::Duration::seconds(31)); // a new TOTP step
    let ben_token = sign_in(&server, "ben", &agent).await;
    let me: Value = get_as(&server, "/api/v1/me", &ben_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["role"], "auditor");
    assert!(me.get("team").is_none());

    let trail = trail_text(&server).await;
    let change = trail
        .lines()
        .find(|e| e.contains("account.role_change"))
        .expect("the change is in the trail");
    assert!(
        change.contains("\"previous_role\":\"agent\"") && change.contains("\"team\":\"claims\"")
    );
    assert!(
        trail
            .lines()
            .any(|e| e.contains("access.denied") && e.contains("account.change_role")),
        "the officer's refused attempt is recorded"
    );
    server.stop().await;
}

custos_testkit::test_on_both_stores!(administrators_change_roles_and_the_old_sessions_end);
