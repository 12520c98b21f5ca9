//! `custos redact-audio --wav CALL.wav --transcript CALL.json [--output OUT.wav]
//! [--mode silence|beep]`: mutes a recording where its transcript held card data or
//! personal data, offline. The transcript (WebVTT, SubRip, Amazon Transcribe,
//! Contact Lens, Whisper or JSON turns, recognized by extension and content) is
//! redacted as one conversation; the redacted time ranges, padded by 100 ms, are
//! silenced or beeped in a copy of the WAV. Prints the ranges muted (times only).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use custos_conversation::{Mute, RedactOptions, mute_wav, parse, redact_transcript};
use custos_redact::{Redactor, RedactorConfig};

use super::{EXIT_FAILURE, EXIT_USAGE};

/// How a range is covered.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Mode {
    /// Zeroed samples.
    Silence,
    /// A 1 kHz tone.
    Beep,
}

/// Arguments of `redact-audio`.
#[derive(Debug, Args)]
pub struct RedactAudioArgs {
    /// The recording (PCM WAV: 8/16/24/32-bit integer or 32-bit float).
    #[arg(long, value_name = "FILE")]
    wav: PathBuf,
    /// Its transcript, with word or cue timings.
    #[arg(long, value_name = "FILE")]
    transcript: PathBuf,
    /// Where the muted copy goes (default: next to the recording, `.redacted.wav`).
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// `silence` or `beep`.
    #[arg(long, value_enum, default_value_t = Mode::Silence)]
    mode: Mode,
}

/// The content type a transcript file's name suggests (the body is sniffed otherwise).
fn content_type_of(path: &Path) -> &'static str {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if name.ends_with(".vtt") {
        "text/vtt"
    } else if name.ends_with(".srt") {
        "application/x-subrip"
    } else {
        "application/json"
    }
}

fn fail(message: impl std::fmt::Display, code: u8) -> ExitCode {
    eprintln!("custos redact-audio: {message}");
    ExitCode::from(code)
}

/// Runs `redact-audio`.
pub fn run(args: RedactAudioArgs) -> ExitCode {
    let body = match std::fs::read(&args.transcript) {
        Ok(body) => body,
        Err(e) => return fail(format!("{}: {e}", args.transcript.display()), EXIT_USAGE),
    };
    let transcript = match parse(content_type_of(&args.transcript), &body) {
        Ok(t) => t,
        Err(e) => return fail(format!("{}: {e}", args.transcript.display()), EXIT_USAGE),
    };
    let redactor = match Redactor::new(RedactorConfig::default()) {
        Ok(r) => r,
        Err(e) => return fail(e, EXIT_FAILURE),
    };
    let redacted = redact_transcript(&redactor, &transcript, &RedactOptions::default());
    if redacted.untimed_spans > 0 {
        return fail(
            format!(
                "{} redacted spans have no timing in the transcript; the recording cannot be muted safely",
                redacted.untimed_spans
            ),
            EXIT_FAILURE,
        );
    }
    let input = match std::fs::File::open(&args.wav) {
        Ok(f) => std::io::BufReader::new(f),
        Err(e) => return fail(format!("{}: {e}", args.wav.display()), EXIT_USAGE),
    };
    let output_path = args
        .output
        .unwrap_or_else(|| args.wav.with_extension("redacted.wav"));
    let output = match std::fs::File::create(&output_path) {
        Ok(f) => std::io::BufWriter::new(f),
        Err(e) => return fail(format!("{}: {e}", output_path.display()), EXIT_FAILURE),
    };
    let mode = match args.mode {
        Mode::Silence => Mute::Silence,
        Mode::Beep => Mute::Beep { hz: 1_000 },
    };
    match mute_wav(input, output, &redacted.redacted_ranges, mode) {
        Ok(summary) => {
            for range in &redacted.redacted_ranges {
                println!("muted {} ms to {} ms", range.start_ms, range.end_ms);
            }
            println!(
                "wrote {} ({} of {} frames muted)",
                output_path.display(),
                summary.muted_frames,
                summary.frames
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            let _ = std::fs::remove_file(&output_path);
            fail(format!("{}: {e}", args.wav.display()), EXIT_USAGE)
        }
    }
}
