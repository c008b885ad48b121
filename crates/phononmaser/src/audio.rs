//! From a source's PCM to what Whisper hears: integer PCM mixed to mono float, then
//! resampled to 16 kHz with rubato's FFT resampler (a real band-limited resampler:
//! linear interpolation aliases and smears consonants). One `ToMono16k` per source,
//! kept across frames so chunk edges leave no clicks.

use crate::frame::Format;
use rubato::{FftFixedIn, Resampler};

pub const RATE: u32 = 16_000;

/// Interleaved little-endian integer PCM to mono f32 in [-1, 1): the channels'
/// average.
pub fn to_mono(format: Format, pcm: &[u8], out: &mut Vec<f32>) {
    let ch = format.channels as usize;
    match format.bit_depth {
        16 => {
            for frame in pcm.chunks_exact(2 * ch) {
                let sum: i32 = frame
                    .chunks_exact(2)
                    .map(|s| i16::from_le_bytes([s[0], s[1]]) as i32)
                    .sum();
                out.push(sum as f32 / (ch as f32 * 32_768.0));
            }
        }
        32 => {
            for frame in pcm.chunks_exact(4 * ch) {
                let sum: i64 = frame
                    .chunks_exact(4)
                    .map(|s| i32::from_le_bytes([s[0], s[1], s[2], s[3]]) as i64)
                    .sum();
                out.push((sum as f64 / (ch as f64 * 2_147_483_648.0)) as f32);
            }
        }
        _ => {}
    }
}

/// A source's stream, mono at 16 kHz.
pub struct ToMono16k {
    format: Format,
    resampler: Option<FftFixedIn<f32>>,
    pending: Vec<f32>,
    mono: Vec<f32>,
}

impl ToMono16k {
    pub fn new(format: Format) -> ToMono16k {
        let resampler = (format.sample_rate != RATE).then(|| {
            // 20 ms of input per step.
            let chunk = (format.sample_rate as usize / 50).max(64);
            FftFixedIn::<f32>::new(format.sample_rate as usize, RATE as usize, chunk, 2, 1)
                .expect("rates are checked by the frame decoder")
        });
        ToMono16k {
            format,
            resampler,
            pending: Vec::new(),
            mono: Vec::new(),
        }
    }

    pub fn format(&self) -> Format {
        self.format
    }

    /// Take `pcm` and append what can be resampled so far to `out`.
    pub fn push(&mut self, pcm: &[u8], out: &mut Vec<f32>) {
        self.mono.clear();
        to_mono(self.format, pcm, &mut self.mono);
        let Some(rs) = self.resampler.as_mut() else {
            out.extend_from_slice(&self.mono);
            return;
        };
        self.pending.extend_from_slice(&self.mono);
        loop {
            let need = rs.input_frames_next();
            if self.pending.len() < need {
                break;
            }
            match rs.process(&[&self.pending[..need]], None) {
                Ok(o) => out.extend_from_slice(&o[0]),
                Err(e) => tracing::warn!(error = %e, "resampler refused a chunk"),
            }
            self.pending.drain(..need);
        }
    }

    /// Whatever is left, padded with silence through the resampler (a source's end).
    pub fn flush(&mut self, out: &mut Vec<f32>) {
        if let Some(rs) = self.resampler.as_mut() {
            if !self.pending.is_empty() {
                let need = rs.input_frames_next();
                self.pending.resize(need, 0.0);
                if let Ok(o) = rs.process(&[&self.pending[..]], None) {
                    out.extend_from_slice(&o[0]);
                }
                self.pending.clear();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stereo_mixes_to_the_average() {
        let f = Format {
            sample_rate: 16_000,
            channels: 2,
            bit_depth: 16,
        };
        let pcm: Vec<u8> = [16_384i16, 0, -32_768, -32_768]
            .iter()
            .flat_map(|s| s.to_le_bytes())
            .collect();
        let mut out = Vec::new();
        to_mono(f, &pcm, &mut out);
        assert_eq!(out, vec![0.25, -1.0]);
        let f32b = Format {
            bit_depth: 32,
            channels: 1,
            ..f
        };
        let mut out = Vec::new();
        to_mono(f32b, &(1i32 << 30).to_le_bytes(), &mut out);
        assert_eq!(out, vec![0.5]);
    }

    /// A 440 Hz tone at 48 kHz stereo, in odd-sized frames, comes out at 16 kHz with
    /// the same pitch (zero crossings) and level; a 12 kHz tone, above the new 8 kHz
    /// Nyquist, is filtered out rather than folded down to 4 kHz.
    #[test]
    fn resampling_keeps_pitch_and_removes_what_cannot_be_kept() {
        let tone = |hz: f32, secs: f32| -> Vec<u8> {
            let n = (48_000.0 * secs) as usize;
            (0..n)
                .flat_map(|i| {
                    let s = ((i as f32 / 48_000.0 * hz * std::f32::consts::TAU).sin() * 16_000.0)
                        as i16;
                    [s.to_le_bytes(), s.to_le_bytes()].concat()
                })
                .collect()
        };
        let f = Format {
            sample_rate: 48_000,
            channels: 2,
            bit_depth: 16,
        };
        let run = |pcm: Vec<u8>| {
            let mut r = ToMono16k::new(f);
            let mut out = Vec::new();
            for chunk in pcm.chunks(4 * 1024 + 4 * 37) {
                r.push(chunk, &mut out);
            }
            r.flush(&mut out);
            out
        };
        let rms = |s: &[f32]| (s.iter().map(|x| x * x).sum::<f32>() / s.len() as f32).sqrt();

        let a = run(tone(440.0, 1.0));
        assert!((a.len() as i64 - 16_000).abs() < 400, "{} samples", a.len());
        let steady = &a[2_000..14_000];
        let crossings = steady
            .windows(2)
            .filter(|w| w[0] < 0.0 && w[1] >= 0.0)
            .count();
        assert!(
            (crossings as i64 - 330).abs() <= 2,
            "{crossings} rising crossings in 0.75 s"
        );
        assert!((rms(steady) - 0.345).abs() < 0.02, "level {}", rms(steady));

        let high = run(tone(12_000.0, 1.0));
        assert!(
            rms(&high[2_000..14_000]) < 0.01,
            "12 kHz leaked: {}",
            rms(&high[2_000..14_000])
        );
    }
}
