//! Every format reads the same call into the same turns; format-specific features (voice
//! tags, NOTE and STYLE blocks, speaker labels, channels, untimed words) are honoured.

use custos_conversation::{Format, Transcript, parse};

use crate::{PAYMENT_CALL, testdata};

fn read(path: &str, content_type: &str) -> Transcript {
    parse(content_type, &testdata(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

const CALL_TEXTS: [&str; 4] = [
    "Thank you for calling Northwind Bank, this is Priya. How can I help you today?",
    "Hi, I need to pay off the balance on my credit card account.",
    "Sure, I can take that payment now. Can I get the card number, please?",
    "Yes, it's four five three nine,",
];

#[test]
fn every_format_reads_the_same_call() {
    for (path, ct) in PAYMENT_CALL {
        let t = read(path, ct);
        assert_eq!(t.turns().len(), 15, "{path}");
        for (turn, expected) in t.turns().iter().zip(CALL_TEXTS) {
            assert_eq!(turn.text(), expected, "{path}");
        }
        assert_eq!(t.turns()[5].text(), "1488, 0343,", "{path}");
        assert_eq!(t.turns()[7].text(), "6467.", "{path}");
        // Words are aligned with the text they come from.
        for turn in t.turns() {
            assert!(!turn.words().is_empty(), "{path}");
            for w in turn.words() {
                assert_eq!(
                    &turn.text()[w.offset()..w.offset() + w.text().len()],
                    w.text()
                );
            }
        }
        // Turns alternate between the two speakers.
        let speakers: Vec<&str> = t.turns().iter().map(|t| t.speaker()).collect();
        for pair in speakers.windows(2) {
            assert_ne!(pair[0], pair[1], "{path}: {speakers:?}");
        }
    }
}

#[test]
fn formats_are_recognized() {
    let formats: Vec<Format> = PAYMENT_CALL
        .iter()
        .map(|(p, ct)| read(p, ct).format())
        .collect();
    assert_eq!(
        formats,
        [
            Format::WebVtt,
            Format::Srt,
            Format::AmazonTranscribe,
            Format::AmazonTranscribe,
            Format::ContactLens,
            Format::Whisper,
            Format::JsonTurns
        ]
    );
    // Sniffed from the body when the type says nothing useful.
    let vtt = testdata("transcripts/payment_call.vtt");
    assert_eq!(parse("text/plain", &vtt).unwrap().format(), Format::WebVtt);
    let srt = testdata("transcripts/payment_call.srt");
    assert_eq!(
        parse("application/octet-stream", &srt).unwrap().format(),
        Format::Srt
    );
    let untimed = testdata("transcripts/chat_untimed.turns.json");
    assert_eq!(
        parse("application/vnd.custos.turns+json", &untimed)
            .unwrap()
            .format(),
        Format::JsonTurns
    );
}

#[test]
fn webvtt_features() {
    let t = read("transcripts/payment_call.vtt", "text/vtt");
    let first = &t.turns()[0];
    assert_eq!(first.speaker(), "Agent");
    assert_eq!((first.start_ms(), first.end_ms()), (Some(500), Some(7080)));
    // `<v.loud Caller>` with a class, mm:ss timing without hours.
    assert_eq!(t.turns()[1].speaker(), "Caller");
    assert_eq!(t.turns()[1].start_ms(), Some(7840));
    // `Agent: Okay, go on.` as a prefix.
    assert_eq!(t.turns()[6].speaker(), "Agent");
    assert_eq!(t.turns()[6].text(), "Okay, and the rest?");
    // A cue over two lines is one turn.
    assert!(t.turns()[12].text().starts_with("Great. The payment"));
    assert!(t.turns()[12].text().ends_with("help with?"));
    // Words split from cue text carry no timings.
    assert!(t.turns()[0].words().iter().all(|w| w.start_ms().is_none()));
}

#[test]
fn webvtt_cue_with_two_voices_is_two_turns() {
    let vtt = "WEBVTT\n\n1\n00:01.000 --> 00:04.000\n<v Agent>Card number?\n<v Caller>Sure.\n";
    let t = parse("text/vtt", vtt.as_bytes()).unwrap();
    let got: Vec<(&str, &str)> = t.turns().iter().map(|t| (t.speaker(), t.text())).collect();
    assert_eq!(got, [("Agent", "Card number?"), ("Caller", "Sure.")]);
    assert_eq!(t.turns()[1].start_ms(), Some(1000));
}

#[test]
fn transcribe_words_have_timings_and_confidence() {
    let t = read(
        "transcripts/payment_call.transcribe.json",
        "application/vnd.amazon.transcribe+json",
    );
    let turn = &t.turns()[5];
    assert_eq!(turn.speaker(), "spk_1");
    let w: Vec<(&str, Option<u64>, Option<u64>)> = turn
        .words()
        .iter()
        .map(|w| (w.text(), w.start_ms(), w.end_ms()))
        .collect();
    assert_eq!(
        w,
        [
            ("1488", Some(25_120), Some(25_500)),
            ("0343", Some(25_560), Some(25_940))
        ]
    );
    assert_eq!(turn.words()[0].confidence(), Some(0.871));
    assert_eq!(
        (turn.start_ms(), turn.end_ms()),
        (Some(25_120), Some(25_940))
    );
    let ch = read(
        "transcripts/payment_call.channels.transcribe.json",
        "application/json",
    );
    assert_eq!(ch.turns()[0].speaker(), "ch_0");
    assert_eq!(ch.turns()[5].speaker(), "ch_1");
}

#[test]
fn whisper_segment_without_words_is_split_from_text() {
    let t = read(
        "transcripts/payment_call.whisper.json",
        "application/vnd.whisper+json",
    );
    assert_eq!(t.turns()[0].speaker(), "SPEAKER_00");
    let timed = &t.turns()[5];
    assert_eq!(timed.words()[0].text(), "1488,");
    assert_eq!(timed.words()[0].start_ms(), Some(25_120));
    assert_eq!(timed.words()[0].confidence(), Some(0.71));
    let untimed = &t.turns()[13];
    assert_eq!(untimed.text(), "No, that's all. Thanks so much.");
    assert_eq!(untimed.words().len(), 6);
    assert!(untimed.words().iter().all(|w| w.start_ms().is_none()));
    assert!(untimed.start_ms().is_some());
}

#[test]
fn srt_tags_and_crlf() {
    let t = read("transcripts/payment_call.srt", "text/srt");
    assert_eq!(t.turns()[3].speaker(), "Caller");
    assert_eq!(t.turns()[3].text(), "Yes, it's four five three nine,");
    assert_eq!(t.turns()[0].start_ms(), Some(500));
}

#[test]
fn plain_turns_without_times() {
    let t = read("transcripts/chat_untimed.turns.json", "application/json");
    assert_eq!(t.turns()[0].speaker(), "agent");
    assert_eq!(t.turns()[0].start_ms(), None);
    assert_eq!(
        t.word_count(),
        t.turns()
            .iter()
            .map(|t| t.text().split_whitespace().count())
            .sum::<usize>()
    );
}

#[test]
fn debug_output_holds_no_text() {
    let t = read("transcripts/payment_call.vtt", "text/vtt");
    let debug = format!("{t:?} {:?} {:?}", t.turns()[5], t.turns()[5].words());
    assert!(!debug.contains("1488"), "{debug}");
    assert!(debug.contains("turns: 15"), "{debug}");
}

#[test]
fn contact_lens_segments_are_turns() {
    let t = read(
        "transcripts/payment_call.contact-lens.json",
        "application/vnd.amazon.contact-lens+json",
    );
    assert_eq!(t.turns()[0].speaker(), "AGENT");
    assert_eq!(t.turns()[5].speaker(), "CUSTOMER");
    assert_eq!(
        (t.turns()[5].start_ms(), t.turns()[5].end_ms()),
        (Some(25_120), Some(25_940))
    );
}
