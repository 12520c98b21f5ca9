//! Content arriving in an interaction, redacted before anything is stored.
//!
//! - **Messages** (chat, email): redacted with the last few messages of the
//!   interaction as context, so a card typed over several messages is caught when
//!   its last piece arrives; the earlier messages' stored forms are then rewritten
//!   in the same transaction. The context (the last messages as sent) is sealed
//!   under the customer's data key on the interaction and cleared when it closes.
//!   A message with no digit and no number word cannot complete a number: it is
//!   redacted on its own and leaves the context alone (the fast path). Inbound
//!   messages (any sender but `agent`) are assessed for phishing red flags.
//! - **Transcripts**: one request's turns are scanned as one conversation; the
//!   stored form keeps redacted turns, words and the time ranges to mute.
//! - **Raw copies** only for the channels in `conversations.keep_raw`, sealed
//!   under the customer's data key (destroyed with it).

use custos_audit::Actor;
use custos_conversation::{
    Assessment, Channel, Message, MessageInput, RedactOptions, RedactedTranscript, Transcript,
    redact_chat, redact_transcript,
};
use custos_redact::EntityType;
use custos_store::{ConversationStore as _, EntryAppend, EntryRecord, InteractionRecord};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{ConversationError, events};
use crate::audit::event_time_ms;
use crate::state::AppState;
use crate::vault::LoadedCustomer;
use crate::vault::fields::Field;
use crate::vault::internal::RawBinding;

/// Messages kept as context for numbers split across messages.
const CONTEXT_MESSAGES: usize = 4;
/// A message longer than this is not kept as context (a split card is short).
const CONTEXT_MAX_BYTES: usize = 4_096;

/// A message as it arrives.
pub struct IncomingMessage {
    /// `customer`, `agent`, or a name; kept as given (never scanned, at most 64 characters).
    pub sender: String,
    /// The text.
    pub text: String,
    /// The email subject.
    pub subject: Option<String>,
    /// The sender's address (email `From:`), used for the red flags only, never stored.
    pub from_address: Option<String>,
    /// The sender's display name, used for the red flags only, never stored.
    pub from_name: Option<String>,
    /// The text is HTML.
    pub html: bool,
}

/// A stored message entry's content (version 1).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredMessage {
    /// Who sent it.
    pub sender: String,
    /// Redacted text.
    pub text: String,
    /// Redacted subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Phishing red flags, for inbound messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk: Option<Risk>,
}

/// The red flags of an inbound message.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Risk {
    /// 0–100.
    pub score: u8,
    /// `none`, `low`, `medium` or `high`.
    pub level: String,
    /// Each flag: a stable code and the reason in plain words.
    pub flags: Vec<RiskFlag>,
}

/// One red flag.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RiskFlag {
    /// e.g. `urgency`, `credential_request`, `lookalike_domain`.
    pub code: String,
    /// What was seen.
    pub reason: String,
}

impl From<Assessment> for Risk {
    fn from(a: Assessment) -> Self {
        Self {
            score: a.score,
            level: serde_json::to_value(a.level)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            flags: a
                .flags
                .into_iter()
                .map(|f| RiskFlag {
                    code: f.code.to_owned(),
                    reason: f.reason,
                })
                .collect(),
        }
    }
}

/// One message of the sealed context.
#[derive(Serialize, Deserialize)]
struct ContextMessage {
    entry: Uuid,
    sender: String,
    text: String,
    /// Its redacted form as stored now.
    stored: String,
}

/// What an ingestion stored.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Ingested {
    /// The new entries' ids.
    pub entries: Vec<Uuid>,
    /// Entities redacted, by type.
    pub redacted: std::collections::BTreeMap<String, usize>,
    /// Earlier messages redacted again because this one completed a number in them.
    pub earlier_rewritten: usize,
    /// The red flags, for an inbound message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk: Option<Risk>,
}

/// Whether `text` could carry part of a number: a digit or a number word.
fn may_hold_number(text: &str) -> bool {
    const WORDS: &[&str] = &[
        "zero", "oh", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
        "ten", "double", "triple", "hundred", "thousand",
    ];
    text.bytes().any(|b| b.is_ascii_digit())
        || text
            .split(|c: char| !c.is_alphabetic())
            .any(|w| WORDS.iter().any(|n| w.eq_ignore_ascii_case(n)))
}

fn counts_text(counts: &std::collections::BTreeMap<String, usize>) -> String {
    if counts.is_empty() {
        return "none".to_owned();
    }
    counts
        .iter()
        .map(|(k, v)| format!("{k}:{v}"))
        .collect::<Vec<_>>()
        .join(",")
}

