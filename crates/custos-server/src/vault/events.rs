//! The audit events of the vault. They name customers by id and fields by name;
//! a value, masked or clear, never enters the trail. A reveal's reason is kept
//! with its free text run through the redaction engine and then cleaned of any
//! remaining run of digits or word with an `@`.

use custos_audit::{Activity, Actor, AuditEvent, Outcome};
use uuid::Uuid;

/// Target kind of customer events (the audit query's `customer_id` filter).
const CUSTOMER: &str = "customer";

/// A customer was created.
pub fn customer_created(
    time_ms: i64,
    actor: Actor,
    id: Uuid,
    fields: &[&str],
    cards: usize,
) -> AuditEvent {
    AuditEvent::new(
        time_ms,
        Activity::ApiCreate,
        "customer.create",
        Outcome::Success,
        actor,
        "Customer created",
    )
    .with_target(CUSTOMER, Some(&id.to_string()), None)
    .with_detail("fields", &fields.join(","))
    .with_detail("cards", &cards.to_string())
}

/// A customer record was read, masked for `audience`.
pub fn customer_read(time_ms: i64, actor: Actor, id: Uuid, audience: &str) -> AuditEvent {
    AuditEvent::new(
        time_ms,
        Activity::DatastoreRead,
        "customer.read",
        Outcome::Success,
        actor,
        "Customer read (masked)",
    )
    .with_target(CUSTOMER, Some(&id.to_string()), None)
    .with_detail("masking", audience)
}

/// A field was revealed in clear, with the stated reason.
pub fn field_revealed(
    time_ms: i64,
    actor: Actor,
    id: Uuid,
    field: &str,
    interaction: Uuid,
    reason_code: &str,
    reason_text: &str,
) -> AuditEvent {
    AuditEvent::new(
        time_ms,
        Activity::Decrypt,
        "customer.reveal",
        Outcome::Success,
        actor,
        "Customer field revealed",
    )
    .with_target(CUSTOMER, Some(&id.to_string()), Some(field))
    .with_reason(reason_code, reason_text)
    .with_detail("interaction_id", &interaction.to_string())
}

/// A reveal was refused before decrypting anything (rate limit, missing reason).
pub fn reveal_refused(
    time_ms: i64,
    actor: Actor,
    id: Uuid,
    field: &str,
    status: &str,
) -> AuditEvent {
    AuditEvent::new(
        time_ms,
        Activity::Decrypt,
        "customer.reveal",
        Outcome::Failure,
        actor,
        "Customer field reveal refused",
    )
    .with_target(CUSTOMER, Some(&id.to_string()), Some(field))
    .with_status_detail(status)
}

/// Customers were searched for by a field's blind index.
pub fn customers_searched(time_ms: i64, actor: Actor, field: &str, matches: usize) -> AuditEvent {
    AuditEvent::new(
        time_ms,
        Activity::DatastoreRead,
        "customer.search",
        Outcome::Success,
        actor,
        "Customers searched",
    )
    .with_target("customer_directory", None, Some(field))
    .with_detail("matches", &matches.to_string())
}

/// A customer was deleted: their data key is destroyed (crypto-shredding).
pub fn customer_deleted(time_ms: i64, actor: Actor, id: Uuid, outcome: Outcome) -> AuditEvent {
    let event = AuditEvent::new(
        time_ms,
        Activity::DatastoreDelete,
        "customer.delete",
        outcome,
        actor,
        "Customer deleted; data key destroyed",
    )
    .with_target(CUSTOMER, Some(&id.to_string()), None);
    if outcome == Outcome::Failure {
        event.with_status_detail("delete_failed")
    } else {
        event
    }
}

/// A card token was exchanged for the card number by a payment service.
pub fn card_detokenized(time_ms: i64, actor: Actor, customer: Uuid, token: &str) -> AuditEvent {
    AuditEvent::new(
        time_ms,
        Activity::Decrypt,
        "card.detokenize",
        Outcome::Success,
        actor,
        "Card detokenized",
    )
    .with_target(CUSTOMER, Some(&customer.to_string()), Some("card_number"))
    .with_detail("token", token)
}

/// A stored value failed its integrity check: moved, swapped or altered.
pub fn integrity_failure(time_ms: i64, actor: Actor, id: Uuid, field: &str) -> AuditEvent {
    AuditEvent::new(
        time_ms,
        Activity::DatastoreRead,
        "customer.integrity",
        Outcome::Failure,
        actor,
        "A sealed customer value failed its integrity check",
    )
    .with_target(CUSTOMER, Some(&id.to_string()), Some(field))
    .with_status_detail("integrity_check_failed")
}

