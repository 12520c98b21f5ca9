//! Why a transcript was refused. Every message names a place (line, cue, turn, item) and
//! what is wrong with it, never the content: a transcript may hold card numbers.

use crate::model::TimingProblem;

/// A transcript that cannot be read. The message and the `Debug` output name positions and
/// problems only, never text from the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The content type is none of the transcript formats.
    #[error("unsupported content type for a transcript")]
    UnsupportedContentType,
    /// The body is larger than the limit.
    #[error("transcript larger than {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The body is not UTF-8.
    #[error("transcript is not UTF-8 (at byte {byte})")]
    NotUtf8 {
        /// Byte offset of the first invalid byte.
        byte: usize,
    },
    /// More turns than the limit.
    #[error("transcript has more than {limit} turns")]
    TooManyTurns {
        /// The limit.
        limit: usize,
    },
    /// More words than the limit.
    #[error("transcript has more than {limit} words")]
    TooManyWords {
        /// The limit.
        limit: usize,
    },
    /// One turn's text is longer than the limit.
    #[error("turn {turn} is longer than {limit} bytes")]
    TurnTooLong {
        /// The turn number, from 1.
        turn: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// Nothing was said: no cue, segment, item or turn with text.
    #[error("transcript has no turns")]
    Empty,
    /// A WebVTT file must begin with `WEBVTT`.
    #[error("missing WEBVTT header on line 1")]
    MissingHeader,
    /// A cue timing line is wrong.
    #[error("line {line}: {problem} in cue timing")]
    CueTiming {
        /// The line number, from 1.
        line: usize,
        /// What is wrong.
        problem: TimingProblem,
    },
    /// A cue is malformed.
    #[error("line {line}: {what}")]
    Cue {
        /// The line number, from 1.
        line: usize,
        /// What is wrong.
        what: &'static str,
    },
    /// The JSON does not parse.
    #[error("invalid JSON at line {line}, column {column} ({what})")]
    Json {
        /// The line number, from 1.
        line: usize,
        /// The column, from 1.
        column: usize,
        /// The kind of error: syntax, truncated input, …
        what: &'static str,
    },
    /// The JSON parses but is not the expected shape.
    #[error("JSON transcript: {what}")]
    Shape {
        /// What is missing or wrong.
        what: &'static str,
    },
    /// One element (an item, a segment, a word, a turn object) of a JSON transcript is wrong.
    #[error("{kind} {index}: {what}")]
    Element {
        /// What kind of element: "item", "segment", "turn".
        kind: &'static str,
        /// Its number, from 1.
        index: usize,
        /// What is wrong.
        what: &'static str,
    },
    /// A time in a JSON element is wrong.
    #[error("{kind} {index}: {problem}")]
    ElementTiming {
        /// What kind of element: "item", "segment", "word", "turn".
        kind: &'static str,
        /// Its number, from 1.
        index: usize,
        /// What is wrong.
        problem: TimingProblem,
    },
    /// A turn's start and end do not make a range.
    #[error("turn {turn}: {problem}")]
    TurnTiming {
        /// The turn number, from 1.
        turn: usize,
        /// What is wrong.
        problem: TimingProblem,
    },
    /// A word's start and end do not make a range.
    #[error("turn {turn}, word {word}: {problem}")]
    WordTiming {
        /// The turn number, from 1.
        turn: usize,
        /// The word number in the turn, from 1.
        word: usize,
        /// What is wrong.
        problem: TimingProblem,
    },
    /// A turn is otherwise invalid.
    #[error("turn {turn}: {what}")]
    Invalid {
        /// The turn number, from 1.
        turn: usize,
        /// What is wrong.
        what: &'static str,
    },
}

impl ParseError {
    /// Wraps a serde_json error without its message, which may quote the input.
    pub(crate) fn json(e: &serde_json::Error) -> Self {
        use serde_json::error::Category;
        Self::Json {
            line: e.line(),
            column: e.column(),
            what: match e.classify() {
                Category::Io => "read error",
                Category::Syntax => "syntax error",
                Category::Data => "unexpected data",
                Category::Eof => "truncated",
            },
        }
    }
}
