//! Redacting a transcript: the turns are scanned as one conversation (a card read over
//! three turns is one card), then every copy of what was said is rewritten: each turn's text,
//! each word, the subtitles. Spans become time ranges to mute in the recording.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use custos_redact::{EntityType, Operator, Redaction, Redactor, Span, Turn};

use crate::formats::Format;
use crate::model::{Transcript, TranscriptTurn};

/// Padding added on each side of a redacted time range by default, in milliseconds: word
/// timings from speech recognition are often off by a few tens of milliseconds.
pub const DEFAULT_PADDING_MS: u64 = 100;

/// How to turn spans into time ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RedactOptions {
    /// Added before and after every redacted range, in milliseconds.
    pub padding_ms: u64,
}

impl Default for RedactOptions {
    fn default() -> Self {
        Self {
            padding_ms: DEFAULT_PADDING_MS,
        }
    }
}

/// A stretch of the recording, in milliseconds from its start: `[start_ms, end_ms)`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct TimeRange {
    /// First millisecond.
    pub start_ms: u64,
    /// The millisecond after the last.
    pub end_ms: u64,
}

/// A transcript with every sensitive span rewritten, ready to store or show.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RedactedTranscript {
    /// The format the original was read from.
    pub format: Format,
    /// The turns, redacted.
    pub turns: Vec<RedactedTurn>,
    /// What to mute in the recording: sorted, merged, padded.
    pub redacted_ranges: Vec<TimeRange>,
    /// Spans for which no time is known (no word, cue or turn timing): the recording cannot
    /// be muted for them, so a non-zero count means the audio must not be kept as is.
    pub untimed_spans: usize,
    /// How many entities of each type were found (a card read over several turns counts
    /// once). Types and counts only: this is what goes to the audit log.
    pub entity_counts: BTreeMap<EntityType, usize>,
}

/// One redacted turn.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RedactedTurn {
    /// Who spoke, as in the original.
    pub speaker: String,
    /// The turn's text, redacted.
    pub text: String,
    /// When the turn starts, in milliseconds.
    pub start_ms: Option<u64>,
    /// When the turn ends.
    pub end_ms: Option<u64>,
    /// The words, each redacted on its own.
    pub words: Vec<RedactedWord>,
    /// The spans found, with offsets into the original turn text (not stored).
    #[serde(skip)]
    pub spans: Vec<Span>,
}

/// One redacted word.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RedactedWord {
    /// The word, or what replaced it.
    pub text: String,
    /// When the word starts, in milliseconds.
    pub start_ms: Option<u64>,
    /// When the word ends.
    pub end_ms: Option<u64>,
    /// The recognizer's confidence.
    pub confidence: Option<f32>,
    /// Whether the word touched a span and was rewritten.
    pub redacted: bool,
}

/// A stored redacted transcript that cannot be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoredFormatError {
    /// Not JSON of the stored shape, or of an unknown version.
    #[error("stored transcript unreadable at line {line}, column {column}")]
    Unreadable {
        /// Line, from 1.
        line: usize,
        /// Column, from 1.
        column: usize,
    },
}

#[derive(serde::Serialize)]
#[serde(tag = "version")]
enum StoredRef<'a> {
    #[serde(rename = "1")]
    V1(&'a RedactedTranscript),
}

#[derive(serde::Deserialize)]
#[serde(tag = "version")]
enum Stored {
    #[serde(rename = "1")]
    V1(RedactedTranscript),
}

impl RedactedTranscript {
    /// The stored form: JSON with a `"version": "1"` field, so the format can evolve.
    pub fn to_stored_json(&self) -> Vec<u8> {
        // Serializing plain structs, strings, numbers and string-keyed maps cannot fail;
        // should it ever, an empty body is refused by `from_stored_json`.
        serde_json::to_vec(&StoredRef::V1(self)).unwrap_or_default()
    }

