//! Transcript formats contact-center platforms produce, and the choice among them by content
//! type and, for JSON or an unhelpful type, by sniffing the body.
//!
//! | format | content types |
//! | --- | --- |
//! | WebVTT | `text/vtt` |
//! | SubRip | `application/x-subrip`, `text/srt`, `application/srt` |
//! | Amazon Transcribe JSON | `application/vnd.amazon.transcribe+json` |
//! | Amazon Connect Contact Lens / Transcribe Call Analytics JSON | `application/vnd.amazon.contact-lens+json` |
//! | Whisper JSON (also WhisperX) | `application/vnd.whisper+json` |
//! | plain JSON turns | `application/vnd.custos.turns+json` |
//! | sniffed | `application/json`, any other `+json`, `text/plain`, `application/octet-stream` |

mod contact_lens;
mod cues;
pub(crate) use cues::decode_entities;
mod transcribe;
mod turns;
mod whisper;

use serde_json::Value;

use crate::ParseError;
use crate::model::{MAX_BODY_BYTES, MAX_TIME_MS, TimingProblem, Transcript};

/// A transcript format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// WebVTT subtitles.
    WebVtt,
    /// SubRip (`.srt`) subtitles.
    Srt,
    /// Amazon Transcribe job output.
    AmazonTranscribe,
    /// Amazon Connect Contact Lens or Transcribe Call Analytics output.
    ContactLens,
    /// OpenAI Whisper (or WhisperX) verbose JSON.
    Whisper,
    /// A JSON array of `{"speaker","text"}` turns, or `{"turns": [...]}`.
    JsonTurns,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 6] = [
        Self::WebVtt,
        Self::Srt,
        Self::AmazonTranscribe,
        Self::ContactLens,
        Self::Whisper,
        Self::JsonTurns,
    ];

    /// The content type that names this format.
    pub const fn content_type(self) -> &'static str {
        match self {
            Self::WebVtt => "text/vtt",
            Self::Srt => "application/x-subrip",
            Self::AmazonTranscribe => "application/vnd.amazon.transcribe+json",
            Self::ContactLens => "application/vnd.amazon.contact-lens+json",
            Self::Whisper => "application/vnd.whisper+json",
            Self::JsonTurns => "application/vnd.custos.turns+json",
        }
    }

    /// The format a content type names: `Ok(None)` for a type that says only "JSON" or
    /// "text", so the body must be sniffed. Parameters (`; charset=utf-8`) are ignored.
    pub fn from_content_type(content_type: &str) -> Result<Option<Self>, ParseError> {
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        Ok(Some(match essence.as_str() {
            "text/vtt" => Self::WebVtt,
            "application/x-subrip" | "text/srt" | "application/srt" | "text/x-srt" => Self::Srt,
            "application/vnd.amazon.transcribe+json" => Self::AmazonTranscribe,
            "application/vnd.amazon.contact-lens+json" => Self::ContactLens,
            "application/vnd.whisper+json" => Self::Whisper,
            "application/vnd.custos.turns+json" => Self::JsonTurns,
            "application/json" | "text/json" | "text/plain" | "application/octet-stream" | "" => {
                return Ok(None);
            }
            other if other.ends_with("+json") => return Ok(None),
            _ => return Err(ParseError::UnsupportedContentType),
        }))
    }
}

