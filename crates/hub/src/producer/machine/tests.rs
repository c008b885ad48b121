//! Every transition of the state machine, driven with an explicit clock, and the
//! contract schemas checked on every broadcast.

use super::*;
use crate::pipeline::normalize::{normalize, Options};
use landale_core::Envelope;

use landale_testkit::stream::{alert_names, check_queue, check_state, follow};

fn t(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_795_000_000, 0).unwrap() + chrono::Duration::milliseconds(ms)
}

fn ev(kind: &str, data: Value) -> Event {
    let map = data.as_object().cloned().unwrap();
    normalize(kind, map, Envelope::default(), &Options::default())
}

/// A machine plus a record of what it pushed; every broadcast is schema-checked.
struct Rig {
    m: Machine,
    now: DateTime<Utc>,
    pushes: Vec<(String, String, Value)>,
    emitted: Vec<(String, Value)>,
    states: Vec<Value>,
}

impl Rig {
    fn new() -> Rig {
        Rig {
            m: Machine::new(t(0)),
            now: t(0),
            pushes: vec![],
            emitted: vec![],
            states: vec![],
        }
    }

    fn step(&mut self, f: impl FnOnce(&mut Machine, DateTime<Utc>)) {
        self.m.advance(self.now);
        f(&mut self.m, self.now);
        for e in self.m.take_effects(self.now) {
            match e {
                Effect::Push {
                    topic,
                    event,
                    payload,
                } => self.pushes.push((topic.into(), event.into(), payload)),
                Effect::Emit { event_type, data } => {
                    // What the producer emits passes the pipeline's validation.
                    crate::pipeline::validate::validate(event_type, &data)
                        .unwrap_or_else(|e| panic!("{event_type} refused: {e:?}"));
                    self.emitted.push((event_type.into(), data))
                }
                Effect::Broadcast => {
                    let s = self.m.stream_state(self.now);
                    check_state(&s);
                    let mut event = s.clone();
                    event["version"] = json!(self.m.version);
                    crate::pipeline::validate::validate("stream.state_updated", &event)
                        .unwrap_or_else(|e| panic!("stream.state_updated refused: {e:?}"));
                    check_queue(&self.m.queue_state(self.now));
                    self.states.push(s);
                }
            }
        }
    }

    fn event(&mut self, kind: &str, data: Value) {
        let e = ev(kind, data);
        self.step(|m, now| m.on_event(now, &e));
    }

    fn at(&mut self, ms: i64) {
        self.now = t(ms);
        self.step(|_, _| {});
    }

    fn state(&self) -> Value {
        let s = self.m.stream_state(self.now);
        check_state(&s);
        s
    }

    fn queue(&self) -> Value {
        let q = self.m.queue_state(self.now);
        check_queue(&q);
        q
    }

    /// `data.user_name` of each alert, in order.
    fn alert_users(&self) -> Vec<String> {
        alert_names(&self.state())
    }
}

fn sub(user: &str, gift: bool) -> Value {
    json!({"user_id": "2", "user_login": user.to_lowercase(), "user_name": user, "tier": "1000", "is_gift": gift,
           "broadcaster_user_id": "12826", "broadcaster_user_login": "avalonstar"})
}

#[test]
fn start_state_matches_the_contract() {
    let r = Rig::new();
    let s = r.state();
    assert_eq!(s["current_show"], "variety");
    assert_eq!(
        s["ticker"],
        json!([
            "emote_stats",
            "recent_follows",
            "stream_goals",
            "daily_stats"
        ])
    );
    assert_eq!(s["base"]["type"], "emote_stats");
    assert_eq!(s["base"]["layer"], "background");
    assert_eq!(s["alerts"], json!([]));
    assert_eq!(s["metadata"]["state_version"], 0);
    assert_eq!(r.queue()["is_processing"], false);
}

