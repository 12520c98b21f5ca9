//! `PERSON`: names found from the words around them ("my name is", "this is … from",
//! "speaking", greetings, sign-offs, "Mr./Ms.", email headers, "… wrote:") and backed by the
//! shipped name lists, so it works on lowercase transcripts too. A name found once is then
//! found again wherever it recurs in the same text.

use crate::EntityType;
use crate::detect::Scan;
use crate::lexicon::{Lex, Lexicon, cue};
use crate::token::{Kind, Token};

/// How strongly a cue promises a name.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Strength {
    /// "my name is": the next word is a name unless it is plainly not one.
    Strong,
    /// "mr", "dear": a name follows; unlisted capitalized words count.
    Title,
    /// "this is", "hi", "thanks": only a listed given name counts.
    Weak,
}

struct Word<'a> {
    lower: std::borrow::Cow<'a, str>,
    capitalized: bool,
    token: &'a Token,
}

fn word<'a>(scan: &Scan<'a>, i: usize) -> Option<Word<'a>> {
    let t = scan.tokens.get(i)?;
    if t.kind != Kind::Word || t.skippable {
        return None;
    }
    let text = t.text(scan.text);
    // Our own placeholders ("[PERSON]") are not names.
    let before = t
        .start
        .checked_sub(1)
        .and_then(|b| scan.text.as_bytes().get(b));
    if before.is_some_and(|b| matches!(b, b'[' | b'_' | b':'))
        && !text.bytes().any(|b| b.is_ascii_lowercase())
    {
        return None;
    }
    Some(Word {
        lower: if text.chars().any(char::is_uppercase) {
            std::borrow::Cow::Owned(text.to_lowercase())
        } else {
            std::borrow::Cow::Borrowed(text)
        },
        capitalized: text.chars().next().is_some_and(char::is_uppercase)
            && text.chars().skip(1).any(char::is_lowercase),
        token: t,
    })
}

/// Never names, whatever the cue.
fn is_stop(lower: &str) -> bool {
    matches!(
        lower,
        "is" | "the"
            | "a"
            | "an"
            | "and"
            | "not"
            | "on"
            | "in"
            | "it"
            | "its"
            | "it's"
            | "that"
            | "this"
            | "correct"
            | "right"
            | "spelled"
            | "uh"
            | "um"
            | "so"
            | "just"
            | "calling"
            | "here"
            | "there"
            | "all"
            | "good"
            | "sorry"
            | "yes"
            | "no"
            | "okay"
            | "ok"
            | "of"
            | "for"
            | "to"
            | "with"
            | "please"
            | "sure"
            | "still"
            | "going"
            | "trying"
            | "looking"
            | "having"
            | "glad"
            | "happy"
            | "happy to"
            | "from"
            | "your"
            | "my"
            | "our"
            | "their"
            | "again"
            | "very"
            | "also"
            | "was"
            | "be"
            | "been"
            | "we"
            | "you"
            | "i"
            | "he"
            | "she"
            | "they"
            | "team"
            | "everyone"
            | "guys"
            | "there's"
            | "what"
            | "how"
            | "who"
            | "why"
            | "when"
            | "where"
            | "can"
            | "could"
            | "would"
            | "will"
            | "should"
            | "is it"
            | "hello"
            | "hi"
            | "hey"
            | "thanks"
            | "thank"
            | "customer"
            | "support"
            | "service"
            | "agent"
            | "name"
            | "last"
            | "first"
            | "full"
            | "number"
            | "account"
            | "card"
            | "about"
            | "at"
            | "me"
            | "him"
            | "her"
            | "them"
            | "us"
            | "mine"
            | "same"
            | "new"
            | "like"
            | "now"
            | "unfortunately"
            | "actually"
            | "really"
            | "well"
            | "oh"
            | "ah"
            | "er"
            | "do"
            | "did"
    )
}

fn listed(lex: &Lexicon, w: &Word<'_>) -> bool {
    lex.is_first_name(&w.lower) || lex.is_last_name(&w.lower)
}

