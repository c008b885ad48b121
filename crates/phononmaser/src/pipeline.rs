//! One source's audio, from frames to recognition jobs: mono 16 kHz, the VAD's
//! utterances, a partial about every [`PARTIAL_EVERY_MS`] while one grows, and its
//! final when it ends. Each source has its own pipeline; sources never mix.

use crate::audio::ToMono16k;
use crate::frame::Audio;
use crate::recognize::{Job, Kind};
use crate::vad::{Segment, Segmenter, VadSettings};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

pub const PARTIAL_EVERY_MS: u64 = 500;
/// Silence after speech that counts as a pause: the speech so far is decoded at once,
/// and if nothing more is said, that decode is the final (it is ready before the
/// VAD's hang-over ends, so the final does not wait for a decode).
pub const PAUSE_MS: u64 = 64;
/// A source whose sample clock falls this far behind the wall clock (muted, so the
/// plugin sent nothing) is re-anchored.
pub const REANCHOR_AFTER: Duration = Duration::from_millis(750);

/// Wall-clock times for a source's samples: anchored at its first frame's arrival,
/// advanced by samples received, re-anchored after a gap, never ahead of now.
#[derive(Debug)]
pub struct SourceClock {
    anchor: SystemTime,
    /// 16 kHz samples received before the anchor.
    anchor_sample: u64,
    received: u64,
}

impl SourceClock {
    pub fn new(now: SystemTime) -> SourceClock {
        SourceClock {
            anchor: now,
            anchor_sample: 0,
            received: 0,
        }
    }

    /// `n` more samples arrived at `now`.
    pub fn advance(&mut self, n: u64, now: SystemTime) {
        let expected_end = self.at(self.received);
        if now.duration_since(expected_end).unwrap_or_default() > REANCHOR_AFTER {
            // A gap (muted audio is not sent): these samples are now.
            self.anchor = now;
            self.anchor_sample = self.received;
        }
        self.received += n;
    }

    /// The wall-clock time of sample `s`.
    pub fn at(&self, s: u64) -> SystemTime {
        let since = s.saturating_sub(self.anchor_sample);
        self.anchor + Duration::from_micros(since * 1_000_000 / 16_000)
    }
}

pub struct Pipeline {
    pub source: String,
    convert: ToMono16k,
    segmenter: Segmenter,
    clock: SourceClock,
    open: Option<Open>,
    scratch: Vec<f32>,
}

struct Open {
    id: String,
    started_at: SystemTime,
    /// Audio length at the last partial, and the speech it covered.
    last_partial: usize,
    covered: usize,
}

impl Pipeline {
    pub fn new(first: &Audio, now: SystemTime) -> Pipeline {
        Pipeline {
            source: first.source_id.clone(),
            convert: ToMono16k::new(first.format),
            segmenter: Segmenter::new(VadSettings::default()),
            clock: SourceClock::new(now),
            open: None,
            scratch: Vec::new(),
        }
    }

    /// Take a frame; `prompt` gives the prompt for a job. Returns the jobs to run.
    pub fn push(&mut self, a: &Audio, now: SystemTime, prompt: &dyn Fn() -> String) -> Vec<Job> {
        if a.format != self.convert.format() {
            tracing::info!(source = %self.source, "audio format changed to {} Hz, {} channels", a.format.sample_rate, a.format.channels);
            self.convert = ToMono16k::new(a.format);
        }
        self.scratch.clear();
        self.convert.push(&a.pcm, &mut self.scratch);
        self.clock.advance(self.scratch.len() as u64, now);
        let samples = std::mem::take(&mut self.scratch);
        let events = self.segmenter.push(&samples);
        self.scratch = samples;
        let mut jobs = Vec::new();
        for e in events {
            self.on_segment(e, prompt, &mut jobs);
        }
        // A partial while the utterance grows, and one at each pause.
        if let (Some(open), Some((_, audio)), Some(silence)) = (
            self.open.as_mut(),
            self.segmenter.current(),
            self.segmenter.silence(),
        ) {
            let voiced = audio.len() - silence.min(audio.len());
            let paused = silence >= PAUSE_MS as usize * 16;
            let due = if paused {
                voiced > open.covered
            } else {
                audio.len() >= open.last_partial + PARTIAL_EVERY_MS as usize * 16
            };
            if due {
                open.last_partial = audio.len();
                open.covered = voiced;
                jobs.push(Job {
                    kind: Kind::Partial,
                    source: self.source.clone(),
                    utterance: open.id.clone(),
                    audio: Arc::new(audio.to_vec()),
                    voiced,
                    prompt: prompt(),
                    started_at: open.started_at,
                    made: Instant::now(),
                });
            }
        }
        jobs
    }

    /// The source left or stopped: an utterance under way is finished, not lost.
    pub fn finish(&mut self, prompt: &dyn Fn() -> String) -> Vec<Job> {
        let mut jobs = Vec::new();
        let mut tail = Vec::new();
        self.convert.flush(&mut tail);
        for e in self.segmenter.push(&tail) {
            self.on_segment(e, prompt, &mut jobs);
        }
        if let Some(e) = self.segmenter.finish() {
            self.on_segment(e, prompt, &mut jobs);
        }
        jobs
    }

    fn on_segment(&mut self, e: Segment, prompt: &dyn Fn() -> String, jobs: &mut Vec<Job>) {
        match e {
            Segment::Started { at } => {
                self.open = Some(Open {
                    id: uuid::Uuid::new_v4().to_string(),
                    started_at: self.clock.at(at),
                    last_partial: 0,
                    covered: 0,
                });
            }
            Segment::Ended {
                at, audio, voiced, ..
            } => {
                let open = self.open.take();
                let (id, started_at) = match open {
                    Some(o) => (o.id, o.started_at),
                    None => (uuid::Uuid::new_v4().to_string(), self.clock.at(at)),
                };
                jobs.push(Job {
                    kind: Kind::Final,
                    source: self.source.clone(),
                    utterance: id,
                    audio: Arc::new(audio),
                    voiced,
                    prompt: prompt(),
                    started_at,
                    made: Instant::now(),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_follows_samples_and_re_anchors_after_a_gap() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let mut c = SourceClock::new(t0);
        c.advance(16_000, t0);
        assert_eq!(c.at(8_000), t0 + Duration::from_millis(500));
        // Steady arrival: no re-anchor.
        c.advance(16_000, t0 + Duration::from_secs(1));
        assert_eq!(c.at(16_000), t0 + Duration::from_secs(1));
        // Muted for a minute, then audio again: its samples are "now", not a minute ago.
        let later = t0 + Duration::from_secs(62);
        c.advance(1_600, later);
        assert_eq!(c.at(32_000), later);
        assert_eq!(c.at(32_800), later + Duration::from_millis(50));
    }
}
