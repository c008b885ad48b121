//! Voice activity: earshot's small network (built into the crate, nothing to
//! download) scores each 16 ms frame of 16 kHz audio, and `Segmenter` turns the
//! scores into utterances: speech starts after a few voiced frames (with a short
//! pre-roll so the first consonant is kept), and ends after a hang-over of silence or
//! at 30 s, whichever comes first.

/// earshot's frame: 256 samples at 16 kHz.
pub const FRAME: usize = 256;
pub const MAX_UTTERANCE_SAMPLES: usize = 30 * 16_000;

#[derive(Debug, Clone, Copy)]
pub struct VadSettings {
    /// A frame is voiced at or above this score.
    pub threshold: f32,
    /// Voiced frames in a row that start an utterance.
    pub start_frames: usize,
    /// Silence that ends an utterance.
    pub hangover_ms: u32,
    /// Audio kept from before the start.
    pub pre_roll_ms: u32,
}

impl Default for VadSettings {
    fn default() -> Self {
        VadSettings {
            threshold: 0.5,
            start_frames: 3,
            hangover_ms: 320,
            pre_roll_ms: 240,
        }
    }
}

/// What a push of audio did to the current utterance.
#[derive(Debug, Clone, PartialEq)]
pub enum Segment {
    /// Speech began `pre_roll` samples before the frame that confirmed it;
    /// `at` counts samples since the segmenter started.
    Started { at: u64 },
    /// The utterance ended (silence or its 30 s limit): its audio, first sample at `at`;
    /// the first `voiced` samples hold all its speech (the rest is the hang-over).
    Ended {
        at: u64,
        audio: Vec<f32>,
        voiced: usize,
        forced: bool,
    },
}

pub struct Segmenter {
    settings: VadSettings,
    detector: earshot::Detector,
    /// Samples not yet a whole frame.
    carry: Vec<f32>,
    /// Samples seen so far (the clock of `at`).
    seen: u64,
    /// The last `pre_roll` samples while idle.
    recent: std::collections::VecDeque<f32>,
    voiced_run: usize,
    current: Option<Utterance>,
}

struct Utterance {
    at: u64,
    audio: Vec<f32>,
    silence: usize,
}

impl Segmenter {
    pub fn new(settings: VadSettings) -> Segmenter {
        Segmenter {
            settings,
            detector: earshot::Detector::default(),
            carry: Vec::with_capacity(FRAME),
            seen: 0,
            recent: std::collections::VecDeque::new(),
            voiced_run: 0,
            current: None,
        }
    }

    /// The utterance so far, if one is open.
    pub fn current(&self) -> Option<(u64, &[f32])> {
        self.current.as_ref().map(|u| (u.at, u.audio.as_slice()))
    }

    /// Silence (samples) since the open utterance's last voiced frame.
    pub fn silence(&self) -> Option<usize> {
        self.current.as_ref().map(|u| u.silence)
    }

    fn pre_roll(&self) -> usize {
        self.settings.pre_roll_ms as usize * 16
    }

    /// Feed 16 kHz mono audio; returns what happened, in order.
    pub fn push(&mut self, samples: &[f32]) -> Vec<Segment> {
        let mut out = Vec::new();
        let mut rest = samples;
        while !rest.is_empty() {
            let take = (FRAME - self.carry.len()).min(rest.len());
            self.carry.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.carry.len() == FRAME {
                let frame = std::mem::take(&mut self.carry);
                self.frame(&frame, &mut out);
                self.carry = frame;
                self.carry.clear();
            }
        }
        out
    }

    /// End any open utterance now (the source left or stopped).
    pub fn finish(&mut self) -> Option<Segment> {
        let mut u = self.current.take()?;
        u.audio.extend_from_slice(&self.carry);
        self.carry.clear();
        let voiced = u.audio.len() - u.silence.min(u.audio.len());
        Some(Segment::Ended {
            at: u.at,
            audio: u.audio,
            voiced,
            forced: true,
        })
    }

    fn frame(&mut self, frame: &[f32], out: &mut Vec<Segment>) {
        let clamped: Vec<f32> = frame.iter().map(|s| s.clamp(-1.0, 1.0)).collect();
        let voiced = self.detector.predict_f32(&clamped) >= self.settings.threshold;
        let start = self.seen;
        self.seen += FRAME as u64;
        let hangover = self.settings.hangover_ms as usize * 16;
        if let Some(u) = self.current.as_mut() {
            u.audio.extend_from_slice(frame);
            u.silence = if voiced { 0 } else { u.silence + FRAME };
            let forced = u.audio.len() >= MAX_UTTERANCE_SAMPLES;
            if u.silence >= hangover || forced {
                let u = self.current.take().expect("open");
                self.voiced_run = 0;
                out.push(Segment::Ended {
                    at: u.at,
                    voiced: u.audio.len() - u.silence.min(u.audio.len()),
                    audio: u.audio,
                    forced,
                });
            }
            return;
        }
        self.recent.extend(frame.iter().copied());
        let keep = self.pre_roll() + self.settings.start_frames * FRAME;
        while self.recent.len() > keep {
            self.recent.pop_front();
        }
        self.voiced_run = if voiced { self.voiced_run + 1 } else { 0 };
        if self.voiced_run >= self.settings.start_frames {
            let audio: Vec<f32> = self.recent.drain(..).collect();
            let at = (start + FRAME as u64).saturating_sub(audio.len() as u64);
            out.push(Segment::Started { at });
            self.current = Some(Utterance {
                at,
                audio,
                silence: 0,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A voiced-like signal (a buzz with harmonics, as vowels are) and silence.
    fn buzz(ms: usize) -> Vec<f32> {
        (0..ms * 16)
            .map(|i| {
                let t = i as f32 / 16_000.0;
                (1..8)
                    .map(|h| (t * 140.0 * h as f32 * std::f32::consts::TAU).sin() / h as f32)
                    .sum::<f32>()
                    * 0.2
                    * (1.0 + (t * 4.0 * std::f32::consts::TAU).sin()) // syllable rhythm
            })
            .collect()
    }

    #[test]
    fn silence_never_opens_an_utterance() {
        let mut s = Segmenter::new(VadSettings::default());
        assert!(s.push(&vec![0.0; 16_000 * 5]).is_empty());
        // Quiet noise either.
        let mut seed = 7u32;
        let noise: Vec<f32> = (0..16_000 * 5)
            .map(|_| {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (seed >> 8) as f32 / (1u32 << 24) as f32 * 0.01 - 0.005
            })
            .collect();
        assert!(s.push(&noise).is_empty());
        assert!(s.finish().is_none());
    }

    #[test]
    fn the_30_second_limit_splits_and_finish_keeps_the_rest() {
        let mut s = Segmenter::new(VadSettings {
            threshold: 0.0, // every frame voiced: the limit is what ends it
            ..VadSettings::default()
        });
        let events = s.push(&buzz(31_000));
        assert!(matches!(events[0], Segment::Started { at: 0 }));
        let ended: Vec<_> = events
            .iter()
            .filter(|e| matches!(e, Segment::Ended { .. }))
            .collect();
        assert_eq!(ended.len(), 1);
        let Segment::Ended { audio, forced, .. } = ended[0] else {
            unreachable!()
        };
        assert!(*forced);
        assert_eq!(audio.len(), MAX_UTTERANCE_SAMPLES);
        // The second second opens the next one; finish hands it over.
        let Some(Segment::Ended { audio, .. }) = s.finish() else {
            panic!("an open utterance")
        };
        assert!(!audio.is_empty());
    }
}