/// Can `w` start a name after a cue of `strength`?
fn starts_name(lex: &Lexicon, w: &Word<'_>, strength: Strength, cased_text: bool) -> bool {
    if is_stop(&w.lower) || w.lex_is_number() {
        return false;
    }
    match strength {
        Strength::Strong => listed(lex, w) || !lex.is_common(&w.lower),
        Strength::Title => {
            listed(lex, w)
                || w.capitalized && !lex.is_common(&w.lower)
                || !cased_text && !lex.is_common(&w.lower)
        }
        Strength::Weak => {
            lex.is_first_name(&w.lower) && (!lex.is_common(&w.lower) || w.capitalized)
                || w.capitalized && lex.is_last_name(&w.lower) && !lex.is_common(&w.lower)
        }
    }
}

/// Can `w` continue a name begun before it?
fn continues_name(lex: &Lexicon, w: &Word<'_>, strength: Strength, cased_text: bool) -> bool {
    if is_stop(&w.lower) || w.lex_is_number() {
        return false;
    }
    if lex.is_last_name(&w.lower)
        && (!lex.is_common(&w.lower) || w.capitalized || strength == Strength::Strong)
    {
        return true;
    }
    if w.capitalized && !lex.is_common(&w.lower) {
        return true;
    }
    strength == Strength::Strong && !cased_text && !lex.is_common(&w.lower) && w.lower.len() > 2
}

impl Word<'_> {
    fn lex_is_number(&self) -> bool {
        !matches!(
            self.token.lex,
            Lex::Other | Lex::Month(_) | Lex::At | Lex::Dot | Lex::Plus | Lex::Street
        )
    }
}

/// Collects a name starting at token `i`; returns (start, end) bytes.
fn take_name(scan: &Scan<'_>, i: usize, strength: Strength, cased: bool) -> Option<(usize, usize)> {
    let lex = scan.lexicon;
    // "Dear Ms. Okafor": the title is not the name; the word after it is.
    let title = scan.tokens.get(i).is_some_and(|t| {
        matches!(
            t.text(scan.text).to_ascii_lowercase().as_str(),
            "mr" | "mrs" | "ms" | "miss" | "dr" | "mister" | "prof" | "sir" | "madam"
        )
    });
    if title {
        let next = if scan.tokens.get(i + 1).is_some_and(|t| t.is_punct(b'.')) {
            i + 2
        } else {
            i + 1
        };
        return take_name(scan, next, Strength::Title, cased).filter(|_| next <= i + 2);
    }
    let first = word(scan, i)?;
    if !starts_name(lex, &first, strength, cased) {
        // "this is ngozi moreno": an unlisted given name before a listed surname.
        let second = word(scan, i + 1);
        if strength == Strength::Weak
            && !is_stop(&first.lower)
            && !lex.is_common(&first.lower)
            && !first.lex_is_number()
            && second.as_ref().is_some_and(|w| {
                lex.is_last_name(&w.lower) && !lex.is_common(&w.lower) && !w.token.newline_before
            })
        {
            return second.map(|w| (first.token.start, w.token.end));
        }
        // Spelled out: "s m i t h".
        return spelled(scan, i, strength);
    }
    let start = first.token.start;
    let mut end = first.token.end;
    let mut k = i + 1;
    let mut count = 1;
    while count < 3 {
        // A middle initial: "John Q. Public", "john q public".
        if let Some(t) = scan.tokens.get(k)
            && t.kind == Kind::Word
            && t.end - t.start == 1
            && !t.newline_before
            && count == 1
        {
            let after = if scan.tokens.get(k + 1).is_some_and(|d| d.is_punct(b'.')) {
                k + 2
            } else {
                k + 1
            };
            if let Some(w) = word(scan, after)
                && continues_name(lex, &w, strength, cased)
                && !w.token.newline_before
            {
                end = w.token.end;
                k = after + 1;
                count += 2;
                continue;
            }
        }
        let Some(w) = word(scan, k) else { break };
        // Lowercase speech: after a listed given name, an unlisted word that is not a
        // common word is most likely the surname ("it's jane doe").
        let surname_after_given = count == 1
            && !cased
            && lex.is_first_name(&first.lower)
            && !is_stop(&w.lower)
            && !w.lex_is_number()
            && !lex.is_common(&w.lower)
            && w.lower.len() > 2;
        if w.token.newline_before
            || !(continues_name(lex, &w, strength, cased) || surname_after_given)
        {
            break;
        }
        end = w.token.end;
        k += 1;
        count += 1;
    }
    // "Acme Support", "Hooli team": an organisation, not a person.
    // ("support@…" is an email address's local part, not an organisation word.)
    let in_email = scan.tokens.get(k + 1).is_some_and(|t| t.is_punct(b'@'));
    if word(scan, k).is_some_and(|w| is_org_word(&w.lower)) && !w_newline(scan, k) && !in_email {
        return None;
    }
    // "john smith s m i t h": a spelling right after the name belongs to it.
    if let Some((_, e)) = spelled(scan, k, Strength::Strong).filter(|_| !w_newline(scan, k)) {
        end = e;
    }
    Some((start, end))
}

