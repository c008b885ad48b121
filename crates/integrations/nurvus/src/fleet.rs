//! The fleet: every machine's nurvus (`NURVUS_URLS`), polled for its processes. A
//! machine that does not answer is kept in the view as unreachable with the reason,
//! polled again with backoff and jitter (3 s doubling to 30 s). Each change of the
//! view is a new value on [`Fleet::subscribe`], which the hub pushes to the dashboard.
//!
//! Each change that matters is also an event through the pipeline ([`changes`]): a
//! process that comes up is `system.service_started`, one that goes down (stopped,
//! failed, restarting) is `system.service_stopped` with the reason, a health change or
//! a machine dropping off (or coming back) is `system.health_check`. The first read of
//! a machine is its starting point, not a change.

use crate::Machine;
use landale_core::{Backoff, Ingest, Input};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How often a reachable machine is read.
pub const POLL: Duration = Duration::from_secs(3);
/// Each request's limit.
pub const TIMEOUT: Duration = Duration::from_secs(5);

pub struct Fleet {
    machines: Vec<Machine>,
    http: reqwest::Client,
    view: watch::Sender<Value>,
    ingest: Arc<dyn Ingest>,
}

fn entry(m: &Machine, reachable: bool, error: Option<String>, processes: Value) -> Value {
    json!({"name": m.name, "url": m.url, "reachable": reachable, "error": error, "processes": processes})
}

impl Fleet {
    pub fn new(
        machines: Vec<Machine>,
        http: reqwest::Client,
        ingest: Arc<dyn Ingest>,
    ) -> Arc<Fleet> {
        let initial = json!({"machines": machines.iter().map(|m| entry(m, false, Some("not read yet".into()), json!([]))).collect::<Vec<_>>()});
        Arc::new(Fleet {
            machines,
            http,
            view: watch::Sender::new(initial),
            ingest,
        })
    }

    pub fn machines(&self) -> &[Machine] {
        &self.machines
    }

    /// `{"machines": [{name, url, reachable, error, processes: [...]}]}`.
    pub fn view(&self) -> Value {
        self.view.borrow().clone()
    }

    pub fn subscribe(&self) -> watch::Receiver<Value> {
        self.view.subscribe()
    }

    /// What to say about a machine name the fleet does not have.
    pub fn unknown(&self, machine: &str) -> String {
        let names: Vec<&str> = self.machines.iter().map(|m| m.name.as_str()).collect();
        format!(
            "Unknown machine {machine:?}: the fleet has {}",
            names.join(", ")
        )
    }

    pub fn url_of(&self, machine: &str) -> Option<&str> {
        self.machines
            .iter()
            .find(|m| m.name == machine)
            .map(|m| m.url.as_str())
    }

    fn set(&self, i: usize, value: Value) {
        let mut events = vec![];
        self.view.send_if_modified(|v| {
            let slot = &mut v["machines"][i];
            if *slot == value {
                false
            } else {
                events = changes(slot, &value);
                *slot = value;
                true
            }
        });
        for e in events {
            if let Err(err) = self.ingest.ingest_event(e) {
                tracing::warn!(error = %err, "fleet event refused");
            }
        }
    }

    async fn read(&self, m: &Machine) -> Result<Value, String> {
        let r = self
            .http
            .get(format!("{}/api/processes", m.url))
            .timeout(TIMEOUT)
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    format!("no answer within {} s", TIMEOUT.as_secs())
                } else if e.is_connect() {
                    format!(
                        "nurvus is not running at {} (or the machine is off the tailnet)",
                        m.url
                    )
                } else {
                    format!("network error: {e}")
                }
            })?;
        if !r.status().is_success() {
            return Err(format!("nurvus answered HTTP {}", r.status().as_u16()));
        }
        let v: Value = r
            .json()
            .await
            .map_err(|e| format!("nurvus answered something that is not JSON: {e}"))?;
        Ok(v["processes"].clone())
    }

    /// Poll every machine until the program ends.
    pub async fn run(self: Arc<Self>) {
        if self.machines.is_empty() {
            return std::future::pending().await;
        }
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..self.machines.len() {
            let f = self.clone();
            tasks.spawn(async move {
                let m = f.machines[i].clone();
                let mut backoff = Backoff::new(POLL, Duration::from_secs(30));
                loop {
                    let wait = match f.read(&m).await {
                        Ok(processes) => {
                            backoff.reset();
                            f.set(i, entry(&m, true, None, processes));
                            POLL
                        }
                        Err(why) => {
                            f.set(i, entry(&m, false, Some(why), json!([])));
                            backoff.next_wait()
                        }
                    };
                    tokio::time::sleep(wait).await;
                }
            });
        }
        while tasks.join_next().await.is_some() {}
    }

    /// A process's last `lines` of output on `machine`.
    pub async fn logs(&self, machine: &str, id: &str, lines: usize) -> Result<Value, String> {
        let url = self
            .url_of(machine)
            .ok_or_else(|| format!("no machine named {machine:?}"))?;
        let r = self
            .http
            .get(format!("{url}/api/processes/{id}/logs?lines={lines}"))
            .timeout(TIMEOUT)
            .send()
            .await
            .map_err(|e| format!("cannot reach nurvus on {machine}: {e}"))?;
        if r.status().as_u16() == 404 {
            return Err(format!("no process {id:?} on {machine}"));
        }
        r.json().await.map_err(|e| e.to_string())
    }
}

