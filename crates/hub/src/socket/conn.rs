//! One connection: the reader task that owns the socket's channel state.
//!
//! The reader decodes frames, runs joins and commands, and turns bus messages into
//! pushes for the channels it has joined, all in one task, so a join reply always
//! precedes that channel's replay and the replay always precedes live pushes. Frames
//! go out through the socket's [`Outbox`]; a full outbox ends the connection.

use crate::bus::BusMessage;
use crate::channels::{Channel, Ctx, Reply};
use crate::hub::Hub;
use crate::outbox::{self, Full, Outbox, CLOSE_SLOW_CONSUMER};
use axum::extract::ws::{Message, WebSocket};
use futures_util::StreamExt;
use landale_protocol::frame::{self, events as ev};
use landale_protocol::topic::TopicError;
use landale_protocol::{ChannelTopic, Frame, Vsn};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

/// Everything the upgrade handler learned about the client.
pub(crate) struct ConnInfo {
    pub(crate) vsn: Vsn,
    pub(crate) authorized: bool,
    pub(crate) environment: String,
    pub(crate) peer: std::net::SocketAddr,
}

struct Joined {
    join_ref: Value,
    channel: Channel,
    /// Live bus messages at or below this seq were already sent (or predate the join).
    min_seq: u64,
}

/// Why a connection ended.
enum End {
    ClientClosed,
    Idle,
    SlowConsumer(&'static str),
    BadFrame(String),
    Shutdown,
}

struct Conn {
    hub: Arc<Hub>,
    id: String,
    info: ConnInfo,
    outbox: Outbox,
    joined: HashMap<String, Joined>,
}

/// Topics one socket may have joined at once, and the longest topic name.
const MAX_JOINS: usize = 100;
const MAX_TOPIC_BYTES: usize = 200;

/// Bus messages handled per wake-up before checking the socket again.
const BUS_BATCH: usize = 256;

/// At most this many stored events are replayed from the database for one join
/// (a client away for longer rejoins without last_seq); read in pages of DB_PAGE.
const MAX_DB_REPLAY: usize = 100_000;
const DB_PAGE: i64 = 2_000;

pub(crate) async fn run(hub: Arc<Hub>, socket: WebSocket, info: ConnInfo) {
    let id = landale_core::ids::random_hex(8);
    let (sink, mut stream) = socket.split();
    let label = vec![("socket", id.clone())];
    let (outbox, kill, writer) =
        outbox::start(sink, hub.config.socket_queue, hub.metrics.clone(), label);
    hub.metrics.sockets.inc();
    tracing::info!(socket = %id, peer = %info.peer, vsn = ?info.vsn, environment = %info.environment, authorized = info.authorized, "socket connected");

    let mut conn = Conn {
        hub: hub.clone(),
        id: id.clone(),
        info,
        outbox,
        joined: HashMap::new(),
    };
    let mut bus_rx = hub.bus.subscribe();
    let mut shutdown = hub.shutdown.clone();
    let idle = hub.config.idle_timeout;
    let mut deadline = tokio::time::Instant::now() + idle;

    let end = loop {
        tokio::select! {
            incoming = stream.next() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    deadline = tokio::time::Instant::now() + idle;
                    if let Err(end) = conn.on_text(text.as_str()).await {
                        break end;
                    }
                }
                Some(Ok(Message::Binary(_))) => break End::BadFrame("binary frames are not supported; send JSON text".into()),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => deadline = tokio::time::Instant::now() + idle,
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break End::ClientClosed,
            },
            msg = bus_rx.recv() => match msg {
                Ok(first) => {
                    // Handle what else is pending in the same wake-up.
                    let (mut msg, mut n, mut end) = (first, 1, None);
                    loop {
                        if conn.on_bus(&msg).is_err() {
                            end = Some(End::SlowConsumer("outbound queue full"));
                            break;
                        }
                        if n == BUS_BATCH {
                            break;
                        }
                        match bus_rx.try_recv() {
                            Ok(m) => {
                                msg = m;
                                n += 1;
                            }
                            Err(TryRecvError::Lagged(_)) => {
                                end = Some(End::SlowConsumer("fell behind the hub"));
                                break;
                            }
                            Err(_) => break,
                        }
                    }
                    if let Some(end) = end {
                        break end;
                    }
                }
                Err(RecvError::Lagged(_)) => break End::SlowConsumer("fell behind the hub"),
                Err(RecvError::Closed) => break End::Shutdown,
            },
            _ = tokio::time::sleep_until(deadline) => break End::Idle,
            _ = shutdown.changed() => break End::Shutdown,
        }
    };

    let (code, reason) = match &end {
        End::ClientClosed => (1000, String::new()),
        End::Idle => (
            1000,
            format!("idle timeout: no frame for {} s", idle.as_secs()),
        ),
        End::SlowConsumer(why) => {
            hub.metrics.slow_consumer_disconnects.inc();
            (
                CLOSE_SLOW_CONSUMER,
                format!("slow consumer: {why}; rejoin with last_seq"),
            )
        }
        End::BadFrame(why) => (1007, why.chars().take(120).collect()),
        End::Shutdown => (1001, "server shutting down".into()),
    };
    match &end {
        End::SlowConsumer(_) | End::BadFrame(_) => {
            tracing::warn!(socket = %id, code, reason = %reason, "socket closed by the hub")
        }
        _ => tracing::info!(socket = %id, code, reason = %reason, "socket closed"),
    }
    let _ = kill.send((code, reason));
    drop(conn);
    let _ = writer.await;
    hub.metrics.sockets.dec();
}