fn add_counts(
    into: &mut std::collections::BTreeMap<String, usize>,
    spans: impl IntoIterator<Item = EntityType>,
) {
    for entity in spans {
        *into.entry(entity.as_str().to_owned()).or_insert(0) += 1;
    }
}

fn channel_keeps_raw(state: &AppState, interaction: &InteractionRecord) -> bool {
    state
        .settings()
        .get()
        .keep_raw
        .contains(&interaction.channel)
}

fn check_open(state: &AppState, interaction: &InteractionRecord) -> Result<(), ConversationError> {
    if super::lifecycle::is_open(state, interaction) {
        Ok(())
    } else {
        Err(ConversationError::Closed)
    }
}

/// Whether storing `message` needs the customer's record (their data key, for the
/// sealed context or a raw copy; their address, for the red flags). Ordinary chat
/// does not, and skips loading it.
pub fn needs_customer(
    state: &AppState,
    interaction: &InteractionRecord,
    message: &IncomingMessage,
) -> bool {
    may_hold_number(&message.text)
        || channel_keeps_raw(state, interaction)
        || (message.sender != "agent" && message.from_address.is_some())
}

/// Redacts and stores one message; `customer` must be given when
/// [`needs_customer`] says so.
pub async fn add_message(
    state: &AppState,
    actor: Actor,
    interaction: &InteractionRecord,
    customer: Option<&LoadedCustomer>,
    message: IncomingMessage,
) -> Result<Ingested, ConversationError> {
    let customer = || {
        customer
            .ok_or_else(|| ConversationError::Invalid("the customer record is needed".to_owned()))
    };
    check_open(state, interaction)?;
    let vault = state.vault();
    let redactor = vault.redactor();
    let now = state.clock().unix_now().0;
    let entry_id = Uuid::new_v4();
    let inbound = message.sender != "agent";

    // The red flags, on the message as received (the registered address is opened
    // for the comparison only).
    let risk = if inbound {
        let registered = match message.from_address {
            Some(_) => {
                vault
                    .open_for_server(&actor, customer()?, Field::Email)
                    .await?
            }
            None => None,
        };
        let input = MessageInput {
            channel: if interaction.channel == "email" {
                Channel::Email
            } else {
                Channel::Chat
            },
            from_address: message.from_address.as_deref(),
            from_name: message.from_name.as_deref(),
            subject: message.subject.as_deref(),
            body: &message.text,
            html: message.html,
            registered_email: registered.as_deref().map(String::as_str),
        };
        Some(Risk::from(custos_conversation::assess(&input)))
    } else {
        None
    };

    let mut counts = std::collections::BTreeMap::new();
    let subject = message.subject.as_deref().map(|s| {
        let r = redactor.redact(s);
        add_counts(&mut counts, r.spans.iter().map(|s| s.entity));
        r.redacted
    });

    let context_in_use = may_hold_number(&message.text);
    let mut context: Vec<ContextMessage> = Vec::new();
    if context_in_use && let Some(sealed) = state.store().redaction_context(interaction.id).await? {
        let plain = vault
            .open_raw(
                &actor,
                customer()?,
                RawBinding::Context(interaction.id),
                &sealed,
            )
            .await?;
        // An unreadable context only loses cross-message joining, never content.
        context = serde_json::from_slice(&plain).unwrap_or_default();
    }
    let mut chat: Vec<Message> = context
        .iter()
        .map(|c| Message {
            sender: c.sender.clone(),
            text: c.text.clone(),
        })
        .collect();
    chat.push(Message {
        sender: message.sender.clone(),
        text: message.text.clone(),
    });
    let mut redacted = redact_chat(redactor, &chat);
    let Some(own) = redacted.pop() else {
        return Err(ConversationError::Invalid("nothing to redact".to_owned()));
    };
    add_counts(&mut counts, own.spans.iter().map(|s| s.entity));
    let mut rewrite = Vec::new();
    for (earlier, now_redacted) in context.iter_mut().zip(&redacted) {
        if now_redacted.text != earlier.stored {
            let content = StoredMessage {
                sender: earlier.sender.clone(),
                text: now_redacted.text.clone(),
                subject: None,
                risk: None,
            };
            // Keep what else the entry held (subject, red flags).
            let content = match state.store().entry(interaction.id, earlier.entry).await? {
                Some(e) => serde_json::from_str::<StoredMessage>(&e.content)
                    .map(|old| StoredMessage {
                        text: content.text.clone(),
                        ..old
                    })
                    .unwrap_or(content),
                None => continue,
            };
            rewrite.push((
                earlier.entry,
                serde_json::to_string(&content).unwrap_or_default(),
            ));
            earlier.stored = now_redacted.text.clone();
        }
    }
    let stored = StoredMessage {
        sender: message.sender.clone(),
        text: own.text.clone(),
        subject,
        risk: risk.clone(),
    };
    let raw_kept = channel_keeps_raw(state, interaction);
    let raw_sealed = if raw_kept {
        let raw = serde_json::json!({"sender": message.sender, "text": message.text, "subject": message.subject});
        Some(
            vault
                .seal_raw(
                    customer()?,
                    RawBinding::Entry(entry_id),
                    raw.to_string().as_bytes(),
                )
                .await?,
        )
    } else {
        None
    };
    let new_context = if context_in_use {
        if message.text.len() <= CONTEXT_MAX_BYTES {
            context.push(ContextMessage {
                entry: entry_id,
                sender: message.sender.clone(),
                text: message.text.clone(),
                stored: own.text.clone(),
            });
        }
        let skip = context.len().saturating_sub(CONTEXT_MESSAGES);
        let kept: Vec<&ContextMessage> = context.iter().skip(skip).collect();
        let plain = zeroize::Zeroizing::new(serde_json::to_vec(&kept).unwrap_or_default());
        Some(
            vault
                .seal_raw(customer()?, RawBinding::Context(interaction.id), &plain)
                .await?,
        )
    } else {
        None
    };
    let entry = EntryRecord {
        id: entry_id,
        interaction_id: interaction.id,
        seq: 0,
        kind: "message".to_owned(),
        created_at: now,
        created_by: actor.uid.clone().unwrap_or_default(),
        content: serde_json::to_string(&stored).unwrap_or_default(),
        raw_sealed,
    };
    let rewritten = rewrite.len();
    let appended = state
        .entry_writer()
        .append(EntryAppend {
            interaction: interaction.id,
            entries: vec![entry],
            rewrite,
            context: new_context,
            now,
        })
        .await?;
    if !appended {
        return Err(ConversationError::Closed);
    }
    state
        .audit()
        .record(events::content_ingested(
            event_time_ms(state.clock()),
            actor,
            interaction.id,
            "message",
            1,
            &counts_text(&counts),
            raw_kept,
        ))
        .await?;
    Ok(Ingested {
        entries: vec![entry_id],
        redacted: counts,
        earlier_rewritten: rewritten,
        risk,
    })
}