/// Parses a transcript, choosing the format by `content_type` (see the module table) and
/// sniffing the body when the type says only JSON or text.
pub fn parse(content_type: &str, body: &[u8]) -> Result<Transcript, ParseError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(ParseError::TooLarge {
            limit: MAX_BODY_BYTES,
        });
    }
    // The type first: a body of another kind is refused as such, whatever its bytes.
    let format = Format::from_content_type(content_type)?;
    let text = std::str::from_utf8(body).map_err(|e| ParseError::NotUtf8 {
        byte: e.valid_up_to(),
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match format {
        Some(Format::WebVtt) => cues::parse_vtt(text),
        Some(Format::Srt) => cues::parse_srt(text),
        Some(json) => parse_json_as(json, &json_value(text)?),
        None => {
            let head = text.trim_start();
            if head.starts_with('{') || head.starts_with('[') {
                let value = json_value(text)?;
                let format = sniff_json(&value).ok_or(ParseError::Shape {
                    what: "not a known transcript shape (Transcribe, Whisper or turns)",
                })?;
                parse_json_as(format, &value)
            } else if head.starts_with("WEBVTT") {
                cues::parse_vtt(text)
            } else if head.as_bytes().first().is_some_and(u8::is_ascii_digit) {
                cues::parse_srt(text)
            } else {
                Err(ParseError::UnsupportedContentType)
            }
        }
    }
}

/// Parses `text` as `format`.
pub fn parse_as(format: Format, text: &str) -> Result<Transcript, ParseError> {
    parse(format.content_type(), text.as_bytes())
}

/// Which JSON transcript shape `value` has.
pub fn sniff_json(value: &Value) -> Option<Format> {
    match value {
        Value::Array(_) => Some(Format::JsonTurns),
        Value::Object(o) => {
            if o.get("results").and_then(|r| r.get("items")).is_some() {
                Some(Format::AmazonTranscribe)
            } else if o.get("Transcript").is_some_and(Value::is_array) {
                Some(Format::ContactLens)
            } else if o.get("segments").is_some_and(Value::is_array) {
                Some(Format::Whisper)
            } else if o.get("turns").is_some_and(Value::is_array) {
                Some(Format::JsonTurns)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// The array of segments under `key` (`what` names the problem when it is not one),
/// within the turn limit.
pub(crate) fn turn_array<'v>(
    value: &'v Value,
    key: &str,
    what: &'static str,
) -> Result<&'v [Value], ParseError> {
    let items = value
        .get(key)
        .and_then(Value::as_array)
        .ok_or(ParseError::Shape { what })?;
    if items.len() > crate::model::MAX_TURNS {
        return Err(ParseError::TooManyTurns {
            limit: crate::model::MAX_TURNS,
        });
    }
    Ok(items)
}

fn json_value(text: &str) -> Result<Value, ParseError> {
    serde_json::from_str(text).map_err(|e| ParseError::json(&e))
}

fn parse_json_as(format: Format, value: &Value) -> Result<Transcript, ParseError> {
    match format {
        Format::AmazonTranscribe => transcribe::parse(value),
        Format::ContactLens => contact_lens::parse(value),
        Format::Whisper => whisper::parse(value),
        Format::JsonTurns => turns::parse(value),
        Format::WebVtt | Format::Srt => Err(ParseError::UnsupportedContentType),
    }
}

/// Decimal seconds ("12.345", "7", "0.5") to milliseconds, exactly: digits past the
/// millisecond are rounded half up.
pub(crate) fn seconds_str_to_ms(s: &str) -> Result<u64, TimingProblem> {
    let s = s.trim();
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() && frac.is_empty() {
        return Err(TimingProblem::Malformed);
    }
    if !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(if s.starts_with('-') {
            TimingProblem::OutOfRange
        } else {
            TimingProblem::Malformed
        });
    }
    if whole.len() > 9 {
        return Err(TimingProblem::OutOfRange);
    }
    let secs: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| TimingProblem::Malformed)?
    };
    let mut ms = 0u64;
    for (i, b) in frac.bytes().take(3).enumerate() {
        ms += u64::from(b - b'0') * [100, 10, 1][i];
    }
    if frac.as_bytes().get(3).is_some_and(|b| *b >= b'5') {
        ms += 1;
    }
    let total = secs * 1000 + ms;
    if total > MAX_TIME_MS {
        return Err(TimingProblem::OutOfRange);
    }
    Ok(total)
}

/// Seconds as a JSON number or string to milliseconds (rounded to the nearest).
pub(crate) fn seconds_value_to_ms(v: &Value) -> Result<u64, TimingProblem> {
    match v {
        Value::String(s) => seconds_str_to_ms(s),
        Value::Number(n) => {
            let f = n.as_f64().ok_or(TimingProblem::Malformed)?;
            #[expect(clippy::cast_precision_loss, reason = "MAX_TIME_MS is far below 2^52")]
            let max = MAX_TIME_MS as f64 / 1000.0;
            if !f.is_finite() || f < 0.0 || f > max {
                return Err(TimingProblem::OutOfRange);
            }
            // INVARIANT: 0 <= f * 1000 <= MAX_TIME_MS, so the cast is exact and in range.
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "range checked just above"
            )]
            Ok((f * 1000.0).round() as u64)
        }
        _ => Err(TimingProblem::Malformed),
    }
}

/// An optional field in milliseconds: absent or null is `None`.
pub(crate) fn optional_ms(
    v: Option<&Value>,
    to_ms: fn(&Value) -> Result<u64, TimingProblem>,
) -> Result<Option<u64>, TimingProblem> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(v) => to_ms(v).map(Some),
    }
}

/// Milliseconds given as a JSON integer.
pub(crate) fn ms_value(v: &Value) -> Result<u64, TimingProblem> {
    match v {
        Value::Number(n) => {
            let ms = n.as_u64().ok_or(if n.as_i64().is_some_and(|i| i < 0) {
                TimingProblem::OutOfRange
            } else {
                TimingProblem::Malformed
            })?;
            if ms > MAX_TIME_MS {
                return Err(TimingProblem::OutOfRange);
            }
            Ok(ms)
        }
        _ => Err(TimingProblem::Malformed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_strings_convert_exactly() {
        assert_eq!(seconds_str_to_ms("0.54"), Ok(540));
        assert_eq!(seconds_str_to_ms("12.3456"), Ok(12_346));
        assert_eq!(seconds_str_to_ms("7"), Ok(7000));
        assert_eq!(seconds_str_to_ms(".5"), Ok(500));
        assert_eq!(seconds_str_to_ms("-1.0"), Err(TimingProblem::OutOfRange));
        assert_eq!(seconds_str_to_ms("1e3"), Err(TimingProblem::Malformed));
        assert_eq!(seconds_str_to_ms(""), Err(TimingProblem::Malformed));
        assert_eq!(
            seconds_str_to_ms("999999999"),
            Err(TimingProblem::OutOfRange)
        );
    }

    #[test]
    fn content_types_choose_formats() {
        assert_eq!(
            Format::from_content_type("text/vtt; charset=utf-8"),
            Ok(Some(Format::WebVtt))
        );
        assert_eq!(Format::from_content_type("Application/JSON"), Ok(None));
        assert_eq!(
            Format::from_content_type("image/png"),
            Err(ParseError::UnsupportedContentType)
        );
        for f in Format::ALL {
            assert_eq!(Format::from_content_type(f.content_type()), Ok(Some(f)));
        }
    }
}
