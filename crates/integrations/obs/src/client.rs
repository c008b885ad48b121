//! The OBS connection task: connect, identify, serve requests, translate events,
//! poll stats, check liveness, and reconnect with backoff when anything breaks.
//!
//! ```text
//! disconnected ─▶ connecting ─Hello─▶ authenticating ─Identified─▶ ready
//!      ▲              │ refused/timeout        │ 4009 ─▶ auth_failed (retry at the cap)
//!      └── backoff ◀──┴────────────────────────┴─ close / silence / error
//!                                              4011 ─▶ kicked (until Obs::reconnect)
//! ```

use super::protocol::{self, BatchItem, CloseKind, Hello, Incoming, RequestFailure};
use super::state::Link;
use super::{BatchResult, Command, Obs, ObsError, MAX_IN_FLIGHT};
use futures_util::{SinkExt, StreamExt};
use landale_core::Ingest;
use landale_core::{Envelope, Input};
use rand::Rng;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, watch};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Failed attempts logged at `warn` before the rest go to `debug` until a success.
const LOUD_FAILURES: u32 = 5;
/// How long a request's correlation id waits for the OBS event it causes.
const INTENT_TTL: Duration = Duration::from_secs(10);
const MAX_INTENTS: usize = 32;

/// Why a connection ended.
enum End {
    Shutdown,
    Lost {
        reason: String,
        kind: CloseKind,
        /// Reached `ready` (a drop of a good connection, not a failed attempt).
        was_ready: bool,
    },
}

fn lost(reason: impl Into<String>, kind: CloseKind, was_ready: bool) -> End {
    End::Lost {
        reason: reason.into(),
        kind,
        was_ready,
    }
}

/// The wait before the next attempt; `None`: wait for [`Obs::reconnect`].
/// `failures` counts failed attempts since the last good connection (0 right
/// after a drop), so a drop retries after `min`, then `2·min`, `4·min`… up to `max`.
pub fn backoff(
    min: Duration,
    max: Duration,
    failures: u32,
    kind: CloseKind,
    jitter: f64,
) -> Option<Duration> {
    let base = match kind {
        CloseKind::Kicked => return None,
        CloseKind::BadPassword | CloseKind::Protocol => max,
        CloseKind::Retry => landale_core::Backoff::new(min, max).base(failures),
    };
    Some(base.mul_f64(jitter.clamp(0.5, 1.5)))
}

pub(super) async fn run(
    obs: Arc<Obs>,
    mut inbox: mpsc::Receiver<Command>,
    pipeline: Arc<dyn Ingest>,
    mut shutdown: watch::Receiver<bool>,
) {
    let Some(url) = obs.settings.url.clone() else {
        // Not configured: refuse whatever arrives until shutdown.
        loop {
            tokio::select! {
                _ = shutdown.changed() => return,
                Some(cmd) = inbox.recv() => refuse(cmd, ObsError::NotConfigured),
            }
        }
    };
    tracing::info!(url = %url, password = obs.settings.password.is_some(), "OBS integration on");
    loop {
        if *shutdown.borrow() {
            return;
        }
        obs.with_state(|s| {
            s.link = Link::Connecting;
            s.next_attempt_at = None;
        });
        let end = Session::new(&obs, pipeline.as_ref())
            .run(&url, &mut inbox, &mut shutdown)
            .await;
        let End::Lost {
            reason,
            kind,
            was_ready,
        } = end
        else {
            return;
        };
        // A connection that stayed up (the session resets `failures` after
        // `reconnect_max`) retries after the minimum; anything else counts as a
        // failed attempt, so OBS that accepts and drops at once still backs off.
        let stable = was_ready && obs.with_state(|s| s.failures == 0);
        let failures = obs.with_state(|s| {
            if !stable {
                s.failures = s.failures.saturating_add(1);
            }
            s.failures
        });
        let jitter = rand::rng().random_range(0.8..1.2);
        let wait = backoff(
            obs.settings.reconnect_min,
            obs.settings.reconnect_max,
            failures,
            kind,
            jitter,
        );
        let link = match kind {
            CloseKind::BadPassword => Link::AuthFailed,
            CloseKind::Kicked => Link::Kicked,
            _ => Link::Disconnected,
        };
        let in_text = wait.map_or("when asked (POST /api/obs/reconnect)".to_string(), |w| {
            format!("in {:.1} s", w.as_secs_f64())
        });
        if was_ready || failures <= LOUD_FAILURES || kind == CloseKind::BadPassword {
            tracing::warn!(%reason, failures, "OBS connection {}; retrying {in_text}",
                if was_ready { "lost" } else { "failed" });
        } else {
            tracing::debug!(%reason, failures, "OBS connection failed again; retrying {in_text}");
        }
        obs.with_state(|s| {
            s.link = link;
            s.last_error = Some(reason.clone());
            s.next_attempt_at = wait
                .map(|w| chrono::Utc::now() + chrono::Duration::from_std(w).unwrap_or_default());
            s.reset_session();
        });
        // Requests queued just before the link went down: refuse them now, not after
        // the next handshake.
        while let Ok(cmd) = inbox.try_recv() {
            refuse(
                cmd,
                ObsError::NotConnected(format!("{}: {reason}", link.as_str())),
            );
        }
        let sleep = async {
            match wait {
                Some(w) => tokio::time::sleep(w).await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                biased;
                _ = shutdown.changed() => return,
                Some(cmd) = inbox.recv() => {
                    let why = obs.with_state(|s| format!("{}: {}", s.link.as_str(), reason));
                    refuse(cmd, ObsError::NotConnected(why));
                }
                _ = &mut sleep => break,
                _ = obs.reconnect_now.notified() => break,
            }
        }
    }
}

