//! Finds runs of digits however they were written or said: "4111-1111-1111-1111",
//! "four one one one", "double five", "oh", "forty one eleven", digits one at a time, numbers
//! broken by "uh" or by the other side saying "okay" or "go on", groups separated by commas as
//! speech recognizers write them, and groups read over several turns.
//! Each run keeps its groups ("chunks") so detectors can judge the grouping and pick out
//! sub-runs on group boundaries.

use crate::lexicon::Lex;
use crate::token::{Kind, Token};

/// One group of digits inside a run: a written digit group or one spoken number word.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Chunk {
    pub start: usize,
    pub end: usize,
    /// First digit of this chunk in [`NumberRun::digits`].
    pub digit_start: usize,
    pub digit_len: usize,
    /// Written with digits (not spoken).
    pub written: bool,
    /// The separator before it: `b' '`, `b'-'`, `b'.'`, `b')'`, or 0 for words and turn breaks.
    pub sep_before: u8,
    /// The turn it was said in.
    pub turn: u32,
    /// "forty five": read as 45, but may have meant 4-0-5 (one more digit).
    pub ambiguous_tens: bool,
}

/// A run of digits.
#[derive(Debug, Clone, Default)]
pub(crate) struct NumberRun {
    pub digits: Vec<u8>,
    pub chunks: Vec<Chunk>,
    pub first_token: usize,
    pub last_token: usize,
}

impl NumberRun {
    pub fn start(&self) -> usize {
        self.chunks.first().map_or(0, |c| c.start)
    }

    pub fn end(&self) -> usize {
        self.chunks.last().map_or(0, |c| c.end)
    }

    /// The digits of chunks `a..b`.
    pub fn digits_of(&self, a: usize, b: usize) -> &[u8] {
        match (
            self.chunks.get(a),
            b.checked_sub(1).and_then(|l| self.chunks.get(l)),
        ) {
            (Some(first), Some(last)) if a < b => self
                .digits
                .get(first.digit_start..last.digit_start + last.digit_len)
                .unwrap_or(&[]),
            _ => &[],
        }
    }

    /// The most digits the run may hold if every "forty five" meant 4-0-5.
    pub fn max_digits(&self) -> usize {
        self.digits.len() + self.chunks.iter().filter(|c| c.ambiguous_tens).count()
    }

    /// The other readings of the whole run, with some "forty five" read as 4-0-5 (at most 64).
    pub fn tens_variants(&self) -> Vec<Vec<u8>> {
        let ambiguous: Vec<usize> = self
            .chunks
            .iter()
            .enumerate()
            .filter(|(_, c)| c.ambiguous_tens)
            .map(|(i, _)| i)
            .take(6)
            .collect();
        let mut out = Vec::new();
        for mask in 1u32..(1 << ambiguous.len()) {
            let mut digits = Vec::with_capacity(self.digits.len() + ambiguous.len());
            for (i, c) in self.chunks.iter().enumerate() {
                let d = self
                    .digits
                    .get(c.digit_start..c.digit_start + c.digit_len)
                    .unwrap_or(&[]);
                match ambiguous.iter().position(|a| *a == i) {
                    Some(bit) if mask & (1 << bit) != 0 && d.len() == 2 => {
                        digits.extend_from_slice(&[d[0], b'0', d[1]]);
                    }
                    _ => digits.extend_from_slice(d),
                }
            }
            out.push(digits);
        }
        out
    }

    /// Any chunk of `a..b` spoken as words.
    pub fn spoken(&self, a: usize, b: usize) -> bool {
        self.chunks
            .get(a..b)
            .is_some_and(|c| c.iter().any(|c| !c.written))
    }

    /// The digit counts of the written groups `a..b`, if every chunk is written.
    pub fn group_lens(&self, a: usize, b: usize, out: &mut Groups) -> bool {
        out.len = 0;
        let Some(chunks) = self.chunks.get(a..b) else {
            return false;
        };
        for c in chunks {
            if !c.written || out.len == out.buf.len() {
                return false;
            }
            out.buf[out.len] = c.digit_len;
            out.len += 1;
        }
        true
    }
}

/// Group lengths of a window, on the stack (windows hold at most 20 digits).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Groups {
    buf: [usize; 24],
    len: usize,
}

impl Groups {
    pub fn as_slice(&self) -> &[usize] {
        &self.buf[..self.len]
    }
}

impl<const N: usize> PartialEq<[usize; N]> for Groups {
    fn eq(&self, other: &[usize; N]) -> bool {
        self.as_slice() == other.as_slice()
    }
}

fn is_digitish(t: &Token) -> bool {
    t.kind == Kind::Num
        || matches!(
            t.lex,
            Lex::Digit(_) | Lex::Teen(_) | Lex::Tens(_) | Lex::Double | Lex::Triple | Lex::Oh
        )
}