/// An interaction was opened and assigned to an agent.
pub fn interaction_opened(
    time_ms: i64,
    actor: Actor,
    interaction: Uuid,
    customer: Uuid,
    agent: &str,
    channel: &str,
) -> AuditEvent {
    AuditEvent::new(
        time_ms,
        Activity::ApiCreate,
        "interaction.open",
        Outcome::Success,
        actor,
        "Interaction opened",
    )
    .with_target("interaction", Some(&interaction.to_string()), None)
    .with_detail("customer_id", &customer.to_string())
    .with_detail("agent", agent)
    .with_detail("channel", channel)
}

/// An interaction was closed; access through it ended.
pub fn interaction_closed(
    time_ms: i64,
    actor: Actor,
    interaction: Uuid,
    customer: Uuid,
) -> AuditEvent {
    AuditEvent::new(
        time_ms,
        Activity::ApiUpdate,
        "interaction.close",
        Outcome::Success,
        actor,
        "Interaction closed",
    )
    .with_target("interaction", Some(&interaction.to_string()), None)
    .with_detail("customer_id", &customer.to_string())
}

/// An open interaction was given to another agent; the first loses access at once.
pub fn interaction_reassigned(
    time_ms: i64,
    actor: Actor,
    interaction: Uuid,
    from_agent: Uuid,
    to_agent: Uuid,
) -> AuditEvent {
    AuditEvent::new(
        time_ms,
        Activity::ApiUpdate,
        "interaction.reassign",
        Outcome::Success,
        actor,
        "Interaction reassigned",
    )
    .with_target("interaction", Some(&interaction.to_string()), None)
    .with_detail("from_agent_id", &from_agent.to_string())
    .with_detail("to_agent_id", &to_agent.to_string())
}

/// Key rotation: a new key-encryption key, data keys rewrapped, old keys destroyed.
pub fn keys_rotated(
    time_ms: i64,
    actor: Actor,
    version: u32,
    rewrapped: u64,
    destroyed: &[u32],
    complete: bool,
) -> AuditEvent {
    let destroyed: Vec<String> = destroyed.iter().map(ToString::to_string).collect();
    AuditEvent::new(
        time_ms,
        Activity::ApiUpdate,
        "key.rotate",
        if complete {
            Outcome::Success
        } else {
            Outcome::Unknown
        },
        actor,
        if complete {
            "Key-encryption key rotated"
        } else {
            "Key rotation interrupted; run it again to finish"
        },
    )
    .with_target("vault_kek", Some(&version.to_string()), None)
    .with_detail("rewrapped", &rewrapped.to_string())
    .with_detail("destroyed_versions", &destroyed.join(","))
}

/// Reason text as it may enter the trail (after the redactor): at most 500
/// characters, every run of three or more digits (spaces, dots and dashes between
/// them allowed: a CVV has three) and every word with an `@` replaced.
pub fn clean_reason_text(text: &str) -> String {
    let words: Vec<String> = text
        .split_whitespace()
        .map(|w| {
            if w.contains('@') {
                "[email]".to_owned()
            } else {
                w.to_owned()
            }
        })
        .collect();
    let joined = words.join(" ");
    let chars: Vec<char> = joined.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let mut j = i;
            let mut digits = 0;
            let mut end = i;
            while j < chars.len()
                && (chars[j].is_ascii_digit() || matches!(chars[j], ' ' | '-' | '.'))
            {
                if chars[j].is_ascii_digit() {
                    digits += 1;
                    end = j + 1;
                }
                j += 1;
            }
            if digits >= 3 {
                out.push_str("[number]");
            } else {
                out.extend(&chars[i..end]);
            }
            i = end;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out.chars().take(500).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_text_keeps_words_and_drops_numbers() {
        assert_eq!(
            clean_reason_text("caller asked to confirm  address"),
            "caller asked to confirm address"
        );
        assert_eq!(
            clean_reason_text("card 4111 1111 1111 1111 disputed"),
            "card [number] disputed"
        );
        assert_eq!(clean_reason_text("ssn 123-45-6789?"), "ssn [number]?");
        assert_eq!(
            clean_reason_text("mail jane@example.com now"),
            "mail [email] now"
        );
        assert_eq!(clean_reason_text("ticket 12 of 3"), "ticket 12 of 3");
        assert_eq!(
            clean_reason_text("cvv 737 read out"),
            "cvv [number] read out"
        );
        assert_eq!(clean_reason_text(&"x".repeat(600)).len(), 500);
    }
}
