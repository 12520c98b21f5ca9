//! A transcript is redacted as one conversation and in every copy: turn text, words,
//! subtitles; spans become padded time ranges; entities are counted once.

use custos_conversation::{
    Format, RedactOptions, RedactedTranscript, TimeRange, parse, redact_transcript,
};
use custos_redact::{EntityType, Operator, Redactor, RedactorConfig};

use crate::{PAYMENT_CALL, testdata};

/// Pieces of the card number read in the call, as digits and as spoken words.
const CARD_PIECES: [&str; 6] = ["4539", "1488", "0343", "6467", "five three", "three nine"];

fn redactor() -> Redactor {
    Redactor::new(RedactorConfig::default()).unwrap()
}

fn redacted(path: &str, content_type: &str, redactor: &Redactor) -> RedactedTranscript {
    let t = parse(content_type, &testdata(path)).unwrap();
    redact_transcript(redactor, &t, &RedactOptions::default())
}

fn all_copies(r: &RedactedTranscript) -> String {
    let mut all = String::new();
    for t in &r.turns {
        all.push_str(&t.text);
        all.push('\n');
        for w in &t.words {
            all.push_str(&w.text);
            all.push(' ');
        }
        all.push('\n');
    }
    all.push_str(&r.to_webvtt());
    all.push_str(&String::from_utf8(r.to_stored_json()).unwrap());
    all
}

#[test]
fn card_read_over_three_turns_is_gone_from_every_copy() {
    let redactor = redactor();
    for (path, ct) in PAYMENT_CALL {
        let r = redacted(path, ct, &redactor);
        let all = all_copies(&r);
        for piece in CARD_PIECES {
            assert!(!all.contains(piece), "{path}: {piece} left in\n{all}");
        }
        assert_eq!(r.turns[7].text, "[CREDIT_CARD].", "{path}");
        assert_eq!(
            r.entity_counts.get(&EntityType::CreditCard),
            Some(&1),
            "{path}: {:?}",
            r.entity_counts
        );
        // The agent's interjections stay.
        assert_eq!(r.turns[4].text, "Mhm.", "{path}");
        assert_eq!(r.turns[6].text, "Okay, and the rest?", "{path}");
        // The security code and the expiry are gone too.
        assert!(!all.contains("731"), "{path}");
        assert!(!r.turns[11].text.contains("731"), "{path}");
    }
}

#[test]
fn words_touching_a_span_become_the_placeholder() {
    let r = redacted(
        "transcripts/payment_call.transcribe.json",
        "application/json",
        &redactor(),
    );
    let words: Vec<(&str, bool)> = r.turns[3]
        .words
        .iter()
        .map(|w| (w.text.as_str(), w.redacted))
        .collect();
    assert_eq!(
        words,
        [
            ("Yes", false),
            ("it's", false),
            ("[CREDIT_CARD]", true),
            ("[CREDIT_CARD]", true),
            ("[CREDIT_CARD]", true),
            ("[CREDIT_CARD]", true),
        ]
    );
    // Timings and confidence are kept.
    assert_eq!(r.turns[3].words[2].start_ms, Some(21_520));
    assert_eq!(r.turns[3].words[2].confidence, Some(0.998));
    // Whisper words carry their punctuation: it stays outside the placeholder.
    let w = redacted(
        "transcripts/payment_call.whisper.json",
        "application/json",
        &redactor(),
    );
    // The comma between the groups lies inside the span.
    assert_eq!(w.turns[5].words[0].text, "[CREDIT_CARD]");
    assert_eq!(w.turns[7].words[0].text, "[CREDIT_CARD].");
}

fn covered(ranges: &[TimeRange], start: u64, end: u64) -> bool {
    ranges
        .iter()
        .any(|r| r.start_ms <= start && end <= r.end_ms)
}

#[test]
fn time_ranges_follow_the_words_with_padding() {
    let r = redacted(
        "transcripts/payment_call.transcribe.json",
        "application/json",
        &redactor(),
    );
    // "four five three nine" is 21520..23260; padded by 100 ms.
    assert!(r.redacted_ranges.contains(&TimeRange {
        start_ms: 21_420,
        end_ms: 23_360
    }));
    // "1488, 0343," and "6467." too.
    assert!(covered(&r.redacted_ranges, 25_020, 26_040));
    assert!(covered(&r.redacted_ranges, 28_980, 29_560));
    // "Yes, it's" before the card and the agent's "Mhm." are not muted.
    assert!(
        !r.redacted_ranges
            .iter()
            .any(|x| x.start_ms < 21_400 && x.end_ms > 20_720)
    );
    assert!(!covered(&r.redacted_ranges, 24_020, 24_360));
    // Sorted and disjoint.
    for pair in r.redacted_ranges.windows(2) {
        assert!(pair[0].end_ms < pair[1].start_ms);
    }
    assert_eq!(r.untimed_spans, 0);
}

