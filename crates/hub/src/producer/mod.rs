//! The stream producer: what `stream:overlays` and `stream:queue` show.
//!
//! [`machine::Machine`] is the state machine (show, ticker, base content, the alert
//! queue, timeline, takeover); this module owns the one instance, feeds it events
//! from the bus and commands from the channels, wakes it on time, carries out its
//! effects (topic pushes, `stream.*` events through the pipeline) and saves it.
//!
//! The producer is the only builder of `stream:*` payloads. Commands that start or
//! clear a takeover go through the pipeline as `stream.takeover_*` events, so the
//! events channel sees them too; the producer reacts to them like any event.
//!
//! Durability: the whole machine is saved as one JSON snapshot in `hub_meta`
//! (`producer_state`), at most once a second while it changes and once more at
//! shutdown, and loaded at start (see [`machine::Machine::restored`]). The alert
//! settings are the streamer's, not state: they are kept apart (`alert_settings`),
//! written on every change and pushed to `stream:overlays` as `alert_settings`.

pub mod alert_settings;
pub mod branding;
pub mod content;
pub mod layers;
pub mod machine;
pub mod queue;
pub mod shows;

use crate::bus::{Bus, BusKind, BusMessage};
use crate::metrics::Metrics;
use crate::pipeline::Pipeline;
use crate::store::Store;
use chrono::{DateTime, Utc};
use landale_core::clock::Clock;
use landale_core::Input;
use landale_protocol::event::Event;
use machine::{Effect, Machine};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::sync::{watch, Notify};

pub use queue::MAX_DURATION_MS;

/// The `hub_meta` key of the snapshot.
const SNAPSHOT_KEY: &str = "producer_state";
/// The `hub_meta` key of the alert settings.
const SETTINGS_KEY: &str = "alert_settings";
/// The `hub_meta` key of the channel's look.
const BRANDING_KEY: &str = "branding";
/// Snapshot format; a different one is ignored (the producer starts fresh).
const SNAPSHOT_FORMAT: u64 = 1;
/// At most one snapshot write per this interval while the state changes.
const SAVE_EVERY: Duration = Duration::from_secs(1);
/// Bus messages handled under one lock (and one broadcast) when they arrive together.
const BATCH: usize = 256;
/// `replay_alerts` re-queues at most this many.
pub const MAX_REPLAY: usize = 20;

pub struct Producer {
    machine: Mutex<Machine>,
    clock: Clock,
    bus: Arc<Bus>,
    pipeline: Pipeline,
    metrics: Arc<Metrics>,
    /// The schedule may have moved (a command added an item): recompute the deadline.
    wake: Notify,
    /// Bumped on every change: the saver writes a snapshot.
    dirty: watch::Sender<u64>,
    /// One save at a time, so an older snapshot never lands after a newer one.
    saving: tokio::sync::Mutex<()>,
    /// The bus subscription, made with the producer so nothing published before its
    /// task first runs is missed; taken by [`Producer::run`].
    subscription: Mutex<Option<(tokio::sync::broadcast::Receiver<Arc<BusMessage>>, u64)>>,
    /// The channel's look (name, logo, font, corners, show colours).
    branding: Mutex<branding::Branding>,
}

