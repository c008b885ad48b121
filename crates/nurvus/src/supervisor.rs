//! Supervision: one task per process owns its child and alone decides restarts.
//!
//! A child runs in its own process group. Stopping sends the stop command or the stop
//! signal to the group, waits `stop_timeout`, then SIGKILLs the group; after any exit
//! the group is SIGKILLed again, so grandchildren never survive. `auto_restart` waits
//! with backoff and jitter (1 s doubling to 60 s); more than `max_restarts` within
//! `restart_window` leaves the process `failed` until someone starts it. A manual stop
//! never restarts. Commands reach the task over a channel, so a slow stop holds up
//! only its own process.

use crate::config::{Entry, Probe};
use crate::logs::{capture, Ring};
use crate::platform;
use landale_core::Backoff;
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use tokio::process::Child;
use tokio::sync::{mpsc, oneshot, watch};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Stopped,
    Starting,
    Running,
    /// Waiting to restart after an exit.
    Backoff,
    Stopping,
    /// Gave up: too many restarts, or it could not start.
    Failed,
    /// Started by someone else (`process_detection`); watched, not owned.
    External,
}

#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    pub state: State,
    pub pid: Option<u32>,
    pub started_at: Option<String>,
    #[serde(skip)]
    pub started: Option<Instant>,
    pub restarts: u32,
    pub last_exit: Option<String>,
    pub error: Option<String>,
    /// `unknown`, `healthy`, `degraded` or `unhealthy`.
    pub health: &'static str,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CmdError {
    #[error("{0} is already running")]
    AlreadyRunning(String),
    #[error("{0} is not running")]
    NotRunning(String),
    #[error(
        "{id} was started outside nurvus (pid {pid}); nurvus watches it and starts no second copy"
    )]
    External { id: String, pid: u32 },
    #[error("{0}")]
    Refused(String),
}

enum Cmd {
    Start,
    Stop,
    Restart,
    Shutdown,
}

type Reply = oneshot::Sender<Result<&'static str, CmdError>>;

pub struct Proc {
    pub entry: Entry,
    pub snap: watch::Sender<Snapshot>,
    pub logs: Arc<Mutex<Ring>>,
    cmds: mpsc::Sender<(Cmd, Reply)>,
    /// Last CPU sample, for a percentage between two reads.
    cpu: Mutex<Option<(Instant, f64)>>,
}

impl Proc {
    pub fn snapshot(&self) -> Snapshot {
        self.snap.borrow().clone()
    }

    async fn send(&self, c: Cmd) -> Result<&'static str, CmdError> {
        let (tx, rx) = oneshot::channel();
        self.cmds
            .send((c, tx))
            .await
            .map_err(|_| CmdError::Refused("the process is being removed".into()))?;
        rx.await.unwrap_or(Err(CmdError::Refused(
            "the process is being removed".into(),
        )))
    }
    pub async fn start(&self) -> Result<&'static str, CmdError> {
        self.send(Cmd::Start).await
    }
    pub async fn stop(&self) -> Result<&'static str, CmdError> {
        self.send(Cmd::Stop).await
    }
    pub async fn restart(&self) -> Result<&'static str, CmdError> {
        self.send(Cmd::Restart).await
    }

    /// CPU % since the last call (0 the first time), RSS, open fds.
    pub fn usage(&self) -> Option<(f64, platform::Usage)> {
        let pid = self.snap.borrow().pid?;
        let u = platform::usage(pid)?;
        let now = Instant::now();
        let mut last = self.cpu.lock().unwrap_or_else(|p| p.into_inner());
        let pct = match *last {
            Some((t, cpu)) if now > t => {
                ((u.cpu_seconds - cpu) / now.duration_since(t).as_secs_f64() * 100.0).max(0.0)
            }
            _ => 0.0,
        };
        *last = Some((now, u.cpu_seconds));
        Some((pct, u))
    }
}

#[derive(Default)]
pub struct Supervisor {
    procs: RwLock<BTreeMap<String, Arc<Proc>>>,
}

