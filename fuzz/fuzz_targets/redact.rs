//! Redaction never panics on any text, its spans are ordered, disjoint and on character
//! boundaries, and a second pass finds nothing new in the first pass's output.
//! `cargo +nightly fuzz run redact`

#![no_main]

use custos_redact::{Redactor, RedactorConfig};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static REDACTOR: OnceLock<Redactor> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let redactor =
        REDACTOR.get_or_init(|| Redactor::new(RedactorConfig::default()).expect("default config"));
    let out = redactor.redact(text);
    let mut last_end = 0;
    for span in &out.spans {
        assert!(span.start >= last_end && span.start < span.end && span.end <= text.len());
        assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
        last_end = span.end;
    }
    let again = redactor.redact(&out.redacted);
    assert_eq!(again.redacted, out.redacted);
});
