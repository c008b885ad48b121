//! EventSub WebSocket messages as Twitch frames them (metadata + payload) and the
//! close codes' reasons. Pure: used by the socket task and by the faults in `state`.

use serde_json::{json, Value};

pub(crate) fn close_reason(code: u16) -> &'static str {
    match code {
        4000 => "internal server error",
        4001 => "client sent inbound traffic",
        4002 => "client failed ping-pong",
        4003 => "connection unused",
        4004 => "reconnect grace time expired",
        4005 => "network timeout",
        4006 => "network error",
        4007 => "invalid reconnect",
        _ => "closed",
    }
}

pub(crate) fn message_with_id(
    id: Option<String>,
    kind: &str,
    payload: Value,
    sub: Option<(&str, &str)>,
) -> String {
    let mut metadata = json!({
        "message_id": id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
        "message_type": kind,
        "message_timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
    });
    if let Some((t, v)) = sub {
        metadata["subscription_type"] = json!(t);
        metadata["subscription_version"] = json!(v);
    }
    json!({"metadata": metadata, "payload": payload}).to_string()
}

pub(crate) fn message(kind: &str, payload: Value, sub: Option<(&str, &str)>) -> String {
    message_with_id(None, kind, payload, sub)
}
