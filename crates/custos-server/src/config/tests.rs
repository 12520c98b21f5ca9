//! Table-style tests of loading and validation.

use std::io::Write;
use std::time::Duration;

use super::*;

fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn file_with(text: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    file
}

fn load_text(text: &str, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let file = file_with(text);
    load(Some(file.path()), vars(env), &CliOverrides::default())
}

#[test]
fn defaults_follow_the_contract() {
    let config = load(None, vars(&[]), &CliOverrides::default()).unwrap();
    assert_eq!(config.session.idle_timeout, Duration::from_secs(900));
    assert_eq!(config.session.absolute_timeout, Duration::from_secs(43_200));
    assert_eq!(config.lockout.threshold, 10);
    assert_eq!(config.lockout.duration, Duration::from_secs(1_800));
    assert_eq!(config.profile, ComplianceProfile::Pci);
    assert_eq!(config.tls, TlsSource::SelfSigned);
    assert!(config.database_url.is_none());
}

#[test]
fn environment_overrides_the_file_and_flags_override_both() {
    let file =
        file_with("[server]\nlisten = \"127.0.0.1:9000\"\n[session]\nidle_timeout_secs = 600\n");
    let env = vars(&[
        ("CUSTOS_SESSION__IDLE_TIMEOUT_SECS", "300"),
        ("CUSTOS_SERVER__LISTEN", "127.0.0.1:9001"),
        ("UNRELATED", "x"),
        ("CUSTOS_NOSEPARATOR", "ignored"),
    ]);
    let cli = CliOverrides {
        listen: Some("127.0.0.1:9002".to_owned()),
        ..CliOverrides::default()
    };
    let config = load(Some(file.path()), env, &cli).unwrap();
    assert_eq!(config.session.idle_timeout, Duration::from_secs(300));
    assert_eq!(config.listen.port(), 9002);
}

#[test]
fn unknown_file_key_is_named() {
    let err = load_text("[session]\nidle_timeout = 300\n", &[])
        .unwrap_err()
        .to_string();
    assert!(err.contains("idle_timeout"), "{err}");
    assert!(err.contains("unknown field"), "{err}");
    let err = load_text("[sesion]\nidle_timeout_secs = 300\n", &[])
        .unwrap_err()
        .to_string();
    assert!(err.contains("sesion"), "{err}");
}

#[test]
fn unknown_environment_key_names_the_variable() {
    let err = load(
        None,
        vars(&[("CUSTOS_SESSION__IDLE_TIMEOUT", "300")]),
        &CliOverrides::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("CUSTOS_SESSION__IDLE_TIMEOUT"), "{err}");
    assert!(err.contains("session.idle_timeout"), "{err}");
}

#[test]
fn wrong_type_in_environment_is_refused() {
    let err = load(
        None,
        vars(&[("CUSTOS_AUTH__LOCKOUT_THRESHOLD", "ten")]),
        &CliOverrides::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("CUSTOS_AUTH__LOCKOUT_THRESHOLD"), "{err}");
}

#[test]
fn numeric_text_fits_a_string_key() {
    let config = load(
        None,
        vars(&[
            ("CUSTOS_LOG__LEVEL", "warn"),
            ("CUSTOS_SERVER__DATA_DIR", "123"),
        ]),
        &CliOverrides::default(),
    )
    .unwrap();
    assert_eq!(config.data_dir, std::path::PathBuf::from("123"));
}

#[test]
fn pci_limits_are_enforced_and_all_problems_listed() {
    let err = load_text(
        "[session]\nidle_timeout_secs = 3600\n[auth]\nlockout_threshold = 11\nlockout_secs = 60\n",
        &[],
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("session.idle_timeout_secs"), "{err}");
    assert!(err.contains("auth.lockout_threshold"), "{err}");
    assert!(err.contains("auth.lockout_secs"), "{err}");
}

#[test]
fn custom_profile_relaxes_pci_limits() {
    let config = load_text(
        "[compliance]\nprofile = \"custom\"\n[session]\nidle_timeout_secs = 3600\n[auth]\nlockout_threshold = 20\n",
        &[],
    )
    .unwrap();
    assert_eq!(config.lockout.threshold, 20);
}

#[test]
fn smtp_transport_rules() {
    let ok = [
        "smtps://mail.example.com:465",
        "smtp://mail.example.com:587?tls=starttls",
        "smtp://127.0.0.1:2525",
        "smtp://localhost:25",
    ];
    for url in ok {
        let text = format!("[notify]\nsmtp_url = \"{url}\"\nsmtp_from = \"custos@example.com\"\n");
        assert!(load_text(&text, &[]).is_ok(), "{url}");
    }
    let refused = [
        "smtp://mail.example.com:25",
        "http://mail.example.com",
        "smtps://",
    ];
    for url in refused {
        let text = format!("[notify]\nsmtp_url = \"{url}\"\nsmtp_from = \"custos@example.com\"\n");
        assert!(load_text(&text, &[]).is_err(), "{url}");
    }
}

#[test]
fn secrets_are_never_shown() {
    let config = load_text(
        "[storage]\ndatabase_url = \"postgres://custos:S3cretPassw0rd@db.example/custos\"\n\
         [notify]\nsmtp_url = \"smtps://mailer:MailS3cret@mail.example.com\"\nsmtp_from = \"c@example.com\"\n",
        &[],
    )
    .unwrap();
    for shown in [config.describe(), format!("{config:?}")] {
        assert!(!shown.contains("S3cretPassw0rd"), "{shown}");
        assert!(!shown.contains("MailS3cret"), "{shown}");
    }
    // A bad URL's error does not repeat it either.
    let err = load_text(
        "[notify]\nsmtp_url = \"smtp://u:MailS3cret@mail.example.com\"\n",
        &[],
    )
    .unwrap_err()
    .to_string();
    assert!(!err.contains("MailS3cret"), "{err}");
}

#[test]
fn tls_files_come_in_pairs() {
    let err = load_text("[tls]\ncert_file = \"/x.pem\"\n", &[])
        .unwrap_err()
        .to_string();
    assert!(err.contains("tls"), "{err}");
}