fn w_newline(scan: &Scan<'_>, k: usize) -> bool {
    scan.tokens.get(k).is_some_and(|t| t.newline_before)
}

fn is_org_word(lower: &str) -> bool {
    matches!(
        lower,
        "support"
            | "team"
            | "service"
            | "services"
            | "customer"
            | "inc"
            | "llc"
            | "ltd"
            | "corp"
            | "billing"
            | "care"
            | "help"
            | "helpdesk"
            | "desk"
            | "sales"
            | "bank"
            | "group"
            | "company"
            | "co"
            | "corporation"
            | "solutions"
            | "department"
            | "dept"
            | "store"
    )
}

/// Three or more single letters in a row ("s m i t h", "s-m-i-t-h").
fn spelled(scan: &Scan<'_>, i: usize, strength: Strength) -> Option<(usize, usize)> {
    if strength != Strength::Strong {
        return None;
    }
    let mut k = i;
    let mut letters = 0;
    let mut end = 0;
    while let Some(t) = scan.tokens.get(k) {
        // A spelling stays on its line: the next turn is not part of it.
        if t.newline_before && k > i {
            break;
        }
        if t.kind == Kind::Word && t.end - t.start == 1 {
            letters += 1;
            end = t.end;
        } else if !(t.is_punct(b'-') || t.is_punct(b'.') || t.skippable && t.lex != Lex::Other) {
            break;
        }
        k += 1;
    }
    (letters >= 3).then(|| (scan.tokens.get(i).map_or(0, |t| t.start), end))
}

