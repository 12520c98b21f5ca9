//! Property tests: idempotence, no Luhn-valid card left in the output, offsets on character
//! boundaries, and streaming at least as safe as whole-conversation redaction.

use custos_redact::{Redactor, RedactorConfig};
use proptest::prelude::*;

fn redactor() -> Redactor {
    Redactor::new(RedactorConfig::default()).unwrap()
}

fn luhn(d: &[u8]) -> bool {
    let mut sum = 0;
    for (i, c) in d.iter().rev().enumerate() {
        let mut v = u32::from(c - b'0');
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum % 10 == 0
}

/// A card number with a known issuer prefix and a Luhn check digit.
fn card() -> impl Strategy<Value = String> {
    (
        prop_oneof![
            Just("4"),
            Just("51"),
            Just("55"),
            Just("2221"),
            Just("2720"),
            Just("6011"),
            Just("3530")
        ],
        proptest::collection::vec(0u8..10, 14),
    )
        .prop_map(|(prefix, body)| {
            let mut d: Vec<u8> = prefix
                .bytes()
                .chain(body.iter().map(|b| b'0' + b))
                .take(15)
                .collect();
            for c in b'0'..=b'9' {
                d.push(c);
                if luhn(&d) {
                    break;
                }
                d.pop();
            }
            String::from_utf8(d).unwrap()
        })
}

fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        card(),
        card().prop_map(|c| c
            .as_bytes()
            .chunks(4)
            .map(|g| String::from_utf8_lossy(g).into_owned())
            .collect::<Vec<_>>()
            .join(" ")),
        card().prop_map(|c| c
            .bytes()
            .map(|b| [
                "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"
            ][usize::from(b - b'0')])
            .collect::<Vec<_>>()
            .join(" ")),
        // Groups punctuated as speech recognizers write them.
        card().prop_map(|c| c
            .as_bytes()
            .chunks(4)
            .map(|g| String::from_utf8_lossy(g).into_owned())
            .collect::<Vec<_>>()
            .join(", ")),
        Just("my card number is".to_owned()),
        Just("okay".to_owned()),
        Just("go on".to_owned()),
        Just("and the rest?".to_owned()),
        Just("uh".to_owned()),
        Just("security code".to_owned()),
        Just("my name is john smith".to_owned()),
        Just("call me at 555 234 5678".to_owned()),
        Just("order 12345".to_owned()),
        Just("ção ☕ é".to_owned()),
        "[a-z0-9 .@:-]{0,20}",
        "\\PC{0,12}",
    ]
}