/// Run a channel's join or command, turning a panic into `None` so that one broken
/// handler costs that channel, not the socket or the hub.
async fn guarded<T>(fut: impl std::future::Future<Output = T>) -> Option<T> {
    use futures_util::FutureExt;
    std::panic::AssertUnwindSafe(fut).catch_unwind().await.ok()
}

impl Conn {
    fn ctx<'a>(&'a self, topic: &'a str, join_ref: &'a Value) -> Ctx<'a> {
        Ctx {
            hub: &self.hub,
            conn_id: &self.id,
            authorized: self.info.authorized,
            outbox: &self.outbox,
            vsn: self.info.vsn,
            topic,
            join_ref,
        }
    }

    fn send(
        &self,
        join_ref: &Value,
        r#ref: &Value,
        topic: &str,
        event: &str,
        payload: &str,
    ) -> Result<(), End> {
        let text = frame::encode(self.info.vsn, join_ref, r#ref, topic, event, payload);
        self.outbox
            .push(text, None)
            .map_err(|Full| End::SlowConsumer("outbound queue full"))
    }

    async fn send_replay(&self, f: &Frame, event: &str, payload: &str) -> Result<(), End> {
        let text = frame::encode(
            self.info.vsn,
            &f.join_ref,
            &Value::Null,
            &f.topic,
            event,
            payload,
        );
        self.outbox
            .push_wait(text)
            .await
            .map_err(|Full| End::SlowConsumer("took no replay frame for 10 s"))
    }

    fn reply(&self, f: &Frame, ok: bool, response: &Value) -> Result<(), End> {
        self.send(
            &f.join_ref,
            &f.r#ref,
            &f.topic,
            ev::REPLY,
            &frame::reply_payload(ok, response),
        )
    }

    async fn on_text(&mut self, text: &str) -> Result<(), End> {
        let f = Frame::decode(text, self.info.vsn).map_err(|e| End::BadFrame(e.to_string()))?;
        match (f.topic.as_str(), f.event.as_str()) {
            (ev::PHOENIX_TOPIC, ev::HEARTBEAT) => self.reply(&f, true, &json!({})),
            (_, ev::JOIN) => self.join(f).await,
            (_, ev::LEAVE) => self.leave(f),
            _ => self.command(f).await,
        }
    }

    async fn join(&mut self, f: Frame) -> Result<(), End> {
        let topic = match ChannelTopic::parse(&f.topic) {
            Ok(t) => t,
            Err(TopicError::Unmatched) => {
                return self.reply(&f, false, &json!({"reason": "unmatched topic"}))
            }
            Err(TopicError::Refused(reason)) => {
                return self.reply(&f, false, &json!({"reason": reason}))
            }
        };
        if f.topic.len() > MAX_TOPIC_BYTES {
            return self.reply(
                &f,
                false,
                &json!({"reason": format!("topic longer than {MAX_TOPIC_BYTES} bytes")}),
            );
        }
        // A second join of the same topic replaces the first.
        if let Some(old) = self.joined.remove(&f.topic) {
            self.send(&old.join_ref, &old.join_ref, &f.topic, ev::CLOSE, "{}")?;
        } else if self.joined.len() >= MAX_JOINS {
            return self.reply(
                &f,
                false,
                &json!({"reason": format!("at most {MAX_JOINS} topics per socket")}),
            );
        }
        // Read before the channel takes any snapshot (a stream state), so that a push
        // published meanwhile is delivered live rather than skipped.
        let head_before = self.hub.bus.head();
        let joined = {
            let ctx = self.ctx(&f.topic, &f.join_ref);
            guarded(Channel::join(topic, &ctx, &f.payload)).await
        };
        let joined = match joined {
            Some(Ok(j)) => j,
            Some(Err(reason)) => return self.reply(&f, false, &reason),
            None => {
                tracing::error!(socket = %self.id, topic = %f.topic, "join crashed");
                return self.reply(&f, false, &json!({"reason": "join crashed"}));
            }
        };
        let last_seq = f.payload.get("last_seq").and_then(Value::as_u64);
        // Replay is cut at this head; live messages above it follow.
        let replay = match last_seq {
            Some(last) if joined.channel.replays() => Some(
                self.hub
                    .bus
                    .replay(last, |m| joined.channel.route(&f.topic, m).is_some()),
            ),
            _ => None,
        };
        let head = replay.as_ref().map(|r| r.head).unwrap_or(head_before);

        let mut response = joined.response;
        response["seq"] = json!(head);
        self.reply(&f, true, &response)?;
        for (event, payload) in &joined.pushes {
            self.send(
                &f.join_ref,
                &Value::Null,
                &f.topic,
                event,
                &payload.to_string(),
            )?;
        }
        if let Some(replay) = replay {
            if let Some((after, before)) = replay.gap {
                self.replay_from_store(&f, &joined.channel, after, before)
                    .await?;
            }
            for m in &replay.messages {
                if let Some(event) = joined.channel.route(&f.topic, m) {
                    self.send_replay(&f, event, &m.json).await?;
                }
            }
        }
        tracing::debug!(socket = %self.id, topic = %f.topic, last_seq, head, "joined");
        self.joined.insert(
            f.topic.clone(),
            Joined {
                join_ref: f.join_ref,
                channel: joined.channel,
                min_seq: head,
            },
        );
        Ok(())
    }

    /// Messages older than the ring, from storage, page by page: what each channel
    /// replays is the channel's business (`channels::replay`).
    async fn replay_from_store(
        &self,
        f: &Frame,
        channel: &Channel,
        after: u64,
        before: u64,
    ) -> Result<(), End> {
        // Events that left the ring may still be in the store writer's queue.
        self.hub
            .pipeline
            .store_settled(std::time::Duration::from_secs(5))
            .await;
        let store = &self.hub.store;
        let (mut cursor, mut sent) = (after, 0usize);
        loop {
            let page = match channel
                .stored_page(store, &f.topic, cursor, before, DB_PAGE)
                .await
            {
                Ok(page) => page,
                Err(e) => {
                    tracing::warn!(error = %e, "replay from storage stopped");
                    return Ok(());
                }
            };
            let Some(last) = page.last().map(|p| p.0) else {
                return Ok(());
            };
            for (_, name, json) in &page {
                if let Some(name) = name {
                    self.send_replay(f, name, json).await?;
                    sent += 1;
                }
            }
            if sent >= MAX_DB_REPLAY {
                tracing::warn!(socket = %self.id, topic = %f.topic, sent, "replay from storage capped");
                return Ok(());
            }
            cursor = last;
        }
    }

    fn leave(&mut self, f: Frame) -> Result<(), End> {
        let current = self.joined.get(&f.topic).map(|j| &j.join_ref);
        let stale = matches!(current, Some(jr) if !jr.is_null() && !f.join_ref.is_null() && *jr != f.join_ref);
        if current.is_none() || stale {
            // Not joined, or a late leave from an earlier join: nothing to close.
            return self.reply(&f, true, &json!({}));
        }
        self.joined.remove(&f.topic);
        self.reply(&f, true, &json!({}))?;
        self.send(&f.join_ref, &f.join_ref, &f.topic, ev::CLOSE, "{}")
    }

    async fn command(&mut self, f: Frame) -> Result<(), End> {
        let Some(mut joined) = self.joined.remove(&f.topic) else {
            return self.reply(&f, false, &json!({"reason": "unmatched topic"}));
        };
        let reply = {
            let ctx = self.ctx(&f.topic, &joined.join_ref);
            guarded(joined.channel.handle_in(&ctx, &f.event, f.payload.clone())).await
        };
        let Some(reply) = reply else {
            // The channel crashed: like Phoenix, drop it and tell the client with
            // `phx_error` (the official client then rejoins). The socket lives on.
            tracing::error!(socket = %self.id, topic = %f.topic, event = %f.event, "channel command crashed");
            return self.send(
                &joined.join_ref,
                &joined.join_ref,
                &f.topic,
                ev::ERROR,
                "{}",
            );
        };
        self.joined.insert(f.topic.clone(), joined);
        match reply {
            Reply::None => Ok(()),
            Reply::Ok(v) => self.reply(&f, true, &v),
            Reply::Error(v) => self.reply(&f, false, &v),
            Reply::Later(fut) => {
                let outbox = self.outbox.clone();
                let vsn = self.info.vsn;
                tokio::spawn(async move {
                    let (ok, v) = match fut.await {
                        Reply::Ok(v) => (true, v),
                        Reply::Error(v) => (false, v),
                        Reply::None | Reply::Later(_) => return,
                    };
                    let text = frame::encode(
                        vsn,
                        &f.join_ref,
                        &f.r#ref,
                        &f.topic,
                        ev::REPLY,
                        &frame::reply_payload(ok, &v),
                    );
                    // Wait for room like a replay frame does (bounded); a client that
                    // takes nothing for that long is cut off by its next push anyway.
                    let _ = outbox.push_wait(text).await;
                });
                Ok(())
            }
        }
    }

    fn on_bus(&mut self, msg: &Arc<BusMessage>) -> Result<(), Full> {
        for (topic, j) in &self.joined {
            if msg.seq <= j.min_seq {
                continue;
            }
            if let Some(event) = j.channel.route(topic, msg) {
                let text = frame::encode(
                    self.info.vsn,
                    &j.join_ref,
                    &Value::Null,
                    topic,
                    event,
                    &msg.json,
                );
                self.outbox.push(text, Some(msg.published_at))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::guarded;

    #[tokio::test]
    async fn a_panicking_handler_is_contained() {
        assert_eq!(guarded(async { 7 }).await, Some(7));
        let crashed = guarded(async {
            if std::hint::black_box(true) {
                panic!("handler bug");
            }
            1
        })
        .await;
        assert_eq!(crashed, None);
    }
}