/// Finds every name.
pub(crate) fn detect(scan: &mut Scan<'_>) {
    let cased = scan.text.bytes().any(|b| b.is_ascii_uppercase());
    let mut found: Vec<(usize, usize, f32)> = Vec::new();
    let name_kinds = cue::NAME_STRONG
        | cue::NAME_INTRO
        | cue::NAME_TITLE
        | cue::NAME_GREET
        | cue::NAME_SIGNOFF
        | cue::NAME_HEADER
        | cue::NAME_AFTER;
    let cues: Vec<_> = scan
        .cues
        .iter()
        .filter(|c| c.kinds & name_kinds != 0)
        .copied()
        .collect();
    for c in cues {
        let mut i = scan.tokens.partition_point(|t| t.start < c.end);
        if c.kinds & cue::NAME_AFTER != 0 {
            if let Some(span) = name_before(scan, i.saturating_sub(1), c.start, cased) {
                found.push((span.0, span.1, 0.7));
            }
            continue;
        }
        // Skip joining punctuation and "is" / "it's": "name: John", "my name is uh John".
        let mut newline_seen = false;
        while let Some(t) = scan.tokens.get(i) {
            let lower = t.text(scan.text).to_ascii_lowercase();
            let skip = matches!(t.kind, Kind::Punct(b':' | b',' | b'.' | b'-' | b'!'))
                || t.lex == Lex::Filler
                || c.kinds & cue::NAME_STRONG != 0
                    && matches!(lower.as_str(), "is" | "it's" | "its" | "actually");
            if !skip {
                break;
            }
            newline_seen |= scan.tokens.get(i + 1).is_some_and(|n| n.newline_before);
            i += 1;
        }
        let Some(t) = scan.tokens.get(i) else {
            continue;
        };
        let on_new_line = t.newline_before || newline_seen;
        if c.kinds & cue::NAME_STRONG != 0 && on_new_line {
            if let Some(span) = answer(scan, i, cased) {
                found.push((span.0, span.1, 0.75));
            }
            continue;
        }
        let span = if c.kinds & cue::NAME_STRONG != 0 && !on_new_line {
            take_name(scan, i, Strength::Strong, cased)
                .map(|s| (s, 0.85))
                .or_else(|| {
                    // "can I have the name on the account?" and the answer on the next line.
                    let next_line = (i..(i + 6).min(scan.tokens.len()))
                        .find(|k| scan.tokens[*k].newline_before)?;
                    // Only when the cue ends its line: "… name please?" not "my name is [PERSON]".
                    let tail_only = scan.tokens[i..next_line].iter().all(|t| {
                        matches!(t.kind, Kind::Punct(b'?' | b'.' | b',' | b'!' | b':'))
                            || matches!(
                                t.text(scan.text).to_ascii_lowercase().as_str(),
                                "please"
                                    | "again"
                                    | "sir"
                                    | "maam"
                                    | "ma'am"
                                    | "for"
                                    | "me"
                                    | "on"
                                    | "the"
                                    | "account"
                                    | "file"
                                    | "card"
                            )
                    });
                    if !tail_only {
                        return None;
                    }
                    answer(scan, next_line, cased).map(|s| (s, 0.75))
                })
        } else if c.kinds & (cue::NAME_TITLE | cue::NAME_HEADER) != 0
            && (!on_new_line || c.kinds & cue::NAME_HEADER != 0 && !t.newline_before)
        {
            take_name(scan, i, Strength::Title, cased).map(|s| (s, 0.8))
        } else if c.kinds & cue::NAME_SIGNOFF != 0 && on_new_line {
            signature(scan, i, cased).map(|s| (s, 0.75))
        } else if c.kinds & (cue::NAME_INTRO | cue::NAME_GREET | cue::NAME_SIGNOFF) != 0
            && !on_new_line
        {
            // "dear X" and "hi X," in cased text take unlisted capitalized names too.
            let title_like = cased
                && word(scan, i).is_some_and(|w| w.capitalized)
                && scan
                    .text
                    .get(c.start..c.end)
                    .is_some_and(|s| s.eq_ignore_ascii_case("dear"));
            let strength = if title_like {
                Strength::Title
            } else {
                Strength::Weak
            };
            take_name(scan, i, strength, cased).map(|s| (s, 0.7))
        } else {
            None
        };
        if let Some(((s, e), score)) = span {
            found.push((s, e, score));
        }
    }
    if cased {
        capitalized_pairs(scan, &mut found);
    }
    recurring(scan, &mut found);
    for (s, e, score) in found {
        scan.out.push(crate::detect::Detection::new(
            s,
            e,
            EntityType::Person,
            score,
        ));
    }
}

/// The answer to "can I get your full name?" at the start of the next turn or line:
/// "yeah it's jane fox", "sure, Jane Fox", "this is jane".
fn answer(scan: &Scan<'_>, i: usize, cased: bool) -> Option<(usize, usize)> {
    let mut k = i;
    // Skip a speaker label and lead-in words.
    while let Some(t) = scan.tokens.get(k) {
        let lower = t.text(scan.text).to_ascii_lowercase();
        let lead = t.skippable
            || matches!(t.kind, Kind::Punct(b',' | b'.' | b':' | b'-' | b'!'))
            || matches!(
                lower.as_str(),
                "yeah"
                    | "yes"
                    | "yep"
                    | "sure"
                    | "it's"
                    | "its"
                    | "it"
                    | "is"
                    | "um"
                    | "uh"
                    | "okay"
                    | "ok"
                    | "my"
                    | "name"
                    | "name's"
                    | "so"
                    | "this"
                    | "i'm"
                    | "im"
                    | "i"
                    | "am"
                    | "oh"
                    | "hi"
                    | "of"
                    | "course"
                    | "that's"
                    | "thats"
                    | "first"
                    | "full"
                    | "the"
            );
        if !lead || k > i + 6 {
            break;
        }
        k += 1;
    }
    let first = word(scan, k)?;
    if first.token.turn != scan.tokens.get(i)?.turn && !scan.tokens.get(i)?.skippable {
        return None;
    }
    take_name(scan, k, Strength::Strong, cased)
}

