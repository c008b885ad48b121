//! `POST /api/eventsub` (a Twitch EventSub notification body, as the Twitch CLI sends
//! it) and `POST /api/events` (any event type, for the hub's own services and tools).
//! Both are control actions and both go through the one pipeline.

use super::{ApiError, Control, CorrelationId};
use crate::hub::Hub;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use axum::Json;
use landale_core::{Envelope, IngestError, Input};
use landale_protocol::Source;
use serde_json::{json, Value};
use std::sync::Arc;

fn bad(error: &str, details: Value) -> ApiError {
    ApiError(
        StatusCode::BAD_REQUEST,
        json!({"success": false, "error": error, "details": details}),
    )
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .filter(|s| !s.is_empty() && s.len() <= 100)
}

fn publish(hub: &Hub, input: Input) -> Result<Response, ApiError> {
    match hub.pipeline.ingest(input) {
        Ok(msg) => {
            let id = match &msg.kind {
                crate::bus::BusKind::Event { event } => Some(event.id.as_str()),
                _ => None,
            };
            Ok(Json(
                json!({"success": true, "message": "Event processed", "id": id, "seq": msg.seq}),
            )
            .into_response())
        }
        Err(IngestError::Duplicate { id }) => Ok(Json(json!({
            "success": true, "message": "Duplicate event ignored", "id": id, "duplicate": true,
        }))
        .into_response()),
        Err(IngestError::Invalid(r)) => Err(bad(
            "Event processing failed",
            json!({"event_type": r.event_type, "fields": r.errors}),
        )),
    }
}

pub(crate) async fn eventsub(
    State(hub): State<Arc<Hub>>,
    _control: Control,
    Extension(cid): Extension<CorrelationId>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body: Value = serde_json::from_slice(&body).map_err(|e| {
        bad(
            "Invalid EventSub payload format",
            json!({"body": format!("not JSON: {e}")}),
        )
    })?;
    // The Twitch CLI's webhook verification: echo the challenge.
    if header(&headers, "twitch-eventsub-message-type") == Some("webhook_callback_verification") {
        if let Some(c) = body.get("challenge").and_then(Value::as_str) {
            return Ok((StatusCode::OK, c.to_string()).into_response());
        }
    }
    let Some(event_type) = body.pointer("/subscription/type").and_then(Value::as_str) else {
        return Err(bad(
            "Invalid EventSub payload format",
            json!({"subscription.type": "is required"}),
        ));
    };
    let Some(event) = body.get("event").filter(|e| e.is_object()) else {
        return Err(bad(
            "Invalid EventSub payload format",
            json!({"event": "must be an object"}),
        ));
    };
    if landale_protocol::catalogue::source_of(event_type) != Some(Source::Twitch)
        || event_type.starts_with("twitch.")
    {
        return Err(bad(
            "Invalid EventSub payload format",
            json!({"subscription.type": format!("{event_type} is not a Twitch EventSub type; use POST /api/events for hub events")}),
        ));
    }
    let message_id = header(&headers, "twitch-eventsub-message-id").map(str::to_owned);
    let input = Input {
        event_type: event_type.to_string(),
        data: event.clone(),
        envelope: Envelope {
            id: message_id.clone(),
            source_id: message_id,
            correlation_id: Some(cid.0),
        },
    };
    publish(&hub, input)
}

pub(crate) async fn ingest(
    State(hub): State<Arc<Hub>>,
    _control: Control,
    Extension(cid): Extension<CorrelationId>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body: Value = serde_json::from_slice(&body).map_err(|e| {
        bad(
            "Invalid event format",
            json!({"body": format!("not JSON: {e}")}),
        )
    })?;
    let Some(event_type) = body.get("type").and_then(Value::as_str) else {
        return Err(bad("Invalid event format", json!({"type": "is required"})));
    };
    let data = body.get("data").cloned().unwrap_or_else(|| json!({}));
    let s = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_owned);
    let input = Input {
        event_type: event_type.to_string(),
        data,
        envelope: Envelope {
            id: None,
            source_id: s("source_id"),
            correlation_id: s("correlation_id").or(Some(cid.0)),
        },
    };
    publish(&hub, input)
}
