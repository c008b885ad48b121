//! The content aggregator: what the ticker shows, counted
//! from the events themselves. Emote counts (today and all time, regular and the
//! channel's own), recent follows, daily stats with a reset at UTC midnight, goals
//! from `channel.goal.*`, and the IronMON run from `ironmon.run_*` events.
//!
//! Everything lives in memory (bounded) and is saved with the producer's snapshot.

use chrono::{DateTime, NaiveDate, Utc};
use landale_protocol::event::Event;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, VecDeque};

/// Follows remembered (the ticker shows the newest five).
const FOLLOWS_KEPT: usize = 100;
/// Emotes counted; past `EMOTES_KEPT + 100` the least used (all time) are forgotten.
const EMOTES_KEPT: usize = 1000;
/// Entries in each top list and in each emote map of `emote_stats`.
const TOP: usize = 10;

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
struct EmoteCount {
    today: u64,
    alltime: u64,
    native: bool,
    /// Its Twitch id, once a message carried it (overlays draw `/emotes/<id>`).
    #[serde(default)]
    id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Follow {
    user_name: String,
    followed_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Goal {
    description: String,
    current: i64,
    target: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Run {
    seed_id: Value,
    checkpoints_cleared: u64,
    current_checkpoint: Option<String>,
    started_at: DateTime<Utc>,
    /// The IronMON integration's view of the run (every `ironmon.*` event carries it
    /// as `run`): clear rates, attempts, next trainer, location, team.
    #[serde(default)]
    view: Option<Value>,
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Aggregator {
    emotes: HashMap<String, EmoteCount>,
    follows: VecDeque<Follow>,
    day: Option<NaiveDate>,
    messages_today: u64,
    follows_today: u64,
    goals: BTreeMap<String, Goal>,
    run: Option<Run>,
}

/// What an event changed, for the producer to react to.
#[derive(Debug, Default, PartialEq)]
pub struct Observed {
    pub goals: bool,
    pub ironmon: bool,
    pub follows: bool,
}

fn day_start(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0).expect("midnight").and_utc()
}

/// The next UTC midnight after `now`.
pub fn next_midnight(now: DateTime<Utc>) -> DateTime<Utc> {
    day_start(now.date_naive()) + chrono::Duration::days(1)
}

impl Aggregator {
    /// Start a new day at UTC midnight: today's counters go to zero, all-time stays.
    /// True when a new day began.
    pub fn roll(&mut self, now: DateTime<Utc>) -> bool {
        let today = now.date_naive();
        match self.day {
            Some(d) if d == today => false,
            Some(_) => {
                self.day = Some(today);
                self.messages_today = 0;
                self.follows_today = 0;
                for e in self.emotes.values_mut() {
                    e.today = 0;
                }
                true
            }
            None => {
                self.day = Some(today);
                false
            }
        }
    }

    pub fn observe(&mut self, now: DateTime<Utc>, e: &Event) -> Observed {
        self.roll(now);
        let mut seen = Observed::default();
        match e.kind.as_str() {
            "channel.chat.message" => {
                self.messages_today += 1;
                let ids = e.field("emote_ids");
                for (key, native) in [("emotes", false), ("native_emotes", true)] {
                    for name in e.field(key).and_then(Value::as_array).into_iter().flatten() {
                        if let Some(name) = name.as_str() {
                            let c = self.emotes.entry(name.to_string()).or_default();
                            c.today += 1;
                            c.alltime += 1;
                            c.native = native;
                            if let Some(id) = ids.and_then(|m| m.get(name)).and_then(Value::as_str)
                            {
                                c.id = Some(id.to_string());
                            }
                        }
                    }
                }
                if self.emotes.len() > EMOTES_KEPT + 100 {
                    let mut all: Vec<(String, u64)> = self
                        .emotes
                        .iter()
                        .map(|(k, v)| (k.clone(), v.alltime))
                        .collect();
                    all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                    for (k, _) in all.into_iter().skip(EMOTES_KEPT) {
                        self.emotes.remove(&k);
                    }
                }
            }
            "channel.follow" => {
                self.follows_today += 1;
                let user = e
                    .str_field("user_name")
                    .or(e.str_field("user_login"))
                    .unwrap_or("someone");
                let at = e.str_field("followed_at").unwrap_or(&e.timestamp);
                if self.follows.len() == FOLLOWS_KEPT {
                    self.follows.pop_front();
                }
                self.follows.push_back(Follow {
                    user_name: user.to_string(),
                    followed_at: at.to_string(),
                });
                seen.follows = true;
            }
            "channel.goal.begin" | "channel.goal.progress" => {
                let kind = e.str_field("goal_type").unwrap_or("follower").to_string();
                let num = |k: &str| e.field(k).and_then(Value::as_i64).unwrap_or(0);
                self.goals.insert(
                    kind,
                    Goal {
                        description: e.str_field("description").unwrap_or("").to_string(),
                        current: num("current_amount"),
                        target: num("target_amount"),
                    },
                );
                seen.goals = true;
            }
            "channel.goal.end" => {
                let kind = e.str_field("goal_type").unwrap_or("follower");
                seen.goals = self.goals.remove(kind).is_some();
            }
            "ironmon.run_started" => {
                self.run = Some(Run {
                    seed_id: e.field("seed_id").cloned().unwrap_or(Value::Null),
                    checkpoints_cleared: 0,
                    current_checkpoint: None,
                    started_at: now,
                    view: None,
                });
                seen.ironmon = true;
            }
            "ironmon.run_checkpoint" if e.field("passed") == Some(&Value::Bool(true)) => {
                if let Some(run) = &mut self.run {
                    run.checkpoints_cleared += 1;
                    run.current_checkpoint = e.str_field("checkpoint").map(str::to_string);
                    seen.ironmon = true;
                }
            }
            _ => {}
        }
        // The integration's own view, when the event carries it, is the whole truth.
        if let (true, Some(view)) = (
            e.kind.starts_with("ironmon."),
            e.field("run").filter(|v| v.is_object()),
        ) {
            let run = self.run.get_or_insert(Run {
                seed_id: Value::Null,
                checkpoints_cleared: 0,
                current_checkpoint: None,
                started_at: now,
                view: None,
            });
            run.seed_id = view["run_number"].clone();
            run.checkpoints_cleared = view["checkpoints_cleared"].as_u64().unwrap_or(0);
            run.current_checkpoint = view["current_checkpoint"].as_str().map(str::to_string);
            run.view = Some(view.clone());
            seen.ironmon = true;
        }
        seen
    }

    /// Whether a content type has something real to show (the ticker skips the rest).
    pub fn available(&self, content_type: &str) -> bool {
        match content_type {
            "emote_stats"
            | "recent_follows"
            | "daily_stats"
            | "ironmon_run_stats"
            | "ironmon_progression" => true,
            "stream_goals" => !self.goals.is_empty(),
            _ => false,
        }
    }

    fn goal(&self, kind: &str) -> Value {
        match self.goals.get(kind) {
            Some(g) => {
                let pct = if g.target > 0 {
                    (g.current as f64 * 1000.0 / g.target as f64).round() / 10.0
                } else {
                    0.0
                };
                json!({"type": kind, "description": g.description, "current": g.current,
                       "target": g.target, "percentage": pct})
            }
            None => json!({"type": kind, "current": 0, "target": 0}),
        }
    }

    /// `stream.goals_updated` data.
    pub fn goals_json(&self) -> Value {
        json!({
            "follower_goal": self.goal("follower"),
            "sub_goal": self.goal("subscription"),
            "new_sub_goal": self.goal("new_subscription"),
        })
    }

    fn top(&self, by_today: bool) -> Vec<(&String, &EmoteCount)> {
        let mut v: Vec<(&String, &EmoteCount)> = self
            .emotes
            .iter()
            .filter(|(_, c)| if by_today { c.today > 0 } else { c.alltime > 0 })
            .collect();
        let count = |c: &EmoteCount| if by_today { c.today } else { c.alltime };
        v.sort_by(|a, b| count(b.1).cmp(&count(a.1)).then_with(|| a.0.cmp(b.0)));
        v.truncate(TOP);
        v
    }

    /// The data for a content type, or its fallback.
    pub fn content(&self, content_type: &str, now: DateTime<Utc>) -> Value {
        let today = self.day.unwrap_or(now.date_naive());
        let iso = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        match content_type {
            "emote_stats" => {
                let kind = |c: &EmoteCount| if c.native { "native" } else { "regular" };
                let list = |by_today: bool| -> Vec<Value> {
                    self.top(by_today)
                        .into_iter()
                        .map(|(name, c)| {
                            json!({"emote": name, "count": if by_today { c.today } else { c.alltime }, "type": kind(c)})
                        })
                        .collect()
                };
                let map = |native: bool| -> serde_json::Map<String, Value> {
                    let mut v: Vec<(&String, &EmoteCount)> = self
                        .emotes
                        .iter()
                        .filter(|(_, c)| c.native == native)
                        .collect();
                    v.sort_by(|a, b| b.1.alltime.cmp(&a.1.alltime).then_with(|| a.0.cmp(b.0)));
                    v.into_iter()
                        .take(TOP)
                        .map(|(k, c)| {
                            (
                                k.clone(),
                                json!({"today": c.today, "alltime": c.alltime, "type": kind(c), "id": c.id}),
                            )
                        })
                        .collect()
                };
                json!({
                    "regular_emotes": map(false),
                    "native_emotes": map(true),
                    "top_today": list(true),
                    "top_alltime": list(false),
                })
            }
            "recent_follows" => json!({
                "recent_followers": self.follows.iter().rev().take(5)
                    .map(|f| json!({"user_name": f.user_name, "followed_at": f.followed_at}))
                    .collect::<Vec<_>>(),
            }),
            "daily_stats" => json!({
                "total_messages": self.messages_today,
                "total_follows": self.follows_today,
                "started_at": iso(day_start(today)),
            }),
            "stream_goals" => {
                let mut g = self.goals_json();
                if let Some(o) = g.as_object_mut() {
                    if !self.goals.contains_key("new_subscription") {
                        o.remove("new_sub_goal");
                    }
                }
                g
            }
            "ironmon_run_stats" => match &self.run {
                Some(Run { view: Some(v), .. }) if !v["run_number"].is_null() => json!({
                    "run_number": v["run_number"],
                    "active": v["active"],
                    "checkpoints_cleared": v["checkpoints_cleared"],
                    "total_checkpoints": v["total_checkpoints"],
                    "progress_percentage": v["progress_percentage"],
                    "current_checkpoint": v["current_checkpoint"],
                    "next_checkpoint": v["next_checkpoint"]["name"],
                    "trainer": v["trainer"],
                    "clear_rate": v["clear_rate"],
                    "attempts": v["attempts"],
                    "location": v["location"]["location_name"],
                    "ended": v["ended"],
                }),
                Some(r) => json!({
                    "run_number": r.seed_id,
                    "checkpoints_cleared": r.checkpoints_cleared,
                    "current_checkpoint": r.current_checkpoint.as_deref().unwrap_or("Starting out"),
                    "started_at": iso(r.started_at),
                }),
                None => json!({
                    "run_number": null, "checkpoints_cleared": 0,
                    "current_checkpoint": "No active run", "clear_rate": 0.0,
                    "message": "Start a new IronMON run!",
                }),
            },
            "ironmon_progression" => match &self.run {
                Some(Run { view: Some(v), .. }) if !v["run_number"].is_null() => json!({
                    "has_active_run": v["active"],
                    "run_number": v["run_number"],
                    "current_checkpoint": v["current_checkpoint"],
                    "next_checkpoint": v["next_checkpoint"]["name"],
                    "trainer": v["trainer"],
                    "clear_rate": v["clear_rate"],
                    "clear_rate_percentage": v["clear_rate"],
                    "attempts_on_record": v["attempts"],
                    "checkpoints_cleared": v["checkpoints_cleared"],
                    "total_checkpoints": v["total_checkpoints"],
                    "location": v["location"]["location_name"],
                    "ended": v["ended"],
                }),
                Some(r) => json!({
                    "has_active_run": true,
                    "run_number": r.seed_id,
                    "checkpoints_cleared": r.checkpoints_cleared,
                    "current_checkpoint": r.current_checkpoint.as_deref().unwrap_or("Starting out"),
                }),
                None => json!({"has_active_run": false, "message": "No active IronMON run"}),
            },
            other => {
                json!({"message": "Content temporarily unavailable", "type": other, "fallback": true})
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use landale_protocol::event::Source;

    fn ev(kind: &str, fields: Value) -> Event {
        Event {
            id: "e".into(),
            kind: kind.into(),
            timestamp: "2026-11-24T10:00:00Z".into(),
            correlation_id: "c".into(),
            source: landale_protocol::catalogue::source_of(kind).unwrap_or(Source::System),
            source_id: None,
            raw_type: kind.into(),
            seq: 0,
            fields: fields.as_object().cloned().unwrap_or_default(),
        }
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn emote_top_lists_are_real() {
        let mut a = Aggregator::default();
        let now = at("2026-11-24T10:00:00Z");
        for _ in 0..3 {
            a.observe(
                now,
                &ev(
                    "channel.chat.message",
                    json!({"emotes": ["Kappa"], "native_emotes": ["avalonHYPE"]}),
                ),
            );
        }
        a.observe(
            now,
            &ev(
                "channel.chat.message",
                json!({"emotes": ["PogChamp", "Kappa"], "native_emotes": []}),
            ),
        );
        let c = a.content("emote_stats", now);
        assert_eq!(
            c["top_today"][0],
            json!({"emote": "Kappa", "count": 4, "type": "regular"})
        );
        assert_eq!(
            c["top_alltime"][1],
            json!({"emote": "avalonHYPE", "count": 3, "type": "native"})
        );
        assert_eq!(c["native_emotes"]["avalonHYPE"]["today"], 3);
        assert_eq!(c["regular_emotes"]["PogChamp"]["alltime"], 1);
    }

    #[test]
    fn daily_stats_reset_at_utc_midnight() {
        let mut a = Aggregator::default();
        let evening = at("2026-11-24T23:59:59Z");
        a.observe(
            evening,
            &ev("channel.chat.message", json!({"emotes": ["Kappa"]})),
        );
        a.observe(evening, &ev("channel.follow", json!({"user_name": "ann"})));
        assert_eq!(a.content("daily_stats", evening)["total_messages"], 1);
        assert_eq!(next_midnight(evening), at("2026-11-25T00:00:00Z"));
        assert!(a.roll(at("2026-11-25T00:00:00Z")));
        let c = a.content("daily_stats", at("2026-11-25T00:00:01Z"));
        assert_eq!(c["total_messages"], 0);
        assert_eq!(c["total_follows"], 0);
        assert_eq!(c["started_at"], "2026-11-25T00:00:00.000Z");
        let e = a.content("emote_stats", at("2026-11-25T00:00:01Z"));
        assert_eq!(e["top_today"], json!([]), "today's counts reset");
        assert_eq!(e["top_alltime"][0]["count"], 1, "all-time kept");
        assert_eq!(
            a.content("recent_follows", evening)["recent_followers"][0]["user_name"],
            "ann"
        );
    }

    #[test]
    fn goals_from_events() {
        let mut a = Aggregator::default();
        let now = at("2026-11-24T10:00:00Z");
        assert!(!a.available("stream_goals"));
        let seen = a.observe(now, &ev("channel.goal.progress", json!({"goal_type": "follower", "description": "Road to 1k", "current_amount": 250, "target_amount": 1000})));
        assert!(seen.goals);
        assert!(a.available("stream_goals"));
        let c = a.content("stream_goals", now);
        assert_eq!(c["follower_goal"]["percentage"], 25.0);
        assert_eq!(
            c["sub_goal"],
            json!({"type": "subscription", "current": 0, "target": 0})
        );
        assert!(
            a.observe(
                now,
                &ev("channel.goal.end", json!({"goal_type": "follower"}))
            )
            .goals
        );
        assert!(!a.available("stream_goals"));
    }

    #[test]
    fn ironmon_run_from_events() {
        let mut a = Aggregator::default();
        let now = at("2026-11-24T10:00:00Z");
        assert_eq!(
            a.content("ironmon_progression", now)["has_active_run"],
            false
        );
        a.observe(now, &ev("ironmon.run_started", json!({"seed_id": 42})));
        a.observe(
            now,
            &ev(
                "ironmon.run_checkpoint",
                json!({"seed_id": 42, "checkpoint": "BROCK", "passed": true}),
            ),
        );
        let c = a.content("ironmon_run_stats", now);
        assert_eq!(c["run_number"], 42);
        assert_eq!(c["checkpoints_cleared"], 1);
        assert_eq!(c["current_checkpoint"], "BROCK");
    }

    #[test]
    fn the_integrations_view_gives_real_values() {
        let mut a = Aggregator::default();
        let now = at("2026-11-24T10:00:00Z");
        let view = json!({"run_number": 7, "active": true, "checkpoints_cleared": 4,
            "total_checkpoints": 24, "progress_percentage": 16.7, "current_checkpoint": "RIVAL2",
            "next_checkpoint": {"name": "BROCK", "trainer": "Brock", "clear_rate": 40.0},
            "trainer": "Brock", "clear_rate": 40.0, "attempts": 12,
            "location": {"location_id": 2, "location_name": "Pewter Gym"}, "ended": null});
        let seen = a.observe(
            now,
            &ev("ironmon.location", json!({"location_id": 2, "run": view})),
        );
        assert!(seen.ironmon);
        let c = a.content("ironmon_run_stats", now);
        assert_eq!(
            (c["clear_rate"].clone(), c["attempts"].clone()),
            (json!(40.0), json!(12))
        );
        assert_eq!(c["location"], "Pewter Gym");
        let p = a.content("ironmon_progression", now);
        assert_eq!(
            (p["trainer"].clone(), p["has_active_run"].clone()),
            (json!("Brock"), json!(true))
        );
        // It survives the producer's snapshot.
        let back: Aggregator = serde_json::from_value(serde_json::to_value(&a).unwrap()).unwrap();
        assert_eq!(back.content("ironmon_run_stats", now)["clear_rate"], 40.0);
    }
}
