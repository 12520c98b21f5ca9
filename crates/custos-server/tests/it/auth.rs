//! Sign-in, sessions, lockout, offboarding and access to the audit trail, through
//! the real HTTPS API. TOTP codes are computed independently, with `oathtool`.

use std::process::Command;

use custos_audit::Actor;
use custos_auth::role::Role;
use custos_server::clock::Clock as _;
use custos_store::{AccountStore as _, AuditStore as _};
use custos_testkit::{TestDatabase, TestServer};
use secrecy::{ExposeSecret as _, SecretString};
use serde_json::{Value, json};

use crate::vault::{trail_actions, trail_text};

pub const PASSWORD: &str = "violet-kettle-47-harbor";

/// A person of team "billing" created through the auth service; returns their TOTP
/// secret (base32).
pub async fn create_person(server: &TestServer, username: &str, role: Role) -> String {
    create_person_in_team(server, username, role, "billing").await
}

/// A person of `team` created through the auth service; returns their TOTP secret (base32).
pub async fn create_person_in_team(
    server: &TestServer,
    username: &str,
    role: Role,
    team: &str,
) -> String {
    let account = server
        .server()
        .state()
        .auth()
        .create_user(
            Actor::system(),
            username,
            role,
            Some(team.to_owned()),
            SecretString::from(PASSWORD.to_owned()),
        )
        .await
        .unwrap();
    totp_secret_of(account.totp_uri.expose_secret())
}

