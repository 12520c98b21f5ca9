//! The `custos redact --format spans` interface (CONTRACT.md) over this library, for the
//! Presidio comparison in `bench/presidio/` before the CLI is at hand, and as a reference for
//! the CLI: reads JSON lines `{"id":…,"text":…}` on stdin, writes one line per input
//! `{"id":…,"spans":[{"start","end","type","score"}],"redacted":…}`, offsets in code points.
//! `cargo run --release -p custos-redact --example redact_spans < input.jsonl`

use std::io::{BufRead, Write};

use custos_redact::{Redactor, RedactorConfig};

fn main() -> std::io::Result<()> {
    let redactor = Redactor::new(RedactorConfig::default()).map_err(std::io::Error::other)?;
    let stdin = std::io::stdin();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for line in stdin.lock().lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let input: serde_json::Value =
            serde_json::from_str(&line).map_err(std::io::Error::other)?;
        let text = input["text"].as_str().unwrap_or("");
        let redaction = redactor.redact(text);
        let spans: Vec<serde_json::Value> = redaction
            .spans
            .iter()
            .map(|s| {
                serde_json::json!({
                    "start": s.char_start,
                    "end": s.char_end,
                    "type": s.entity.as_str(),
                    "score": s.score,
                })
            })
            .collect();
        let record = serde_json::json!({ "id": input["id"], "spans": spans, "redacted": redaction.redacted });
        writeln!(out, "{record}")?;
    }
    out.flush()
}
