//! WebVTT and SubRip: blocks of cue timing and text, speakers from `<v Name>` voice tags or a
//! `Name: text` prefix. Each cue becomes a turn (or one turn per speaker inside the cue);
//! words are split from the text and carry no timings of their own.

use crate::ParseError;
use crate::formats::Format;
use crate::model::{MAX_TIME_MS, MAX_TURNS, TimingProblem, Transcript, TranscriptTurn};

/// A speaker label given by a `Name:` prefix is at most this long.
const MAX_PREFIX_LABEL: usize = 40;

/// The speaker of a turn with no voice tag or prefix.
pub(crate) const UNKNOWN_SPEAKER: &str = "unknown";

struct Line<'a> {
    number: usize,
    text: &'a str,
}

/// The blocks of a cue file: runs of non-blank lines.
fn blocks(text: &str) -> Vec<Vec<Line<'_>>> {
    let mut out = Vec::new();
    let mut block = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() {
            if !block.is_empty() {
                out.push(std::mem::take(&mut block));
            }
        } else {
            block.push(Line {
                number: i + 1,
                text: line,
            });
        }
    }
    if !block.is_empty() {
        out.push(block);
    }
    out
}

pub(crate) fn parse_vtt(text: &str) -> Result<Transcript, ParseError> {
    let first = text.split('\n').next().unwrap_or("");
    let rest = first
        .strip_prefix("WEBVTT")
        .ok_or(ParseError::MissingHeader)?;
    let rest = rest.strip_suffix('\r').unwrap_or(rest);
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return Err(ParseError::MissingHeader);
    }
    let mut turns = Vec::new();
    // The first block is the header (WEBVTT and any header lines).
    for block in blocks(text).iter().skip(1) {
        let Some(head) = block.first() else { continue };
        if is_keyword_block(head.text, "NOTE")
            || is_keyword_block(head.text, "STYLE")
            || is_keyword_block(head.text, "REGION")
        {
            continue;
        }
        let timing_at = if head.text.contains("-->") {
            0
        } else if block.get(1).is_some_and(|l| l.text.contains("-->")) {
            1
        } else {
            return Err(ParseError::Cue {
                line: head.number,
                what: "cue without a timing line",
            });
        };
        let Some(timing) = block.get(timing_at) else {
            continue;
        };
        let (start, end) = cue_timing(timing, false)?;
        cue_turns(&block[timing_at + 1..], start, end, &mut turns)?;
    }
    Transcript::new(Format::WebVtt, turns)
}

pub(crate) fn parse_srt(text: &str) -> Result<Transcript, ParseError> {
    let mut turns = Vec::new();
    for block in blocks(text) {
        let Some(head) = block.first() else { continue };
        let timing_at = if head.text.contains("-->") {
            0
        } else if head.text.trim().bytes().all(|b| b.is_ascii_digit()) {
            1
        } else {
            return Err(ParseError::Cue {
                line: head.number,
                what: "expected a cue number or a timing line",
            });
        };
        let Some(timing) = block.get(timing_at) else {
            return Err(ParseError::Cue {
                line: head.number,
                what: "cue number without a timing line",
            });
        };
        if !timing.text.contains("-->") {
            return Err(ParseError::Cue {
                line: timing.number,
                what: "expected a timing line",
            });
        }
        let (start, end) = cue_timing(timing, true)?;
        cue_turns(&block[timing_at + 1..], start, end, &mut turns)?;
    }
    Transcript::new(Format::Srt, turns)
}

fn is_keyword_block(line: &str, keyword: &str) -> bool {
    line.strip_prefix(keyword)
        .is_some_and(|r| r.is_empty() || r.starts_with([' ', '\t']))
}

/// `00:01:02.500 --> 00:01:04.000 align:start` (SRT: `00:01:02,500`).
fn cue_timing(line: &Line<'_>, srt: bool) -> Result<(u64, u64), ParseError> {
    let bad = |problem| ParseError::CueTiming {
        line: line.number,
        problem,
    };
    let (left, right) = line
        .text
        .split_once("-->")
        .ok_or(bad(TimingProblem::Malformed))?;
    let start = timestamp(left.trim(), srt).map_err(bad)?;
    let end_text = right.split_whitespace().next().unwrap_or("");
    let end = timestamp(end_text, srt).map_err(bad)?;
    if end < start {
        return Err(bad(TimingProblem::EndBeforeStart));
    }
    Ok((start, end))
}

