//! Finds card data and personal data in contact-center text (chats, call transcripts, emails)
//! and redacts it. Pure: no I/O, no async, no global state.
//!
//! ```
//! use custos_redact::{EntityType, Redactor, RedactorConfig, Turn};
//!
//! let redactor = Redactor::new(RedactorConfig::default())?;
//! let out = redactor.redact("my card is four one one one one one one one one one one one one one one one");
//! assert_eq!(out.redacted, "my card is [CREDIT_CARD]");
//! assert_eq!(out.spans[0].entity, EntityType::CreditCard);
//!
//! // A card read in groups over several turns is one entity.
//! let turns = [
//!     Turn { speaker: "agent", text: "go ahead with the card number" },
//!     Turn { speaker: "caller", text: "four one one one one one one one" },
//!     Turn { speaker: "agent", text: "okay" },
//!     Turn { speaker: "caller", text: "1111 1111" },
//! ];
//! let out = redactor.redact_conversation(&turns);
//! assert_eq!(out[3].redacted, "[CREDIT_CARD]");
//! # Ok::<(), custos_redact::ConfigError>(())
//! ```
//!
//! - [`Redactor`]: built once from a [`RedactorConfig`], cheap to clone and share across threads.
//!   [`Redactor::redact`] handles one text, [`Redactor::redact_conversation`] a list of turns
//!   scanned as a whole, and [`Redactor::stream`] a live conversation turn by turn
//!   ([`ConversationStream`]).
//! - Spans carry byte offsets and Unicode code point offsets ([`Span`]).
//! - Each [`EntityType`] has an [`Operator`]: `[TYPE]` (default), mask keeping the last four
//!   of the whole entity (none of a security code), keyed HMAC-SHA256 pseudonym, or removal.
//!   [`Redaction::replacements`] locates each replacement in the output.
//!
//! Inside, in the order a text goes through them: `token` splits it into words, digit runs and
//! punctuation; `lexicon` finds the context cues in one Aho-Corasick pass; `numbers` joins
//! written and spoken digits across groups, fillers and turns; `detect` (and `person` for
//! names) validates and claims spans; overlapping spans are merged and `operator` rewrites them.

pub mod checks;
mod detect;
mod entity;
mod lexicon;
mod numbers;
mod operator;
mod person;
mod stream;
mod token;

use std::borrow::Cow;
use std::ops::Range;
use std::sync::Arc;

pub use entity::{EntityType, UnknownEntityType};
pub use operator::{HmacKey, Operator};
pub use stream::{ConversationStream, MAX_CONTEXT_BYTES, MAX_HELD_BYTES, Released};

use detect::{Detection, Piece, Scan};
use lexicon::Lexicon;

/// One detected entity.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Span {
    /// Byte offset of the first byte, in the input text (or turn).
    pub start: usize,
    /// Byte offset after the last byte.
    pub end: usize,
    /// Unicode code point offset of the first character (what `custos redact --format spans` prints).
    pub char_start: usize,
    /// Unicode code point offset after the last character.
    pub char_end: usize,
    /// What was found.
    pub entity: EntityType,
    /// Confidence in 0..=1: validated numbers score high, context-only finds lower.
    pub score: f32,
}

impl Span {
    /// The score as `custos redact` and the API print it: two decimals (an `f32`
    /// widened to `f64` would show noise digits).
    pub fn printed_score(&self) -> f64 {
        (f64::from(self.score) * 100.0).round() / 100.0
    }
}

/// The result of redacting one text or one turn.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Redaction {
    /// The entities found, in order, never overlapping; offsets refer to the input.
    pub spans: Vec<Span>,
    /// The input with every span rewritten by its type's operator.
    pub redacted: String,
    /// For each span (same order, same length as `spans`), the byte range of what replaced it
    /// in `redacted` (empty for [`Operator::Remove`]).
    pub replacements: Vec<Range<usize>>,
}

/// One turn of a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Turn<'a> {
    /// Who spoke ("agent", "caller", a name): kept as given, never scanned.
    pub speaker: &'a str,
    /// What was said or written.
    pub text: &'a str,
}

/// A configuration that cannot work.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// A type uses [`Operator::Hash`] but no key was given.
    #[error("the hash operator needs an HMAC key")]
    MissingHmacKey,
}

/// How to redact: the operator per type, the key for pseudonyms, fail-closed, enabled types.
#[derive(Debug, Clone)]
pub struct RedactorConfig {
    operators: [Operator; EntityType::ALL.len()],
    enabled: [bool; EntityType::ALL.len()],
    hmac_key: Option<HmacKey>,
    fail_closed: bool,
}

