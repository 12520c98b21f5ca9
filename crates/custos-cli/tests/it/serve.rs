//! `custos serve` as a process: first start, second start, signals, PostgreSQL.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use custos_testkit::{Backend, TestDatabase, client_trusting};
use tokio::io::{AsyncBufReadExt as _, BufReader, Lines};
use tokio::process::{Child, ChildStdout};

/// A `custos serve` child process and what it printed before it was ready.
pub(crate) struct Serving {
    child: Child,
    pub(crate) stdout: Lines<BufReader<ChildStdout>>,
    pub(crate) printed: Vec<String>,
    pub(crate) base_url: String,
}

pub(crate) async fn serve(data_dir: &Path, extra: &[&str]) -> Serving {
    serve_with_env(data_dir, extra, &[]).await
}

pub(crate) async fn serve_with_env(
    data_dir: &Path,
    extra: &[&str],
    env: &[(&str, &str)],
) -> Serving {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_custos"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .args(extra)
        .env("CUSTOS_LOG__FORMAT", "json")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    let base_url = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let line = stdout
                .next_line()
                .await
                .unwrap()
                .expect("server exited before listening");
            printed.push(line.clone());
            if let Some(url) = line.strip_prefix("Custos is listening on ") {
                return url.to_owned();
            }
        }
    })
    .await
    .expect("server listens within a minute");
    // The setup link, if any, follows the listening line.
    if let Ok(Ok(Some(line))) =
        tokio::time::timeout(Duration::from_secs(5), stdout.next_line()).await
    {
        printed.push(line);
        if let Ok(Ok(Some(link))) =
            tokio::time::timeout(Duration::from_secs(5), stdout.next_line()).await
        {
            printed.push(link);
        }
    }
    Serving {
        child,
        stdout,
        printed,
        base_url,
    }
}

impl Serving {
    fn setup_link(&self) -> Option<&str> {
        self.printed
            .iter()
            .find_map(|l| l.trim().strip_prefix("https://").map(|_| l.trim()))
    }

