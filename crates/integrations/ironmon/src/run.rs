//! The run tracker: which seed (attempt) is being played, which checkpoints it has
//! cleared, and the history behind clear rates. Pure: it is told messages and says
//! what to store ([`Write`]) and which run events to publish; the I/O task does both.
//!
//! A `seed` message starts a run (a repeated count resumes it: a tracker that
//! reconnects resends its seed). A `checkpoint` whose name is one of the challenge's
//! clears it (once). A lost battle ends the run: the checkpoint it was heading for is
//! recorded as failed, so clear rates count the runs that died before it.

use serde_json::{json, Value};
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    pub id: i64,
    pub name: String,
    pub trainer: String,
    pub order: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Challenge {
    pub id: i64,
    pub name: String,
    /// In order.
    pub checkpoints: Vec<Checkpoint>,
}

/// What the store holds, read once at start.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    pub challenge: Challenge,
    /// Seeds on record.
    pub attempts: i64,
    /// Per checkpoint id: `(cleared, attempted)`.
    pub rates: Vec<(i64, i64, i64)>,
    /// The latest seed: its id, cleared checkpoint ids, and why it ended (if it did).
    pub current: Option<(i64, Vec<i64>, Option<String>)>,
}

/// A row to store.
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    Seed {
        seed: i64,
        challenge_id: i64,
    },
    Result {
        seed: i64,
        checkpoint_id: i64,
        passed: bool,
    },
    Ended {
        seed: i64,
        reason: String,
    },
}

#[derive(Debug, Clone, Default, PartialEq)]
struct Run {
    seed: i64,
    cleared: Vec<i64>,
    ended: Option<String>,
    location: Option<Value>,
    team: Option<Value>,
    battle: Option<Value>,
    last_battle: Option<Value>,
}

pub struct Tracker {
    challenge: Challenge,
    attempts: i64,
    rates: HashMap<i64, (i64, i64)>,
    run: Option<Run>,
}

/// What one message did: rows to store and run events to publish.
#[derive(Debug, Default, PartialEq)]
pub struct Outcome {
    pub writes: Vec<Write>,
    pub events: Vec<(&'static str, Value)>,
}

fn pct(n: i64, d: i64) -> Option<f64> {
    (d > 0).then(|| (n as f64 * 1000.0 / d as f64).round() / 10.0)
}

impl Tracker {
    pub fn new(l: Loaded) -> Tracker {
        Tracker {
            attempts: l.attempts,
            rates: l.rates.iter().map(|(id, w, t)| (*id, (*w, *t))).collect(),
            run: l.current.map(|(seed, cleared, ended)| Run {
                seed,
                cleared,
                ended,
                ..Run::default()
            }),
            challenge: l.challenge,
        }
    }

    fn checkpoint_by_id(&self, id: i64) -> Option<&Checkpoint> {
        self.challenge.checkpoints.iter().find(|c| c.id == id)
    }

    /// The first checkpoint (in order) the run has not cleared.
    fn next(&self, run: &Run) -> Option<&Checkpoint> {
        self.challenge
            .checkpoints
            .iter()
            .find(|c| !run.cleared.contains(&c.id))
    }

    /// The live seed, if a run is being played.
    pub fn active_seed(&self) -> Option<i64> {
        self.run
            .as_ref()
            .filter(|r| r.ended.is_none())
            .map(|r| r.seed)
    }

    pub fn seed(&mut self, count: i64) -> Outcome {
        let mut out = Outcome::default();
        if self.run.as_ref().is_some_and(|r| r.seed == count) {
            return out; // a reconnecting tracker resends its seed
        }
        self.attempts += 1;
        self.run = Some(Run {
            seed: count,
            ..Run::default()
        });
        out.writes.push(Write::Seed {
            seed: count,
            challenge_id: self.challenge.id,
        });
        out.events.push((
            "ironmon.run_started",
            json!({"seed_id": count, "challenge_id": self.challenge.id,
                   "challenge_name": self.challenge.name, "run": self.view()}),
        ));
        out
    }