#[test]
fn alerts_show_one_at_a_time_and_expire() {
    let mut r = Rig::new();
    r.event("channel.follow", follow("Ann"));
    let s = r.states.last().unwrap().clone();
    assert_eq!(s["alerts"][0]["type"], "alert");
    assert_eq!(s["alerts"][0]["layer"], "foreground");
    assert_eq!(s["alerts"][0]["priority"], 100);
    assert_eq!(s["alerts"][0]["duration"], 10_000);
    assert_eq!(s["alerts"][0]["data"]["type"], "channel.follow");
    assert_eq!(s["timeline"][0]["type"], "channel.follow");
    assert_eq!(s["metadata"]["state_version"], 1);
    r.now = t(2_000);
    r.event("channel.follow", follow("Bob"));
    assert_eq!(r.alert_users(), ["Ann", "Bob"]);
    let q = r.queue();
    assert_eq!(q["queue"][0]["status"], "active");
    assert_eq!(q["queue"][0]["remaining"], 8_000);
    assert_eq!(q["queue"][1]["status"], "pending");
    assert_eq!(q["queue"][1]["estimated_start"], 8_000);
    assert_eq!(q["metadata"]["average_wait_time"], 0);
    r.now = t(5_000);
    assert_eq!(
        r.queue()["metadata"]["average_wait_time"],
        3_000,
        "Bob has waited 3 s"
    );
    assert_eq!(r.m.next_deadline(r.now), t(10_000));
    let before = r.states.len();
    r.at(9_999);
    assert_eq!(
        r.states.len(),
        before,
        "nothing changes before the deadline"
    );
    r.at(10_000);
    assert_eq!(r.alert_users(), ["Bob"]);
    assert_eq!(
        r.state()["alerts"][0]["started_at"],
        json!(iso(t(10_000))),
        "Bob started when Ann ended"
    );
    r.at(20_000);
    assert_eq!(r.alert_users(), Vec::<String>::new());
    let versions: Vec<u64> = r
        .states
        .iter()
        .map(|s| s["metadata"]["state_version"].as_u64().unwrap())
        .collect();
    assert!(
        versions.windows(2).all(|w| w[1] == w[0] + 1),
        "one version per broadcast: {versions:?}"
    );
}

#[test]
fn preemption_resumes_with_remaining_time() {
    let mut r = Rig::new();
    r.event("channel.subscribe", sub("Sam", false));
    assert_eq!(r.state()["alerts"][0]["type"], "sub_train");
    assert_eq!(r.state()["alerts"][0]["layer"], "midground");
    r.now = t(100_000);
    r.event(
        "channel.cheer",
        json!({"user_name": "Cat", "user_login": "cat", "bits": 100, "is_anonymous": false,
                                     "broadcaster_user_id": "12826", "message": "hi"}),
    );
    let q = r.queue();
    assert_eq!(q["queue"][0]["content_type"], "channel.cheer");
    assert_eq!(q["queue"][1]["status"], "interrupted");
    assert_eq!(q["queue"][1]["remaining"], 200_000);
    r.at(110_000);
    let q = r.queue();
    assert_eq!(q["queue"][0]["type"], "sub_train");
    assert_eq!(q["queue"][0]["status"], "active");
    assert_eq!(
        r.m.queue.next_end(),
        Some(t(310_000)),
        "resumed with 200 s left"
    );
    r.at(310_000);
    assert_eq!(r.state()["alerts"], json!([]));
}

#[test]
fn sub_train_extends_with_each_sub() {
    let mut r = Rig::new();
    r.event("channel.subscribe", sub("Sam", false));
    r.now = t(60_000);
    r.event("channel.subscription.message", json!({"user_name": "Max", "user_login": "max", "tier": "2000",
        "cumulative_months": 7, "broadcaster_user_id": "12826", "message": {"text": "hey", "emotes": []}}));
    let s = r.state();
    assert_eq!(s["alerts"].as_array().unwrap().len(), 1, "one train");
    let d = &s["alerts"][0]["data"];
    assert_eq!(d["count"], 2);
    assert_eq!(d["subscriber"], "Sam");
    assert_eq!(d["latest_subscriber"], "Max");
    assert_eq!(d["latest_tier"], "2000");
    assert_eq!(d["total_months"], 7);
    assert_eq!(r.m.queue.next_end(), Some(t(360_000)), "re-armed for 5 min");
    r.at(359_999);
    assert_eq!(r.alert_users(), ["Max"]);
    r.at(360_000);
    assert!(r.alert_users().is_empty());
    r.event("channel.subscribe", sub("New", false));
    assert_eq!(
        r.state()["alerts"][0]["data"]["count"],
        1,
        "a new train after the old ended"
    );
}

