//! Malformed and hostile input is refused with an error that names the place and the
//! problem, and never repeats the content.

use custos_conversation::{MAX_BODY_BYTES, MAX_TURNS, MAX_WORDS, ParseError, TimingProblem, parse};

/// A card number planted in each bad input: it must not appear in the error.
const PAN: &str = "4539148803436467";

fn refused(content_type: &str, body: &str) -> ParseError {
    let e = parse(content_type, body.as_bytes()).expect_err("must be refused");
    let shown = format!("{e} {e:?}");
    assert!(!shown.contains(PAN), "{shown}");
    assert!(!shown.contains("4539"), "{shown}");
    e
}

#[test]
fn webvtt_problems() {
    assert_eq!(
        refused("text/vtt", &format!("00:01.000 --> 00:02.000\n{PAN}\n")),
        ParseError::MissingHeader
    );
    assert_eq!(
        refused(
            "text/vtt",
            &format!("WEBVTTX\n\n00:01.000 --> 00:02.000\n{PAN}\n")
        ),
        ParseError::MissingHeader
    );
    assert_eq!(
        refused(
            "text/vtt",
            &format!("WEBVTT\n\n00:01.000 --> 00:0x.000\n{PAN}\n")
        ),
        ParseError::CueTiming {
            line: 3,
            problem: TimingProblem::Malformed
        }
    );
    assert_eq!(
        refused(
            "text/vtt",
            &format!("WEBVTT\n\n00:05.000 --> 00:02.000\n{PAN}\n")
        ),
        ParseError::CueTiming {
            line: 3,
            problem: TimingProblem::EndBeforeStart
        }
    );
    assert_eq!(
        refused("text/vtt", &format!("WEBVTT\n\nid\n{PAN}\n")),
        ParseError::Cue {
            line: 3,
            what: "cue without a timing line"
        }
    );
    assert_eq!(
        refused("text/vtt", "WEBVTT\n\nNOTE only a note\n"),
        ParseError::Empty
    );
}

#[test]
fn srt_problems() {
    assert_eq!(
        refused(
            "application/x-subrip",
            &format!("1\n00:00:01,000 --> 00:00:02\n{PAN}\n")
        ),
        ParseError::CueTiming {
            line: 2,
            problem: TimingProblem::Malformed
        }
    );
    assert_eq!(
        refused("application/x-subrip", &format!("{PAN} hello\n")),
        ParseError::Cue {
            line: 1,
            what: "expected a cue number or a timing line"
        }
    );
    assert_eq!(
        refused("application/x-subrip", "1\n"),
        ParseError::Cue {
            line: 1,
            what: "cue number without a timing line"
        }
    );
}

#[test]
fn json_problems() {
    let truncated = format!("[{{\"speaker\":\"caller\",\"text\":\"{PAN}");
    assert!(matches!(
        refused("application/json", &truncated),
        ParseError::Json {
            what: "truncated",
            ..
        }
    ));
    assert!(matches!(
        refused("application/json", &format!("{{\"x\": \"{PAN}\"}}")),
        ParseError::Shape { .. }
    ));
    assert_eq!(refused("application/json", "[]"), ParseError::Empty);
    assert_eq!(
        refused(
            "application/json",
            &format!(
                "[{{\"speaker\":\"caller\",\"text\":\"{PAN}\",\"start_ms\":900,\"end_ms\":100}}]"
            )
        ),
        ParseError::TurnTiming {
            turn: 1,
            problem: TimingProblem::EndBeforeStart
        }
    );
    assert_eq!(
        refused(
            "application/json",
            &format!("[{{\"speaker\":\"caller\",\"text\":\"{PAN}\",\"start_ms\":-5}}]")
        ),
        ParseError::ElementTiming {
            kind: "turn",
            index: 1,
            problem: TimingProblem::OutOfRange
        }
    );
    assert_eq!(
        refused(
            "application/json",
            &format!("[{{\"speaker\":\"{PAN}\",\"text\":\"hi\"}}]")
        ),
        ParseError::Invalid {
            turn: 1,
            what: "speaker label holds a digit sequence"
        }
    );
    // A number where a string belongs: serde_json's own message would quote it.
    assert!(matches!(
        refused(
            "application/json",
            &format!("[{{\"speaker\":\"a\",\"text\":{PAN}}}]")
        ),
        ParseError::Element {
            kind: "turn",
            index: 1,
            ..
        }
    ));
}