/// A signature line after a sign-off: one to three name words alone on the line.
fn signature(scan: &Scan<'_>, i: usize, cased: bool) -> Option<(usize, usize)> {
    let lex = scan.lexicon;
    let first = word(scan, i)?;
    if matches!(first.lower.as_ref(), "dr" | "mr" | "mrs" | "ms" | "prof") {
        return take_name(scan, i, Strength::Title, cased);
    }
    let ok_first = listed(lex, &first) && (!lex.is_common(&first.lower) || first.capitalized)
        || first.capitalized && !lex.is_common(&first.lower) && cased;
    if !ok_first || is_stop(&first.lower) {
        return None;
    }
    let mut end = first.token.end;
    let mut k = i + 1;
    while k < i + 3 {
        let Some(w) = word(scan, k) else { break };
        if w.token.newline_before || !continues_name(lex, &w, Strength::Title, cased) {
            break;
        }
        end = w.token.end;
        k += 1;
    }
    // A signature line holds the name alone (perhaps with ", title" or "| company"):
    // "Sent from my iPhone" is no signature.
    let line_ends = scan.tokens.get(k).is_none_or(|t| {
        t.newline_before || matches!(t.kind, Kind::Punct(b',' | b'|' | b'-' | b'.' | b'(' | b'<'))
    });
    if !line_ends && !lex.is_first_name(&first.lower) {
        return None;
    }
    Some((first.token.start, end))
}

/// The name before "wrote:" (skipping an `<email>`) or before "speaking" / "here".
fn name_before(
    scan: &Scan<'_>,
    last: usize,
    cue_start: usize,
    cased: bool,
) -> Option<(usize, usize)> {
    let lex = scan.lexicon;
    let mut k = last;
    while k > 0 && scan.tokens.get(k).is_some_and(|t| t.start >= cue_start) {
        k -= 1;
    }
    let cue_turn = scan
        .tokens
        .get(scan.tokens.partition_point(|t| t.start < cue_start))
        .map_or(0, |t| t.turn);
    // Skip "<john@example.com>" and a comma. An address is a few tokens: the search
    // for its "<" is bounded, so text full of ">" cannot make this quadratic.
    if scan.tokens.get(k).is_some_and(|t| t.is_punct(b'>')) {
        let floor = k.saturating_sub(MAX_ANGLE_TOKENS);
        while k > floor && !scan.tokens.get(k).is_some_and(|t| t.is_punct(b'<')) {
            k -= 1;
        }
        if !scan.tokens.get(k).is_some_and(|t| t.is_punct(b'<')) {
            return None;
        }
        k = k.checked_sub(1)?;
    }
    if scan.tokens.get(k).is_some_and(|t| t.is_punct(b',')) {
        k = k.checked_sub(1)?;
    }
    let mut start = None;
    let mut end = 0;
    let mut count = 0;
    while count < 3 {
        let Some(w) = word(scan, k) else { break };
        if w.token.turn != cue_turn {
            break;
        }
        let ok = if count == 0 {
            lex.is_first_name(&w.lower) && !lex.is_common(&w.lower)
                || w.capitalized && !lex.is_common(&w.lower) && !is_stop(&w.lower)
        } else {
            listed(lex, &w) && !lex.is_common(&w.lower)
                || w.capitalized && !is_stop(&w.lower) && !lex.is_common(&w.lower)
        };
        if !ok {
            break;
        }
        if count == 0 {
            end = w.token.end;
        }
        start = Some(w.token.start);
        count += 1;
        if w.token.newline_before || k == 0 {
            break;
        }
        k -= 1;
    }
    let start = start?;
    // A lone word before "here"/"speaking" must be a listed given name.
    if count == 1 && !cased_listed(scan, start, end) {
        return None;
    }
    let _ = cased;
    Some((start, end))
}

fn cased_listed(scan: &Scan<'_>, start: usize, end: usize) -> bool {
    scan.text
        .get(start..end)
        .is_some_and(|w| scan.lexicon.is_first_name(&w.to_lowercase()))
}