#[test]
fn gift_bomb_is_one_alert_in_either_order() {
    let mut r = Rig::new();
    r.event(
        "channel.subscription.gift",
        json!({"user_name": "Gia", "user_login": "gia", "total": 5, "tier": "1000",
        "is_anonymous": false, "broadcaster_user_id": "12826"}),
    );
    for i in 0..5 {
        r.event("channel.subscribe", sub(&format!("r{i}"), true));
    }
    let s = r.state();
    assert_eq!(s["alerts"].as_array().unwrap().len(), 1, "{s:#}");
    assert_eq!(s["alerts"][0]["data"]["total"], 5);
    assert_eq!(
        s["alerts"][0]["data"]["recipients"],
        json!(["r0", "r1", "r2", "r3", "r4"])
    );
    assert_eq!(
        s["timeline"].as_array().unwrap().len(),
        1,
        "gifted subs stay off the timeline"
    );

    let mut r = Rig::new();
    for i in 0..3 {
        r.event("channel.subscribe", sub(&format!("early{i}"), true));
    }
    assert!(
        r.alert_users().is_empty(),
        "gifted subs never alert on their own"
    );
    r.event(
        "channel.subscription.gift",
        json!({"user_name": "Gia", "user_login": "gia", "total": 3, "tier": "1000",
        "is_anonymous": false, "broadcaster_user_id": "12826"}),
    );
    let s = r.state();
    assert_eq!(s["alerts"].as_array().unwrap().len(), 1);
    assert_eq!(
        s["alerts"][0]["data"]["recipients"],
        json!(["early0", "early1", "early2"])
    );
    assert_eq!(r.queue()["metadata"]["coalesced_items"], 3);
}

#[test]
fn identical_alerts_coalesce_within_the_window() {
    let mut r = Rig::new();
    let cheer = |bits: u64| json!({"user_name": "Cat", "user_login": "cat", "bits": bits, "is_anonymous": false, "broadcaster_user_id": "12826"});
    r.event("channel.cheer", cheer(100));
    r.now = t(3_000);
    r.event("channel.cheer", cheer(50));
    r.event("channel.follow", follow("Ann"));
    r.event("channel.follow", follow("Ann"));
    let s = r.state();
    assert_eq!(s["alerts"].as_array().unwrap().len(), 2);
    assert_eq!(s["alerts"][0]["data"]["bits"], 150);
    assert_eq!(s["alerts"][0]["data"]["count"], 2);
    assert_eq!(s["alerts"][1]["data"]["count"], 2);
    r.now = t(14_000);
    r.event("channel.follow", follow("Ann"));
    assert_eq!(
        r.state()["alerts"].as_array().unwrap().len(),
        2,
        "outside the window: its own alert (the cheer ended)"
    );
    assert_eq!(r.queue()["metadata"]["coalesced_items"], 2);
}

#[test]
fn bounded_queue_drops_lowest_priority_oldest_first() {
    let mut r = Rig::new();
    r.event("channel.subscribe", sub("Sam", false)); // the train, priority 50, on screen first
    for i in 0..60 {
        r.event("channel.follow", follow(&format!("f{i}")));
    }
    let s = r.state();
    let users = r.alert_users();
    assert_eq!(users.len(), super::super::queue::MAX_ITEMS);
    assert_eq!(
        users[0], "f0",
        "the first follow preempted the train and is on screen"
    );
    assert!(
        !users.contains(&"Sam".to_string()),
        "the train was the lowest priority: dropped first"
    );
    assert!(
        !users.contains(&"f1".to_string()),
        "then the oldest waiting alerts"
    );
    assert_eq!(users.last().unwrap(), "f59");
    assert_eq!(r.queue()["metadata"]["dropped_items"], 11);
    assert_eq!(s["alerts"][0]["data"]["user_name"], "f0");
}

