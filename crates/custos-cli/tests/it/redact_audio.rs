//! `custos redact-audio`: a recording muted where its transcript held card data,
//! offline; transcripts that cannot be trusted for timing are refused.

use std::path::Path;

use crate::custos;

fn transcript(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/transcripts")
        .join(name)
}

/// A minute of a constant tone at 8 kHz, 16-bit mono.
fn write_wav(path: &Path) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(path, spec).unwrap();
    for _ in 0..8_000 * 60 {
        writer.write_sample(1000i16).unwrap();
    }
    writer.finalize().unwrap();
}

#[test]
fn the_card_is_muted_where_the_words_were_spoken() {
    let tmp = tempfile::tempdir().unwrap();
    let wav = tmp.path().join("call.wav");
    write_wav(&wav);
    for (file, mode) in [
        ("payment_call.vtt", "silence"),
        ("payment_call.whisper.json", "beep"),
    ] {
        let out = tmp.path().join(format!("{file}.wav"));
        let run = custos()
            .args(["redact-audio", "--wav"])
            .arg(&wav)
            .arg("--transcript")
            .arg(transcript(file))
            .arg("--output")
            .arg(&out)
            .args(["--mode", mode])
            .output()
            .unwrap();
        let stdout = String::from_utf8(run.stdout).unwrap();
        assert_eq!(run.status.code(), Some(0), "{stdout}");
        let ranges: Vec<(u64, u64)> = stdout
            .lines()
            .filter_map(|l| {
                let rest = l.strip_prefix("muted ")?;
                let (a, b) = rest.split_once(" ms to ")?;
                Some((a.parse().ok()?, b.trim_end_matches(" ms").parse().ok()?))
            })
            .collect();
        assert!(ranges.len() >= 3, "card, expiry and code: {stdout}");
        let samples: Vec<i16> = hound::WavReader::open(&out)
            .unwrap()
            .samples::<i16>()
            .map(Result::unwrap)
            .collect();
        let at = |ms: u64| samples[usize::try_from(ms * 8).unwrap()];
        for (a, b) in &ranges {
            if mode == "silence" {
                assert_eq!((at(*a), at(b - 1)), (0, 0), "{file}: {a}..{b}");
            } else {
                assert!(
                    (*a..*b).step_by(7).any(|ms| at(ms) != 1000),
                    "{file}: beeped"
                );
            }
        }
        assert_eq!(at(0), 1000, "{file}: the greeting is kept");
    }
}

#[test]
fn untimed_or_malformed_transcripts_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let wav = tmp.path().join("call.wav");
    write_wav(&wav);
    let untimed = custos()
        .args(["redact-audio", "--wav"])
        .arg(&wav)
        .arg("--transcript")
        .arg(transcript("chat_untimed.turns.json"))
        .output()
        .unwrap();
    assert_eq!(untimed.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&untimed.stderr).contains("no timing"));
    assert!(!tmp.path().join("call.redacted.wav").exists());

    let broken = tmp.path().join("broken.vtt");
    std::fs::write(
        &broken,
        "WEBVTT\n\n00:02.000 --> 00:01.000\ncard 4539 1488 0343 6467\n",
    )
    .unwrap();
    let refused = custos()
        .args(["redact-audio", "--wav"])
        .arg(&wav)
        .arg("--transcript")
        .arg(&broken)
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("line"), "{err}");
    assert!(
        !err.contains("4539"),
        "the error does not quote the transcript"
    );
}