/// `hh:mm:ss.ttt` or `mm:ss.ttt` (WebVTT); `hh:mm:ss,ttt` (SubRip, which also sees `.`).
fn timestamp(s: &str, srt: bool) -> Result<u64, TimingProblem> {
    let (clock, frac) = if srt {
        s.split_once([',', '.']).ok_or(TimingProblem::Malformed)?
    } else {
        s.split_once('.').ok_or(TimingProblem::Malformed)?
    };
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if frac.len() != 3 || !digits(frac) {
        return Err(TimingProblem::Malformed);
    }
    let parts: Vec<&str> = clock.split(':').collect();
    let (h, m, sec) = match parts.as_slice() {
        [m, s] if !srt => ("0", *m, *s),
        [h, m, s] => (*h, *m, *s),
        _ => return Err(TimingProblem::Malformed),
    };
    if !digits(h) || m.len() != 2 || sec.len() != 2 || !digits(m) || !digits(sec) {
        return Err(TimingProblem::Malformed);
    }
    if h.len() > 6 {
        return Err(TimingProblem::OutOfRange);
    }
    let n = |p: &str| p.parse::<u64>().map_err(|_| TimingProblem::Malformed);
    let (h, m, sec, ms) = (n(h)?, n(m)?, n(sec)?, n(frac)?);
    if m > 59 || sec > 59 {
        return Err(TimingProblem::Malformed);
    }
    let total = ((h * 60 + m) * 60 + sec) * 1000 + ms;
    if total > MAX_TIME_MS {
        return Err(TimingProblem::OutOfRange);
    }
    Ok(total)
}