#[test]
fn show_follows_the_category() {
    let mut r = Rig::new();
    let update = |id: &str, name: &str| {
        json!({"broadcaster_user_id": "12826", "title": "Run 42", "language": "en",
                                               "category_id": id, "category_name": name})
    };
    r.event(
        "channel.update",
        update("13332", "Pokémon FireRed/LeafGreen"),
    );
    let s = r.state();
    assert_eq!(s["current_show"], "ironmon");
    assert_eq!(
        s["ticker"],
        json!(["ironmon_run_stats", "ironmon_progression"])
    );
    assert_eq!(s["base"]["type"], "ironmon_run_stats");
    let changed: Vec<&(String, String, Value)> =
        r.pushes.iter().filter(|p| p.1 == "show_changed").collect();
    assert_eq!(changed.len(), 2);
    assert_eq!(changed[0].0, "stream:overlays");
    assert_eq!(changed[1].0, "stream:queue");
    assert_eq!(
        changed[0].2["game"],
        json!({"id": "13332", "name": "Pokémon FireRed/LeafGreen"})
    );
    assert_eq!(
        r.emitted
            .iter()
            .filter(|e| e.0 == "stream.show_changed")
            .count(),
        1
    );
    let n = r.states.len();
    r.event(
        "channel.update",
        update("13332", "Pokémon FireRed/LeafGreen"),
    );
    assert_eq!(r.states.len(), n, "same show: nothing happens");
    r.event(
        "channel.update",
        update("999", "Software and Game Development"),
    );
    assert_eq!(r.state()["current_show"], "coding");
    assert_eq!(
        r.state()["base"]["type"],
        "emote_stats",
        "coding skips content with no source"
    );
    r.event("channel.update", update("509658", "Just Chatting"));
    assert_eq!(r.state()["current_show"], "variety");
}

#[test]
fn ticker_rotates_and_holds_during_alerts() {
    let mut r = Rig::new();
    assert_eq!(r.state()["base"]["type"], "emote_stats");
    r.at(15_000);
    assert_eq!(r.state()["base"]["type"], "recent_follows");
    r.at(30_000);
    assert_eq!(
        r.state()["base"]["type"],
        "daily_stats",
        "stream_goals skipped: no goal yet"
    );
    r.event("channel.goal.begin", json!({"id": "g", "broadcaster_user_id": "12826", "type": "follower",
        "description": "Road to 1k", "current_amount": 10, "target_amount": 1000, "started_at": "2026-11-24T10:00:00Z"}));
    assert_eq!(r.emitted.last().unwrap().0, "stream.goals_updated");
    r.at(45_000);
    assert_eq!(r.state()["base"]["type"], "emote_stats");
    r.now = t(52_000);
    r.event("channel.follow", follow("Ann")); // on screen until 62 s
    r.at(60_000);
    assert_eq!(
        r.state()["base"]["type"],
        "emote_stats",
        "held while the alert is up"
    );
    r.at(75_000);
    assert_eq!(r.state()["base"]["type"], "recent_follows");
    assert_eq!(
        r.state()["base"]["data"]["recent_followers"][0]["user_name"],
        "Ann"
    );
    r.at(90_000);
    assert_eq!(
        r.state()["base"]["type"],
        "stream_goals",
        "a goal exists now"
    );
    assert_eq!(r.state()["base"]["data"]["follower_goal"]["target"], 1000);
}

#[test]
fn takeovers_replace_clear_and_expire() {
    let mut r = Rig::new();
    let start = |kind: &str, duration: u64| json!({"takeover_type": kind, "message": "BRB", "duration": duration});
    let e1 = ev("stream.takeover_started", start("please-stand-by", 60_000));
    r.step(|m, now| m.on_event(now, &e1));
    assert_eq!(r.pushes.last().unwrap().1, "takeover");
    assert_eq!(r.pushes.last().unwrap().2["type"], "please-stand-by");
    r.now = t(10_000);
    let e2 = ev(
        "stream.takeover_started",
        start("technical-difficulties", 5_000),
    );
    r.step(|m, now| m.on_event(now, &e2));
    assert_eq!(
        r.pushes.last().unwrap().2["type"],
        "technical-difficulties",
        "replaced"
    );
    assert_eq!(
        r.m.takeover_push(t(12_000)).unwrap()["duration"],
        3_000,
        "a late joiner gets the time left"
    );
    assert!(
        r.pushes.iter().all(|p| p.0 == "stream:overlays"),
        "takeovers go to overlays only"
    );
    r.at(15_000);
    assert_eq!(r.pushes.last().unwrap().1, "takeover_clear");
    let (kind, data) = r.emitted.last().unwrap().clone();
    assert_eq!(kind, "stream.takeover_cleared");
    assert_eq!(data["takeover_id"], json!(e2.id));
    // A newer takeover is not cleared by the old one's expiry record.
    let e3 = ev("stream.takeover_started", start("custom", 0));
    r.step(|m, now| m.on_event(now, &e3));
    let n = r.pushes.len();
    let stale = ev("stream.takeover_cleared", data);
    r.step(|m, now| m.on_event(now, &stale));
    assert_eq!(r.pushes.len(), n);
    assert!(r.m.takeover.is_some());
    r.at(10_000_000);
    assert!(r.m.takeover.is_some(), "duration 0 stays until cleared");
    let clear = ev("stream.takeover_cleared", json!({}));
    r.step(|m, now| m.on_event(now, &clear));
    assert_eq!(r.pushes.last().unwrap().1, "takeover_clear");
    assert!(r.m.takeover.is_none());
}