impl Producer {
    pub fn new(
        bus: Arc<Bus>,
        pipeline: Pipeline,
        metrics: Arc<Metrics>,
        clock: Clock,
    ) -> Arc<Producer> {
        let now = clock.now();
        Arc::new(Producer {
            machine: Mutex::new(Machine::new(now)),
            clock,
            pipeline,
            metrics,
            wake: Notify::new(),
            dirty: watch::Sender::new(0),
            saving: tokio::sync::Mutex::new(()),
            subscription: Mutex::new(Some(bus.subscribe_at())),
            branding: Mutex::new(branding::Branding::default()),
            bus,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Machine> {
        self.machine.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Run one transition at the clock's `now`: bring the machine up to date first,
    /// then carry out the effects in order, under the lock so pushes keep version order.
    fn with<R>(&self, f: impl FnOnce(&mut Machine, DateTime<Utc>) -> R) -> R {
        let now = self.clock.now();
        let mut m = self.lock();
        let (dropped, coalesced) = (m.queue.dropped, m.queue.coalesced);
        m.advance(now);
        let r = f(&mut m, now);
        self.metrics
            .producer_dropped
            .inc_by(m.queue.dropped - dropped);
        self.metrics
            .producer_coalesced
            .inc_by(m.queue.coalesced.saturating_sub(coalesced));
        let effects = m.take_effects(now);
        if effects.is_empty() {
            return r;
        }
        for effect in effects {
            match effect {
                Effect::Push {
                    topic,
                    event,
                    payload,
                } => {
                    self.bus.publish_topic(topic, event, payload.to_string());
                }
                Effect::Emit { event_type, data } => {
                    if let Err(e) = self.pipeline.ingest(Input::new(event_type, data)) {
                        tracing::warn!(event_type, error = %e, "stream producer event refused");
                    }
                }
                Effect::Broadcast => {
                    let state = m.stream_state(now);
                    self.bus
                        .publish_topic("stream:overlays", "stream_state", state.to_string());
                    self.bus.publish_topic(
                        "stream:queue",
                        "queue_state",
                        m.queue_state(now).to_string(),
                    );
                    let mut event = state;
                    event["version"] = json!(m.version);
                    if let Err(e) = self
                        .pipeline
                        .ingest(Input::new("stream.state_updated", event))
                    {
                        tracing::warn!(error = %e, "stream.state_updated refused");
                    }
                }
            }
        }
        drop(m);
        self.dirty.send_modify(|n| *n += 1);
        self.wake.notify_one();
        r
    }

    /// Render after bringing the state up to date (and broadcasting that), so what a
    /// reader gets carries the version of what it shows.
    fn read<R>(&self, f: impl FnOnce(&Machine, DateTime<Utc>) -> R) -> R {
        self.with(|_, _| ());
        let now = self.clock.now();
        f(&self.lock(), now)
    }

    /// The `stream_state` contract.
    pub fn stream_state(&self) -> Value {
        self.read(|m, now| m.stream_state(now))
    }

    /// The `queue_state` contract.
    pub fn queue_state(&self) -> Value {
        self.read(|m, now| m.queue_state(now))
    }

    /// The alerts that were on screen, oldest first: id, content type, first shown.
    pub fn queue_history(&self) -> Value {
        self.read(|m, _| m.queue_history())
    }

    /// The `takeover` push owed to a client joining while a takeover is up.
    pub fn takeover_push(&self) -> Option<Value> {
        self.read(|m, now| m.takeover_push(now))
    }

    /// Every alert type's settings (defaults filled in), as overlays get them.
    pub fn alert_settings(&self) -> Value {
        self.lock().alert_settings.json()
    }

    /// Change one alert type's settings (see [`alert_settings::AlertSettings::update`]),
    /// keep them, and push them to every open overlay. A refused change changes nothing.
    pub async fn update_alert_settings(
        &self,
        store: &Store,
        key: &str,
        changes: &Value,
        reset: bool,
        media_exists: impl Fn(&str) -> bool,
    ) -> Result<Value, alert_settings::Update> {
        // One writer at a time, so the stored settings are the last ones applied.
        let _one = self.saving.lock().await;
        let mut next = self.lock().alert_settings.clone();
        next.update(key, changes, reset, media_exists)
            .map_err(alert_settings::Update::Invalid)?;
        let json = next.json();
        self.keep_and_push(
            store,
            SETTINGS_KEY,
            &next.clone(),
            "alert_settings",
            &json,
            || self.lock().alert_settings = next,
        )
        .await?;
        Ok(json)
    }

    /// Store a streamer's setting under `key`, make it current (`apply`), then push it
    /// to every open overlay as `event`. Nothing changes when the database refused it.
    async fn keep_and_push(
        &self,
        store: &Store,
        key: &str,
        value: &impl serde::Serialize,
        event: &str,
        json: &Value,
        apply: impl FnOnce(),
    ) -> Result<(), alert_settings::Update> {
        let raw = serde_json::to_string(value).unwrap_or_default();
        store
            .meta_set(key, &raw)
            .await
            .map_err(|e| alert_settings::Update::Store(e.to_string()))?;
        apply();
        self.bus
            .publish_topic("stream:overlays", event, json.to_string());
        Ok(())
    }

    /// The channel's look, as overlays get it.
    pub fn branding(&self) -> Value {
        self.branding
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .json()
    }

    /// Change the channel's look, keep it, and push it to every open overlay.
    pub async fn update_branding(
        &self,
        store: &Store,
        changes: &Value,
        media_is_image: impl Fn(&str) -> bool,
    ) -> Result<Value, alert_settings::Update> {
        let _one = self.saving.lock().await;
        let mut next = self
            .branding
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        next.update(changes, media_is_image)
            .map_err(alert_settings::Update::Invalid)?;
        let json = next.json();
        self.keep_and_push(
            store,
            BRANDING_KEY,
            &next.clone(),
            "branding",
            &json,
            || *self.branding.lock().unwrap_or_else(|p| p.into_inner()) = next,
        )
        .await?;
        Ok(json)
    }

    pub fn current_show(&self) -> String {
        self.lock().show.clone()
    }

    /// `force_content`: a manual override; `None` when the queue bound refused it.
    pub fn force_content(
        &self,
        content_type: &str,
        data: Value,
        duration_ms: u64,
    ) -> Option<String> {
        self.with(|m, now| m.force_content(now, content_type, data, duration_ms))
    }

    pub fn remove(&self, id: &str) -> bool {
        self.with(|m, now| m.remove(now, id))
    }

    pub fn skip(&self) -> Option<String> {
        self.with(|m, now| m.skip(now))
    }

    pub fn clear(&self) -> usize {
        self.with(|m, now| m.clear(now))
    }

    pub fn pause(&self) -> bool {
        self.with(|m, now| m.pause(now))
    }

    pub fn resume(&self) -> bool {
        self.with(|m, now| m.resume(now))
    }

    pub fn replay(&self, n: usize) -> Vec<String> {
        self.with(|m, now| m.replay(now, n.min(MAX_REPLAY)))
    }

    /// React to a batch of bus messages under one lock: one broadcast for the lot.
    fn on_messages(&self, msgs: &[Arc<BusMessage>]) {
        let events: Vec<&Event> = msgs
            .iter()
            .filter_map(|m| match &m.kind {
                BusKind::Event { event } if event.kind != "stream.state_updated" => Some(&**event),
                _ => None,
            })
            .collect();
        if !events.is_empty() {
            self.with(|m, now| {
                for e in events {
                    m.on_event(now, e);
                }
            });
            // Counters (emotes, daily stats) change without a broadcast: save them too.
            self.dirty.send_modify(|n| *n += 1);
        }
    }

    /// After falling behind the broadcast: re-read what was missed from the ring.
    fn recover(&self, last_seq: &mut u64, missed: u64) {
        self.metrics.producer_lagged.inc_by(missed);
        let replay = self
            .bus
            .replay(*last_seq, |m| matches!(m.kind, BusKind::Event { .. }));
        if let Some((after, before)) = replay.gap {
            tracing::error!(after, before, "stream producer fell behind beyond the replay ring; events in between were not seen");
        } else {
            tracing::warn!(
                missed,
                "stream producer fell behind the bus; re-read from the ring"
            );
        }
        for chunk in replay.messages.chunks(BATCH) {
            self.on_messages(chunk);
        }
        *last_seq = (*last_seq).max(replay.head);
    }

    /// Load the saved state, if any. A snapshot that cannot be read is reported and
    /// set aside: the producer starts fresh rather than failing the hub.
    pub async fn restore(&self, store: &Store) {
        let settings = match store.meta_get(SETTINGS_KEY).await {
            Ok(Some(raw)) => serde_json::from_str(&raw).unwrap_or_else(|e| {
                tracing::warn!(error = %e, "alert settings unreadable; using the defaults");
                alert_settings::AlertSettings::default()
            }),
            Ok(None) => alert_settings::AlertSettings::default(),
            Err(e) => {
                tracing::warn!(error = %e, "could not read the alert settings; using the defaults");
                alert_settings::AlertSettings::default()
            }
        };
        self.lock().alert_settings = settings.clone();
        match store.meta_get(BRANDING_KEY).await {
            Ok(Some(raw)) => {
                *self.branding.lock().unwrap_or_else(|p| p.into_inner()) =
                    branding::parse_stored(&raw)
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "could not read the branding; using the defaults"),
        }
        let raw = match store.meta_get(SNAPSHOT_KEY).await {
            Ok(Some(raw)) => raw,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the stream producer state; starting fresh");
                return;
            }
        };
        let parsed: Result<Machine, String> = serde_json::from_str::<Value>(&raw)
            .map_err(|e| e.to_string())
            .and_then(|v| {
                if v["format"] != json!(SNAPSHOT_FORMAT) {
                    return Err(format!("unknown snapshot format {}", v["format"]));
                }
                serde_json::from_value(v["machine"].clone()).map_err(|e| e.to_string())
            });
        match parsed {
            Ok(mut m) => {
                let now = self.clock.now();
                let gone = m.restored(now);
                for i in &gone {
                    tracing::info!(item = %i.id, kind = %i.kind, "not resumed after restart (expired or stale)");
                }
                tracing::info!(
                    show = %m.show,
                    items = m.queue.items.len(),
                    version = m.version,
                    takeover = m.takeover.is_some(),
                    "stream producer state restored"
                );
                m.alert_settings = settings;
                *self.lock() = m;
            }
            Err(e) => {
                tracing::warn!(error = %e, "stream producer state unreadable; starting fresh")
            }
        }
    }

    /// Write the snapshot now.
    pub async fn save(&self, store: &Store) {
        let _one_at_a_time = self.saving.lock().await;
        let snapshot = {
            let m = self.lock();
            json!({"format": SNAPSHOT_FORMAT, "saved_at": self.clock.now(), "machine": &*m})
                .to_string()
        };
        if let Err(e) = store.meta_set(SNAPSHOT_KEY, &snapshot).await {
            tracing::warn!(error = %e, "could not save the stream producer state");
        }
    }

    /// Save after changes, at most once per [`SAVE_EVERY`]. The final save is
    /// [`crate::hub::HubTasks::finish`]'s.
    pub async fn saver(self: Arc<Self>, store: Store, mut shutdown: watch::Receiver<bool>) {
        let mut dirty = self.dirty.subscribe();
        loop {
            tokio::select! {
                r = dirty.changed() => if r.is_err() { return },
                _ = shutdown.changed() => return,
            }
            self.save(&store).await;
            tokio::select! {
                _ = tokio::time::sleep(SAVE_EVERY) => {}
                _ = shutdown.changed() => return,
            }
        }
    }

    /// The producer task: events from the bus (re-reading the ring if it falls
    /// behind, so no alert is lost), and time (alert expiry, ticker, takeover, day).
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let (mut rx, mut last_seq) = self
            .subscription
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .unwrap_or_else(|| self.bus.subscribe_at());
        let mut clock = self.clock.watch();
        loop {
            let wait = {
                let now = self.clock.now();
                let next = self.lock().next_deadline(now);
                (next - now).to_std().unwrap_or(Duration::ZERO)
            };
            tokio::select! {
                m = rx.recv() => match m {
                    Ok(m) => {
                        // Take what else is already waiting (a flood): one broadcast per batch.
                        let mut batch = vec![m];
                        let mut missed = 0;
                        while batch.len() < BATCH {
                            match rx.try_recv() {
                                Ok(m) => batch.push(m),
                                Err(TryRecvError::Lagged(n)) => {
                                    missed = n;
                                    break;
                                }
                                Err(_) => break,
                            }
                        }
                        batch.retain(|m| m.seq > last_seq);
                        if let Some(m) = batch.last() {
                            last_seq = m.seq;
                        }
                        self.on_messages(&batch);
                        if missed > 0 {
                            self.recover(&mut last_seq, missed);
                        }
                    }
                    Err(RecvError::Lagged(n)) => self.recover(&mut last_seq, n),
                    Err(_) => return,
                },
                _ = tokio::time::sleep(wait) => self.with(|_, _| ()),
                _ = clock.changed() => self.with(|_, _| ()),
                _ = self.wake.notified() => {}
                _ = shutdown.changed() => return,
            }
        }
    }
}
