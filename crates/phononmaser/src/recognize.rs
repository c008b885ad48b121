//! Recognition on worker threads, never on the async runtime: whisper.cpp through
//! whisper-rs. Jobs wait in one bounded queue with a stated policy: finals first and
//! never dropped silently (past [`MAX_FINALS`] the oldest is dropped, counted and
//! logged); partials are only ever the newest per source (an older one waiting is
//! replaced: that is the "skip partials first" rule when decoding falls behind).

use crate::filter;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime};
use whisper_rs::{FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters};

/// Whisper's prompt limit (half its 448-token text context).
pub const MAX_PROMPT_TOKENS: usize = 224;

/// Finals waiting at most; past it the oldest is dropped (counted, logged).
pub const MAX_FINALS: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Partial,
    Final,
}

/// One decode: an utterance (so far, for a partial).
#[derive(Debug, Clone)]
pub struct Job {
    pub kind: Kind,
    pub source: String,
    /// Unique per utterance (the id the hub de-duplicates finals by).
    pub utterance: String,
    pub audio: Arc<Vec<f32>>,
    /// The first `voiced` samples hold all the speech in `audio`.
    pub voiced: usize,
    pub prompt: String,
    /// Wall-clock time of the utterance's first sample.
    pub started_at: SystemTime,
    /// When the speech ended (finals) or the job was made (partials).
    pub made: Instant,
}

/// A decode's result.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub job: Job,
    /// The text, or why there is none.
    pub text: Result<String, &'static str>,
    pub confidence: f32,
    pub decode: Duration,
}

#[derive(Default)]
pub struct Stats {
    pub finals_queued: AtomicU64,
    /// Finals that took the text of the decode made when the speaker paused.
    pub finals_reused: AtomicU64,
    pub finals_dropped: AtomicU64,
    pub partials_skipped: AtomicU64,
    pub decoded: AtomicU64,
    /// Audio seconds and decode seconds, in µs, for the real-time factor.
    pub audio_us: AtomicU64,
    pub decode_us: AtomicU64,
}

#[derive(Default)]
struct State {
    finals: VecDeque<Job>,
    partials: HashMap<String, Job>,
    closed: bool,
}

/// The job queue the pipeline fills and the workers drain.
#[derive(Default)]
pub struct Queue {
    state: Mutex<State>,
    ready: Condvar,
    pub stats: Stats,
}