#[test]
fn padding_is_configurable_and_merges_neighbours() {
    let t = parse(
        "application/json",
        &testdata("transcripts/payment_call.transcribe.json"),
    )
    .unwrap();
    let r = redactor();
    let none = redact_transcript(&r, &t, &RedactOptions { padding_ms: 0 });
    assert!(none.redacted_ranges.contains(&TimeRange {
        start_ms: 21_520,
        end_ms: 23_260
    }));
    // With 2 s of padding the three card turns (gaps under 4 s) become one range.
    let wide = redact_transcript(&r, &t, &RedactOptions { padding_ms: 2000 });
    assert!(covered(&wide.redacted_ranges, 19_520, 31_460));
}

#[test]
fn cues_without_word_timings_fall_back_to_the_cue() {
    let r = redacted("transcripts/payment_call.vtt", "text/vtt", &redactor());
    assert!(r.redacted_ranges.contains(&TimeRange {
        start_ms: 20_620,
        end_ms: 23_360
    }));
    assert_eq!(r.untimed_spans, 0);
}

#[test]
fn untimed_transcript_reports_untimed_spans() {
    let r = redacted(
        "transcripts/chat_untimed.turns.json",
        "application/json",
        &redactor(),
    );
    assert!(r.redacted_ranges.is_empty());
    assert!(r.untimed_spans >= 3, "{}", r.untimed_spans);
    // No timings, no subtitles.
    assert_eq!(r.to_webvtt(), "WEBVTT\n");
}

#[test]
fn untimed_word_is_bounded_by_its_timed_neighbours() {
    // WhisperX leaves numbers it cannot align without times.
    let body = r#"{"segments":[{"start":10.0,"end":16.0,"speaker":"SPEAKER_01","words":[
        {"word":"card","start":10.0,"end":10.4},{"word":"is","start":10.5,"end":10.7},
        {"word":"4539148803436467"},
        {"word":"thanks","start":15.0,"end":15.5}]}]}"#;
    let t = parse("application/json", body.as_bytes()).unwrap();
    let r = redact_transcript(&redactor(), &t, &RedactOptions { padding_ms: 0 });
    assert_eq!(
        r.redacted_ranges,
        [TimeRange {
            start_ms: 10_700,
            end_ms: 15_000
        }]
    );
    assert_eq!(r.turns[0].words[2].text, "[CREDIT_CARD]");
}

#[test]
fn subtitles_are_rendered_from_redacted_turns() {
    let r = redacted(
        "transcripts/payment_call.transcribe.json",
        "application/json",
        &redactor(),
    );
    let vtt = r.to_webvtt();
    assert!(vtt.starts_with("WEBVTT\n\n1\n00:00:00.500 --> "), "{vtt}");
    assert!(vtt.contains("<v spk_1>[CREDIT_CARD]."), "{vtt}");
    // And they read back as the same redacted turns.
    let again = parse("text/vtt", vtt.as_bytes()).unwrap();
    assert_eq!(again.format(), Format::WebVtt);
    assert_eq!(again.turns().len(), r.turns.len());
    for (a, b) in again.turns().iter().zip(&r.turns) {
        assert_eq!(a.text(), b.text);
        assert_eq!(a.speaker(), b.speaker);
    }
}

#[test]
fn stored_form_round_trips_and_is_versioned() {
    let r = redacted(
        "transcripts/payment_call.whisper.json",
        "application/json",
        &redactor(),
    );
    let stored = r.to_stored_json();
    assert!(String::from_utf8_lossy(&stored).starts_with("{\"version\":\"1\""));
    let back = RedactedTranscript::from_stored_json(&stored).unwrap();
    assert_eq!(back.turns.len(), r.turns.len());
    assert_eq!(back.redacted_ranges, r.redacted_ranges);
    assert_eq!(back.entity_counts, r.entity_counts);
    assert_eq!(back.turns[3].words, r.turns[3].words);
    let v2 = String::from_utf8_lossy(&stored).replacen("\"version\":\"1\"", "\"version\":\"2\"", 1);
    assert!(RedactedTranscript::from_stored_json(v2.as_bytes()).is_err());
    let counts = serde_json::to_value(&r.entity_counts).unwrap();
    assert_eq!(counts["CREDIT_CARD"], 1);
}

