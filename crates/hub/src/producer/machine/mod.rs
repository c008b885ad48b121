//! The stream producer's state machine: show, ticker, base content,
//! the alert queue, the timeline and the takeover. A plain value: every transition
//! takes `now` and leaves [`Effect`]s for the caller to carry out, so tests drive it
//! with any clock and the whole state serialises into one snapshot.
//!
//! The transitions are tabled in ARCHITECTURE.md ("Stream producer").

use super::alert_settings::AlertSettings;
use super::content::{next_midnight, Aggregator, Observed};
use super::layers::layer_for;
use super::queue::{
    Item, NewItem, Queue, ALERT_PRIORITY, MAX_DURATION_MS, SUB_TRAIN_PRIORITY, TICKER_PRIORITY,
};
use super::shows;
use chrono::{DateTime, Utc};
use landale_protocol::event::Event;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::VecDeque;

pub const TICKER_INTERVAL_MS: i64 = 15_000;
pub const SUB_TRAIN_DURATION_MS: u64 = 300_000;
pub const TAKEOVER_DEFAULT_MS: u64 = 10_000;
/// Identical alerts (same type and user) queued within this window merge.
pub const COALESCE_WINDOW_MS: i64 = 10_000;
/// How long a gift bomb waits for its gifted subs (and gifted subs for their bomb).
pub const GIFT_WINDOW_MS: i64 = 60_000;
/// Waiting items untouched this long are not restored after a restart.
pub const STALE_AFTER_MS: u64 = 600_000;
/// Interaction events kept on the timeline.
pub const TIMELINE_LEN: usize = 6;
/// Queue-full drops are logged at most this often (with how many since the last line).
const DROP_LOG_EVERY_MS: i64 = 10_000;
/// Recipient names kept on a gift alert.
const RECIPIENTS_KEPT: usize = 20;

pub fn default_ticker(show: &str) -> Vec<String> {
    let t: &[&str] = match show {
        "ironmon" => &["ironmon_run_stats", "ironmon_progression"],
        "coding" => &[
            "commit_stats",
            "build_status",
            "emote_stats",
            "recent_follows",
        ],
        _ => &[
            "emote_stats",
            "recent_follows",
            "stream_goals",
            "daily_stats",
        ],
    };
    t.iter().map(|s| s.to_string()).collect()
}

/// Something the caller must do after a transition.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// A push to every joiner of one topic.
    Push {
        topic: &'static str,
        event: &'static str,
        payload: Value,
    },
    /// An event into the hub pipeline (`stream.*`).
    Emit {
        event_type: &'static str,
        data: Value,
    },
    /// The state changed: push `stream_state` and `queue_state`, emit `stream.state_updated`.
    Broadcast,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Takeover {
    pub id: String,
    pub kind: String,
    pub message: Option<String>,
    /// 0: until cleared.
    pub duration_ms: u64,
    pub started_at: DateTime<Utc>,
}

impl Takeover {
    fn ends_at(&self) -> Option<DateTime<Utc>> {
        (self.duration_ms > 0).then(|| {
            self.started_at
                + chrono::Duration::milliseconds(self.duration_ms.min(MAX_DURATION_MS) as i64)
        })
    }
}

/// What the last transitions changed: counted in metrics by the caller.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Counts {
    pub dropped: u64,
    pub coalesced: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Machine {
    pub show: String,
    pub ticker: Vec<String>,
    pub ticker_idx: usize,
    base_started_at: DateTime<Utc>,
    next_tick_at: DateTime<Utc>,
    pub queue: Queue,
    timeline: VecDeque<Value>,
    pub takeover: Option<Takeover>,
    bombs: VecDeque<OpenBomb>,
    orphans: VecDeque<Orphan>,
    pub content: Aggregator,
    pub version: u64,
    last_updated: DateTime<Utc>,
    /// Next tie-break for ids made here.
    next_id: u64,
    #[serde(skip)]
    effects: Vec<Effect>,
    #[serde(skip)]
    changed: bool,
    #[serde(skip)]
    drop_logged_at: Option<DateTime<Utc>>,
    #[serde(skip)]
    drops_unlogged: u64,
    /// The streamer's alert settings (stored apart; the producer sets them).
    #[serde(skip)]
    pub alert_settings: AlertSettings,
}

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn user_of(e: &Event) -> String {
    e.str_field("user_name")
        .or(e.str_field("user_login"))
        .unwrap_or("someone")
        .to_string()
}