fn digits_runs(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            cur.push(c);
        } else if !(c == ' ' || c == '-' || cur.is_empty()) {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

proptest! {
    // 256 cases by default; `PROPTEST_CASES=5000` for a longer hunt.
    #![proptest_config(ProptestConfig::default())]

    #[test]
    fn redacting_twice_changes_nothing_more(parts in proptest::collection::vec(fragment(), 0..8)) {
        let r = redactor();
        let text = parts.join(" ");
        let once = r.redact(&text).redacted;
        let twice = r.redact(&once).redacted;
        prop_assert_eq!(once, twice);
    }

    #[test]
    fn no_valid_card_from_the_input_survives(parts in proptest::collection::vec(fragment(), 0..8), pan in card()) {
        let r = redactor();
        let mut parts = parts;
        parts.insert(parts.len() / 2, pan.clone());
        let text = parts.join(" ");
        let out = r.redact(&text).redacted;
        prop_assert!(!out.contains(&pan));
        for run in digits_runs(&out) {
            let d = run.as_bytes();
            for len in 13..=19 {
                for w in d.windows(len) {
                    let s = std::str::from_utf8(w).unwrap();
                    // Any Luhn-valid run of the input, not only the inserted card.
                    prop_assert!(!(luhn(w) && text.contains(s)), "a Luhn-valid run of the input survived");
                }
            }
        }
    }

    #[test]
    fn offsets_fall_on_char_boundaries(text in "\\PC{0,80}", parts in proptest::collection::vec(fragment(), 0..6)) {
        let r = redactor();
        let text = format!("{text} {}", parts.join(" "));
        let out = r.redact(&text);
        let chars = text.chars().count();
        for s in &out.spans {
            prop_assert!(text.is_char_boundary(s.start) && text.is_char_boundary(s.end));
            prop_assert!(s.start < s.end && s.char_start < s.char_end && s.char_end <= chars);
            prop_assert_eq!(text[..s.start].chars().count(), s.char_start);
            prop_assert_eq!(text[s.start..s.end].chars().count(), s.char_end - s.char_start);
        }
    }

    #[test]
    fn streaming_is_at_least_as_safe(turns in proptest::collection::vec(fragment(), 1..10)) {
        let r = redactor();
        let refs: Vec<custos_redact::Turn<'_>> = turns.iter().enumerate().map(|(i, t)| custos_redact::Turn { speaker: if i % 2 == 0 { "caller" } else { "agent" }, text: t }).collect();
        let whole = r.redact_conversation(&refs);
        let mut stream = r.stream();
        let mut released = Vec::new();
        for t in &refs {
            released.extend(stream.push_turn(t.speaker, t.text));
        }
        released.extend(stream.finish());
        for (i, t) in refs.iter().enumerate() {
            let mut covered = vec![false; t.text.len()];
            let mut text = String::new();
            for piece in released.iter().filter(|p| p.turn == i) {
                text.push_str(&piece.text);
                for s in &piece.spans {
                    covered[s.start..s.end].iter_mut().for_each(|c| *c = true);
                }
            }
            for s in &whole[i].spans {
                prop_assert!(covered[s.start..s.end].iter().all(|c| *c), "turn {} span {:?} of {:?} not redacted by the stream: {:?}", i, s, t.text, text);
            }
        }
    }
}

proptest! {
    #[test]
    fn masking_a_card_read_over_turns_shows_at_most_four_digits(
        pan in card(),
        cuts in proptest::collection::btree_set(1usize..16, 1..4),
        prompts in proptest::collection::vec(
            prop_oneof![Just("okay"), Just("go on"), Just("mhm"), Just("and the rest?"), Just("next four")],
            4,
        ),
        spoken in any::<bool>(),
    ) {
        let r = Redactor::new(
            RedactorConfig::default().with_default_operator(custos_redact::Operator::Mask),
        )
        .unwrap();
        let word = |b: u8| {
            ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
                [usize::from(b - b'0')]
        };
        let mut bounds = vec![0];
        bounds.extend(cuts.iter().copied());
        bounds.push(16);
        let mut texts = vec!["can i get the card number".to_owned()];
        for (k, w) in bounds.windows(2).enumerate() {
            if k > 0 {
                texts.push(prompts[k].to_owned());
            }
            let piece = &pan.as_bytes()[w[0]..w[1]];
            texts.push(if spoken {
                piece.iter().map(|b| word(*b)).collect::<Vec<_>>().join(" ")
            } else {
                String::from_utf8_lossy(piece).into_owned()
            });
        }
        let turns: Vec<custos_redact::Turn<'_>> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| custos_redact::Turn { speaker: if i % 2 == 0 { "agent" } else { "caller" }, text: t })
            .collect();
        // The caller's turns only: the agent's "next four" is no digit of the card.
        let whole: String = r
            .redact_conversation(&turns)
            .into_iter()
            .enumerate()
            .filter(|(i, _)| i % 2 == 1)
            .map(|(_, o)| o.redacted)
            .collect::<Vec<_>>()
            .join("\n");
        let mut s = r.stream();
        let mut pieces = Vec::new();
        for t in &turns {
            pieces.extend(s.push_turn(t.speaker, t.text));
        }
        pieces.extend(s.finish());
        let streamed: String = pieces
            .iter()
            .filter(|p| p.turn % 2 == 1)
            .map(|p| p.text.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        for out in [&whole, &streamed] {
            // Digits shown, written or spoken (a masked spoken digit keeps no whole word).
            let shown = out.bytes().filter(u8::is_ascii_digit).count()
                + out
                    .split(|c: char| !c.is_ascii_alphabetic())
                    .filter(|w| (b'0'..=b'9').any(|b| *w == word(b)))
                    .count();
            prop_assert!(shown <= 4, "{} digits shown: {:?}", shown, out);
        }
    }
}
