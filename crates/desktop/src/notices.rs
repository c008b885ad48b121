//! Which notifications to raise, and when to keep quiet. Pure, with the clock passed
//! in: the tests step time by hand.
//!
//! Rules:
//! - A *condition* (a failed service, Twitch needing a login, OBS disconnected,
//!   frames dropped above the threshold, the hub out of reach) is announced once when
//!   it starts, never again on later polls while it lasts.
//! - A condition shows only after its grace: a probed service that is down for a
//!   moment while nurvus restarts it says nothing; one nurvus gave up on shows at once.
//! - One that clears and comes back within [`Rules::quiet_after_clear`] stays silent
//!   (a flapping link is one notification, not one per flap).
//! - Per kind at most one notification per [`Rules::per_kind_gap`]; conditions of a
//!   kind that start together are one notification naming them all.
//! - A muted kind never shows.
//! - While the hub is out of reach nothing else is known: the other conditions are
//!   kept as they were, so its return does not announce them again.

use crate::health::{class, Level, Snapshot, PROBED};
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    ServiceFailed,
    TwitchLogin,
    ObsDisconnected,
    DroppedFrames,
    HubUnreachable,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::ServiceFailed,
        Kind::TwitchLogin,
        Kind::ObsDisconnected,
        Kind::DroppedFrames,
        Kind::HubUnreachable,
    ];

    /// The name in the settings file's `muted` list.
    pub fn key(self) -> &'static str {
        match self {
            Kind::ServiceFailed => "service_failed",
            Kind::TwitchLogin => "twitch_login",
            Kind::ObsDisconnected => "obs_disconnected",
            Kind::DroppedFrames => "dropped_frames",
            Kind::HubUnreachable => "hub_unreachable",
        }
    }

    /// The menu's words for muting it.
    pub fn label(self) -> &'static str {
        match self {
            Kind::ServiceFailed => "A service failed",
            Kind::TwitchLogin => "Twitch needs a login",
            Kind::ObsDisconnected => "OBS disconnected",
            Kind::DroppedFrames => "Dropped frames",
            Kind::HubUnreachable => "The hub is out of reach",
        }
    }

    pub fn from_key(k: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|x| x.key() == k)
    }
}

/// Something wrong now.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub kind: Kind,
    /// Tells one condition of a kind from another (`service_failed:streaming/seed`).
    pub key: String,
    /// The short words for it (`phononmaser on streaming failed: exited 3 times`).
    pub what: String,
    /// How long it must last before it is announced.
    pub grace: Duration,
}

/// A notification to show.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub kind: Kind,
    pub title: String,
    pub body: String,
}

#[derive(Debug, Clone)]
pub struct Rules {
    pub muted: BTreeSet<Kind>,
    pub per_kind_gap: Duration,
    pub quiet_after_clear: Duration,
    /// Dropped frames above this share (percent) of the frames between two polls.
    pub dropped_percent: f64,
    /// A process restarted this many times within `crash_window` is crash-looping.
    pub crash_restarts: u64,
    pub crash_window: Duration,
    /// How long a probed service (phononmaser, seed) may be down unannounced.
    pub probe_grace: Duration,
}

impl Default for Rules {
    fn default() -> Rules {
        Rules {
            muted: BTreeSet::new(),
            per_kind_gap: Duration::from_secs(30),
            quiet_after_clear: Duration::from_secs(600),
            dropped_percent: 2.0,
            crash_restarts: 3,
            crash_window: Duration::from_secs(300),
            probe_grace: Duration::from_secs(20),
        }
    }
}

/// At least this many frames between two polls before a share is judged.
const MIN_FRAMES: u64 = 60;
/// Restart counts kept per process for the crash-loop rule.
const RESTART_SAMPLES: usize = 32;

#[derive(Debug, Default)]
pub struct Notifier {
    pub rules: Rules,
    /// Conditions now, by key: when each was first seen, and whether it was announced
    /// (or folded into an announcement, or silenced).
    active: BTreeMap<String, (Condition, Instant, bool)>,
    cleared: HashMap<String, Instant>,
    last_sent: HashMap<Kind, Instant>,
    /// OBS's (skipped, total) output frames at the previous poll.
    frames: Option<(u64, u64)>,
    /// Per `machine/process`: (when, restarts) samples, oldest first.
    restarts: HashMap<String, VecDeque<(Instant, u64)>>,
}