/// The events between two views of one machine (`{name, reachable, error, processes}`).
pub fn changes(old: &Value, new: &Value) -> Vec<Input> {
    let machine = new["name"].as_str().unwrap_or_default();
    let first_read = old["error"] == "not read yet";
    let (was, is) = (old["reachable"] == true, new["reachable"] == true);
    if first_read {
        return vec![];
    }
    let nurvus = format!("nurvus@{machine}");
    match (was, is) {
        (true, false) => {
            return vec![Input::new(
                "system.health_check",
                json!({"service": nurvus, "machine": machine, "health_status": "unreachable",
                       "error": new["error"]}),
            )]
        }
        (false, true) => {
            return vec![Input::new(
                "system.health_check",
                json!({"service": nurvus, "machine": machine, "health_status": "healthy"}),
            )]
        }
        (false, false) => return vec![],
        (true, true) => {}
    }
    let empty = vec![];
    let before = old["processes"].as_array().unwrap_or(&empty);
    let mut out = vec![];
    for p in new["processes"].as_array().unwrap_or(&empty) {
        let Some(id) = p["id"].as_str() else { continue };
        let Some(prev) = before.iter().find(|q| q["id"] == id) else {
            continue;
        };
        let service = format!("{machine}/{id}");
        let up = |v: &Value| v["status"] == "running";
        match (up(prev), up(p)) {
            (false, true) => out.push(Input::new(
                "system.service_started",
                json!({"service": service, "machine": machine, "process": id,
                       "pid": p["pid"].as_u64().filter(|n| *n > 0)}),
            )),
            (true, false) => {
                let reason = p["error"]
                    .as_str()
                    .or(p["last_exit"].as_str())
                    .map(|why| format!("{}: {why}", p["status"].as_str().unwrap_or("stopped")))
                    .unwrap_or_else(|| p["status"].as_str().unwrap_or("stopped").to_string());
                out.push(Input::new(
                    "system.service_stopped",
                    json!({"service": service, "machine": machine, "process": id,
                           "state": p["status"], "reason": reason}),
                ));
            }
            _ => {}
        }
        let health = p["health"].as_str().unwrap_or("unknown");
        if up(p) && health != "unknown" && prev["health"] != health {
            out.push(Input::new(
                "system.health_check",
                json!({"service": service, "machine": machine, "process": id,
                       "health_status": health}),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine(reachable: bool, error: Option<&str>, processes: Value) -> Value {
        json!({"name": "saya", "url": "http://saya:4001", "reachable": reachable, "error": error,
               "processes": processes})
    }
    fn kinds(v: &[Input]) -> Vec<(String, Value)> {
        v.iter()
            .map(|i| (i.event_type.clone(), i.data["service"].clone()))
            .collect()
    }

    #[test]
    fn the_first_read_is_a_starting_point_not_a_change() {
        let before = machine(false, Some("not read yet"), json!([]));
        let now = machine(
            true,
            None,
            json!([{"id": "hub", "status": "running", "pid": 7}]),
        );
        assert!(changes(&before, &now).is_empty());
    }

    #[test]
    fn processes_going_up_and_down_are_events_with_reasons() {
        let before = machine(
            true,
            None,
            json!([{"id": "hub", "status": "running", "pid": 7, "health": "healthy"},
                   {"id": "seed", "status": "starting", "health": "unknown"},
                   {"id": "idle", "status": "stopped"}]),
        );
        let now = machine(
            true,
            None,
            json!([{"id": "hub", "status": "failed", "error": "gave up: 5 restarts"},
                   {"id": "seed", "status": "running", "pid": 9, "health": "healthy"},
                   {"id": "idle", "status": "stopped"}, {"id": "new", "status": "running"}]),
        );
        let out = changes(&before, &now);
        assert_eq!(
            kinds(&out),
            vec![
                ("system.service_stopped".into(), json!("saya/hub")),
                ("system.service_started".into(), json!("saya/seed")),
                ("system.health_check".into(), json!("saya/seed")),
            ]
        );
        assert_eq!(out[0].data["reason"], "failed: gave up: 5 restarts");
        assert_eq!(out[1].data["pid"], 9);
    }

    #[test]
    fn a_machine_dropping_off_and_back_is_one_event_each() {
        let up = machine(true, None, json!([{"id": "hub", "status": "running"}]));
        let down = machine(false, Some("no answer within 5 s"), json!([]));
        let gone = changes(&up, &down);
        assert_eq!(
            kinds(&gone),
            vec![("system.health_check".into(), json!("nurvus@saya"))]
        );
        assert_eq!(gone[0].data["health_status"], "unreachable");
        assert_eq!(gone[0].data["error"], "no answer within 5 s");
        let still = machine(false, Some("connection refused"), json!([]));
        assert!(
            changes(&down, &still).is_empty(),
            "no event per failed poll"
        );
        let back = changes(&down, &up);
        assert_eq!(back[0].data["health_status"], "healthy");
        assert_eq!(
            back.len(),
            1,
            "processes are not 'started' by a machine returning"
        );
    }
}
