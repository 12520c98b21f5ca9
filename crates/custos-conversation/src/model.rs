//! The one internal model every transcript format is parsed into: turns of words, with
//! optional timings, and the limits that keep a hostile upload from exhausting memory.
//!
//! Words are kept aligned with their turn's text (each word knows its byte offset in it), so
//! a span found in the text maps to the words, and so to the time, it covers.

use std::fmt;

use zeroize::Zeroize;

use crate::ParseError;
use crate::formats::Format;

/// Largest transcript body accepted, in bytes (16 MiB: a ten-hour call as Transcribe JSON).
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
/// Most turns (cues, segments, speaker changes) in one transcript.
pub const MAX_TURNS: usize = 50_000;
/// Most words in one transcript.
pub const MAX_WORDS: usize = 1_000_000;
/// Longest text of one turn, in bytes.
pub const MAX_TURN_BYTES: usize = 64 * 1024;
/// Longest speaker label, in bytes.
pub const MAX_SPEAKER_BYTES: usize = 64;
/// Latest time accepted anywhere in a transcript: 48 hours, in milliseconds.
pub const MAX_TIME_MS: u64 = 48 * 3600 * 1000;

/// A call transcript: what was said, turn by turn. Built by [`crate::parse`] or
/// [`Transcript::new`], which check the limits and the timings.
#[derive(Clone, PartialEq)]
pub struct Transcript {
    format: Format,
    turns: Vec<TranscriptTurn>,
}

/// One turn: a speaker's uninterrupted stretch of speech (a cue, a segment, or the words
/// between two speaker changes).
#[derive(Clone, PartialEq)]
pub struct TranscriptTurn {
    speaker: String,
    text: String,
    start_ms: Option<u64>,
    end_ms: Option<u64>,
    words: Vec<Word>,
}

/// One word of a turn, with its byte offset in the turn's text.
#[derive(Clone, PartialEq)]
pub struct Word {
    offset: usize,
    text: String,
    start_ms: Option<u64>,
    end_ms: Option<u64>,
    confidence: Option<f32>,
}

/// A word as a speech recognizer gives it, before it is placed in a turn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WordInput<'a> {
    /// The word as recognized (surrounding whitespace is dropped).
    pub text: &'a str,
    /// When the word starts, in milliseconds from the start of the call.
    pub start_ms: Option<u64>,
    /// When the word ends.
    pub end_ms: Option<u64>,
    /// The recognizer's confidence, 0..=1.
    pub confidence: Option<f32>,
    /// Punctuation the recognizer gave after this word, attached without a space (",", ".").
    pub trailing: &'a str,
}

impl Transcript {
    /// A transcript of `turns` read as `format`. Refuses an empty transcript and one over
    /// [`MAX_TURNS`] or [`MAX_WORDS`].
    pub fn new(format: Format, turns: Vec<TranscriptTurn>) -> Result<Self, ParseError> {
        if turns.is_empty() {
            return Err(ParseError::Empty);
        }
        if turns.len() > MAX_TURNS {
            return Err(ParseError::TooManyTurns { limit: MAX_TURNS });
        }
        let words: usize = turns.iter().map(|t| t.words.len()).sum();
        if words > MAX_WORDS {
            return Err(ParseError::TooManyWords { limit: MAX_WORDS });
        }
        Ok(Self { format, turns })
    }

    /// The format it was read from.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The turns, in order.
    pub fn turns(&self) -> &[TranscriptTurn] {
        &self.turns
    }

    /// Total number of words.
    pub fn word_count(&self) -> usize {
        self.turns.iter().map(|t| t.words.len()).sum()
    }
}

impl fmt::Debug for Transcript {
    /// Counts only: a transcript may hold card numbers.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transcript")
            .field("format", &self.format)
            .field("turns", &self.turns.len())
            .field("words", &self.word_count())
            .finish_non_exhaustive()
    }
}

impl TranscriptTurn {
    /// A turn from its text; words are split at whitespace and carry no timings.
    /// `index` is the turn's number (from 1), used in errors.
    pub fn from_text(
        index: usize,
        speaker: &str,
        text: &str,
        start_ms: Option<u64>,
        end_ms: Option<u64>,
    ) -> Result<Self, ParseError> {
        check_turn(index, speaker, text.len(), start_ms, end_ms)?;
        let mut words = Vec::new();
        let mut at = 0;
        for piece in text.split_whitespace() {
            // split_whitespace yields sub-slices in order: find each after the last.
            let offset = text
                .get(at..)
                .and_then(|rest| rest.find(piece))
                .map_or(at, |i| at + i);
            words.push(Word {
                offset,
                text: piece.to_owned(),
                start_ms: None,
                end_ms: None,
                confidence: None,
            });
            at = offset + piece.len();
        }
        Ok(Self {
            speaker: speaker.to_owned(),
            text: text.to_owned(),
            start_ms,
            end_ms,
            words,
        })
    }

