//! `events:<filter>`: forwards unified events that pass the filter.

use super::{envelope_pong, Channel, Joined, Reply};
use crate::bus::BusMessage;
use landale_protocol::topic::events_push_name;
use landale_protocol::EventFilter;
use serde_json::json;

pub(crate) fn join(filter: EventFilter) -> Joined {
    Joined {
        channel: Channel::Events(filter),
        response: json!({}),
        pushes: vec![],
    }
}

pub(crate) fn route(filter: EventFilter, msg: &BusMessage) -> Option<&'static str> {
    let (kind, source) = msg.event()?;
    filter
        .matches(kind, source)
        .then(|| events_push_name(kind, source))
}

pub(crate) fn handle_in(event: &str) -> Reply {
    match event {
        "ping" => envelope_pong(),
        other => {
            tracing::debug!(event = other, "events channel ignores unknown command");
            Reply::None
        }
    }
}
