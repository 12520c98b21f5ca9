//! Customer verification before an agent sees more than the masked header: a
//! one-time code (6 digits from the system RNG, valid `verification.code_ttl_secs`,
//! `verification.max_attempts` tries, used once, `verification.max_sends` sends per
//! window) sent to the contact on file by mail or through the SMS webhook, or, as
//! the fallback, knowledge questions checked against the sealed record.
//!
//! Codes are stored only as a keyed PRF under the vault's verification key. Every
//! send and attempt is audited with its method and outcome, never the code or the
//! contact. A wrong answer costs an attempt on the code and a failure on the
//! interaction; after `verification.max_failures` the interaction cannot be
//! verified any more (a new interaction must be opened, which is itself audited).

use custos_audit::{Actor, Outcome};
use custos_store::{
    AttemptOutcome, ConversationStore as _, InteractionRecord, VerificationCodeRecord,
};
use serde::Serialize;
use uuid::Uuid;
use zeroize::Zeroizing;

use super::{ConversationError, events};
use crate::audit::event_time_ms;
use crate::state::AppState;
use crate::vault::LoadedCustomer;
use crate::vault::fields::Field;

/// How a code reaches the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// To the email address on file.
    Email,
    /// To the phone number on file, through the SMS webhook.
    Phone,
}

impl Method {
    /// The method's name in the API and the trail.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Phone => "phone",
        }
    }

    /// The method named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "email" => Some(Self::Email),
            "phone" => Some(Self::Phone),
            _ => None,
        }
    }
}

/// A sent code, as the caller learns of it (never the code or the contact).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CodeSent {
    /// `email` or `phone`.
    pub method: &'static str,
    /// When it stops being accepted (RFC 3339).
    pub expires_at: String,
    /// Wrong codes it accepts.
    pub attempts: u32,
}

/// A verification's result.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Verified {
    /// Always true: failures are errors.
    pub verified: bool,
    /// `email`, `phone` or `questions`.
    pub method: String,
}

fn ensure_verifiable(
    state: &AppState,
    interaction: &InteractionRecord,
) -> Result<(), ConversationError> {
    // Idle past the limit counts as closed, as everywhere else (the sweep may not have run).
    if !crate::conversation::lifecycle::is_open(state, interaction) {
        return Err(ConversationError::Closed);
    }
    if interaction.verified_at.is_some() {
        return Err(ConversationError::AlreadyVerified);
    }
    if interaction.verification_failures >= state.config().verification.max_failures {
        return Err(ConversationError::VerificationLocked);
    }
    Ok(())
}

/// A uniformly drawn 6-digit code.
fn new_code() -> Result<Zeroizing<String>, ConversationError> {
    // Rejection sampling keeps every code equally likely.
    const LIMIT: u32 = u32::MAX - u32::MAX % 1_000_000;
    loop {
        let mut bytes = [0u8; 4];
        aws_lc_rs::rand::fill(&mut bytes).map_err(|_| ConversationError::Random)?;
        let n = u32::from_le_bytes(bytes);
        if n < LIMIT {
            return Ok(Zeroizing::new(format!("{:06}", n % 1_000_000)));
        }
    }
}

fn code_mac(state: &AppState, code_id: Uuid, code: &str) -> Vec<u8> {
    state
        .vault()
        .keyring()
        .verification_key()
        .index(&format!("verification_code:{code_id}"), code)
        .to_vec()
}

