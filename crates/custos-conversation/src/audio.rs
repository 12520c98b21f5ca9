//! Muting the redacted time ranges of a WAV recording: silence or a beep over every sample
//! of every channel in each range. PCM only: 8, 16, 24 and 32-bit integer, 32-bit float.
//!
//! Rounding is sample-accurate and errs towards muting more: frame `n` covers
//! `[n / rate, (n + 1) / rate)` seconds, and it is muted when that interval meets the range
//! `[start_ms, end_ms)`. So the first muted frame is `floor(start_ms * rate / 1000)` and the
//! last is `ceil(end_ms * rate / 1000) - 1`, clamped to the length of the audio.

use std::io::{BufReader, BufWriter, Read, Seek, Write};

use crate::TimeRange;

/// What goes in place of the muted audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mute {
    /// Digital silence.
    Silence,
    /// A sine tone at a quarter of full scale (about −12 dBFS).
    Beep {
        /// Frequency in hertz: 1 to below half the sample rate.
        hz: u32,
    },
}

/// Amplitude of the beep, as a fraction of full scale.
pub const BEEP_AMPLITUDE: f64 = 0.25;

/// What [`mute_wav`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MuteSummary {
    /// Samples per second per channel.
    pub sample_rate: u32,
    /// Channels.
    pub channels: u16,
    /// Frames (one sample per channel) in the audio.
    pub frames: u64,
    /// Frames muted.
    pub muted_frames: u64,
}

/// A recording that cannot be muted.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    /// Not a WAV file hound can read or write, or an I/O error.
    #[error("WAV error: {0}")]
    Wav(#[from] hound::Error),
    /// A sample format other than 8/16/24/32-bit integer or 32-bit float PCM.
    #[error("unsupported WAV sample format: {bits}-bit {kind}")]
    UnsupportedFormat {
        /// Bits per sample.
        bits: u16,
        /// "int" or "float".
        kind: &'static str,
    },
    /// The beep frequency is zero or not below half the sample rate.
    #[error("beep frequency must be between 1 Hz and half the sample rate")]
    BeepFrequency,
}

/// Copies the WAV `input` to `output` with every frame in `ranges` replaced by silence or a
/// beep. Ranges may overlap, come in any order and reach past the end of the audio.
pub fn mute_wav<R: Read + Seek, W: Write + Seek>(
    input: R,
    output: W,
    ranges: &[TimeRange],
    mode: Mute,
) -> Result<MuteSummary, AudioError> {
    let mut reader = hound::WavReader::new(BufReader::new(input))?;
    let spec = reader.spec();
    let frames = u64::from(reader.duration());
    if let Mute::Beep { hz } = mode
        && (hz == 0 || u64::from(hz) * 2 >= u64::from(spec.sample_rate))
    {
        return Err(AudioError::BeepFrequency);
    }
    let muted = frame_ranges(ranges, spec.sample_rate, frames);
    let muted_frames = muted.iter().map(|(a, b)| b - a).sum();
    let mut writer = hound::WavWriter::new(BufWriter::new(output), spec)?;
    let job = Job {
        muted: &muted,
        channels: u64::from(spec.channels.max(1)),
        rate: spec.sample_rate,
        bits: spec.bits_per_sample,
        mode,
    };
    match (spec.sample_format, spec.bits_per_sample) {
        (hound::SampleFormat::Int, 8) => job.copy::<i8, _, _>(&mut reader, &mut writer)?,
        (hound::SampleFormat::Int, 16) => job.copy::<i16, _, _>(&mut reader, &mut writer)?,
        (hound::SampleFormat::Int, 24 | 32) => job.copy::<i32, _, _>(&mut reader, &mut writer)?,
        (hound::SampleFormat::Float, 32) => job.copy::<f32, _, _>(&mut reader, &mut writer)?,
        (format, bits) => {
            return Err(AudioError::UnsupportedFormat {
                bits,
                kind: match format {
                    hound::SampleFormat::Int => "int",
                    hound::SampleFormat::Float => "float",
                },
            });
        }
    }
    writer.finalize()?;
    Ok(MuteSummary {
        sample_rate: spec.sample_rate,
        channels: spec.channels,
        frames,
        muted_frames,
    })
}