impl Queue {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn push(&self, job: Job) {
        let mut s = self.lock();
        match job.kind {
            Kind::Final => {
                self.stats.finals_queued.fetch_add(1, Ordering::Relaxed);
                // The utterance is over: its waiting partial is stale.
                s.partials.remove(&job.source);
                if s.finals.len() >= MAX_FINALS {
                    if let Some(old) = s.finals.pop_front() {
                        self.stats.finals_dropped.fetch_add(1, Ordering::Relaxed);
                        tracing::error!(source = %old.source, utterance = %old.utterance, "decoding is {MAX_FINALS} utterances behind: dropped the oldest final");
                    }
                }
                s.finals.push_back(job);
            }
            Kind::Partial => {
                if s.partials.insert(job.source.clone(), job).is_some() {
                    self.stats.partials_skipped.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        drop(s);
        self.ready.notify_one();
    }

    /// (finals, partials) waiting.
    pub fn depth(&self) -> (usize, usize) {
        let s = self.lock();
        (s.finals.len(), s.partials.len())
    }

    fn pop(&self) -> Option<Job> {
        let mut s = self.lock();
        loop {
            if let Some(j) = s.finals.pop_front() {
                return Some(j);
            }
            if let Some(k) = s.partials.keys().next().cloned() {
                return s.partials.remove(&k);
            }
            if s.closed {
                return None;
            }
            s = self.ready.wait(s).unwrap_or_else(|e| e.into_inner());
        }
    }

    pub fn close(&self) {
        self.lock().closed = true;
        self.ready.notify_all();
    }

    /// Decode time over audio time since start.
    pub fn real_time_factor(&self) -> Option<f64> {
        let audio = self.stats.audio_us.load(Ordering::Relaxed);
        (audio > 0).then(|| self.stats.decode_us.load(Ordering::Relaxed) as f64 / audio as f64)
    }
}

#[derive(Debug, Clone)]
pub struct DecodeSettings {
    pub threads: i32,
    pub language: String,
}

/// Load the model into whisper.cpp. A model it refuses is an error naming it.
pub fn context(ggml: &[u8], name: &str) -> Result<WhisperContext, String> {
    let mut p = WhisperContextParameters::default();
    p.use_gpu(false);
    WhisperContext::new_from_buffer_with_params(ggml, p)
        .map_err(|e| format!("whisper.cpp could not load the model {name}: {e}"))
}

/// The encoder window for `samples` of audio: whisper.cpp's 1500 positions are
/// 30 s; a short utterance needs far fewer, and the encoder's cost follows this.
/// Half again as much as needed plus a margin, in steps of 64.
pub fn audio_ctx(samples: usize) -> i32 {
    let needed = samples.div_ceil(320); // 50 positions a second at 16 kHz
    let want = (needed * 3 / 2 + 128).div_ceil(64) * 64;
    want.clamp(256, 1500) as i32
}

/// The most tokens a decode of `samples` may produce: 8 a second (fast speech is
/// about 5) plus 16.
pub fn max_tokens(samples: usize) -> i32 {
    (samples / 2_000 + 16) as i32
}

/// What a decode heard, before the filter.
#[derive(Debug, Clone)]
struct Heard {
    text: String,
    no_speech: f32,
    confidence: f32,
}

/// The newest partial decode of each open utterance, by utterance id: a final whose
/// speech it already covered (the speaker paused, and said nothing more) takes its
/// text instead of decoding again. At most [`CACHED`] are kept.
const CACHED: usize = 64;

/// Start the decoding thread: it drains `queue` into `out`.
pub fn spawn(
    ctx: Arc<WhisperContext>,
    settings: DecodeSettings,
    queue: Arc<Queue>,
    out: tokio::sync::mpsc::Sender<Outcome>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("whisper".into())
        .spawn(move || {
            let mut state = match ctx.create_state() {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!(error = %e, "whisper.cpp could not make a decoding state");
                    return;
                }
            };
            // A beam of 4: a quarter fewer word errors than greedy in the stt bench
            // for about a tenth more decode time (docs/PERFORMANCE.md).
            let mut base = FullParams::new(SamplingStrategy::BeamSearch {
                beam_size: 4,
                patience: -1.0,
            });
            base.set_n_threads(settings.threads);
            base.set_language(Some(&settings.language));
            base.set_translate(false);
            base.set_no_context(true);
            base.set_single_segment(true);
            base.set_no_timestamps(true);
            base.set_suppress_blank(true);
            base.set_suppress_nst(true);
            base.set_temperature(0.0);
            base.set_temperature_inc(0.0);
            base.set_print_progress(false);
            base.set_print_realtime(false);
            base.set_print_special(false);
            base.set_print_timestamps(false);
            let mut cache: HashMap<String, (usize, Heard)> = HashMap::new();
            while let Some(job) = queue.pop() {
                let t0 = Instant::now();
                let reused = match job.kind {
                    Kind::Final => cache
                        .remove(&job.utterance)
                        .filter(|(voiced, _)| *voiced >= job.voiced)
                        .map(|(_, h)| h),
                    Kind::Partial => None,
                };
                let st = &queue.stats;
                let heard = match reused {
                    Some(h) => {
                        st.finals_reused.fetch_add(1, Ordering::Relaxed);
                        Some(h)
                    }
                    None => {
                        let h = decode(&ctx, &mut state, &base, &job);
                        st.decoded.fetch_add(1, Ordering::Relaxed);
                        st.audio_us.fetch_add(job.audio.len() as u64 * 1_000_000 / 16_000, Ordering::Relaxed);
                        st.decode_us.fetch_add(t0.elapsed().as_micros() as u64, Ordering::Relaxed);
                        h
                    }
                };
                if let (Kind::Partial, Some(h)) = (job.kind, &heard) {
                    if cache.len() >= CACHED {
                        cache.clear();
                    }
                    cache.insert(job.utterance.clone(), (job.voiced, h.clone()));
                }
                let (text, confidence) = match heard {
                    Some(h) => {
                        let verdict = filter::reject(&h.text, h.no_speech, h.confidence, job.kind == Kind::Partial);
                        if let Some(why) = verdict {
                            tracing::debug!(text = %h.text, no_speech = h.no_speech, confidence = h.confidence, why, "dropped a result that is not speech");
                        }
                        (verdict.map_or_else(|| Ok(filter::collapse_repeats(&h.text)), Err), h.confidence)
                    }
                    None => (Err("decode_failed"), 0.0),
                };
                let outcome = Outcome {
                    job,
                    text,
                    confidence,
                    decode: t0.elapsed(),
                };
                if out.blocking_send(outcome).is_err() {
                    return;
                }
            }
        })
}

/// One decode of `job`'s audio with its prompt; `None` when whisper.cpp fails.
fn decode(
    ctx: &WhisperContext,
    state: &mut whisper_rs::WhisperState,
    base: &FullParams,
    job: &Job,
) -> Option<Heard> {
    // whisper.cpp returns nothing for under 100 ms: pad short audio.
    let mut audio = job.audio.as_ref().clone();
    if audio.len() < 16_000 {
        audio.resize(16_000, 0.0);
    }
    // Whisper takes at most 224 prompt tokens; names that tokenise badly can pass
    // that, and then the end (the previous sentence) is kept.
    let prompt = if job.prompt.is_empty() {
        Vec::new()
    } else {
        ctx.tokenize(&job.prompt, MAX_PROMPT_TOKENS)
            .or_else(|_| {
                let from = job.prompt.len().saturating_sub(400);
                let from = (from..job.prompt.len())
                    .find(|i| job.prompt.is_char_boundary(*i))
                    .unwrap_or(0);
                ctx.tokenize(&job.prompt[from..], MAX_PROMPT_TOKENS)
            })
            .unwrap_or_default()
    };
    let mut params = base.clone();
    params.set_audio_ctx(audio_ctx(audio.len()));
    // People say at most a few tokens a second: a decode that runs far past that is
    // looping, and is cut rather than holding up every caption behind it.
    params.set_max_tokens(max_tokens(audio.len()));
    if !prompt.is_empty() {
        params.set_tokens(&prompt);
    }
    if let Err(e) = state.full(params, &audio) {
        tracing::warn!(error = %e, "whisper.cpp failed on an utterance");
        return None;
    }
    let eot = ctx.token_eot();
    let mut text = String::new();
    let mut probs = Vec::new();
    let mut no_speech = 0f32;
    for seg in state.as_iter() {
        if let Ok(t) = seg.to_str_lossy() {
            text.push_str(&t);
        }
        no_speech = no_speech.max(seg.no_speech_probability());
        for i in 0..seg.n_tokens() {
            if let Some(tok) = seg.get_token(i) {
                if tok.token_id() < eot {
                    probs.push(tok.token_probability());
                }
            }
        }
    }
    // The mean probability of the text tokens.
    let confidence = if probs.is_empty() {
        0.0
    } else {
        probs.iter().sum::<f32>() / probs.len() as f32
    };
    Some(Heard {
        text: text.trim().to_string(),
        no_speech,
        confidence,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(kind: Kind, source: &str, n: u32) -> Job {
        Job {
            kind,
            source: source.into(),
            utterance: format!("{source}-{n}"),
            audio: Arc::new(vec![]),
            voiced: 0,
            prompt: String::new(),
            started_at: SystemTime::now(),
            made: Instant::now(),
        }
    }

    #[test]
    fn finals_go_first_partials_keep_only_the_newest_and_overflow_is_counted() {
        let q = Queue::default();
        q.push(job(Kind::Partial, "mic", 1));
        q.push(job(Kind::Partial, "mic", 2));
        q.push(job(Kind::Partial, "desk", 1));
        assert_eq!(q.stats.partials_skipped.load(Ordering::Relaxed), 1);
        q.push(job(Kind::Final, "desk", 1));
        // The final came first, and took its source's waiting partial with it.
        assert_eq!(q.pop().unwrap().utterance, "desk-1");
        let next = q.pop().unwrap();
        assert_eq!(
            (next.kind, next.utterance.as_str()),
            (Kind::Partial, "mic-2")
        );
        assert_eq!(q.depth(), (0, 0));

        for n in 0..MAX_FINALS as u32 + 3 {
            q.push(job(Kind::Final, "mic", n));
        }
        assert_eq!(q.stats.finals_dropped.load(Ordering::Relaxed), 3);
        assert_eq!(q.pop().unwrap().utterance, "mic-3", "the oldest went");
        q.close();
    }

    #[test]
    fn the_token_budget_follows_the_audio() {
        assert_eq!(max_tokens(16_000), 24);
        assert_eq!(max_tokens(16_000 * 30), 256);
    }

    #[test]
    fn the_encoder_window_follows_the_audio() {
        assert_eq!(audio_ctx(16_000), 256);
        assert_eq!(audio_ctx(16_000 * 5), 512);
        assert_eq!(audio_ctx(16_000 * 30), 1500);
    }
}
