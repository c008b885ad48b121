//! EventSub over WebSocket (`TWITCH_EVENTSUB_URL`), one task per hub.
//!
//! ```text
//! wait for a valid token ─▶ connect ─welcome─▶ subscribe (scope-gated, catalogue order) ─▶ read
//!        ▲                                                                      │
//!        └──── backoff 1 s doubling to 60 s, ±20 % (reset after 30 s up) ◀──────┘
//!              close 4000–4007, keepalive silence, network loss
//! ```
//!
//! - Every frame re-arms the keepalive deadline (`keepalive_timeout_seconds` plus a
//!   quarter): a busy chat suppresses keepalives, and must not look like silence.
//! - Notifications are de-duplicated by `message_id` (the last 10,000) and published
//!   through the hub pipeline with the message id as the event id (the pipeline also
//!   drops a producer id it has seen).
//! - `session_reconnect`: a second connection to the `reconnect_url` is opened while
//!   the first keeps being read; after its welcome the first is drained until Twitch
//!   closes it, so nothing in flight is lost. Subscriptions carry over.
//! - Revocations drop the subscription from the count; a new session re-creates all.
//! - Status: `twitch.service_status` events on every change, and [`EventSub::status`].

mod subscribe;

pub use subscribe::condition;
use subscribe::{subscribe_all, SubResult};

use super::helix::Helix;
use super::tokens::{TokenState, Tokens};
use futures_util::StreamExt;
use landale_core::Envelope;
use landale_core::Input;
use landale_core::{Backoff, Ingest};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const DEDUP: usize = 10_000;
const BACKOFF_MAX: Duration = Duration::from_secs(60);
const STABLE: Duration = Duration::from_secs(30);
/// How long the old connection is drained after a reconnect's welcome.
const DRAIN: Duration = Duration::from_secs(5);

/// What the dashboard and `/api/health` show.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Status {
    pub connected: bool,
    /// `waiting_for_login`, `connecting`, `subscribing`, `ready`, `reconnecting`, `disconnected`.
    pub state: String,
    pub session_id: Option<String>,
    pub subscription_count: usize,
    pub subscription_cost: u64,
    /// The types subscribed in this session.
    pub subscribed: Vec<String>,
    /// Types skipped because the token lacks their scope.
    pub skipped: Vec<String>,
    /// Types whose creation failed for a transient reason in this session, being
    /// retried with backoff (the reason is in `last_error`).
    pub failed: Vec<String>,
    /// Types Twitch refused in this session (400, 403): not retried until the next
    /// session; the reason is in `last_error`.
    pub refused: Vec<String>,
    pub last_error: Option<String>,
    pub reconnects: u64,
    /// `session_reconnect` handovers completed (not counted as reconnects).
    pub handovers: u64,
    pub notifications: u64,
    pub duplicates: u64,
}

pub struct EventSub {
    url: String,
    backoff_min: Duration,
    tokens: Arc<Tokens>,
    helix: Arc<Helix>,
    pipeline: Arc<dyn Ingest>,
    status: watch::Sender<Status>,
    seen: Mutex<(HashSet<String>, VecDeque<String>)>,
    publishing: Mutex<()>,
}

enum End {
    Shutdown,
    /// Reconnect after the backoff (`now`: at once).
    Again {
        reason: String,
        now: bool,
    },
}

fn close_meaning(code: u16) -> (&'static str, bool) {
    match code {
        4000 => ("Twitch internal server error (4000)", false),
        4001 => ("Twitch says the client sent inbound traffic (4001)", false),
        4002 => ("the client failed ping-pong (4002)", false),
        // Subscribing failed or was too slow: at once would repeat it in a storm.
        4003 => ("connection unused: no subscription in time (4003)", false),
        4004 => ("reconnect grace time expired (4004)", true),
        4005 => ("network timeout (4005)", false),
        4006 => ("network error (4006)", false),
        4007 => ("invalid reconnect URL (4007)", true),
        _ => ("closed by Twitch", false),
    }
}