impl Default for RedactorConfig {
    /// Every type enabled, replaced by `[TYPE]`, fail-closed on.
    fn default() -> Self {
        Self {
            operators: [Operator::Replace; EntityType::ALL.len()],
            enabled: [true; EntityType::ALL.len()],
            hmac_key: None,
            fail_closed: true,
        }
    }
}

impl RedactorConfig {
    /// Uses `operator` for every type.
    #[must_use]
    pub fn with_default_operator(mut self, operator: Operator) -> Self {
        self.operators = [operator; EntityType::ALL.len()];
        self
    }

    /// Uses `operator` for `entity`.
    #[must_use]
    pub fn with_operator(mut self, entity: EntityType, operator: Operator) -> Self {
        self.operators[entity.index()] = operator;
        self
    }

    /// The key for [`Operator::Hash`] pseudonyms.
    #[must_use]
    pub fn with_hmac_key(mut self, key: HmacKey) -> Self {
        self.hmac_key = Some(key);
        self
    }

    /// In payment context, redact 13–19 digit runs (written or spoken) that fail Luhn, since
    /// speech recognition breaks checksums. On by default.
    #[must_use]
    pub fn with_fail_closed(mut self, on: bool) -> Self {
        self.fail_closed = on;
        self
    }

    /// Detects only `types` (all types are enabled by default).
    #[must_use]
    pub fn with_enabled(mut self, types: &[EntityType]) -> Self {
        self.enabled = [false; EntityType::ALL.len()];
        for t in types {
            self.enabled[t.index()] = true;
        }
        self
    }

    /// The operator used for `entity`.
    pub fn operator(&self, entity: EntityType) -> Operator {
        self.operators[entity.index()]
    }

    /// Whether `entity` is detected.
    pub fn is_enabled(&self, entity: EntityType) -> bool {
        self.enabled[entity.index()]
    }

    /// Whether fail-closed is on.
    pub fn fail_closed(&self) -> bool {
        self.fail_closed
    }
}

/// The redaction engine. Build once, clone freely (an `Arc` inside), use from any thread.
#[derive(Debug, Clone)]
pub struct Redactor {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: RedactorConfig,
    lexicon: Lexicon,
    hmac: Option<aws_lc_rs::hmac::Key>,
    /// Some type uses [`Operator::Mask`].
    masks: bool,
}

/// Detections over a conversation joined turn after turn.
pub(crate) struct Joined<'t> {
    pub text: Cow<'t, str>,
    /// Byte offset of each turn in `text`.
    pub offsets: Vec<usize>,
    pub detections: Vec<Detection>,
    pub runs_tail: Option<TailRun>,
    /// Byte offset in `text` of the last token that is not a filler.
    pub last_content: Option<(usize, usize)>,
}

/// The number run (or number word) the joined text ends with, which more digits could extend.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TailRun {
    pub start: usize,
    pub digits: usize,
}

impl Redactor {
    /// Builds a redactor: word lists, cue automaton, HMAC key.
    pub fn new(config: RedactorConfig) -> Result<Self, ConfigError> {
        let needs_key = EntityType::ALL
            .iter()
            .any(|e| config.operator(*e) == Operator::Hash);
        let hmac = match &config.hmac_key {
            Some(key) => Some(key.hmac_key()),
            None if needs_key => return Err(ConfigError::MissingHmacKey),
            None => None,
        };
        Ok(Self {
            inner: Arc::new(Inner {
                masks: EntityType::ALL
                    .iter()
                    .any(|e| config.operator(*e) == Operator::Mask),
                lexicon: Lexicon::new(),
                config,
                hmac,
            }),
        })
    }

    /// The configuration this redactor was built with.
    pub fn config(&self) -> &RedactorConfig {
        &self.inner.config
    }

    /// Finds and redacts entities in one text (a chat message, an email, a transcript).
    pub fn redact(&self, text: &str) -> Redaction {
        let mut names = Vec::new();
        let joined = self.scan(&[text], &mut names);
        self.render(text, 0, &joined.detections)
    }

    /// Finds entities in one text without rewriting it.
    pub fn detect(&self, text: &str) -> Vec<Span> {
        let mut names = Vec::new();
        let joined = self.scan(&[text], &mut names);
        spans_for(text, 0, &joined.detections, None)
    }