/// The frames to mute, as sorted, merged `[first, end)` pairs (see the module's rounding
/// rule).
pub fn frame_ranges(ranges: &[TimeRange], sample_rate: u32, frames: u64) -> Vec<(u64, u64)> {
    let rate = u128::from(sample_rate);
    let clamp = |f: u128| u64::try_from(f).unwrap_or(u64::MAX).min(frames);
    let mut out: Vec<(u64, u64)> = ranges
        .iter()
        .filter(|r| r.end_ms > r.start_ms)
        .map(|r| {
            let first = clamp(u128::from(r.start_ms) * rate / 1000);
            let end = clamp((u128::from(r.end_ms) * rate).div_ceil(1000));
            (first, end)
        })
        .filter(|(a, b)| b > a)
        .collect();
    out.sort_unstable();
    let mut merged: Vec<(u64, u64)> = Vec::with_capacity(out.len());
    for (a, b) in out {
        match merged.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    merged
}

struct Job<'a> {
    muted: &'a [(u64, u64)],
    channels: u64,
    rate: u32,
    bits: u16,
    mode: Mute,
}

/// A sample type hound reads and writes, with its silence and its beep value.
trait PcmSample: hound::Sample + Copy {
    fn silence() -> Self;
    /// `x` in -1..=1 scaled to full scale of `bits`.
    fn from_unit(x: f64, bits: u16) -> Self;
}

fn scaled(x: f64, bits: u16) -> i32 {
    let full = f64::from((1u32 << (bits.clamp(2, 32) - 1)) - 1);
    // INVARIANT: |x| <= 1, so |x * full| <= i32::MAX.
    #[expect(
        clippy::cast_possible_truncation,
        reason = "bounded by full scale just above"
    )]
    let v = (x.clamp(-1.0, 1.0) * full).round() as i32;
    v
}

impl PcmSample for i8 {
    fn silence() -> Self {
        0
    }
    fn from_unit(x: f64, bits: u16) -> Self {
        i8::try_from(scaled(x, bits)).unwrap_or(0)
    }
}

impl PcmSample for i16 {
    fn silence() -> Self {
        0
    }
    fn from_unit(x: f64, bits: u16) -> Self {
        i16::try_from(scaled(x, bits)).unwrap_or(0)
    }
}

impl PcmSample for i32 {
    fn silence() -> Self {
        0
    }
    fn from_unit(x: f64, bits: u16) -> Self {
        scaled(x, bits)
    }
}

impl PcmSample for f32 {
    fn silence() -> Self {
        0.0
    }
    fn from_unit(x: f64, _bits: u16) -> Self {
        #[expect(clippy::cast_possible_truncation, reason = "a value in -1..=1")]
        let v = x.clamp(-1.0, 1.0) as f32;
        v
    }
}

impl Job<'_> {
    fn copy<S: PcmSample, R: Read, W: Write + Seek>(
        &self,
        reader: &mut hound::WavReader<R>,
        writer: &mut hound::WavWriter<W>,
    ) -> Result<(), AudioError> {
        let mut next_range = 0;
        for (i, sample) in reader.samples::<S>().enumerate() {
            let sample = sample?;
            let frame = i as u64 / self.channels;
            while self.muted.get(next_range).is_some_and(|r| r.1 <= frame) {
                next_range += 1;
            }
            let mute = self.muted.get(next_range).is_some_and(|r| r.0 <= frame);
            let out = if !mute {
                sample
            } else {
                match self.mode {
                    Mute::Silence => S::silence(),
                    Mute::Beep { hz } => {
                        // Phase from the absolute frame, so a beep is continuous across ranges.
                        #[expect(clippy::cast_precision_loss, reason = "phase needs no exactness")]
                        let t = (frame % u64::from(self.rate)) as f64 / f64::from(self.rate);
                        let x = (std::f64::consts::TAU * f64::from(hz) * t).sin() * BEEP_AMPLITUDE;
                        S::from_unit(x, self.bits)
                    }
                }
            };
            writer.write_sample(out)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_outwards_and_clamp() {
        let r = |start_ms, end_ms| TimeRange { start_ms, end_ms };
        // 8 kHz: 8 frames per millisecond.
        assert_eq!(frame_ranges(&[r(10, 20)], 8000, 1000), vec![(80, 160)]);
        // 44.1 kHz: 1 ms = 44.1 frames; start floors, end ceils.
        assert_eq!(frame_ranges(&[r(1, 2)], 44_100, 10_000), vec![(44, 89)]);
        assert_eq!(frame_ranges(&[r(100, 5000)], 8000, 1000), vec![(800, 1000)]);
        assert_eq!(frame_ranges(&[r(900, 950)], 1000, 100), vec![]);
        assert_eq!(
            frame_ranges(&[r(5, 10), r(0, 6), r(20, 30)], 1000, 100),
            vec![(0, 10), (20, 30)]
        );
    }
}
