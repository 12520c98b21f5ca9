//! Passkeys through the real HTTPS API, with a software authenticator that signs
//! like a real one (webauthn-authenticator-rs): enrolment, sign-in, step-up,
//! removal, and the refusals around them.

use custos_auth::role::Role;
use custos_testkit::{TestDatabase, TestServer};
use serde_json::{Value, json};
use webauthn_authenticator_rs::WebauthnAuthenticator as _;
use webauthn_authenticator_rs::prelude::{
    CreationChallengeResponse, RequestChallengeResponse, Url,
};
use webauthn_authenticator_rs::softpasskey::SoftPasskey;

use crate::auth::{PASSWORD, create_person, get_as, login, post, sign_in};
use crate::vault::trail_text;

async fn post_as(server: &TestServer, path: &str, token: &str, body: Value) -> reqwest::Response {
    server
        .client()
        .post(server.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

fn origin(server: &TestServer) -> Url {
    let rp = server.server().state().auth().relying_party().unwrap();
    Url::parse(rp.origin()).unwrap()
}

async fn options(response: reqwest::Response) -> Value {
    assert_eq!(response.status(), 200);
    response.json::<Value>().await.unwrap()["options"].clone()
}

/// Enrols `authenticator` as `name` on the session `token` (which must be fresh).
async fn enrol(server: &TestServer, token: &str, authenticator: &mut SoftPasskey, name: &str) {
    let start = post_as(
        server,
        "/api/v1/me/passkeys/register/start",
        token,
        json!({ "name": name }),
    )
    .await;
    let challenge: CreationChallengeResponse =
        serde_json::from_value(options(start).await).unwrap();
    let credential = authenticator
        .do_registration(origin(server), challenge)
        .unwrap();
    let finish = post_as(
        server,
        "/api/v1/me/passkeys/register/finish",
        token,
        json!({ "credential": credential }),
    )
    .await;
    assert_eq!(finish.status(), 201);
}

/// The authenticator's answer to a `navigator.credentials.get` challenge.
fn answer(server: &TestServer, authenticator: &mut SoftPasskey, options: Value) -> Value {
    let challenge: RequestChallengeResponse = serde_json::from_value(options).unwrap();
    serde_json::to_value(
        authenticator
            .do_authentication(origin(server), challenge)
            .unwrap(),
    )
    .unwrap()
}

/// A sign-in's passkey challenge for the pending step `mfa_token`.
async fn sign_in_options(server: &TestServer, mfa_token: &Value) -> Value {
    let start = post(
        server,
        "/api/v1/auth/mfa/passkey/start",
        json!({ "mfa_token": mfa_token }),
    )
    .await;
    options(start).await
}

/// A sign-in's second step with `credential`.
async fn finish_sign_in(
    server: &TestServer,
    mfa_token: &Value,
    credential: &Value,
) -> reqwest::Response {
    post(
        server,
        "/api/v1/auth/mfa/passkey",
        json!({ "mfa_token": mfa_token, "credential": credential }),
    )
    .await
}

async fn password_step(server: &TestServer, username: &str) -> Value {
    login(server, username, PASSWORD)
        .await
        .json()
        .await
        .unwrap()
}

async fn a_person_enrols_a_passkey_and_signs_in_with_it(db: TestDatabase) {
    let server = TestServer::start_on(db, &[]).await;
    let secret = create_person(&server, "pia", Role::Agent).await;
    let token = sign_in(&server, "pia", &secret).await;
    let none: Value = get_as(&server, "/api/v1/me/passkeys", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(none, json!([]));
    let step = password_step(&server, "pia").await;
    assert_eq!(step["methods"], json!(["totp", "recovery_code"]));

    let mut authenticator = SoftPasskey::new(true);
    enrol(&server, &token, &mut authenticator, "work laptop").await;
    let listed: Value = get_as(&server, "/api/v1/me/passkeys", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["name"], "work laptop");

    // A second enrolment asks authenticators to skip the credential enrolled already.
    let again = post_as(
        &server,
        "/api/v1/me/passkeys/register/start",
        &token,
        json!({ "name": "again" }),
    )
    .await;
    let again = options(again).await;
    assert_eq!(
        again["publicKey"]["excludeCredentials"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        again["publicKey"]["authenticatorSelection"]["userVerification"],
        "required"
    );

    // Sign in: password, then the passkey.
    let step = password_step(&server, "pia").await;
    assert_eq!(step["methods"], json!(["totp", "passkey", "recovery_code"]));
    let mfa_token = &step["mfa_token"];
    let challenge = sign_in_options(&server, mfa_token).await;
    let first_answer = answer(&server, &mut authenticator, challenge);
    let done = finish_sign_in(&server, mfa_token, &first_answer).await;
    assert_eq!(done.status(), 200);
    let session: Value = done.json().await.unwrap();
    let passkey_token = session["session_token"].as_str().unwrap().to_owned();
    assert_eq!(
        get_as(&server, "/api/v1/me", &passkey_token).await.status(),
        200
    );
    // The same answer again: the sign-in step is used up.
    let replay = finish_sign_in(&server, mfa_token, &first_answer).await;
    assert_eq!(replay.status(), 401);

    // An old answer for a new sign-in: its challenge is not this ceremony's.
    let step = password_step(&server, "pia").await;
    sign_in_options(&server, &step["mfa_token"]).await;
    let stale = finish_sign_in(&server, &step["mfa_token"], &first_answer).await;
    assert_eq!(stale.status(), 401);

    // Another authenticator, never enrolled, cannot answer for pia.
    let step = password_step(&server, "pia").await;
    let challenge: RequestChallengeResponse =
        serde_json::from_value(sign_in_options(&server, &step["mfa_token"]).await).unwrap();
    assert!(
        SoftPasskey::new(true)
            .do_authentication(origin(&server), challenge)
            .is_err(),
        "a stranger's authenticator holds none of the allowed credentials"
    );

    let trail = trail_text(&server).await;
    assert!(trail.contains("account.passkey_add"));
    assert!(
        trail
            .lines()
            .any(|e| e.contains("auth.mfa") && e.contains("passkey") && e.contains("signed_in"))
    );
    assert!(
        trail
            .lines()
            .any(|e| e.contains("auth.password") && e.contains("invalid_passkey")),
        "the refused stale answer is recorded"
    );
    server.stop().await;
}

async fn a_passkey_steps_up_and_removal_needs_a_fresh_factor(db: TestDatabase) {
    let server = TestServer::start_on(db, &[]).await;
    let secret = create_person(&server, "quinn", Role::Agent).await;
    let token = sign_in(&server, "quinn", &secret).await;
    let mut authenticator = SoftPasskey::new(true);
    enrol(&server, &token, &mut authenticator, "security key").await;
    let id = get_as(&server, "/api/v1/me/passkeys", &token)
        .await
        .json::<Value>()
        .await
        .unwrap()[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Sixteen minutes on (the session kept alive in between), the second factor is
    // stale: removal and enrolment need a step-up.
    server.clock().advance(time::Duration::minutes(14));
    assert_eq!(get_as(&server, "/api/v1/me", &token).await.status(), 200);
    server.clock().advance(time::Duration::minutes(2));
    let delete = |token: String| {
        server
            .client()
            .delete(server.url(&format!("/api/v1/me/passkeys/{id}")))
            .bearer_auth(token)
            .send()
    };
    let refused = delete(token.clone()).await.unwrap();
    assert_eq!(refused.status(), 403);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "step_up_required");
    let start = post_as(
        &server,
        "/api/v1/me/passkeys/register/start",
        &token,
        json!({ "name": "x" }),
    )
    .await;
    assert_eq!(start.status(), 403);

    let start = post_as(
        &server,
        "/api/v1/auth/step-up/passkey/start",
        &token,
        json!({}),
    )
    .await;
    let credential = answer(&server, &mut authenticator, options(start).await);
    let stepped = post_as(
        &server,
        "/api/v1/auth/step-up/passkey",
        &token,
        json!({ "credential": credential }),
    )
    .await;
    assert_eq!(stepped.status(), 200);
    assert_eq!(delete(token.clone()).await.unwrap().status(), 204);
    assert_eq!(delete(token.clone()).await.unwrap().status(), 404);
    // A step-up without a passkey says plainly there is none (not a 401, which the
    // console would take for a lost session).
    let start = post_as(
        &server,
        "/api/v1/auth/step-up/passkey/start",
        &token,
        json!({}),
    )
    .await;
    assert_eq!(start.status(), 409);
    let body: Value = start.json().await.unwrap();
    assert_eq!(body["error"]["code"], "no_passkey");

    // With none left, sign-in offers no passkey and will not start one.
    let step = password_step(&server, "quinn").await;
    assert_eq!(step["methods"], json!(["totp", "recovery_code"]));
    let start = post(
        &server,
        "/api/v1/auth/mfa/passkey/start",
        json!({ "mfa_token": step["mfa_token"] }),
    )
    .await;
    assert_eq!(start.status(), 401);

    let trail = trail_text(&server).await;
    assert!(trail.contains("account.passkey_remove"));
    assert!(
        trail
            .lines()
            .any(|e| e.contains("auth.mfa") && e.contains("passkey") && e.contains("step_up"))
    );
    server.stop().await;
}

async fn bad_enrolments_change_nothing(db: TestDatabase) {
    let server = TestServer::start_on(db, &[]).await;
    let secret = create_person(&server, "rhea", Role::Agent).await;
    let token = sign_in(&server, "rhea", &secret).await;
    for (body, status) in [
        (json!({ "name": "" }), 422),
        (json!({ "name": "x".repeat(65) }), 422),
        (json!({ "label": "laptop" }), 400),
    ] {
        let response = post_as(&server, "/api/v1/me/passkeys/register/start", &token, body).await;
        assert_eq!(response.status(), status);
    }
    // A finish without a start, and a start answered by a forged credential.
    let mut authenticator = SoftPasskey::new(true);
    let start = post_as(
        &server,
        "/api/v1/me/passkeys/register/start",
        &token,
        json!({ "name": "laptop" }),
    )
    .await;
    let challenge: CreationChallengeResponse =
        serde_json::from_value(options(start).await).unwrap();
    let mut credential = serde_json::to_value(
        authenticator
            .do_registration(origin(&server), challenge)
            .unwrap(),
    )
    .unwrap();
    credential["response"]["clientDataJSON"] = json!("eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIn0");
    let forged = post_as(
        &server,
        "/api/v1/me/passkeys/register/finish",
        &token,
        json!({ "credential": credential }),
    )
    .await;
    assert_eq!(forged.status(), 422);
    let unstarted = post_as(
        &server,
        "/api/v1/me/passkeys/register/finish",
        &token,
        json!({ "credential": credential }),
    )
    .await;
    assert_eq!(unstarted.status(), 422, "the ceremony was used up");
    let listed: Value = get_as(&server, "/api/v1/me/passkeys", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed, json!([]));
    // A malformed MFA step answer names no input.
    let malformed = post(
        &server,
        "/api/v1/auth/mfa/passkey/start",
        json!({ "mfa_token": 7 }),
    )
    .await;
    assert_eq!(malformed.status(), 400);
    let trail = trail_text(&server).await;
    assert!(trail.contains("invalid_attestation"));
    assert!(trail.contains("no_enrolment_in_progress"));
    server.stop().await;
}

custos_testkit::test_on_both_stores!(
    a_person_enrols_a_passkey_and_signs_in_with_it,
    a_passkey_steps_up_and_removal_needs_a_fresh_factor,
    bad_enrolments_change_nothing,
);