#[test]
fn checkpoint_clear_only_in_the_ironmon_show() {
    let mut r = Rig::new();
    r.event(
        "ironmon.run_started",
        json!({"seed_id": 7, "challenge_id": 1}),
    );
    r.event(
        "ironmon.run_checkpoint",
        json!({"seed_id": 7, "checkpoint": "BROCK", "passed": true}),
    );
    assert!(
        r.alert_users().is_empty(),
        "variety show: no checkpoint alert"
    );
    r.event("channel.update", json!({"broadcaster_user_id": "12826", "category_id": "13332", "category_name": "Pokémon FireRed/LeafGreen"}));
    r.event(
        "ironmon.run_checkpoint",
        json!({"seed_id": 7, "checkpoint": "MISTY", "passed": true}),
    );
    let s = r.state();
    assert_eq!(
        s["alerts"][0]["data"],
        json!({"type": "checkpoint_clear", "checkpoint_name": "MISTY", "seed_id": 7, "style": "checkpoint"})
    );
    assert_eq!(s["alerts"][0]["duration"], 5_000);
    assert_eq!(s["base"]["data"]["checkpoints_cleared"], 2);
}

#[test]
fn emote_increments_while_the_base_is_emote_stats() {
    let mut r = Rig::new();
    let chat = json!({"broadcaster_user_id": "12826", "chatter_user_id": "3", "chatter_user_login": "kim",
        "chatter_user_name": "Kim", "message_id": "m1", "message_type": "text", "color": "",
        "message": {"text": "Kappa avalonHYPE", "fragments": [
            {"type": "emote", "text": "Kappa", "emote": {"id": "25"}},
            {"type": "text", "text": " "},
            {"type": "emote", "text": "avalonHYPE", "emote": {"id": "9"}}]}});
    r.event("channel.chat.message", chat.clone());
    let (topic, event, p) = r.pushes.last().unwrap().clone();
    assert_eq!(
        (topic.as_str(), event.as_str()),
        ("stream:overlays", "content_update")
    );
    assert_eq!(p["type"], "emote_increment");
    assert_eq!(p["data"]["emotes"], json!(["Kappa"]));
    assert_eq!(p["data"]["native_emotes"], json!(["avalonHYPE"]));
    assert_eq!(p["data"]["username"], "Kim");
    assert_eq!(
        r.states.len(),
        0,
        "chat does not rebroadcast the whole state"
    );
    r.at(15_000); // rotate to recent_follows
    let n = r.pushes.len();
    r.event("channel.chat.message", chat);
    assert_eq!(r.pushes.len(), n, "no increments under another base");
    assert_eq!(r.state()["base"]["type"], "recent_follows");
}