/// Sends a code to the customer of `interaction` by `method` (or the first one
/// available: email, then phone).
pub async fn send_code(
    state: &AppState,
    actor: Actor,
    interaction: &InteractionRecord,
    customer: &LoadedCustomer,
    method: Option<Method>,
) -> Result<CodeSent, ConversationError> {
    ensure_verifiable(state, interaction)?;
    let config = &state.config().verification;
    let now = state.clock().unix_now().0;
    let window = i64::try_from(config.send_window.as_secs()).unwrap_or(i64::MAX);
    let sent = state
        .store()
        .codes_sent_since(interaction.id, now.saturating_sub(window))
        .await?;
    let notifier = state.notifier();
    let vault = state.vault();
    let email = vault
        .open_for_server(&actor, customer, Field::Email)
        .await?;
    let phone = vault
        .open_for_server(&actor, customer, Field::Phone)
        .await?;
    let method = match method {
        Some(m) => m,
        None if email.is_some() && notifier.can_mail() => Method::Email,
        None if phone.is_some() && notifier.can_text() => Method::Phone,
        None if email.is_some() || phone.is_some() => {
            return Err(ConversationError::NotConfigured("no notification channel"));
        }
        None => {
            return Err(ConversationError::NoContact(
                "an email address or phone number",
            ));
        }
    };
    let audit_refusal = |status: &'static str| {
        events::code_sent(
            event_time_ms(state.clock()),
            actor.clone(),
            interaction.id,
            interaction.customer_id,
            method.as_str(),
            Outcome::Failure,
            status,
        )
    };
    if sent >= config.max_sends {
        state.audit().record(audit_refusal("rate_limited")).await?;
        return Err(ConversationError::TooManyCodes {
            retry_after: config.send_window.as_secs(),
        });
    }
    let code = new_code()?;
    let id = Uuid::new_v4();
    let record = VerificationCodeRecord {
        id,
        interaction_id: interaction.id,
        method: method.as_str().to_owned(),
        code_mac: code_mac(state, id, &code),
        created_at: now,
        expires_at: now.saturating_add(i64::try_from(config.code_ttl.as_secs()).unwrap_or(300)),
        attempts: 0,
        used_at: None,
    };
    let minutes = config.code_ttl.as_secs().div_ceil(60);
    let text = format!(
        "Your verification code is {}. Read it to the agent you are speaking with; it expires in {minutes} minutes. \
         We never ask for this code in any other way.",
        code.as_str()
    );
    let delivered = match method {
        Method::Email => {
            let to = email.ok_or(ConversationError::NoContact("an email address"))?;
            notifier.mail(&to, "Your verification code", &text).await
        }
        Method::Phone => {
            let to = phone.ok_or(ConversationError::NoContact("a phone number"))?;
            notifier.text(&to, &text).await
        }
    };
    if let Err(e) = delivered {
        tracing::warn!(error = %e, interaction = %interaction.id, "verification code not delivered");
        state
            .audit()
            .record(audit_refusal("delivery_failed"))
            .await?;
        return Err(ConversationError::Delivery(e));
    }
    // Stored only once delivered, so an undelivered code costs no send and
    // cannot be guessed at.
    state.store().add_verification_code(&record).await?;
    state
        .audit()
        .record(events::code_sent(
            event_time_ms(state.clock()),
            actor,
            interaction.id,
            interaction.customer_id,
            method.as_str(),
            Outcome::Success,
            "sent",
        ))
        .await?;
    Ok(CodeSent {
        method: method.as_str(),
        expires_at: crate::http::rfc3339(record.expires_at),
        attempts: config.max_attempts,
    })
}

/// Checks a code the customer read to the agent.
pub async fn confirm_code(
    state: &AppState,
    actor: Actor,
    interaction: &InteractionRecord,
    code: &str,
) -> Result<Verified, ConversationError> {
    ensure_verifiable(state, interaction)?;
    let config = &state.config().verification;
    let now = state.clock().unix_now().0;
    let latest = state
        .store()
        .latest_verification_code(interaction.id)
        .await?
        .ok_or(ConversationError::NoCode)?;
    let well_formed = code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit());
    let correct = well_formed
        && aws_lc_rs::constant_time::verify_slices_are_equal(
            &code_mac(state, latest.id, code),
            &latest.code_mac,
        )
        .is_ok();
    let outcome = state
        .store()
        .attempt_verification_code(latest.id, correct, config.max_attempts, now)
        .await?;
    let (result, status) = match outcome {
        AttemptOutcome::Verified => (Ok(()), "verified"),
        AttemptOutcome::Counted => {
            let left = config.max_attempts.saturating_sub(latest.attempts + 1);
            (
                Err(ConversationError::WrongCode {
                    attempts_left: left,
                }),
                "invalid_code",
            )
        }
        AttemptOutcome::Refused => {
            if latest.used_at.is_some() {
                (Err(ConversationError::CodeUsed), "code_used")
            } else if latest.expires_at <= now {
                (Err(ConversationError::CodeExpired), "code_expired")
            } else if latest.attempts >= config.max_attempts {
                (Err(ConversationError::CodeSpent), "too_many_attempts")
            } else {
                // Used or spent by a concurrent attempt, or the interaction closed.
                (Err(ConversationError::CodeUsed), "code_used")
            }
        }
    };
    conclude(state, actor, interaction, latest.method, result, status).await
}

