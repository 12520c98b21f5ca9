//! Redaction of a live conversation, turn by turn. Each pushed turn is scanned together with
//! the turns still held and a short tail of released turns (for context cues such as "what's
//! the security code?"); everything up to the trailing tokens that could still begin a number
//! is released at once. Memory per conversation is bounded: at most [`MAX_HELD_BYTES`] held,
//! [`MAX_CONTEXT_BYTES`] of released context, and a bounded list of name words.

use std::collections::VecDeque;
use std::ops::Range;

use zeroize::Zeroizing;

use crate::detect::{Detection, Piece};
use crate::{EntityType, Redactor, Span, clip};

/// Held text beyond which the stream releases anyway (redacting a trailing number whole).
pub const MAX_HELD_BYTES: usize = 2 * 1024;
/// Released text kept as context for cues in the next turns (at least this much, at most twice).
pub const MAX_CONTEXT_BYTES: usize = 768;
const MAX_CONTEXT_TURNS: usize = 256;

/// Redacted text released by a [`ConversationStream`]: a piece of one turn. The pieces of a
/// turn, concatenated in order, are that turn redacted.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Released {
    /// Index of the turn (0 for the first pushed).
    pub turn: usize,
    /// The speaker, as pushed.
    pub speaker: String,
    /// The redacted piece.
    pub text: String,
    /// Entities in this piece, with offsets into the turn's original text.
    pub spans: Vec<Span>,
    /// For each span (same order), the byte range of its replacement in `text`.
    pub replacements: Vec<Range<usize>>,
    /// This piece ends the turn.
    pub turn_complete: bool,
}

struct HeldTurn {
    index: usize,
    speaker: String,
    text: Zeroizing<String>,
    /// Bytes of `text` already released.
    released: usize,
}

/// The redaction state of one live conversation; get one from [`Redactor::stream`].
pub struct ConversationStream {
    redactor: Redactor,
    next_index: usize,
    context: VecDeque<Zeroizing<String>>,
    held: Vec<HeldTurn>,
    names: Vec<(String, usize)>,
}

impl std::fmt::Debug for ConversationStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConversationStream")
            .field("next_index", &self.next_index)
            .field("held_turns", &self.held.len())
            .finish_non_exhaustive()
    }
}

impl ConversationStream {
    pub(crate) fn new(redactor: Redactor) -> Self {
        Self {
            redactor,
            next_index: 0,
            context: VecDeque::new(),
            held: Vec::new(),
            names: Vec::new(),
        }
    }

    /// Adds a turn; returns the redacted text that is now safe to release (possibly from
    /// earlier turns that were held, possibly nothing if the whole turn could continue a number).
    pub fn push_turn(&mut self, speaker: &str, text: &str) -> Vec<Released> {
        self.held.push(HeldTurn {
            index: self.next_index,
            speaker: speaker.to_owned(),
            text: Zeroizing::new(text.to_owned()),
            released: 0,
        });
        self.next_index += 1;
        let held_bytes: usize = self.held.iter().map(|t| t.text.len() - t.released).sum();
        self.release(held_bytes > MAX_HELD_BYTES, false)
    }

    /// Ends the conversation: releases everything still held.
    pub fn finish(mut self) -> Vec<Released> {
        self.release(false, true)
    }

    /// Number of bytes currently held back.
    pub fn held_bytes(&self) -> usize {
        self.held.iter().map(|t| t.text.len() - t.released).sum()
    }

