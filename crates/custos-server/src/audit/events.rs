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
