//! WAV muting: WAVs of every supported sample format are made in memory, muted, and read
//! back; exactly the frames of each range change, in every channel.

use std::io::Cursor;

use custos_conversation::{AudioError, BEEP_AMPLITUDE, Mute, TimeRange, mute_wav};
use hound::{SampleFormat, WavSpec};

/// A loud, never-zero value per frame and channel, as a fraction of full scale.
fn original(frame: usize, channel: usize) -> f64 {
    0.9 - 0.1 * ((frame + channel) % 3) as f64
}

fn full_scale(bits: u16) -> f64 {
    f64::from((1u32 << (bits - 1)) - 1)
}

/// Makes a WAV, mutes `ranges`, returns (input samples, output samples) as f64 in -1..=1.
fn run(spec: WavSpec, frames: usize, ranges: &[TimeRange], mode: Mute) -> (Vec<f64>, Vec<f64>) {
    let mut input = Cursor::new(Vec::new());
    {
        let mut w = hound::WavWriter::new(&mut input, spec).unwrap();
        for f in 0..frames {
            for c in 0..usize::from(spec.channels) {
                let x = original(f, c);
                match (spec.sample_format, spec.bits_per_sample) {
                    (SampleFormat::Float, _) => w.write_sample(x as f32).unwrap(),
                    (_, 8) => w.write_sample((x * full_scale(8)) as i8).unwrap(),
                    (_, 16) => w.write_sample((x * full_scale(16)) as i16).unwrap(),
                    (_, bits) => w.write_sample((x * full_scale(bits)) as i32).unwrap(),
                }
            }
        }
        w.finalize().unwrap();
    }
    input.set_position(0);
    let before = read_all(input.get_ref());
    let mut output = Cursor::new(Vec::new());
    let summary = mute_wav(input, &mut output, ranges, mode).unwrap();
    assert_eq!(summary.frames, frames as u64);
    assert_eq!(summary.channels, spec.channels);
    let after = read_all(output.get_ref());
    (before, after)
}

fn read_all(bytes: &[u8]) -> Vec<f64> {
    let mut r = hound::WavReader::new(Cursor::new(bytes)).unwrap();
    let spec = r.spec();
    match (spec.sample_format, spec.bits_per_sample) {
        (SampleFormat::Float, _) => r.samples::<f32>().map(|s| f64::from(s.unwrap())).collect(),
        (_, 8) => r
            .samples::<i8>()
            .map(|s| f64::from(s.unwrap()) / full_scale(8))
            .collect(),
        (_, 16) => r
            .samples::<i16>()
            .map(|s| f64::from(s.unwrap()) / full_scale(16))
            .collect(),
        (_, bits) => r
            .samples::<i32>()
            .map(|s| f64::from(s.unwrap()) / full_scale(bits))
            .collect(),
    }
}

/// The frames whose samples changed, checking every channel of a frame agrees.
fn changed_frames(before: &[f64], after: &[f64], channels: usize) -> Vec<usize> {
    assert_eq!(before.len(), after.len());
    let mut out = Vec::new();
    for (f, (b, a)) in before
        .chunks(channels)
        .zip(after.chunks(channels))
        .enumerate()
    {
        let changed: Vec<bool> = b.iter().zip(a).map(|(x, y)| x != y).collect();
        assert!(
            changed.iter().all(|c| *c == changed[0]),
            "frame {f}: {changed:?}"
        );
        if changed[0] {
            out.push(f);
        }
    }
    out
}

fn spec(format: SampleFormat, bits: u16, channels: u16, rate: u32) -> WavSpec {
    WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: bits,
        sample_format: format,
    }
}

const FORMATS: [(SampleFormat, u16); 5] = [
    (SampleFormat::Int, 8),
    (SampleFormat::Int, 16),
    (SampleFormat::Int, 24),
    (SampleFormat::Int, 32),
    (SampleFormat::Float, 32),
];

#[test]
fn exactly_the_frames_of_each_range_change() {
    let ranges = [
        // 8 frames per ms at 8 kHz: frames 80..=159.
        TimeRange {
            start_ms: 10,
            end_ms: 20,
        },
        // Overlapping and out of order: 150..=239 joins the first.
        TimeRange {
            start_ms: 30,
            end_ms: 40,
        },
        TimeRange {
            start_ms: 19,
            end_ms: 25,
        },
        // Past the end (1000 frames = 125 ms): clamped to 960..=999.
        TimeRange {
            start_ms: 120,
            end_ms: 9_000,
        },
        // Empty.
        TimeRange {
            start_ms: 50,
            end_ms: 50,
        },
    ];
    let mut expected: Vec<usize> = (80..200).chain(240..320).chain(960..1000).collect();
    expected.dedup();
    for (format, bits) in FORMATS {
        for channels in [1, 2, 6] {
            for mode in [Mute::Silence, Mute::Beep { hz: 1000 }] {
                let (before, after) = run(spec(format, bits, channels, 8000), 1000, &ranges, mode);
                let got = changed_frames(&before, &after, usize::from(channels));
                assert_eq!(got, expected, "{format:?} {bits} x{channels} {mode:?}");
                let muted: Vec<f64> = expected
                    .iter()
                    .flat_map(|f| {
                        let c = usize::from(channels);
                        after[f * c..(f + 1) * c].to_vec()
                    })
                    .collect();
                match mode {
                    Mute::Silence => assert!(muted.iter().all(|x| *x == 0.0)),
                    Mute::Beep { .. } => {
                        assert!(muted.iter().all(|x| x.abs() <= BEEP_AMPLITUDE + 0.01));
                        assert!(muted.iter().any(|x| x.abs() > BEEP_AMPLITUDE * 0.9));
                    }
                }
            }
        }
    }
}

#[test]
fn rounding_at_44_1_khz_is_outwards() {
    // 1 ms..2 ms at 44.1 kHz: frame 44 starts at 0.9977 ms and ends at 1.0204 ms, so it
    // meets the range; frame 88 ends at 2.0181 ms, so it is the last.
    let (before, after) = run(
        spec(SampleFormat::Int, 16, 1, 44_100),
        200,
        &[TimeRange {
            start_ms: 1,
            end_ms: 2,
        }],
        Mute::Silence,
    );
    assert_eq!(
        changed_frames(&before, &after, 1),
        (44..=88).collect::<Vec<_>>()
    );
}

#[test]
fn bad_input_is_refused() {
    let mut out = Cursor::new(Vec::new());
    let err = mute_wav(
        Cursor::new(b"RIFF....not a wav".to_vec()),
        &mut out,
        &[],
        Mute::Silence,
    );
    assert!(matches!(err, Err(AudioError::Wav(_))));

    let mut wav = Cursor::new(Vec::new());
    hound::WavWriter::new(&mut wav, spec(SampleFormat::Int, 16, 1, 8000))
        .unwrap()
        .finalize()
        .unwrap();
    wav.set_position(0);
    let err = mute_wav(wav, &mut out, &[], Mute::Beep { hz: 4000 });
    assert!(matches!(err, Err(AudioError::BeepFrequency)));
}
