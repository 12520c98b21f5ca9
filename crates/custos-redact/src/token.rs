//! Splits text into words, digit runs and punctuation with their byte offsets, in one pass,
//! and marks the tokens that may sit inside a spoken number without ending it: hesitations,
//! speaker labels ("agent:") and whole turns of the other side acknowledging ("okay", "mhm");
//! and the other side's short prompts ("go on") a number read in groups may pass over.

use crate::lexicon::{Cues, Lex, cue, is_ack_word, lex_word};

/// The shape of a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Letters (and apostrophes inside them).
    Word,
    /// ASCII digits only.
    Num,
    /// Digits followed by an ordinal suffix ("3rd", "21st").
    OrdinalNum,
    /// Letters and digits mixed ("1Z999AA1", "4b"): never part of a number.
    Alnum,
    /// One punctuation or symbol character.
    Punct(u8),
}

/// One token.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Token {
    pub start: usize,
    pub end: usize,
    pub kind: Kind,
    pub lex: Lex,
    /// A line break (or a turn boundary) lies between this token and the one before.
    pub newline_before: bool,
    /// Whitespace lies between this token and the one before.
    pub space_before: bool,
    /// The token may be skipped inside a number (filler, speaker label, acknowledging turn).
    pub skippable: bool,
    /// The token is part of another speaker's short prompt ("go on", "and the rest?") that a
    /// number read over several turns may pass over, though it is content for other detectors.
    pub interjection: bool,
    /// Index of the turn this token belongs to (0 for a single text).
    pub turn: u32,
}

impl Token {
    pub fn text<'a>(&self, source: &'a str) -> &'a str {
        source.get(self.start..self.end).unwrap_or("")
    }

    pub fn is_punct(&self, c: u8) -> bool {
        self.kind == Kind::Punct(c)
    }
}

/// Tokenizes `text`; offsets are relative to `text` plus `base`, tokens are tagged with `turn`.
/// Returns whether `text` has lines with speaker labels ("agent:").
pub(crate) fn tokenize_into(text: &str, base: usize, turn: u32, out: &mut Vec<Token>) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut newline = true;
    let mut space = true;
    let first = out.len();
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_whitespace() {
            if b == b'\n' || b == b'\r' {
                newline = true;
            }
            space = true;
            i += 1;
            continue;
        }
        // Non-ASCII spaces (no-break, thin, ideographic …) separate like a space:
        // "4111\u{a0}1111" pasted from a web page is four groups of a card number.
        if b >= 0x80 && is_space_at(text, i) {
            if is_line_break_at(text, i) {
                newline = true;
            }
            space = true;
            i += utf8_len(b);
            continue;
        }
        let start = i;
        let kind;
        if b.is_ascii_digit() {
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            let digits_end = i;
            // Letters may follow ("21st", "4b"); punctuation such as "。" or "’" may not.
            while i < bytes.len() {
                if bytes[i].is_ascii_alphanumeric() {
                    i += 1;
                } else if bytes[i] >= 0x80 && is_letter_at(text, i) {
                    i += utf8_len(bytes[i]);
                } else {
                    break;
                }
            }
            if i == digits_end {
                kind = Kind::Num;
            } else {
                let suffix = &bytes[digits_end..i];
                kind = if suffix.eq_ignore_ascii_case(b"st")
                    || suffix.eq_ignore_ascii_case(b"nd")
                    || suffix.eq_ignore_ascii_case(b"rd")
                    || suffix.eq_ignore_ascii_case(b"th")
                {
                    Kind::OrdinalNum
                } else {
                    Kind::Alnum
                };
            }
        } else if b.is_ascii_alphabetic() || b >= 0x80 && is_letter_at(text, i) {
            let mut has_digit = false;
            while i < bytes.len() {
                let c = bytes[i];
                if c.is_ascii_alphabetic() {
                    i += 1;
                } else if c.is_ascii_digit() {
                    has_digit = true;
                    i += 1;
                } else if c == b'\''
                    && i + 1 < bytes.len()
                    && bytes[i + 1].is_ascii_alphabetic()
                    && i > start
                {
                    i += 1;
                } else if c >= 0x80 && is_letter_at(text, i) {
                    i += utf8_len(c);
                } else {
                    break;
                }
            }
            kind = if has_digit { Kind::Alnum } else { Kind::Word };
        } else {
            i += utf8_len(b);
            kind = Kind::Punct(if b < 0x80 { b } else { 0 });
        }
        let end = i.min(bytes.len());
        let lex = if kind == Kind::Word {
            lex_word(&bytes[start..end])
        } else {
            Lex::Other
        };
        out.push(Token {
            start: base + start,
            end: base + end,
            kind,
            lex,
            newline_before: newline,
            space_before: space,
            skippable: lex == Lex::Filler,
            interjection: false,
            turn,
        });
        newline = false;
        space = false;
    }
    mark_speaker_labels(&mut out[first..], text, base)
}