impl Supervisor {
    pub fn get(&self, id: &str) -> Option<Arc<Proc>> {
        self.procs
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .cloned()
    }

    pub fn list(&self) -> Vec<Arc<Proc>> {
        self.procs
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect()
    }

    /// Add a process and start its task; `false` when the id exists.
    pub fn add(&self, entry: Entry) -> bool {
        let mut procs = self.procs.write().unwrap_or_else(|p| p.into_inner());
        if procs.contains_key(&entry.id) {
            return false;
        }
        let (tx, rx) = mpsc::channel(8);
        let p = Arc::new(Proc {
            logs: Arc::new(Mutex::new(
                Ring::new(entry.log_lines).with_file(entry.log_file.as_ref()),
            )),
            snap: watch::Sender::new(Snapshot {
                state: State::Stopped,
                pid: None,
                started_at: None,
                started: None,
                restarts: 0,
                last_exit: None,
                error: None,
                health: "unknown",
            }),
            cmds: tx,
            cpu: Mutex::new(None),
            entry,
        });
        procs.insert(p.entry.id.clone(), p.clone());
        tokio::spawn(run(p, rx));
        true
    }

    /// Start `id` once everything it depends on is running (and healthy, when it has a
    /// health check); waits at most `limit`, then starts it anyway and says so.
    pub fn start_when_ready(self: &Arc<Self>, id: &str, limit: Duration) {
        let Some(p) = self.get(id) else { return };
        let sup = self.clone();
        tokio::spawn(async move {
            let deadline = tokio::time::Instant::now() + limit;
            for dep in &p.entry.depends_on {
                let Some(d) = sup.get(dep) else { continue };
                let needs_health = d.entry.health.is_some();
                let mut rx = d.snap.subscribe();
                let ready = |s: &Snapshot| {
                    matches!(s.state, State::Running | State::External)
                        && (!needs_health || s.health == "healthy")
                };
                if tokio::time::timeout_at(deadline, rx.wait_for(ready))
                    .await
                    .is_err()
                {
                    if let Ok(mut r) = p.logs.lock() {
                        r.push(
                            "nurvus",
                            format!(
                                "{dep} was not ready within {} s; starting anyway",
                                limit.as_secs()
                            ),
                        );
                    }
                    break;
                }
            }
            if let Err(e) = p.start().await {
                tracing::warn!(id = %p.entry.id, "{e}");
            }
        });
    }

    /// Stop and forget a process.
    pub async fn remove(&self, id: &str) -> bool {
        let p = self
            .procs
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id);
        match p {
            Some(p) => {
                let _ = p.send(Cmd::Shutdown).await;
                true
            }
            None => false,
        }
    }

    /// Stop every process (nurvus is exiting).
    pub async fn shutdown(&self) {
        let mut set = tokio::task::JoinSet::new();
        for p in self.list() {
            set.spawn(async move {
                let _ = p.send(Cmd::Shutdown).await;
            });
        }
        while set.join_next().await.is_some() {}
    }
}

fn now_iso() -> String {
    landale_core::ids::now_iso()
}

struct Runner {
    p: Arc<Proc>,
    child: Option<Child>,
    restarts: VecDeque<Instant>,
    backoff: Backoff,
    restart_at: Option<tokio::time::Instant>,
    health_failures: u32,
    /// When the next health probe is due (none without a check or a child).
    next_probe: Option<tokio::time::Instant>,
    /// Startup probes left; `Some` while the process is `starting`.
    startup_left: Option<u32>,
}

impl Runner {
    fn set(&self, f: impl FnOnce(&mut Snapshot)) {
        self.p.snap.send_modify(f);
    }

    fn note(&self, text: String) {
        if let Ok(mut r) = self.p.logs.lock() {
            r.push("nurvus", text);
        }
    }

    fn external(&self) -> Option<u32> {
        let name = self.p.entry.detect.as_deref()?;
        let me = std::process::id();
        platform::find_by_name(name)
            .into_iter()
            .find(|pid| *pid != me)
    }