#[test]
fn masked_words_show_only_what_the_turn_shows() {
    let r = Redactor::new(RedactorConfig::default().with_default_operator(Operator::Mask)).unwrap();
    let body = r#"[{"speaker":"caller","text":"my card is 4539 1488 0343 6467 thanks","start_ms":0,"end_ms":4000}]"#;
    let t = parse("application/json", body.as_bytes()).unwrap();
    let out = redact_transcript(&r, &t, &RedactOptions::default());
    assert_eq!(out.turns[0].text, "my card is **** **** **** 6467 thanks");
    let words: Vec<&str> = out.turns[0].words.iter().map(|w| w.text.as_str()).collect();
    assert_eq!(
        words,
        ["my", "card", "is", "****", "****", "****", "6467", "thanks"]
    );
}

#[test]
fn removed_words_are_emptied() {
    let r =
        Redactor::new(RedactorConfig::default().with_default_operator(Operator::Remove)).unwrap();
    let body = r#"[{"speaker":"caller","text":"card 4539-1488-0343-6467, thanks"}]"#;
    let t = parse("application/json", body.as_bytes()).unwrap();
    let out = redact_transcript(&r, &t, &RedactOptions::default());
    assert_eq!(out.turns[0].text, "card , thanks");
    let words: Vec<&str> = out.turns[0].words.iter().map(|w| w.text.as_str()).collect();
    assert_eq!(words, ["card", ",", "thanks"]);
}

#[test]
fn hashed_words_carry_the_pseudonym() {
    let key = custos_redact::HmacKey::new(&[7u8; 32]).unwrap();
    let r = Redactor::new(
        RedactorConfig::default()
            .with_default_operator(Operator::Hash)
            .with_hmac_key(key),
    )
    .unwrap();
    let body = r#"[{"speaker":"caller","text":"it is 4539 1488 0343 6467 ok"}]"#;
    let t = parse("application/json", body.as_bytes()).unwrap();
    let out = redact_transcript(&r, &t, &RedactOptions::default());
    let pseudonym = out.turns[0]
        .text
        .split_whitespace()
        .nth(2)
        .unwrap()
        .to_owned();
    assert!(
        pseudonym.starts_with("[CREDIT_CARD:") && pseudonym.len() == 30,
        "{pseudonym}"
    );
    assert_eq!(out.turns[0].words[2].text, pseudonym);
    assert_eq!(out.turns[0].words[5].text, pseudonym);
}

/// Known gap in custos-redact (reported): an agent's "go on" between the groups of a card
/// read over several turns stops the groups from being joined ("okay", "mhm", "got it" work).
#[test]
fn go_on_between_groups_does_not_break_the_card() {
    let body = r#"[{"speaker":"agent","text":"Can I get the card number, please?"},
        {"speaker":"caller","text":"four five three nine"},{"speaker":"agent","text":"go on"},
        {"speaker":"caller","text":"1488 0343"},{"speaker":"agent","text":"okay"},
        {"speaker":"caller","text":"6467"}]"#;
    let t = parse("application/json", body.as_bytes()).unwrap();
    let out = redact_transcript(&redactor(), &t, &RedactOptions::default());
    assert_eq!(out.turns[1].text, "[CREDIT_CARD]");
}

#[test]
fn masked_card_over_turns_shows_only_its_last_four() {
    let r = Redactor::new(RedactorConfig::default().with_default_operator(Operator::Mask)).unwrap();
    for (path, ct) in PAYMENT_CALL {
        let out = redacted(path, ct, &r);
        let all = all_copies(&out);
        for piece in &CARD_PIECES[..3] {
            assert!(!all.contains(piece), "{path}: {piece} left in\n{all}");
        }
        assert!(
            !all.contains("five") && !all.contains("nine"),
            "{path}\n{all}"
        );
        assert_eq!(out.turns[7].text, "6467.", "{path}");
        assert_eq!(
            out.turns[3].text, "Yes, it's **** **** ***** ****,",
            "{path}"
        );
        assert_eq!(out.turns[5].text, "****, ****,", "{path}");
    }
}

#[test]
fn masking_never_leaves_a_short_value_whole() {
    // Masking keeps the last four characters: a CVV or a short piece would be shown whole.
    let r = Redactor::new(RedactorConfig::default().with_default_operator(Operator::Mask)).unwrap();
    let out = redacted("transcripts/payment_call.vtt", "text/vtt", &r);
    assert_eq!(out.turns[11].text, "It's ***.");
    assert!(!all_copies(&out).contains("731"));
}

/// Known gap in custos-redact (reported): a security code read as words after the agent
/// asks for it is not found ("It's 731." is).
#[test]
fn spoken_security_code_is_found() {
    let body = r#"[{"speaker":"agent","text":"and the security code on the back?"},
        {"speaker":"caller","text":"it is seven three one"}]"#;
    let t = parse("application/json", body.as_bytes()).unwrap();
    let out = redact_transcript(&redactor(), &t, &RedactOptions::default());
    assert_eq!(out.turns[1].text, "it is [CARD_CVV]");
}