impl Notifier {
    pub fn new(rules: Rules) -> Notifier {
        Notifier {
            rules,
            ..Notifier::default()
        }
    }

    /// What is wrong in this poll.
    pub fn conditions(&mut self, s: &Snapshot, now: Instant) -> Vec<Condition> {
        let mut out = vec![];
        let cond = |kind, key: String, what: String, grace| Condition {
            kind,
            key,
            what,
            grace,
        };
        if let Err(why) = &s.hub {
            out.push(cond(
                Kind::HubUnreachable,
                "hub".into(),
                format!("The hub cannot be reached: {why}"),
                Duration::from_secs(10),
            ));
            return out;
        }
        let services = &s.health["services"];
        let status = |k: &str| services[k]["status"].as_str().unwrap_or("").to_string();
        if status("twitch") == "needs_login" {
            out.push(cond(
                Kind::TwitchLogin,
                "twitch".into(),
                "Twitch needs a login: open the dashboard's Twitch panel".into(),
                Duration::ZERO,
            ));
        }
        let obs = &services["obs"];
        if !obs.is_null() && obs["connected"] == false && class(&status("obs")) != Level::Off {
            let why = obs["last_error"].as_str().unwrap_or("OBS is not connected");
            out.push(cond(
                Kind::ObsDisconnected,
                "obs".into(),
                format!("OBS disconnected: {why}"),
                Duration::from_secs(5),
            ));
        }
        for name in PROBED {
            let e = &services[name];
            if !e.is_null() && class(&status(name)) == Level::Down && !s.never_up(name) {
                let why = e["error"].as_str().unwrap_or("not answering");
                out.push(cond(
                    Kind::ServiceFailed,
                    format!("probe:{name}"),
                    format!("{name} is down: {why}"),
                    self.rules.probe_grace,
                ));
            }
        }
        self.fleet(s, now, &mut out);
        self.dropped(s, &mut out);
        out
    }

    fn fleet(&mut self, s: &Snapshot, now: Instant, out: &mut Vec<Condition>) {
        let empty = vec![];
        for m in s.fleet["machines"].as_array().unwrap_or(&empty) {
            let machine = m["name"].as_str().unwrap_or_default();
            if m["reachable"] != true {
                // "not read yet" is the hub's first moments, not a fault.
                if m["error"] != "not read yet" {
                    out.push(Condition {
                        kind: Kind::ServiceFailed,
                        key: format!("machine:{machine}"),
                        what: format!(
                            "nurvus on {machine} is out of reach: {}",
                            m["error"].as_str().unwrap_or("unreachable")
                        ),
                        grace: self.rules.probe_grace,
                    });
                }
                continue;
            }
            for p in m["processes"].as_array().unwrap_or(&empty) {
                let id = p["id"].as_str().unwrap_or_default();
                let key = format!("{machine}/{id}");
                let why = p["error"]
                    .as_str()
                    .or(p["last_exit"].as_str())
                    .map(|w| format!(": {w}"))
                    .unwrap_or_default();
                // One condition per process, crash-looping or given up on: a loop
                // that ends in nurvus giving up is the same failure, said once.
                if p["status"] == "failed" {
                    out.push(Condition {
                        kind: Kind::ServiceFailed,
                        key: format!("process:{key}"),
                        what: format!("{id} on {machine} failed{why}"),
                        grace: Duration::ZERO,
                    });
                    continue;
                }
                if let Some(n) = p["restarts"].as_u64() {
                    let window = self.rules.crash_window;
                    let samples = self.restarts.entry(key.clone()).or_default();
                    samples.push_back((now, n));
                    while samples.len() > RESTART_SAMPLES
                        || samples
                            .front()
                            .is_some_and(|(t, _)| now.duration_since(*t) > window)
                    {
                        samples.pop_front();
                    }
                    let oldest = samples.front().map_or(n, |(_, r)| *r);
                    if n.saturating_sub(oldest) >= self.rules.crash_restarts {
                        out.push(Condition {
                            kind: Kind::ServiceFailed,
                            key: format!("process:{key}"),
                            what: format!(
                                "{id} on {machine} is crash-looping: restarted {} times in {} min",
                                n - oldest,
                                window.as_secs() / 60
                            ),
                            grace: Duration::ZERO,
                        });
                    }
                }
            }
        }
    }