    /// Sends SIGTERM and expects a clean exit.
    pub(crate) async fn terminate(mut self) {
        let pid = self.child.id().unwrap();
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let exit = tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .expect("exits within the grace period")
            .unwrap();
        assert!(exit.success(), "graceful shutdown exits 0, got {exit:?}");
        let mut rest = Vec::new();
        while let Ok(Some(line)) = self.stdout.next_line().await {
            rest.push(line);
        }
        assert!(rest.iter().any(|l| l.contains("Shutting down")), "{rest:?}");
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_start_initializes_and_second_start_reuses() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");

    let first = serve(&data, &[]).await;
    assert!(
        first.printed.iter().any(|l| l.starts_with("Initialized")),
        "{:?}",
        first.printed
    );
    let link = first
        .setup_link()
        .expect("a one-time setup link is printed")
        .to_owned();
    assert!(link.contains("/setup#token="), "{link}");
    assert_eq!(mode(&data), 0o700);
    for secret in ["root.key", "audit-signing.key", "tls/key.pem"] {
        assert_eq!(mode(&data.join(secret)), 0o600, "{secret}");
    }
    assert!(data.join("custos.db").exists());

    let client = client_trusting(&data.join("tls/cert.pem"));
    let health = client
        .get(format!("{}/healthz", first.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    assert!(health.headers().contains_key("strict-transport-security"));
    let root_key = std::fs::read(data.join("root.key")).unwrap();
    let cert = std::fs::read(data.join("tls/cert.pem")).unwrap();
    first.terminate().await;

    let second = serve(&data, &[]).await;
    assert!(
        !second.printed.iter().any(|l| l.starts_with("Initialized")),
        "the second start reuses everything: {:?}",
        second.printed
    );
    assert_eq!(std::fs::read(data.join("root.key")).unwrap(), root_key);
    assert_eq!(std::fs::read(data.join("tls/cert.pem")).unwrap(), cert);
    let second_link = second.setup_link().expect("setup still pending").to_owned();
    assert_ne!(second_link, link, "a fresh link replaces the old one");
    let ready = client
        .get(format!("{}/readyz", second.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    second.terminate().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_loose_root_key_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    serve(&data, &[]).await.terminate().await;
    std::fs::set_permissions(
        data.join("root.key"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let output = crate::custos()
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("chmod 600"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_on_postgres_with_database_url() {
    let Some(db) = TestDatabase::create(Backend::Postgres).await else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let url = db.url().expose_secret().to_owned();
    let serving = serve(&data, &["--database-url", &url]).await;
    assert!(
        !data.join("custos.db").exists(),
        "no embedded database when PostgreSQL is used"
    );
    let client = client_trusting(&data.join("tls/cert.pem"));
    let ready: serde_json::Value = client
        .get(format!("{}/readyz", serving.base_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["store"], "postgres");
    serving.terminate().await;
    db.cleanup().await;
}

/// Every line printed so far and then up to one containing `marker` (bounded).
async fn read_until(serving: &mut Serving, marker: &str) -> Vec<String> {
    let mut lines = serving.printed.clone();
    if lines.iter().any(|l| l.contains(marker)) {
        return lines;
    }
    tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = serving.stdout.next_line().await.unwrap() {
            let done = line.contains(marker);
            lines.push(line);
            if done {
                break;
            }
        }
    })
    .await
    .expect("the marker is printed within a minute");
    lines
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_seeds_people_of_every_role_once() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut first = serve(&data, &["--demo"]).await;
    let lines = read_until(&mut first, "open interactions").await;
    let text = lines.join("\n");
    assert!(text.contains("5 customers, 5 open interactions"), "{text}");
    for role in [
        "admin",
        "security_officer",
        "auditor",
        "supervisor",
        "agent",
        "integration",
        "payment_service",
    ] {
        assert!(
            text.contains(&format!(" {role} ")),
            "{role} missing:\n{text}"
        );
    }
    // Sign in as the seeded security officer with the printed password and TOTP secret.
    let password_line = lines
        .iter()
        .find(|l| l.trim_start().starts_with("olivia.officer"))
        .unwrap();
    let password = password_line
        .split("password ")
        .nth(1)
        .unwrap()
        .trim()
        .to_owned();
    let totp_line = lines
        .iter()
        .skip_while(|l| !l.contains("olivia.officer"))
        .nth(1)
        .unwrap();
    let secret = totp_line
        .split("secret=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();
    let client = client_trusting(&data.join("tls/cert.pem"));
    let step: serde_json::Value = client
        .post(format!("{}/api/v1/auth/login", first.base_url))
        .json(&serde_json::json!({ "username": "olivia.officer", "password": password }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let code = std::process::Command::new("oathtool")
        .args(["--totp", "-b", &secret])
        .output()
        .unwrap();
    let code = String::from_utf8(code.stdout).unwrap().trim().to_owned();
    let done = client
        .post(format!("{}/api/v1/auth/mfa/totp", first.base_url))
        .json(&serde_json::json!({ "mfa_token": step["mfa_token"], "code": code }))
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200);
    // The demo integration finds a seeded customer by phone, without decrypting anything.
    let ccaas = lines
        .iter()
        .find(|l| l.trim_start().starts_with("demo-ccaas"))
        .and_then(|l| l.split("token ").nth(1))
        .unwrap()
        .trim()
        .to_owned();
    let found: serde_json::Value = client
        .post(format!("{}/api/v1/customers/search", first.base_url))
        .bearer_auth(&ccaas)
        .json(&serde_json::json!({ "field": "phone", "value": "(415) 555-0132" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        found["customers"].as_array().map(Vec::len),
        Some(1),
        "{found}"
    );
    first.terminate().await;

    let mut second = serve(&data, &["--demo"]).await;
    let more = read_until(&mut second, "--demo").await;
    assert!(
        more.iter().any(|l| l.contains("nothing seeded")),
        "{more:?}"
    );
    second.terminate().await;
}

/// A stop request right after start-up still shuts down gracefully (exit 0): the
/// signal handlers are in place before the server says it is listening.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_right_after_start_is_graceful() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    for _ in 0..5 {
        serve(&data, &[]).await.terminate().await;
    }
}

/// A start that must fail: its exit code and what it wrote to stderr.
async fn failed_start(data_dir: &Path, env: &[(&str, &str)]) -> (Option<i32>, String) {
    let run = tokio::process::Command::new(env!("CARGO_BIN_EXE_custos"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("a refused start exits")
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The root key from the environment or a passphrase: nothing of it is written to
/// the data directory (a salt for the passphrase), and a different root is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_root_key_can_come_from_the_environment_or_a_passphrase() {
    let tmp = tempfile::tempdir().unwrap();
    let key_a = "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="; // 32 bytes, base64
    let key_b = "QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI=";
    let data = tmp.path().join("env");
    let env_a = [
        ("CUSTOS_KEYS__ROOT_SOURCE", "env"),
        ("CUSTOS_ROOT_KEY", key_a),
    ];
    serve_with_env(&data, &[], &env_a).await.terminate().await;
    assert!(!data.join("root.key").exists(), "no root key on disk");
    serve_with_env(&data, &[], &env_a).await.terminate().await;
    let (code, stderr) = failed_start(
        &data,
        &[
            ("CUSTOS_KEYS__ROOT_SOURCE", "env"),
            ("CUSTOS_ROOT_KEY", key_b),
        ],
    )
    .await;
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot be unwrapped with this root key"),
        "{stderr}"
    );
    assert!(!stderr.contains(key_b) && !stderr.contains(key_a));
    let (code, stderr) = failed_start(&data, &[("CUSTOS_KEYS__ROOT_SOURCE", "env")]).await;
    assert_eq!(code, Some(1));
    assert!(stderr.contains("CUSTOS_ROOT_KEY"), "{stderr}");

    let data = tmp.path().join("passphrase");
    let phrase = [
        ("CUSTOS_KEYS__ROOT_SOURCE", "passphrase"),
        ("CUSTOS_ROOT_PASSPHRASE", "correct horse battery staple"),
    ];
    serve_with_env(&data, &[], &phrase).await.terminate().await;
    assert!(!data.join("root.key").exists());
    assert!(data.join("root-key.salt").exists());
    serve_with_env(&data, &[], &phrase).await.terminate().await;
    let (code, stderr) = failed_start(
        &data,
        &[
            ("CUSTOS_KEYS__ROOT_SOURCE", "passphrase"),
            ("CUSTOS_ROOT_PASSPHRASE", "wrong horse battery staple"),
        ],
    )
    .await;
    assert_eq!(code, Some(1), "{stderr}");
    assert!(!stderr.contains("wrong horse"), "{stderr}");
}
