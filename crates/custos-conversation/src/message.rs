//! Chat and email messages: a sender and a text, redacted one by one or as a chat scanned
//! across its messages (a card typed over three messages is one card). As for transcripts,
//! commas between digit groups ("4539, 1488, …") do not stop a number from being found.

use std::collections::BTreeMap;
use std::fmt;

use custos_redact::{EntityType, Redactor, Span, Turn};

/// One chat or email message.
#[derive(Clone, PartialEq, Eq)]
pub struct Message {
    /// Who wrote it ("customer", "agent", an address): kept as given, never scanned.
    pub sender: String,
    /// What was written.
    pub text: String,
}

impl fmt::Debug for Message {
    /// Sizes only: a message may hold card numbers.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("bytes", &self.text.len())
            .finish_non_exhaustive()
    }
}

/// A redacted message.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RedactedMessage {
    /// The sender, as given.
    pub sender: String,
    /// The text, redacted.
    pub text: String,
    /// The spans found, with offsets into the original text.
    pub spans: Vec<Span>,
}

impl RedactedMessage {
    /// Entities per type in this message (for the audit log: types and counts only).
    pub fn entity_counts(&self) -> BTreeMap<EntityType, usize> {
        let mut counts = BTreeMap::new();
        for s in &self.spans {
            *counts.entry(s.entity).or_insert(0) += 1;
        }
        counts
    }
}

/// Redacts one message on its own.
pub fn redact_message(redactor: &Redactor, message: &Message) -> RedactedMessage {
    let turn = Turn {
        speaker: &message.sender,
        text: &message.text,
    };
    let r = crate::redact::redact_conversation(redactor, &[turn])
        .pop()
        .unwrap_or_else(|| redactor.redact(&message.text));
    RedactedMessage {
        sender: message.sender.clone(),
        text: r.redacted,
        spans: r.spans,
    }
}

/// Redacts a whole chat, scanned across messages. For a live chat, use
/// [`Redactor::stream`], which releases each message as soon as it is safe.
pub fn redact_chat(redactor: &Redactor, messages: &[Message]) -> Vec<RedactedMessage> {
    let turns: Vec<Turn<'_>> = messages
        .iter()
        .map(|m| Turn {
            speaker: &m.sender,
            text: &m.text,
        })
        .collect();
    crate::redact::redact_conversation(redactor, &turns)
        .into_iter()
        .zip(messages)
        .map(|(r, m)| RedactedMessage {
            sender: m.sender.clone(),
            text: r.redacted,
            spans: r.spans,
        })
        .collect()
}