    fn spawn(&mut self) -> Result<(), CmdError> {
        let e = &self.p.entry;
        for port in &e.ports {
            if let Some((pid, name)) = platform::port_holder(*port) {
                let who = if pid > 0 {
                    format!(" by pid {pid} ({name})")
                } else {
                    String::new()
                };
                return Err(CmdError::Refused(format!(
                    "port {port} is already in use{who}; {} was not started",
                    e.id
                )));
            }
        }
        if let Some(dir) = e.env.get("LOG_DIR") {
            let _ = std::fs::create_dir_all(dir);
        }
        let mut cmd = tokio::process::Command::new(&e.command);
        cmd.args(&e.args)
            .envs(&e.env)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        if let Some(cwd) = &e.cwd {
            cmd.current_dir(cwd);
        }
        platform::prepare(&mut cmd);
        let mut child = cmd.spawn().map_err(|err| {
            CmdError::Refused(format!("cannot start {}: {}: {err}", e.id, e.command))
        })?;
        if let Some(out) = child.stdout.take() {
            tokio::spawn(capture(out, "stdout", self.p.logs.clone()));
        }
        if let Some(err) = child.stderr.take() {
            tokio::spawn(capture(err, "stderr", self.p.logs.clone()));
        }
        let pid = child.id();
        self.child = Some(child);
        self.health_failures = 0;
        // With a health check, `running` waits for the first good probe.
        let check = e
            .health
            .as_ref()
            .map(|h| (h.startup_interval, h.startup_retries));
        self.startup_left = check.map(|(_, n)| n.max(1));
        self.next_probe = check.map(|(every, _)| tokio::time::Instant::now() + every);
        let state = if check.is_some() {
            State::Starting
        } else {
            State::Running
        };
        self.set(|s| {
            s.state = state;
            s.pid = pid;
            s.started = Some(Instant::now());
            s.started_at = Some(now_iso());
            s.error = None;
            s.health = "unknown";
        });
        self.note(format!("started (pid {})", pid.unwrap_or(0)));
        tracing::info!(id = %e.id, pid = pid.unwrap_or(0), "started");
        Ok(())
    }

    /// Stop the child: the stop command or signal to its group, `stop_timeout`, then
    /// SIGKILL to the group. Returns once it has exited and been reaped.
    async fn stop_child(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let pid = child.id().unwrap_or(0);
        self.next_probe = None;
        self.startup_left = None;
        self.set(|s| s.state = State::Stopping);
        let e = &self.p.entry;
        match &e.stop_command {
            Some((c, args)) => {
                let _ = tokio::time::timeout(
                    e.stop_timeout,
                    tokio::process::Command::new(c)
                        .args(args)
                        .envs(&e.env)
                        .status(),
                )
                .await;
            }
            None => {
                platform::stop_politely(pid, e.stop_signal);
            }
        }
        let status = match tokio::time::timeout(e.stop_timeout, child.wait()).await {
            Ok(s) => s.ok(),
            Err(_) => {
                self.note(format!("did not stop within {:?}: killed", e.stop_timeout));
                platform::kill_group(pid);
                child.wait().await.ok()
            }
        };
        platform::kill_group(pid);
        let exit = status
            .map(platform::describe_exit)
            .unwrap_or_else(|| "stopped".into());
        self.note(format!("stopped ({exit})"));
        self.set(|s| {
            s.state = State::Stopped;
            s.pid = None;
            s.last_exit = Some(exit);
            s.health = "unknown";
        });
    }