/// `agent:` / `caller:` at the start of a line is a speaker label, not content; a labeled
/// line that only acknowledges ("agent: okay") is skippable like an acknowledging turn.
fn mark_speaker_labels(tokens: &mut [Token], text: &str, base: usize) -> bool {
    let mut labeled_lines = Vec::new();
    for i in 0..tokens.len() {
        // "Speaker 1:" / "spk 2:": a numbered speaker.
        if tokens[i].newline_before
            && tokens[i].kind == Kind::Word
            && is_speaker_word(
                text.as_bytes()
                    .get(tokens[i].start - base..tokens[i].end - base)
                    .unwrap_or(b""),
            )
            && tokens
                .get(i + 1)
                .is_some_and(|t| t.kind == Kind::Num && t.end - t.start <= 2)
            && tokens.get(i + 2).is_some_and(|t| t.is_punct(b':'))
        {
            for t in &mut tokens[i..i + 3] {
                t.skippable = true;
            }
            labeled_lines.push(i + 3);
            continue;
        }
        if tokens[i].newline_before
            && tokens[i].kind == Kind::Word
            && is_speaker_word(
                text.as_bytes()
                    .get(tokens[i].start - base..tokens[i].end - base)
                    .unwrap_or(b""),
            )
            && tokens.get(i + 1).is_some_and(|t| t.is_punct(b':'))
            && tokens.get(i + 2).is_none_or(|t| t.space_before)
        {
            tokens[i].skippable = true;
            if let Some(colon) = tokens.get_mut(i + 1) {
                colon.skippable = true;
            }
            labeled_lines.push(i + 2);
        }
    }
    for (k, &from) in labeled_lines.iter().enumerate() {
        let to = tokens[from.min(tokens.len())..]
            .iter()
            .position(|t| t.newline_before)
            .map_or(tokens.len(), |p| from + p);
        let _ = k;
        if from < to {
            mark_ack_turn(&mut tokens[from..to], text, base);
        }
    }
    !labeled_lines.is_empty()
}

/// Marks every token of `tokens` (one turn) skippable when the turn only acknowledges.
pub(crate) fn mark_ack_turn(tokens: &mut [Token], text: &str, base: usize) {
    let words = tokens
        .iter()
        .filter(|t| !t.skippable && t.kind == Kind::Word)
        .count();
    if words == 0 || words > 6 {
        return;
    }
    let all_ack = tokens.iter().all(|t| {
        t.skippable
            || matches!(t.kind, Kind::Punct(_))
            || t.kind == Kind::Word
                && is_ack_word(
                    text.as_bytes()
                        .get(t.start - base..t.end - base)
                        .unwrap_or(b""),
                )
    });
    if all_ack {
        for t in tokens {
            t.skippable = true;
        }
    }
}

/// Cues in a prompt that ask for another kind of number, so the digits after it are not more
/// of the number before it ("and the security code?", "and your phone?").
const OTHER_NUMBER_CUES: u32 = cue::CVV_STRONG
    | cue::CVV_WEAK
    | cue::EXPIRY
    | cue::SSN
    | cue::PHONE
    | cue::BANK
    | cue::ROUTING
    | cue::BIRTH
    | cue::NEGATIVE
    | cue::PO_BOX;

/// The most words an interjection between the groups of a number may have.
const MAX_INTERJECTION_WORDS: usize = 6;

