//! The bus: hub-wide fan-out with a sequence number and a replay ring.
//!
//! Every message gets the next `seq` and is pushed into the ring and onto a tokio
//! broadcast channel under one lock, so the broadcast order is the `seq` order.
//! Payloads are serialised once here; sockets only wrap them in a frame.
//!
//! Architecture invariant: only `pipeline` (events) and the channel modules (topic
//! broadcasts such as `shout`) publish here, always through [`Bus::publish`].

use landale_protocol::{Event, Source};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::broadcast;

/// What travels on the bus.
#[derive(Debug)]
pub enum BusKind {
    /// A unified event, for every channel family's filter.
    Event { event: Arc<Event> },
    /// A new transcription, for `transcription:live` and its session topic.
    Transcription { session_id: Option<String> },
    /// A push to every joiner of exactly one topic (e.g. `shout`, `service_starting`).
    Topic { topic: String, event: String },
}

#[derive(Debug)]
pub struct BusMessage {
    pub seq: u64,
    pub published_at: Instant,
    pub kind: BusKind,
    /// The payload, serialised once (for events: the event object with its `seq`).
    pub json: Arc<str>,
}

impl BusMessage {
    /// Estimated memory held: the JSON text, and for events the parsed event too
    /// (roughly twice the text).
    fn weight(&self) -> usize {
        match self.kind {
            BusKind::Event { .. } => self.json.len() * 3 + 256,
            _ => self.json.len() + 128,
        }
    }

    pub fn event(&self) -> Option<(&str, Source)> {
        match &self.kind {
            BusKind::Event { event } => Some((event.kind.as_str(), event.source)),
            _ => None,
        }
    }
}

/// Sizing of the ring and the broadcast channel.
#[derive(Debug, Clone, Copy)]
pub struct BusLimits {
    /// Messages kept for replay (count).
    pub ring_messages: usize,
    /// Messages kept for replay (estimated bytes: payload plus its parsed form).
    pub ring_bytes: usize,
    /// How far a socket task may fall behind the bus before it is cut off.
    pub broadcast_capacity: usize,
}

impl Default for BusLimits {
    fn default() -> Self {
        BusLimits {
            ring_messages: 10_000,
            ring_bytes: 16 * 1024 * 1024,
            broadcast_capacity: 16_384,
        }
    }
}

struct Inner {
    /// The last seq handed out.
    head: u64,
    ring: VecDeque<Arc<BusMessage>>,
    ring_bytes: usize,
}

pub struct Bus {
    inner: Mutex<Inner>,
    tx: broadcast::Sender<Arc<BusMessage>>,
    limits: BusLimits,
}

/// What a rejoining client is owed after `last_seq`.
#[derive(Debug, Default)]
pub struct Replay {
    /// From memory, in seq order, already filtered.
    pub messages: Vec<Arc<BusMessage>>,
    /// Seqs `(after, before)` (exclusive) that fell out of the ring: read them from storage.
    pub gap: Option<(u64, u64)>,
    /// The head when the replay was cut: live messages at or below it are skipped.
    pub head: u64,
}