/// Normalizes an answer for comparison: letters and digits only, lowercased.
fn normalize(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The expected answer to `question` from the sealed record, normalized.
async fn expected_answer(
    state: &AppState,
    actor: &Actor,
    customer: &LoadedCustomer,
    question: &str,
) -> Result<Option<Zeroizing<String>>, ConversationError> {
    let vault = state.vault();
    let last4 = |s: &str| {
        let digits: String = s.chars().filter(char::is_ascii_digit).collect();
        digits[digits.len().saturating_sub(4)..].to_owned()
    };
    Ok(match question {
        "date_of_birth" => vault
            .open_for_server(actor, customer, Field::DateOfBirth)
            .await?
            .map(|v| Zeroizing::new(normalize(&v))),
        "ssn_last4" => vault
            .open_for_server(actor, customer, Field::Ssn)
            .await?
            .map(|v| Zeroizing::new(last4(&v))),
        "postcode" => vault
            .open_for_server(actor, customer, Field::Address)
            .await?
            .and_then(|v| {
                crate::vault::fields::postcode(&v).map(|p| Zeroizing::new(normalize(&p)))
            }),
        "card_last4" => customer
            .stored
            .cards
            .first()
            .map(|c| Zeroizing::new(c.last4.clone())),
        _ => None,
    })
}

/// Checks the customer's answers to the configured knowledge questions: every
/// configured question the record can answer must be asked and right (at least two).
pub async fn answer_questions(
    state: &AppState,
    actor: Actor,
    interaction: &InteractionRecord,
    customer: &LoadedCustomer,
    answers: &std::collections::BTreeMap<String, String>,
) -> Result<Verified, ConversationError> {
    ensure_verifiable(state, interaction)?;
    let config = &state.config().verification;
    for asked in answers.keys() {
        if !config.questions.iter().any(|q| q == asked) {
            return Err(ConversationError::Invalid(format!(
                "`{asked}` is not a configured question (ask: {})",
                config.questions.join(", ")
            )));
        }
    }
    let mut answerable = 0;
    let mut correct = true;
    for question in &config.questions {
        let Some(expected) = expected_answer(state, &actor, customer, question).await? else {
            continue;
        };
        answerable += 1;
        let given = answers.get(question).map(|a| {
            if question.ends_with("last4") {
                a.chars().filter(char::is_ascii_digit).collect()
            } else {
                normalize(a)
            }
        });
        let right = given.is_some_and(|g| {
            !g.is_empty()
                && aws_lc_rs::constant_time::verify_slices_are_equal(
                    g.as_bytes(),
                    expected.as_bytes(),
                )
                .is_ok()
        });
        correct &= right;
    }
    if answerable < 2 {
        return Err(ConversationError::NoContact(
            "answers to two knowledge questions on file",
        ));
    }
    let now = state.clock().unix_now().0;
    let outcome = state
        .store()
        .record_verification(interaction.id, "questions", correct, now)
        .await?;
    let (result, status) = match outcome {
        AttemptOutcome::Verified => (Ok(()), "verified"),
        AttemptOutcome::Counted => (Err(ConversationError::WrongAnswers), "wrong_answers"),
        AttemptOutcome::Refused => (Err(ConversationError::Closed), "interaction_closed"),
    };
    conclude(
        state,
        actor,
        interaction,
        "questions".to_owned(),
        result,
        status,
    )
    .await
}

/// Records a verification attempt with its outcome, then answers it.
async fn conclude(
    state: &AppState,
    actor: Actor,
    interaction: &InteractionRecord,
    method: String,
    result: Result<(), ConversationError>,
    status: &str,
) -> Result<Verified, ConversationError> {
    state
        .audit()
        .record(events::verification_attempted(
            event_time_ms(state.clock()),
            actor,
            interaction.id,
            interaction.customer_id,
            &method,
            if result.is_ok() {
                Outcome::Success
            } else {
                Outcome::Failure
            },
            status,
        ))
        .await?;
    result.map(|()| Verified {
        verified: true,
        method,
    })
}
