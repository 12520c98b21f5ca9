//! Settings changed at run time through the API: administrators change sessions,
//! retention and masking within the configuration's limits; the change applies at
//! once (to open sessions and to masked reads), is in the trail with its old and
//! new values, survives a restart, and can be undone back to the file's value.

use custos_auth::role::Role;
use custos_store::{AccountStore as _, SettingRecord};
use custos_testkit::{TestDatabase, TestServer};
use serde_json::{Value, json};

use crate::auth::{create_person, get_as, sign_in};
use crate::vault::{create_customer, send, service_token, trail_text};

async fn settings(server: &TestServer, token: &str) -> Value {
    let response = get_as(server, "/api/v1/settings", token).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn setting<'a>(listed: &'a Value, name: &str) -> &'a Value {
    listed["settings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("{name} is listed"))
}

async fn patch(server: &TestServer, token: &str, body: Value) -> (u16, Value) {
    let response = send(
        server,
        reqwest::Method::PATCH,
        "/api/v1/settings",
        token,
        Some(body),
    )
    .await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn digits(text: &str) -> usize {
    text.chars().filter(char::is_ascii_digit).count()
}

async fn administrators_change_settings_that_apply_at_once(db: TestDatabase) {
    let server = TestServer::start_on(db, &[]).await;
    let admin = create_person(&server, "ana", Role::Admin).await;
    let auditor = create_person(&server, "aud", Role::Auditor).await;
    let agent = create_person(&server, "amy", Role::Agent).await;
    let admin_token = sign_in(&server, "ana", &admin).await;
    let auditor_token = sign_in(&server, "aud", &auditor).await;
    let agent_token = sign_in(&server, "amy", &agent).await;
    let integration = service_token(&server, Role::Integration).await;
    let (customer, created) = create_customer(
        &server,
        &integration,
        json!({ "name": "Jane Q Doe", "phone": "+1 (555) 010-4477",
                "card": { "number": "4111 1111 1111 1111", "expiry": "07/2031" } }),
    )
    .await;
    assert_eq!(created["card"]["bin"], "411111");
    let customer_path = format!("/api/v1/customers/{customer}");

    // Read by administrators and auditors; the file's values, nothing changed.
    let listed = settings(&server, &auditor_token).await;
    assert_eq!(listed["profile"], "pci");
    assert_eq!(listed["settings"].as_array().unwrap().len(), 7 + 9 * 3);
    let idle = setting(&listed, "session.idle_timeout_secs");
    assert_eq!(
        (&idle["value"], &idle["file_value"]),
        (&json!(900), &json!(900))
    );
    assert!(idle.get("changed_by").is_none());
    assert_eq!(
        setting(&listed, "masking.phone.servicing")["choices"],
        json!(["last_four", "last_two", "hidden"])
    );
    for token in [&agent_token, &integration] {
        assert_eq!(
            get_as(&server, "/api/v1/settings", token).await.status(),
            403
        );
    }

    // Outside the rules: refused whole, with the reason, and nothing changes.
    for (body, reason) in [
        (
            json!({ "session.idle_timeout_secs": 1800 }),
            "PCI DSS 8.2.8",
        ),
        (json!({ "auth.lockout_threshold": 0 }), "at least 1"),
        (json!({ "audit.retention_days": 30 }), "PCI DSS 10.5.1"),
        (
            json!({ "masking.ssn.servicing": "full" }),
            "must be one of last_four, hidden",
        ),
        (
            json!({ "conversations.keep_raw": ["fax"] }),
            "not voice, chat or email",
        ),
        (
            json!({ "session.idle_timeout_secs": "soon" }),
            "whole number",
        ),
        (json!({ "listen": "0.0.0.0:1" }), "not a setting"),
        (
            json!({ "session.idle_timeout_secs": 600, "session.absolute_timeout_secs": 300 }),
            "must not be shorter",
        ),
    ] {
        let (status, answer) = patch(&server, &admin_token, body.clone()).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(answer["error"]["code"], "invalid_settings");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.contains(reason), "{body}: {message}");
    }
    for token in [&auditor_token, &agent_token, &integration] {
        let (status, _) = patch(&server, token, json!({ "session.idle_timeout_secs": 600 })).await;
        assert_eq!(status, 403);
    }
    assert_eq!(settings(&server, &auditor_token).await, listed);
    assert!(!trail_text(&server).await.contains("settings.change"));

    // A change within the rules applies at once.
    let (status, answer) = patch(
        &server,
        &admin_token,
        json!({
            "session.idle_timeout_secs": 300,
            "masking.phone.integration": "last_two",
            "masking.card_number.integration": "last_four",
            "conversations.keep_raw": ["chat"],
            "audit.retention_days": 365,
        }),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let mut changed: Vec<&str> = answer["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    changed.sort_unstable();
    assert_eq!(
        changed,
        [
            "conversations.keep_raw",
            "masking.card_number.integration",
            "masking.phone.integration",
            "session.idle_timeout_secs",
        ],
        "the retention already was 365 days"
    );
    let idle = setting(&answer, "session.idle_timeout_secs");
    assert_eq!(
        (&idle["value"], &idle["file_value"]),
        (&json!(300), &json!(900))
    );
    assert_eq!(idle["changed_by"], "ana");
    assert!(
        setting(&answer, "audit.retention_days")
            .get("changed_by")
            .is_none()
    );

    let read: Value = get_as(&server, &customer_path, &integration)
        .await
        .json()
        .await
        .unwrap();
    let phone = read["phone"].as_str().unwrap();
    assert_eq!(digits(phone), 2, "{phone}");
    assert!(read["card"]["bin"].is_null(), "{}", read["card"]);
    assert_eq!(read["card"]["last4"], "1111");

    // Open sessions follow the new idle timeout.
    server.clock().advance(time::Duration::seconds(301));
    assert_eq!(
        get_as(&server, "/api/v1/me", &agent_token).await.status(),
        401
    );

    let trail = trail_text(&server).await;
    let event = trail
        .lines()
        .find(|l| l.contains("\"action\":\"settings.change\""))
        .expect("the change is in the trail");
    assert!(
        event.contains("\"ana\"") && event.contains("900 -> 300"),
        "{event}"
    );
    assert!(
        event.contains("\\\"last_four\\\" -> \\\"last_two\\\""),
        "{event}"
    );

    // Undone: back to the file's value; the other changes stay.
    let admin_token = sign_in(&server, "ana", &admin).await;
    let (status, answer) = patch(
        &server,
        &admin_token,
        json!({ "session.idle_timeout_secs": null, "masking.phone.integration": "last_four" }),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let idle = setting(&answer, "session.idle_timeout_secs");
    assert_eq!(idle["value"], 900);
    assert!(idle.get("changed_by").is_none());
    let phone = setting(&answer, "masking.phone.integration");
    assert!(phone.get("changed_by").is_none(), "the file's value again");
    // The same patch again changes nothing and records nothing more.
    let before = trail_text(&server).await.matches("settings.change").count();
    let (status, answer) = patch(
        &server,
        &admin_token,
        json!({ "session.idle_timeout_secs": null }),
    )
    .await;
    assert_eq!(status, 200);
    assert!(answer.get("changed").is_none(), "{answer}");
    assert_eq!(
        trail_text(&server).await.matches("settings.change").count(),
        before
    );

    // The changes outlive a restart.
    let later = time::OffsetDateTime::now_utc() + time::Duration::hours(1);
    let db = server.stop_keeping_database().await;
    let server = TestServer::start_on_at(db, &[], later.replace_nanosecond(0).unwrap()).await;
    let auditor_token = sign_in(&server, "aud", &auditor).await;
    let listed = settings(&server, &auditor_token).await;
    assert_eq!(
        setting(&listed, "masking.card_number.integration")["value"],
        "last_four"
    );
    assert_eq!(
        setting(&listed, "conversations.keep_raw")["value"],
        json!(["chat"])
    );
    assert_eq!(setting(&listed, "session.idle_timeout_secs")["value"], 900);
    let integration = service_token(&server, Role::Integration).await;
    let read: Value = get_as(&server, &customer_path, &integration)
        .await
        .json()
        .await
        .unwrap();
    assert!(read["card"]["bin"].is_null(), "{}", read["card"]);
    server.stop().await;
}

async fn stored_changes_outside_the_rules_are_ignored_until_removed(db: TestDatabase) {
    let server = TestServer::start_on(db, &[]).await;
    let state = server.server().state();
    // As if stored under the `custom` profile, before the file said `pci`.
    let row = |name: &str, value: &str| SettingRecord {
        name: name.into(),
        value: value.into(),
        changed_by: "old-admin".into(),
        changed_at: 1_800_000_000,
    };
    state
        .store()
        .change_settings(
            &[],
            &[
                row("session.idle_timeout_secs", "1800"),
                row("masking.phone.servicing", "\"last_two\""),
            ],
        )
        .await
        .unwrap();
    state.settings().reload(state.store()).await.unwrap();
    let admin = create_person(&server, "ana", Role::Admin).await;
    let admin_token = sign_in(&server, "ana", &admin).await;

    // The file's value applies and the stored one is shown as ignored; the other
    // stored change applies.
    let listed = settings(&server, &admin_token).await;
    let idle = setting(&listed, "session.idle_timeout_secs");
    assert_eq!(
        (&idle["value"], &idle["ignored_value"], &idle["changed_by"]),
        (&json!(900), &json!(1800), &json!("old-admin"))
    );
    assert_eq!(
        setting(&listed, "masking.phone.servicing")["value"],
        "last_two"
    );
    assert!(
        setting(&listed, "masking.phone.servicing")
            .get("ignored_value")
            .is_none()
    );

    // While it is stored, any change is refused, naming it; removing it works.
    let (status, answer) = patch(
        &server,
        &admin_token,
        json!({ "masking.email.servicing": "domain_only" }),
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("session.idle_timeout_secs"),
        "{answer}"
    );
    let (status, answer) = patch(
        &server,
        &admin_token,
        json!({ "session.idle_timeout_secs": null }),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["changed"], json!(["session.idle_timeout_secs"]));
    let idle = setting(&answer, "session.idle_timeout_secs");
    assert!(idle.get("ignored_value").is_none() && idle.get("changed_by").is_none());
    let names: Vec<String> = state
        .store()
        .settings()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(names, ["masking.phone.servicing"]);
    let trail = trail_text(&server).await;
    let event = trail
        .lines()
        .find(|l| l.contains("\"action\":\"settings.change\""))
        .expect("the removal is in the trail");
    assert!(event.contains("1800 -> 900"), "{event}");
    server.stop().await;
}

custos_testkit::test_on_both_stores!(
    administrators_change_settings_that_apply_at_once,
    stored_changes_outside_the_rules_are_ignored_until_removed,
);
