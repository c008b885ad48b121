//! The fleet: every machine's nurvus (`NURVUS_URLS`), polled for its processes. A
//! machine that does not answer is kept in the view as unreachable with the reason,
//! polled again with backoff and jitter (3 s doubling to 30 s). Each change of the
//! view is a new value on [`Fleet::subscribe`], which the hub pushes to the dashboard.

use crate::Machine;
use landale_core::Backoff;
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
}

fn entry(m: &Machine, reachable: bool, error: Option<String>, processes: Value) -> Value {
    json!({"name": m.name, "url": m.url, "reachable": reachable, "error": error, "processes": processes})
}

impl Fleet {
    pub fn new(machines: Vec<Machine>, http: reqwest::Client) -> Arc<Fleet> {
        let initial = json!({"machines": machines.iter().map(|m| entry(m, false, Some("not read yet".into()), json!([]))).collect::<Vec<_>>()});
        Arc::new(Fleet {
            machines,
            http,
            view: watch::Sender::new(initial),
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

    pub fn url_of(&self, machine: &str) -> Option<&str> {
        self.machines
            .iter()
            .find(|m| m.name == machine)
            .map(|m| m.url.as_str())
    }

    fn set(&self, i: usize, value: Value) {
        self.view.send_if_modified(|v| {
            let slot = &mut v["machines"][i];
            if *slot == value {
                false
            } else {
                *slot = value;
                true
            }
        });
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
