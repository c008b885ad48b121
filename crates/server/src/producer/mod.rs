//! The stream producer interface: what `stream:overlays` and `stream:queue` show.
//!
//! This is the hub-side contract the channels are wired to: current state, queue
//! state, queue commands and takeovers. It keeps a priority-ordered alert list with
//! expiry and turns interaction events into alerts; the full state machine (shows,
//! ticker rotation, sub trains, preemption with resume, persistence) is the stream
//! producer issue's.
//!
//! The producer is the only builder of `stream:*` payloads: it reacts to events from
//! the bus (including `stream.takeover_*`, which commands ingest through the
//! pipeline) and publishes topic pushes (`stream_state`, `queue_state`, `takeover`,
//! `takeover_clear`).

pub mod layers;
pub mod shows;

use crate::bus::{Bus, BusKind, BusMessage};
use crate::pipeline::normalize::{now_iso, random_hex};
use crate::pipeline::{Input, Pipeline};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

pub const ALERT_PRIORITY: i64 = 100;
pub const ALERT_DURATION_MS: u64 = 10_000;
pub const MANUAL_OVERRIDE_DURATION_MS: u64 = 30_000;
/// Longest item (and takeover) duration accepted: 24 h.
pub const MAX_DURATION_MS: u64 = 24 * 3600 * 1000;
/// Queue bound: beyond this the lowest-priority, oldest item is dropped (counted, logged).
pub const MAX_ITEMS: usize = 50;

#[derive(Debug, Clone)]
struct Item {
    id: String,
    kind: String,
    priority: i64,
    started_at: DateTime<Utc>,
    duration_ms: u64,
    data: Value,
}

impl Item {
    fn expires_at(&self) -> DateTime<Utc> {
        // Durations are clamped on the way in; saturate anyway rather than panic.
        let d = chrono::Duration::milliseconds(self.duration_ms.min(MAX_DURATION_MS) as i64);
        self.started_at
            .checked_add_signed(d)
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }
}

struct State {
    show: String,
    alerts: Vec<Item>,
    version: u64,
    last_updated: String,
    dropped: u64,
}

