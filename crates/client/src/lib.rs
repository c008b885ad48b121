//! A resilient Phoenix Channels client (wire v2) for Landale's services and tests.
//!
//! * Reconnects forever with exponential backoff and full jitter (250 ms doubling to
//!   30 s by default); rejoins every channel on each new connection.
//! * Rejoins with `last_seq`: the highest `seq` delivered to the application on that
//!   channel (or the hub's head from the join reply), so the hub replays what was
//!   missed and nothing is delivered twice.
//! * Heartbeats every 30 s; a connection whose heartbeat goes unanswered for one more
//!   interval is dropped and re-established.
//! * Bounded queues: pushes wait in a queue of `outbound_capacity` commands; each
//!   channel's inbox holds `inbox_capacity` messages and the reader waits for the
//!   application (so `last_seq` only moves past what was really delivered; a client
//!   that stops reading is eventually cut off by the hub and catches up on rejoin).
//! * Every push has a timeout (`push_timeout`, 10 s by default).

use futures_util::{SinkExt, StreamExt};
use landale_protocol::frame::{self, events as ev};
use landale_protocol::{Frame, Vsn};
use rand::Rng;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};
use tokio_tungstenite::tungstenite::Message as WsMessage;

#[derive(Debug, Clone)]
pub struct Options {
    pub heartbeat: Duration,
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    pub push_timeout: Duration,
    pub connect_timeout: Duration,
    pub outbound_capacity: usize,
    pub inbox_capacity: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            heartbeat: Duration::from_secs(30),
            backoff_min: Duration::from_millis(250),
            backoff_max: Duration::from_secs(30),
            push_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(10),
            outbound_capacity: 1024,
            inbox_capacity: 1024,
        }
    }
}

#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum Error {
    #[error("the hub replied with an error: {0}")]
    Reply(Value),
    #[error("no reply within {0:?}")]
    Timeout(Duration),
    #[error("the connection dropped before the reply arrived")]
    Disconnected,
    #[error("the client is closed")]
    Closed,
    #[error("the outbound queue is full")]
    QueueFull,
}

/// A message pushed by the hub on a joined channel.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub event: String,
    pub payload: Value,
}

/// Connection state, observable through [`Client::status`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Connecting,
    Connected,
    /// Waiting before the next attempt.
    Backoff,
    Closed,
}

enum Cmd {
    Join {
        topic: String,
        payload: Value,
        inbox: mpsc::Sender<Message>,
        reply: oneshot::Sender<Result<Value, Error>>,
    },
    Push {
        topic: String,
        event: String,
        payload: Value,
        reply: oneshot::Sender<Result<Value, Error>>,
    },
    Leave {
        topic: String,
    },
    Close,
}

/// A handle to the connection task. Cloning shares the connection.
#[derive(Clone)]
pub struct Client {
    tx: mpsc::Sender<Cmd>,
    status: watch::Receiver<Status>,
    connects: watch::Receiver<u64>,
    opts: Options,
}

/// A joined channel: receive pushes, send commands.
pub struct Channel {
    pub topic: String,
    client: Client,
    inbox: mpsc::Receiver<Message>,
}

impl Client {
    /// Start connecting to `url` (e.g. `ws://127.0.0.1:7175/socket/websocket`);
    /// `params` become query parameters (`token`, `environment`, ...).
    pub fn connect(url: &str, params: &[(&str, &str)], opts: Options) -> Client {
        let mut full = format!("{url}?vsn=2.0.0");
        for (k, v) in params {
            full.push('&');
            full.push_str(&encode_param(k));
            full.push('=');
            full.push_str(&encode_param(v));
        }
        let (tx, rx) = mpsc::channel(opts.outbound_capacity);
        let (status_tx, status) = watch::channel(Status::Connecting);
        let (connects_tx, connects) = watch::channel(0);
        tokio::spawn(run(full, rx, status_tx, connects_tx, opts.clone()));
        Client {
            tx,
            status,
            connects,
            opts,
        }
    }

    pub fn status(&self) -> Status {
        *self.status.borrow()
    }

    /// How many times a connection has been established.
    pub fn connections(&self) -> u64 {
        *self.connects.borrow()
    }

    /// Wait until connected (at least `n` connections made so far).
    pub async fn wait_connections(&self, n: u64) {
        let mut rx = self.connects.clone();
        let _ = rx.wait_for(|c| *c >= n).await;
    }

