//! `custos config check`.

use std::io::Write;

use crate::custos;

fn config_file(text: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    file
}

#[test]
fn a_valid_file_passes_and_hides_secrets() {
    let file = config_file(
        "[server]\nlisten = \"127.0.0.1:9443\"\n\
         [storage]\ndatabase_url = \"postgres://custos:Pa55wordCanary@db.example/custos\"\n",
    );
    let output = custos()
        .args(["config", "check", "--config"])
        .arg(file.path())
        .env("CUSTOS_SESSION__IDLE_TIMEOUT_SECS", "600")
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("configuration is valid"), "{stdout}");
    assert!(stdout.contains("idle 600 s"), "{stdout}");
    assert!(
        stdout.contains("postgres://custos:***@db.example/custos"),
        "{stdout}"
    );
    assert!(!stdout.contains("Pa55wordCanary"), "{stdout}");
}

#[test]
fn an_unknown_key_is_named() {
    let file = config_file("[session]\nidle_timeout = 600\n");
    let output = custos()
        .args(["config", "check", "--config"])
        .arg(file.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("idle_timeout"), "{stderr}");
    assert!(stderr.contains("unknown field"), "{stderr}");
}

#[test]
fn an_unknown_environment_override_is_named() {
    let output = custos()
        .args(["config", "check"])
        .env("CUSTOS_AUTH__LOCKOUT", "5")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("CUSTOS_AUTH__LOCKOUT"), "{stderr}");
}

#[test]
fn pci_violations_are_explained() {
    let output = custos()
        .args(["config", "check"])
        .env("CUSTOS_AUTH__LOCKOUT_THRESHOLD", "50")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("PCI DSS 8.3.4"), "{stderr}");
}

#[test]
fn a_missing_file_is_reported() {
    let output = custos()
        .args(["config", "check", "--config", "/nonexistent/custos.toml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8(output.stderr)
            .unwrap()
            .contains("/nonexistent/custos.toml")
    );
}