    fn dropped(&mut self, s: &Snapshot, out: &mut Vec<Condition>) {
        let stats = &s.obs["obs_internal"];
        let streaming = s.obs["service_state"]["streaming"]["active"] == true;
        let now = stats["output_skipped_frames"]
            .as_u64()
            .zip(stats["output_total_frames"].as_u64());
        let before = std::mem::replace(&mut self.frames, now);
        let (Some((s0, t0)), Some((s1, t1)), true) = (before, now, streaming) else {
            return;
        };
        // Counters restart with OBS (or the output): judge only a forward step.
        if t1 < t0 || s1 < s0 || t1 - t0 < MIN_FRAMES {
            return;
        }
        let share = (s1 - s0) as f64 * 100.0 / (t1 - t0) as f64;
        if share > self.rules.dropped_percent {
            out.push(Condition {
                kind: Kind::DroppedFrames,
                key: "dropped".into(),
                what: format!(
                    "OBS dropped {share:.1} % of frames ({} of {}), above {} %",
                    s1 - s0,
                    t1 - t0,
                    self.rules.dropped_percent
                ),
                grace: Duration::ZERO,
            });
        }
    }

    /// Fold one poll in; the notifications to show now.
    pub fn observe(&mut self, s: &Snapshot, now: Instant) -> Vec<Notice> {
        let conditions = self.conditions(s, now);
        let hub_down = s.hub.is_err();
        let keys: BTreeSet<String> = conditions.iter().map(|c| c.key.clone()).collect();
        // Cleared conditions (all of them when the hub answers again; only the hub's
        // own while it is out of reach, since nothing else is known then).
        let gone: Vec<String> = self
            .active
            .keys()
            .filter(|k| !keys.contains(*k) && (!hub_down || *k == "hub"))
            .cloned()
            .collect();
        for k in gone {
            if let Some((_, _, announced)) = self.active.remove(&k) {
                if announced {
                    self.cleared.insert(k, now);
                }
            }
        }
        for c in conditions {
            self.active
                .entry(c.key.clone())
                .and_modify(|(old, _, _)| *old = c.clone())
                .or_insert_with(|| (c, now, false));
        }
        // Due: past their grace, not yet announced.
        let mut due: BTreeMap<Kind, Vec<String>> = BTreeMap::new();
        for (key, (c, since, announced)) in &mut self.active {
            if *announced || now.duration_since(*since) < c.grace {
                continue;
            }
            let flapping = self
                .cleared
                .get(key)
                .is_some_and(|t| now.duration_since(*t) < self.rules.quiet_after_clear);
            if flapping || self.rules.muted.contains(&c.kind) {
                *announced = true;
                continue;
            }
            let gap_open = self
                .last_sent
                .get(&c.kind)
                .is_none_or(|t| now.duration_since(*t) >= self.rules.per_kind_gap);
            if gap_open {
                *announced = true;
                due.entry(c.kind).or_default().push(c.what.clone());
            }
        }
        self.cleared
            .retain(|_, t| now.duration_since(*t) < self.rules.quiet_after_clear);
        due.into_iter()
            .map(|(kind, whats)| {
                self.last_sent.insert(kind, now);
                let title = match (kind, whats.len()) {
                    (Kind::ServiceFailed, 1) => "A Landale service failed".to_string(),
                    (Kind::ServiceFailed, n) => format!("{n} Landale services failed"),
                    (k, _) => k.label().to_string(),
                };
                Notice {
                    kind,
                    title,
                    body: whats.join("\n"),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn snapshot(processes: Value) -> Snapshot {
        Snapshot {
            hub: Ok(()),
            health: json!({"services": {
                "obs": {"connected": true, "status": "healthy"},
                "twitch": {"connected": true, "status": "healthy"},
                "phononmaser": {"connected": true, "status": "healthy"},
                "seed": {"connected": true, "status": "healthy"}}}),
            fleet: json!({"machines": [{"name": "streaming", "reachable": true, "processes": processes}]}),
            queue: Value::Null,
            obs: Value::Null,
            seen_up: PROBED.iter().map(|k| k.to_string()).collect(),
        }
    }

    fn failed(id: &str) -> Value {
        json!({"id": id, "status": "failed", "error": "exited 3 times in 60 s", "restarts": 3})
    }

    fn running(id: &str, restarts: u64) -> Value {
        json!({"id": id, "status": "running", "restarts": restarts})
    }

    fn step(t: &mut Instant, secs: u64) -> Instant {
        *t += Duration::from_secs(secs);
        *t
    }

    #[test]
    fn a_failure_is_one_notification_however_many_polls_see_it() {
        let mut n = Notifier::new(Rules::default());
        let mut t = Instant::now();
        assert!(n
            .observe(&snapshot(json!([running("seed", 0)])), t)
            .is_empty());
        let down = snapshot(json!([failed("seed")]));
        let first = n.observe(&down, step(&mut t, 5));
        assert_eq!(
            first,
            vec![Notice {
                kind: Kind::ServiceFailed,
                title: "A Landale service failed".into(),
                body: "seed on streaming failed: exited 3 times in 60 s".into(),
            }]
        );
        for _ in 0..100 {
            assert!(n.observe(&down, step(&mut t, 5)).is_empty());
        }
    }

    #[test]
    fn failures_that_start_together_are_one_notification() {
        let mut n = Notifier::new(Rules::default());
        let t = Instant::now();
        let out = n.observe(&snapshot(json!([failed("seed"), failed("phononmaser")])), t);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].title, "2 Landale services failed");
        assert_eq!(out[0].body.lines().count(), 2);
    }

    #[test]
    fn a_second_failure_of_a_kind_waits_out_the_gap_then_shows() {
        let mut n = Notifier::new(Rules::default());
        let mut t = Instant::now();
        assert_eq!(n.observe(&snapshot(json!([failed("seed")])), t).len(), 1);
        let both = snapshot(json!([failed("seed"), failed("phononmaser")]));
        assert!(n.observe(&both, step(&mut t, 10)).is_empty());
        let later = n.observe(&both, step(&mut t, 25));
        assert_eq!(later.len(), 1);
        assert!(later[0].body.starts_with("phononmaser"), "{later:?}");
    }

    #[test]
    fn a_flapping_condition_is_announced_once_until_quiet_for_ten_minutes() {
        let mut n = Notifier::new(Rules::default());
        let mut t = Instant::now();
        let (up, down) = (
            snapshot(json!([running("seed", 0)])),
            snapshot(json!([failed("seed")])),
        );
        assert_eq!(n.observe(&down, t).len(), 1);
        for _ in 0..5 {
            assert!(n.observe(&up, step(&mut t, 60)).is_empty());
            assert!(n.observe(&down, step(&mut t, 60)).is_empty());
        }
        assert!(n.observe(&up, step(&mut t, 5)).is_empty());
        assert_eq!(n.observe(&down, step(&mut t, 601)).len(), 1);
    }

    #[test]
    fn a_probed_service_down_for_a_moment_says_nothing() {
        let mut n = Notifier::new(Rules::default());
        let mut t = Instant::now();
        let mut s = snapshot(json!([]));
        s.health["services"]["seed"] =
            json!({"connected": false, "status": "unhealthy", "error": "Service unreachable"});
        assert!(n.observe(&s, t).is_empty());
        assert!(n.observe(&s, step(&mut t, 10)).is_empty());
        let ok = snapshot(json!([]));
        assert!(n.observe(&ok, step(&mut t, 5)).is_empty());
        // Down for longer than the grace: announced once.
        assert!(n.observe(&s, step(&mut t, 5)).is_empty());
        let out = n.observe(&s, step(&mut t, 21));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].body, "seed is down: Service unreachable");
        // One this run of the app never saw up is not running here: no notification.
        let mut n = Notifier::new(Rules::default());
        s.seen_up.clear();
        assert!(n.observe(&s, t).is_empty());
        assert!(n.observe(&s, step(&mut t, 60)).is_empty());
    }

