//! Amazon Connect Contact Lens (and Transcribe Call Analytics) output: a `Transcript` array
//! of segments with `Content`, `BeginOffsetMillis`, `EndOffsetMillis` and the speaker's
//! `ParticipantRole` (`AGENT`, `CUSTOMER`) or `ParticipantId`. A segment is a turn; words
//! are split from its text.

use serde_json::Value;

use crate::ParseError;
use crate::formats::cues::UNKNOWN_SPEAKER;
use crate::formats::{Format, ms_value, optional_ms, turn_array};
use crate::model::{Transcript, TranscriptTurn};

pub(crate) fn parse(value: &Value) -> Result<Transcript, ParseError> {
    let segments = turn_array(value, "Transcript", "Transcript is not an array")?;
    let mut turns = Vec::with_capacity(segments.len());
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
        let text = seg
            .get("Content")
            .and_then(Value::as_str)
            .ok_or(bad("Content is missing or not a string"))?;
        let speaker = ["ParticipantRole", "ParticipantId"]
            .iter()
            .find_map(|k| seg.get(*k).and_then(Value::as_str))
            .unwrap_or(UNKNOWN_SPEAKER);
        let start = optional_ms(seg.get("BeginOffsetMillis"), ms_value).map_err(timing)?;
        let end = optional_ms(seg.get("EndOffsetMillis"), ms_value).map_err(timing)?;
        let turn = TranscriptTurn::from_text(turns.len() + 1, speaker, text.trim(), start, end)?;
        if !turn.text().is_empty() {
            turns.push(turn);
        }
    }
    Transcript::new(Format::ContactLens, turns)
}
