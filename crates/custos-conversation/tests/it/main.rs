//! The one integration-test binary of custos-conversation: formats, malformed input,
//! transcript redaction, messages, phishing flags, audio muting, properties.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a broken assumption must fail the test loudly"
)]

mod audio;
mod formats;
mod malformed;
mod messages;
mod phishing;
mod properties;
mod redaction;

use std::path::PathBuf;

/// A file of the shared test data, read as bytes.
pub fn testdata(path: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(path);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Every sample of the payment call, with its content type.
pub const PAYMENT_CALL: [(&str, &str); 7] = [
    ("transcripts/payment_call.vtt", "text/vtt"),
    ("transcripts/payment_call.srt", "application/x-subrip"),
    (
        "transcripts/payment_call.transcribe.json",
        "application/json",
    ),
    (
        "transcripts/payment_call.channels.transcribe.json",
        "application/vnd.amazon.transcribe+json",
    ),
    (
        "transcripts/payment_call.contact-lens.json",
        "application/json",
    ),
    ("transcripts/payment_call.whisper.json", "application/json"),
    ("transcripts/payment_call.turns.json", "application/json"),
];
