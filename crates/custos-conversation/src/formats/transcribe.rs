//! Amazon Transcribe job output: `results.items` are pronunciation items (a word, start and
//! end seconds as strings, confidence) and punctuation items (attached to the word before).
//! Speakers come from each item's `speaker_label`, from `results.speaker_labels.segments`
//! (matched by start time), or, for channel identification, from
//! `results.channel_labels.channels`. A turn is a run of words by one speaker.

use std::collections::HashMap;

use serde_json::Value;

use crate::ParseError;
use crate::formats::cues::UNKNOWN_SPEAKER;
use crate::formats::{Format, optional_ms, seconds_value_to_ms};
use crate::model::{MAX_TURNS, MAX_WORDS, Transcript, TranscriptTurn, WordInput};

/// One item, checked.
struct Item<'a> {
    punctuation: bool,
    content: &'a str,
    confidence: Option<f32>,
    start_ms: Option<u64>,
    end_ms: Option<u64>,
    speaker: Option<&'a str>,
}

pub(crate) fn parse(value: &Value) -> Result<Transcript, ParseError> {
    let results = value.get("results").ok_or(ParseError::Shape {
        what: "no results object",
    })?;
    let items = results
        .get("items")
        .and_then(Value::as_array)
        .ok_or(ParseError::Shape {
            what: "results.items is not an array",
        })?;
    if items.len() > 2 * MAX_WORDS {
        return Err(ParseError::TooManyWords { limit: MAX_WORDS });
    }
    let mut parsed = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        parsed.push(read_item(i + 1, item, None)?);
    }

    let by_start = speaker_segments(results)?;
    let has_speakers = parsed.iter().any(|i| i.speaker.is_some()) || !by_start.is_empty();
    if !has_speakers
        && let Some(channels) = results
            .get("channel_labels")
            .and_then(|c| c.get("channels"))
            .and_then(Value::as_array)
    {
        parsed = channel_items(channels)?;
    }

    let mut turns = Vec::new();
    let mut words: Vec<WordInput<'_>> = Vec::new();
    let mut current: Option<&str> = None;
    for item in &parsed {
        if item.punctuation {
            if let Some(last) = words.last_mut()
                && last.trailing.is_empty()
            {
                last.trailing = item.content;
            }
            continue;
        }
        let speaker = item
            .speaker
            .or_else(|| item.start_ms.and_then(|s| by_start.get(&s).copied()))
            .or(current)
            .unwrap_or(UNKNOWN_SPEAKER);
        if current.is_some_and(|c| c != speaker) {
            flush(&mut turns, current, &mut words)?;
        }
        current = Some(speaker);
        words.push(WordInput {
            text: item.content,
            start_ms: item.start_ms,
            end_ms: item.end_ms,
            confidence: item.confidence,
            trailing: "",
        });
    }
    flush(&mut turns, current, &mut words)?;
    Transcript::new(Format::AmazonTranscribe, turns)
}

fn flush<'a>(
    turns: &mut Vec<TranscriptTurn>,
    speaker: Option<&str>,
    words: &mut Vec<WordInput<'a>>,
) -> Result<(), ParseError> {
    if words.is_empty() {
        return Ok(());
    }
    if turns.len() >= MAX_TURNS {
        return Err(ParseError::TooManyTurns { limit: MAX_TURNS });
    }
    let turn = TranscriptTurn::from_words(
        turns.len() + 1,
        speaker.unwrap_or(UNKNOWN_SPEAKER),
        words,
        None,
        None,
    )?;
    words.clear();
    if !turn.text().is_empty() {
        turns.push(turn);
    }
    Ok(())
}