    /// Join a topic; resolves with the join reply's response. The channel is rejoined
    /// automatically after every reconnect.
    pub async fn join(&self, topic: &str, payload: Value) -> Result<(Channel, Value), Error> {
        let (inbox_tx, inbox) = mpsc::channel(self.opts.inbox_capacity);
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Cmd::Join {
                topic: topic.into(),
                payload,
                inbox: inbox_tx,
                reply,
            })
            .await
            .map_err(|_| Error::Closed)?;
        let resp = self.await_reply(rx).await?;
        Ok((
            Channel {
                topic: topic.into(),
                client: self.clone(),
                inbox,
            },
            resp,
        ))
    }

    async fn await_reply(
        &self,
        rx: oneshot::Receiver<Result<Value, Error>>,
    ) -> Result<Value, Error> {
        match tokio::time::timeout(self.opts.push_timeout, rx).await {
            Ok(Ok(r)) => r,
            Ok(Err(_)) => Err(Error::Closed),
            Err(_) => Err(Error::Timeout(self.opts.push_timeout)),
        }
    }

    /// Close the connection and stop reconnecting.
    pub async fn close(&self) {
        let _ = self.tx.send(Cmd::Close).await;
    }
}

/// Pushes on a joined channel, cloneable, for a sender that lets another task read
/// the channel's inbox (which must be read: the reader waits for it).
#[derive(Clone)]
pub struct Pusher {
    topic: String,
    client: Client,
}

impl Pusher {
    /// Push a command and wait for the reply (`Ok` response or [`Error::Reply`]).
    pub async fn push(&self, event: &str, payload: Value) -> Result<Value, Error> {
        push_on(&self.client, &self.topic, event, payload).await
    }
}

async fn push_on(
    client: &Client,
    topic: &str,
    event: &str,
    payload: Value,
) -> Result<Value, Error> {
    let (reply, rx) = oneshot::channel();
    client
        .tx
        .try_send(Cmd::Push {
            topic: topic.to_string(),
            event: event.into(),
            payload,
            reply,
        })
        .map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => Error::QueueFull,
            mpsc::error::TrySendError::Closed(_) => Error::Closed,
        })?;
    client.await_reply(rx).await
}

impl Channel {
    /// A cloneable handle that pushes on this channel.
    pub fn pusher(&self) -> Pusher {
        Pusher {
            topic: self.topic.clone(),
            client: self.client.clone(),
        }
    }

    /// Push a command and wait for the reply (`Ok` response or [`Error::Reply`]).
    pub async fn push(&self, event: &str, payload: Value) -> Result<Value, Error> {
        push_on(&self.client, &self.topic, event, payload).await
    }

    /// The next push from the hub; `None` once the client is closed or the channel left.
    pub async fn recv(&mut self) -> Option<Message> {
        self.inbox.recv().await
    }

    /// The next push named `event`, skipping others, within `timeout`.
    pub async fn recv_event(&mut self, event: &str, timeout: Duration) -> Option<Message> {
        tokio::time::timeout(timeout, async {
            while let Some(m) = self.recv().await {
                if m.event == event {
                    return Some(m);
                }
            }
            None
        })
        .await
        .ok()
        .flatten()
    }

    pub async fn leave(self) {
        let _ = self
            .client
            .tx
            .send(Cmd::Leave {
                topic: self.topic.clone(),
            })
            .await;
    }
}

fn encode_param(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

struct Joined {
    payload: Value,
    inbox: mpsc::Sender<Message>,
    join_ref: String,
    /// Highest seq delivered to the application (or the join reply's head).
    last_seq: Option<u64>,
    /// The reply for the application's own join, until it arrives.
    pending: Option<oneshot::Sender<Result<Value, Error>>>,
}

enum Pending {
    Join { topic: String },
    Push(oneshot::Sender<Result<Value, Error>>),
    Heartbeat,
}

struct State {
    channels: HashMap<String, Joined>,
    pending: HashMap<String, Pending>,
    next_ref: u64,
}

impl State {
    fn next_ref(&mut self) -> String {
        self.next_ref += 1;
        self.next_ref.to_string()
    }
}

/// Full-jitter backoff: a random wait in `[0, min(max, base * 2^attempt)]`.
pub fn backoff(attempt: u32, min: Duration, max: Duration) -> Duration {
    let cap = min
        .saturating_mul(2u32.saturating_pow(attempt.min(20)))
        .min(max);
    let ms = rand::rng().random_range(min.as_millis() as u64 / 2..=cap.as_millis().max(1) as u64);
    Duration::from_millis(ms)
}

async fn run(
    url: String,
    mut rx: mpsc::Receiver<Cmd>,
    status: watch::Sender<Status>,
    connects: watch::Sender<u64>,
    opts: Options,
) {
    let mut st = State {
        channels: HashMap::new(),
        pending: HashMap::new(),
        next_ref: 0,
    };
    let mut attempt = 0u32;
    loop {
        let _ = status.send(Status::Connecting);
        let conn = tokio::time::timeout(
            opts.connect_timeout,
            tokio_tungstenite::connect_async(url.as_str()),
        )
        .await;
        let ws = match conn {
            Ok(Ok((ws, _))) => ws,
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "connect failed");
                if !wait_backoff(&mut rx, &mut st, &status, &opts, &mut attempt).await {
                    break;
                }
                continue;
            }
            Err(_) => {
                if !wait_backoff(&mut rx, &mut st, &status, &opts, &mut attempt).await {
                    break;
                }
                continue;
            }
        };
        attempt = 0;
        let _ = status.send(Status::Connected);
        connects.send_modify(|c| *c += 1);
        let closed = session(ws, &mut rx, &mut st, &opts).await;
        // Everything in flight failed with the connection.
        for (_, p) in st.pending.drain() {
            if let Pending::Push(tx) = p {
                let _ = tx.send(Err(Error::Disconnected));
            }
        }
        if closed {
            break;
        }
        if !wait_backoff(&mut rx, &mut st, &status, &opts, &mut attempt).await {
            break;
        }
    }
    let _ = status.send(Status::Closed);
}

