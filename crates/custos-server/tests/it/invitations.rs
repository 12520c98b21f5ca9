//! Inviting people through the API: administrators only, a link that works once and
//! expires, the password checked before the link is spent, and the account made
//! only when the person redeems it, with an authenticator only they see.

use custos_auth::role::Role;
use custos_testkit::{TestDatabase, TestServer};
use serde_json::{Value, json};

use crate::auth::{PASSWORD, create_person, login, post, sign_in};
use crate::vault::{post_as, trail_text};

/// The token of an invitation link.
fn token_of(url: &str) -> String {
    url.split("#token=").nth(1).unwrap().to_owned()
}

async fn invite(server: &TestServer, admin: &str, body: Value) -> (u16, Value) {
    let response = post_as(server, "/api/v1/users", admin, body).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Redeems an invitation or reset link's token with `password`.
pub async fn redeem(server: &TestServer, token: &str, password: &str) -> (u16, Value) {
    let response = post(
        server,
        "/api/v1/invitations/redeem",
        json!({ "token": token, "password": password }),
    )
    .await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn an_invited_person_sets_their_own_password_and_authenticator(db: TestDatabase) {
    let server = TestServer::start_on(db, &[]).await;
    let ann = create_person(&server, "ann", Role::Admin).await;
    let ada = create_person(&server, "ada", Role::Agent).await;
    let ann = sign_in(&server, "ann", &ann).await;
    let ada = sign_in(&server, "ada", &ada).await;
    let nia = json!({ "username": "nia", "role": "agent", "team": "billing" });

    // Only administrators invite; names and roles are checked at once.
    assert_eq!(invite(&server, &ada, nia.clone()).await.0, 403);
    assert_eq!(
        invite(&server, &ann, json!({ "username": "ada", "role": "agent" }))
            .await
            .0,
        409
    );
    for bad in [
        json!({ "username": "Not Valid", "role": "agent" }),
        json!({ "username": "crm", "role": "integration" }),
        json!({ "username": "crm", "role": "owner" }),
    ] {
        assert_eq!(invite(&server, &ann, bad.clone()).await.0, 422, "{bad}");
    }

    let (status, first) = invite(&server, &ann, nia.clone()).await;
    assert_eq!(status, 201);
    let first_url = first["invitation_url"].as_str().unwrap();
    let base = server.url("");
    assert!(
        first_url.starts_with(&format!("{base}/welcome#token=")),
        "the link points at this server"
    );
    // A second invitation replaces the first.
    let (_, second) = invite(&server, &ann, nia.clone()).await;
    let token = token_of(second["invitation_url"].as_str().unwrap());
    assert_eq!(redeem(&server, &token_of(first_url), PASSWORD).await.0, 401);
    assert_eq!(
        login(&server, "nia", PASSWORD).await.status(),
        401,
        "no account yet"
    );

    // A weak password is refused without spending the link.
    let (status, refused) = redeem(&server, &token, "password").await;
    assert_eq!(status, 422, "{}", refused["error"]["code"]);
    let (status, made) = redeem(&server, &token, PASSWORD).await;
    assert_eq!(status, 200);
    assert_eq!(made["username"], "nia");
    assert_eq!(made["role"], "agent");
    assert_eq!(made["recovery_codes"].as_array().unwrap().len(), 10);
    assert!(made["totp_qr_svg"].as_str().unwrap().contains("<svg"));
    assert_eq!(redeem(&server, &token, PASSWORD).await.0, 401, "used once");
    let secret = crate::auth::totp_secret_of(made["totp_uri"].as_str().unwrap());
    server.clock().advance(time::Duration::seconds(31));
    let nia_token = sign_in(&server, "nia", &secret).await;
    let me: Value = crate::auth::get_as(&server, "/api/v1/me", &nia_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["role"], "agent");
    assert_eq!(me["team"], "billing");

    // Links expire.
    let (_, late) = invite(
        &server,
        &ann,
        json!({ "username": "omar", "role": "auditor" }),
    )
    .await;
    server.clock().advance(time::Duration::hours(73));
    let late_token = token_of(late["invitation_url"].as_str().unwrap());
    assert_eq!(redeem(&server, &late_token, PASSWORD).await.0, 401);

    // The trail has the invitation and the account, and no link token.
    let trail = trail_text(&server).await;
    assert!(
        trail
            .lines()
            .any(|e| e.contains("\"action\":\"account.invite\"") && e.contains("nia")),
        "the invitation is in the trail"
    );
    assert!(!trail.contains(&token) && !trail.contains(&late_token));
    assert!(!trail.contains(PASSWORD));
    server.stop().await;
}

custos_testkit::test_on_both_stores!(an_invited_person_sets_their_own_password_and_authenticator);
