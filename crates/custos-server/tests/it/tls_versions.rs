//! Only TLS 1.2 and 1.3 are spoken; checked with an independent client (openssl).

use std::process::{Command, Stdio};

use custos_testkit::{Backend, TestServer};

/// Runs `openssl s_client` with `flags` and reports the protocol it negotiated, if any.
fn negotiated(port: u16, flags: &[&str]) -> Option<String> {
    let output = Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            &format!("127.0.0.1:{port}"),
            "-servername",
            "localhost",
        ])
        .args(flags)
        .stdin(Stdio::null())
        .output()
        .expect("openssl is installed (scripts/test installs it)");
    let text = String::from_utf8_lossy(&output.stdout);
    // "New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384", or "New, (NONE), Cipher is (NONE)"
    // when the handshake failed. (The "Protocol :" lines depend on session-ticket timing.)
    let line = text.lines().find(|l| l.starts_with("New, "))?;
    let mut fields = line.trim_start_matches("New, ").split(", Cipher is ");
    let protocol = fields.next()?;
    let cipher = fields.next()?;
    (cipher != "(NONE)").then(|| protocol.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_1_2_and_1_3_only() {
    let server = TestServer::start(Backend::Sqlite).await.unwrap();
    let port = server.server().local_addr().port();
    let results = tokio::task::spawn_blocking(move || {
        [
            negotiated(port, &["-tls1_3"]),
            negotiated(port, &["-tls1_2"]),
            negotiated(port, &["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"]),
            negotiated(port, &["-tls1", "-cipher", "DEFAULT@SECLEVEL=0"]),
        ]
    })
    .await
    .unwrap();
    assert_eq!(results[0].as_deref(), Some("TLSv1.3"));
    assert_eq!(results[1].as_deref(), Some("TLSv1.2"));
    assert_eq!(results[2], None, "TLS 1.1 must be refused");
    assert_eq!(results[3], None, "TLS 1.0 must be refused");
    server.stop().await;
}
