//! Channel families, one file each, one per topic family the original clients join:
//! join rules, inbound commands and which bus messages each forwards.
//!
//! A channel never writes to a socket itself except through [`Ctx::push`]; replies
//! are returned to `socket::conn`, which frames them.

pub(crate) mod dashboard;
pub(crate) mod events;
pub(crate) mod overlay;
mod replay;
pub(crate) mod services;
pub(crate) mod stream;
pub(crate) mod transcription;

use crate::bus::BusMessage;
use crate::hub::Hub;
use crate::outbox::Outbox;
use landale_core::ids::now_iso;
use landale_core::integration::{Caller, CommandError, Surface};
use landale_protocol::{envelope, frame, ChannelTopic, EventFilter, Vsn};
use serde_json::{json, Value};
use std::sync::Arc;

/// What a command handler may use.
pub(crate) struct Ctx<'a> {
    pub(crate) hub: &'a Arc<Hub>,
    /// The socket's 8-hex correlation id.
    pub(crate) conn_id: &'a str,
    /// May this socket run control actions (token or trusted loopback)?
    pub(crate) authorized: bool,
    pub(crate) outbox: &'a Outbox,
    pub(crate) vsn: Vsn,
    pub(crate) topic: &'a str,
    pub(crate) join_ref: &'a Value,
}

impl Ctx<'_> {
    /// Push `event` on this channel's topic (an out-of-band push, not a reply).
    /// A full queue here is noticed by the connection on its next push.
    pub(crate) fn push(&self, event: &str, payload: &Value) {
        let text = frame::encode(
            self.vsn,
            self.join_ref,
            &Value::Null,
            self.topic,
            event,
            &payload.to_string(),
        );
        let _ = self.outbox.push(text, None);
    }
}

/// The answer to an inbound command.
pub(crate) enum Reply {
    /// No `phx_reply` (as the reference does for some commands).
    None,
    Ok(Value),
    Error(Value),
    /// An answer that needs a remote service (OBS): the connection keeps serving
    /// other frames and sends the reply when this resolves. The future must finish
    /// in bounded time (the service's own request timeout).
    Later(std::pin::Pin<Box<dyn std::future::Future<Output = Reply> + Send>>),
}

impl Reply {
    pub(crate) fn later(f: impl std::future::Future<Output = Reply> + Send + 'static) -> Reply {
        Reply::Later(Box::pin(f))
    }
}