    /// Redacts a conversation scanned as a whole: numbers read across turns are found whole
    /// (the other side's short "okay" or "go on" between the groups does not break them), and
    /// cues in one turn ("what's the security code?") inform the next. One result per turn,
    /// offsets relative to that turn's text; masking shows the last four of the whole entity,
    /// in the turn that ends it.
    pub fn redact_conversation(&self, turns: &[Turn<'_>]) -> Vec<Redaction> {
        let texts: Vec<&str> = turns.iter().map(|t| t.text).collect();
        let mut names = Vec::new();
        let joined = self.scan(&texts, &mut names);
        texts
            .iter()
            .enumerate()
            .map(|(i, text)| {
                let base = joined.offsets[i];
                self.render(
                    text,
                    base,
                    &clip(&joined.detections, base, base + text.len()),
                )
            })
            .collect()
    }

    /// Starts a live conversation: push turns as they arrive, get redacted text back as soon
    /// as it is safe. See [`ConversationStream`].
    pub fn stream(&self) -> ConversationStream {
        ConversationStream::new(self.clone())
    }

    /// Tokenizes and scans `texts` joined by line breaks; detections are merged, non-overlapping.
    pub(crate) fn scan<'t>(
        &self,
        texts: &[&'t str],
        names: &mut Vec<(String, usize)>,
    ) -> Joined<'t> {
        let text: Cow<'t, str> = match texts {
            [one] => Cow::Borrowed(*one),
            _ => Cow::Owned(texts.join("\n")),
        };
        let mut offsets = Vec::with_capacity(texts.len());
        let mut tokens = Vec::with_capacity(text.len() / 4);
        let mut base = 0;
        let mut labeled = false;
        for (i, t) in texts.iter().enumerate() {
            offsets.push(base);
            let first = tokens.len();
            labeled |=
                token::tokenize_into(t, base, u32::try_from(i).unwrap_or(u32::MAX), &mut tokens);
            if texts.len() > 1 {
                token::mark_ack_turn(&mut tokens[first..], &text, 0);
            }
            base += t.len() + 1;
        }
        let cues = self.inner.lexicon.cues(&text);
        if texts.len() > 1 || labeled {
            token::mark_interjections(&mut tokens, &text, &cues, texts.len() > 1);
        }
        let runs = numbers::number_runs(&tokens, &text);
        let mut scan = Scan {
            text: &text,
            tokens: &tokens,
            cues: &cues,
            runs: &runs,
            lexicon: &self.inner.lexicon,
            fail_closed: self.inner.config.fail_closed,
            known_names: names,
            out: Vec::new(),
            cue_spans: Vec::new(),
        };
        scan.run_all();
        let mut found = scan.out;
        found.retain(|d| self.inner.config.is_enabled(d.entity));
        let detections = merge(found);
        let last_content = tokens
            .iter()
            .rev()
            .find(|t| !t.skippable)
            .map(|t| (t.start, t.end));
        // The last number outside the other side's prompts ("next four" is no number).
        let last_run = runs
            .iter()
            .rev()
            .find(|r| tokens.get(r.first_token).is_some_and(|t| !t.interjection));
        let runs_tail = last_run.and_then(|r| {
            let last_turn = tokens.get(r.last_token).map_or(0, |t| t.turn);
            let ends_text = tokens.get(r.last_token + 1..).is_some_and(|rest| {
                // Trailing joining punctuation ("4111-") and the other side's "go on" in the
                // next few turns still let the number go on.
                rest.iter().all(|t| {
                    t.skippable
                        || t.interjection && t.turn <= last_turn + 3
                        || matches!(
                            t.kind,
                            token::Kind::Punct(b'-' | b'.' | b',' | b'(' | b')' | 0)
                        )
                })
            });
            // A "+" or "(" just before belongs to a phone number the run may become.
            let lead = r
                .first_token
                .checked_sub(1)
                .and_then(|i| tokens.get(i))
                .filter(|t| t.is_punct(b'+') || t.is_punct(b'(') || t.lex == lexicon::Lex::Plus);
            ends_text.then(|| TailRun {
                start: lead.map_or(r.start(), |t| t.start),
                digits: r.digits.len(),
            })
        });
        Joined {
            text,
            offsets,
            detections,
            runs_tail,
            last_content,
        }
    }

    /// Rewrites `text` (which starts at `base` in the scanned text) with `detections`.
    pub(crate) fn render(&self, text: &str, base: usize, detections: &[Detection]) -> Redaction {
        // Only masking needs to know the pieces of an entity.
        let mut pieces = Vec::new();
        let spans = spans_for(
            text,
            base,
            detections,
            self.inner.masks.then_some(&mut pieces),
        );
        let mut replacements = Vec::with_capacity(spans.len());
        let mut redacted = String::with_capacity(text.len());
        let mut at = 0;
        for (k, s) in spans.iter().enumerate() {
            // Spans never overlap (they are merged); should one start inside the last,
            // its rest is still replaced and no original text is written twice.
            if s.end <= at {
                replacements.push(redacted.len()..redacted.len());
                continue;
            }
            let start = s.start.max(at);
            redacted.push_str(text.get(at..start).unwrap_or(""));
            let value = text.get(start..s.end).unwrap_or("");
            let from = redacted.len();
            let op = self.inner.config.operator(s.entity);
            let keep = if op == Operator::Mask {
                mask_keeps(s.entity, value, pieces.get(k).copied().unwrap_or_default())
            } else {
                0
            };
            operator::apply(
                op,
                s.entity,
                value,
                keep,
                self.inner.hmac.as_ref(),
                &mut redacted,
            );
            replacements.push(from..redacted.len());
            at = s.end;
        }
        redacted.push_str(text.get(at..).unwrap_or(""));
        Redaction {
            spans,
            redacted,
            replacements,
        }
    }
}