    pub fn checkpoint(&mut self, name: &str) -> Outcome {
        let mut out = Outcome::default();
        let Some(cp) = self
            .challenge
            .checkpoints
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
            .cloned()
        else {
            return out;
        };
        let Some(run) = self.run.as_mut().filter(|r| r.ended.is_none()) else {
            return out;
        };
        if run.cleared.contains(&cp.id) {
            return out;
        }
        run.cleared.push(cp.id);
        let seed = run.seed;
        let e = self.rates.entry(cp.id).or_default();
        e.0 += 1;
        e.1 += 1;
        out.writes.push(Write::Result {
            seed,
            checkpoint_id: cp.id,
            passed: true,
        });
        let cleared = self.run.as_ref().map_or(0, |r| r.cleared.len());
        out.events.push((
            "ironmon.run_checkpoint",
            json!({"seed_id": seed, "checkpoint": cp.name, "checkpoint_id": cp.id,
                   "trainer": cp.trainer, "passed": true, "checkpoints_cleared": cleared,
                   "total_checkpoints": self.challenge.checkpoints.len(), "run": self.view()}),
        ));
        out
    }

    pub fn location(&mut self, fields: Value) {
        if let Some(r) = &mut self.run {
            r.location = Some(fields);
        }
    }

    pub fn team(&mut self, team: Value) {
        if let Some(r) = &mut self.run {
            r.team = Some(team);
        }
    }

    pub fn battle_start(&mut self, trainer: &str, pokemon: Value) {
        if let Some(r) = &mut self.run {
            r.battle = Some(json!({"trainer": trainer, "pokemon": pokemon}));
        }
    }

    /// A battle's end; a loss ends the run.
    pub fn battle_end(&mut self, result: &str) -> Outcome {
        let mut out = Outcome::default();
        let next = self.run.as_ref().and_then(|r| self.next(r)).cloned();
        let Some(run) = self.run.as_mut().filter(|r| r.ended.is_none()) else {
            return out;
        };
        let trainer = run
            .battle
            .take()
            .and_then(|b| b["trainer"].as_str().map(str::to_owned));
        run.last_battle = Some(json!({"trainer": trainer, "result": result}));
        if result != "loss" {
            return out;
        }
        let reason = match &trainer {
            Some(t) => format!("lost to {t}"),
            None => "lost a battle".to_string(),
        };
        run.ended = Some(reason.clone());
        let seed = run.seed;
        let cleared = run.cleared.len();
        if let Some(cp) = &next {
            self.rates.entry(cp.id).or_default().1 += 1;
            out.writes.push(Write::Result {
                seed,
                checkpoint_id: cp.id,
                passed: false,
            });
        }
        out.writes.push(Write::Ended {
            seed,
            reason: reason.clone(),
        });
        out.events.push((
            "ironmon.run_ended",
            json!({"seed_id": seed, "reason": reason, "trainer": trainer,
                   "checkpoint": next.as_ref().map(|c| c.name.clone()),
                   "checkpoints_cleared": cleared, "run": self.view()}),
        ));
        out
    }