fn read_item<'a>(
    index: usize,
    item: &'a Value,
    channel: Option<&'a str>,
) -> Result<Item<'a>, ParseError> {
    let bad = |what| ParseError::Element {
        kind: "item",
        index,
        what,
    };
    let punctuation = match item.get("type").and_then(Value::as_str) {
        Some("pronunciation") => false,
        Some("punctuation") => true,
        Some(_) => return Err(bad("unknown item type")),
        None => return Err(bad("missing type")),
    };
    let best = item
        .get("alternatives")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .ok_or(bad("no alternatives"))?;
    let content = best
        .get("content")
        .and_then(Value::as_str)
        .ok_or(bad("alternative without content"))?;
    let confidence = match best.get("confidence") {
        None | Some(Value::Null) => None,
        Some(v) => {
            let c = match v {
                Value::String(s) => s.trim().parse::<f64>().ok(),
                Value::Number(n) => n.as_f64(),
                _ => None,
            }
            .filter(|c| (0.0..=1.0).contains(c))
            .ok_or(bad("confidence is not a number in 0..1"))?;
            #[expect(
                clippy::cast_possible_truncation,
                reason = "a confidence in 0..=1 fits an f32"
            )]
            Some(c as f32)
        }
    };
    let timing = |problem| ParseError::ElementTiming {
        kind: "item",
        index,
        problem,
    };
    let start_ms = optional_ms(item.get("start_time"), seconds_value_to_ms).map_err(timing)?;
    let end_ms = optional_ms(item.get("end_time"), seconds_value_to_ms).map_err(timing)?;
    if !punctuation && (start_ms.is_none() || end_ms.is_none()) {
        return Err(bad("pronunciation without start_time and end_time"));
    }
    if let (Some(s), Some(e)) = (start_ms, end_ms)
        && e < s
    {
        return Err(timing(crate::model::TimingProblem::EndBeforeStart));
    }
    let speaker = item
        .get("speaker_label")
        .and_then(Value::as_str)
        .or(channel);
    Ok(Item {
        punctuation,
        content,
        confidence,
        start_ms,
        end_ms,
        speaker,
    })
}

/// `results.speaker_labels.segments[].items[]`: start time → speaker.
fn speaker_segments(results: &Value) -> Result<HashMap<u64, &str>, ParseError> {
    let mut out = HashMap::new();
    let Some(segments) = results
        .get("speaker_labels")
        .and_then(|s| s.get("segments"))
        .and_then(Value::as_array)
    else {
        return Ok(out);
    };
    for (i, seg) in segments.iter().enumerate() {
        let bad = |what| ParseError::Element {
            kind: "segment",
            index: i + 1,
            what,
        };
        let label = seg
            .get("speaker_label")
            .and_then(Value::as_str)
            .ok_or(bad("speaker segment without speaker_label"))?;
        for item in seg
            .get("items")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let speaker = item
                .get("speaker_label")
                .and_then(Value::as_str)
                .unwrap_or(label);
            let start =
                optional_ms(item.get("start_time"), seconds_value_to_ms).map_err(|problem| {
                    ParseError::ElementTiming {
                        kind: "segment",
                        index: i + 1,
                        problem,
                    }
                })?;
            if let Some(start) = start {
                out.insert(start, speaker);
            }
        }
    }
    Ok(out)
}

/// The items of every channel, speaker = channel label, in time order (punctuation stays
/// after its word).
fn channel_items(channels: &[Value]) -> Result<Vec<Item<'_>>, ParseError> {
    let mut groups: Vec<(u64, usize, Vec<Item<'_>>)> = Vec::new();
    let mut index = 0;
    for (c, channel) in channels.iter().enumerate() {
        let label =
            channel
                .get("channel_label")
                .and_then(Value::as_str)
                .ok_or(ParseError::Element {
                    kind: "channel",
                    index: c + 1,
                    what: "channel without channel_label",
                })?;
        for item in channel
            .get("items")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            index += 1;
            if index > 2 * MAX_WORDS {
                return Err(ParseError::TooManyWords { limit: MAX_WORDS });
            }
            let item = read_item(index, item, Some(label))?;
            match (item.punctuation, groups.last_mut()) {
                (true, Some((_, gc, g))) if *gc == c => g.push(item),
                (true, _) => {}
                (false, _) => groups.push((item.start_ms.unwrap_or(0), c, vec![item])),
            }
        }
    }
    groups.sort_by_key(|(start, c, _)| (*start, *c));
    Ok(groups.into_iter().flat_map(|(_, _, g)| g).collect())
}