fn refuse(cmd: Command, err: ObsError) {
    match cmd {
        Command::Request { reply, .. } => {
            let _ = reply.send(Err(err));
        }
        Command::Batch { reply, .. } => {
            let _ = reply.send(Err(err));
        }
    }
}

/// Who waits for a request id.
enum Waiter {
    Caller {
        request_type: String,
        reply: oneshot::Sender<Result<Value, ObsError>>,
    },
    Batch(oneshot::Sender<Result<BatchResult, ObsError>>),
    /// The state read right after Identified.
    Prime,
    Stats,
    StreamStatus,
    RecordStatus,
    /// A re-read of the scene list after an event that changed it.
    SceneList,
}

/// The requests whose answers fill the cache at connect, in this order.
const PRIME: [&str; 6] = [
    "GetVersion",
    "GetSceneList",
    "GetStreamStatus",
    "GetRecordStatus",
    "GetStudioModeEnabled",
    "GetVirtualCamStatus",
];

/// How often, and how far apart, the connect-time read is retried while OBS loads.
const PRIME_RETRIES: u32 = 40;
const PRIME_RETRY: Duration = Duration::from_millis(250);

/// A request that will cause an OBS event: that event carries the request's
/// correlation id (unless OBS refuses the request).
struct Intent {
    request_id: String,
    event_type: &'static str,
    scene: Option<String>,
    correlation: String,
    expires: Instant,
}

struct Session<'a> {
    obs: &'a Arc<Obs>,
    pipeline: &'a dyn Ingest,
    session_id: String,
    pending: HashMap<String, Waiter>,
    next_id: u64,
    last_frame: Instant,
    intents: Vec<Intent>,
    authenticated: bool,
    ready_at: Instant,
    /// When to ask again for the connect-time state (OBS answered 207 "not ready").
    reprime_at: Option<tokio::time::Instant>,
    reprimes: u32,
    /// An event changed the scene list since the last re-read was sent. OBS sends
    /// events from several threads, so a `SceneListChanged` can arrive after a newer
    /// one carrying an older list; the cache takes OBS's answer to a `GetSceneList`
    /// sent after the event instead.
    scenes_stale: bool,
}