    fn release(&mut self, forced: bool, finished: bool) -> Vec<Released> {
        let context_turns = self.context.len();
        let mut texts: Vec<&str> = self.context.iter().map(|c| c.as_str()).collect();
        texts.extend(self.held.iter().map(|t| t.text.as_str()));
        let mut names = std::mem::take(&mut self.names);
        // Name positions refer to the previous scan; they are remembered as "seen before".
        for n in &mut names {
            n.1 = 0;
        }
        let joined = self.redactor.scan(&texts, &mut names);
        self.names = names;
        let total = joined.text.len();
        let trailing_word = joined
            .last_content
            .filter(|(start, end)| could_start_number(joined.text.get(*start..*end).unwrap_or("")))
            .map(|(start, _)| start);
        let (offsets, mut detections, runs_tail) =
            (joined.offsets, joined.detections, joined.runs_tail);
        drop(texts);

        // Where to stop releasing: the start of a trailing number that more digits could extend.
        let mut cut = total;
        if !finished {
            if let Some(tail) = runs_tail {
                if forced {
                    if tail.digits >= 6 {
                        // More of the number may follow in a later turn: mask all of it.
                        detections.push(Detection {
                            piece: Piece {
                                continued: false,
                                continues: true,
                            },
                            ..Detection::new(tail.start, total, EntityType::CreditCard, 0.3)
                        });
                        // It may overlap a detection inside the number: merge, so no
                        // span starts inside another and nothing is released twice.
                        detections = crate::merge(detections);
                    }
                } else {
                    cut = tail.start;
                }
            } else if let Some(start) = trailing_word.filter(|_| !forced) {
                cut = start;
            }
            // Never cut through a span.
            for d in &detections {
                if d.start < cut && d.end > cut {
                    cut = d.start;
                }
            }
        }

        let mut out = Vec::new();
        let mut done = 0;
        for (k, turn) in self.held.iter_mut().enumerate() {
            let base = offsets.get(context_turns + k).copied().unwrap_or(total);
            let turn_end = base + turn.text.len();
            let lo = base + turn.released;
            let hi = cut.clamp(lo, turn_end);
            let complete = cut >= turn_end;
            if hi > lo || complete {
                let piece_dets = clip(&detections, lo, hi);
                let piece = turn.text.get(turn.released..hi - base).unwrap_or("");
                let rendered = self.redactor.render(piece, lo, &piece_dets);
                let shift_bytes = turn.released;
                let shift_chars = turn
                    .text
                    .get(..turn.released)
                    .map_or(0, |s| s.chars().count());
                let spans = rendered
                    .spans
                    .into_iter()
                    .map(|s| Span {
                        start: s.start + shift_bytes,
                        end: s.end + shift_bytes,
                        char_start: s.char_start + shift_chars,
                        char_end: s.char_end + shift_chars,
                        ..s
                    })
                    .collect();
                out.push(Released {
                    turn: turn.index,
                    speaker: turn.speaker.clone(),
                    text: rendered.redacted,
                    spans,
                    replacements: rendered.replacements,
                    turn_complete: complete,
                });
                turn.released = hi - base;
            }
            if complete {
                done = k + 1;
            } else {
                break;
            }
        }
        for turn in self.held.drain(..done) {
            self.context.push_back(tail_of(turn.text));
        }
        // Keep at least MAX_CONTEXT_BYTES (every cue window is shorter), at most that plus one
        // turn (itself cut to MAX_CONTEXT_BYTES).
        let mut total: usize = self.context.iter().map(|c| c.len() + 1).sum();
        while let Some(front) = self.context.front() {
            if total - (front.len() + 1) < MAX_CONTEXT_BYTES
                && self.context.len() <= MAX_CONTEXT_TURNS
            {
                break;
            }
            total -= front.len() + 1;
            self.context.pop_front();
        }
        out
    }
}

/// The last [`MAX_CONTEXT_BYTES`] of a released turn, cut at a whitespace.
fn tail_of(text: Zeroizing<String>) -> Zeroizing<String> {
    if text.len() <= MAX_CONTEXT_BYTES {
        return text;
    }
    let mut from = text.len() - MAX_CONTEXT_BYTES;
    while from < text.len() && !text.is_char_boundary(from) {
        from += 1;
    }
    let rest = text.get(from..).unwrap_or("");
    let cut = rest.find(char::is_whitespace).map_or(rest.len(), |i| i + 1);
    Zeroizing::new(rest.get(cut..).unwrap_or("").to_owned())
}

/// Words that only make sense followed by a digit ("double", "triple", "oh", "plus").
fn could_start_number(word: &str) -> bool {
    matches!(
        word.to_ascii_lowercase().as_str(),
        "double" | "triple" | "oh" | "o" | "plus" | "+" | "("
    )
}
