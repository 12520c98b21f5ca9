//! The audit events of conversations and customer verification. They name the
//! interaction and customer by id, the verification method and outcome, and for
//! ingested content the entity types and counts redacted: never a value, a code,
//! a contact address or a word of what was said.

use custos_audit::{Activity, Actor, AuditEvent, Outcome};
use uuid::Uuid;

const INTERACTION: &str = "interaction";

/// Content was added to an interaction, redacted on the way in.
pub fn content_ingested(
    time_ms: i64,
    actor: Actor,
    interaction: Uuid,
    kind: &str,
    items: usize,
    redacted: &str,
    raw_kept: bool,
) -> AuditEvent {
    AuditEvent::new(
        time_ms,
        Activity::ApiCreate,
        "interaction.ingest",
        Outcome::Success,
        actor,
        "Conversation content stored redacted",
    )
    .with_target(INTERACTION, Some(&interaction.to_string()), Some(kind))
    .with_detail("items", &items.to_string())
    .with_detail("redacted", redacted)
    .with_detail("raw_kept", if raw_kept { "true" } else { "false" })
}

/// Content was refused (malformed, too large, closed interaction).
pub fn content_refused(
    time_ms: i64,
    actor: Actor,
    interaction: Uuid,
    kind: &str,
    status: &str,
) -> AuditEvent {
    AuditEvent::new(
        time_ms,
        Activity::ApiCreate,
        "interaction.ingest",
        Outcome::Failure,
        actor,
        "Conversation content refused",
    )
    .with_target(INTERACTION, Some(&interaction.to_string()), Some(kind))
    .with_status_detail(status)
}

/// The interaction's conversation was read (redacted).
pub fn conversation_read(time_ms: i64, actor: Actor, interaction: Uuid) -> AuditEvent {
    AuditEvent::new(
        time_ms,
        Activity::ApiRead,
        "interaction.read",
        Outcome::Success,
        actor,
        "Interaction read (redacted)",
    )
    .with_target(INTERACTION, Some(&interaction.to_string()), None)
}

/// A raw copy was revealed, with the stated reason.
pub fn raw_revealed(
    time_ms: i64,
    actor: Actor,
    interaction: Uuid,
    entry: Uuid,
    reason_code: &str,
    reason_text: &str,
) -> AuditEvent {
    AuditEvent::new(
        time_ms,
        Activity::Decrypt,
        "interaction.reveal_raw",
        Outcome::Success,
        actor,
        "Raw conversation content revealed",
    )
    .with_target(INTERACTION, Some(&interaction.to_string()), Some("raw"))
    .with_reason(reason_code, reason_text)
    .with_detail("entry_id", &entry.to_string())
}

/// A verification code was sent (or could not be).
pub fn code_sent(
    time_ms: i64,
    actor: Actor,
    interaction: Uuid,
    customer: Uuid,
    method: &str,
    outcome: Outcome,
    status: &str,
) -> AuditEvent {
    AuditEvent::new(
        time_ms,
        Activity::ApiCreate,
        "customer.verification.send",
        outcome,
        actor,
        "Customer verification code sent",
    )
    .with_target(INTERACTION, Some(&interaction.to_string()), None)
    .with_detail("customer_id", &customer.to_string())
    .with_detail("method", method)
    .with_status_detail(status)
}

/// A verification attempt (code or questions) and its outcome.
pub fn verification_attempted(
    time_ms: i64,
    actor: Actor,
    interaction: Uuid,
    customer: Uuid,
    method: &str,
    outcome: Outcome,
    status: &str,
) -> AuditEvent {
    AuditEvent::new(
        time_ms,
        Activity::ApiUpdate,
        "customer.verification.confirm",
        outcome,
        actor,
        "Customer verification attempted",
    )
    .with_target(INTERACTION, Some(&interaction.to_string()), None)
    .with_detail("customer_id", &customer.to_string())
    .with_detail("method", method)
    .with_status_detail(status)
}

/// A raw-copy reveal was refused before anything was opened (rate limit).
pub fn raw_reveal_refused(
    time_ms: i64,
    actor: Actor,
    interaction: Uuid,
    entry: Uuid,
    status: &str,
) -> AuditEvent {
    AuditEvent::new(
        time_ms,
        Activity::Decrypt,
        "interaction.reveal_raw",
        Outcome::Failure,
        actor,
        "Raw conversation content reveal refused",
    )
    .with_target(INTERACTION, Some(&interaction.to_string()), Some("raw"))
    .with_detail("entry_id", &entry.to_string())
    .with_status_detail(status)
}