impl<'a> Session<'a> {
    fn new(obs: &'a Arc<Obs>, pipeline: &'a dyn Ingest) -> Session<'a> {
        Session {
            obs,
            pipeline,
            session_id: format!("{:08x}", rand::rng().random::<u32>()),
            pending: HashMap::new(),
            next_id: 1000,
            last_frame: Instant::now(),
            intents: Vec::new(),
            authenticated: false,
            ready_at: Instant::now(),
            reprime_at: None,
            reprimes: 0,
            scenes_stale: false,
        }
    }

    async fn run(
        mut self,
        url: &str,
        inbox: &mut mpsc::Receiver<Command>,
        shutdown: &mut watch::Receiver<bool>,
    ) -> End {
        let mut ws = match self.handshake(url).await {
            Ok(ws) => ws,
            Err(end) => return end,
        };
        let end = self.serve(&mut ws, inbox, shutdown).await;
        let reason = match &end {
            End::Shutdown => {
                let _ = ws.close(None).await;
                "Landale is shutting down".to_string()
            }
            End::Lost { reason, .. } => reason.clone(),
        };
        for (_, w) in self.pending.drain() {
            match w {
                Waiter::Caller { reply, .. } => {
                    let _ = reply.send(Err(ObsError::Lost(reason.clone())));
                }
                Waiter::Batch(reply) => {
                    let _ = reply.send(Err(ObsError::Lost(reason.clone())));
                }
                _ => {}
            }
        }
        if let End::Lost { kind, .. } = &end {
            // Flip the link first: whoever reacts to the event sees it down, and no new
            // request gets queued behind the dead socket.
            self.obs.with_state(|s| {
                s.link = Link::Disconnected;
                s.last_error = Some(reason.clone());
            });
            self.publish(
                "obs.connection_lost",
                json!({"reason": reason, "reconnecting": *kind != CloseKind::Kicked}),
                None,
            );
        }
        end
    }

    /// Open the socket, read Hello, send Identify, wait for Identified.
    async fn handshake(&mut self, url: &str) -> Result<Ws, End> {
        let limit = self.obs.settings.handshake_timeout;
        let secs = limit.as_secs_f64();
        let (mut ws, _) =
            match tokio::time::timeout(
                limit,
                // TCP_NODELAY: small request frames go out at once.
                tokio_tungstenite::connect_async_with_config(url, None, true),
            )
            .await
            {
                Err(_) => {
                    return Err(lost(
                        format!("OBS at {url} did not accept a connection within {secs:.0} s"),
                        CloseKind::Retry,
                        false,
                    ))
                }
                Ok(Err(e)) => {
                    return Err(lost(
                        format!("cannot reach OBS at {url}: {e} (is OBS running with its WebSocket server enabled?)"),
                        CloseKind::Retry,
                        false,
                    ))
                }
                Ok(Ok(x)) => x,
            };
        let hello = match tokio::time::timeout(limit, next_message(&mut ws)).await {
            Err(_) => {
                return Err(lost(
                    format!("OBS sent no Hello within {secs:.0} s"),
                    CloseKind::Retry,
                    false,
                ))
            }
            Ok(Err(end)) => return Err(end),
            Ok(Ok(Incoming::Hello(h))) => h,
            Ok(Ok(other)) => {
                return Err(lost(
                    format!("OBS sent {other:?} before Hello"),
                    CloseKind::Protocol,
                    false,
                ))
            }
        };
        let password = self.obs.settings.password.as_deref();
        if hello.auth.is_some() && password.is_none() {
            return Err(lost(
                "OBS asks for a password: set OBS_WEBSOCKET_PASSWORD",
                CloseKind::BadPassword,
                false,
            ));
        }
        self.authenticated = hello.auth.is_some();
        self.obs.with_state(|s| s.link = Link::Authenticating);
        if let Err(e) = ws
            .send(Message::text(protocol::identify(&hello, password)))
            .await
        {
            return Err(lost(
                format!("sending Identify failed: {e}"),
                CloseKind::Retry,
                false,
            ));
        }
        let rpc = match tokio::time::timeout(limit, next_message(&mut ws)).await {
            Err(_) => {
                return Err(lost(
                    format!("OBS did not confirm Identify within {secs:.0} s"),
                    CloseKind::Retry,
                    false,
                ))
            }
            Ok(Err(End::Lost {
                kind: CloseKind::BadPassword,
                ..
            })) => {
                return Err(lost(
                    "OBS rejected the password (close 4009 authentication failed): check OBS_WEBSOCKET_PASSWORD against OBS → Tools → WebSocket Server Settings",
                    CloseKind::BadPassword,
                    false,
                ))
            }
            Ok(Err(end)) => return Err(end),
            Ok(Ok(Incoming::Identified { rpc_version })) => rpc_version,
            Ok(Ok(other)) => {
                return Err(lost(
                    format!("OBS sent {other:?} before Identified"),
                    CloseKind::Protocol,
                    false,
                ))
            }
        };
        self.ready(&hello, rpc);
        Ok(ws)
    }

    fn ready(&mut self, hello: &Hello, rpc: u64) {
        let failures = self.obs.with_state(|s| {
            s.link = Link::Ready;
            s.session_id = Some(self.session_id.clone());
            s.websocket_version = Some(hello.obs_websocket_version.clone());
            s.rpc_version = Some(rpc);
            s.connected_at = Some(chrono::Utc::now());
            s.last_error = None;
            s.next_attempt_at = None;
            s.failures
        });
        if failures > 0 {
            tracing::info!(failures, "OBS reachable again");
        }
        self.last_frame = Instant::now();
        self.ready_at = Instant::now();
    }

    async fn serve(
        &mut self,
        ws: &mut Ws,
        inbox: &mut mpsc::Receiver<Command>,
        shutdown: &mut watch::Receiver<bool>,
    ) -> End {
        let (stats_interval, liveness_timeout) = (
            self.obs.settings.stats_interval,
            self.obs.settings.liveness_timeout,
        );
        if let Err(end) = self.prime(ws).await {
            return end;
        }

        let mut stats =
            tokio::time::interval_at(tokio::time::Instant::now() + stats_interval, stats_interval);
        stats.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let check_every = (liveness_timeout / 3).max(Duration::from_millis(50));
        let mut liveness =
            tokio::time::interval_at(tokio::time::Instant::now() + check_every, check_every);
        liveness.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.changed() => return End::Shutdown,
                frame = ws.next() => {
                    let text = match frame {
                        None => return lost("OBS closed the connection", CloseKind::Retry, true),
                        Some(Err(e)) => return lost(format!("connection to OBS failed: {e}"), CloseKind::Retry, true),
                        Some(Ok(Message::Close(c))) => return closed(c, true),
                        Some(Ok(Message::Text(t))) => t,
                        Some(Ok(_)) => {
                            // Pong (to our liveness ping), ping or binary: alive.
                            self.last_frame = Instant::now();
                            continue;
                        }
                    };
                    self.last_frame = Instant::now();
                    match protocol::decode(text.as_str()) {
                        Ok(Some(m)) => self.on_message(m),
                        Ok(None) => {}
                        Err(e) => tracing::warn!(error = %e, "undecodable message from OBS ignored"),
                    }
                    if let Err(end) = self.reread_scenes(ws).await {
                        return end;
                    }
                }
                Some(cmd) = inbox.recv() => {
                    if let Err(end) = self.on_command(ws, cmd).await {
                        return end;
                    }
                }
                _ = stats.tick() => {
                    if let Err(end) = self.poll_stats(ws).await {
                        return end;
                    }
                }
                _ = tokio::time::sleep_until(self.reprime_at.unwrap_or_else(tokio::time::Instant::now)), if self.reprime_at.is_some() => {
                    self.reprime_at = None;
                    if let Err(end) = self.prime(ws).await {
                        return end;
                    }
                }
                _ = liveness.tick() => {
                    let quiet = self.last_frame.elapsed();
                    if quiet > liveness_timeout {
                        return lost(
                            format!("OBS stopped answering: nothing received for {:.1} s", quiet.as_secs_f64()),
                            CloseKind::Retry,
                            true,
                        );
                    }
                    if self.ready_at.elapsed() >= self.obs.settings.reconnect_max {
                        self.obs.with_state(|s| s.failures = 0);
                    }
                    self.pending.retain(|_, w| match w {
                        Waiter::Caller { reply, .. } => !reply.is_closed(),
                        Waiter::Batch(reply) => !reply.is_closed(),
                        _ => true,
                    });
                    if let Err(e) = ws.send(Message::Ping(Default::default())).await {
                        return lost(format!("write to OBS failed: {e}"), CloseKind::Retry, true);
                    }
                }
            }
        }
    }

    /// Read the connect-time state in one batch (answered in [`Session::primed`]).
    async fn prime(&mut self, ws: &mut Ws) -> Result<(), End> {
        let prime: Vec<BatchItem> = PRIME
            .iter()
            .map(|t| BatchItem {
                request_type: t.to_string(),
                data: Value::Null,
            })
            .collect();
        let id = self.take_id();
        self.pending.insert(id.clone(), Waiter::Prime);
        ws.send(Message::text(protocol::batch(&id, &prime, false)))
            .await
            .map_err(|e| lost(format!("write to OBS failed: {e}"), CloseKind::Retry, true))
    }

    fn take_id(&mut self) -> String {
        let id = self.next_id.to_string();
        self.next_id += 1;
        id
    }

    async fn on_command(&mut self, ws: &mut Ws, cmd: Command) -> Result<(), End> {
        let low = matches!(
            cmd,
            Command::Request {
                low_priority: true,
                ..
            }
        );
        let limit = if low {
            MAX_IN_FLIGHT / 2
        } else {
            MAX_IN_FLIGHT
        };
        if self.pending.len() >= limit {
            refuse(cmd, ObsError::Busy);
            return Ok(());
        }
        let id = self.take_id();
        let (text, waiter) = match cmd {
            Command::Request {
                request_type,
                data,
                correlation,
                reply,
                ..
            } => {
                if let Some(c) = correlation {
                    self.expect(&id, &request_type, &data, c);
                }
                (
                    protocol::request(&id, &request_type, &data),
                    Waiter::Caller {
                        request_type,
                        reply,
                    },
                )
            }
            Command::Batch {
                items,
                halt_on_failure,
                reply,
            } => (
                protocol::batch(&id, &items, halt_on_failure),
                Waiter::Batch(reply),
            ),
        };
        self.pending.insert(id, waiter);
        ws.send(Message::text(text))
            .await
            .map_err(|e| lost(format!("write to OBS failed: {e}"), CloseKind::Retry, true))
    }

    /// Ask OBS for the scene list when an event changed it: one read at a time; an
    /// event during a read asks again when it is answered.
    async fn reread_scenes(&mut self, ws: &mut Ws) -> Result<(), End> {
        if !self.scenes_stale
            || self
                .pending
                .values()
                .any(|w| matches!(w, Waiter::SceneList))
        {
            return Ok(());
        }
        self.scenes_stale = false;
        let id = self.take_id();
        let text = protocol::request(&id, "GetSceneList", &Value::Null);
        self.pending.insert(id, Waiter::SceneList);
        ws.send(Message::text(text))
            .await
            .map_err(|e| lost(format!("write to OBS failed: {e}"), CloseKind::Retry, true))
    }

    async fn poll_stats(&mut self, ws: &mut Ws) -> Result<(), End> {
        // One poll at a time: a slow OBS does not pile requests up.
        if self.pending.values().any(|w| matches!(w, Waiter::Stats)) {
            return Ok(());
        }
        let (streaming, recording) = self
            .obs
            .with_state(|s| (s.streaming.active, s.recording.active));
        let mut polls = vec![("GetStats", Waiter::Stats)];
        if streaming {
            polls.push(("GetStreamStatus", Waiter::StreamStatus));
        }
        if recording {
            polls.push(("GetRecordStatus", Waiter::RecordStatus));
        }
        for (request_type, waiter) in polls {
            let id = self.take_id();
            let text = protocol::request(&id, request_type, &Value::Null);
            self.pending.insert(id, waiter);
            ws.send(Message::text(text))
                .await
                .map_err(|e| lost(format!("write to OBS failed: {e}"), CloseKind::Retry, true))?;
        }
        Ok(())
    }

    fn expect(&mut self, request_id: &str, request_type: &str, data: &Value, correlation: String) {
        let (event_type, scene) = match request_type {
            "SetCurrentProgramScene" => (
                "CurrentProgramSceneChanged",
                data.get("sceneName")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            ),
            "StartStream" | "StopStream" | "ToggleStream" => ("StreamStateChanged", None),
            "StartRecord" | "StopRecord" | "ToggleRecord" => ("RecordStateChanged", None),
            _ => return,
        };
        let now = Instant::now();
        self.intents.retain(|i| i.expires > now);
        if self.intents.len() >= MAX_INTENTS {
            self.intents.remove(0);
        }
        self.intents.push(Intent {
            request_id: request_id.to_string(),
            event_type,
            scene,
            correlation,
            expires: now + INTENT_TTL,
        });
    }

    /// The correlation id of the request that caused this event, if one did.
    fn cause_of(&mut self, event_type: &str, data: &Value, hub_type: &str) -> Option<String> {
        if hub_type == "obs.websocket_event" {
            return None; // an intermediate state (starting, stopping): wait for the end
        }
        let now = Instant::now();
        let scene = data.get("sceneName").and_then(Value::as_str);
        let i = self.intents.iter().position(|i| {
            i.expires > now
                && i.event_type == event_type
                && (i.scene.is_none() || i.scene.as_deref() == scene)
        })?;
        Some(self.intents.remove(i).correlation)
    }

    fn on_message(&mut self, m: Incoming) {
        match m {
            Incoming::Event { event_type, data } => {
                let now = chrono::Utc::now();
                let (hub_type, hub_data) = self
                    .obs
                    .with_state(|s| s.apply_event(&event_type, &data, now));
                if matches!(
                    event_type.as_str(),
                    "SceneListChanged" | "SceneCreated" | "SceneRemoved" | "SceneNameChanged"
                ) {
                    self.scenes_stale = true;
                }
                let cause = self.cause_of(&event_type, &data, &hub_type);
                self.publish(&hub_type, hub_data, cause);
            }
            Incoming::Response { request_id, result } => {
                match self.pending.remove(&request_id) {
                    Some(Waiter::Caller {
                        request_type,
                        reply,
                    }) => {
                        if result.is_err() {
                            // Refused: it causes no event, so its correlation must not
                            // land on an unrelated one.
                            self.intents.retain(|i| i.request_id != request_id);
                        }
                        let _ = reply.send(result.map_err(|failure| ObsError::Refused {
                            request_type,
                            failure,
                        }));
                    }
                    Some(Waiter::Stats) => {
                        if let Ok(d) = result {
                            let data = self
                                .obs
                                .with_state(|s| s.apply_stats(&d, chrono::Utc::now()));
                            self.publish("obs.stats_updated", data, None);
                        }
                    }
                    Some(Waiter::StreamStatus) => {
                        if let Ok(d) = result {
                            self.obs.with_state(|s| s.streaming.apply_status(&d));
                        }
                    }
                    Some(Waiter::RecordStatus) => {
                        if let Ok(d) = result {
                            self.obs.with_state(|s| s.recording.apply_status(&d));
                        }
                    }
                    Some(Waiter::SceneList) => {
                        if let Ok(d) = result {
                            self.obs.with_state(|s| s.apply_scene_list(&d));
                        }
                    }
                    Some(other) => {
                        tracing::debug!(
                            request_id,
                            "OBS answered a batch id with a single response"
                        );
                        self.pending.insert(request_id, other);
                    }
                    // A caller that already timed out, or a stray id.
                    None => tracing::debug!(request_id, "late or unknown OBS response dropped"),
                }
            }
            Incoming::BatchResponse {
                request_id,
                results,
            } => match self.pending.remove(&request_id) {
                Some(Waiter::Batch(reply)) => {
                    let _ = reply.send(Ok(results));
                }
                Some(Waiter::Prime) => self.primed(results),
                _ => tracing::debug!(request_id, "late or unknown OBS batch response dropped"),
            },
            Incoming::Hello(_) | Incoming::Identified { .. } => {
                tracing::debug!("unexpected handshake message from OBS ignored");
            }
        }
    }

    /// The connect-time reads arrived: fill the cache, then announce the connection
    /// (so whoever reacts to `obs.connection_established` finds scenes and outputs).
    fn primed(&mut self, results: Vec<Result<Value, RequestFailure>>) {
        // OBS accepts connections before it has loaded its scenes and answers 207
        // ("not ready") meanwhile: ask again shortly, for up to PRIME_RETRIES.
        let not_ready = results
            .iter()
            .any(|r| matches!(r, Err(f) if f.code == protocol::NOT_READY));
        if not_ready && self.reprimes < PRIME_RETRIES {
            self.reprimes += 1;
            self.reprime_at = Some(tokio::time::Instant::now() + PRIME_RETRY);
            return;
        }
        let got = |i: usize| results.get(i).and_then(|r| r.as_ref().ok());
        let (scene, count, obs_version, ws_version, rpc) = self.obs.with_state(|s| {
            if let Some(v) = got(0) {
                s.obs_version = v
                    .get("obsVersion")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
            }
            if let Some(v) = got(1) {
                s.apply_scene_list(v);
            }
            if let Some(v) = got(2) {
                s.streaming.apply_status(v);
            }
            if let Some(v) = got(3) {
                s.recording.apply_status(v);
            }
            if let Some(v) = got(4) {
                s.studio_mode = v
                    .get("studioModeEnabled")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
            }
            if let Some(v) = got(5) {
                s.virtual_cam = v
                    .get("outputActive")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
            }
            (
                s.current_scene.clone(),
                s.scenes.len(),
                s.obs_version.clone(),
                s.websocket_version.clone(),
                s.rpc_version,
            )
        });
        tracing::info!(session = %self.session_id, obs = ?obs_version, websocket = ?ws_version, scene = ?scene, "OBS connected");
        self.publish(
            "obs.connection_established",
            json!({
                "websocket_version": ws_version,
                "obs_version": obs_version,
                "rpc_version": rpc,
                "authentication": self.authenticated,
                "current_scene": scene,
                "scene_count": count,
            }),
            None,
        );
    }

    fn publish(&self, event_type: &str, mut data: Value, correlation: Option<String>) {
        data["session_id"] = self.session_id.clone().into();
        let obs_type = data.get("eventType").cloned();
        let input = Input {
            event_type: event_type.to_string(),
            data,
            envelope: Envelope {
                correlation_id: correlation,
                ..Envelope::default()
            },
        };
        let Err(e) = self.pipeline.ingest_event(input) else {
            return;
        };
        let raw = event_type == "obs.websocket_event";
        tracing::warn!(event_type, error = %e, "OBS event refused by the pipeline{}",
            if raw { "; publishing it without its data" } else { "" });
        if raw {
            let stub = Input {
                event_type: event_type.to_string(),
                data: json!({"eventType": obs_type, "eventData": {"omitted": e.to_string()},
                             "session_id": self.session_id}),
                envelope: Envelope::default(),
            };
            let _ = self.pipeline.ingest_event(stub);
        }
    }
}