/// Redacts and stores a transcript (one request's turns, scanned together).
pub async fn add_transcript(
    state: &AppState,
    actor: Actor,
    interaction: &InteractionRecord,
    customer: &LoadedCustomer,
    transcript: &Transcript,
    raw: &[u8],
) -> Result<(Ingested, RedactedTranscript), ConversationError> {
    check_open(state, interaction)?;
    let vault = state.vault();
    let now = state.clock().unix_now().0;
    let redacted = redact_transcript(vault.redactor(), transcript, &RedactOptions::default());
    let entry_id = Uuid::new_v4();
    let raw_kept = channel_keeps_raw(state, interaction);
    let raw_sealed = if raw_kept {
        Some(
            vault
                .seal_raw(customer, RawBinding::Entry(entry_id), raw)
                .await?,
        )
    } else {
        None
    };
    let entry = EntryRecord {
        id: entry_id,
        interaction_id: interaction.id,
        seq: 0,
        kind: "transcript".to_owned(),
        created_at: now,
        created_by: actor.uid.clone().unwrap_or_default(),
        content: String::from_utf8(redacted.to_stored_json()).unwrap_or_default(),
        raw_sealed,
    };
    let appended = state
        .entry_writer()
        .append(EntryAppend {
            interaction: interaction.id,
            entries: vec![entry],
            rewrite: Vec::new(),
            context: None,
            now,
        })
        .await?;
    if !appended {
        return Err(ConversationError::Closed);
    }
    let counts: std::collections::BTreeMap<String, usize> = redacted
        .entity_counts
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), *v))
        .collect();
    state
        .audit()
        .record(events::content_ingested(
            event_time_ms(state.clock()),
            actor,
            interaction.id,
            "transcript",
            redacted.turns.len(),
            &counts_text(&counts),
            raw_kept,
        ))
        .await?;
    Ok((
        Ingested {
            entries: vec![entry_id],
            redacted: counts,
            earlier_rewritten: 0,
            risk: None,
        },
        redacted,
    ))
}