/// In cased text, "Maria Gonzalez": a listed given name then a listed or capitalized surname.
fn capitalized_pairs(scan: &Scan<'_>, found: &mut Vec<(usize, usize, f32)>) {
    let lex = scan.lexicon;
    for i in 0..scan.tokens.len().saturating_sub(1) {
        let t = &scan.tokens[i];
        if t.kind != Kind::Word
            || !scan
                .text
                .as_bytes()
                .get(t.start)
                .is_some_and(u8::is_ascii_uppercase)
        {
            continue;
        }
        // Cheap checks before any allocation: a capitalized word followed by another.
        let next_cap = scan.tokens.get(i + 1).is_some_and(|n| {
            n.kind == Kind::Word
                && scan
                    .text
                    .as_bytes()
                    .get(n.start)
                    .is_some_and(u8::is_ascii_uppercase)
        });
        if !next_cap || t.end - t.start < 2 {
            continue;
        }
        let Some(a) = word(scan, i) else { continue };
        if !a.capitalized || !lex.is_first_name(&a.lower) || lex.is_common(&a.lower) {
            continue;
        }
        let Some(b) = word(scan, i + 1) else { continue };
        if b.capitalized && !b.token.newline_before && lex.is_last_name(&b.lower) {
            found.push((a.token.start, b.token.end, 0.65));
        }
    }
}

/// Every later mention of a name word already found (outside the common words). The words
/// are remembered in [`Scan::known_names`] so a stream finds them in later turns too.
fn recurring(scan: &mut Scan<'_>, found: &mut Vec<(usize, usize, f32)>) {
    for (s, e, _) in found.iter() {
        let from = scan.tokens.partition_point(|t| t.start < *s);
        let to = scan.tokens.partition_point(|t| t.start < *e);
        for t in scan.tokens[from..to]
            .iter()
            .filter(|t| t.end <= *e && t.kind == Kind::Word)
        {
            let lower = t.text(scan.text).to_lowercase();
            if lower.len() > 2
                && !scan.lexicon.is_common(&lower)
                && !is_stop(&lower)
                && !scan.known_names.iter().any(|(n, _)| *n == lower)
                && scan.known_names.len() < MAX_KNOWN_NAMES
            {
                scan.known_names.push((lower, t.start));
            }
        }
    }
    if scan.known_names.is_empty() {
        return;
    }
    // Cheap filters first: the lengths and first letters of the known names.
    let mut lengths = 0u64;
    let mut initials = 0u32;
    for (n, _) in scan.known_names.iter() {
        lengths |= 1u64 << n.len().min(63);
        initials |= 1u32
            << (n
                .as_bytes()
                .first()
                .copied()
                .unwrap_or(b'a')
                .wrapping_sub(b'a')
                % 32);
    }
    // Then the names sorted by (length, first byte), so a token is compared with the
    // few known names that could match rather than with all of them (at most 64, so a
    // binary search beats hashing).
    let mut keyed: Vec<((usize, u8), usize)> = scan
        .known_names
        .iter()
        .enumerate()
        .map(|(k, (n, _))| ((n.len(), n.as_bytes().first().copied().unwrap_or(0)), k))
        .collect();
    keyed.sort_unstable();
    let mut extra = Vec::new();
    for t in scan.tokens.iter().filter(|t| t.kind == Kind::Word) {
        let len = t.end - t.start;
        let initial = scan
            .text
            .as_bytes()
            .get(t.start)
            .map_or(0, u8::to_ascii_lowercase);
        if lengths & (1u64 << len.min(63)) == 0
            || initials & (1u32 << (initial.wrapping_sub(b'a') % 32)) == 0
        {
            continue;
        }
        let from = keyed.partition_point(|(key, _)| *key < (len, initial));
        let candidates = keyed[from..]
            .iter()
            .take_while(|(key, _)| *key == (len, initial))
            .map(|(_, k)| *k);
        let text = t.text(scan.text);
        if candidates.into_iter().any(|k| {
            let (n, from) = &scan.known_names[k];
            t.start >= *from && n.eq_ignore_ascii_case(text)
        }) {
            extra.push((t.start, t.end, 0.6));
        }
    }
    found.extend(extra);
}

/// Tokens searched back for the "<" of "<john@example.com>" before a "wrote:".
const MAX_ANGLE_TOKENS: usize = 32;

/// Bound on the name words remembered per conversation.
pub(crate) const MAX_KNOWN_NAMES: usize = 64;