/// Sleep before the next attempt while still accepting joins (they are sent on the
/// next connection) and refusing pushes. Returns false when the client was closed.
async fn wait_backoff(
    rx: &mut mpsc::Receiver<Cmd>,
    st: &mut State,
    status: &watch::Sender<Status>,
    opts: &Options,
    attempt: &mut u32,
) -> bool {
    let _ = status.send(Status::Backoff);
    let sleep = tokio::time::sleep(backoff(*attempt, opts.backoff_min, opts.backoff_max));
    *attempt = attempt.saturating_add(1);
    tokio::pin!(sleep);
    loop {
        tokio::select! {
            _ = &mut sleep => return true,
            cmd = rx.recv() => match cmd {
                None | Some(Cmd::Close) => return false,
                Some(Cmd::Join { topic, payload, inbox, reply }) => {
                    st.channels.insert(topic, Joined { payload, inbox, join_ref: String::new(), last_seq: None, pending: Some(reply) });
                }
                Some(Cmd::Push { reply, .. }) => {
                    let _ = reply.send(Err(Error::Disconnected));
                }
                Some(Cmd::Leave { topic }) => {
                    st.channels.remove(&topic);
                }
            },
        }
    }
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn text(
    join_ref: Option<&str>,
    r#ref: Option<&str>,
    topic: &str,
    event: &str,
    payload: &Value,
) -> WsMessage {
    let j = join_ref.map(Value::from).unwrap_or(Value::Null);
    let r = r#ref.map(Value::from).unwrap_or(Value::Null);
    WsMessage::Text(frame::encode(Vsn::V2, &j, &r, topic, event, &payload.to_string()).into())
}

fn join_msg(st: &mut State, topic: &str) -> Option<WsMessage> {
    let r = st.next_ref();
    let ch = st.channels.get_mut(topic)?;
    ch.join_ref = r.clone();
    let mut payload = ch.payload.clone();
    if let (Some(seq), Some(obj)) = (ch.last_seq, payload.as_object_mut()) {
        obj.insert("last_seq".into(), json!(seq));
    }
    st.pending.insert(
        r.clone(),
        Pending::Join {
            topic: topic.to_string(),
        },
    );
    Some(text(Some(&r), Some(&r), topic, ev::JOIN, &payload))
}

/// One connection. Returns true when the client asked to close.
async fn session(mut ws: Ws, rx: &mut mpsc::Receiver<Cmd>, st: &mut State, opts: &Options) -> bool {
    let topics: Vec<String> = st.channels.keys().cloned().collect();
    for t in topics {
        if let Some(m) = join_msg(st, &t) {
            if ws.send(m).await.is_err() {
                return false;
            }
        }
    }
    let mut heartbeat = tokio::time::interval(opts.heartbeat);
    heartbeat.tick().await;
    let mut awaiting_heartbeat = false;
    loop {
        tokio::select! {
            _ = heartbeat.tick() => {
                if awaiting_heartbeat {
                    tracing::debug!("heartbeat unanswered: reconnecting");
                    return false;
                }
                // Pushes the hub never answers (their callers timed out) are forgotten.
                st.pending.retain(|_, p| !matches!(p, Pending::Push(tx) if tx.is_closed()));
                let r = st.next_ref();
                st.pending.insert(r.clone(), Pending::Heartbeat);
                awaiting_heartbeat = true;
                if ws.send(text(None, Some(&r), ev::PHOENIX_TOPIC, ev::HEARTBEAT, &json!({}))).await.is_err() {
                    return false;
                }
            }
            cmd = rx.recv() => {
                let msg = match cmd {
                    None | Some(Cmd::Close) => {
                        let _ = ws.close(None).await;
                        return true;
                    }
                    Some(Cmd::Join { topic, payload, inbox, reply }) => {
                        st.channels.insert(topic.clone(), Joined { payload, inbox, join_ref: String::new(), last_seq: None, pending: Some(reply) });
                        join_msg(st, &topic)
                    }
                    Some(Cmd::Push { topic, event, payload, reply }) => match st.channels.get(&topic) {
                        Some(ch) => {
                            let jr = ch.join_ref.clone();
                            let r = st.next_ref();
                            st.pending.insert(r.clone(), Pending::Push(reply));
                            Some(text(Some(&jr), Some(&r), &topic, &event, &payload))
                        }
                        None => {
                            let _ = reply.send(Err(Error::Reply(json!({"reason": "not joined"}))));
                            None
                        }
                    },
                    Some(Cmd::Leave { topic }) => st.channels.remove(&topic).map(|ch| {
                        let r = st.next_ref();
                        text(Some(&ch.join_ref), Some(&r), &topic, ev::LEAVE, &json!({}))
                    }),
                };
                if let Some(m) = msg {
                    if ws.send(m).await.is_err() {
                        return false;
                    }
                }
            }
            incoming = ws.next() => {
                let text = match incoming {
                    Some(Ok(WsMessage::Text(t))) => t,
                    Some(Ok(WsMessage::Close(_))) | None | Some(Err(_)) => return false,
                    Some(Ok(_)) => continue,
                };
                let Ok(f) = Frame::decode(text.as_str(), Vsn::V2) else { continue };
                if f.event == ev::REPLY {
                    if let Some(Pending::Heartbeat) = f.r#ref.as_str().and_then(|r| st.pending.get(r)) {
                        awaiting_heartbeat = false;
                    }
                    on_reply(st, f);
                } else {
                    deliver(st, f).await;
                }
            }
        }
    }
}

