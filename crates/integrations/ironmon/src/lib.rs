//! IronMON: the challenge-run tracker's telemetry over TCP (reference §9.5).
//!
//! One [`Ironmon`] per hub. Its listener task ([`listener`]) accepts the tracker's
//! connection, decodes frames ([`framing`]), checks messages ([`message`]), keeps the
//! run ([`run::Tracker`]) with its rows stored through [`RunStore`], and hands every
//! message to the pipeline as an `ironmon.*` event, each carrying the run as it now
//! stands (`run`), plus `ironmon.run_started`, `ironmon.run_checkpoint` and
//! `ironmon.run_ended`. Bad input is counted per reason and logged once per burst.

pub mod framing;
mod integration;
pub mod listener;
pub mod message;
pub mod replay;
pub mod run;
pub mod settings;

pub use settings::{IronmonArgs, IronmonSettings};

use landale_core::Ingest;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;

pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, String>> + Send + 'a>>;

/// Where runs are kept (the hub's `challenges`, `checkpoints`, `seeds`, `results`).
/// Errors are words for the status and the log.
pub trait RunStore: Send + Sync + 'static {
    /// The challenge with its checkpoints, the history and the latest seed.
    fn load(&self) -> StoreFuture<'_, run::Loaded>;
    fn write<'a>(&'a self, w: &'a run::Write) -> StoreFuture<'a, ()>;
}

/// How long rejections are summed before the next log line.
pub const REJECT_LOG_EVERY: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
struct Conn {
    peer: String,
    connected_at: String,
    messages: u64,
    last_message_at: Option<String>,
}

#[derive(Debug, Default)]
struct Status {
    listening: bool,
    port: Option<u16>,
    error: Option<String>,
    connections: BTreeMap<u64, Conn>,
    accepted: u64,
    refused: u64,
    messages: u64,
    rejected: BTreeMap<&'static str, u64>,
    last_rejection: Option<String>,
    store_error: Option<String>,
    /// Rejections since the last log line, and when that line was written.
    quiet: Option<(Instant, u64)>,
}

pub struct Ironmon {
    settings: IronmonSettings,
    ingest: Arc<dyn Ingest>,
    store: Arc<dyn RunStore>,
    /// `None` until the store has been read.
    tracker: tokio::sync::Mutex<Option<run::Tracker>>,
    status: Mutex<Status>,
    view: watch::Sender<Value>,
}

impl Ironmon {
    pub fn new(
        settings: IronmonSettings,
        ingest: Arc<dyn Ingest>,
        store: Arc<dyn RunStore>,
    ) -> Arc<Ironmon> {
        Arc::new(Ironmon {
            settings,
            ingest,
            store,
            tracker: tokio::sync::Mutex::new(None),
            status: Mutex::new(Status::default()),
            view: watch::Sender::new(json!({"active": false, "run_number": null,
                                              "message": "Start a new IronMON run!"})),
        })
    }

    fn with_status<T>(&self, f: impl FnOnce(&mut Status) -> T) -> T {
        f(&mut self.status.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// The run as it stands (what the overlay and the ticker show).
    pub fn run_view(&self) -> Value {
        self.view.borrow().clone()
    }

    /// A new value each time the run changes.
    pub fn subscribe(&self) -> watch::Receiver<Value> {
        self.view.subscribe()
    }

    /// The port actually listened on (useful with `IRONMON_PORT=0`).
    pub fn port(&self) -> Option<u16> {
        self.with_status(|s| s.port.filter(|_| s.listening))
    }

    /// Wait (at most `limit`) until the listener is accepting connections.
    pub async fn listening(&self, limit: Duration) -> Option<u16> {
        let deadline = tokio::time::Instant::now() + limit;
        let mut rx = self.view.subscribe();
        loop {
            if let Some(p) = self.port() {
                return Some(p);
            }
            if tokio::time::timeout_at(deadline, rx.changed())
                .await
                .is_err()
            {
                return None;
            }
        }
    }

    /// Count a rejection; log the first of a burst, then a sum every
    /// [`REJECT_LOG_EVERY`].
    fn rejected(&self, peer: &str, reason: &'static str, detail: String) {
        let log = self.with_status(|s| {
            *s.rejected.entry(reason).or_default() += 1;
            s.last_rejection = Some(format!("{reason}: {detail}"));
            match &mut s.quiet {
                Some((since, n)) if since.elapsed() < REJECT_LOG_EVERY => {
                    *n += 1;
                    None
                }
                Some((since, n)) => {
                    let more = *n;
                    *since = Instant::now();
                    *n = 0;
                    Some(more)
                }
                None => {
                    s.quiet = Some((Instant::now(), 0));
                    Some(0)
                }
            }
        });
        if let Some(more) = log {
            if more > 0 {
                tracing::warn!(
                    peer,
                    reason,
                    "ironmon message rejected: {detail} (and {more} more in the last {} s)",
                    REJECT_LOG_EVERY.as_secs()
                );
            } else {
                tracing::warn!(peer, reason, "ironmon message rejected: {detail}");
            }
        }
    }

    /// `{listening, port, hostname, connection_count, connections, ...}` (§9.5; no
    /// raw handles).
    pub fn status(&self) -> Value {
        let run = self.run_view();
        self.with_status(|s| {
            json!({
                "enabled": self.settings.port.is_some(),
                "listening": s.listening,
                "port": s.port.or(self.settings.port),
                "hostname": self.settings.host.to_string(),
                "connection_count": s.connections.len(),
                "connections": s.connections.iter().map(|(id, c)| json!({
                    "id": id, "peer": c.peer, "connected_at": c.connected_at,
                    "messages": c.messages, "last_message_at": c.last_message_at})).collect::<Vec<_>>(),
                "accepted": s.accepted,
                "refused": s.refused,
                "messages": s.messages,
                "rejected": s.rejected,
                "last_rejection": s.last_rejection,
                "error": s.error,
                "store_error": s.store_error,
                "run": {"active": run["active"], "run_number": run["run_number"],
                        "checkpoints_cleared": run["checkpoints_cleared"]},
            })
        })
    }
}