#[test]
fn dashboard_queue_controls() {
    let mut r = Rig::new();
    for u in ["a", "b", "c"] {
        r.event("channel.follow", follow(u));
    }
    r.now = t(4_000);
    r.step(|m, now| assert!(m.pause(now)));
    assert_eq!(
        r.state()["alerts"],
        json!([]),
        "paused: overlays show nothing"
    );
    assert_eq!(r.queue()["queue"][0]["status"], "paused");
    assert_eq!(r.queue()["is_paused"], true);
    r.at(100_000);
    r.step(|m, now| assert!(m.resume(now)));
    assert_eq!(
        r.m.queue.next_end(),
        Some(t(106_000)),
        "a resumes with 6 s left"
    );
    let mut skipped = None;
    r.step(|m, now| skipped = m.skip(now));
    assert!(skipped.is_some());
    assert_eq!(r.alert_users(), ["b", "c"]);
    let id = r.state()["alerts"][1]["id"].as_str().unwrap().to_string();
    r.step(|m, now| assert!(m.remove(now, &id)));
    r.step(|m, now| assert!(!m.remove(now, "nope")));
    assert_eq!(r.alert_users(), ["b"]);
    r.step(|m, now| assert_eq!(m.clear(now), 1));
    assert!(r.alert_users().is_empty());
    let mut ids = vec![];
    r.step(|m, now| ids = m.replay(now, 2));
    assert_eq!(ids.len(), 2);
    assert_eq!(
        r.alert_users(),
        ["a", "b"],
        "the last two shown, oldest first"
    );
    assert_eq!(r.state()["alerts"][0]["data"]["replay"], true);
    let mut forced = None;
    r.step(|m, now| forced = m.force_content(now, "emote_stats", json!({"note": "look"}), 30_000));
    let s = r.state();
    let o = s["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| Some(a["id"].as_str().unwrap()) == forced.as_deref())
        .unwrap();
    assert_eq!(o["type"], "manual_override");
    assert_eq!(o["layer"], "foreground");
    assert_eq!(o["data"], json!({"type": "emote_stats", "note": "look"}));
}

#[test]
fn restart_resumes_mid_display_and_drops_expired() {
    let mut r = Rig::new();
    r.event("channel.follow", follow("Ann"));
    r.event("channel.follow", follow("Bob"));
    r.event("channel.update", json!({"broadcaster_user_id": "12826", "category_id": "1469308723", "category_name": "Software and Game Development"}));
    let e = ev(
        "stream.takeover_started",
        json!({"takeover_type": "screen-cover", "duration": 0}),
    );
    r.step(|m, now| m.on_event(now, &e));
    let saved = serde_json::to_string(&r.m).unwrap();

    let mut back: Machine = serde_json::from_str(&saved).unwrap();
    assert!(back.restored(t(3_000)).is_empty());
    let s = back.stream_state(t(3_000));
    check_state(&s);
    assert_eq!(s["current_show"], "coding");
    assert_eq!(s["alerts"][0]["data"]["user_name"], "Ann");
    assert_eq!(
        back.queue.next_end(),
        Some(t(10_000)),
        "mid-display: the time left, by the wall clock"
    );
    assert!(back.takeover.is_some());
    assert_eq!(back.version, r.m.version, "versions continue");

    let mut late: Machine = serde_json::from_str(&saved).unwrap();
    let gone = late.restored(t(12_000));
    assert_eq!(gone.len(), 1);
    let s = late.stream_state(t(12_000));
    assert_eq!(
        s["alerts"].as_array().unwrap().len(),
        1,
        "the expired alert is not replayed"
    );
    assert_eq!(s["alerts"][0]["data"]["user_name"], "Bob");
    assert_eq!(late.queue.next_end(), Some(t(22_000)));
}

#[test]
fn coalescing_finds_the_newest_alert_in_the_window_behind_a_backlog() {
    let mut r = Rig::new();
    r.event("channel.follow", follow("Ann")); // on screen
    r.event("channel.follow", follow("Xi")); // A, waiting behind Ann
    r.now = t(12_000); // Ann done, Xi on screen; Xi follows again: B (A is out of the window)
    r.event("channel.cheer", json!({"user_id": "9", "user_name": "Big", "user_login": "big", "bits": 1,
        "is_anonymous": false, "broadcaster_user_id": "12826", "broadcaster_user_login": "avalonstar"}));
    r.event("channel.follow", follow("Xi"));
    r.now = t(14_000);
    r.event("channel.follow", follow("Xi")); // merges into B, not a third Xi alert
    let xi: Vec<Value> = r.state()["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["data"]["user_name"] == "Xi")
        .cloned()
        .collect();
    assert_eq!(xi.len(), 2, "{xi:#?}");
    assert_eq!(xi[1]["data"]["count"], 2);
}

#[test]
fn huge_counts_saturate_instead_of_overflowing() {
    let mut r = Rig::new();
    let cheer = json!({"user_id": "9", "user_name": "Big", "user_login": "big", "bits": u64::MAX,
        "is_anonymous": false, "broadcaster_user_id": "12826", "broadcaster_user_login": "avalonstar"});
    let e = ev("channel.cheer", cheer);
    r.step(|m, now| m.on_event(now, &e));
    r.step(|m, now| m.on_event(now, &e));
    assert_eq!(r.state()["alerts"][0]["data"]["bits"], u64::MAX);
}

#[test]
fn a_checkpoint_needs_passed_true() {
    let mut r = Rig::new();
    r.event("channel.update", json!({"broadcaster_user_id": "12826", "category_id": "13332", "category_name": "Pokémon FireRed/LeafGreen"}));
    r.event("ironmon.run_started", json!({"seed_id": 7}));
    r.event(
        "ironmon.run_checkpoint",
        json!({"seed_id": 7, "checkpoint": "BROCK"}),
    );
    assert!(r.alert_users().is_empty());
    assert_eq!(r.state()["base"]["data"]["checkpoints_cleared"], 0);
}

#[test]
fn alert_settings_decide_what_goes_on_air() {
    use crate::producer::alert_settings::{sample_event, STYLES};
    let mut r = Rig::new();
    let none = |_: &str| false;
    let s = &mut r.m.alert_settings;
    s.update("follow", &json!({"enabled": false}), false, none)
        .unwrap();
    s.update(
        "cheer",
        &json!({"min_amount": 100, "duration_ms": 4000}),
        false,
        none,
    )
    .unwrap();
    s.update("resub", &json!({"min_amount": 6}), false, none)
        .unwrap();
    let cheer = |user: &str, bits: u64| {
        json!({"user_id": "3", "user_login": user.to_lowercase(), "user_name": user, "bits": bits,
               "broadcaster_user_id": "12826", "broadcaster_user_login": "avalonstar"})
    };
    r.event("channel.follow", json!({"user_id": "1", "user_login": "ann", "user_name": "Ann",
                                      "broadcaster_user_id": "12826", "broadcaster_user_login": "avalonstar"}));
    r.event("channel.cheer", cheer("Small", 99));
    r.event("channel.cheer", cheer("Big", 100));
    assert_eq!(
        r.alert_users(),
        ["Big"],
        "follows off, cheers from 100 bits"
    );
    let s = r.state();
    assert_eq!(s["alerts"][0]["duration"], 4000);
    assert_eq!(s["alerts"][0]["data"]["style"], "cheer");
    // Both still reach the timeline: the settings decide the alert, not the record.
    assert_eq!(s["timeline"].as_array().unwrap().len(), 3);
    // A resub under the minimum months starts no sub train.
    let mut resub = sub("Cy", false);
    resub["cumulative_months"] = json!(3);
    r.event("channel.subscription.message", resub);
    assert!(r.state()["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["type"] != "sub_train"));

    // Every style's test event passes the pipeline's schema, and goes on air without
    // touching today's figures or the timeline.
    let mut fresh = Rig::new();
    fresh
        .m
        .alert_settings
        .update("cheer", &json!({"min_amount": 0}), false, none)
        .unwrap();
    for style in STYLES {
        let (kind, data) = sample_event(style, Some("Tess"), Some(7), Some("hello")).unwrap();
        crate::pipeline::validate::validate(kind, &data)
            .unwrap_or_else(|e| panic!("{style}: {kind} refused: {e:?}"));
        fresh.event(kind, data);
    }
    let s = fresh.state();
    assert!(
        s["timeline"].as_array().unwrap().is_empty(),
        "{}",
        s["timeline"]
    );
    assert_eq!(
        fresh.m.content.content("daily_stats", fresh.now)["total_follows"],
        0
    );
    let styles: Vec<&str> = s["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["data"]["style"].as_str())
        .collect();
    // The sub and the resub share one train, styled by its latest.
    for want in [
        "follow",
        "gift",
        "cheer",
        "raid",
        "redemption",
        "hype_train",
        "resub",
    ] {
        assert!(styles.contains(&want), "{want} in {styles:?}");
    }
    assert!(sample_event("nope", None, None, None).is_none());
}
