//! Whisper verbose JSON (and WhisperX): `segments`, each with `start`/`end` seconds, `text`,
//! and optionally `words` with `start`/`end` seconds and `probability` (WhisperX: `score`,
//! and words it could not align have no times). A segment is a turn; its speaker is the
//! segment's `speaker` (WhisperX diarization) or "unknown".

use serde_json::Value;

use crate::ParseError;
use crate::formats::cues::UNKNOWN_SPEAKER;
use crate::formats::{Format, optional_ms, seconds_value_to_ms, turn_array};
use crate::model::{MAX_WORDS, Transcript, TranscriptTurn, WordInput};

pub(crate) fn parse(value: &Value) -> Result<Transcript, ParseError> {
    let segments = turn_array(value, "segments", "segments is not an array")?;
    let mut turns = Vec::with_capacity(segments.len());
    let mut word_total = 0usize;
    for (i, seg) in segments.iter().enumerate() {
        let index = i + 1;
        let bad = |what| ParseError::Element {
            kind: "segment",
            index,
            what,
        };
        let timing = |problem| ParseError::ElementTiming {
            kind: "segment",
            index,
            problem,
        };
        if !seg.is_object() {
            return Err(bad("not an object"));
        }
        let start = optional_ms(seg.get("start"), seconds_value_to_ms).map_err(timing)?;
        let end = optional_ms(seg.get("end"), seconds_value_to_ms).map_err(timing)?;
        let speaker = match seg.get("speaker") {
            None | Some(Value::Null) => UNKNOWN_SPEAKER,
            Some(Value::String(s)) => s.as_str(),
            Some(_) => return Err(bad("speaker is not a string")),
        };
        let words = seg.get("words").and_then(Value::as_array);
        let turn_index = turns.len() + 1;
        let turn = match words {
            Some(words) if !words.is_empty() => {
                word_total += words.len();
                if word_total > MAX_WORDS {
                    return Err(ParseError::TooManyWords { limit: MAX_WORDS });
                }
                let mut inputs = Vec::with_capacity(words.len());
                for (k, w) in words.iter().enumerate() {
                    inputs.push(read_word(index, k + 1, w)?);
                }
                TranscriptTurn::from_words(turn_index, speaker, &inputs, start, end)?
            }
            _ => {
                let text = seg
                    .get("text")
                    .and_then(Value::as_str)
                    .ok_or(bad("segment without text or words"))?;
                TranscriptTurn::from_text(turn_index, speaker, text.trim(), start, end)?
            }
        };
        if !turn.text().is_empty() {
            turns.push(turn);
        }
    }
    Transcript::new(Format::Whisper, turns)
}

fn read_word(segment: usize, word: usize, w: &Value) -> Result<WordInput<'_>, ParseError> {
    let bad = |what| ParseError::Element {
        kind: "segment",
        index: segment,
        what,
    };
    let text = w
        .get("word")
        .or_else(|| w.get("text"))
        .and_then(Value::as_str)
        .ok_or(bad("a word without text"))?;
    let timing = |problem| ParseError::WordTiming {
        turn: segment,
        word,
        problem,
    };
    let start_ms = optional_ms(w.get("start"), seconds_value_to_ms).map_err(timing)?;
    let end_ms = optional_ms(w.get("end"), seconds_value_to_ms).map_err(timing)?;
    let confidence = match w.get("probability").or_else(|| w.get("score")) {
        None | Some(Value::Null) => None,
        Some(v) => {
            let c = v
                .as_f64()
                .filter(|c| (0.0..=1.0).contains(c))
                .ok_or(bad("a word probability is not a number in 0..1"))?;
            #[expect(
                clippy::cast_possible_truncation,
                reason = "a probability in 0..=1 fits an f32"
            )]
            Some(c as f32)
        }
    };
    Ok(WordInput {
        text,
        start_ms,
        end_ms,
        confidence,
        trailing: "",
    })
}