/// Can a number item start at token `i`? A trailing "oh" counts only inside a run.
fn starts_item(tokens: &[Token], i: usize, continuing: bool) -> bool {
    let Some(t) = tokens.get(i) else {
        return false;
    };
    if t.skippable && t.kind == Kind::Num {
        // The "1" of a "Speaker 1:" label.
        return false;
    }
    match t.lex {
        Lex::Oh if continuing => true,
        Lex::Oh | Lex::Double | Lex::Triple => next_content(tokens, i + 1)
            .and_then(|j| tokens.get(j))
            .is_some_and(|n| is_digitish(n) && !n.newline_before),
        _ => is_digitish(t),
    }
}

fn next_content(tokens: &[Token], mut i: usize) -> Option<usize> {
    while i < tokens.len() && tokens[i].skippable && tokens[i].lex == Lex::Filler {
        i += 1;
    }
    (i < tokens.len()).then_some(i)
}

/// Glue between two items: returns the index of the next item and the separator, if any.
fn glue(tokens: &[Token], text: &str, after: usize) -> Option<(usize, u8)> {
    let mut i = after;
    let mut sep = 0u8;
    let mut fillers = 0;
    let mut puncts = 0;
    let mut skipped_label = false;
    let prev = tokens.get(after.checked_sub(1)?)?;
    while let Some(t) = tokens.get(i) {
        if t.turn != prev.turn && t.turn > prev.turn + 3 {
            return None;
        }
        // Within one text a line break ends a number, unless the next line is another
        // speaker's ("caller: four one one one\nagent: okay\ncaller: one one …").
        if t.newline_before && t.turn == prev.turn && !t.skippable && !skipped_label {
            return None;
        }
        if t.skippable {
            if t.lex == Lex::Filler {
                fillers += 1;
            }
            skipped_label |= t.newline_before;
            if fillers > 3 {
                return None;
            }
            i += 1;
            continue;
        }
        // The other side's "go on" between two groups: passed over whole.
        if t.interjection && (t.turn != prev.turn || skipped_label) {
            i += 1;
            continue;
        }
        match t.kind {
            Kind::Punct(c @ (b'-' | b'.' | b')' | b'(' | b',' | 0)) => {
                if c == 0 && !is_dash_char(t.text(text)) {
                    return None;
                }
                if c == b',' && !comma_joins(prev, tokens.get(i + 1), text) {
                    return None;
                }
                puncts += 1;
                if puncts > 2 {
                    return None;
                }
                if sep == 0 {
                    sep = if c == 0 { b'-' } else { c };
                }
                i += 1;
            }
            _ => break,
        }
    }
    let next = tokens.get(i)?;
    if !starts_item(tokens, i, true) {
        return None;
    }
    if sep == 0 && next.space_before {
        sep = b' ';
    }
    if next.turn != prev.turn || fillers > 0 {
        sep = 0;
    }
    Some((i, sep))
}

/// Does a comma between `prev` and `next` join two groups of one number? "4, 1, 1" read out
/// one digit at a time, and digit groups as speech recognizers punctuate them ("4539, 1488",
/// "four five three nine, fourteen eighty eight") do; "1,299" (thousands), "12, 2026" (a date)
/// and "12, 13, 14" (a list) do not.
fn comma_joins(prev: &Token, next: Option<&Token>, text: &str) -> bool {
    let Some(next) = next else {
        return false;
    };
    // "4539, 1488," ending a turn: whether the next turn goes on is decided as without it.
    if next.turn != prev.turn || next.newline_before {
        return true;
    }
    // Card groups have four to six digits; a thousands group has three.
    let card_group = |t: &Token| t.kind == Kind::Num && (4..=6).contains(&(t.end - t.start));
    let spoken = |t: &Token| {
        matches!(
            t.lex,
            Lex::Digit(_) | Lex::Teen(_) | Lex::Tens(_) | Lex::Oh | Lex::Double | Lex::Triple
        )
    };
    card_group(prev) && card_group(next)
        || next.space_before
            && (is_single_digit(prev, text) && is_single_digit(next, text)
                || spoken(prev) && spoken(next))
}

fn is_single_digit(t: &Token, text: &str) -> bool {
    matches!(t.lex, Lex::Digit(_) | Lex::Oh) || t.kind == Kind::Num && t.text(text).len() == 1
}

fn is_dash_char(s: &str) -> bool {
    matches!(
        s,
        "\u{2013}" | "\u{2014}" | "\u{2010}" | "\u{2011}" | "\u{2212}"
    )
}