pub(crate) struct Joined {
    pub(crate) channel: Channel,
    /// Fields for the join reply (the hub adds `seq`).
    pub(crate) response: Value,
    /// Pushes sent right after the join reply, before any replay.
    pub(crate) pushes: Vec<(&'static str, Value)>,
}

pub(crate) enum Channel {
    Events(EventFilter),
    Dashboard(dashboard::Limiter),
    /// Set while a nurvus call of this channel is in flight (one at a time).
    Services(Arc<std::sync::atomic::AtomicBool>),
    Overlay(String),
    StreamOverlays,
    StreamQueue,
    Transcription(Option<String>),
}

pub(crate) fn now_unix() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Envelope-style error reply.
pub(crate) fn env_error(code: &str, message: &str) -> Reply {
    Reply::Error(envelope::error(code, message, None, &now_iso()))
}

/// `validation_failed` with each field and what is wrong with it (`details.fields`).
pub(crate) fn env_invalid(message: &str, fields: &landale_core::FieldErrors) -> Reply {
    Reply::Error(envelope::error(
        "validation_failed",
        message,
        Some(json!({ "fields": fields })),
        &now_iso(),
    ))
}

pub(crate) fn env_ok(data: Value) -> Reply {
    Reply::Ok(envelope::ok(data, &now_iso()))
}

pub(crate) use landale_core::integration::SOCKET_UNAUTHORIZED as UNAUTHORIZED;

/// The integration that answers `event` on `surface`, if one does; its answer is
/// shaped by `reply` (enveloped on the dashboard and stream channels, raw on
/// overlays) once it resolves.
pub(crate) fn integration_command(
    ctx: &Ctx<'_>,
    surface: Surface,
    event: &str,
    payload: &Value,
    reply: fn(Result<Value, CommandError>) -> Reply,
) -> Option<Reply> {
    let caller = Caller {
        authorized: ctx.authorized,
        correlation: ctx.conn_id.to_string(),
    };
    let command = ctx
        .hub
        .integrations
        .iter()
        .find_map(|i| i.clone().command(surface, event, payload, &caller))?;
    Some(Reply::later(async move { reply(command.await) }))
}

/// An integration's answer in the envelope.
pub(crate) fn enveloped(r: Result<Value, CommandError>) -> Reply {
    match r {
        Ok(v) => env_ok(v),
        Err(e) => env_error(&e.code, &e.message),
    }
}

/// `{pong: true, timestamp}` in the envelope (events, dashboard, stream, services).
pub(crate) fn envelope_pong() -> Reply {
    env_ok(json!({"pong": true, "timestamp": now_unix()}))
}

impl Channel {
    pub(crate) async fn join(
        topic: ChannelTopic,
        ctx: &Ctx<'_>,
        payload: &Value,
    ) -> Result<Joined, Value> {
        match topic {
            ChannelTopic::Events(filter) => Ok(events::join(filter)),
            ChannelTopic::Dashboard(_) => Ok(dashboard::join()),
            ChannelTopic::DashboardServices => Ok(Joined {
                channel: Channel::Services(Arc::default()),
                response: json!({}),
                pushes: if ctx.hub.fleet.machines().is_empty() {
                    vec![]
                } else {
                    vec![("fleet_update", ctx.hub.fleet.view())]
                },
            }),
            ChannelTopic::Overlay(kind) => Ok(overlay::join(kind, ctx.hub)),
            ChannelTopic::StreamOverlays => Ok(stream::join_overlays(ctx, payload)),
            ChannelTopic::StreamQueue => Ok(stream::join_queue(ctx)),
            ChannelTopic::TranscriptionLive => Ok(transcription::join(None)),
            ChannelTopic::TranscriptionSession(id) => Ok(transcription::join(Some(id))),
        }
    }

    /// The push event name for a bus message on this channel's `topic`, if forwarded.
    pub(crate) fn route<'m>(&self, topic: &str, msg: &'m BusMessage) -> Option<&'m str> {
        match self {
            Channel::Events(filter) => events::route(*filter, msg),
            Channel::Dashboard(_) => dashboard::route(topic, msg),
            Channel::Services(_) => topic_push(topic, msg),
            Channel::Overlay(kind) => overlay::route(kind, msg),
            Channel::StreamOverlays | Channel::StreamQueue => topic_push(topic, msg),
            Channel::Transcription(session) => {
                transcription::route(session.as_deref(), msg).or_else(|| topic_push(topic, msg))
            }
        }
    }

    /// Stream channels are full-state: a rejoin gets the current state, not a replay.
    pub(crate) fn replays(&self) -> bool {
        !matches!(self, Channel::StreamOverlays | Channel::StreamQueue)
    }

    pub(crate) async fn handle_in(&mut self, ctx: &Ctx<'_>, event: &str, payload: Value) -> Reply {
        match self {
            Channel::Events(_) => events::handle_in(event),
            Channel::Dashboard(limiter) => dashboard::handle_in(ctx, limiter, event, payload).await,
            Channel::Services(busy) => services::handle_in(ctx, busy, event, payload).await,
            Channel::Overlay(kind) => overlay::handle_in(ctx, kind, event, payload).await,
            Channel::StreamOverlays | Channel::StreamQueue => {
                stream::handle_in(ctx, event, payload).await
            }
            Channel::Transcription(session) => {
                transcription::handle_in(ctx, session.as_deref(), event, payload).await
            }
        }
    }
}

/// A topic broadcast addressed to exactly this topic.
fn topic_push<'m>(topic: &str, msg: &'m BusMessage) -> Option<&'m str> {
    match &msg.kind {
        crate::bus::BusKind::Topic { topic: t, event } if t == topic => Some(event.as_str()),
        _ => None,
    }
}