    /// Reads the stored form back. Spans are not stored, so `turns[].spans` comes back empty.
    pub fn from_stored_json(bytes: &[u8]) -> Result<Self, StoredFormatError> {
        match serde_json::from_slice::<Stored>(bytes) {
            Ok(Stored::V1(t)) => Ok(t),
            Err(e) => Err(StoredFormatError::Unreadable {
                line: e.line(),
                column: e.column(),
            }),
        }
    }

    /// Total entities found.
    pub fn entity_total(&self) -> usize {
        self.entity_counts.values().sum()
    }

    /// WebVTT subtitles of the redacted turns: one cue per timed turn, the speaker as a voice
    /// tag. Turns without a time range have no place in subtitles and are left out.
    pub fn to_webvtt(&self) -> String {
        let mut out = String::from("WEBVTT\n");
        let mut n = 0;
        for turn in &self.turns {
            let (Some(start), Some(end)) = (turn.start_ms, turn.end_ms) else {
                continue;
            };
            n += 1;
            let _ = write!(
                out,
                "\n{n}\n{} --> {}\n<v {}>{}\n",
                vtt_time(start),
                vtt_time(end),
                vtt_escape(&turn.speaker),
                vtt_escape(&turn.text)
            );
        }
        out
    }
}

fn vtt_time(ms: u64) -> String {
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

/// Escapes markup and folds line breaks (a blank line would end the cue).
fn vtt_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' | '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Redacts `transcript` with `redactor`, scanning all turns as one conversation.
pub fn redact_transcript(
    redactor: &Redactor,
    transcript: &Transcript,
    options: &RedactOptions,
) -> RedactedTranscript {
    let turns = transcript.turns();
    let inputs: Vec<Turn<'_>> = turns
        .iter()
        .map(|t| Turn {
            speaker: t.speaker(),
            text: t.text(),
        })
        .collect();
    let redactions = redact_conversation(redactor, &inputs);
    let texts: Vec<&str> = turns.iter().map(TranscriptTurn::text).collect();
    let entity_counts = count_entities(&texts, &redactions);
    let mut out_turns = Vec::with_capacity(turns.len());
    let mut ranges = Vec::new();
    let mut untimed = 0;
    for (turn, r) in turns.iter().zip(redactions) {
        let rendered = renderings(&r);
        let words = redact_words(turn, &r.spans, &rendered, redactor);
        let times = word_times(turn);
        for s in &r.spans {
            match span_time(turn, &times, s) {
                Some(range) => ranges.push(TimeRange {
                    start_ms: range.start_ms.saturating_sub(options.padding_ms),
                    end_ms: range.end_ms.saturating_add(options.padding_ms),
                }),
                None => untimed += 1,
            }
        }
        out_turns.push(RedactedTurn {
            speaker: turn.speaker().to_owned(),
            text: r.redacted,
            start_ms: turn.start_ms(),
            end_ms: turn.end_ms(),
            words,
            spans: r.spans,
        });
    }
    RedactedTranscript {
        format: transcript.format(),
        entity_counts,
        turns: out_turns,
        redacted_ranges: merge_ranges(ranges),
        untimed_spans: untimed,
    }
}

/// [`Redactor::redact_conversation`]: custos-redact joins digit groups across commas and
/// turns, and masks an entity read over several turns (and any short value) so that at
/// most the last four characters of the whole show.
pub(crate) fn redact_conversation(redactor: &Redactor, turns: &[Turn<'_>]) -> Vec<Redaction> {
    redactor.redact_conversation(turns)
}

/// Sorts and merges overlapping or touching ranges.
pub fn merge_ranges(mut ranges: Vec<TimeRange>) -> Vec<TimeRange> {
    ranges.retain(|r| r.end_ms > r.start_ms);
    ranges.sort();
    let mut out: Vec<TimeRange> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match out.last_mut() {
            Some(last) if r.start_ms <= last.end_ms => last.end_ms = last.end_ms.max(r.end_ms),
            _ => out.push(r),
        }
    }
    out
}

/// What each span was rewritten to in `r.redacted` (`None` where the range is not there;
/// words then fall back to a `[TYPE]` placeholder).
fn renderings(r: &Redaction) -> Vec<Option<&str>> {
    r.replacements
        .iter()
        .map(|range| r.redacted.get(range.clone()))
        .collect()
}

/// Each word rewritten where it touches a span. The part of the word inside the span becomes
/// the span's replacement (for masking, the matching masked characters); digits in the rest
/// of a touched word become `*`, so no part of a digit group is left.
fn redact_words(
    turn: &TranscriptTurn,
    spans: &[Span],
    rendered: &[Option<&str>],
    redactor: &Redactor,
) -> Vec<crate::RedactedWord> {
    let text = turn.text();
    let mut out = Vec::with_capacity(turn.words().len());
    let mut first_span = 0;
    for w in turn.words() {
        let wr = w.range();
        while spans.get(first_span).is_some_and(|s| s.end <= wr.start) {
            first_span += 1;
        }
        let touching: Vec<usize> = (first_span..spans.len())
            .take_while(|&k| spans.get(k).is_some_and(|s| s.start < wr.end))
            .collect();
        if touching.is_empty() {
            out.push(RedactedWord {
                text: w.text().to_owned(),
                start_ms: w.start_ms(),
                end_ms: w.end_ms(),
                confidence: w.confidence(),
                redacted: false,
            });
            continue;
        }
        let mut word = String::new();
        let mut pos = wr.start;
        for k in touching {
            let (Some(s), Some(rendering)) = (spans.get(k), rendered.get(k)) else {
                continue;
            };
            let from = s.start.max(wr.start);
            let to = s.end.min(wr.end);
            push_starred_digits(&mut word, text.get(pos..from.max(pos)).unwrap_or(""));
            let covered = text.get(from..to).unwrap_or("");
            match (redactor.config().operator(s.entity), rendering) {
                (Operator::Remove, _) => {}
                (Operator::Mask, Some(r)) => {
                    let skip = text.get(s.start..from).map_or(0, |p| p.chars().count());
                    word.extend(r.chars().skip(skip).take(covered.chars().count()));
                }
                (Operator::Mask, None) => word.extend(
                    covered
                        .chars()
                        .map(|c| if c.is_alphanumeric() { '*' } else { c }),
                ),
                (Operator::Replace | Operator::Hash, Some(r)) => word.push_str(r),
                (Operator::Replace | Operator::Hash, None) => {
                    word.push('[');
                    word.push_str(s.entity.as_str());
                    word.push(']');
                }
            }
            pos = pos.max(to);
        }
        push_starred_digits(&mut word, text.get(pos.min(wr.end)..wr.end).unwrap_or(""));
        out.push(RedactedWord {
            text: word,
            start_ms: w.start_ms(),
            end_ms: w.end_ms(),
            confidence: w.confidence(),
            redacted: true,
        });
    }
    out
}

fn push_starred_digits(out: &mut String, s: &str) {
    out.extend(s.chars().map(|c| if c.is_ascii_digit() { '*' } else { c }));
}

/// Each word's time: its own if it has one; otherwise the gap between the timed words (or
/// turn edges) around it; `None` when that gap is unknown.
fn word_times(turn: &TranscriptTurn) -> Vec<Option<(u64, u64)>> {
    let words = turn.words();
    let own: Vec<Option<(u64, u64)>> = words.iter().map(|w| w.start_ms().zip(w.end_ms())).collect();
    let mut out = Vec::with_capacity(words.len());
    let mut prev_end = turn.start_ms();
    for (i, t) in own.iter().enumerate() {
        match t {
            Some((s, e)) => {
                out.push(Some((*s, *e)));
                prev_end = Some(*e);
            }
            None => {
                let next_start = own
                    .get(i + 1..)
                    .and_then(|rest| rest.iter().flatten().next().map(|(s, _)| *s))
                    .or(turn.end_ms());
                out.push(
                    prev_end
                        .zip(next_start)
                        .filter(|(lo, hi)| lo <= hi)
                        .map(|(lo, hi)| (lo, hi.max(lo))),
                );
            }
        }
    }
    out
}

/// The time a span covers: from the words it touches, else the turn's range.
fn span_time(turn: &TranscriptTurn, times: &[Option<(u64, u64)>], s: &Span) -> Option<TimeRange> {
    let turn_range = turn
        .start_ms()
        .zip(turn.end_ms())
        .map(|(start_ms, end_ms)| TimeRange { start_ms, end_ms });
    let mut range: Option<TimeRange> = None;
    for (w, t) in turn.words().iter().zip(times) {
        let wr = w.range();
        if wr.end <= s.start || wr.start >= s.end {
            continue;
        }
        let (ws, we) = match t {
            Some(t) => *t,
            None => return turn_range,
        };
        range = Some(match range {
            None => TimeRange {
                start_ms: ws,
                end_ms: we,
            },
            Some(r) => TimeRange {
                start_ms: r.start_ms.min(ws),
                end_ms: r.end_ms.max(we),
            },
        });
    }
    range.or(turn_range)
}

/// Pairs of spans that are one entity read over several turns: a span that ends its turn
/// (only whitespace or punctuation after it) and a span of the same type that opens a later
/// turn, with at most short span-free turns between ("okay", "go on"). Each pair is
/// `((turn, span), (turn, span))`, indices into `redactions`.
fn span_links(texts: &[&str], redactions: &[Redaction]) -> Vec<((usize, usize), (usize, usize))> {
    /// A span-free turn this short does not break a number read over several turns.
    const MAX_INTERRUPTION_WORDS: usize = 6;
    let only_filler = |s: &str| {
        s.chars()
            .all(|c| c.is_whitespace() || c.is_ascii_punctuation())
    };
    let mut links = Vec::new();
    let mut open: Option<(usize, usize, EntityType)> = None;
    for (i, (text, r)) in texts.iter().zip(redactions).enumerate() {
        let Some(first) = r.spans.first() else {
            if text.split_whitespace().count() > MAX_INTERRUPTION_WORDS {
                open = None;
            }
            continue;
        };
        if let Some((t, k, entity)) = open
            && entity == first.entity
            && only_filler(text.get(..first.start).unwrap_or(""))
        {
            links.push(((t, k), (i, 0)));
        }
        open = r
            .spans
            .last()
            .filter(|s| only_filler(text.get(s.end..).unwrap_or("")))
            .map(|s| (i, r.spans.len() - 1, s.entity));
    }
    links
}

/// Entities per type: spans, less the links that join pieces of one entity.
fn count_entities(texts: &[&str], redactions: &[Redaction]) -> BTreeMap<EntityType, usize> {
    let mut counts: BTreeMap<EntityType, usize> = BTreeMap::new();
    for r in redactions {
        for s in &r.spans {
            *counts.entry(s.entity).or_insert(0) += 1;
        }
    }
    for ((_, _), (t, k)) in span_links(texts, redactions) {
        if let Some(n) = redactions
            .get(t)
            .and_then(|r| r.spans.get(k))
            .and_then(|s| counts.get_mut(&s.entity))
        {
            *n = n.saturating_sub(1);
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_merge_when_touching() {
        let r = |start_ms, end_ms| TimeRange { start_ms, end_ms };
        assert_eq!(
            merge_ranges(vec![
                r(500, 900),
                r(0, 100),
                r(100, 200),
                r(850, 1000),
                r(5, 5)
            ]),
            vec![r(0, 200), r(500, 1000)]
        );
    }

    #[test]
    fn vtt_times_format() {
        assert_eq!(vtt_time(3_723_004), "01:02:03.004");
        assert_eq!(vtt_escape("a<b>&\nc"), "a&lt;b&gt;&amp; c");
    }
}