/// Reads one number item at token `i`, appending its digits; returns the index after it.
fn read_item(tokens: &[Token], text: &str, i: usize, run: &mut NumberRun, sep: u8) -> usize {
    let Some(t) = tokens.get(i) else {
        return i + 1;
    };
    let digit_start = run.digits.len();
    let mut end_tok = i;
    let mut written = false;
    match t.lex {
        _ if t.kind == Kind::Num => {
            written = true;
            run.digits.extend_from_slice(t.text(text).as_bytes());
        }
        Lex::Digit(d) => {
            // "four hundred twelve", "two thousand three"
            match tokens.get(i + 1).map(|n| n.lex) {
                Some(Lex::Hundred) => {
                    let (rest, j) = read_below_hundred(tokens, i + 2);
                    run.digits.push(b'0' + d);
                    push_two(&mut run.digits, rest);
                    end_tok = j - 1;
                }
                Some(Lex::Thousand) => {
                    let (rest, j) = read_below_thousand(tokens, i + 2);
                    run.digits.push(b'0' + d);
                    push_two(&mut run.digits, rest / 10);
                    run.digits.push(b'0' + (rest % 10) as u8);
                    end_tok = j - 1;
                }
                _ => run.digits.push(b'0' + d),
            }
        }
        Lex::Oh => run.digits.push(b'0'),
        Lex::Teen(n) => {
            if tokens.get(i + 1).is_some_and(|n| n.lex == Lex::Hundred) {
                // "nineteen hundred" (years), "twelve hundred"
                let (rest, j) = read_below_hundred(tokens, i + 2);
                push_two(&mut run.digits, u32::from(n));
                push_two(&mut run.digits, rest);
                end_tok = j - 1;
            } else {
                push_two(&mut run.digits, u32::from(n));
            }
        }
        Lex::Tens(n) => {
            if let Some(Lex::Digit(d @ 1..=9)) = tokens.get(i + 1).map(|t| t.lex) {
                run.digits.push(b'0' + n);
                run.digits.push(b'0' + d);
                end_tok = i + 1;
            } else {
                run.digits.push(b'0' + n);
                run.digits.push(b'0');
            }
        }
        Lex::Double | Lex::Triple => {
            let times = if t.lex == Lex::Double { 2 } else { 3 };
            let j = next_content(tokens, i + 1).unwrap_or(i + 1);
            let digit = tokens.get(j).and_then(|n| match n.lex {
                Lex::Digit(d) => Some(b'0' + d),
                Lex::Oh => Some(b'0'),
                _ if n.kind == Kind::Num && n.end - n.start == 1 => {
                    text.as_bytes().get(n.start).copied()
                }
                _ => None,
            });
            if let Some(d) = digit {
                run.digits.extend(std::iter::repeat_n(d, times));
                end_tok = j;
            }
        }
        _ => {}
    }
    let start = t.start;
    let end = tokens.get(end_tok).map_or(t.end, |e| e.end);
    run.chunks.push(Chunk {
        start,
        end,
        digit_start,
        digit_len: run.digits.len() - digit_start,
        written,
        sep_before: sep,
        turn: t.turn,
        ambiguous_tens: matches!(t.lex, Lex::Tens(_)) && end_tok == i + 1,
    });
    end_tok + 1
}

fn push_two(digits: &mut Vec<u8>, n: u32) {
    let n = n % 100;
    digits.push(b'0' + (n / 10) as u8);
    digits.push(b'0' + (n % 10) as u8);
}

/// Reads "and twelve", "fifty two", "five" after "hundred"; returns the value and next index.
fn read_below_hundred(tokens: &[Token], start: usize) -> (u32, usize) {
    let mut i = start;
    if tokens.get(i).is_some_and(|t| t.lex == Lex::Filler) {
        i += 1;
    }
    match tokens.get(i).map(|t| t.lex) {
        Some(Lex::Teen(n)) => (u32::from(n), i + 1),
        Some(Lex::Tens(n)) => match tokens.get(i + 1).map(|t| t.lex) {
            Some(Lex::Digit(d @ 1..=9)) => (u32::from(n) * 10 + u32::from(d), i + 2),
            _ => (u32::from(n) * 10, i + 1),
        },
        Some(Lex::Digit(d)) => (u32::from(d), i + 1),
        Some(Lex::Oh) => match tokens.get(i + 1).map(|t| t.lex) {
            Some(Lex::Digit(d)) => (u32::from(d), i + 2),
            _ => (0, i + 1),
        },
        _ => (0, start),
    }
}

/// Reads what may follow "thousand": "three", "and five", "twenty six", "one hundred".
fn read_below_thousand(tokens: &[Token], i: usize) -> (u32, usize) {
    let mut j = i;
    if tokens.get(j).is_some_and(|t| t.lex == Lex::Filler) {
        j += 1;
    }
    if let (Some(Lex::Digit(d)), Some(Lex::Hundred)) = (
        tokens.get(j).map(|t| t.lex),
        tokens.get(j + 1).map(|t| t.lex),
    ) {
        let (rest, k) = read_below_hundred(tokens, j + 2);
        return (u32::from(d) * 100 + rest, k);
    }
    read_below_hundred(tokens, i)
}

/// All number runs in `tokens`, in order.
pub(crate) fn number_runs(tokens: &[Token], text: &str) -> Vec<NumberRun> {
    let mut runs = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if !starts_item(tokens, i, false) {
            i += 1;
            continue;
        }
        let mut run = NumberRun {
            first_token: i,
            ..NumberRun::default()
        };
        let mut j = i;
        let mut sep = 0u8;
        loop {
            let next = read_item(tokens, text, j, &mut run, sep);
            run.last_token = next - 1;
            match glue(tokens, text, next) {
                Some((k, s)) => {
                    j = k;
                    sep = s;
                }
                None => break,
            }
        }
        i = run.last_token + 1;
        // A run that is one lone "oh" or a word like "one" alone is kept: detectors decide.
        runs.push(run);
    }
    runs
}
