//! `custos user add|disable` and `custos token create|revoke` against a running server.

use std::process::{Command, Stdio};

use custos_testkit::client_trusting;
use serde_json::{Value, json};

use crate::custos;
use crate::serve::serve;

const PASSWORD: &str = "violet-kettle-47-harbor";

fn user_add(
    data: &std::path::Path,
    username: &str,
    role: &str,
    password: &str,
) -> (Option<i32>, String, String) {
    let mut child = custos()
        .args([
            "user",
            "add",
            "--username",
            username,
            "--role",
            role,
            "--password-stdin",
            "--json",
            "--data-dir",
        ])
        .arg(data)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    crate::feed_stdin(&mut child, format!("{password}\n").as_bytes());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn totp_now(secret: &str) -> String {
    let out = Command::new("oathtool")
        .args(["--totp", "-b", secret])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_and_tokens_are_managed_while_the_server_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let serving = serve(&data, &[]).await;
    let client = client_trusting(&data.join("tls/cert.pem"));
    let url = |path: &str| format!("{}{path}", serving.base_url);

    let (code, out, err) = user_add(&data, "alice", "agent", PASSWORD);
    assert_eq!(code, Some(0), "{err}");
    let created: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (created["username"].as_str(), created["role"].as_str()),
        (Some("alice"), Some("agent"))
    );
    let uri = created["totp_uri"].as_str().unwrap();
    assert!(
        uri.starts_with("otpauth://totp/Custos:alice?secret="),
        "{uri}"
    );
    assert_eq!(created["recovery_codes"].as_array().unwrap().len(), 10);
    let secret = uri
        .split("secret=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();

    let step: Value = client
        .post(url("/api/v1/auth/login"))
        .json(&json!({ "username": "alice", "password": PASSWORD }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let done: Value = client
        .post(url("/api/v1/auth/mfa/totp"))
        .json(&json!({ "mfa_token": step["mfa_token"], "code": totp_now(&secret) }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let session = done["session_token"]
        .as_str()
        .expect("signed in")
        .to_owned();
    let me = client
        .get(url("/api/v1/me"))
        .bearer_auth(&session)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);

    let disabled = custos()
        .args(["user", "disable", "alice", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(disabled.status.success());
    let me = client
        .get(url("/api/v1/me"))
        .bearer_auth(&session)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 401, "disabling ends the session at once");

    let token = custos()
        .args([
            "token",
            "create",
            "--name",
            "crm-prod",
            "--role",
            "integration",
            "--json",
            "--data-dir",
        ])
        .arg(&data)
        .output()
        .unwrap();
    assert!(token.status.success());
    let token: Value = serde_json::from_slice(&token.stdout).unwrap();
    let me: Value = client
        .get(url("/api/v1/me"))
        .bearer_auth(token["token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (me["kind"].as_str(), me["name"].as_str()),
        (Some("service"), Some("crm-prod"))
    );

    // Revoked by name from the command line: the integration's next request fails.
    let revoke = |name: &str| {
        custos()
            .args(["token", "revoke", "--name", name, "--data-dir"])
            .arg(&data)
            .output()
            .unwrap()
    };
    let revoked = revoke("crm-prod");
    assert!(
        revoked.status.success(),
        "{}",
        String::from_utf8_lossy(&revoked.stderr)
    );
    let refused = client
        .get(url("/api/v1/me"))
        .bearer_auth(token["token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    assert_eq!(revoke("crm-prod").status.code(), Some(2), "already revoked");
    let unknown = revoke("no-such-token");
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no service token is named"));
    serving.terminate().await;

    let verify = custos()
        .args(["audit", "verify", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(
        verify.status.code(),
        Some(0),
        "CLI and server appended to one chain: {}",
        String::from_utf8_lossy(&verify.stdout)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_accounts_are_refused_with_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    serve(&data, &[]).await.terminate().await;
    let (code, _, err) = user_add(&data, "bob", "agent", "password1234");
    assert_eq!(code, Some(2));
    assert!(err.contains("too common"), "{err}");
    let (code, _, err) = user_add(&data, "bob", "root", PASSWORD);
    assert_eq!(code, Some(2));
    assert!(err.contains("unknown role"), "{err}");
    let (code, _, _) = user_add(&data, "bob", "integration", PASSWORD);
    assert_eq!(code, Some(2), "service roles are for tokens");
    assert_eq!(user_add(&data, "bob", "auditor", PASSWORD).0, Some(0));
    let (code, _, err) = user_add(&data, "bob", "auditor", PASSWORD);
    assert_eq!(code, Some(2));
    assert!(err.contains("already exists"), "{err}");
    let missing = custos()
        .args(["user", "disable", "nobody", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
}