    /// The run as overlays and the ticker show it.
    pub fn view(&self) -> Value {
        let total = self.challenge.checkpoints.len() as i64;
        let Some(run) = &self.run else {
            return json!({"active": false, "run_number": null, "attempts": self.attempts,
                          "total_checkpoints": total, "checkpoints_cleared": 0,
                          "challenge": self.challenge.name,
                          "message": "Start a new IronMON run!"});
        };
        let cleared = run.cleared.len() as i64;
        let last = run
            .cleared
            .iter()
            .filter_map(|id| self.checkpoint_by_id(*id))
            .max_by_key(|c| c.order);
        let next = self.next(run);
        let rate = |c: &Checkpoint| {
            let (w, t) = self.rates.get(&c.id).copied().unwrap_or_default();
            pct(w, t)
        };
        let checkpoints: Vec<Value> = self
            .challenge
            .checkpoints
            .iter()
            .map(|c| {
                json!({"id": c.id, "name": c.name, "trainer": c.trainer, "order": c.order,
                            "cleared": run.cleared.contains(&c.id), "clear_rate": rate(c)})
            })
            .collect();
        json!({
            "active": run.ended.is_none(),
            "run_number": run.seed,
            "challenge": self.challenge.name,
            "attempts": self.attempts,
            "checkpoints_cleared": cleared,
            "total_checkpoints": total,
            "progress_percentage": pct(cleared, total).unwrap_or(0.0),
            "current_checkpoint": last.map(|c| c.name.as_str()).unwrap_or("Starting out"),
            "next_checkpoint": next.map(|c| json!({"name": c.name, "trainer": c.trainer,
                                                   "clear_rate": rate(c)})),
            "trainer": next.map(|c| c.trainer.as_str()),
            "clear_rate": next.and_then(rate),
            "location": run.location,
            "team": run.team,
            "battle": run.battle,
            "last_battle": run.last_battle,
            "ended": run.ended,
            "checkpoints": checkpoints,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn challenge() -> Challenge {
        let names = [
            ("LAB", "None"),
            ("RIVAL1", "Rival"),
            ("BROCK", "Brock"),
            ("MISTY", "Misty"),
        ];
        Challenge {
            id: 1,
            name: "Kaizo IronMON".into(),
            checkpoints: names
                .iter()
                .enumerate()
                .map(|(i, (n, t))| Checkpoint {
                    id: i as i64 + 1,
                    name: n.to_string(),
                    trainer: t.to_string(),
                    order: i as i64 + 1,
                })
                .collect(),
        }
    }

    fn fresh() -> Tracker {
        Tracker::new(Loaded {
            challenge: challenge(),
            attempts: 0,
            rates: vec![],
            current: None,
        })
    }

    #[test]
    fn a_run_starts_clears_and_ends_with_a_loss() {
        let mut t = fresh();
        assert_eq!(t.view()["active"], false);
        let o = t.seed(7);
        assert_eq!(
            o.writes,
            vec![Write::Seed {
                seed: 7,
                challenge_id: 1
            }]
        );
        assert_eq!(o.events[0].0, "ironmon.run_started");
        assert!(t.seed(7).events.is_empty(), "a resent seed is the same run");
        assert_eq!(t.checkpoint("lab").events[0].1["checkpoint"], "LAB");
        assert!(t.checkpoint("LAB").events.is_empty(), "cleared once");
        assert!(t.checkpoint("NOWHERE").events.is_empty());
        t.checkpoint("RIVAL1");
        let v = t.view();
        assert_eq!(v["checkpoints_cleared"], 2);
        assert_eq!(v["progress_percentage"], 50.0);
        assert_eq!(v["current_checkpoint"], "RIVAL1");
        assert_eq!(v["next_checkpoint"]["name"], "BROCK");
        assert_eq!(v["clear_rate"], Value::Null, "no history for BROCK yet");
        t.battle_start("Brock", json!([{"name": "Onix"}]));
        assert!(t.battle_end("win").events.is_empty());
        t.battle_start("Brock", json!([]));
        let end = t.battle_end("loss");
        assert_eq!(
            end.writes,
            vec![
                Write::Result {
                    seed: 7,
                    checkpoint_id: 3,
                    passed: false
                },
                Write::Ended {
                    seed: 7,
                    reason: "lost to Brock".into()
                }
            ]
        );
        assert_eq!(end.events[0].0, "ironmon.run_ended");
        assert_eq!(end.events[0].1["checkpoint"], "BROCK");
        assert_eq!(t.view()["active"], false);
        assert!(
            t.checkpoint("BROCK").events.is_empty(),
            "an ended run clears nothing"
        );
        assert!(t.battle_end("loss").events.is_empty(), "it ends once");
        // The next run sees BROCK's history: attempted once, never cleared.
        t.seed(8);
        t.checkpoint("LAB");
        t.checkpoint("RIVAL1");
        let v = t.view();
        assert_eq!(v["attempts"], 2);
        assert_eq!(v["clear_rate"], 0.0);
        assert_eq!(v["checkpoints"][0]["clear_rate"], 100.0);
    }

    #[test]
    fn state_comes_back_from_the_store() {
        let t = Tracker::new(Loaded {
            challenge: challenge(),
            attempts: 12,
            rates: vec![(3, 1, 4)],
            current: Some((12, vec![1, 2], None)),
        });
        let v = t.view();
        assert_eq!(
            (v["run_number"].clone(), v["checkpoints_cleared"].clone()),
            (json!(12), json!(2))
        );
        assert_eq!(v["clear_rate"], 25.0);
        assert_eq!(t.active_seed(), Some(12));
    }
}