impl EventSub {
    pub fn new(
        settings: &super::TwitchSettings,
        tokens: Arc<Tokens>,
        helix: Arc<Helix>,
        pipeline: Arc<dyn Ingest>,
    ) -> Arc<EventSub> {
        Arc::new(EventSub {
            url: settings.eventsub_url.clone(),
            backoff_min: settings.reconnect_min.min(BACKOFF_MAX),
            tokens,
            helix,
            pipeline,
            status: watch::Sender::new(Status {
                state: "waiting_for_login".into(),
                ..Status::default()
            }),
            seen: Mutex::new((HashSet::new(), VecDeque::new())),
            publishing: Mutex::new(()),
        })
    }

    pub fn status(&self) -> Status {
        self.status.borrow().clone()
    }

    pub fn watch(&self) -> watch::Receiver<Status> {
        self.status.subscribe()
    }

    fn update(&self, f: impl FnOnce(&mut Status)) {
        let mut announce = false;
        self.status.send_if_modified(|s| {
            let before = s.clone();
            f(s);
            // Counters and the count rising while subscribing are not announced (the
            // watch has them); a change of state, session, error or lists is.
            announce = (&s.connected, &s.state, &s.session_id, &s.last_error)
                != (
                    &before.connected,
                    &before.state,
                    &before.session_id,
                    &before.last_error,
                )
                || (s.failed.len(), s.refused.len(), s.skipped.len())
                    != (
                        before.failed.len(),
                        before.refused.len(),
                        before.skipped.len(),
                    )
                || (s.state == "ready" && s.subscription_count != before.subscription_count);
            *s != before
        });
        if announce {
            self.publish();
        }
    }

    /// A `twitch.service_status` event: the session's status, and the overall Twitch
    /// status and reason (the token's state included) as `/api/health` shows them.
    fn publish(&self) {
        // One at a time, so an older snapshot is never published after a newer one.
        let _order = self.publishing.lock().unwrap_or_else(|e| e.into_inner());
        let s = self.status();
        let summary = super::summary(&self.tokens, self);
        let mut data = serde_json::to_value(&s).unwrap_or(Value::Null);
        data["service"] = json!("twitch");
        data["status"] = summary["status"].clone();
        data["reason"] = summary["reason"].clone();
        let _ = self.pipeline.ingest_event(Input {
            event_type: "twitch.service_status".into(),
            data,
            envelope: Envelope::default(),
        });
    }

    /// Announce every change of the token's state too (a refused refresh, a new
    /// login), so the dashboard hears of it at once.
    pub async fn follow_tokens(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let mut w = self.tokens.watch();
        w.borrow_and_update();
        loop {
            tokio::select! {
                _ = shutdown.changed() => return,
                r = w.changed() => {
                    if r.is_err() {
                        return;
                    }
                    self.publish();
                }
            }
        }
    }

