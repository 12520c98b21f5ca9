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

#[test]
fn forwarding_is_off_by_default_with_batches_of_500() {
    let config = load(None, vars(&[]), &CliOverrides::default()).unwrap();
    assert_eq!(config.audit.forward.syslog, None);
    assert!(config.audit.forward.http.is_none());
    assert_eq!(config.audit.forward.batch, 500);
    assert!(
        config
            .describe()
            .contains("audit forwarding  not configured")
    );
}

#[test]
fn syslog_forwarding_takes_only_tls_urls() {
    let config = load(
        None,
        vars(&[
            ("CUSTOS_AUDIT__SYSLOG_URL", "tls://siem.example.com:6514"),
            ("CUSTOS_AUDIT__SYSLOG_CA_FILE", "/etc/custos/siem-ca.pem"),
            ("CUSTOS_AUDIT__FORWARD_BATCH", "100"),
        ]),
        &CliOverrides::default(),
    )
    .unwrap();
    let syslog = config.audit.forward.syslog.as_ref().unwrap();
    assert_eq!(
        (syslog.host.as_str(), syslog.port),
        ("siem.example.com", 6514)
    );
    assert_eq!(
        syslog.ca_file.as_deref(),
        Some(std::path::Path::new("/etc/custos/siem-ca.pem"))
    );
    assert_eq!(config.audit.forward.batch, 100);
    let ipv6 = load_text("[audit]\nsyslog_url = \"tls://[::1]:6514\"\n", &[]).unwrap();
    assert_eq!(ipv6.audit.forward.syslog.unwrap().host, "::1");

    let refused = [
        "udp://siem.example.com:514",
        "tcp://siem.example.com:514",
        "siem.example.com:6514",
        "tls://siem.example.com",
        "tls://siem.example.com:0",
        "tls://siem.example.com:70000",
        "tls://:6514",
        "tls://siem.example.com:6514/path",
    ];
    for url in refused {
        let err = load_text(&format!("[audit]\nsyslog_url = \"{url}\"\n"), &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("audit.syslog_url"), "{url}: {err}");
    }
}

#[test]
fn http_forwarding_needs_https_and_a_token() {
    let base = "[audit]\nhttp_token = \"HecTok3n\"\n";
    for url in [
        "http://siem.example.com/services/collector/event",
        "ftp://siem.example.com/",
        "not a url",
        "https://user:pw@siem.example.com/services/collector/event",
    ] {
        let err = load_text(&format!("{base}http_url = \"{url}\"\n"), &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("audit.http_url"), "{url}: {err}");
        assert!(!err.contains("pw@"), "{err}");
    }
    let err = load_text(
        "[audit]\nhttp_url = \"https://siem.example.com/services/collector/event\"\n",
        &[],
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("audit.http_token: required"), "{err}");
    let err = load_text("[audit]\nhttp_token = \"HecTok3n\"\n", &[])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("audit.http_token: set without audit.http_url"),
        "{err}"
    );
    let err = load_text("[audit]\nsyslog_ca_file = \"/ca.pem\"\n", &[])
        .unwrap_err()
        .to_string();
    assert!(err.contains("audit.syslog_ca_file"), "{err}");
    for batch in ["0", "10001"] {
        let err = load_text(&format!("[audit]\nforward_batch = {batch}\n"), &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("audit.forward_batch"), "{err}");
    }
}

#[test]
fn the_siem_token_is_never_shown() {
    const TOKEN: &str = "HecCanary-5f1c2d9e";
    let config = load(
        None,
        vars(&[
            (
                "CUSTOS_AUDIT__HTTP_URL",
                "https://siem.example.com:8088/services/collector/event?channel=QueryCanary",
            ),
            ("CUSTOS_AUDIT__HTTP_TOKEN", TOKEN),
        ]),
        &CliOverrides::default(),
    )
    .unwrap();
    let http = config.audit.forward.http.as_ref().unwrap();
    assert_eq!(http.host(), "siem.example.com");
    assert!(config.describe().contains("HTTP (HEC) to siem.example.com"));
    for shown in [config.describe(), format!("{config:?}")] {
        assert!(!shown.contains(TOKEN), "{shown}");
        assert!(!shown.contains("QueryCanary"), "{shown}");
    }
    // A token that cannot be a header value is refused without being repeated.
    let err = load(
        None,
        vars(&[
            ("CUSTOS_AUDIT__HTTP_URL", "https://siem.example.com/"),
            ("CUSTOS_AUDIT__HTTP_TOKEN", "Hec Canary\u{7}"),
        ]),
        &CliOverrides::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("audit.http_token"), "{err}");
    assert!(!err.contains("Hec Canary"), "{err}");
}

