//! Plain JSON turns: `[{"speaker": "agent", "text": "…", "start_ms": 0, "end_ms": 1200}]`
//! or the same array under `{"turns": […]}`. Times are optional integer milliseconds; words
//! are split from the text.

use serde_json::Value;

use crate::ParseError;
use crate::formats::cues::UNKNOWN_SPEAKER;
use crate::formats::{Format, ms_value, optional_ms};
use crate::model::{MAX_TURNS, Transcript, TranscriptTurn};

pub(crate) fn parse(value: &Value) -> Result<Transcript, ParseError> {
    let list = match value {
        Value::Array(a) => a,
        Value::Object(o) => o
            .get("turns")
            .and_then(Value::as_array)
            .ok_or(ParseError::Shape {
                what: "turns is not an array",
            })?,
        _ => {
            return Err(ParseError::Shape {
                what: "expected an array of turns",
            });
        }
    };
    if list.len() > MAX_TURNS {
        return Err(ParseError::TooManyTurns { limit: MAX_TURNS });
    }
    let mut turns = Vec::with_capacity(list.len());
    for (i, t) in list.iter().enumerate() {
        let index = i + 1;
        let bad = |what| ParseError::Element {
            kind: "turn",
            index,
            what,
        };
        let timing = |problem| ParseError::ElementTiming {
            kind: "turn",
            index,
            problem,
        };
        if !t.is_object() {
            return Err(bad("not an object"));
        }
        let speaker = match t.get("speaker") {
            None | Some(Value::Null) => UNKNOWN_SPEAKER,
            Some(Value::String(s)) => s.as_str(),
            Some(_) => return Err(bad("speaker is not a string")),
        };
        let text = t
            .get("text")
            .and_then(Value::as_str)
            .ok_or(bad("text is missing or not a string"))?;
        let start = optional_ms(t.get("start_ms"), ms_value).map_err(timing)?;
        let end = optional_ms(t.get("end_ms"), ms_value).map_err(timing)?;
        let turn = TranscriptTurn::from_text(turns.len() + 1, speaker, text.trim(), start, end)?;
        if !turn.text().is_empty() {
            turns.push(turn);
        }
    }
    Transcript::new(Format::JsonTurns, turns)
}