    /// True the first time a message id is seen.
    fn first_time(&self, id: &str) -> bool {
        let mut g = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let (set, order) = &mut *g;
        if !set.insert(id.to_string()) {
            return false;
        }
        order.push_back(id.to_string());
        if order.len() > DEDUP {
            if let Some(old) = order.pop_front() {
                set.remove(&old);
            }
        }
        true
    }

    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        if matches!(self.tokens.state(), TokenState::NotConfigured { .. }) {
            return;
        }
        let mut backoff = Backoff::new(self.backoff_min, BACKOFF_MAX);
        loop {
            // A token with a user id first (validation fills it in).
            // Subscribed before the check, so a change in between is not missed.
            let mut w = self.tokens.watch();
            let user = loop {
                let valid = match &*w.borrow_and_update() {
                    TokenState::Valid {
                        user_id: Some(u), ..
                    } => Some(u.clone()),
                    _ => None,
                };
                if let Some(u) = valid {
                    break u;
                }
                self.update(|s| {
                    s.state = "waiting_for_login".into();
                    s.connected = false;
                });
                tokio::select! {
                    _ = shutdown.changed() => return,
                    _ = w.changed() => {}
                }
            };
            let started = tokio::time::Instant::now();
            match self.session(&user, &mut shutdown).await {
                End::Shutdown => return,
                End::Again { reason, now } => {
                    tracing::warn!(reason = %reason, "EventSub connection ended; reconnecting");
                    self.update(|s| {
                        s.connected = false;
                        s.state = "reconnecting".into();
                        s.session_id = None;
                        s.subscription_count = 0;
                        s.subscription_cost = 0;
                        s.subscribed.clear();
                        s.last_error = Some(reason);
                        s.reconnects += 1;
                    });
                    if started.elapsed() >= STABLE {
                        backoff.reset();
                    }
                    // A reconnect at once still counts as an attempt.
                    let next = backoff.next_wait();
                    let wait = if now { Duration::ZERO } else { next };
                    tokio::select! {
                        _ = shutdown.changed() => return,
                        _ = tokio::time::sleep(wait) => {}
                    }
                }
            }
        }
    }

    async fn connect(url: &str) -> Result<(Ws, Value), String> {
        // A reconnect URL carries a session secret in its query: never in a message.
        let shown = url.split('?').next().unwrap_or(url);
        let (mut ws, _) =
            tokio::time::timeout(CONNECT_TIMEOUT, tokio_tungstenite::connect_async(url))
                .await
                .map_err(|_| format!("no connection to {shown} within 10 s"))?
                .map_err(|e| format!("cannot connect to {shown}: {e}"))?;
        let welcome = tokio::time::timeout(CONNECT_TIMEOUT, async {
            loop {
                match ws.next().await {
                    Some(Ok(Message::Text(t))) => {
                        return serde_json::from_str::<Value>(&t).map_err(|e| e.to_string())
                    }
                    Some(Ok(Message::Close(c))) => {
                        let code = c.map(|c| u16::from(c.code)).unwrap_or(1005);
                        return Err(close_meaning(code).0.to_string());
                    }
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => return Err(e.to_string()),
                    None => return Err("closed before the welcome".into()),
                }
            }
        })
        .await
        .map_err(|_| "no welcome within 10 s".to_string())??;
        if welcome["metadata"]["message_type"] != "session_welcome" {
            return Err(format!(
                "expected session_welcome, got {}",
                welcome["metadata"]["message_type"]
            ));
        }
        Ok((ws, welcome))
    }

    async fn session(self: &Arc<Self>, user: &str, shutdown: &mut watch::Receiver<bool>) -> End {
        self.update(|s| s.state = "connecting".into());
        let (mut ws, welcome) = match Self::connect(&self.url).await {
            Ok(x) => x,
            Err(reason) => return End::Again { reason, now: false },
        };
        let session = welcome["payload"]["session"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let mut keepalive = keepalive_of(&welcome);
        self.update(|s| {
            s.connected = true;
            s.state = "subscribing".into();
            s.session_id = Some(session.clone());
            s.failed.clear();
            s.refused.clear();
            s.subscribed.clear();
        });
        tracing::info!(session = %session, "EventSub connected");

        // Subscribe while reading (notifications and keepalives arrive meanwhile).
        let (made_tx, mut made_rx) = mpsc::channel::<SubResult>(64);
        let creator = tokio::spawn(subscribe_all(
            self.clone(),
            user.to_string(),
            session.clone(),
            made_tx,
        ));
        let mut subs: HashMap<String, u64> = HashMap::new();
        let mut subscribing = true;
        let (swap_tx, mut swap_rx) = mpsc::channel::<Result<(Ws, Value), String>>(1);
        let mut old: Option<Ws> = None;
        // A session_reconnect is under way: a close of the current socket then waits
        // for the new connection instead of ending the session.
        let mut handover = false;
        let drain_until = tokio::time::sleep(Duration::ZERO);
        tokio::pin!(drain_until);
        let deadline = tokio::time::sleep(keepalive);
        tokio::pin!(deadline);

        let end = loop {
            tokio::select! {
                _ = shutdown.changed() => break End::Shutdown,
                _ = &mut deadline => break End::Again {
                    reason: format!("no message from Twitch within {} s (keepalive timeout)", keepalive.as_secs()),
                    now: false,
                },
                r = made_rx.recv(), if subscribing => match r {
                    Some(SubResult::Made { kind, id, cost }) => {
                        subs.insert(id, cost);
                        let (n, c) = (subs.len(), subs.values().sum());
                        self.update(|s| {
                            s.subscription_count = n;
                            s.subscription_cost = c;
                            s.failed.retain(|f| *f != kind);
                            if !s.subscribed.contains(&kind) {
                                s.subscribed.push(kind);
                            }
                        });
                    }
                    Some(SubResult::Skipped(t)) => self.update(|s| if !s.skipped.contains(&t) { s.skipped.push(t) }),
                    Some(SubResult::Failed { kind, why, retry }) => self.update(|s| {
                        s.last_error = Some(match retry {
                            Some(w) => format!("{kind}: {why} (retrying in about {} s)", w.as_secs().max(1)),
                            None => format!("{kind}: {why}"),
                        });
                        let list = if retry.is_some() { &mut s.failed } else { &mut s.refused };
                        if !list.contains(&kind) { list.push(kind); }
                    }),
                    None => {
                        subscribing = false;
                        self.update(|s| s.state = "ready".into());
                    }
                },
                r = swap_rx.recv() => match r {
                    Some(Ok((new, welcome))) => {
                        tracing::info!("EventSub reconnected to the new URL; draining the old connection");
                        keepalive = keepalive_of(&welcome);
                                                old = Some(std::mem::replace(&mut ws, new));
                        handover = false;
                        drain_until.as_mut().reset(tokio::time::Instant::now() + DRAIN);
                        deadline.as_mut().reset(tokio::time::Instant::now() + keepalive);
                        self.update(|s| { s.state = "ready".into(); s.handovers += 1; });
                    }
                    Some(Err(reason)) => break End::Again { reason: format!("session_reconnect failed: {reason}"), now: true },
                    None => {}
                },
                _ = &mut drain_until, if old.is_some() => { old = None; }
                frame = async { old.as_mut().unwrap().next().await }, if old.is_some() => match frame {
                                    Some(Ok(Message::Text(t))) => { self.handle(&t, &mut subs, &swap_tx, &mut handover); }
                    Some(Ok(_)) => {}
                    _ => old = None, // closed, as Twitch does after the handover
                },
                frame = ws.next() => {
                    deadline.as_mut().reset(tokio::time::Instant::now() + keepalive);
                    match frame {
                                                Some(Ok(Message::Text(t))) => {
                            if let Some(end) = self.handle(&t, &mut subs, &swap_tx, &mut handover) { break end; }
                        }
                        // Twitch may close the old socket before the new welcome is read
                        // here: wait for the new connection rather than start over.
                        Some(Ok(Message::Close(_))) | None | Some(Err(_)) if handover => {
                            match tokio::time::timeout(CONNECT_TIMEOUT, swap_rx.recv()).await {
                                Ok(Some(Ok((new, welcome)))) => {
                                    keepalive = keepalive_of(&welcome);
                                    ws = new;
                                    handover = false;
                                    deadline.as_mut().reset(tokio::time::Instant::now() + keepalive);
                                    self.update(|s| { s.state = "ready".into(); s.handovers += 1; });
                                }
                                Ok(Some(Err(reason))) => break End::Again { reason: format!("session_reconnect failed: {reason}"), now: true },
                                _ => break End::Again { reason: "session_reconnect: no new connection in time".into(), now: false },
                            }
                        }
                        Some(Ok(Message::Close(c))) => {
                            let code = c.as_ref().map(|c| u16::from(c.code)).unwrap_or(1005);
                            if c.as_ref().is_some_and(|c| c.code == CloseCode::Normal) && old.is_none() {
                                break End::Again { reason: "Twitch closed the connection".into(), now: false };
                            }
                            let (why, now) = close_meaning(code);
                            break End::Again { reason: why.to_string(), now };
                        }
                        Some(Ok(_)) => {}
                        Some(Err(e)) => break End::Again { reason: format!("connection lost: {e}"), now: false },
                        None => break End::Again { reason: "connection lost".into(), now: false },
                    }
                }
            }
        };
        creator.abort();
        end
    }

    /// One message. Returns an end for a fatal one.
    fn handle(
        self: &Arc<Self>,
        text: &str,
        subs: &mut HashMap<String, u64>,
        swap: &mpsc::Sender<Result<(Ws, Value), String>>,
        handover: &mut bool,
    ) -> Option<End> {
        let Ok(m) = serde_json::from_str::<Value>(text) else {
            tracing::warn!("EventSub sent a message that is not JSON");
            return None;
        };
        let meta = &m["metadata"];
        match meta["message_type"].as_str().unwrap_or_default() {
            "session_keepalive" => {}
            "notification" => {
                let id = meta["message_id"].as_str().unwrap_or_default().to_string();
                if !self.first_time(&id) {
                    self.status.send_modify(|s| s.duplicates += 1);
                    return None;
                }
                let kind = m["payload"]["subscription"]["type"]
                    .as_str()
                    .or(meta["subscription_type"].as_str())
                    .unwrap_or_default()
                    .to_string();
                // Twitch's message id is the event's id and its correlation id: one
                // id in every log line from here to the overlay.
                tracing::debug!(correlation_id = %id, event_type = %kind, "EventSub notification");
                let input = Input {
                    event_type: kind.clone(),
                    data: m["payload"]["event"].clone(),
                    envelope: Envelope {
                        id: Some(id.clone()),
                        source_id: Some(id.clone()),
                        correlation_id: Some(id),
                    },
                };
                if let Err(e) = self.pipeline.ingest_event(input) {
                    tracing::warn!(event_type = %kind, error = %e, "EventSub notification refused by the pipeline");
                }
                self.status.send_modify(|s| s.notifications += 1);
            }
            "session_reconnect" => {
                let Some(url) = m["payload"]["session"]["reconnect_url"]
                    .as_str()
                    .map(str::to_owned)
                else {
                    return Some(End::Again {
                        reason: "session_reconnect without a URL".into(),
                        now: true,
                    });
                };
                self.update(|s| s.state = "reconnecting".into());
                *handover = true;
                let tx = swap.clone();
                tokio::spawn(async move {
                    let _ = tx.send(Self::connect(&url).await).await;
                });
            }
            "revocation" => {
                let sub = &m["payload"]["subscription"];
                let id = sub["id"].as_str().unwrap_or_default();
                subs.remove(id);
                let (n, c) = (subs.len(), subs.values().sum());
                let why = format!(
                    "{} revoked: {}",
                    sub["type"].as_str().unwrap_or("?"),
                    sub["status"].as_str().unwrap_or("?")
                );
                tracing::warn!("EventSub subscription {why}");
                let kind = sub["type"].as_str().unwrap_or_default().to_string();
                self.update(|s| {
                    s.subscription_count = n;
                    s.subscription_cost = c;
                    s.subscribed.retain(|t| *t != kind);
                    s.last_error = Some(why);
                });
            }
            other => tracing::debug!(message_type = other, "EventSub message ignored"),
        }
        None
    }
}

