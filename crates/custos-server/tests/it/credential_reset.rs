//! A lost authenticator or a forgotten password: a security officer resets the
//! person's sign-in (their factors and sessions end at once) and hands over a
//! one-time link; the person chooses a new password and authenticator. People
//! also renew their own recovery codes. All through the API, on both stores.

use custos_auth::role::Role;
use custos_testkit::{TestDatabase, TestServer};
use serde_json::{Value, json};

use crate::auth::{
    PASSWORD, create_person, error_code, get_as, login, post, sign_in, sign_in_with, totp_secret_of,
};
use crate::invitations::redeem;
use crate::vault::{post_as, trail_text};

const NEW_PASSWORD: &str = "amber-lantern-82-meadow";

async fn reset(server: &TestServer, token: &str, username: &str) -> (u16, Value) {
    let response = post_as(
        server,
        &format!("/api/v1/users/{username}/credential-reset"),
        token,
        json!({}),
    )
    .await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn an_officer_resets_a_lost_authenticator(db: TestDatabase) {
    let server = TestServer::start_on(db, &[]).await;
    let ann = create_person(&server, "ann", Role::Admin).await;
    let sol = create_person(&server, "sol", Role::SecurityOfficer).await;
    let nia_secret = create_person(&server, "nia", Role::Agent).await;
    let ada = create_person(&server, "ada", Role::Agent).await;
    let ann = sign_in(&server, "ann", &ann).await;
    let sol = sign_in(&server, "sol", &sol).await;
    let ada = sign_in(&server, "ada", &ada).await;
    let nia = sign_in(&server, "nia", &nia_secret).await;

    // Who may: not an agent, not on oneself, not an officer on an administrator.
    assert_eq!(reset(&server, &ada, "nia").await.0, 403);
    assert_eq!(reset(&server, &sol, "sol").await.0, 403);
    assert_eq!(reset(&server, &sol, "ann").await.0, 403);
    assert_eq!(reset(&server, &sol, "nobody").await.0, 404);
    assert_eq!(get_as(&server, "/api/v1/me", &nia).await.status(), 200);

    // The reset: nia's session ends and her old factors open nothing.
    let (status, issued) = reset(&server, &sol, "nia").await;
    assert_eq!(status, 201, "{}", issued["error"]["code"]);
    assert_eq!(issued["sessions_ended"], 1);
    let url = issued["reset_url"].as_str().unwrap();
    assert!(url.contains("/reset#token="), "a reset link");
    let token = url.split("#token=").nth(1).unwrap().to_owned();
    assert_eq!(get_as(&server, "/api/v1/me", &nia).await.status(), 401);
    assert_eq!(
        error_code(login(&server, "nia", PASSWORD).await).await,
        (403, "credentials_reset".to_owned())
    );
    assert_eq!(
        error_code(login(&server, "nia", "wrong-password-123").await)
            .await
            .0,
        401,
        "a wrong password learns nothing about the reset"
    );

    // A malformed body is refused without quoting it, and spends nothing.
    let malformed = post(
        &server,
        "/api/v1/invitations/redeem",
        json!({ "token": token, "password": NEW_PASSWORD, "username": "nia" }),
    )
    .await;
    assert_eq!(malformed.status(), 400);
    let text = malformed.text().await.unwrap();
    assert!(!text.contains(NEW_PASSWORD) && !text.contains(&token));

    // The link: a weak or recent password is refused without spending it.
    assert_eq!(redeem(&server, &token, "password").await.0, 422);
    let (status, refused) = redeem(&server, &token, PASSWORD).await;
    assert_eq!(status, 422, "the current password cannot be chosen again");
    assert_eq!(refused["error"]["code"], "weak_password");
    let (status, made) = redeem(&server, &token, NEW_PASSWORD).await;
    assert_eq!(status, 200, "{}", made["error"]["code"]);
    assert_eq!(made["username"], "nia");
    assert_eq!(made["role"], "agent", "the role stays");
    assert_eq!(made["recovery_codes"].as_array().unwrap().len(), 10);
    assert_eq!(
        redeem(&server, &token, NEW_PASSWORD).await.0,
        401,
        "used once"
    );
    let new_secret = totp_secret_of(made["totp_uri"].as_str().unwrap());
    assert!(new_secret != nia_secret, "a new TOTP secret");

    // The old password is gone, the old authenticator too; the new ones work.
    assert_eq!(login(&server, "nia", PASSWORD).await.status(), 401);
    server.clock().advance(time::Duration::seconds(31));
    let step: Value = login(&server, "nia", NEW_PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    let old_code = crate::auth::totp(&server, &nia_secret);
    let refused = post(
        &server,
        "/api/v1/auth/mfa/totp",
        json!({ "mfa_token": step["mfa_token"], "code": old_code }),
    )
    .await;
    assert_eq!(refused.status(), 401, "the lost phone's codes do not work");
    server.clock().advance(time::Duration::seconds(31));
    let nia = sign_in_with(&server, "nia", NEW_PASSWORD, &new_secret).await;
    let me: Value = get_as(&server, "/api/v1/me", &nia)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (me["name"].as_str(), me["role"].as_str()),
        (Some("nia"), Some("agent"))
    );

    // Administrators reset anyone but themselves, administrators included.
    create_person(&server, "ann2", Role::Admin).await;
    assert_eq!(reset(&server, &ann, "ann2").await.0, 201);
    assert_eq!(reset(&server, &ann, "ann").await.0, 403);

    let trail = trail_text(&server).await;
    assert!(!trail.contains(&token), "no link in the trail");
    assert!(!trail.contains(NEW_PASSWORD));
    let issued = trail
        .lines()
        .find(|e| e.contains("account.credentials_reset"))
        .expect("the reset is in the trail");
    assert!(issued.contains("\"sol\"") && issued.contains("nia"));
    assert!(
        trail
            .lines()
            .any(|e| e.contains("account.credentials_restore"))
    );
    assert!(
        trail
            .lines()
            .any(|e| e.contains("credentials_reset") && e.contains("auth.password")),
        "the refused sign-in is recorded"
    );
    server.stop().await;
}

async fn people_renew_their_own_recovery_codes(db: TestDatabase) {
    let server = TestServer::start_on(db, &[]).await;
    let secret = create_person(&server, "nia", Role::Agent).await;
    let nia = sign_in(&server, "nia", &secret).await;
    let count: Value = get_as(&server, "/api/v1/me/recovery-codes", &nia)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(count["unused"], 10);

    let renew = || async {
        let renewed = post_as(&server, "/api/v1/me/recovery-codes", &nia, json!({})).await;
        assert_eq!(renewed.status(), 200);
        let codes: Value = renewed.json().await.unwrap();
        codes["recovery_codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_owned())
            .collect::<Vec<String>>()
    };
    let earlier = renew().await;
    let codes = renew().await;
    assert_eq!(codes.len(), 10);
    // A password step, then `code` as the second factor.
    let sign_in_with = |code: String| {
        let server = &server;
        async move {
            let step: Value = login(server, "nia", PASSWORD).await.json().await.unwrap();
            let body = json!({ "mfa_token": step["mfa_token"], "code": code });
            post(server, "/api/v1/auth/mfa/recovery", body).await
        }
    };

    // The earlier set stopped working at once: its code spends the sign-in step.
    let old = sign_in_with(earlier[0].clone()).await;
    assert_eq!(old.status(), 401, "a code of the replaced set");

    // A new code signs in; after that, nine are left.
    let done = sign_in_with(codes[0].clone()).await;
    assert_eq!(done.status(), 200);
    let count: Value = get_as(&server, "/api/v1/me/recovery-codes", &nia)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(count["unused"], 9);

    // Sixteen minutes on, renewal asks for a fresh second factor.
    server.clock().advance(time::Duration::minutes(14));
    assert_eq!(get_as(&server, "/api/v1/me", &nia).await.status(), 200);
    server.clock().advance(time::Duration::minutes(2));
    let stale = post_as(&server, "/api/v1/me/recovery-codes", &nia, json!({})).await;
    assert_eq!(
        error_code(stale).await,
        (403, "step_up_required".to_owned())
    );

    let trail = trail_text(&server).await;
    assert!(trail.contains("account.recovery_codes_renew"));
    assert!(
        codes
            .iter()
            .chain(&earlier)
            .all(|c| !trail.contains(c.as_str())),
        "no code in the trail"
    );
    server.stop().await;
}

custos_testkit::test_on_both_stores!(
    an_officer_resets_a_lost_authenticator,
    people_renew_their_own_recovery_codes
);
