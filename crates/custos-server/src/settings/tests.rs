//! The settings' names, values and rules.

use std::time::Duration;

use serde_json::json;

use super::*;
use crate::config::CliOverrides;
use crate::vault::fields::Field;
use crate::vault::masking::Audience;

fn config(profile: &str) -> Config {
    crate::config::load(
        None,
        vec![("CUSTOS_COMPLIANCE__PROFILE".to_owned(), profile.to_owned())],
        &CliOverrides::default(),
    )
    .unwrap()
}

fn change(value: Value) -> Change {
    Change {
        value,
        changed_by: "root".into(),
        changed_at: 1,
    }
}

#[test]
fn every_name_reads_back_and_strangers_do_not_parse() {
    let all = SettingName::all();
    assert_eq!(all.len(), 7 + 9 * 3);
    for name in all {
        assert_eq!(SettingName::parse(&name.to_string()), Some(name), "{name}");
    }
    for stranger in [
        "",
        "session",
        "masking.phone",
        "masking.pin.servicing",
        "masking.phone.root",
        "listen",
    ] {
        assert_eq!(SettingName::parse(stranger), None, "{stranger}");
    }
}

#[test]
fn values_round_trip_through_json() {
    let file = Settings::from_config(&config("pci"));
    let mut settings = file.clone();
    for name in SettingName::all() {
        let value = file.value(name);
        settings.set(name, &value).unwrap();
    }
    assert_eq!(settings, file);
    settings.set(SettingName::IdleTimeout, &json!(300)).unwrap();
    assert_eq!(settings.session.idle_timeout, Duration::from_secs(300));
    settings
        .set(
            SettingName::Masking(Field::Phone, Audience::Servicing),
            &json!("last_two"),
        )
        .unwrap();
    assert_eq!(
        settings
            .masking
            .mask(Field::Phone, "+15551234567", Audience::Servicing),
        "+*********67"
    );
}

#[test]
fn wrong_types_and_styles_are_refused_by_name() {
    let mut settings = Settings::from_config(&config("pci"));
    let before = settings.clone();
    for (name, value) in [
        (SettingName::IdleTimeout, json!("ten minutes")),
        (SettingName::IdleTimeout, json!(-5)),
        (SettingName::LockoutThreshold, json!(1.5)),
        (SettingName::KeepRaw, json!("chat")),
        (
            SettingName::Masking(Field::Ssn, Audience::Servicing),
            json!("full"),
        ),
        (
            SettingName::Masking(Field::CardNumber, Audience::Integration),
            json!("hidden"),
        ),
    ] {
        let problem = settings.set(name, &value).unwrap_err();
        assert!(problem.starts_with(&name.to_string()), "{problem}");
    }
    assert_eq!(settings, before);
}

#[test]
fn the_pci_profile_limits_hold_as_in_the_file() {
    let pci = Settings::from_config(&config("pci"));
    let over = |name: SettingName, value: Value| {
        resolve(
            &pci,
            ComplianceProfile::Pci,
            &Overrides::from([(name, change(value))]),
        )
    };
    for (name, value, why) in [
        (SettingName::IdleTimeout, json!(1_800), "8.2.8"),
        (SettingName::LockoutThreshold, json!(11), "8.3.4"),
        (SettingName::LockoutDuration, json!(60), "8.3.4"),
        (SettingName::AuditRetentionDays, json!(90), "10.5.1"),
        (SettingName::AbsoluteTimeout, json!(60), "shorter"),
        (SettingName::IdleClose, json!(10), "between 60"),
        (SettingName::KeepRaw, json!(["fax"]), "not voice"),
        (SettingName::KeepRaw, json!(["chat", "chat"]), "twice"),
    ] {
        let problems = over(name, value).unwrap_err();
        assert!(
            problems.iter().any(|p| p.contains(why)),
            "{name}: {problems:?}"
        );
    }
    // Outside PCI scope the sanity limits remain.
    let custom = resolve(
        &pci,
        ComplianceProfile::Custom,
        &Overrides::from([(SettingName::AuditRetentionDays, change(json!(90)))]),
    )
    .unwrap();
    assert_eq!(custom.audit_retention_days, 90);
    assert!(over(SettingName::IdleTimeout, json!(600)).is_ok());
}
