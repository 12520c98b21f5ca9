//! Call transcripts and chat/email messages for the contact center: read what CCaaS
//! platforms produce, redact it as one conversation, mute the recording, and flag phishing.
//! Pure: no async, no network, no storage.
//!
//! ```
//! use custos_conversation::{RedactOptions, parse, redact_transcript};
//! use custos_redact::{Redactor, RedactorConfig};
//!
//! let vtt = "WEBVTT\n\n00:00.000 --> 00:02.000\n<v Agent>Go ahead with the card number\n\n\
//!            00:02.000 --> 00:05.000\n<v Caller>four one one one one one one one\n\n\
//!            00:05.000 --> 00:06.000\n<v Agent>okay\n\n\
//!            00:06.000 --> 00:08.000\n<v Caller>1111 1111\n";
//! let transcript = parse("text/vtt", vtt.as_bytes())?;
//! let redactor = Redactor::new(RedactorConfig::default()).map_err(|_| "config")?;
//! let out = redact_transcript(&redactor, &transcript, &RedactOptions::default());
//! assert_eq!(out.turns[3].text, "[CREDIT_CARD]");
//! assert_eq!(out.entity_total(), 1);
//! assert!(out.to_webvtt().contains("<v Caller>[CREDIT_CARD]"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! - [`parse`] reads WebVTT, SubRip, Amazon Transcribe JSON, Amazon Connect Contact Lens
//!   JSON, Whisper JSON and plain JSON turns into one model, [`Transcript`]: turns of words with optional timings. Limits
//!   ([`MAX_BODY_BYTES`], [`MAX_TURNS`], [`MAX_WORDS`], …) bound what an upload can cost;
//!   errors ([`ParseError`]) never quote the input.
//! - [`redact_transcript`] rewrites every copy of what was said (turn text, words) and
//!   gives the [`TimeRange`]s to mute; [`RedactedTranscript::to_webvtt`] renders subtitles.
//! - [`mute_wav`] silences or beeps those ranges in a WAV recording.
//! - [`redact_message`] and [`redact_chat`] handle chat and email; [`assess`] (or an
//!   [`Assessor`] that also knows the contact center's own brand) flags phishing and social
//!   engineering for the agent.
//!
//! Redaction is custos-redact's, over the whole conversation: it joins digit groups the
//! recognizer separated with commas, and masking never shows more than the last four
//! characters of an entity read over several turns, nor a short value (a security code)
//! whole.

mod audio;
mod error;
mod formats;
mod message;
mod model;
mod phishing;
mod redact;

pub use audio::{AudioError, BEEP_AMPLITUDE, Mute, MuteSummary, frame_ranges, mute_wav};
pub use error::ParseError;
pub use formats::{Format, parse, parse_as, sniff_json};
pub use message::{Message, RedactedMessage, redact_chat, redact_message};
pub use model::{
    MAX_BODY_BYTES, MAX_SPEAKER_BYTES, MAX_TIME_MS, MAX_TURN_BYTES, MAX_TURNS, MAX_WORDS,
    TimingProblem, Transcript, TranscriptTurn, Word, WordInput,
};
pub use phishing::{
    Assessment, Assessor, Channel, Flag, Level, MAX_ASSESSED_BYTES, MessageInput, assess,
};
pub use redact::{
    DEFAULT_PADDING_MS, RedactOptions, RedactedTranscript, RedactedTurn, RedactedWord,
    StoredFormatError, TimeRange, merge_ranges, redact_transcript,
};