/// Marks the turns (and the labeled lines of a transcript) that a number read in groups may
/// pass over: another speaker's short prompt between the groups ("go on", "yes go ahead",
/// "and the rest?", "next four"), with no digits and no cue asking for another number.
/// `separate_turns`: `tokens` come from several turns (each its own text).
pub(crate) fn mark_interjections(
    tokens: &mut [Token],
    text: &str,
    cues: &Cues,
    separate_turns: bool,
) {
    let mut cue_list = cues.iter().peekable();
    let mut s = 0;
    while s < tokens.len() {
        let e = tokens[s + 1..]
            .iter()
            .position(|t| t.newline_before)
            .map_or(tokens.len(), |p| s + 1 + p);
        let first = &tokens[s];
        let own_turn = separate_turns && (s == 0 || tokens[s - 1].turn != first.turn);
        // A speaker label ("agent:") is the only skippable word that starts a line.
        let labeled = first.skippable && first.kind == Kind::Word && first.lex != Lex::Filler;
        let (lo, hi) = (first.start, tokens[e - 1].end);
        let mut other_cue = false;
        while let Some(c) = cue_list.next_if(|c| c.start < hi) {
            other_cue |= c.start >= lo && c.kinds & OTHER_NUMBER_CUES != 0;
        }
        if (own_turn || labeled) && !other_cue && is_interjection(&tokens[s..e], text) {
            for t in &mut tokens[s..e] {
                t.interjection = true;
            }
        }
        s = e;
    }
}

/// Short, no digits, and no number words but "next four" / "the last four".
fn is_interjection(tokens: &[Token], text: &str) -> bool {
    if tokens.len() > 4 * MAX_INTERJECTION_WORDS {
        return false;
    }
    let mut words = 0;
    for (k, t) in tokens.iter().enumerate() {
        if t.skippable {
            continue;
        }
        match t.kind {
            Kind::Punct(_) => continue,
            Kind::Word => {}
            Kind::Num | Kind::OrdinalNum | Kind::Alnum => return false,
        }
        words += 1;
        if words > MAX_INTERJECTION_WORDS {
            return false;
        }
        let next_is_number = tokens.get(k + 1).is_some_and(|n| {
            n.kind == Kind::Num
                || matches!(
                    n.lex,
                    Lex::Digit(_)
                        | Lex::Teen(_)
                        | Lex::Tens(_)
                        | Lex::Oh
                        | Lex::Double
                        | Lex::Triple
                )
        });
        let allowed = match t.lex {
            Lex::Oh => !next_is_number,
            Lex::Digit(_) => {
                !next_is_number
                    && k.checked_sub(1)
                        .and_then(|p| tokens.get(p))
                        .is_some_and(|p| {
                            matches!(
                                p.text(text).to_ascii_lowercase().as_str(),
                                "next" | "last" | "first" | "other" | "remaining" | "final"
                            )
                        })
            }
            Lex::Teen(_)
            | Lex::Tens(_)
            | Lex::Double
            | Lex::Triple
            | Lex::Hundred
            | Lex::Thousand => false,
            _ => true,
        };
        if !allowed {
            return false;
        }
    }
    true
}

/// Speaker labels of transcripts ("agent:", "Caller:", "SPEAKER:"); field labels such as
/// "Address:" or "Phone:" are content, not speakers.
fn is_speaker_word(word: &[u8]) -> bool {
    let lower: Vec<u8> = word.iter().map(u8::to_ascii_lowercase).collect();
    matches!(
        lower.as_slice(),
        b"agent"
            | b"caller"
            | b"customer"
            | b"rep"
            | b"representative"
            | b"speaker"
            | b"spk"
            | b"client"
            | b"user"
            | b"operator"
            | b"advisor"
            | b"associate"
            | b"bot"
            | b"ivr"
            | b"system"
            | b"assistant"
            | b"cust"
            | b"cx"
            | b"member"
            | b"patient"
            | b"a"
            | b"c"
    )
}

fn utf8_len(b: u8) -> usize {
    match b {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

fn is_space_at(text: &str, i: usize) -> bool {
    text.get(i..)
        .and_then(|s| s.chars().next())
        .is_some_and(char::is_whitespace)
}

/// U+2028 / U+2029 and NEL break lines as `\n` does.
fn is_line_break_at(text: &str, i: usize) -> bool {
    text.get(i..)
        .and_then(|s| s.chars().next())
        .is_some_and(|c| matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}'))
}

fn is_letter_at(text: &str, i: usize) -> bool {
    text.get(i..)
        .and_then(|s| s.chars().next())
        .is_some_and(char::is_alphabetic)
}