/// The turns of one cue's text lines: a new turn wherever a line names a new speaker.
fn cue_turns(
    lines: &[Line<'_>],
    start: u64,
    end: u64,
    turns: &mut Vec<TranscriptTurn>,
) -> Result<(), ParseError> {
    let mut speaker: Option<String> = None;
    let mut text = String::new();
    for line in lines {
        let (named, body) = speaker_of(line.text);
        if let Some(named) = named
            && speaker.as_deref() != Some(named.as_str())
        {
            push_turn(turns, speaker.take(), &mut text, start, end)?;
            speaker = Some(named);
        }
        let body = plain_text(body);
        let body = body.trim();
        if !body.is_empty() {
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(body);
        }
    }
    push_turn(turns, speaker, &mut text, start, end)
}

fn push_turn(
    turns: &mut Vec<TranscriptTurn>,
    speaker: Option<String>,
    text: &mut String,
    start: u64,
    end: u64,
) -> Result<(), ParseError> {
    if text.is_empty() {
        return Ok(());
    }
    if turns.len() >= MAX_TURNS {
        return Err(ParseError::TooManyTurns { limit: MAX_TURNS });
    }
    let speaker = speaker.as_deref().unwrap_or(UNKNOWN_SPEAKER);
    turns.push(TranscriptTurn::from_text(
        turns.len() + 1,
        speaker,
        text,
        Some(start),
        Some(end),
    )?);
    zeroize::Zeroize::zeroize(text);
    Ok(())
}

/// The speaker a line names (`<v Name>` or `Name: `) and the rest of the line.
fn speaker_of(line: &str) -> (Option<String>, &str) {
    let trimmed = line.trim_start();
    if let Some(tag) = trimmed.strip_prefix("<v")
        && tag.starts_with([' ', '.', '\t'])
        && let Some(close) = tag.find('>')
    {
        let inside = tag.get(..close).unwrap_or("");
        // `<v.loud Esme Rose>`: classes before the first space, the name after it.
        let name = inside
            .trim_start_matches(|c: char| c != ' ' && c != '\t')
            .trim();
        let rest = tag.get(close + 1..).unwrap_or("");
        let name = decode_entities(name);
        return ((!name.is_empty()).then_some(name), rest);
    }
    if let Some(colon) = trimmed.find(':')
        && colon <= MAX_PREFIX_LABEL
    {
        let label = trimmed.get(..colon).unwrap_or("").trim();
        let after = trimmed.get(colon + 1..).unwrap_or("");
        if (after.is_empty() || after.starts_with([' ', '\t'])) && is_speaker_label(label) {
            return (Some(label.to_owned()), after);
        }
    }
    (None, line)
}

/// "Agent", "CALLER", "Speaker 2", "Dr. Ruth Okafor": letters, at most three words, an
/// optional short number at the end. Anything else ("my card is 4111: …") is text.
fn is_speaker_label(label: &str) -> bool {
    let words: Vec<&str> = label.split_whitespace().collect();
    if words.is_empty() || words.len() > 3 {
        return false;
    }
    if !label.chars().next().is_some_and(char::is_alphabetic) {
        return false;
    }
    words.iter().enumerate().all(|(i, w)| {
        let last = i + 1 == words.len();
        w.chars()
            .all(|c| c.is_alphabetic() || matches!(c, '.' | '\'' | '-' | '_'))
            || (last && w.len() <= 2 && w.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// Cue text without markup: tags (`<b>`, `<c.x>`, `<00:01.000>`, `</v>`, SubRip's `<font>`)
/// and SubRip/ASS override blocks (`{\an8}`) removed, character references decoded.
fn plain_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(['<', '{']) {
        out.push_str(rest.get(..i).unwrap_or(""));
        let tail = rest.get(i..).unwrap_or("");
        let close = if tail.starts_with('<') { '>' } else { '}' };
        let is_override = close == '}' && tail.starts_with("{\\");
        match tail.find(close) {
            Some(j) if close == '>' || is_override => rest = tail.get(j + 1..).unwrap_or(""),
            _ => {
                out.push_str(tail.get(..1).unwrap_or(""));
                rest = tail.get(1..).unwrap_or("");
            }
        }
    }
    out.push_str(rest);
    decode_entities(&out)
}

/// `&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;`, `&nbsp;`, `&lrm;`, `&rlm;`, `&#NN;`, `&#xNN;`.
pub(crate) fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(rest.get(..i).unwrap_or(""));
        let tail = rest.get(i..).unwrap_or("");
        let semi = tail.get(..12).unwrap_or(tail).find(';');
        let decoded = semi.and_then(|j| {
            let name = tail.get(1..j)?;
            let c = match name {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                "nbsp" => ' ',
                "lrm" | "rlm" => '\u{200b}',
                _ => {
                    let code = if let Some(hex) =
                        name.strip_prefix("#x").or_else(|| name.strip_prefix("#X"))
                    {
                        u32::from_str_radix(hex, 16).ok()?
                    } else {
                        name.strip_prefix('#')?.parse().ok()?
                    };
                    char::from_u32(code)?
                }
            };
            Some((c, j))
        });
        match decoded {
            Some(('\u{200b}', j)) => rest = tail.get(j + 1..).unwrap_or(""),
            Some((c, j)) => {
                out.push(c);
                rest = tail.get(j + 1..).unwrap_or("");
            }
            None => {
                out.push('&');
                rest = tail.get(1..).unwrap_or("");
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(timestamp("00:01.500", false), Ok(1500));
        assert_eq!(timestamp("01:00:01.500", false), Ok(3_601_500));
        assert_eq!(timestamp("00:00:02,040", true), Ok(2040));
        assert_eq!(timestamp("00:61.000", false), Err(TimingProblem::Malformed));
        assert_eq!(timestamp("00:01,500", false), Err(TimingProblem::Malformed));
        assert_eq!(timestamp("0:01.5", false), Err(TimingProblem::Malformed));
        assert_eq!(timestamp("01:02.500", true), Err(TimingProblem::Malformed));
        assert_eq!(
            timestamp("99:00:00.000", false),
            Err(TimingProblem::OutOfRange)
        );
    }

    #[test]
    fn speaker_labels() {
        assert_eq!(speaker_of("Agent: hello").0.as_deref(), Some("Agent"));
        assert_eq!(speaker_of("Speaker 2: hi").0.as_deref(), Some("Speaker 2"));
        assert_eq!(
            speaker_of("<v.loud Esme Rose>hi</v>").0.as_deref(),
            Some("Esme Rose")
        );
        assert_eq!(speaker_of("my card is 4111: ok").0, None);
        assert_eq!(speaker_of("at 10:30 please").0, None);
        assert_eq!(speaker_of("http://x.test").0, None);
    }

    #[test]
    fn markup_is_removed() {
        assert_eq!(
            plain_text("<c.yellow>four</c> <00:00:01.000>one &amp; {\\an8}two {ok}"),
            "four one & two {ok}"
        );
    }
}