    #[test]
    fn restarts_piling_up_are_a_crash_loop() {
        let mut n = Notifier::new(Rules::default());
        let mut t = Instant::now();
        assert!(n
            .observe(&snapshot(json!([running("seed", 1)])), t)
            .is_empty());
        assert!(n
            .observe(&snapshot(json!([running("seed", 2)])), step(&mut t, 30))
            .is_empty());
        let out = n.observe(&snapshot(json!([running("seed", 4)])), step(&mut t, 30));
        assert_eq!(out.len(), 1);
        assert_eq!(
            out[0].body,
            "seed on streaming is crash-looping: restarted 3 times in 5 min"
        );
        // Restarts spread over more than the window are not a loop.
        let mut n = Notifier::new(Rules::default());
        for r in 0..10 {
            let s = snapshot(json!([running("seed", r)]));
            assert!(n.observe(&s, step(&mut t, 200)).is_empty(), "restart {r}");
        }
    }

    #[test]
    fn twitch_obs_and_dropped_frames_each_say_what_needs_doing() {
        let mut n = Notifier::new(Rules::default());
        let mut t = Instant::now();
        let mut s = snapshot(json!([]));
        s.health["services"]["twitch"] = json!({"connected": false, "status": "needs_login"});
        s.obs = json!({"service_state": {"streaming": {"active": true}},
                       "obs_internal": {"output_skipped_frames": 10, "output_total_frames": 1000}});
        let out = n.observe(&s, t);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].kind, Kind::TwitchLogin);
        // 30 of 300 frames dropped since the last poll: 10 %.
        s.obs["obs_internal"] = json!({"output_skipped_frames": 40, "output_total_frames": 1300});
        let out = n.observe(&s, step(&mut t, 5));
        assert_eq!(out.len(), 1);
        assert_eq!(
            out[0].body,
            "OBS dropped 10.0 % of frames (30 of 300), above 2 %"
        );
        // 1 of 300: below the threshold, and it clears.
        s.obs["obs_internal"] = json!({"output_skipped_frames": 41, "output_total_frames": 1600});
        assert!(n
            .conditions(&s, t)
            .iter()
            .all(|c| c.kind != Kind::DroppedFrames));
        s.health["services"]["obs"] = json!({"connected": false, "status": "reconnecting", "last_error": "connection refused"});
        assert!(n.observe(&s, step(&mut t, 1)).is_empty(), "grace of 5 s");
        let out = n.observe(&s, step(&mut t, 5));
        assert_eq!(out[0].body, "OBS disconnected: connection refused");
    }

    #[test]
    fn a_muted_kind_never_shows_and_others_still_do() {
        let mut rules = Rules::default();
        rules.muted.insert(Kind::ServiceFailed);
        let mut n = Notifier::new(rules);
        let mut s = snapshot(json!([failed("seed")]));
        s.health["services"]["twitch"] = json!({"connected": false, "status": "needs_login"});
        let out = n.observe(&s, Instant::now());
        assert_eq!(
            out.iter().map(|o| o.kind).collect::<Vec<_>>(),
            [Kind::TwitchLogin]
        );
    }

    #[test]
    fn the_hub_coming_back_does_not_repeat_what_was_already_said() {
        let mut n = Notifier::new(Rules::default());
        let mut t = Instant::now();
        let down = snapshot(json!([failed("seed")]));
        assert_eq!(n.observe(&down, t).len(), 1);
        let gone = Snapshot::unreachable("connection refused");
        assert!(
            n.observe(&gone, step(&mut t, 5)).is_empty(),
            "grace of 10 s"
        );
        let out = n.observe(&gone, step(&mut t, 10));
        assert_eq!(out[0].kind, Kind::HubUnreachable);
        assert!(n.observe(&down, step(&mut t, 5)).is_empty());
    }

    #[test]
    fn kinds_read_back_from_their_keys() {
        for k in Kind::ALL {
            assert_eq!(Kind::from_key(k.key()), Some(k));
        }
        assert_eq!(Kind::from_key("nope"), None);
    }
}
