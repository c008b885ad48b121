//! The correlator: bounded rings of recent speech, chat and interactions (for live
//! analysis), the lists of what arrived since the last context window closed (for
//! stored contexts), and the computations both use. All times are microseconds;
//! durations and rates are in seconds and minutes as their names say.
//!
//! Overflow policy: every ring and every window list drops its oldest item when
//! full and counts it. Rings also forget what is older than the context window.

use crate::input::{Chat, Interaction, Kind, Micros, Observation, Speech, SECOND};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

/// Something with a time.
pub trait Timed {
    fn ts(&self) -> Micros;
}
impl Timed for Speech {
    fn ts(&self) -> Micros {
        self.ts
    }
}
impl Timed for Chat {
    fn ts(&self) -> Micros {
        self.ts
    }
}
impl Timed for Interaction {
    fn ts(&self) -> Micros {
        self.ts
    }
}

/// A bounded list: the oldest item leaves when a new one arrives at capacity.
#[derive(Debug, Clone)]
pub struct Ring<T> {
    items: VecDeque<T>,
    cap: usize,
    pub overflow: u64,
}

impl<T: Timed> Ring<T> {
    pub fn new(cap: usize) -> Ring<T> {
        Ring {
            items: VecDeque::with_capacity(cap.min(4096)),
            cap: cap.max(1),
            overflow: 0,
        }
    }
    pub fn push(&mut self, item: T) {
        if self.items.len() >= self.cap {
            self.items.pop_front();
            self.overflow += 1;
        }
        self.items.push_back(item);
    }
    /// Forget items older than `cutoff` (from the head: items arrive in time order).
    pub fn prune(&mut self, cutoff: Micros) {
        while self.items.front().is_some_and(|i| i.ts() < cutoff) {
            self.items.pop_front();
        }
    }
    pub fn len(&self) -> usize {
        self.items.len()
    }
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
    pub fn cap(&self) -> usize {
        self.cap
    }
    pub fn to_vec(&self) -> Vec<T>
    where
        T: Clone,
    {
        self.items.iter().cloned().collect()
    }
    fn take(&mut self) -> Vec<T> {
        self.items.drain(..).collect()
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Config {
    pub context_window: Micros,
    pub correlation_window: Micros,
    pub max_buffer: usize,
}

/// What one closed window holds: everything that arrived while it was open.
#[derive(Debug, Clone, Default)]
pub struct Window {
    pub started: Micros,
    pub ended: Micros,
    pub speech: Vec<Speech>,
    pub chat: Vec<Chat>,
    pub interactions: Vec<Interaction>,
    /// Items dropped from this window's lists because they were full.
    pub dropped: u64,
}

impl Window {
    pub fn is_empty(&self) -> bool {
        self.speech.is_empty() && self.chat.is_empty() && self.interactions.is_empty()
    }
}

pub struct Correlator {
    pub cfg: Config,
    pub speech: Ring<Speech>,
    pub chat: Ring<Chat>,
    pub interactions: Ring<Interaction>,
    /// Arrived since the last close.
    open: (Ring<Speech>, Ring<Chat>, Ring<Interaction>),
    open_since: Micros,
    /// Items that arrived already older than the context window.
    pub stale: u64,
}

impl Correlator {
    pub fn new(cfg: Config, now: Micros) -> Correlator {
        let n = cfg.max_buffer;
        Correlator {
            cfg,
            speech: Ring::new(n),
            chat: Ring::new(2 * n),
            interactions: Ring::new(n / 2),
            open: (Ring::new(n), Ring::new(2 * n), Ring::new(n / 2)),
            open_since: now,
            stale: 0,
        }
    }

    /// Add one observation at `now`.
    pub fn add(&mut self, o: Observation, now: Micros) {
        let cutoff = now - self.cfg.context_window;
        let ts = match &o {
            Observation::Speech(s) => s.ts,
            Observation::Chat(c) => c.ts,
            Observation::Interaction(i) => i.ts,
        };
        match o {
            Observation::Speech(s) => {
                self.open.0.push(s.clone());
                if ts >= cutoff {
                    self.speech.push(s)
                }
            }
            Observation::Chat(c) => {
                self.open.1.push(c.clone());
                if ts >= cutoff {
                    self.chat.push(c)
                }
            }
            Observation::Interaction(i) => {
                self.open.2.push(i.clone());
                if ts >= cutoff {
                    self.interactions.push(i)
                }
            }
        }
        if ts < cutoff {
            self.stale += 1;
        }
        self.prune(now);
    }

    pub fn prune(&mut self, now: Micros) {
        let cutoff = now - self.cfg.context_window;
        self.speech.prune(cutoff);
        self.chat.prune(cutoff);
        self.interactions.prune(cutoff);
    }

    /// Close the open window at `now`: what arrived since the last close, sorted by
    /// time. The next window starts where this one ended, so windows never overlap.
    pub fn close(&mut self, now: Micros) -> Window {
        let dropped = self.open.0.overflow + self.open.1.overflow + self.open.2.overflow;
        let mut w = Window {
            started: self.open_since,
            ended: now.max(self.open_since + 1),
            speech: self.open.0.take(),
            chat: self.open.1.take(),
            interactions: self.open.2.take(),
            dropped,
        };
        self.open.0.overflow = 0;
        self.open.1.overflow = 0;
        self.open.2.overflow = 0;
        w.speech.sort_by_key(|s| s.ts);
        w.chat.sort_by_key(|c| c.ts);
        w.interactions.sort_by_key(|i| i.ts);
        self.open_since = w.ended;
        w
    }

    pub fn open_since(&self) -> Micros {
        self.open_since
    }

    /// `{buffer_sizes, buffer_limits, overflow_counts, total_events}`.
    pub fn stats(&self) -> Value {
        json!({
            "buffer_sizes": {"transcription": self.speech.len(), "chat": self.chat.len(), "interaction": self.interactions.len()},
            "buffer_limits": {"transcription": self.speech.cap(), "chat": self.chat.cap(), "interaction": self.interactions.cap()},
            "overflow_counts": {"transcription": self.speech.overflow, "chat": self.chat.overflow, "interaction": self.interactions.overflow},
            "total_events": self.speech.len() + self.chat.len() + self.interactions.len(),
            "open_window": {"transcription": self.open.0.len(), "chat": self.open.1.len(), "interaction": self.open.2.len()},
            "stale": self.stale,
        })
    }

    /// Buffers at 80 % or more of their limit, in words.
    pub fn warnings(&self) -> Vec<String> {
        let mut w = vec![];
        for (name, len, cap) in [
            ("transcription", self.speech.len(), self.speech.cap()),
            ("chat", self.chat.len(), self.chat.cap()),
            (
                "interaction",
                self.interactions.len(),
                self.interactions.cap(),
            ),
        ] {
            if len * 5 >= cap * 4 {
                w.push(format!("{name} buffer at {len}/{cap}"));
            }
        }
        w
    }
}

// ---- Computations -------------------------------------------------------------

/// The texts, joined by single spaces.
pub fn transcript(speech: &[Speech]) -> String {
    speech
        .iter()
        .map(|s| s.text.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Most frequent first, ties by name; at most `n`.
pub fn top(counts: HashMap<&str, usize>, n: usize) -> Vec<(String, usize)> {
    let mut v: Vec<(String, usize)> = counts
        .into_iter()
        .map(|(k, c)| (k.to_string(), c))
        .collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v.truncate(n);
    v
}

/// Emote uses in chat (every emote, channel ones included), top 10.
pub fn emote_frequency(chat: &[Chat]) -> Vec<(String, usize)> {
    let mut m: HashMap<&str, usize> = HashMap::new();
    for c in chat {
        for e in c.emotes.iter().chain(&c.native_emotes) {
            *m.entry(e.as_str()).or_default() += 1;
        }
    }
    top(m, 10)
}

/// The channel's own emotes, top 10.
pub fn native_emote_frequency(chat: &[Chat]) -> Vec<(String, usize)> {
    let mut m: HashMap<&str, usize> = HashMap::new();
    for e in chat.iter().flat_map(|c| &c.native_emotes) {
        *m.entry(e.as_str()).or_default() += 1;
    }
    top(m, 10)
}

/// `"<n> messages (emotes: A x3, B x1, chat: one / two / three)"`, or `no reaction`.
pub fn chat_summary(chat: &[Chat]) -> String {
    if chat.is_empty() {
        return "no reaction".into();
    }
    let mut parts = vec![];
    let emotes = emote_frequency(chat);
    if !emotes.is_empty() {
        let list: Vec<String> = emotes
            .iter()
            .take(3)
            .map(|(e, n)| format!("{e} x{n}"))
            .collect();
        parts.push(format!("emotes: {}", list.join(", ")));
    }
    let lines: Vec<&str> = chat
        .iter()
        .take(5)
        .map(|c| c.message.trim())
        .filter(|m| !m.is_empty())
        .take(3)
        .collect();
    if !lines.is_empty() {
        parts.push(format!("chat: {}", lines.join(" / ")));
    }
    let noun = if chat.len() == 1 {
        "message"
    } else {
        "messages"
    };
    if parts.is_empty() {
        format!("{} {noun}", chat.len())
    } else {
        format!("{} {noun} ({})", chat.len(), parts.join(", "))
    }
}

/// Chat within `window` after each sentence: `After "<text>": <summary>` joined by
/// ` | `; the whole chat's summary when no sentence drew a reaction.
pub fn correlated_chat(speech: &[Speech], chat: &[Chat], window: Micros) -> String {
    let parts: Vec<String> = speech
        .iter()
        .filter_map(|s| {
            let after: Vec<Chat> = chat
                .iter()
                .filter(|c| c.ts >= s.ts && c.ts <= s.ts + window)
                .cloned()
                .collect();
            (!after.is_empty()).then(|| format!("After \"{}\": {}", s.text, chat_summary(&after)))
        })
        .collect();
    if parts.is_empty() {
        chat_summary(chat)
    } else {
        parts.join(" | ")
    }
}

/// Messages per minute between the first and last message; 0 under 6 seconds of chat.
pub fn chat_velocity(chat: &[Chat]) -> f64 {
    let (Some(first), Some(last)) = (
        chat.iter().map(|c| c.ts).min(),
        chat.iter().map(|c| c.ts).max(),
    ) else {
        return 0.0;
    };
    let minutes = (last - first) as f64 / (60.0 * SECOND as f64);
    if minutes < 0.1 {
        0.0
    } else {
        chat.len() as f64 / minutes
    }
}

/// `"Totals: 3 follow, 1 raid | Recent: raid from X | follow from Y"` (last 5).
pub fn interaction_context(interactions: &[Interaction]) -> String {
    if interactions.is_empty() {
        return String::new();
    }
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for i in interactions {
        *counts.entry(i.kind.as_str()).or_default() += 1;
    }
    let totals: Vec<String> = top(counts, usize::MAX)
        .into_iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect();
    let recent: Vec<String> = interactions
        .iter()
        .rev()
        .take(5)
        .map(|i| match &i.user {
            Some(u) => format!("{} from {u}", i.kind.as_str()),
            None => i.kind.as_str().to_string(),
        })
        .collect();
    format!(
        "Totals: {} | Recent: {}",
        totals.join(", "),
        recent.join(" | ")
    )
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Speaking {
    pub words_per_minute: f64,
    /// Seconds of silence between sentences.
    pub avg_pause: f64,
    pub max_pause: f64,
    pub avg_fragment_duration: f64,
}

/// Needs two sentences. Rate = words over the time from the first sentence's start to
/// the last one's end; a pause = the next start minus the previous end, at least 0.
pub fn speaking(speech: &[Speech]) -> Option<Speaking> {
    if speech.len() < 2 {
        return None;
    }
    let words: usize = speech
        .iter()
        .map(|s| s.text.split_whitespace().count())
        .sum();
    let span = (speech.iter().map(Speech::end).max()? - speech[0].ts) as f64 / SECOND as f64;
    let pauses: Vec<f64> = speech
        .windows(2)
        .map(|w| ((w[1].ts - w[0].end()) as f64 / SECOND as f64).max(0.0))
        .collect();
    Some(Speaking {
        words_per_minute: if span > 0.0 {
            words as f64 / span * 60.0
        } else {
            0.0
        },
        avg_pause: pauses.iter().sum::<f64>() / pauses.len() as f64,
        max_pause: pauses.iter().cloned().fold(0.0, f64::max),
        avg_fragment_duration: speech.iter().map(|s| s.duration).sum::<f64>() / speech.len() as f64,
    })
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reaction {
    pub speech_timestamp: Micros,
    pub speech_text: String,
    pub related_chat_count: usize,
    /// Seconds from the sentence's start to the reactions, on average.
    pub chat_delay_avg: f64,
}

/// For each sentence, the chat within `window` after it; and the average delay over
/// every reaction.
pub fn reactions(speech: &[Speech], chat: &[Chat], window: Micros) -> (Vec<Reaction>, f64) {
    let mut all = vec![];
    let list = speech
        .iter()
        .map(|s| {
            let delays: Vec<f64> = chat
                .iter()
                .filter(|c| c.ts >= s.ts && c.ts <= s.ts + window)
                .map(|c| (c.ts - s.ts) as f64 / SECOND as f64)
                .collect();
            all.extend(&delays);
            Reaction {
                speech_timestamp: s.ts,
                speech_text: s.text.clone(),
                related_chat_count: delays.len(),
                chat_delay_avg: if delays.is_empty() {
                    0.0
                } else {
                    delays.iter().sum::<f64>() / delays.len() as f64
                },
            }
        })
        .collect();
    let avg = if all.is_empty() {
        0.0
    } else {
        all.iter().sum::<f64>() / all.len() as f64
    };
    (list, avg)
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Segment {
    pub word_count: usize,
    pub chat_count: usize,
    /// Chat messages per sentence.
    pub energy: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Segments {
    pub segments: Vec<Segment>,
    /// `increasing` (last > first × 1.2), `decreasing` (< × 0.8) or `stable`.
    pub trend: &'static str,
}

/// Three equal runs of sentences (the last takes the remainder); chat counted from a
/// run's first start to its last end. Needs three sentences.
pub fn segments(speech: &[Speech], chat: &[Chat]) -> Option<Segments> {
    if speech.len() < 3 {
        return None;
    }
    let size = speech.len() / 3;
    let runs = [
        &speech[..size],
        &speech[size..2 * size],
        &speech[2 * size..],
    ];
    let segments: Vec<Segment> = runs
        .iter()
        .map(|run| {
            let (from, to) = (
                run[0].ts,
                run.iter().map(Speech::end).max().unwrap_or(run[0].ts),
            );
            let chat_count = chat.iter().filter(|c| c.ts >= from && c.ts <= to).count();
            Segment {
                word_count: run.iter().map(|s| s.text.split_whitespace().count()).sum(),
                chat_count,
                energy: chat_count as f64 / run.len() as f64,
            }
        })
        .collect();
    let (first, last) = (segments[0].energy, segments[2].energy);
    let trend = if last > first * 1.2 {
        "increasing"
    } else if last < first * 0.8 {
        "decreasing"
    } else {
        "stable"
    };
    Some(Segments { segments, trend })
}

/// Interaction counts by kind, bits, gifted subs, raiders, and interactions per minute
/// of the window.
pub fn engagement(interactions: &[Interaction], window_secs: f64) -> Value {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut amounts: BTreeMap<&str, u64> = BTreeMap::new();
    for i in interactions {
        *counts.entry(i.kind.as_str()).or_default() += 1;
        *amounts.entry(i.kind.as_str()).or_default() += i.amount;
    }
    json!({
        "counts": counts,
        "bits": amounts.get(Kind::Cheer.as_str()).copied().unwrap_or(0),
        "gifted_subs": amounts.get(Kind::GiftSubscription.as_str()).copied().unwrap_or(0),
        "raiders": amounts.get(Kind::Raid.as_str()).copied().unwrap_or(0),
        "density_per_minute": if window_secs > 0.0 { interactions.len() as f64 / (window_secs / 60.0) } else { 0.0 },
    })
}

/// Distinct chatters, in order of first message.
pub fn participants(chat: &[Chat]) -> Vec<String> {
    let mut seen = HashSet::new();
    chat.iter()
        .filter(|c| seen.insert(c.user.to_lowercase()))
        .map(|c| c.user.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Micros = 1_767_225_600_000_000;

    fn say(at_s: f64, dur: f64, text: &str) -> Speech {
        Speech {
            ts: T0 + (at_s * 1e6) as i64,
            duration: dur,
            text: text.into(),
            confidence: None,
            id: None,
            seq: None,
        }
    }
    fn chat(at_s: f64, user: &str, msg: &str, emotes: &[&str]) -> Chat {
        Chat {
            ts: T0 + (at_s * 1e6) as i64,
            user: user.into(),
            message: msg.into(),
            emotes: emotes
                .iter()
                .filter(|e| !e.starts_with("avalon"))
                .map(|e| e.to_string())
                .collect(),
            native_emotes: emotes
                .iter()
                .filter(|e| e.starts_with("avalon"))
                .map(|e| e.to_string())
                .collect(),
            subscriber: false,
            moderator: false,
            id: format!("c{at_s}"),
            seq: None,
        }
    }
    fn cfg(n: usize) -> Config {
        Config {
            context_window: 60 * SECOND,
            correlation_window: 10 * SECOND,
            max_buffer: n,
        }
    }

    #[test]
    fn rings_drop_the_oldest_and_count_it() {
        let mut c = Correlator::new(cfg(10), T0);
        for i in 0..10 {
            c.add(
                Observation::Speech(say(i as f64, 1.0, &format!("Test {}", i + 1))),
                T0 + 10 * SECOND,
            );
        }
        c.add(
            Observation::Speech(say(10.0, 1.0, "Overflow")),
            T0 + 10 * SECOND,
        );
        assert_eq!((c.speech.len(), c.speech.overflow), (10, 1));
        let v = c.speech.to_vec();
        assert_eq!(
            (v[0].text.as_str(), v[9].text.as_str()),
            ("Test 2", "Overflow")
        );
        assert_eq!(
            c.stats()["buffer_limits"],
            json!({"transcription": 10, "chat": 20, "interaction": 5})
        );
    }

    #[test]
    fn old_items_leave_the_rings_but_stay_in_the_window() {
        let now = T0 + 200 * SECOND;
        let mut c = Correlator::new(cfg(100), T0);
        c.add(Observation::Speech(say(80.0, 1.0, "two minutes old")), now);
        c.add(
            Observation::Speech(say(170.0, 1.0, "thirty seconds old")),
            now,
        );
        c.add(Observation::Speech(say(200.0, 1.0, "now")), now);
        assert_eq!(
            c.speech
                .to_vec()
                .iter()
                .map(|s| s.text.as_str())
                .collect::<Vec<_>>(),
            ["thirty seconds old", "now"]
        );
        assert_eq!(c.stale, 1);
        let w = c.close(now);
        assert_eq!(
            w.speech.len(),
            3,
            "a window keeps everything that arrived while it was open"
        );
        assert_eq!((w.started, w.ended), (T0, now));
        let next = c.close(now + 120 * SECOND);
        assert_eq!(next.started, now, "windows do not overlap");
        assert!(next.is_empty());
    }

    #[test]
    fn chat_summary_and_correlation() {
        let chat_log = [
            chat(1.0, "a", "LUL", &["LUL"]),
            chat(2.0, "b", "avalonHYPE go", &["avalonHYPE"]),
            chat(3.0, "c", "", &["LUL"]),
            chat(30.0, "d", "late", &[]),
        ];
        assert_eq!(chat_summary(&[]), "no reaction");
        assert_eq!(
            chat_summary(&chat_log[..3]),
            "3 messages (emotes: LUL x2, avalonHYPE x1, chat: LUL / avalonHYPE go)"
        );
        let speech = [say(0.0, 2.0, "watch this"), say(25.0, 2.0, "ok")];
        // 10 seconds, not 10 microseconds: the first sentence draws three reactions.
        assert_eq!(
            correlated_chat(&speech, &chat_log, 10 * SECOND),
            "After \"watch this\": 3 messages (emotes: LUL x2, avalonHYPE x1, chat: LUL / avalonHYPE go) | After \"ok\": 1 message (chat: late)"
        );
        let (list, avg) = reactions(&speech, &chat_log, 10 * SECOND);
        assert_eq!(list[0].related_chat_count, 3);
        assert!((list[0].chat_delay_avg - 2.0).abs() < 1e-9);
        assert!((avg - (1.0 + 2.0 + 3.0 + 5.0) / 4.0).abs() < 1e-9);
        // Nothing within 10 s of any sentence: the whole chat's summary.
        assert_eq!(
            correlated_chat(&[say(100.0, 1.0, "later")], &chat_log[..1], 10 * SECOND),
            "1 message (emotes: LUL x1, chat: LUL)"
        );
    }

    #[test]
    fn velocity_and_emotes() {
        let log: Vec<Chat> = (0..31)
            .map(|i| chat(i as f64 * 2.0, "a", "hi", &["Kappa", "avalonW"]))
            .collect();
        // 31 messages over 60 s.
        assert!((chat_velocity(&log) - 31.0).abs() < 1e-9);
        assert_eq!(
            chat_velocity(&log[..3]),
            0.0,
            "4 seconds of chat is too short for a rate"
        );
        assert_eq!(
            emote_frequency(&log),
            [("Kappa".to_string(), 31), ("avalonW".to_string(), 31)]
        );
        assert_eq!(native_emote_frequency(&log), [("avalonW".to_string(), 31)]);
        assert_eq!(
            participants(&[
                chat(0.0, "Ann", "", &[]),
                chat(1.0, "ann", "", &[]),
                chat(2.0, "Bo", "", &[])
            ]),
            ["Ann", "Bo"]
        );
    }

    #[test]
    fn speaking_rate_and_pauses_in_seconds() {
        // 2 + 3 + 1 words; first starts at 0, last ends at 30 s: 6 words in half a minute.
        let s = [
            say(0.0, 4.0, "one two"),
            say(10.0, 5.0, "three four five"),
            say(25.0, 5.0, "six"),
        ];
        let p = speaking(&s).unwrap();
        assert!((p.words_per_minute - 12.0).abs() < 1e-9, "{p:?}");
        assert!(
            (p.avg_pause - 8.0).abs() < 1e-9,
            "pauses 6 s and 10 s: {p:?}"
        );
        assert!((p.max_pause - 10.0).abs() < 1e-9);
        assert!((p.avg_fragment_duration - 14.0 / 3.0).abs() < 1e-9);
        assert!(speaking(&s[..1]).is_none());
        // Overlapping sentences pause for 0, never less.
        assert_eq!(
            speaking(&[say(0.0, 5.0, "a"), say(2.0, 1.0, "b")])
                .unwrap()
                .max_pause,
            0.0
        );
    }

    #[test]
    fn temporal_segments_and_trend() {
        let s: Vec<Speech> = (0..7)
            .map(|i| say(i as f64 * 10.0, 2.0, "two words"))
            .collect();
        // Runs: [0,1] [2,3] [4,5,6]; chat only during the last run.
        let c = [
            chat(41.0, "a", "", &[]),
            chat(51.0, "b", "", &[]),
            chat(61.0, "c", "", &[]),
        ];
        let seg = segments(&s, &c).unwrap();
        assert_eq!(
            seg.segments
                .iter()
                .map(|x| (x.word_count, x.chat_count))
                .collect::<Vec<_>>(),
            [(4, 0), (4, 0), (6, 3)]
        );
        assert_eq!(seg.trend, "increasing");
        let quiet = segments(&s, &[chat(1.0, "a", "", &[])]).unwrap();
        assert_eq!(quiet.trend, "decreasing");
        assert_eq!(segments(&s, &[]).unwrap().trend, "stable");
        assert!(segments(&s[..2], &c).is_none());
    }

    #[test]
    fn interactions_context_and_engagement() {
        let i = |at: f64, kind: Kind, user: &str, amount: u64| Interaction {
            ts: T0 + (at * 1e6) as i64,
            kind,
            user: Some(user.into()),
            amount,
            detail: None,
            id: format!("i{at}"),
            seq: None,
        };
        let list = [
            i(1.0, Kind::Follow, "a", 0),
            i(2.0, Kind::Follow, "b", 0),
            i(3.0, Kind::Cheer, "c", 500),
            i(4.0, Kind::Raid, "d", 40),
        ];
        assert_eq!(
            interaction_context(&list),
            "Totals: 2 follow, 1 cheer, 1 raid | Recent: raid from d | cheer from c | follow from b | follow from a"
        );
        let e = engagement(&list, 120.0);
        assert_eq!(
            (
                e["counts"]["follow"].as_u64(),
                e["bits"].as_u64(),
                e["raiders"].as_u64()
            ),
            (Some(2), Some(500), Some(40))
        );
        assert_eq!(e["density_per_minute"], 2.0);
        assert_eq!(interaction_context(&[]), "");
    }
}