fn on_reply(st: &mut State, f: Frame) {
    let Some(r) = f.r#ref.as_str() else { return };
    let Some(p) = st.pending.remove(r) else {
        return;
    };
    let ok = f.payload.get("status").and_then(Value::as_str) == Some("ok");
    let response = f.payload.get("response").cloned().unwrap_or(Value::Null);
    match p {
        Pending::Heartbeat => {}
        Pending::Push(tx) => {
            let _ = tx.send(if ok {
                Ok(response)
            } else {
                Err(Error::Reply(response))
            });
        }
        Pending::Join { topic } => {
            let Some(ch) = st.channels.get_mut(&topic) else {
                return;
            };
            if ok {
                if ch.last_seq.is_none() {
                    ch.last_seq = response.get("seq").and_then(Value::as_u64);
                }
                if let Some(tx) = ch.pending.take() {
                    let _ = tx.send(Ok(response));
                }
            } else {
                if let Some(tx) = ch.pending.take() {
                    let _ = tx.send(Err(Error::Reply(response)));
                }
                st.channels.remove(&topic);
            }
        }
    }
}

async fn deliver(st: &mut State, f: Frame) {
    let Some(ch) = st.channels.get_mut(&f.topic) else {
        return;
    };
    // Frames for an earlier join of this topic are stale.
    if let Some(jr) = f.join_ref.as_str() {
        if jr != ch.join_ref {
            return;
        }
    }
    if f.event == ev::CLOSE || f.event == ev::ERROR {
        return;
    }
    let seq = f.payload.get("seq").and_then(Value::as_u64);
    if ch
        .inbox
        .send(Message {
            event: f.event,
            payload: f.payload,
        })
        .await
        .is_ok()
    {
        if let Some(seq) = seq {
            ch.last_seq = Some(ch.last_seq.map_or(seq, |s| s.max(seq)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_bounded_and_jittered() {
        let (min, max) = (Duration::from_millis(100), Duration::from_secs(5));
        for attempt in 0..40 {
            let d = backoff(attempt, min, max);
            assert!(d <= max, "{d:?}");
            assert!(d >= min / 2, "{d:?}");
        }
        let samples: std::collections::HashSet<_> =
            (0..50).map(|_| backoff(10, min, max)).collect();
        assert!(samples.len() > 10, "jitter spreads attempts");
    }

    #[test]
    fn params_are_encoded() {
        assert_eq!(encode_param("a b&c"), "a%20b%26c");
    }
}
