//! `dashboard:<room>` (reference §5.2). Each event arrives once (the reference sent
//! every event twice). OBS and Rainwave commands answer with a clear
//! `service_unavailable` until those integrations land.

use super::{
    env_error, env_ok, envelope_pong, now_unix, Channel, Ctx, Joined, Reply, UNAUTHORIZED,
};
use crate::bus::{BusKind, BusMessage};
use landale_protocol::topic::dashboard_push_name;
use serde_json::{json, Value};

pub fn join() -> Joined {
    Joined {
        channel: Channel::Dashboard,
        response: json!({}),
        pushes: vec![(
            "initial_state",
            json!({"connected": true, "timestamp": now_unix()}),
        )],
    }
}

pub fn route<'m>(topic: &str, msg: &'m BusMessage) -> Option<&'m str> {
    match &msg.kind {
        BusKind::Event { event } => dashboard_push_name(&event.kind, event.source),
        BusKind::Topic { topic: t, event } if t == topic => Some(event.as_str()),
        _ => None,
    }
}

const CONTROL: &[&str] = &[
    "obs:start_streaming",
    "obs:stop_streaming",
    "obs:start_recording",
    "obs:stop_recording",
    "obs:set_current_scene",
    "rainwave:set_enabled",
    "rainwave:set_station",
];

pub async fn handle_in(ctx: &Ctx<'_>, event: &str, payload: Value) -> Reply {
    if CONTROL.contains(&event) && !ctx.authorized {
        return env_error("unauthorized", UNAUTHORIZED);
    }
    match event {
        "ping" => envelope_pong(),
        "shout" => {
            let (topic, json) = (ctx.topic.to_string(), payload.to_string());
            ctx.hub.bus.publish(move |_| {
                (
                    BusKind::Topic {
                        topic,
                        event: "shout".into(),
                    },
                    json,
                )
            });
            Reply::None
        }
        "obs:get_status"
        | "obs:start_streaming"
        | "obs:stop_streaming"
        | "obs:start_recording"
        | "obs:stop_recording"
        | "obs:set_current_scene" => env_error(
            "service_unavailable",
            "OBS is not connected: set OBS_WEBSOCKET_URL and start OBS",
        ),
        "rainwave:get_status" => env_ok(json!({"enabled": false, "connected": false})),
        "rainwave:set_enabled" | "rainwave:set_station" => env_error(
            "service_unavailable",
            "Rainwave is not configured: set RAINWAVE_USER_ID and RAINWAVE_API_KEY",
        ),
        other => {
            tracing::debug!(event = other, "dashboard channel ignores unknown command");
            Reply::None
        }
    }
}
