//! `custos redact [--input FILE] [--format text|spans]`: the redaction engine on
//! files and pipes, offline (CONTRACT.md).
//!
//! `text` (default) redacts the whole input as one text. `spans` reads JSON lines
//! `{"id":…,"text":…}` (other fields ignored) and writes one line per input:
//! `{"id":…,"spans":[{"start","end","type","score"}],"redacted":…}`, with offsets
//! in Unicode code points. A line that is not such an object is reported by its
//! number on stderr (never its content) and the command exits 1 at the end.

use std::io::{BufRead as _, BufWriter, Read as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use custos_redact::{Redaction, Redactor, RedactorConfig};

use super::{EXIT_FAILURE, EXIT_USAGE};

/// Output shapes.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    /// The redacted text.
    Text,
    /// JSON lines in, JSON lines of spans and redacted text out.
    Spans,
}

/// Arguments of `redact`.
#[derive(Debug, Args)]
pub struct RedactArgs {
    /// Read this file instead of standard input.
    #[arg(long, value_name = "FILE")]
    input: Option<PathBuf>,
    /// `text` or `spans`.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// One input line's answer, in the CONTRACT shape.
pub fn spans_record(id: &serde_json::Value, redaction: &Redaction) -> serde_json::Value {
    let spans: Vec<serde_json::Value> = redaction
        .spans
        .iter()
        .map(|s| {
            serde_json::json!({
                "start": s.char_start,
                "end": s.char_end,
                "type": s.entity.as_str(),
                "score": s.printed_score(),
            })
        })
        .collect();
    serde_json::json!({ "id": id, "spans": spans, "redacted": redaction.redacted })
}

/// Runs `redact`.
pub fn run(args: RedactArgs) -> ExitCode {
    let redactor = match Redactor::new(RedactorConfig::default()) {
        Ok(redactor) => redactor,
        Err(e) => {
            eprintln!("custos: {e}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    let input: Box<dyn std::io::Read> = match &args.input {
        Some(path) => match std::fs::File::open(path) {
            Ok(file) => Box::new(file),
            Err(e) => {
                eprintln!("custos: cannot read {}: {e}", path.display());
                return ExitCode::from(EXIT_USAGE);
            }
        },
        None => Box::new(std::io::stdin().lock()),
    };
    let result = match args.format {
        Format::Text => redact_text(&redactor, input),
        Format::Spans => redact_lines(&redactor, input),
    };
    match result {
        Ok(0) => ExitCode::SUCCESS,
        Ok(bad) => {
            eprintln!("custos: {bad} input lines were not JSON objects with a \"text\" string");
            ExitCode::from(EXIT_FAILURE)
        }
        Err(e) => {
            eprintln!("custos: {e}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

fn redact_text(redactor: &Redactor, mut input: Box<dyn std::io::Read>) -> std::io::Result<usize> {
    let mut text = String::new();
    input.read_to_string(&mut text)?;
    let redaction = redactor.redact(&text);
    let mut out = std::io::stdout().lock();
    out.write_all(redaction.redacted.as_bytes())?;
    out.flush()?;
    Ok(0)
}

fn redact_lines(redactor: &Redactor, input: Box<dyn std::io::Read>) -> std::io::Result<usize> {
    let mut out = BufWriter::new(std::io::stdout().lock());
    let mut bad = 0;
    for (number, line) in std::io::BufReader::new(input).lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let parsed: Option<serde_json::Value> = serde_json::from_str(&line).ok();
        let Some((id, text)) = parsed.as_ref().and_then(|v| {
            let text = v.get("text")?.as_str()?;
            Some((
                v.get("id").cloned().unwrap_or(serde_json::Value::Null),
                text,
            ))
        }) else {
            eprintln!(
                "custos: line {}: not a JSON object with a \"text\" string",
                number + 1
            );
            bad += 1;
            continue;
        };
        writeln!(out, "{}", spans_record(&id, &redactor.redact(text)))?;
    }
    out.flush()?;
    Ok(bad)
}