#[test]
fn networks_per_role_from_file_and_environment() {
    let config = load_text(
        "[auth]\nallowed_networks = { agent = [\"10.8.0.0/16\", \"192.168.1.0/24\"] }\n",
        &[],
    )
    .unwrap();
    let agent = &config.allowed_networks[&custos_auth::role::Role::Agent];
    assert_eq!(agent.len(), 2);
    let from_env = load(
        None,
        vars(&[(
            "CUSTOS_AUTH__ALLOWED_NETWORKS",
            "{ supervisor = [\"127.0.0.0/8\"] }",
        )]),
        &CliOverrides::default(),
    )
    .unwrap();
    assert!(
        from_env
            .allowed_networks
            .contains_key(&custos_auth::role::Role::Supervisor)
    );
    for bad in [
        "{ agent = [\"10.8.0.0/33\"] }",
        "{ integration = [\"10.0.0.0/8\"] }",
        "{ agent = [] }",
    ] {
        let err = load_text(&format!("[auth]\nallowed_networks = {bad}\n"), &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("auth.allowed_networks"), "{bad}: {err}");
    }
}

#[test]
fn webhooks_need_https_and_a_secret_that_is_never_shown() {
    let secret = "hmac-secret-for-webhooks-0123456789ab";
    let config = load_text(
        &format!(
            "[notify]\nsms_webhook_url = \"https://sms.example.com/send\"\n\
             alert_webhook_url = \"http://127.0.0.1:9000/hook\"\nwebhook_secret = \"{secret}\"\n"
        ),
        &[],
    )
    .unwrap();
    assert_eq!(
        config.notify.sms_webhook.as_ref().map(|w| w.host()),
        Some("sms.example.com")
    );
    let shown = format!("{}\n{config:?}", config.describe());
    assert!(!shown.contains(secret), "{shown}");
    for (text, key) in [
        (
            "sms_webhook_url = \"http://sms.example.com/send\"",
            "notify.sms_webhook_url",
        ),
        (
            "alert_webhook_url = \"https://u:p@hooks.example.com/x\"",
            "notify.alert_webhook_url",
        ),
        (
            "sms_webhook_url = \"https://sms.example.com/send\"",
            "notify.webhook_secret",
        ),
        ("webhook_secret = \"short\"", "notify.webhook_secret"),
        ("alert_email = \"soc@example.com\"", "notify.alert_email"),
    ] {
        let err = load_text(&format!("[notify]\n{text}\n"), &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains(key), "{text}: {err}");
    }
}

#[test]
fn conversation_and_verification_settings_are_bounded() {
    let config = load_text("", &[]).unwrap();
    assert!(
        config.conversations.keep_raw.is_empty(),
        "raw content is dropped by default"
    );
    assert_eq!(config.conversations.idle_close, Duration::from_secs(7_200));
    assert_eq!(config.verification.code_ttl, Duration::from_secs(300));
    assert_eq!(config.verification.max_attempts, 5);
    assert_eq!(config.verification.questions, ["date_of_birth", "postcode"]);
    for (text, key) in [
        (
            "[conversations]\nkeep_raw = [\"fax\"]",
            "conversations.keep_raw",
        ),
        (
            "[conversations]\nidle_close_secs = 10",
            "conversations.idle_close_secs",
        ),
        (
            "[verification]\ncode_ttl_secs = 3600",
            "verification.code_ttl_secs",
        ),
        (
            "[verification]\nmax_attempts = 0",
            "verification.max_attempts",
        ),
        (
            "[verification]\nquestions = [\"mothers_maiden_name\"]",
            "verification.questions",
        ),
    ] {
        let err = load_text(text, &[]).unwrap_err().to_string();
        assert!(err.contains(key), "{text}: {err}");
    }
}
