//! The audit events of detection: a finding raised (OCSF Detection Finding 2004,
//! create), a response carried out or failed (2004, update: the remediation), and
//! an alert acknowledged, resolved or annotated by a person. Rule ids, accounts,
//! addresses and counts only.

use custos_audit::{Activity, Actor, AuditEvent, Outcome};
use uuid::Uuid;

/// A rule fired and an alert was raised.
pub fn finding_raised(
    time_ms: i64,
    alert: Uuid,
    rule: &str,
    severity: &str,
    actor: Option<&str>,
    source_ip: Option<&str>,
    events: usize,
) -> AuditEvent {
    let mut event = AuditEvent::new(
        time_ms,
        Activity::FindingCreate,
        "detection.finding",
        Outcome::Success,
        Actor::system(),
        "Detection rule fired",
    )
    .with_target("alert", Some(&alert.to_string()), None)
    .with_detail("rule", rule)
    .with_detail("severity", severity)
    .with_detail("events", &events.to_string());
    if let Some(actor) = actor {
        event = event.with_detail("subject", actor);
    }
    if let Some(ip) = source_ip {
        event = event.with_detail("source_ip", ip);
    }
    event
}

/// A response to a finding was carried out, or failed.
pub fn response_taken(
    time_ms: i64,
    alert: Uuid,
    rule: &str,
    response: &str,
    outcome: Outcome,
    status: &str,
) -> AuditEvent {
    AuditEvent::new(
        time_ms,
        Activity::FindingUpdate,
        "detection.response",
        outcome,
        Actor::system(),
        "Automatic response to a detection",
    )
    .with_target("alert", Some(&alert.to_string()), None)
    .with_detail("rule", rule)
    .with_detail("response", response)
    .with_status_detail(status)
}

/// A person changed an alert (acknowledged, resolved, added a note).
pub fn alert_changed(time_ms: i64, actor: Actor, alert: Uuid, change: &str) -> AuditEvent {
    let activity = if change == "resolved" {
        Activity::FindingClose
    } else {
        Activity::FindingUpdate
    };
    AuditEvent::new(
        time_ms,
        activity,
        "detection.alert",
        Outcome::Success,
        actor,
        "Alert updated",
    )
    .with_target("alert", Some(&alert.to_string()), None)
    .with_status_detail(change)
}

/// An administrator changed or added a detection rule.
pub fn rule_changed(time_ms: i64, actor: Actor, rule: &str, change: &str) -> AuditEvent {
    AuditEvent::new(
        time_ms,
        Activity::EntityUpdate,
        "detection.rule",
        Outcome::Success,
        actor,
        "Detection rule changed",
    )
    .with_target("detection_rule", Some(rule), None)
    .with_status_detail(change)
}
