//! What the servers, the pipelines and the workers share, and where results go:
//! finals to the hub (queued while it is away) and to `/events`, partials to the hub
//! while it is there.

use crate::deliver::Delivery;
use crate::recognize::{Kind, Outcome, Queue};
use landale_core::ids::iso;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};
use tokio::sync::broadcast;

/// `/events` holds at most this many messages per slow listener (it then skips the
/// oldest, counted).
pub const EVENTS_CAPACITY: usize = 200;

#[derive(Default)]
pub struct Counters {
    pub frames: AtomicU64,
    pub bad_frames: AtomicU64,
    pub finals: AtomicU64,
    pub finals_not_speech: AtomicU64,
    pub partials: AtomicU64,
    pub sources: AtomicU64,
    pub events_skipped: AtomicU64,
}

pub struct Service {
    pub started: Instant,
    pub model: String,
    pub language: String,
    pub queue: Arc<Queue>,
    pub delivery: Arc<Delivery>,
    pub events: broadcast::Sender<Value>,
    pub counters: Counters,
    /// Per source: the last final's text (the next prompt's start).
    previous: Mutex<HashMap<String, String>>,
    /// Chatters' names and community words for the prompt (`prompt::run` keeps it).
    pub terms: Arc<Mutex<String>>,
}

/// Characters of the previous utterance in a prompt.
pub const PREVIOUS_CHARS: usize = 200;

/// The last `n` characters of `s`, starting at a word.
fn tail(s: &str, n: usize) -> &str {
    let count = s.chars().count();
    if count <= n {
        return s;
    }
    let start = s.char_indices().nth(count - n).map(|(i, _)| i).unwrap_or(0);
    let cut = &s[start..];
    cut.find(' ').map(|i| &cut[i + 1..]).unwrap_or(cut)
}

/// `stream_YYYY_MM_DD` by the local date of `t`: a new session after local midnight.
pub fn session_id(t: SystemTime) -> String {
    landale_core::ids::stream_session(t)
}

impl Service {
    pub fn new(
        model: String,
        language: String,
        queue: Arc<Queue>,
        delivery: Arc<Delivery>,
    ) -> Arc<Service> {
        Arc::new(Service {
            started: Instant::now(),
            model,
            language,
            queue,
            delivery,
            events: broadcast::channel(EVENTS_CAPACITY).0,
            counters: Counters::default(),
            previous: Mutex::new(HashMap::new()),
            terms: Arc::new(Mutex::new(String::new())),
        })
    }

    /// Whisper's prompt for `source`: the channel's words and names, then the end of
    /// its previous utterance (what Whisper weighs most), with a leading space
    /// (Whisper's prompts start mid-text).
    pub fn prompt(&self, source: &str) -> String {
        let previous = self
            .previous
            .lock()
            .ok()
            .and_then(|p| p.get(source).cloned());
        let previous = tail(&previous.unwrap_or_default(), PREVIOUS_CHARS).to_string();
        let terms = self.terms.lock().map(|v| v.clone()).unwrap_or_default();
        let text = [terms, previous]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        if text.is_empty() {
            text
        } else {
            format!(" {text}")
        }
    }

    /// Tell `/events` listeners (none listening is fine).
    pub fn emit(&self, event: Value) {
        let _ = self.events.send(event);
    }

    /// Where a decode's result goes.
    pub async fn deliver(&self, o: Outcome) {
        let job = &o.job;
        let text = match &o.text {
            Ok(t) => t.clone(),
            Err(why) if job.kind == Kind::Final => {
                self.counters
                    .finals_not_speech
                    .fetch_add(1, Ordering::Relaxed);
                self.emit(
                    json!({"type": "audio:not_speech", "utterance_id": job.utterance,
                                 "source_id": job.source, "reason": why}),
                );
                return;
            }
            Err(_) => return,
        };
        let duration = job.audio.len() as f64 / 16_000.0;
        let session = session_id(job.started_at);
        match job.kind {
            Kind::Partial => {
                self.counters.partials.fetch_add(1, Ordering::Relaxed);
                self.delivery
                    .partial(json!({
                        "utterance_id": job.utterance, "text": text, "timestamp": iso(job.started_at),
                        "duration": duration, "source_id": "phononmaser", "stream_session_id": session,
                        "audio_source": job.source,
                    }))
                    .await;
            }
            Kind::Final => {
                self.counters.finals.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut p) = self.previous.lock() {
                    p.insert(job.source.clone(), text.clone());
                }
                let payload = json!({
                    "id": job.utterance,
                    "timestamp": iso(job.started_at),
                    "duration": (duration * 1000.0).round() / 1000.0,
                    "text": text,
                    "source_id": "phononmaser",
                    "stream_session_id": session,
                    "confidence": (o.confidence as f64 * 1000.0).round() / 1000.0,
                    "metadata": {
                        "source": "whisper.cpp", "model": self.model, "language": self.language,
                        "audio_source": job.source, "decode_ms": o.decode.as_millis() as u64,
                    },
                });
                self.emit(json!({"type": "audio:transcription", "timestamp": iso(job.started_at),
                                 "duration": duration, "text": payload["text"], "source_id": job.source,
                                 "utterance_id": job.utterance}));
                self.delivery.final_caption(payload, job.made);
            }
        }
    }
}

/// Bad input logged once per burst: the first of a kind at once, then a summary at
/// most every 10 s with how many more there were.
#[derive(Default)]
pub struct BurstLog {
    last: Option<Instant>,
    suppressed: u64,
}

impl BurstLog {
    pub fn note(&mut self, what: &str) {
        let now = Instant::now();
        match self.last {
            Some(t) if now.duration_since(t).as_secs() < 10 => self.suppressed += 1,
            _ => {
                if self.suppressed > 0 {
                    tracing::warn!(
                        more = self.suppressed,
                        "{what} (and {} more like it in the last 10 s)",
                        self.suppressed
                    );
                } else {
                    tracing::warn!("{what}");
                }
                self.suppressed = 0;
                self.last = Some(now);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_previous_sentence_is_cut_at_a_word() {
        assert_eq!(tail("short", 10), "short");
        assert_eq!(tail("one two three four", 9), "four");
        assert_eq!(tail("héllo wörld ünïcode", 8), "ünïcode");
    }

    #[test]
    fn the_session_is_the_local_date() {
        let t = SystemTime::now();
        let local: chrono::DateTime<chrono::Local> = t.into();
        assert_eq!(session_id(t), local.format("stream_%Y_%m_%d").to_string());
        // A day later is another session.
        assert_ne!(
            session_id(t),
            session_id(t + std::time::Duration::from_secs(86_400))
        );
    }
}
