//! Throughput of parsing and redacting a realistic call transcript (Amazon Transcribe JSON
//! and WebVTT), and of chat messages through redaction plus the phishing assessment.
//! `cargo bench -p custos-conversation --bench conversation`

use custos_conversation::{
    Channel, Message, MessageInput, RedactOptions, assess, parse, redact_message, redact_transcript,
};
use custos_redact::{Redactor, RedactorConfig};
use divan::counter::{BytesCount, ItemsCount};
use divan::{Bencher, black_box};

const TRANSCRIBE: &str = include_str!("../../../testdata/transcripts/payment_call.transcribe.json");
const VTT: &str = include_str!("../../../testdata/transcripts/payment_call.vtt");
const TURNS: &str = include_str!("../../../testdata/transcripts/payment_call.turns.json");
const MESSAGES: &str = include_str!("../../../testdata/messages/messages.jsonl");

fn main() {
    divan::main();
}

fn redactor() -> Redactor {
    Redactor::new(RedactorConfig::default()).unwrap_or_else(|_| std::process::abort())
}

/// Parse and redact an Amazon Transcribe call with word timings.
#[divan::bench(sample_count = 50)]
fn transcribe_json_parse_and_redact(bencher: Bencher) {
    let r = redactor();
    let options = RedactOptions::default();
    bencher
        .counter(BytesCount::of_str(TRANSCRIBE))
        .bench_local(|| {
            let t = parse("application/json", black_box(TRANSCRIBE.as_bytes()))
                .unwrap_or_else(|_| std::process::abort());
            black_box(redact_transcript(&r, &t, &options))
        });
}

/// Parse and redact the same call as WebVTT cues, and render redacted subtitles.
#[divan::bench(sample_count = 50)]
fn webvtt_parse_redact_render(bencher: Bencher) {
    let r = redactor();
    let options = RedactOptions::default();
    bencher.counter(BytesCount::of_str(VTT)).bench_local(|| {
        let t =
            parse("text/vtt", black_box(VTT.as_bytes())).unwrap_or_else(|_| std::process::abort());
        black_box(redact_transcript(&r, &t, &options).to_webvtt())
    });
}

/// A 40-minute call: the sample call's turns 40 times over (600 turns, about 75 KB).
fn long_call() -> String {
    let call: serde_json::Value =
        serde_json::from_str(TURNS).unwrap_or_else(|_| std::process::abort());
    let mut turns = Vec::new();
    for k in 0..40u64 {
        for t in call["turns"].as_array().into_iter().flatten() {
            let mut t = t.clone();
            for f in ["start_ms", "end_ms"] {
                let ms = t[f].as_u64().unwrap_or(0) + k * 60_000;
                t[f] = ms.into();
            }
            turns.push(t);
        }
    }
    serde_json::Value::Array(turns).to_string()
}

/// Parse and redact a 40-minute call given as plain JSON turns (timings per turn).
#[divan::bench(sample_count = 30)]
fn long_call_parse_and_redact(bencher: Bencher) {
    let r = redactor();
    let options = RedactOptions::default();
    let body = long_call();
    bencher.counter(BytesCount::of_str(&body)).bench_local(|| {
        let t = parse("application/json", black_box(body.as_bytes()))
            .unwrap_or_else(|_| std::process::abort());
        black_box(redact_transcript(&r, &t, &options))
    });
}

struct Sample {
    from: Option<String>,
    name: Option<String>,
    subject: Option<String>,
    body: String,
    html: bool,
}

fn samples() -> Vec<Sample> {
    MESSAGES
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|v| Sample {
            from: v["from_address"].as_str().map(str::to_owned),
            name: v["from_name"].as_str().map(str::to_owned),
            subject: v["subject"].as_str().map(str::to_owned),
            body: v["body"].as_str().unwrap_or("").to_owned(),
            html: v["html"].as_bool().unwrap_or(false),
        })
        .collect()
}

/// Every sample message assessed, without redaction.
#[divan::bench(sample_count = 50)]
fn messages_assess_only(bencher: Bencher) {
    let samples = samples();
    bencher
        .counter(ItemsCount::new(samples.len()))
        .bench_local(|| {
            for s in &samples {
                black_box(assess(&MessageInput {
                    channel: Channel::Email,
                    from_address: s.from.as_deref(),
                    from_name: s.name.as_deref(),
                    subject: s.subject.as_deref(),
                    body: &s.body,
                    html: s.html,
                    registered_email: Some("dana.whitfield@example.net"),
                }));
            }
        });
}

/// Every sample message (phishing and ordinary) redacted and assessed, one by one.
#[divan::bench(sample_count = 50)]
fn messages_redact_and_assess(bencher: Bencher) {
    let r = redactor();
    let samples = samples();
    bencher
        .counter(ItemsCount::new(samples.len()))
        .bench_local(|| {
            for s in &samples {
                let m = Message {
                    sender: "customer".to_owned(),
                    text: s.body.clone(),
                };
                black_box(redact_message(&r, &m));
                black_box(assess(&MessageInput {
                    channel: Channel::Email,
                    from_address: s.from.as_deref(),
                    from_name: s.name.as_deref(),
                    subject: s.subject.as_deref(),
                    body: &s.body,
                    html: s.html,
                    registered_email: Some("dana.whitfield@example.net"),
                }));
            }
        });
}
