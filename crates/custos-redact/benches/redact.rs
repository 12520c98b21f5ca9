//! Throughput of redaction on mixed contact-center text, and the latency of one chat message
//! pushed into a live conversation stream.
//! `cargo bench -p custos-redact --bench redact`

use custos_redact::{Redactor, RedactorConfig, Turn};
use divan::counter::BytesCount;
use divan::{Bencher, black_box};

const CORPUS: &str = include_str!("../../../testdata/redact/corpus.jsonl");

fn main() {
    divan::main();
}

fn redactor() -> Redactor {
    Redactor::new(RedactorConfig::default()).unwrap_or_else(|_| std::process::abort())
}

/// Every text and turn of the labeled corpus (chats, transcripts, emails, hard negatives).
fn corpus_texts() -> Vec<String> {
    let mut out = Vec::new();
    for line in CORPUS.lines() {
        let Ok(case) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if let Some(text) = case["text"].as_str() {
            out.push(text.to_owned());
        }
        for turn in case["turns"].as_array().into_iter().flatten() {
            if let Some(text) = turn["text"].as_str() {
                out.push(text.to_owned());
            }
        }
    }
    out
}

/// Ordinary conversation with no sensitive data: most of what passes through.
const PLAIN: &str = "thanks for waiting i checked the account and the last payment posted on \
    tuesday so the late fee should come off on the next statement is there anything else i can \
    help you with today ";

/// The whole corpus (about 0.6 MB, dense with entities) as one text.
#[divan::bench(sample_count = 20)]
fn corpus_as_one_text(bencher: Bencher) {
    let r = redactor();
    let text = corpus_texts().join("\n");
    bencher
        .counter(BytesCount::of_str(&text))
        .bench_local(|| black_box(r.redact(black_box(&text))));
}

/// The corpus message by message, as the API receives it.
#[divan::bench(sample_count = 20)]
fn corpus_message_by_message(bencher: Bencher) {
    let r = redactor();
    let texts = corpus_texts();
    let bytes: usize = texts.iter().map(String::len).sum();
    bencher.counter(BytesCount::new(bytes)).bench_local(|| {
        for t in &texts {
            black_box(r.redact(black_box(t)));
        }
    });
}

/// Mixed text: nine parts plain conversation to one part corpus text, in 64 KB.
#[divan::bench(sample_count = 50)]
fn mixed_64k(bencher: Bencher) {
    let r = redactor();
    let texts = corpus_texts();
    let mut text = String::new();
    let mut i = 0;
    while text.len() < 64 * 1024 {
        for _ in 0..3 {
            text.push_str(PLAIN);
        }
        text.push_str(&texts[i % texts.len()]);
        text.push('\n');
        i += 7;
    }
    bencher
        .counter(BytesCount::of_str(&text))
        .bench_local(|| black_box(r.redact(black_box(&text))));
}

/// A transcript scanned as a conversation (cards read over several turns).
#[divan::bench]
fn conversation_of_12_turns(bencher: Bencher) {
    let r = redactor();
    let turns = [
        "thank you for calling acme this is sarah how can i help",
        "hi i want to pay my bill",
        "sure can i get the card number",
        "four one one one",
        "okay",
        "one one one one",
        "mhm",
        "one one one one",
        "go ahead",
        "one one one one",
        "and the security code",
        "one two three",
    ];
    let turns: Vec<Turn<'_>> = turns
        .iter()
        .enumerate()
        .map(|(i, t)| Turn {
            speaker: if i % 2 == 0 { "agent" } else { "caller" },
            text: t,
        })
        .collect();
    let bytes: usize = turns.iter().map(|t| t.text.len()).sum();
    bencher
        .counter(BytesCount::new(bytes))
        .bench_local(|| black_box(r.redact_conversation(black_box(&turns))));
}

/// Latency of one 200-byte chat message pushed into a conversation already under way
/// (one sample per message). The tail percentiles come from `examples/stream_latency.rs`.
#[divan::bench(sample_count = 5000, sample_size = 1)]
fn stream_push_200_byte_message(bencher: Bencher) {
    let r = redactor();
    let messages = [
        "Hi, I was charged twice for my order last week. My card number is 4111 1111 1111 1111 and the charge was $49.99 on the 3rd. Can you refund one of them please? Thanks, Maria",
        "Sure, I can help with that. Could you confirm the email on the account and the billing zip code? I will also need the last four digits of the card to locate the payment, thanks",
        "its maria.gonzalez@example.com and the zip is 62704. the card ending in 1111. also can you update my phone to (555) 234-5678 since the old one is disconnected now, thank you so much",
    ];
    let mut stream = r.stream();
    let mut i = 0;
    bencher.bench_local(|| {
        i += 1;
        black_box(stream.push_turn(
            if i % 2 == 0 { "agent" } else { "customer" },
            messages[i % messages.len()],
        ))
    });
}