impl Bus {
    /// `head` is the last seq already used (persisted across restarts by the store).
    pub fn new(head: u64, limits: BusLimits) -> Bus {
        let (tx, _) = broadcast::channel(limits.broadcast_capacity);
        Bus {
            inner: Mutex::new(Inner {
                head,
                ring: VecDeque::new(),
                ring_bytes: 0,
            }),
            tx,
            limits,
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<BusMessage>> {
        self.tx.subscribe()
    }

    /// A receiver and the head at the instant it was made: it gets exactly the
    /// messages after that head (publishing holds the same lock).
    pub fn subscribe_at(&self) -> (broadcast::Receiver<Arc<BusMessage>>, u64) {
        let inner = self.lock();
        (self.tx.subscribe(), inner.head)
    }

    pub fn head(&self) -> u64 {
        self.lock().head
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding this lock cannot leave the ring inconsistent in a way
        // that matters more than stopping fan-out, so recover the guard.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Publish a message. `make` gets the seq and returns the kind and payload.
    pub fn publish(&self, make: impl FnOnce(u64) -> (BusKind, String)) -> Arc<BusMessage> {
        let mut inner = self.lock();
        let seq = inner.head + 1;
        let (kind, json) = make(seq);
        let msg = Arc::new(BusMessage {
            seq,
            published_at: Instant::now(),
            kind,
            json: json.into(),
        });
        inner.head = seq;
        inner.ring_bytes += msg.weight();
        inner.ring.push_back(msg.clone());
        while inner.ring.len() > self.limits.ring_messages
            || (inner.ring_bytes > self.limits.ring_bytes && inner.ring.len() > 1)
        {
            if let Some(old) = inner.ring.pop_front() {
                inner.ring_bytes -= old.weight();
            }
        }
        // No receivers is fine: nobody is listening yet.
        let _ = self.tx.send(msg.clone());
        msg
    }

    /// Push `payload` to every joiner of exactly `topic` as `event`.
    pub fn publish_topic(&self, topic: &str, event: &str, payload: String) -> Arc<BusMessage> {
        let (topic, event) = (topic.to_string(), event.to_string());
        self.publish(move |_| (BusKind::Topic { topic, event }, payload))
    }

    /// Publish a unified event: sets its `seq` and serialises it once.
    pub fn publish_event(&self, mut event: Event) -> Arc<BusMessage> {
        // Serialise outside the lock; splice the seq in under it.
        event.seq = 0;
        let body = serde_json::to_string(&event).unwrap_or_else(|_| "{}".into());
        self.publish(move |seq| {
            event.seq = seq;
            let json = splice_seq(&body, seq);
            (
                BusKind::Event {
                    event: Arc::new(event),
                },
                json,
            )
        })
    }

    /// Messages after `last_seq` that pass `wanted`, plus any gap the ring no longer covers.
    pub fn replay(&self, last_seq: u64, wanted: impl Fn(&BusMessage) -> bool) -> Replay {
        let inner = self.lock();
        let head = inner.head;
        if last_seq >= head {
            return Replay {
                head,
                ..Default::default()
            };
        }
        let first_in_ring = inner.ring.front().map(|m| m.seq).unwrap_or(head + 1);
        let gap = (last_seq + 1 < first_in_ring).then_some((last_seq, first_in_ring));
        let start = inner.ring.partition_point(|m| m.seq <= last_seq);
        let messages = inner
            .ring
            .range(start..)
            .filter(|m| wanted(m))
            .cloned()
            .collect();
        Replay {
            messages,
            gap,
            head,
        }
    }
}

/// `{"a":1,...,"seq":0,...}` with the seq set: the event is serialised with `seq: 0`
/// and the value replaced textually (the key appears once, at top level, as `"seq":0`).
fn splice_seq(body: &str, seq: u64) -> String {
    match body.find("\"seq\":0") {
        Some(i) => {
            let mut out = String::with_capacity(body.len() + 20);
            out.push_str(&body[..i]);
            out.push_str("\"seq\":");
            out.push_str(&seq.to_string());
            out.push_str(&body[i + "\"seq\":0".len()..]);
            out
        }
        None => body.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Map;

    fn ev(kind: &str) -> Event {
        Event {
            id: "evt".into(),
            kind: kind.into(),
            timestamp: "t".into(),
            correlation_id: "c".into(),
            source: landale_protocol::catalogue::source_of(kind).unwrap_or(Source::System),
            source_id: None,
            raw_type: kind.into(),
            seq: 0,
            fields: Map::new(),
        }
    }

    #[test]
    fn seq_is_in_the_payload_and_increasing() {
        let bus = Bus::new(41, BusLimits::default());
        let a = bus.publish_event(ev("channel.follow"));
        let b = bus.publish_event(ev("channel.follow"));
        assert_eq!((a.seq, b.seq), (42, 43));
        let v: serde_json::Value = serde_json::from_str(&b.json).unwrap();
        assert_eq!(v["seq"], 43);
        assert_eq!(v["type"], "channel.follow");
    }

    #[test]
    fn seq_splice_only_touches_the_envelope_key() {
        // The envelope is serialised first (struct field order), and inside a JSON string
        // a quote is always escaped, so a field value can never contain the pattern.
        let mut e = ev("x.y");
        e.fields
            .insert("note".into(), serde_json::Value::from("\"seq\":0"));
        let bus = Bus::new(0, BusLimits::default());
        let m = bus.publish_event(e);
        let v: serde_json::Value = serde_json::from_str(&m.json).unwrap();
        assert_eq!(v["seq"], 1);
        assert_eq!(v["note"], "\"seq\":0");
    }

    #[test]
    fn replay_filters_and_reports_gaps() {
        let limits = BusLimits {
            ring_messages: 5,
            ..Default::default()
        };
        let bus = Bus::new(0, limits);
        for i in 0..10 {
            bus.publish_event(ev(if i % 2 == 0 {
                "channel.follow"
            } else {
                "obs.scene_changed"
            }));
        }
        let r = bus.replay(7, |_| true);
        assert_eq!(
            r.messages.iter().map(|m| m.seq).collect::<Vec<_>>(),
            [8, 9, 10]
        );
        assert_eq!(r.gap, None);
        let r = bus.replay(2, |m| m.event().map(|(_, s)| s) == Some(Source::Twitch));
        assert_eq!(r.messages.iter().map(|m| m.seq).collect::<Vec<_>>(), [7, 9]);
        assert_eq!(r.gap, Some((2, 6)));
        assert_eq!(r.head, 10);
        assert!(bus.replay(10, |_| true).messages.is_empty());
    }
}