    /// A turn from recognized words: the text is the words joined by spaces (trailing
    /// punctuation attached). Without `start_ms`/`end_ms`, the turn spans its timed words.
    pub fn from_words(
        index: usize,
        speaker: &str,
        words: &[WordInput<'_>],
        start_ms: Option<u64>,
        end_ms: Option<u64>,
    ) -> Result<Self, ParseError> {
        let mut text = String::new();
        let mut out = Vec::with_capacity(words.len());
        for (k, w) in words.iter().enumerate() {
            let word = w.text.trim();
            if word.is_empty() {
                continue;
            }
            check_range(w.start_ms, w.end_ms).map_err(|problem| ParseError::WordTiming {
                turn: index,
                word: k + 1,
                problem,
            })?;
            if let Some(c) = w.confidence
                && !(0.0..=1.0).contains(&c)
            {
                return Err(ParseError::Invalid {
                    turn: index,
                    what: "a word confidence is outside 0..1",
                });
            }
            if !text.is_empty() {
                text.push(' ');
            }
            let offset = text.len();
            text.push_str(word);
            text.push_str(w.trailing.trim());
            if text.len() > MAX_TURN_BYTES {
                return Err(ParseError::TurnTooLong {
                    turn: index,
                    limit: MAX_TURN_BYTES,
                });
            }
            out.push(Word {
                offset,
                text: word.to_owned(),
                start_ms: w.start_ms,
                end_ms: w.end_ms,
                confidence: w.confidence,
            });
        }
        let start_ms = start_ms.or_else(|| out.iter().find_map(|w| w.start_ms));
        let end_ms = end_ms.or_else(|| out.iter().rev().find_map(|w| w.end_ms));
        check_turn(index, speaker, text.len(), start_ms, end_ms)?;
        Ok(Self {
            speaker: speaker.to_owned(),
            text,
            start_ms,
            end_ms,
            words: out,
        })
    }

    /// Who spoke.
    pub fn speaker(&self) -> &str {
        &self.speaker
    }

    /// What was said.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// When the turn starts, in milliseconds.
    pub fn start_ms(&self) -> Option<u64> {
        self.start_ms
    }

    /// When the turn ends, in milliseconds.
    pub fn end_ms(&self) -> Option<u64> {
        self.end_ms
    }

    /// The words, in order.
    pub fn words(&self) -> &[Word] {
        &self.words
    }
}

impl fmt::Debug for TranscriptTurn {
    /// Timings and counts only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TranscriptTurn")
            .field("start_ms", &self.start_ms)
            .field("end_ms", &self.end_ms)
            .field("bytes", &self.text.len())
            .field("words", &self.words.len())
            .finish_non_exhaustive()
    }
}

impl Drop for TranscriptTurn {
    /// What callers read out may hold card data: wipe it when the turn goes.
    fn drop(&mut self) {
        self.text.zeroize();
        for w in &mut self.words {
            w.text.zeroize();
        }
    }
}

impl Word {
    /// The word.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Byte offset of the word in its turn's text.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// When the word starts, in milliseconds.
    pub fn start_ms(&self) -> Option<u64> {
        self.start_ms
    }

    /// When the word ends, in milliseconds.
    pub fn end_ms(&self) -> Option<u64> {
        self.end_ms
    }

    /// The recognizer's confidence, 0..=1.
    pub fn confidence(&self) -> Option<f32> {
        self.confidence
    }

    /// Byte range of the word in its turn's text.
    pub(crate) fn range(&self) -> std::ops::Range<usize> {
        self.offset..self.offset + self.text.len()
    }
}

impl fmt::Debug for Word {
    /// Timings only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Word")
            .field("offset", &self.offset)
            .field("start_ms", &self.start_ms)
            .field("end_ms", &self.end_ms)
            .finish_non_exhaustive()
    }
}

/// What is wrong with a time range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimingProblem {
    /// Not a timestamp of the expected form.
    Malformed,
    /// The end comes before the start.
    EndBeforeStart,
    /// Negative, not a number, or past [`MAX_TIME_MS`].
    OutOfRange,
}

impl fmt::Display for TimingProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Malformed => "malformed timestamp",
            Self::EndBeforeStart => "end before start",
            Self::OutOfRange => "time out of range",
        })
    }
}

pub(crate) fn check_range(start_ms: Option<u64>, end_ms: Option<u64>) -> Result<(), TimingProblem> {
    for t in [start_ms, end_ms].into_iter().flatten() {
        if t > MAX_TIME_MS {
            return Err(TimingProblem::OutOfRange);
        }
    }
    if let (Some(s), Some(e)) = (start_ms, end_ms)
        && e < s
    {
        return Err(TimingProblem::EndBeforeStart);
    }
    Ok(())
}

fn check_turn(
    index: usize,
    speaker: &str,
    text_len: usize,
    start_ms: Option<u64>,
    end_ms: Option<u64>,
) -> Result<(), ParseError> {
    if text_len > MAX_TURN_BYTES {
        return Err(ParseError::TurnTooLong {
            turn: index,
            limit: MAX_TURN_BYTES,
        });
    }
    check_speaker(index, speaker)?;
    check_range(start_ms, end_ms).map_err(|problem| ParseError::TurnTiming {
        turn: index,
        problem,
    })
}

/// Speaker labels are kept as given and never scanned, so they must not be a place where
/// card data can hide: short, and without a run of digits.
pub(crate) fn check_speaker(index: usize, speaker: &str) -> Result<(), ParseError> {
    if speaker.len() > MAX_SPEAKER_BYTES {
        return Err(ParseError::Invalid {
            turn: index,
            what: "speaker label too long",
        });
    }
    let mut run = 0;
    for c in speaker.chars() {
        run = if c.is_ascii_digit() { run + 1 } else { 0 };
        if run > 3 {
            return Err(ParseError::Invalid {
                turn: index,
                what: "speaker label holds a digit sequence",
            });
        }
    }
    if speaker.chars().any(char::is_control) {
        return Err(ParseError::Invalid {
            turn: index,
            what: "speaker label holds control characters",
        });
    }
    Ok(())
}
