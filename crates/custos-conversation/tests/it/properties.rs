//! Properties over generated input: no parser panics on arbitrary bytes, and a card number
//! spread over generated cues never survives in any copy of the redacted transcript.

use custos_conversation::{Format, RedactOptions, parse, redact_transcript};
use custos_redact::{Redactor, RedactorConfig};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn parsers_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512), which in 0usize..8) {
        let ct = match which {
            0..=5 => Format::ALL[which].content_type(),
            6 => "application/json",
            _ => "text/plain",
        };
        let _ = parse(ct, &body);
    }

    #[test]
    fn cue_like_text_never_panics(lines in proptest::collection::vec("[0-9:.,> -]{0,30}|<v [a-z]{1,5}>[a-z ]{0,10}|NOTE|", 0..12)) {
        let body = format!("WEBVTT\n\n{}", lines.join("\n"));
        let _ = parse("text/vtt", body.as_bytes());
        let _ = parse("application/x-subrip", lines.join("\n").as_bytes());
    }

    #[test]
    fn split_card_never_survives(cuts in proptest::collection::vec(1usize..5, 3), spoken in any::<bool>()) {
        let pan = "4539148803436467";
        let words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];
        // Cut the number into four pieces, read over caller turns with agent fillers between.
        let mut pieces = Vec::new();
        let mut at = 0;
        for c in &cuts {
            pieces.push(&pan[at..at + c]);
            at += c;
        }
        pieces.push(&pan[at..]);
        let mut turns = vec![r#"{"speaker":"agent","text":"what is the card number?","start_ms":0,"end_ms":1000}"#.to_owned()];
        let mut t = 1000;
        for (i, p) in pieces.iter().enumerate() {
            let text: String = if spoken && i % 2 == 0 {
                p.chars().map(|d| words[d as usize - '0' as usize]).collect::<Vec<_>>().join(" ")
            } else {
                (*p).to_owned()
            };
            turns.push(format!(r#"{{"speaker":"caller","text":"{text}","start_ms":{t},"end_ms":{}}}"#, t + 900));
            turns.push(format!(r#"{{"speaker":"agent","text":"okay","start_ms":{},"end_ms":{}}}"#, t + 900, t + 1000));
            t += 1000;
        }
        let body = format!("[{}]", turns.join(","));
        let transcript = parse("application/json", body.as_bytes()).unwrap();
        let redactor = Redactor::new(RedactorConfig::default()).unwrap();
        let out = redact_transcript(&redactor, &transcript, &RedactOptions::default());
        for turn in &out.turns {
            prop_assert!(!turn.text.chars().any(|c| c.is_ascii_digit()), "{}", turn.text);
            for w in &turn.words {
                prop_assert!(!w.text.chars().any(|c| c.is_ascii_digit()), "{}", w.text);
            }
        }
        // Every caller turn is muted.
        for turn in out.turns.iter().filter(|t| t.speaker == "caller") {
            let (s, e) = (turn.start_ms.unwrap(), turn.end_ms.unwrap());
            prop_assert!(out.redacted_ranges.iter().any(|r| r.start_ms <= s && e <= r.end_ms));
        }
    }
}