/// The base32 secret of an `otpauth://` URI.
pub fn totp_secret_of(uri: &str) -> String {
    uri.split("secret=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned()
}

/// The TOTP code at the server's current time, computed by oathtool.
pub fn totp(server: &TestServer, secret: &str) -> String {
    let now = server.clock().unix_now().0;
    let out = Command::new("oathtool")
        .args(["--totp", "-b", &format!("--now=@{now}"), secret])
        .output()
        .expect("oathtool is installed (scripts/ensure-deps)");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

pub async fn post(server: &TestServer, path: &str, body: Value) -> reqwest::Response {
    server
        .client()
        .post(server.url(path))
        .json(&body)
        .send()
        .await
        .unwrap()
}

pub async fn login(server: &TestServer, username: &str, password: &str) -> reqwest::Response {
    post(
        server,
        "/api/v1/auth/login",
        json!({ "username": username, "password": password }),
    )
    .await
}

/// A full sign-in; returns the session token.
pub async fn sign_in(server: &TestServer, username: &str, secret: &str) -> String {
    sign_in_with(server, username, PASSWORD, secret).await
}

/// A full sign-in with `password`; returns the session token.
pub async fn sign_in_with(
    server: &TestServer,
    username: &str,
    password: &str,
    secret: &str,
) -> String {
    let step: Value = login(server, username, password)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(step["status"], "mfa_required", "{step}");
    let done = post(
        server,
        "/api/v1/auth/mfa/totp",
        json!({ "mfa_token": step["mfa_token"], "code": totp(server, secret) }),
    )
    .await;
    assert_eq!(done.status(), 200);
    done.json::<Value>().await.unwrap()["session_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub async fn get_as(server: &TestServer, path: &str, token: &str) -> reqwest::Response {
    server
        .client()
        .get(server.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

/// The status and the error code of a refusal.
pub async fn error_code(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    (
        status,
        body["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

async fn a_person_signs_in_with_totp_once(db: TestDatabase) {
    let server = TestServer::start_on(db, &[]).await;
    let secret = create_person(&server, "alice", Role::Agent).await;

    let step = login(&server, "alice", PASSWORD).await;
    assert_eq!(step.status(), 200);
    let step: Value = step.json().await.unwrap();
    assert_eq!(step["methods"], json!(["totp", "recovery_code"]));
    let code = totp(&server, &secret);
    let done = post(
        &server,
        "/api/v1/auth/mfa/totp",
        json!({ "mfa_token": step["mfa_token"], "code": code }),
    )
    .await;
    assert_eq!(done.status(), 200);
    let cookie = done.headers()["set-cookie"].to_str().unwrap().to_owned();
    for part in [
        "__Host-custos_session=",
        "Secure",
        "HttpOnly",
        "SameSite=Strict",
        "Path=/",
    ] {
        assert!(cookie.contains(part), "{part} in {cookie}");
    }
    let token = done.json::<Value>().await.unwrap()["session_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let me: Value = get_as(&server, "/api/v1/me", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            me["kind"].as_str(),
            me["name"].as_str(),
            me["role"].as_str()
        ),
        (Some("person"), Some("alice"), Some("agent"))
    );
    assert!(me["session"]["expires_at"].is_string());

    // The same code, with a fresh password step, is refused: a code works once.
    let again: Value = login(&server, "alice", PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    let replay = post(
        &server,
        "/api/v1/auth/mfa/totp",
        json!({ "mfa_token": again["mfa_token"], "code": code }),
    )
    .await;
    assert_eq!(
        error_code(replay).await,
        (401, "mfa_code_replayed".to_owned())
    );
    // An MFA step token works once too.
    let reuse = post(
        &server,
        "/api/v1/auth/mfa/totp",
        json!({ "mfa_token": step["mfa_token"], "code": code }),
    )
    .await;
    assert_eq!(error_code(reuse).await, (401, "invalid_mfa".to_owned()));
    server.stop().await;
}

async fn unknown_users_and_wrong_passwords_get_one_answer(db: TestDatabase) {
    let server = TestServer::start_on(db, &[]).await;
    create_person(&server, "alice", Role::Agent).await;
    let wrong = login(&server, "alice", "not-the-password-1").await;
    let unknown = login(&server, "mallory", "not-the-password-1").await;
    let (a, b) = (wrong.status(), unknown.status());
    let (wrong, unknown): (Value, Value) =
        (wrong.json().await.unwrap(), unknown.json().await.unwrap());
    assert_eq!((a.as_u16(), b.as_u16()), (401, 401));
    assert_eq!(wrong, unknown, "no user enumeration");
    assert_eq!(wrong["error"]["code"], "invalid_credentials");
    server.stop().await;
}

async fn ten_failures_lock_the_account_even_against_the_right_password(db: TestDatabase) {
    let server = TestServer::start_on(db, &[]).await;
    let secret = create_person(&server, "bob", Role::Agent).await;
    for _ in 0..10 {
        server.clock().advance(time::Duration::seconds(3));
        assert_eq!(
            login(&server, "bob", "wrong-password-123").await.status(),
            401
        );
    }
    server.clock().advance(time::Duration::seconds(3));
    assert_eq!(
        error_code(login(&server, "bob", PASSWORD).await).await,
        (423, "account_locked".to_owned())
    );
    // Detection answers these failures too (its brute-force rule locks as well); let it
    // finish now, or on a busy machine it acts after the clock moved and locks anew.
    custos_server::detect::catch_up(server.server().state())
        .await
        .unwrap();
    server.clock().advance(time::Duration::minutes(29));
    assert_eq!(
        login(&server, "bob", PASSWORD).await.status(),
        423,
        "still locked before 30 minutes"
    );
    custos_server::detect::catch_up(server.server().state())
        .await
        .unwrap();
    server.clock().advance(time::Duration::minutes(2));
    sign_in(&server, "bob", &secret).await;
    let store = server.server().state().store();
    let lock_events = store.audit_entries(0, 10_000).await.unwrap();
    assert!(lock_events.iter().any(|e| e.index.action == "account.lock"));
    server.stop().await;
}

async fn sessions_expire_when_idle_and_after_twelve_hours(db: TestDatabase) {
    let server = TestServer::start_on(db, &[]).await;
    let secret = create_person(&server, "carol", Role::Supervisor).await;
    let idle = sign_in(&server, "carol", &secret).await;
    server.clock().advance(time::Duration::minutes(14));
    assert_eq!(get_as(&server, "/api/v1/me", &idle).await.status(), 200);
    server.clock().advance(time::Duration::minutes(15));
    assert_eq!(
        get_as(&server, "/api/v1/me", &idle).await.status(),
        401,
        "15 idle minutes end it"
    );

    server.clock().advance(time::Duration::seconds(31)); // a fresh TOTP step
    let busy = sign_in(&server, "carol", &secret).await;
    for _ in 0..71 {
        server.clock().advance(time::Duration::minutes(10));
        assert_eq!(get_as(&server, "/api/v1/me", &busy).await.status(), 200);
    }
    server.clock().advance(time::Duration::minutes(10));
    assert_eq!(
        get_as(&server, "/api/v1/me", &busy).await.status(),
        401,
        "12 hours end it, used or not"
    );
    let ends: Vec<String> = server
        .server()
        .state()
        .store()
        .audit_entries(0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.index.action == "auth.session_end")
        .map(|e| String::from_utf8(e.payload).unwrap())
        .collect();
    assert!(
        ends.iter().any(|p| p.contains("idle_timeout"))
            && ends.iter().any(|p| p.contains("absolute_timeout"))
    );
    server.stop().await;
}

async fn disabling_a_person_ends_access_at_once(db: TestDatabase) {
    let server = TestServer::start_on(db, &[]).await;
    let secret = create_person(&server, "dave", Role::Agent).await;
    let token = sign_in(&server, "dave", &secret).await;
    assert_eq!(get_as(&server, "/api/v1/me", &token).await.status(), 200);
    server
        .server()
        .state()
        .auth()
        .disable_user(Actor::system(), "dave")
        .await
        .unwrap();
    assert_eq!(get_as(&server, "/api/v1/me", &token).await.status(), 401);
    server.clock().advance(time::Duration::seconds(31));
    assert_eq!(
        login(&server, "dave", PASSWORD).await.status(),
        401,
        "a disabled account cannot sign in"
    );
    server.stop().await;
}

async fn logout_and_cookie_sessions_with_csrf_protection(db: TestDatabase) {
    let server = TestServer::start_on(db, &[]).await;
    let secret = create_person(&server, "erin", Role::Agent).await;
    let token = sign_in(&server, "erin", &secret).await;
    let cookie = format!("__Host-custos_session={token}");
    let me = server
        .client()
        .get(server.url("/api/v1/me"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200, "the cookie authenticates");
    let forged = server
        .client()
        .post(server.url("/api/v1/auth/logout"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(forged).await, (403, "csrf_rejected".to_owned()));
    let origin = server.url("");
    let own = server
        .client()
        .post(server.url("/api/v1/auth/logout"))
        .header("cookie", &cookie)
        .header("origin", origin.trim_end_matches('/'))
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 204);
    assert!(
        own.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(
        get_as(&server, "/api/v1/me", &token).await.status(),
        401,
        "signed out"
    );
    server.stop().await;
}

async fn sign_in_attempts_are_throttled_per_address(db: TestDatabase) {
    let server = TestServer::start_on(db, &[]).await;
    let mut last = None;
    for _ in 0..11 {
        last = Some(login(&server, "nobody", "whatever-password-1").await);
    }
    let last = last.unwrap();
    assert_eq!(last.status(), 429);
    assert!(last.headers().contains_key("retry-after"));
    server.stop().await;
}

async fn only_permitted_roles_read_the_audit_trail(db: TestDatabase) {
    let server = TestServer::start_on(db, &[]).await;
    let officer = create_person(&server, "olivia", Role::SecurityOfficer).await;
    let agent = create_person(&server, "andy", Role::Agent).await;
    let officer_token = sign_in(&server, "olivia", &officer).await;
    server.clock().advance(time::Duration::seconds(31));
    let agent_token = sign_in(&server, "andy", &agent).await;

    assert_eq!(
        get_as(&server, "/api/v1/audit/events?actor=andy", &agent_token)
            .await
            .status(),
        403
    );
    let page: Value = get_as(&server, "/api/v1/audit/events?limit=500", &officer_token)
        .await
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"]["metadata"]["event_code"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"access.denied"),
        "the agent's refusal is on record: {actions:?}"
    );
    assert!(actions.contains(&"auth.mfa"));
    let filtered: Value = get_as(
        &server,
        "/api/v1/audit/events?actor=andy&action=auth.mfa",
        &officer_token,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(filtered["events"].as_array().unwrap().len(), 1);
    assert_eq!(
        filtered["events"][0]["event"]["actor"]["user"]["name"],
        "andy"
    );
    let paged: Value = get_as(&server, "/api/v1/audit/events?limit=2", &officer_token)
        .await
        .json()
        .await
        .unwrap();
    let cursor = paged["next_cursor"].as_u64().unwrap();
    let next: Value = get_as(
        &server,
        &format!("/api/v1/audit/events?limit=2&cursor={cursor}"),
        &officer_token,
    )
    .await
    .json()
    .await
    .unwrap();
    assert!(next["events"][0]["seq"].as_u64().unwrap() < cursor);
    assert_eq!(
        get_as(
            &server,
            "/api/v1/audit/events?since=yesterday",
            &officer_token
        )
        .await
        .status(),
        400
    );
    assert_eq!(server.get("/api/v1/audit/events").await.status(), 401);
    let reads = server
        .server()
        .state()
        .store()
        .audit_entries(0, 10_000)
        .await
        .unwrap();
    assert!(
        reads
            .iter()
            .filter(|e| e.index.action == "audit.read")
            .count()
            >= 3,
        "every read is recorded"
    );
    server.stop().await;
}

async fn service_tokens_authenticate_integrations(db: TestDatabase) {
    let server = TestServer::start_on(db, &[]).await;
    let (token, _) = server
        .server()
        .state()
        .auth()
        .create_service_token(Actor::system(), "genesys", Role::Integration, 30)
        .await
        .unwrap();
    let me: Value = get_as(&server, "/api/v1/me", token.expose_secret())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (me["kind"].as_str(), me["role"].as_str()),
        (Some("service"), Some("integration"))
    );
    assert_eq!(
        get_as(&server, "/api/v1/audit/events", token.expose_secret())
            .await
            .status(),
        403
    );
    server.clock().advance(time::Duration::days(31));
    assert_eq!(
        get_as(&server, "/api/v1/me", token.expose_secret())
            .await
            .status(),
        401,
        "expired"
    );
    server.stop().await;
}

/// Passwords, TOTP secrets, MFA step tokens and session tokens never reach the
/// audit trail or the stored account rows in clear.
async fn no_credential_reaches_the_trail_or_the_store(db: TestDatabase) {
    let server = TestServer::start_on(db, &[]).await;
    let secret = create_person(&server, "frank", Role::Admin).await;
    let step: Value = login(&server, "frank", PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    let mfa_token = step["mfa_token"].as_str().unwrap().to_owned();
    let done: Value = post(
        &server,
        "/api/v1/auth/mfa/totp",
        json!({ "mfa_token": mfa_token, "code": totp(&server, &secret) }),
    )
    .await
    .json()
    .await
    .unwrap();
    let session = done["session_token"].as_str().unwrap().to_owned();
    let _ = login(&server, "frank", "a-typo-password-9").await;
    let state = server.server().state();
    let mut haystack = String::new();
    for entry in state.store().audit_entries(0, 10_000).await.unwrap() {
        haystack.push_str(&String::from_utf8_lossy(&entry.payload));
        haystack.push_str(&format!("{:?}", entry.index));
    }
    let user = state.store().user_by_name("frank").await.unwrap().unwrap();
    haystack.push_str(&format!("{user:?}"));
    haystack.push_str(&String::from_utf8_lossy(
        user.totp_sealed.as_deref().unwrap(),
    ));
    for canary in [
        PASSWORD,
        "a-typo-password-9",
        secret.as_str(),
        mfa_token.as_str(),
        session.as_str(),
    ] {
        assert!(
            !haystack.contains(canary),
            "a credential reached the trail or the store"
        );
    }
    server.stop().await;
}

/// The stored hash is a standard Argon2id PHC string: an independent
/// implementation (Python's argon2-cffi, over libargon2) verifies it.
async fn password_hashes_verify_with_an_independent_argon2(db: TestDatabase) {
    let server = TestServer::start_on(db, &[]).await;
    create_person(&server, "gina", Role::Auditor).await;
    let hash = server
        .server()
        .state()
        .store()
        .user_by_name("gina")
        .await
        .unwrap()
        .unwrap()
        .password_hash;
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    let check = |password: &str| {
        Command::new("python3")
            .args(["-c", "import sys; from argon2 import PasswordHasher; PasswordHasher().verify(sys.argv[1], sys.argv[2])", &hash, password])
            .status()
            .expect("python3 runs")
            .success()
    };
    assert!(
        check(PASSWORD),
        "argon2-cffi must accept the right password (scripts/ensure-deps installs it)"
    );
    assert!(!check("violet-kettle-47-harbox"));
    server.stop().await;
}

async fn officers_end_sessions_only_after_step_up(db: TestDatabase) {
    let server = TestServer::start_on(db, &[]).await;
    let officer = create_person(&server, "olga", Role::SecurityOfficer).await;
    let agent = create_person(&server, "arno", Role::Agent).await;
    let agent_token = sign_in(&server, "arno", &agent).await;
    server.clock().advance(time::Duration::seconds(31));
    let officer_token = sign_in(&server, "olga", &officer).await;

    // An agent lists their sessions and may not end the officer's.
    let mine: Value = get_as(&server, "/api/v1/sessions", &agent_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert_eq!(mine[0]["current"], true);
    let agent_session = mine[0]["id"].as_str().unwrap().to_owned();
    let officer_sessions: Value = get_as(&server, "/api/v1/sessions", &officer_token)
        .await
        .json()
        .await
        .unwrap();
    let officer_session = officer_sessions[0]["id"].as_str().unwrap().to_owned();
    let refused = server
        .client()
        .delete(server.url(&format!("/api/v1/sessions/{officer_session}")))
        .bearer_auth(&agent_token)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);

    // Sixteen minutes later (kept alive), the officer's second factor is stale.
    server.clock().advance(time::Duration::minutes(10));
    assert_eq!(
        get_as(&server, "/api/v1/me", &officer_token).await.status(),
        200
    );
    server.clock().advance(time::Duration::minutes(6));
    let end = || {
        server
            .client()
            .delete(server.url(&format!("/api/v1/sessions/{agent_session}")))
            .bearer_auth(&officer_token)
    };
    assert_eq!(
        error_code(end().send().await.unwrap()).await,
        (403, "step_up_required".to_owned())
    );
    let stepped = server
        .client()
        .post(server.url("/api/v1/auth/step-up/totp"))
        .bearer_auth(&officer_token)
        .json(&json!({ "code": totp(&server, &officer) }))
        .send()
        .await
        .unwrap();
    assert_eq!(stepped.status(), 200);
    assert_eq!(end().send().await.unwrap().status(), 204);
    assert_eq!(
        get_as(&server, "/api/v1/me", &agent_token).await.status(),
        401,
        "the agent's session ended"
    );
    assert_eq!(end().send().await.unwrap().status(), 404, "already ended");
    server.stop().await;
}

async fn officers_unlock_and_disable_others_but_not_themselves(db: TestDatabase) {
    let server = TestServer::start_on(db, &[]).await;
    let officer = create_person(&server, "oscar", Role::SecurityOfficer).await;
    let locked = create_person(&server, "lena", Role::Agent).await;
    for _ in 0..10 {
        server.clock().advance(time::Duration::seconds(3));
        login(&server, "lena", "wrong-password-123").await;
    }
    server.clock().advance(time::Duration::seconds(31));
    assert_eq!(login(&server, "lena", PASSWORD).await.status(), 423);
    let officer_token = sign_in(&server, "oscar", &officer).await;
    let call = |path: &str| {
        server
            .client()
            .post(server.url(path))
            .bearer_auth(&officer_token)
            .send()
    };
    assert_eq!(
        call("/api/v1/users/lena/unlock").await.unwrap().status(),
        204
    );
    server.clock().advance(time::Duration::seconds(31));
    let lena_token = sign_in(&server, "lena", &locked).await;
    // Ending her sessions signs her out; she can sign in again.
    let ended = call("/api/v1/users/lena/end-sessions").await.unwrap();
    assert_eq!(ended.status(), 200);
    assert_eq!(ended.json::<Value>().await.unwrap()["ended"], 1);
    assert_eq!(
        get_as(&server, "/api/v1/me", &lena_token).await.status(),
        401
    );
    server.clock().advance(time::Duration::seconds(31));
    let lena_token = sign_in(&server, "lena", &locked).await;
    // An officer's lock ends the sessions of the person locked.
    let max = create_person(&server, "max", Role::Agent).await;
    let max_token = sign_in(&server, "max", &max).await;
    assert_eq!(call("/api/v1/users/max/lock").await.unwrap().status(), 204);
    assert_eq!(
        get_as(&server, "/api/v1/me", &max_token).await.status(),
        401
    );
    for own in ["disable", "lock", "end-sessions"] {
        assert_eq!(
            call(&format!("/api/v1/users/oscar/{own}"))
                .await
                .unwrap()
                .status(),
            403,
            "not on oneself"
        );
    }
    assert_eq!(
        call("/api/v1/users/nobody/disable").await.unwrap().status(),
        404
    );
    assert_eq!(
        call("/api/v1/users/lena/disable").await.unwrap().status(),
        204
    );
    assert_eq!(
        get_as(&server, "/api/v1/me", &lena_token).await.status(),
        401
    );
    // The lock holds against the right password long after a sign-in lockout would
    // have expired, until an officer lifts it.
    server.clock().advance(time::Duration::days(30));
    assert_eq!(login(&server, "max", PASSWORD).await.status(), 423);
    let officer_token = sign_in(&server, "oscar", &officer).await;
    let unlock = server
        .client()
        .post(server.url("/api/v1/users/max/unlock"))
        .bearer_auth(&officer_token)
        .send()
        .await
        .unwrap();
    assert_eq!(unlock.status(), 204);
    server.clock().advance(time::Duration::seconds(31));
    sign_in(&server, "max", &max).await;
    let actions = trail_actions(&server).await;
    assert!(
        [
            "account.unlock",
            "account.disable",
            "account.lock",
            "auth.session_end"
        ]
        .iter()
        .all(|a| actions.contains(&(*a).to_owned())),
        "{actions:?}"
    );
    server.stop().await;
}

async fn accounts_unused_for_ninety_days_are_disabled(db: TestDatabase) {
    let server = TestServer::start_on(db, &[]).await;
    let active = create_person(&server, "ivy", Role::Agent).await;
    create_person(&server, "idle", Role::Agent).await;
    create_person(&server, "never", Role::Agent).await;
    server.clock().advance(time::Duration::days(60));
    sign_in(&server, "ivy", &active).await;
    server.clock().advance(time::Duration::days(31));
    // The sweep disables the two who have not signed in for 90 days; ivy signed in 31 days ago.
    let disabled = server
        .server()
        .state()
        .auth()
        .disable_inactive()
        .await
        .unwrap();
    let mut names: Vec<String> = disabled.into_iter().map(|u| u.username).collect();
    names.sort();
    assert_eq!(names, ["idle", "never"]);
    assert_eq!(login(&server, "idle", PASSWORD).await.status(), 401);
    // Sign-in applies the rule too, without waiting for the sweep.
    server.clock().advance(time::Duration::days(60));
    assert_eq!(login(&server, "ivy", PASSWORD).await.status(), 401);
    let user = server
        .server()
        .state()
        .store()
        .user_by_name("ivy")
        .await
        .unwrap()
        .unwrap();
    assert!(user.disabled_at.is_some());
    server.stop().await;
}

async fn a_recovery_code_signs_in_once(db: TestDatabase) {
    let server = TestServer::start_on(db, &[]).await;
    let account = server
        .server()
        .state()
        .auth()
        .create_user(
            Actor::system(),
            "rita",
            Role::Agent,
            None,
            SecretString::from(PASSWORD.to_owned()),
        )
        .await
        .unwrap();
    assert_eq!(account.recovery_codes.len(), 10);
    let code = account.recovery_codes[3].expose_secret().to_owned();
    let recover = |token: Value, code: String| {
        post(
            &server,
            "/api/v1/auth/mfa/recovery",
            json!({ "mfa_token": token, "code": code }),
        )
    };

    let step: Value = login(&server, "rita", PASSWORD).await.json().await.unwrap();
    assert_eq!(step["methods"], json!(["totp", "recovery_code"]));
    let wrong = recover(step["mfa_token"].clone(), "aaaa-bbbb-cccc-dddd".into()).await;
    assert_eq!(error_code(wrong).await, (401, "invalid_mfa".to_owned()));
    let step: Value = login(&server, "rita", PASSWORD).await.json().await.unwrap();
    let done = recover(step["mfa_token"].clone(), code.to_uppercase()).await;
    assert_eq!(done.status(), 200, "case and dashes do not matter");
    let session = done.json::<Value>().await.unwrap()["session_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(get_as(&server, "/api/v1/me", &session).await.status(), 200);
    let step: Value = login(&server, "rita", PASSWORD).await.json().await.unwrap();
    assert_eq!(
        recover(step["mfa_token"].clone(), code.clone())
            .await
            .status(),
        401,
        "each code works once"
    );

    let haystack = trail_text(&server).await;
    assert!(
        haystack.contains("recovery_code"),
        "the method is on record"
    );
    for c in &account.recovery_codes {
        assert!(
            !haystack.contains(c.expose_secret()),
            "no recovery code reaches the trail"
        );
    }
    server.stop().await;
}

async fn access_reviews_are_reported_and_signed_off(db: TestDatabase) {
    let server = TestServer::start_on(db, &[]).await;
    let officer = create_person(&server, "sofia", Role::SecurityOfficer).await;
    let auditor = create_person(&server, "aldo", Role::Auditor).await;
    server
        .server()
        .state()
        .auth()
        .create_service_token(Actor::system(), "crm", Role::Integration, 30)
        .await
        .unwrap();
    let officer_token = sign_in(&server, "sofia", &officer).await;
    server.clock().advance(time::Duration::seconds(31));
    let auditor_token = sign_in(&server, "aldo", &auditor).await;

    let report: Value = get_as(&server, "/api/v1/access-review", &auditor_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report["review_due"], true, "never signed off");
    let names: Vec<&str> = report["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["aldo", "sofia"]);
    assert_eq!(
        report["accounts"][0]["mfa_methods"],
        json!(["totp", "recovery_code"])
    );
    assert_eq!(report["tokens"][0]["name"], "crm");
    let csv = get_as(&server, "/api/v1/access-review?format=csv", &auditor_token).await;
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = csv.text().await.unwrap();
    assert!(csv.starts_with("kind,name,role,team,status"), "{csv}");
    assert_eq!(
        csv.lines().count(),
        4,
        "header, two people, one token: {csv}"
    );

    let sha = report["report_sha256"].as_str().unwrap();
    let sign = |token: &str, sha: &str| {
        server
            .client()
            .post(server.url("/api/v1/access-review/sign-off"))
            .bearer_auth(token)
            .json(&json!({ "report_sha256": sha, "notes": "roles match the staffing list" }))
            .send()
    };
    assert_eq!(
        sign(&auditor_token, sha).await.unwrap().status(),
        403,
        "auditors read, they do not sign"
    );
    assert_eq!(sign(&officer_token, "00").await.unwrap().status(), 409);
    let signed = sign(&officer_token, sha).await.unwrap();
    assert_eq!(signed.status(), 200);
    let signed: Value = signed.json().await.unwrap();
    assert_eq!(signed["signed_by"], "sofia");
    let after: Value = get_as(&server, "/api/v1/access-review", &auditor_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(after["review_due"], false);
    assert_eq!(after["last_sign_off"]["report_sha256"], sha);
    // Six months on (people would have been disabled for inactivity meanwhile, so the
    // report is built directly), the next review is due.
    server.clock().advance(time::Duration::days(183));
    let now = server.clock().unix_now().0;
    let later = custos_server::access_review::build(server.server().state().store(), now)
        .await
        .unwrap();
    assert!(later.review_due, "six months on, the next review is due");
    let actions = trail_actions(&server).await;
    assert!(
        actions.contains(&"access_review.sign_off".to_owned())
            && actions.contains(&"access_review.read".to_owned())
    );
    server.stop().await;
}

async fn admins_add_validated_policies_that_persist(db: TestDatabase) {
    let server = TestServer::start_on(db, &[]).await;
    let admin = create_person(&server, "amir", Role::Admin).await;
    let supervisor = create_person(&server, "suki", Role::Supervisor).await;
    let admin_token = sign_in(&server, "amir", &admin).await;
    server.clock().advance(time::Duration::seconds(31));
    let supervisor_token = sign_in(&server, "suki", &supervisor).await;
    assert_eq!(
        get_as(&server, "/api/v1/audit/events", &supervisor_token)
            .await
            .status(),
        403
    );

    let add = |id: &str, text: &str| {
        server
            .client()
            .post(server.url("/api/v1/policies"))
            .bearer_auth(&admin_token)
            .json(&json!({ "id": id, "text": text }))
            .send()
    };
    let invalid = add(
        "bad-attr",
        "permit (principal is Custos::Person, action, resource) when { principal.shoe_size > 3 };",
    )
    .await
    .unwrap();
    let (status, code) = error_code(invalid).await;
    assert_eq!(
        (status, code.as_str()),
        (422, "invalid_policy"),
        "validated against the schema"
    );
    let grant = "permit (principal is Custos::Person, action == Custos::Action::\"audit.read\", resource is Custos::AuditTrail) when { principal.role == \"supervisor\" };";
    assert_eq!(
        add("supervisors-read-audit", grant).await.unwrap().status(),
        201
    );
    assert_eq!(
        add("supervisors-read-audit", grant).await.unwrap().status(),
        409
    );
    assert_eq!(
        get_as(&server, "/api/v1/audit/events", &supervisor_token)
            .await
            .status(),
        200,
        "in force at once"
    );
    let listing: Value = get_as(&server, "/api/v1/policies", &admin_token)
        .await
        .json()
        .await
        .unwrap();
    let added: Vec<&Value> = listing["policies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["source"] == "added")
        .collect();
    assert_eq!(added.len(), 1);
    assert_eq!(added[0]["id"], "supervisors-read-audit");
    assert!(
        listing["schema"]
            .as_str()
            .unwrap()
            .contains("namespace Custos")
    );
    let actions = trail_actions(&server).await;
    assert!(actions.contains(&"policy.add".to_owned()));

    let db = server.stop_keeping_database().await;
    let restarted = TestServer::start_on(db, &[]).await;
    let listing = restarted.server().state().authz().policy_listing();
    assert!(
        listing
            .iter()
            .any(|(id, default, _)| id == "supervisors-read-audit" && !default),
        "persisted across restarts"
    );
    restarted.stop().await;
}

async fn restricted_roles_work_only_from_their_networks(db: TestDatabase) {
    // The tests connect from 127.0.0.1: agents are held to a VPN range they are not
    // on, supervisors to loopback, other roles are unrestricted.
    let rules = "{ agent = [\"10.8.0.0/16\"], supervisor = [\"127.0.0.0/8\"] }";
    let server = TestServer::start_on(db, &[("CUSTOS_AUTH__ALLOWED_NETWORKS", rules)]).await;
    create_person(&server, "vera", Role::Agent).await;
    let supervisor = create_person(&server, "stan", Role::Supervisor).await;
    let auditor = create_person(&server, "aida", Role::Auditor).await;
    assert_eq!(
        error_code(login(&server, "vera", PASSWORD).await).await,
        (403, "network_not_allowed".to_owned())
    );
    assert_eq!(
        login(&server, "vera", "wrong-password-123").await.status(),
        401,
        "a wrong password says only that"
    );
    sign_in(&server, "stan", &supervisor).await;
    server.clock().advance(time::Duration::seconds(31));
    sign_in(&server, "aida", &auditor).await;
    server.stop().await;
}

async fn a_session_is_refused_once_its_network_is_not_allowed(db: TestDatabase) {
    let open = TestServer::start_on(db, &[]).await;
    let secret = create_person(&open, "walt", Role::Agent).await;
    let token = sign_in(&open, "walt", &secret).await;
    assert_eq!(get_as(&open, "/api/v1/me", &token).await.status(), 200);
    let db = open.stop_keeping_database().await;
    // The same store, now with agents held to the VPN range.
    let strict = TestServer::start_on(
        db,
        &[(
            "CUSTOS_AUTH__ALLOWED_NETWORKS",
            "{ agent = [\"10.8.0.0/16\"] }",
        )],
    )
    .await;
    let refused = get_as(&strict, "/api/v1/me", &token).await;
    assert_eq!(
        error_code(refused).await,
        (403, "network_not_allowed".to_owned())
    );
    let denials = strict
        .server()
        .state()
        .store()
        .audit_entries(0, 10_000)
        .await
        .unwrap();
    assert!(denials.iter().any(|e| e.index.action == "access.denied"));
    strict.stop().await;
}

async fn people_change_their_password_but_not_to_a_recent_one(db: TestDatabase) {
    let server = TestServer::start_on(db, &[]).await;
    let secret = create_person(&server, "amy", Role::Agent).await;
    let session = sign_in(&server, "amy", &secret).await;
    server.clock().advance(time::Duration::seconds(31));
    let other = sign_in(&server, "amy", &secret).await;
    let change = |current: &str, new: &str| {
        let body = json!({ "current_password": current, "new_password": new });
        let session = session.clone();
        let server = &server;
        async move {
            let answer = server
                .client()
                .post(server.url("/api/v1/me/password"))
                .bearer_auth(&session)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = answer.status().as_u16();
            let body: Value = answer.json().await.unwrap_or(Value::Null);
            (status, body)
        }
    };
    let passwords = [
        "amber-falcon-93-river",
        "copper-lantern-58-meadow",
        "silent-orchid-71-harbor",
        "velvet-canyon-26-summit",
    ];
    let (status, body) = change("not-the-password-12", passwords[0]).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("invalid_credentials"))
    );
    let (status, body) = change(PASSWORD, PASSWORD).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("weak_password")),
        "the current one"
    );
    let (status, body) = change(PASSWORD, "password12345").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("weak_password")),
        "too common"
    );

    let (status, body) = change(PASSWORD, passwords[0]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["other_sessions_ended"], 1);
    assert_eq!(
        get_as(&server, "/api/v1/me", &other).await.status(),
        401,
        "the other session ended"
    );
    assert_eq!(
        get_as(&server, "/api/v1/me", &session).await.status(),
        200,
        "this one stays"
    );
    assert_eq!(change(passwords[0], passwords[1]).await.0, 200);
    assert_eq!(change(passwords[1], passwords[2]).await.0, 200);
    // The last four: the current one and the three before it, the original among them.
    for recent in [PASSWORD, passwords[0], passwords[1], passwords[2]] {
        let (status, body) = change(passwords[2], recent).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (422, Some("weak_password")),
            "{recent}"
        );
    }
    assert_eq!(change(passwords[2], passwords[3]).await.0, 200);
    let (status, body) = change(passwords[3], PASSWORD).await;
    assert_eq!(status, 200, "the fifth-latest may come back: {body}");

    // A stale second factor: step up first.
    server.clock().advance(time::Duration::minutes(10));
    assert_eq!(get_as(&server, "/api/v1/me", &session).await.status(), 200);
    server.clock().advance(time::Duration::minutes(6));
    let (status, body) = change(PASSWORD, passwords[3]).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("step_up_required"))
    );

    // The new password signs in; the trail has every change and refusal, no password.
    let trail = trail_text(&server).await;
    assert_eq!(trail.matches("\"account.password_change\"").count(), 11);
    for p in passwords {
        assert!(!trail.contains(p), "no password in the trail");
    }
    server.clock().advance(time::Duration::seconds(31));
    assert!(!sign_in(&server, "amy", &secret).await.is_empty());
    server.stop().await;
}

custos_testkit::test_on_both_stores!(
    people_change_their_password_but_not_to_a_recent_one,
    a_person_signs_in_with_totp_once,
    unknown_users_and_wrong_passwords_get_one_answer,
    ten_failures_lock_the_account_even_against_the_right_password,
    sessions_expire_when_idle_and_after_twelve_hours,
    disabling_a_person_ends_access_at_once,
    logout_and_cookie_sessions_with_csrf_protection,
    sign_in_attempts_are_throttled_per_address,
    only_permitted_roles_read_the_audit_trail,
    service_tokens_authenticate_integrations,
    no_credential_reaches_the_trail_or_the_store,
    password_hashes_verify_with_an_independent_argon2,
    officers_end_sessions_only_after_step_up,
    officers_unlock_and_disable_others_but_not_themselves,
    accounts_unused_for_ninety_days_are_disabled,
    a_recovery_code_signs_in_once,
    access_reviews_are_reported_and_signed_off,
    admins_add_validated_policies_that_persist,
    restricted_roles_work_only_from_their_networks,
    a_session_is_refused_once_its_network_is_not_allowed,
    behind_a_trusted_proxy_the_forwarded_address_counts,
    a_policy_added_on_another_node_takes_effect_here,
    roles_that_need_a_device_sign_in_only_from_an_enrolled_one,
);

/// `auth.device_required_roles`: an agent signs in only from a device enrolled with
/// a single-use code an officer issued; revoking the device ends its sessions.
async fn roles_that_need_a_device_sign_in_only_from_an_enrolled_one(db: TestDatabase) {
    let server =
        TestServer::start_on(db, &[("CUSTOS_AUTH__DEVICE_REQUIRED_ROLES", "[\"agent\"]")]).await;
    let dora = create_person(&server, "dora", Role::Agent).await;
    let otto = create_person(&server, "otto", Role::SecurityOfficer).await;
    assert_eq!(
        error_code(login(&server, "dora", PASSWORD).await).await,
        (403, "device_not_enrolled".to_owned())
    );
    let otto_token = sign_in(&server, "otto", &otto).await; // officers need no device
    let issued = server
        .client()
        .post(server.url("/api/v1/users/dora/device-codes"))
        .bearer_auth(&otto_token)
        .send()
        .await
        .unwrap();
    assert_eq!(issued.status(), 201);
    let code = issued.json::<Value>().await.unwrap()["code"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(code.starts_with("cus_e_"));

    let enrol = |username: &'static str, code: String| {
        post(
            &server,
            "/api/v1/auth/devices/enrol",
            json!({ "username": username, "code": code, "name": "laptop-7" }),
        )
    };
    assert_eq!(
        enrol("otto", code.clone()).await.status(),
        422,
        "another person's code"
    );
    let enrolled = enrol("dora", code.clone()).await;
    assert_eq!(enrolled.status(), 201);
    let cookie = enrolled.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("__Host-custos_device=cus_d_") && cookie.contains("HttpOnly"));
    let device_token = enrolled.json::<Value>().await.unwrap()["device_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(enrol("dora", code).await.status(), 422, "single use");

    // With the device, the sign-in goes on to the second factor.
    server.clock().advance(time::Duration::seconds(31));
    let step: Value = post(
        &server,
        "/api/v1/auth/login",
        json!({ "username": "dora", "password": PASSWORD, "device_token": device_token }),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(step["status"], "mfa_required", "{step}");
    let done = post(
        &server,
        "/api/v1/auth/mfa/totp",
        json!({ "mfa_token": step["mfa_token"], "code": totp(&server, &dora) }),
    )
    .await;
    assert_eq!(done.status(), 200);
    let dora_token = done.json::<Value>().await.unwrap()["session_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let devices: Value = get_as(&server, "/api/v1/users/dora/devices", &dora_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(devices.as_array().unwrap().len(), 1);
    assert!(devices[0]["last_seen_at"].is_string());
    let device_id = devices[0]["id"].as_str().unwrap().to_owned();
    let trail = trail_text(&server).await;
    let trail: Vec<&str> = trail.lines().collect();
    assert!(
        trail
            .iter()
            .any(|e| e.contains("auth.mfa") && e.contains(&device_id)),
        "the device is in the trail"
    );
    assert!(trail.iter().any(|e| e.contains("device.code_issue")));
    assert!(
        !trail.iter().any(|e| e.contains(&device_token)),
        "never the token"
    );

    // Revoked: the session from it ends, and the token no longer counts.
    let revoked = server
        .client()
        .delete(server.url(&format!("/api/v1/devices/{device_id}")))
        .bearer_auth(&otto_token)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 204);
    assert_eq!(
        get_as(&server, "/api/v1/me", &dora_token).await.status(),
        401
    );
    let again = post(
        &server,
        "/api/v1/auth/login",
        json!({ "username": "dora", "password": PASSWORD, "device_token": device_token }),
    )
    .await;
    assert_eq!(
        error_code(again).await,
        (403, "device_not_enrolled".to_owned())
    );
    server.stop().await;
}

/// A policy stored by another node (here: straight into the store) is picked up by
/// the periodic reload, and decisions follow it.
async fn a_policy_added_on_another_node_takes_effect_here(db: TestDatabase) {
    let server = TestServer::start_on(db, &[]).await;
    let agent = create_person(&server, "agnes", Role::Agent).await;
    create_person(&server, "adam", Role::Admin).await;
    let token = sign_in(&server, "agnes", &agent).await;
    assert_eq!(
        get_as(&server, "/api/v1/policies", &token).await.status(),
        403
    );
    let state = server.server().state();
    let admin = state.store().user_by_name("adam").await.unwrap().unwrap();
    let text = "permit (principal is Custos::Person, action == Custos::Action::\"policy.read\", \
                resource is Custos::PolicyStore) when { principal.role == \"agent\" };";
    state
        .store()
        .add_policy("agents-read-policies", text, admin.id, 0)
        .await
        .unwrap();
    assert_eq!(
        get_as(&server, "/api/v1/policies", &token).await.status(),
        403,
        "not yet reloaded"
    );
    custos_server::server::reload_shared_state(state).await;
    assert_eq!(
        get_as(&server, "/api/v1/policies", &token).await.status(),
        200
    );
    server.stop().await;
}

/// Behind `server.trusted_proxies`, the client is the right-most forwarded address
/// that is not a proxy: it is what network rules check and what the trail records.
/// A header sent by anyone else is ignored.
async fn behind_a_trusted_proxy_the_forwarded_address_counts(db: TestDatabase) {
    let server = TestServer::start_on(
        db,
        &[
            ("CUSTOS_SERVER__TRUSTED_PROXIES", "[\"127.0.0.1\"]"),
            (
                "CUSTOS_AUTH__ALLOWED_NETWORKS",
                "{ agent = [\"203.0.113.0/24\"] }",
            ),
        ],
    )
    .await;
    create_person(&server, "vera", Role::Agent).await;
    let login_from = |forwarded: &'static str| {
        server
            .client()
            .post(server.url("/api/v1/auth/login"))
            .header("x-forwarded-for", forwarded)
            .json(&json!({ "username": "vera", "password": PASSWORD }))
            .send()
    };
    // Through the proxy from the agents' network: allowed, even with a forged first hop.
    let step = login_from("198.51.100.7, 203.0.113.9").await.unwrap();
    assert_eq!(step.status(), 200);
    // From outside it: refused.
    assert_eq!(
        error_code(login_from("198.51.100.7").await.unwrap()).await,
        (403, "network_not_allowed".to_owned())
    );
    let trail = trail_text(&server).await;
    let trail: Vec<&str> = trail.lines().collect();
    assert!(
        trail
            .iter()
            .any(|e| e.contains("auth.password") && e.contains("203.0.113.9"))
    );
    assert!(
        trail
            .iter()
            .any(|e| e.contains("network_not_allowed") && e.contains("\"ip\":\"198.51.100.7\"")),
        "the refused address is recorded"
    );
    server.stop().await;
}