    /// The child exited by itself: restart by the policy, or stay down.
    fn exited(&mut self, status: Option<std::process::ExitStatus>) {
        let pid = self
            .child
            .take()
            .and_then(|c| c.id())
            .or(self.p.snap.borrow().pid)
            .unwrap_or(0);
        self.next_probe = None;
        self.startup_left = None;
        if pid > 0 {
            platform::kill_group(pid);
        }
        let exit = status
            .map(platform::describe_exit)
            .unwrap_or_else(|| "exited".into());
        self.note(format!("exited ({exit})"));
        tracing::warn!(id = %self.p.entry.id, exit = %exit, "exited");
        let e = &self.p.entry;
        let uptime = self
            .p
            .snap
            .borrow()
            .started
            .map(|t| t.elapsed())
            .unwrap_or_default();
        if uptime >= e.restart_window {
            self.backoff.reset();
        }
        self.set(|s| {
            s.pid = None;
            s.last_exit = Some(exit.clone());
            s.health = "unknown";
        });
        if !e.auto_restart {
            self.set(|s| s.state = State::Stopped);
            return;
        }
        self.restart_later(&exit);
    }

    fn restart_later(&mut self, why: &str) {
        let e = &self.p.entry;
        let now = Instant::now();
        while self
            .restarts
            .front()
            .is_some_and(|t| now.duration_since(*t) > e.restart_window)
        {
            self.restarts.pop_front();
        }
        if self.restarts.len() as u32 >= e.max_restarts {
            let tail: Vec<String> = self
                .p
                .logs
                .lock()
                .map(|r| r.tail(5).into_iter().map(|l| l.text).collect())
                .unwrap_or_default();
            let msg = format!(
                "gave up: {} restarts within {} s; last: {why}; last lines: {}",
                self.restarts.len(),
                e.restart_window.as_secs(),
                tail.join(" | ")
            );
            self.note(msg.clone());
            tracing::error!(id = %e.id, "{msg}");
            self.set(|s| {
                s.state = State::Failed;
                s.error = Some(msg);
            });
            return;
        }
        self.restarts.push_back(now);
        let wait = self.backoff.next_wait();
        self.note(format!("restarting in {} ms", wait.as_millis()));
        self.restart_at = Some(tokio::time::Instant::now() + wait);
        self.set(|s| {
            s.state = State::Backoff;
            s.restarts += 1;
        });
    }

    async fn probe(&mut self) {
        let Some(h) = self.p.entry.health.clone() else {
            return;
        };
        let ok: Option<&'static str> = match &h.probe {
            Probe::Tcp(port) => tokio::time::timeout(
                h.timeout,
                tokio::net::TcpStream::connect(("127.0.0.1", *port)),
            )
            .await
            .ok()
            .and_then(Result::ok)
            .map(|_| "healthy"),
            Probe::Http(url) => match reqwest::Client::new()
                .get(url)
                .timeout(h.timeout)
                .send()
                .await
            {
                Ok(r) if r.status().is_success() || r.status().as_u16() == 503 => {
                    match r
                        .json::<serde_json::Value>()
                        .await
                        .ok()
                        .and_then(|v| v["status"].as_str().map(str::to_owned))
                        .as_deref()
                    {
                        Some("healthy") | Some("ok") => Some("healthy"),
                        Some("degraded") => Some("degraded"),
                        _ => None,
                    }
                }
                _ => None,
            },
        };
        let now = tokio::time::Instant::now();
        self.next_probe = Some(now + h.interval);
        match (ok, self.startup_left) {
            (Some(state), starting) => {
                if starting.is_some() {
                    self.startup_left = None;
                    self.note(format!("ready ({state})"));
                }
                self.health_failures = 0;
                self.set(|s| {
                    s.health = state;
                    s.state = State::Running;
                });
            }
            (None, Some(left)) if left > 1 => {
                self.startup_left = Some(left - 1);
                self.next_probe = Some(now + h.startup_interval);
            }
            (None, Some(_)) => {
                self.startup_left = None;
                self.unhealthy(format!(
                    "not ready after {} startup checks",
                    h.startup_retries.max(1)
                ))
                .await;
            }
            (None, None) => {
                self.health_failures += 1;
                if self.health_failures >= h.failures && self.p.snap.borrow().health != "unhealthy"
                {
                    self.unhealthy(format!(
                        "unhealthy after {} failed checks",
                        self.health_failures
                    ))
                    .await;
                }
            }
        }
    }

    /// Mark the process unhealthy (it counts as running, so it is seen) and restart it
    /// when the entry asks, under the same restart policy as a crash.
    async fn unhealthy(&mut self, why: String) {
        self.set(|s| {
            s.health = "unhealthy";
            s.state = State::Running;
        });
        self.note(why.clone());
        tracing::warn!(id = %self.p.entry.id, "{why}");
        if self.p.entry.restart_on_unhealthy {
            self.stop_child().await;
            self.restart_later(&why);
        }
    }
}

