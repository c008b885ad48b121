//! OBS Studio over obs-websocket v5.
//!
//! One [`Obs`] per hub. Its connection task ([`client`]) owns the socket: it
//! identifies (with the SHA-256 challenge when OBS has a password), keeps a cached
//! [`state::ObsState`], turns OBS events into hub events through the pipeline,
//! polls `GetStats` every 5 s, watches liveness, and reconnects with backoff.
//!
//! Callers use [`Obs::request`] / [`Obs::batch`] and get OBS's real answer, its
//! refusal, or a timeout; while OBS is down they get [`ObsError::NotConnected`] at
//! once instead of waiting.

pub mod client;
pub mod commands;
pub mod http;
mod integration;
pub mod protocol;
pub mod settings;
pub mod state;

pub use settings::{ObsArgs, ObsSettings};

use landale_core::Ingest;
use protocol::{BatchItem, RequestFailure};
use serde_json::Value;
use state::{Link, ObsState};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot, watch, Notify};

/// Requests waiting for the connection task. Overflow policy: a caller beyond this
/// gets [`ObsError::Busy`] at once (nothing is queued unboundedly).
pub const COMMAND_QUEUE: usize = 64;
/// Requests sent to OBS and not yet answered, per connection; beyond this, `Busy`.
pub const MAX_IN_FLIGHT: usize = 256;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ObsError {
    #[error("OBS is not configured: set OBS_WEBSOCKET_URL (and OBS_WEBSOCKET_PASSWORD if OBS asks for one)")]
    NotConfigured,
    #[error("OBS is not connected ({0})")]
    NotConnected(String),
    #[error("OBS did not answer {request_type} within {secs} s")]
    Timeout { request_type: String, secs: u64 },
    #[error("the connection to OBS dropped before it answered: {0}")]
    Lost(String),
    #[error("OBS refused {request_type}: {}", failure.describe())]
    Refused {
        request_type: String,
        failure: RequestFailure,
    },
    #[error("too many OBS requests in flight; try again")]
    Busy,
}

impl ObsError {
    /// The envelope error code for dashboard and REST replies.
    pub fn code(&self) -> &'static str {
        match self {
            ObsError::NotConfigured | ObsError::NotConnected(_) | ObsError::Lost(_) => {
                "service_unavailable"
            }
            ObsError::Timeout { .. } => "service_timeout",
            ObsError::Refused { failure, .. } if failure.code == 600 => "not_found",
            ObsError::Refused { .. } => "operation_failed",
            ObsError::Busy => "backpressure",
        }
    }
}

pub type BatchResult = Vec<Result<Value, RequestFailure>>;

pub(crate) enum Command {
    Request {
        request_type: String,
        data: Value,
        correlation: Option<String>,
        /// An anonymous read (overlay, REST GET): refused first when OBS is busy, so
        /// reads can never crowd out the streamer's controls.
        low_priority: bool,
        reply: oneshot::Sender<Result<Value, ObsError>>,
    },
    Batch {
        items: Vec<BatchItem>,
        halt_on_failure: bool,
        reply: oneshot::Sender<Result<BatchResult, ObsError>>,
    },
}

pub struct Obs {
    pub settings: ObsSettings,
    state: Mutex<ObsState>,
    /// The link state, for whoever waits on it (tests, the bench, health).
    link: watch::Sender<Link>,
    commands: mpsc::Sender<Command>,
    inbox: Mutex<Option<mpsc::Receiver<Command>>>,
    /// Where OBS events go (the hub's pipeline).
    ingest: Arc<dyn Ingest>,
    /// Skip the backoff wait (and leave the `kicked` state).
    reconnect_now: Notify,
}

impl Obs {
    pub fn new(settings: ObsSettings, ingest: Arc<dyn Ingest>) -> Arc<Obs> {
        let (commands, inbox) = mpsc::channel(COMMAND_QUEUE);
        let state = ObsState::new(settings.url.clone());
        Arc::new(Obs {
            link: watch::channel(state.link).0,
            state: Mutex::new(state),
            settings,
            commands,
            inbox: Mutex::new(Some(inbox)),
            ingest,
            reconnect_now: Notify::new(),
        })
    }

    /// Start the connection task (once; later calls do nothing).
    pub fn spawn(self: &Arc<Self>, shutdown: watch::Receiver<bool>) {
        let inbox = self.inbox.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(inbox) = inbox {
            tokio::spawn(client::run(
                self.clone(),
                inbox,
                self.ingest.clone(),
                shutdown,
            ));
        }
    }

    pub(crate) fn with_state<R>(&self, f: impl FnOnce(&mut ObsState) -> R) -> R {
        let (r, link) = {
            let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
            let r = f(&mut s);
            (r, s.link)
        };
        self.link
            .send_if_modified(|l| std::mem::replace(l, link) != link);
        r
    }

