//! The events the server itself records. Each names what happened with field
//! names and fingerprints only, never a value.

use custos_audit::{Activity, Actor, AuditEvent, Outcome};

/// The node started, with the fingerprint of its effective configuration, so a
/// configuration change between starts shows in the trail.
pub fn server_started(
    time_ms: i64,
    version: &str,
    config_fingerprint: &str,
    store: &str,
) -> AuditEvent {
    AuditEvent::new(
        time_ms,
        Activity::AppStart,
        "server.start",
        Outcome::Success,
        Actor::system(),
        "Custos started",
    )
    .with_target("server", None, None)
    .with_detail("version", version)
    .with_detail("config_sha256", config_fingerprint)
    .with_detail("store", store)
}

/// The node is stopping.
pub fn server_stopping(time_ms: i64) -> AuditEvent {
    AuditEvent::new(
        time_ms,
        Activity::AppStop,
        "server.stop",
        Outcome::Success,
        Actor::system(),
        "Custos stopping",
    )
    .with_target("server", None, None)
}

/// A verification of the trail ran (`custos audit verify` against the store): intact,
/// or tampered with the first bad sequence number. Detection alerts on a failure.
pub fn trail_verified(
    time_ms: i64,
    operator: &str,
    intact: bool,
    first_bad: Option<u64>,
) -> AuditEvent {
    let event = AuditEvent::new(
        time_ms,
        Activity::EntityRead,
        "audit.verify",
        if intact {
            Outcome::Success
        } else {
            Outcome::Failure
        },
        Actor {
            name: Some(operator.to_owned()),
            ..Actor::system()
        },
        if intact {
            "Audit trail verified intact"
        } else {
            "Audit trail verification found tampering"
        },
    )
    .with_target("audit_trail", None, None)
    .with_status_detail(if intact { "intact" } else { "tampered" });
    match first_bad {
        Some(seq) => event.with_detail("first_bad_seq", &seq.to_string()),
        None => event,
    }
}

/// An operator is exporting the trail with the command line.
pub fn trail_exported(
    time_ms: i64,
    operator: &str,
    format: &str,
    since: Option<&str>,
) -> AuditEvent {
    AuditEvent::new(
        time_ms,
        Activity::DatastoreRead,
        "audit.export",
        Outcome::Success,
        Actor {
            name: Some(operator.to_owned()),
            ..Actor::system()
        },
        "Audit trail exported",
    )
    .with_target("audit_trail", None, None)
    .with_detail("format", format)
    .with_detail("since", since.unwrap_or("beginning"))
}

/// The kind of target the forwarding events name; the id is the sink's name
/// (`syslog`, `http`), never its URL or token.
const AUDIT_SINK: &str = "audit_sink";

/// A forwarder started sending the trail to a SIEM.
pub fn audit_sink_started(time_ms: i64, sink: &str) -> AuditEvent {
    AuditEvent::new(
        time_ms,
        Activity::AppStart,
        "audit.sink_start",
        Outcome::Success,
        Actor::system(),
        "Audit forwarding started",
    )
    .with_target(AUDIT_SINK, Some(sink), None)
}

/// A forwarder is stopping (the node shuts down).
pub fn audit_sink_stopping(time_ms: i64, sink: &str) -> AuditEvent {
    AuditEvent::new(
        time_ms,
        Activity::AppStop,
        "audit.sink_stop",
        Outcome::Success,
        Actor::system(),
        "Audit forwarding stopping",
    )
    .with_target(AUDIT_SINK, Some(sink), None)
}

/// A SIEM stopped taking the trail; recorded once per outage. `reason` is a
/// stable code (`connect_failed`, `http_status`, …), never an address or a response.
pub fn audit_sink_down(time_ms: i64, sink: &str, reason: &str) -> AuditEvent {
    AuditEvent::new(
        time_ms,
        Activity::EntityUpdate,
        "audit.sink_down",
        Outcome::Failure,
        Actor::system(),
        "Audit forwarding failing; entries wait in the trail",
    )
    .with_target(AUDIT_SINK, Some(sink), None)
    .with_status_detail(reason)
}

/// A SIEM takes the trail again after an outage; the backlog drains from here.
pub fn audit_sink_restored(time_ms: i64, sink: &str, failed_attempts: u64) -> AuditEvent {
    AuditEvent::new(
        time_ms,
        Activity::EntityUpdate,
        "audit.sink_restored",
        Outcome::Success,
        Actor::system(),
        "Audit forwarding restored",
    )
    .with_target(AUDIT_SINK, Some(sink), None)
    .with_detail("failed_attempts", &failed_attempts.to_string())
}

/// An operator is archiving entries `from..=to` into a bundle.
pub fn trail_archived(time_ms: i64, operator: &str, from: u64, to: u64, prune: bool) -> AuditEvent {
    AuditEvent::new(
        time_ms,
        Activity::DatastoreRead,
        "audit.archive",
        Outcome::Success,
        Actor {
            name: Some(operator.to_owned()),
            ..Actor::system()
        },
        "Audit trail archived to a bundle",
    )
    .with_target("audit_trail", None, None)
    .with_detail("from_seq", &from.to_string())
    .with_detail("to_seq", &to.to_string())
    .with_detail("prune", if prune { "yes" } else { "no" })
}

/// Archived entries up to `to` were removed from the store.
pub fn trail_pruned(time_ms: i64, operator: &str, to: u64, deleted: u64) -> AuditEvent {
    AuditEvent::new(
        time_ms,
        Activity::DatastoreDelete,
        "audit.prune",
        Outcome::Success,
        Actor {
            name: Some(operator.to_owned()),
            ..Actor::system()
        },
        "Archived audit entries removed from the store",
    )
    .with_target("audit_trail", None, None)
    .with_detail("anchor_seq", &to.to_string())
    .with_detail("deleted", &deleted.to_string())
}

/// Someone read the trail through the API (PCI DSS 10.2.1.3: access to audit logs).
pub fn trail_read(
    time_ms: i64,
    actor: Actor,
    filters: &[(&str, String)],
    returned: usize,
) -> AuditEvent {
    let mut event = AuditEvent::new(
        time_ms,
        Activity::DatastoreRead,
        "audit.read",
        Outcome::Success,
        actor,
        "Audit trail read",
    )
    .with_target("audit_trail", None, None)
    .with_detail("returned", &returned.to_string());
    for (name, value) in filters {
        event = event.with_detail(&format!("filter.{name}"), value);
    }
    event
}