/// How many trailing letters and digits masking may leave: the last four of the whole entity,
/// so none of a piece another piece follows, none of a security code, and none of a value of
/// four or fewer (keeping its "last four" would keep all of it).
fn mask_keeps(entity: EntityType, value: &str, piece: Piece) -> usize {
    if piece.continues || entity == EntityType::CardCvv {
        return 0;
    }
    if !piece.continued
        && value
            .chars()
            .filter(|c| c.is_alphanumeric())
            .nth(4)
            .is_none()
    {
        return 0;
    }
    4
}

/// Detections restricted to `[lo, hi)`, clipped to it.
pub(crate) fn clip(detections: &[Detection], lo: usize, hi: usize) -> Vec<Detection> {
    detections
        .iter()
        .filter(|d| d.end > lo && d.start < hi)
        .map(|d| Detection {
            start: d.start.max(lo),
            end: d.end.min(hi),
            // A span cut at a turn's edge is a piece of an entity said over turns.
            piece: d.piece.union(Piece {
                continued: d.start < lo,
                continues: d.end > hi,
            }),
            ..*d
        })
        .collect()
}

/// Spans relative to `text` (at `base` in the scanned text), with code point offsets; the
/// place of each in an entity said in pieces goes to `pieces`.
fn spans_for(
    text: &str,
    base: usize,
    detections: &[Detection],
    mut pieces: Option<&mut Vec<Piece>>,
) -> Vec<Span> {
    let ascii = text.is_ascii();
    let mut chars_before = 0;
    let mut counted_to = 0;
    let mut char_at = |byte: usize| {
        if ascii {
            return byte;
        }
        chars_before += text.get(counted_to..byte).map_or(0, |s| s.chars().count());
        counted_to = byte;
        chars_before
    };
    let mut spans = Vec::with_capacity(detections.len());
    for d in detections {
        let (Some(start), Some(end)) = (d.start.checked_sub(base), d.end.checked_sub(base)) else {
            continue;
        };
        let end = end.min(text.len());
        if start >= end || !text.is_char_boundary(start) || !text.is_char_boundary(end) {
            continue;
        }
        let char_start = char_at(start);
        let char_end = char_at(end);
        spans.push(Span {
            start,
            end,
            char_start,
            char_end,
            entity: d.entity,
            score: d.score,
        });
        if let Some(p) = pieces.as_deref_mut() {
            p.push(d.piece);
        }
    }
    spans
}

/// Sorts and merges overlapping detections into their union, keeping the stronger type.
pub(crate) fn merge(mut found: Vec<Detection>) -> Vec<Detection> {
    found.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    let mut out: Vec<Detection> = Vec::with_capacity(found.len());
    for d in found {
        match out.last_mut() {
            Some(last) if d.start < last.end => {
                if d.score > last.score && d.end - d.start >= (last.end - last.start) / 2 {
                    last.entity = d.entity;
                    last.score = d.score;
                }
                last.end = last.end.max(d.end);
                last.piece = last.piece.union(d.piece);
            }
            _ => out.push(d),
        }
    }
    out
}