    /// Follow the link state (`ready`, `disconnected`, `auth_failed`, …).
    pub fn watch_link(&self) -> watch::Receiver<Link> {
        self.link.subscribe()
    }

    pub fn snapshot(&self) -> ObsState {
        self.with_state(|s| s.clone())
    }

    /// The status map (never contains the password).
    pub fn status(&self) -> Value {
        self.with_state(|s| s.status_json())
    }

    /// The short form for health checks: `{connected, status, connection_state, …}`.
    pub fn summary(&self) -> Value {
        self.with_state(|s| {
            serde_json::json!({
                "connected": s.connected(),
                "status": s.link.health(),
                "connection_state": s.link.as_str(),
                "current_scene": s.current_scene,
                "scene_count": s.scenes.len(),
                "streaming": s.streaming.active,
                "recording": s.recording.active,
                "last_error": s.last_error,
            })
        })
    }

    pub fn connected(&self) -> bool {
        self.with_state(|s| s.connected())
    }

    /// Reconnect now instead of waiting out the backoff (also after a kick). Does
    /// nothing while connected or connecting: a stored wake-up would otherwise cut a
    /// later backoff (or a kick's wait) short.
    pub fn reconnect(&self) {
        let waiting = self
            .with_state(|s| matches!(s.link, Link::Disconnected | Link::AuthFailed | Link::Kicked));
        if waiting {
            self.reconnect_now.notify_one();
        }
    }

    fn check_ready(&self) -> Result<(), ObsError> {
        self.with_state(|s| match s.link {
            Link::Ready => Ok(()),
            Link::NotConfigured => Err(ObsError::NotConfigured),
            link => Err(ObsError::NotConnected(match &s.last_error {
                Some(e) => format!("{}: {e}", link.as_str()),
                None => link.as_str().to_string(),
            })),
        })
    }

    /// Send one request and wait for OBS's answer (`responseData`, `{}` when none).
    pub async fn request(&self, request_type: &str, data: Value) -> Result<Value, ObsError> {
        self.request_traced(request_type, data, None).await
    }

    /// A read for a client that needs no token: like [`Obs::request`], but refused
    /// with `Busy` while half the request capacity is in use.
    pub async fn read(&self, request_type: &str) -> Result<Value, ObsError> {
        if self.commands.capacity() < COMMAND_QUEUE / 2 {
            return Err(ObsError::Busy);
        }
        self.send_request(request_type, Value::Null, None, true)
            .await
    }

    /// [`Obs::request`], and the OBS event it causes (a scene switch, an output
    /// start or stop) is published with `correlation` as its correlation id.
    pub async fn request_traced(
        &self,
        request_type: &str,
        data: Value,
        correlation: Option<String>,
    ) -> Result<Value, ObsError> {
        self.send_request(request_type, data, correlation, false)
            .await
    }

    async fn send_request(
        &self,
        request_type: &str,
        data: Value,
        correlation: Option<String>,
        low_priority: bool,
    ) -> Result<Value, ObsError> {
        self.check_ready()?;
        let (reply, rx) = oneshot::channel();
        self.send(Command::Request {
            request_type: request_type.to_string(),
            data,
            correlation,
            low_priority,
            reply,
        })?;
        self.wait(request_type, rx).await?
    }

    /// A request batch (op 8): one result per request, in order.
    pub async fn batch(
        &self,
        items: Vec<BatchItem>,
        halt_on_failure: bool,
    ) -> Result<BatchResult, ObsError> {
        self.check_ready()?;
        let (reply, rx) = oneshot::channel();
        self.send(Command::Batch {
            items,
            halt_on_failure,
            reply,
        })?;
        self.wait("RequestBatch", rx).await?
    }

    fn send(&self, cmd: Command) -> Result<(), ObsError> {
        self.commands.try_send(cmd).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => ObsError::Busy,
            mpsc::error::TrySendError::Closed(_) => {
                ObsError::NotConnected("the OBS task has stopped".into())
            }
        })
    }

    async fn wait<T>(
        &self,
        request_type: &str,
        rx: oneshot::Receiver<Result<T, ObsError>>,
    ) -> Result<Result<T, ObsError>, ObsError> {
        match tokio::time::timeout(self.settings.request_timeout, rx).await {
            Ok(Ok(r)) => Ok(r),
            Ok(Err(_)) => Err(ObsError::Lost("the OBS task dropped the request".into())),
            Err(_) => Err(ObsError::Timeout {
                request_type: request_type.to_string(),
                secs: self.settings.request_timeout.as_secs().max(1),
            }),
        }
    }
}