/// Read until a decodable message arrives (used during the handshake).
async fn next_message(ws: &mut Ws) -> Result<Incoming, End> {
    loop {
        match ws.next().await {
            None => return Err(lost("OBS closed the connection", CloseKind::Retry, false)),
            Some(Err(e)) => {
                return Err(lost(
                    format!("connection to OBS failed: {e}"),
                    CloseKind::Retry,
                    false,
                ))
            }
            Some(Ok(Message::Close(c))) => return Err(closed(c, false)),
            Some(Ok(Message::Text(t))) => match protocol::decode(t.as_str()) {
                Ok(Some(m)) => return Ok(m),
                Ok(None) => continue,
                Err(e) => {
                    return Err(lost(
                        format!("OBS sent an undecodable handshake message: {e}"),
                        CloseKind::Protocol,
                        false,
                    ))
                }
            },
            Some(Ok(_)) => continue,
        }
    }
}

fn closed(
    frame: Option<tokio_tungstenite::tungstenite::protocol::CloseFrame>,
    was_ready: bool,
) -> End {
    let Some(f) = frame else {
        return lost(
            "OBS closed the connection without a code",
            CloseKind::Retry,
            was_ready,
        );
    };
    let code = u16::from(f.code);
    let kind = if f.code == CloseCode::Away {
        CloseKind::Retry
    } else {
        protocol::close_kind(code)
    };
    let detail = if f.reason.is_empty() {
        String::new()
    } else {
        format!(": {}", f.reason)
    };
    lost(
        format!(
            "OBS closed the connection (close {code} {}{detail})",
            protocol::close_name(code)
        ),
        kind,
        was_ready,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_the_cap_and_slows_for_bad_passwords() {
        let (min, max) = (Duration::from_secs(5), Duration::from_secs(60));
        let b = |n, k| backoff(min, max, n, k, 1.0).unwrap().as_secs();
        assert_eq!(
            (0..6).map(|n| b(n, CloseKind::Retry)).collect::<Vec<_>>(),
            [5, 10, 20, 40, 60, 60]
        );
        assert_eq!(b(40, CloseKind::Retry), 60, "no overflow");
        assert_eq!(b(0, CloseKind::BadPassword), 60);
        assert_eq!(b(0, CloseKind::Protocol), 60);
        assert_eq!(backoff(min, max, 0, CloseKind::Kicked, 1.0), None);
        let jittered = backoff(min, max, 0, CloseKind::Retry, 0.8).unwrap();
        assert_eq!(jittered, Duration::from_secs(4));
    }
}
