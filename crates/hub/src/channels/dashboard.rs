//! `dashboard:<room>`: the dashboard's events, `shout`, and the integrations'
//! commands (`obs:*`). Each event arrives once (the original system sent every event
//! twice). An integration's command answers with its service's real result once it
//! has answered (the reply is deferred, the socket keeps serving); Rainwave commands
//! answer with a clear `service_unavailable` until that integration lands.
//!
//! Backpressure: a dashboard channel may send at most [`WINDOW_LIMIT`] commands per
//! sliding [`WINDOW`]; beyond that a command is refused with code `backpressure`,
//! message `rate_limit_exceeded`, and not run.

use super::{
    env_error, envelope_pong, enveloped, integration_command, now_unix, Channel, Ctx, Joined,
    Reply, UNAUTHORIZED,
};
use crate::bus::{BusKind, BusMessage};
use landale_core::Surface;
use landale_protocol::topic::dashboard_push_name;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

pub(crate) const WINDOW: Duration = Duration::from_secs(10);
pub(crate) const WINDOW_LIMIT: usize = 50;
/// Largest `shout` payload forwarded.
pub(crate) const MAX_SHOUT_BYTES: usize = 16 * 1024;

/// Per-channel command history for the sliding window.
#[derive(Default)]
pub(crate) struct Limiter {
    recent: VecDeque<Instant>,
}

impl Limiter {
    /// Record a command now; false when the window is full.
    pub(crate) fn admit(&mut self, now: Instant) -> bool {
        while self
            .recent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= WINDOW)
        {
            self.recent.pop_front();
        }
        if self.recent.len() >= WINDOW_LIMIT {
            return false;
        }
        self.recent.push_back(now);
        true
    }
}

pub(crate) fn join() -> Joined {
    Joined {
        channel: Channel::Dashboard(Limiter::default()),
        response: json!({}),
        pushes: vec![(
            "initial_state",
            json!({"connected": true, "timestamp": now_unix()}),
        )],
    }
}

pub(crate) fn route<'m>(topic: &str, msg: &'m BusMessage) -> Option<&'m str> {
    match &msg.kind {
        BusKind::Event { event } => dashboard_push_name(&event.kind, event.source),
        BusKind::Topic { topic: t, event } if t == topic => Some(event.as_str()),
        _ => None,
    }
}

/// Controls answered here (an integration checks its own).
const CONTROL: &[&str] = &[
    "rainwave:set_enabled",
    "rainwave:set_station",
    "rainwave:config",
];

pub(crate) async fn handle_in(
    ctx: &Ctx<'_>,
    limiter: &mut Limiter,
    event: &str,
    payload: Value,
) -> Reply {
    if event != "ping" && !limiter.admit(Instant::now()) {
        return env_error("backpressure", "rate_limit_exceeded");
    }
    if CONTROL.contains(&event) && !ctx.authorized {
        return env_error("unauthorized", UNAUTHORIZED);
    }
    match event {
        "ping" => envelope_pong(),
        "shout" => {
            // Forwarded as sent, minus `seq`: a shout must not look like a hub event
            // to clients that track `last_seq`.
            let mut payload = payload;
            if let Some(m) = payload.as_object_mut() {
                m.remove("seq");
            }
            let json = payload.to_string();
            if json.len() > MAX_SHOUT_BYTES {
                return env_error(
                    "invalid_payload",
                    &format!("shout payload over {MAX_SHOUT_BYTES} bytes"),
                );
            }
            ctx.hub.bus.publish_topic(ctx.topic, "shout", json);
            Reply::None
        }
        other => integration_command(ctx, Surface::Dashboard, other, &payload, enveloped)
            .unwrap_or_else(|| {
                tracing::debug!(event = other, "dashboard channel ignores unknown command");
                Reply::None
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sliding_window() {
        let mut l = Limiter::default();
        let t0 = Instant::now();
        for i in 0..WINDOW_LIMIT {
            assert!(l.admit(t0 + Duration::from_millis(i as u64)), "{i}");
        }
        assert!(
            !l.admit(t0 + Duration::from_secs(1)),
            "51st within 10 s is refused"
        );
        assert!(l.admit(t0 + WINDOW), "the oldest left the window");
        assert!(!l.admit(t0 + WINDOW), "only one slot opened");
    }
}