#[test]
fn transcribe_problems() {
    let item = |start: &str, end: &str| {
        format!(
            "{{\"results\":{{\"items\":[{{\"type\":\"pronunciation\",\"start_time\":\"{start}\",\"end_time\":\"{end}\",\"alternatives\":[{{\"content\":\"{PAN}\",\"confidence\":\"0.9\"}}]}}]}}}}"
        )
    };
    assert_eq!(
        refused("application/json", &item("2.5", "1.0")),
        ParseError::ElementTiming {
            kind: "item",
            index: 1,
            problem: TimingProblem::EndBeforeStart
        }
    );
    assert_eq!(
        refused("application/json", &item("abc", "1.0")),
        ParseError::ElementTiming {
            kind: "item",
            index: 1,
            problem: TimingProblem::Malformed
        }
    );
    let no_time = format!(
        "{{\"results\":{{\"items\":[{{\"type\":\"pronunciation\",\"alternatives\":[{{\"content\":\"{PAN}\"}}]}}]}}}}"
    );
    assert_eq!(
        refused("application/vnd.amazon.transcribe+json", &no_time),
        ParseError::Element {
            kind: "item",
            index: 1,
            what: "pronunciation without start_time and end_time"
        }
    );
    // A declared format must have its shape.
    assert!(matches!(
        refused(
            "application/vnd.amazon.transcribe+json",
            "{\"segments\":[]}"
        ),
        ParseError::Shape { .. }
    ));
}

#[test]
fn whisper_problems() {
    let bad = format!(
        "{{\"segments\":[{{\"start\":1.0,\"end\":2.0,\"words\":[{{\"word\":\"{PAN}\",\"start\":2.0,\"end\":1.5}}]}}]}}"
    );
    assert_eq!(
        refused("application/json", &bad),
        ParseError::WordTiming {
            turn: 1,
            word: 1,
            problem: TimingProblem::EndBeforeStart
        }
    );
    let nan = format!("{{\"segments\":[{{\"start\":-1.0,\"end\":2.0,\"text\":\"{PAN}\"}}]}}");
    assert_eq!(
        refused("application/vnd.whisper+json", &nan),
        ParseError::ElementTiming {
            kind: "segment",
            index: 1,
            problem: TimingProblem::OutOfRange
        }
    );
}

#[test]
fn absurd_sizes_are_refused() {
    let big = vec![b' '; MAX_BODY_BYTES + 1];
    assert_eq!(
        parse("text/vtt", &big),
        Err(ParseError::TooLarge {
            limit: MAX_BODY_BYTES
        })
    );
    let many = format!("[{}]", vec!["{\"text\":\"hi\"}"; MAX_TURNS + 1].join(","));
    assert_eq!(
        parse("application/json", many.as_bytes()),
        Err(ParseError::TooManyTurns { limit: MAX_TURNS })
    );
    // Over a million one-letter words, in cues under the per-turn limit.
    let cue = "a ".repeat(30_000);
    let mut vtt = String::from("WEBVTT\n");
    for i in 0..(MAX_WORDS / 30_000 + 1) {
        vtt.push_str(&format!(
            "\n00:{:02}.000 --> 00:{:02}.500\n{cue}\n",
            i % 60,
            i % 60
        ));
    }
    assert_eq!(
        parse("text/vtt", vtt.as_bytes()),
        Err(ParseError::TooManyWords { limit: MAX_WORDS })
    );
    let long_turn = format!("[{{\"text\":\"{}\"}}]", "a ".repeat(40_000));
    assert!(matches!(
        parse("application/json", long_turn.as_bytes()),
        Err(ParseError::TurnTooLong { turn: 1, .. })
    ));
    assert_eq!(
        parse("text/vtt", b"WEBVTT\n\n\xff\xfe"),
        Err(ParseError::NotUtf8 { byte: 8 })
    );
    assert_eq!(
        parse("image/png", b"WEBVTT\n"),
        Err(ParseError::UnsupportedContentType)
    );
}