fn copy_fields(e: &Event, data: &mut Value, keys: &[&str]) {
    for k in keys {
        if let Some(v) = e.field(k) {
            if !v.is_null() {
                data[*k] = v.clone();
            }
        }
    }
}

impl Machine {
    pub fn new(now: DateTime<Utc>) -> Machine {
        let mut m = Machine {
            show: "variety".into(),
            ticker: default_ticker("variety"),
            ticker_idx: 0,
            base_started_at: now,
            next_tick_at: now + chrono::Duration::milliseconds(TICKER_INTERVAL_MS),
            queue: Queue::default(),
            timeline: VecDeque::new(),
            takeover: None,
            bombs: VecDeque::new(),
            orphans: VecDeque::new(),
            content: Aggregator::default(),
            version: 0,
            last_updated: now,
            next_id: 0,
            effects: Vec::new(),
            changed: false,
            drop_logged_at: None,
            drops_unlogged: 0,
            alert_settings: AlertSettings::default(),
        };
        m.content.roll(now);
        m.ticker_idx = m.first_available(0);
        m
    }

    fn new_id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!(
            "{prefix}-{}-{}",
            self.next_id,
            landale_core::ids::random_hex(6)
        )
    }

    fn touch(&mut self) {
        self.changed = true;
    }

    fn push(&mut self, topic: &'static str, event: &'static str, payload: Value) {
        self.effects.push(Effect::Push {
            topic,
            event,
            payload,
        });
    }

    fn emit(&mut self, event_type: &'static str, data: Value) {
        self.effects.push(Effect::Emit { event_type, data });
    }

    /// The effects of the transitions so far, ending with one [`Effect::Broadcast`]
    /// when the state changed (the version moves once per broadcast).
    pub fn take_effects(&mut self, now: DateTime<Utc>) -> Vec<Effect> {
        if std::mem::take(&mut self.changed) {
            self.version += 1;
            self.last_updated = now;
            self.effects.push(Effect::Broadcast);
        }
        std::mem::take(&mut self.effects)
    }

    // ---- time ----------------------------------------------------------------

    /// Bring the state up to `now`: retire alerts whose time is up, rotate the
    /// ticker, expire the takeover, start a new day. Called before every transition.
    pub fn advance(&mut self, now: DateTime<Utc>) {
        if self.queue.settle(now) {
            self.touch();
        }
        self.tick_ticker(now);
        if let Some(end) = self.takeover.as_ref().and_then(Takeover::ends_at) {
            if end <= now {
                let t = self.takeover.take().expect("checked");
                self.push(
                    "stream:overlays",
                    "takeover_clear",
                    json!({"timestamp": iso(now)}),
                );
                self.emit(
                    "stream.takeover_cleared",
                    json!({"takeover_id": t.id, "reason": "expired"}),
                );
            }
        }
        if self.content.roll(now)
            && self
                .base_type()
                .is_some_and(|t| t == "daily_stats" || t == "emote_stats")
        {
            self.touch();
        }
    }

    /// When [`Machine::advance`] next has something to do.
    pub fn next_deadline(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let mut next = next_midnight(now);
        let candidates = [
            self.queue.next_end(),
            (!self.ticker.is_empty()).then_some(self.next_tick_at),
            self.takeover.as_ref().and_then(Takeover::ends_at),
        ];
        for t in candidates.into_iter().flatten() {
            next = next.min(t);
        }
        next
    }

    /// An alert (priority 100 or more) is on screen: the ticker holds still.
    fn alert_up(&self) -> bool {
        self.queue
            .on_screen()
            .is_some_and(|i| i.priority >= ALERT_PRIORITY)
    }

    fn first_available(&self, from: usize) -> usize {
        let n = self.ticker.len();
        (0..n)
            .map(|k| (from + k) % n)
            .find(|&i| self.content.available(&self.ticker[i]))
            .unwrap_or(from.min(n.saturating_sub(1)))
    }

    fn tick_ticker(&mut self, now: DateTime<Utc>) {
        if self.ticker.is_empty() || self.next_tick_at > now {
            return;
        }
        let interval = chrono::Duration::milliseconds(TICKER_INTERVAL_MS);
        let tick = self.next_tick_at;
        // After a long gap (a restart) rotate once, not once per missed interval.
        self.next_tick_at = if now - tick >= interval {
            now + interval
        } else {
            tick + interval
        };
        if self.alert_up() {
            return;
        }
        let next = self.first_available((self.ticker_idx + 1) % self.ticker.len());
        if next != self.ticker_idx || self.base_started_at < tick {
            self.ticker_idx = next;
            self.base_started_at = tick.max(now - interval);
            self.touch();
        }
    }

    fn base_type(&self) -> Option<&str> {
        self.ticker.get(self.ticker_idx).map(String::as_str)
    }

    // ---- queue transitions ---------------------------------------------------

    fn add(&mut self, now: DateTime<Utc>, new: NewItem) -> Option<String> {
        let id = self.new_id(new.kind);
        let (id, dropped) = self.queue.push(now, new, id);
        self.touch();
        match dropped {
            Some(d) => {
                // One line per flood, not per item: the first drop, then a count at
                // most every DROP_LOG_EVERY_MS.
                self.drops_unlogged += 1;
                let due = self
                    .drop_logged_at
                    .is_none_or(|at| (now - at).num_milliseconds() >= DROP_LOG_EVERY_MS);
                if due {
                    let content = d.data.get("type").and_then(Value::as_str).unwrap_or("");
                    tracing::warn!(item = %d.id, kind = %d.kind, content, dropped = self.drops_unlogged,
                        "alert queue full ({} items): dropped the oldest lowest-priority items", super::queue::MAX_ITEMS);
                    self.drops_unlogged = 0;
                    self.drop_logged_at = Some(now);
                }
                (d.id != id).then_some(id)
            }
            None => Some(id),
        }
    }

    /// An alert for an interaction, in its `style` (see `alert_settings`): none when
    /// the streamer turned the type off or `amount` is under its minimum. Identical
    /// ones within the window merge.
    fn alert(
        &mut self,
        now: DateTime<Utc>,
        style: &'static str,
        amount: u64,
        key: Option<String>,
        mut data: Value,
        merge: impl FnOnce(&mut Value, &Value),
    ) -> Option<String> {
        let settings = self.alert_settings.get(style);
        if !settings.enabled || amount < settings.min_amount {
            return None;
        }
        data["style"] = json!(style);
        if let Some(k) = &key {
            let since = now - chrono::Duration::milliseconds(COALESCE_WINDOW_MS);
            if let Some(existing) = self.queue.newest_with_key_since(k, since) {
                {
                    let count = existing
                        .data
                        .get("count")
                        .and_then(Value::as_u64)
                        .unwrap_or(1);
                    existing.data["count"] = json!(count.saturating_add(1));
                    merge(&mut existing.data, &data);
                    existing.touched_at = now;
                    let id = existing.id.clone();
                    tracing::info!(alert = %id, event_id = %data["event_id"].as_str().unwrap_or(""), style, "alert merged into one queued");
                    self.queue.coalesced += 1;
                    self.touch();
                    return Some(id);
                }
            }
        }
        // The event's id is its correlation id from Twitch (the message id): the log
        // follows it from the notification to here, and the alert's id from here on air.
        let event_id = data["event_id"].as_str().unwrap_or("").to_string();
        let id = self.add(
            now,
            NewItem {
                kind: "alert",
                priority: ALERT_PRIORITY,
                duration_ms: settings.duration_ms,
                data,
                key,
            },
        );
        if let Some(id) = &id {
            tracing::info!(alert = %id, event_id = %event_id, style, "alert queued");
        }
        id
    }

    /// `force_content`: a manual override of `content_type` with the client's data.
    pub fn force_content(
        &mut self,
        now: DateTime<Utc>,
        content_type: &str,
        data: Value,
        duration_ms: u64,
    ) -> Option<String> {
        let mut d = json!({"type": content_type});
        if let (Some(dst), Value::Object(src)) = (d.as_object_mut(), data) {
            dst.extend(src);
            dst.insert("type".into(), json!(content_type));
        }
        self.add(
            now,
            NewItem {
                kind: "manual_override",
                priority: ALERT_PRIORITY,
                duration_ms,
                data: d,
                key: None,
            },
        )
    }

    pub fn remove(&mut self, now: DateTime<Utc>, id: &str) -> bool {
        let gone = self.queue.remove(id, now).is_some();
        if gone {
            self.touch();
        }
        gone
    }

    pub fn skip(&mut self, now: DateTime<Utc>) -> Option<String> {
        let gone = self.queue.skip(now)?;
        self.touch();
        Some(gone.id)
    }

    pub fn clear(&mut self, now: DateTime<Utc>) -> usize {
        let n = self.queue.clear(now);
        if n > 0 {
            self.touch();
        }
        n
    }

    pub fn pause(&mut self, now: DateTime<Utc>) -> bool {
        let did = self.queue.pause(now);
        if did {
            self.touch();
        }
        did
    }

    pub fn resume(&mut self, now: DateTime<Utc>) -> bool {
        let did = self.queue.resume(now);
        if did {
            self.touch();
        }
        did
    }

    /// Queue the last `n` alerts that were shown again, oldest first.
    pub fn replay(&mut self, now: DateTime<Utc>, n: usize) -> Vec<String> {
        let items = self.queue.replayable(n);
        items
            .into_iter()
            .filter_map(|i| {
                let mut data = i.data;
                data["replay"] = json!(true);
                self.add(
                    now,
                    NewItem {
                        kind: "alert",
                        priority: i.priority,
                        duration_ms: i.duration_ms,
                        data,
                        key: None,
                    },
                )
            })
            .collect()
    }

    // ---- show ----------------------------------------------------------------

    fn change_show(
        &mut self,
        now: DateTime<Utc>,
        show: &str,
        game_id: Option<&str>,
        game_name: Option<&str>,
        title: Value,
    ) {
        if self.show == show {
            return;
        }
        self.show = show.to_string();
        self.ticker = default_ticker(show);
        self.ticker_idx = self.first_available(0);
        self.base_started_at = now;
        self.next_tick_at = now + chrono::Duration::milliseconds(TICKER_INTERVAL_MS);
        let changed_at = iso(now);
        let payload = json!({"show": show, "game": {"id": game_id, "name": game_name}, "title": title, "changed_at": changed_at});
        self.push("stream:overlays", "show_changed", payload.clone());
        self.push("stream:queue", "show_changed", payload);
        self.emit(
            "stream.show_changed",
            json!({"show": show, "game_id": game_id, "game_name": game_name, "title": title, "changed_at": changed_at}),
        );
        tracing::info!(show, category = game_name.unwrap_or(""), "show changed");
        self.touch();
    }

    // ---- events --------------------------------------------------------------

    fn add_timeline(&mut self, e: &Event, data: Value) {
        if self.timeline.len() == TIMELINE_LEN {
            self.timeline.pop_back();
        }
        self.timeline.push_front(json!({
            "id": e.id, "type": e.kind, "priority": TICKER_PRIORITY, "started_at": e.timestamp, "data": data,
        }));
        self.touch();
    }

    /// React to a hub event (anything but the producer's own `stream.state_updated`).
    pub fn on_event(&mut self, now: DateTime<Utc>, e: &Event) {
        // A test alert from the dashboard goes on air like a real one but counts
        // nowhere: not in today's figures, not on the timeline.
        let test = e.field("test") == Some(&Value::Bool(true));
        let seen = if test {
            Observed::default()
        } else {
            self.content.observe(now, e)
        };
        if seen.goals {
            let g = self.content.goals_json();
            self.emit("stream.goals_updated", g);
            if self.base_type() == Some("stream_goals") {
                self.touch();
            }
            if self.ticker_idx < self.ticker.len()
                && !self.content.available(&self.ticker[self.ticker_idx])
            {
                self.ticker_idx = self.first_available(self.ticker_idx);
                self.touch();
            }
        }
        if seen.ironmon && self.base_type().is_some_and(|t| t.starts_with("ironmon_")) {
            self.touch();
        }
        let kind = e.kind.as_str();
        match kind {
            "channel.follow" => {
                let user = user_of(e);
                let mut data = json!({"type": kind, "user_name": user, "event_id": e.id});
                copy_fields(e, &mut data, &["user_login", "followed_at"]);
                if !test {
                    self.add_timeline(e, json!({"user_name": user}));
                }
                let key = format!("follow:{}", user.to_lowercase());
                self.alert(now, "follow", 0, Some(key), data, |_, _| {});
            }
            "channel.subscribe" if e.field("is_gift") == Some(&Value::Bool(true)) => {
                self.gifted_sub(now, e)
            }
            "channel.subscribe" | "channel.subscription.message" => {
                let mut data = json!({"user_name": user_of(e)});
                copy_fields(e, &mut data, &["tier", "cumulative_months", "message"]);
                if !test {
                    self.add_timeline(e, data);
                }
                self.sub_train(now, e);
            }
            "channel.subscription.gift" => {
                let mut data = json!({"user_name": user_of(e)});
                copy_fields(e, &mut data, &["tier", "total", "is_anonymous"]);
                if !test {
                    self.add_timeline(e, data);
                }
                self.gift_bomb(now, e);
            }
            "channel.cheer" => {
                let anonymous = e.field("is_anonymous") == Some(&Value::Bool(true));
                let user = if anonymous {
                    "Anonymous".to_string()
                } else {
                    user_of(e)
                };
                let mut data = json!({"type": kind, "user_name": user, "event_id": e.id,
                                      "bits": e.field("bits").and_then(Value::as_u64).unwrap_or(0)});
                copy_fields(e, &mut data, &["message"]);
                if !test {
                    self.add_timeline(e, json!({"user_name": user, "bits": data["bits"]}));
                }
                let key = (!anonymous).then(|| format!("cheer:{}", user.to_lowercase()));
                let bits = data["bits"].as_u64().unwrap_or(0);
                self.alert(now, "cheer", bits, key, data, |into, new| {
                    let b = into["bits"]
                        .as_u64()
                        .unwrap_or(0)
                        .saturating_add(new["bits"].as_u64().unwrap_or(0));
                    into["bits"] = json!(b);
                });
            }
            "channel.raid" => {
                let from = e
                    .str_field("from_broadcaster_user_name")
                    .or(e.str_field("from_broadcaster_user_login"))
                    .unwrap_or("someone")
                    .to_string();
                let viewers = e.field("viewers").and_then(Value::as_u64).unwrap_or(0);
                let data =
                    json!({"type": kind, "user_name": from, "viewers": viewers, "event_id": e.id});
                if !test {
                    self.add_timeline(e, json!({"user_name": from, "viewers": viewers}));
                }
                let key = format!("raid:{}", from.to_lowercase());
                self.alert(now, "raid", viewers, Some(key), data, |_, _| {});
            }
            "channel.channel_points_custom_reward_redemption.add" => {
                let reward = e.field("reward").cloned().unwrap_or(Value::Null);
                let cost = reward.get("cost").and_then(Value::as_u64).unwrap_or(0);
                let data = json!({"type": kind, "user_name": user_of(e), "event_id": e.id,
                                  "reward": reward.get("title").cloned().unwrap_or(Value::Null),
                                  "amount": cost,
                                  "message": e.field("user_input").cloned().unwrap_or(Value::Null)});
                self.alert(now, "redemption", cost, None, data, |_, _| {});
            }
            "channel.hype_train.begin" => {
                let level = e.field("level").and_then(Value::as_u64).unwrap_or(1);
                let data = json!({"type": kind, "user_name": "", "event_id": e.id,
                                  "amount": level, "total": e.field("total").cloned().unwrap_or(Value::Null)});
                self.alert(
                    now,
                    "hype_train",
                    level,
                    Some("hype_train".into()),
                    data,
                    |_, _| {},
                );
            }
            "channel.update" => {
                let id = e.str_field("category_id");
                let name = e.str_field("category_name");
                let show = shows::show_for(id, name);
                let title = e.field("title").cloned().unwrap_or(Value::Null);
                self.change_show(now, show, id, name, title);
            }
            "channel.chat.message" => {
                let emotes = e.field("emotes").cloned().unwrap_or(json!([]));
                let native = e.field("native_emotes").cloned().unwrap_or(json!([]));
                let any = |v: &Value| v.as_array().is_some_and(|a| !a.is_empty());
                if self.base_type() == Some("emote_stats") && (any(&emotes) || any(&native)) {
                    self.push(
                        "stream:overlays",
                        "content_update",
                        json!({"type": "emote_increment",
                               "data": {"emotes": emotes, "native_emotes": native, "username": user_of(e),
                                        "emote_ids": e.field("emote_ids").cloned().unwrap_or(json!({}))},
                               "timestamp": iso(now)}),
                    );
                }
            }
            "ironmon.run_checkpoint"
                if self.show == "ironmon" && e.field("passed") == Some(&Value::Bool(true)) =>
            {
                let data = json!({"type": "checkpoint_clear",
                                  "checkpoint_name": e.field("checkpoint").cloned().unwrap_or(Value::Null),
                                  "seed_id": e.field("seed_id").cloned().unwrap_or(Value::Null)});
                self.alert(now, "checkpoint", 0, None, data, |_, _| {});
            }
            "ironmon.run_ended"
                if self.show == "ironmon" || e.field("test") == Some(&Value::Bool(true)) =>
            {
                let cleared = e
                    .field("checkpoints_cleared")
                    .and_then(Value::as_u64)
                    .unwrap_or(0);
                let data = json!({"type": "death_alert",
                                  "seed_id": e.field("seed_id").cloned().unwrap_or(Value::Null),
                                  "message": e.field("reason").cloned().unwrap_or(Value::Null),
                                  "trainer": e.field("trainer").cloned().unwrap_or(Value::Null),
                                  "checkpoint_name": e.field("checkpoint").cloned().unwrap_or(Value::Null),
                                  "amount": cleared});
                self.alert(now, "death", cleared, None, data, |_, _| {});
            }
            "stream.takeover_started" => {
                let kind = e.str_field("takeover_type").unwrap_or("custom").to_string();
                let message = e.str_field("message").map(str::to_string);
                let duration_ms = e
                    .field("duration")
                    .and_then(Value::as_u64)
                    .unwrap_or(TAKEOVER_DEFAULT_MS);
                let t = Takeover {
                    id: e.id.clone(),
                    kind,
                    message,
                    duration_ms,
                    started_at: now,
                };
                self.takeover = Some(t);
                let payload = self.takeover_push(now).expect("just set");
                self.push("stream:overlays", "takeover", payload);
            }
            "stream.takeover_cleared" => {
                // An expiry's record names the takeover it ended: a newer one stays.
                let stale = match (e.str_field("takeover_id"), &self.takeover) {
                    (Some(id), Some(t)) => id != t.id,
                    (Some(_), None) => true,
                    (None, _) => false,
                };
                if !stale {
                    self.takeover = None;
                    self.push(
                        "stream:overlays",
                        "takeover_clear",
                        json!({"timestamp": iso(now)}),
                    );
                }
            }
            _ => {}
        }
    }

    // ---- restart -------------------------------------------------------------

    /// After loading a snapshot at `now`: items whose time ran out while the hub was
    /// down are not replayed, stale waiting items are dropped, the takeover expires
    /// if its time is up, the ticker and the day catch up.
    pub fn restored(&mut self, now: DateTime<Utc>) -> Vec<Item> {
        let gone = self.queue.restored(now, STALE_AFTER_MS);
        if self
            .takeover
            .as_ref()
            .and_then(Takeover::ends_at)
            .is_some_and(|end| end <= now)
        {
            self.takeover = None;
        }
        if self.next_tick_at < now {
            self.next_tick_at = now + chrono::Duration::milliseconds(TICKER_INTERVAL_MS);
        }
        self.content.roll(now);
        self.prune_gifts(now);
        self.effects.clear();
        self.changed = false;
        gone
    }
}

mod subs;
#[cfg(test)]
mod tests;
mod views;

use subs::{OpenBomb, Orphan};