pub struct Producer {
    state: Mutex<State>,
    bus: Arc<Bus>,
    pipeline: Pipeline,
    wake: Notify,
}

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl Producer {
    pub fn new(bus: Arc<Bus>, pipeline: Pipeline) -> Arc<Producer> {
        Arc::new(Producer {
            state: Mutex::new(State {
                show: "variety".into(),
                alerts: Vec::new(),
                version: 0,
                last_updated: now_iso(),
                dropped: 0,
            }),
            bus,
            pipeline,
            wake: Notify::new(),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The `stream_state` contract.
    pub fn stream_state(&self) -> Value {
        let s = self.lock();
        Self::render_state(&s)
    }

    fn render_state(s: &State) -> Value {
        let alerts: Vec<Value> = s
            .alerts
            .iter()
            .map(|a| {
                json!({"id": a.id, "type": a.kind, "layer": layers::layer_for(&s.show, &a.kind), "priority": a.priority,
                       "started_at": iso(a.started_at), "duration": a.duration_ms, "data": a.data})
            })
            .collect();
        json!({
            "current_show": s.show,
            "base": Value::Null,
            "alerts": alerts,
            "ticker": [],
            "timeline": [],
            "metadata": {"last_updated": s.last_updated, "state_version": s.version},
        })
    }

    /// The `queue_state` contract.
    pub fn queue_state(&self) -> Value {
        let s = self.lock();
        Self::render_queue(&s)
    }

    fn render_queue(s: &State) -> Value {
        let now = Utc::now();
        let queue: Vec<Value> = s
            .alerts
            .iter()
            .enumerate()
            .map(|(i, a)| {
                json!({"id": a.id, "type": a.kind, "priority": a.priority,
                       "content_type": a.data.get("type").cloned().unwrap_or_else(|| a.kind.clone().into()),
                       "data": a.data, "duration": a.duration_ms, "started_at": iso(a.started_at),
                       "status": if i == 0 { "active" } else { "pending" }, "position": i})
            })
            .collect();
        let waits: Vec<i64> = s
            .alerts
            .iter()
            .map(|a| (now - a.started_at).num_milliseconds().max(0))
            .collect();
        let avg = if waits.is_empty() {
            0
        } else {
            waits.iter().sum::<i64>() / waits.len() as i64
        };
        json!({
            "queue": queue,
            "metadata": {
                "total_items": s.alerts.len(),
                "active_items": usize::from(!s.alerts.is_empty()),
                "pending_items": s.alerts.len().saturating_sub(1),
                "average_wait_time": avg,
                "last_processed": s.last_updated,
                "dropped_items": s.dropped,
            },
            "is_processing": !s.alerts.is_empty(),
        })
    }

    /// Bump the version and push the new state to both stream topics.
    fn changed(&self, s: &mut State) {
        s.version += 1;
        s.last_updated = now_iso();
        let state = Self::render_state(s);
        let queue = Self::render_queue(s);
        self.push("stream:overlays", "stream_state", &state);
        self.push("stream:queue", "queue_state", &queue);
        let _ = self.pipeline.ingest(Input::new("stream.state_updated", {
            let mut v = state;
            v["version"] = json!(s.version);
            v
        }));
        self.wake.notify_one();
    }

    fn push(&self, topic: &str, event: &str, payload: &Value) {
        self.bus.publish_topic(topic, event, payload.to_string());
    }

    /// Add an item; the highest priority shows first, ties keep arrival order.
    pub fn add(&self, kind: &str, priority: i64, duration_ms: u64, data: Value) -> String {
        let id = random_hex(16);
        let mut s = self.lock();
        let pos = s
            .alerts
            .iter()
            .position(|a| a.priority < priority)
            .unwrap_or(s.alerts.len());
        s.alerts.insert(
            pos,
            Item {
                id: id.clone(),
                kind: kind.into(),
                priority,
                started_at: Utc::now(),
                duration_ms,
                data,
            },
        );
        if s.alerts.len() > MAX_ITEMS {
            // Drop the lowest priority, oldest first: the last element is the lowest
            // priority; among equals the earliest arrival sits first, so search for it.
            let lowest = s.alerts.iter().map(|a| a.priority).min().unwrap_or(0);
            if let Some(i) = s.alerts.iter().position(|a| a.priority == lowest) {
                let gone = s.alerts.remove(i);
                s.dropped += 1;
                tracing::warn!(item = %gone.id, kind = %gone.kind, "alert queue full: dropped the oldest lowest-priority item");
            }
        }
        self.changed(&mut s);
        id
    }

    /// `force_content`: a manual override of `content_type` with the client's data.
    pub fn force_content(&self, content_type: &str, data: Value, duration_ms: u64) -> String {
        let mut d = json!({"type": content_type});
        if let (Some(dst), Value::Object(src)) = (d.as_object_mut(), data) {
            dst.extend(src);
        }
        self.add("manual_override", ALERT_PRIORITY, duration_ms, d)
    }

    /// Remove an item by id; false when there is none.
    pub fn remove(&self, id: &str) -> bool {
        let mut s = self.lock();
        let before = s.alerts.len();
        s.alerts.retain(|a| a.id != id);
        if s.alerts.len() == before {
            return false;
        }
        self.changed(&mut s);
        true
    }

    fn expire(&self) -> Option<DateTime<Utc>> {
        let mut s = self.lock();
        let now = Utc::now();
        let before = s.alerts.len();
        s.alerts.retain(|a| a.expires_at() > now);
        if s.alerts.len() != before {
            self.changed(&mut s);
        }
        s.alerts.iter().map(Item::expires_at).min()
    }

    /// React to an event from the bus.
    fn on_event(&self, msg: &BusMessage) {
        let BusKind::Event { event } = &msg.kind else {
            return;
        };
        let user = event
            .str_field("user_name")
            .or(event.str_field("user_login"))
            .unwrap_or("someone");
        match event.kind.as_str() {
            "channel.follow"
            | "channel.subscribe"
            | "channel.subscription.gift"
            | "channel.cheer" => {
                let mut data = json!({"type": event.kind, "user_name": user, "event_id": event.id});
                for k in ["tier", "total", "bits", "message", "is_gift"] {
                    if let Some(v) = event.field(k) {
                        data[k] = v.clone();
                    }
                }
                self.add("alert", ALERT_PRIORITY, ALERT_DURATION_MS, data);
            }
            "channel.raid" => {
                let from = event
                    .str_field("from_broadcaster_user_name")
                    .unwrap_or("someone");
                let viewers = event.field("viewers").cloned().unwrap_or(json!(0));
                self.add(
                    "alert",
                    ALERT_PRIORITY,
                    ALERT_DURATION_MS,
                    json!({"type": "channel.raid", "user_name": from, "viewers": viewers, "event_id": event.id}),
                );
            }
            "channel.update" => {
                let id = event.str_field("category_id");
                let name = event.str_field("category_name");
                let show = shows::show_for(id, name);
                let mut s = self.lock();
                if s.show != show {
                    s.show = show.to_string();
                    let changed_at = now_iso();
                    let title = event.field("title").cloned().unwrap_or(Value::Null);
                    let push = json!({"show": show, "game": {"id": id, "name": name}, "title": title, "changed_at": changed_at});
                    self.push("stream:overlays", "show_changed", &push);
                    self.push("stream:queue", "show_changed", &push);
                    let _ = self.pipeline.ingest(Input::new(
                        "stream.show_changed",
                        json!({"show": show, "game_id": id, "game_name": name, "title": title, "changed_at": changed_at}),
                    ));
                    tracing::info!(show, category = name.unwrap_or(""), "show changed");
                    self.changed(&mut s);
                }
            }
            "stream.takeover_started" => {
                let payload = json!({
                    "type": event.field("takeover_type").cloned().unwrap_or(Value::Null),
                    "message": event.field("message").cloned().unwrap_or(Value::Null),
                    "duration": event.field("duration").cloned().unwrap_or(json!(10_000)),
                    "timestamp": event.timestamp,
                });
                self.push("stream:overlays", "takeover", &payload);
            }
            "stream.takeover_cleared" => {
                self.push(
                    "stream:overlays",
                    "takeover_clear",
                    &json!({"timestamp": event.timestamp}),
                );
            }
            _ => {}
        }
    }

    /// The producer task: reacts to events and expires items on time.
    pub async fn run(self: Arc<Self>, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        let mut rx = self.bus.subscribe();
        loop {
            let next = self.expire();
            let sleep = match next {
                Some(t) => (t - Utc::now()).to_std().unwrap_or(Duration::ZERO),
                None => Duration::from_secs(3600),
            };
            tokio::select! {
                m = rx.recv() => match m {
                    Ok(m) => self.on_event(&m),
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                        tracing::warn!(missed = n, "stream producer fell behind the bus");
                    }
                    Err(_) => return,
                },
                _ = tokio::time::sleep(sleep) => {}
                _ = self.wake.notified() => {}
                _ = shutdown.changed() => return,
            }
        }
    }
}