/// Sleep until `at`; never, without one.
async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

async fn wait(child: &mut Option<Child>) -> Option<std::process::ExitStatus> {
    match child {
        Some(c) => c.wait().await.ok(),
        None => std::future::pending().await,
    }
}

async fn run(p: Arc<Proc>, mut rx: mpsc::Receiver<(Cmd, Reply)>) {
    let mut r = Runner {
        p: p.clone(),
        child: None,
        restarts: VecDeque::new(),
        backoff: Backoff::new(Duration::from_secs(1), Duration::from_secs(60)),
        restart_at: None,
        health_failures: 0,
        next_probe: None,
        startup_left: None,
    };
    let id = p.entry.id.clone();
    let mut detect = tokio::time::interval(Duration::from_secs(5));
    loop {
        let running = r.child.is_some();
        tokio::select! {
            status = wait(&mut r.child) => r.exited(status),
            _ = sleep_until(r.restart_at), if r.restart_at.is_some() => {
                r.restart_at = None;
                if let Err(e) = r.spawn() {
                    r.note(e.to_string());
                    r.restart_later(&e.to_string());
                }
            }
            _ = sleep_until(r.next_probe), if running && r.next_probe.is_some() => r.probe().await,
            _ = detect.tick(), if !running && p.entry.detect.is_some() => {
                let ext = r.external();
                let state = p.snap.borrow().state;
                match (ext, state) {
                    (Some(pid), State::Stopped | State::External | State::Failed) => r.set(|s| { s.state = State::External; s.pid = Some(pid); }),
                    (None, State::External) => r.set(|s| { s.state = State::Stopped; s.pid = None; }),
                    _ => {}
                }
            }
            cmd = rx.recv() => {
                let Some((cmd, reply)) = cmd else { r.stop_child().await; return };
                let result = match cmd {
                    Cmd::Start if running => Err(CmdError::AlreadyRunning(id.clone())),
                    Cmd::Start => match r.external() {
                        Some(pid) => {
                            r.set(|s| { s.state = State::External; s.pid = Some(pid); });
                            Err(CmdError::External { id: id.clone(), pid })
                        }
                        None => {
                            // Someone asked: the policy starts afresh.
                            r.restart_at = None;
                            r.restarts.clear();
                            r.backoff.reset();
                            r.set(|s| s.state = State::Starting);
                            r.spawn().map(|_| "started").inspect_err(|e| {
                                let msg = e.to_string();
                                r.note(msg.clone());
                                if p.entry.auto_restart {
                                    // A port still held at boot, say: tried again with
                                    // backoff, under the same limit as a crash.
                                    r.restart_later(&msg);
                                    r.set(|s| s.error = Some(msg));
                                } else {
                                    r.set(|s| { s.state = State::Failed; s.error = Some(msg); });
                                }
                            })
                        }
                    },
                    Cmd::Stop if running => {
                        r.stop_child().await;
                        Ok("stopped")
                    }
                    Cmd::Stop if r.restart_at.is_some() => {
                        r.restart_at = None;
                        r.set(|s| s.state = State::Stopped);
                        Ok("stopped")
                    }
                    Cmd::Stop => Err(CmdError::NotRunning(id.clone())),
                    Cmd::Restart => {
                        r.stop_child().await;
                        r.restart_at = None;
                        r.spawn().map(|_| "restarted")
                    }
                    Cmd::Shutdown => {
                        r.stop_child().await;
                        let _ = reply.send(Ok("stopped"));
                        return;
                    }
                };
                let _ = reply.send(result);
            }
        }
    }
}