fn keepalive_of(welcome: &Value) -> Duration {
    let secs = welcome["payload"]["session"]["keepalive_timeout_seconds"]
        .as_u64()
        .unwrap_or(10)
        .max(1);
    // A quarter of grace (at least a second) for network jitter.
    let base = Duration::from_secs(secs);
    base + (base / 4).max(Duration::from_secs(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::helix::HelixError;

    #[test]
    fn close_codes_say_what_happened_and_when_to_reconnect() {
        // Twitch's reference: 4004 (grace expired) and 4007 (bad reconnect URL) mean
        // connect afresh now; the others are failures worth a backoff, 4003 included
        // (reconnecting at once would repeat a subscription failure in a storm).
        for (code, now) in [
            (4000, false),
            (4001, false),
            (4002, false),
            (4003, false),
            (4004, true),
            (4005, false),
            (4006, false),
            (4007, true),
        ] {
            let (why, at_once) = close_meaning(code);
            assert_eq!(at_once, now, "{code}");
            assert!(why.contains(&code.to_string()), "{code}: {why}");
        }
        assert_eq!(close_meaning(1006), ("closed by Twitch", false));
    }

    #[test]
    fn helix_errors_that_end_a_round_or_are_retried() {
        use super::super::oauth::OauthError;
        use super::super::tokens::TokenError;
        let oauth = |e| HelixError::Tokens(TokenError::Oauth(e));
        assert!(HelixError::RateLimited(3).is_transient());
        assert!(HelixError::RateLimited(3).ends_round());
        assert!(HelixError::Api {
            status: 503,
            message: String::new()
        }
        .is_transient());
        assert!(!HelixError::Api {
            status: 403,
            message: String::new()
        }
        .is_transient());
        assert!(oauth(OauthError::Network("x".into())).is_transient());
        assert!(!oauth(OauthError::NoClientSecret).is_transient());
        assert!(!oauth(OauthError::Twitch {
            status: 400,
            message: "invalid client secret".into()
        })
        .is_transient());
        assert!(!HelixError::Tokens(TokenError::NeedsLogin("x".into())).is_transient());
    }
}
