//! The alert queue and the stream controls over REST, for a Stream Deck, a hotkey tool
//! or the desktop app: the same commands as the `stream:queue` / `stream:overlays`
//! socket, through the same code (`channels::stream::command`).
//!
//! - `GET /api/queue` (a read, no token): the queue as the `queue_state` push has it,
//!   plus `history`, the alerts that were on air (oldest first, the last
//!   `queue::HISTORY`), each with when it was first shown, and `takeover`, the
//!   takeover on screen (null when none).
//! - `POST /api/stream/{command}` (a control: the token): `skip_current`,
//!   `pause_queue`, `resume_queue`, `clear_queue`, `replay_alerts`, `takeover`,
//!   `takeover_clear`, … with the socket command's payload as the JSON body (none
//!   needed when it takes none). The answer is the socket's reply envelope, with the
//!   status its error code implies.

use crate::channels::stream::command;
use crate::channels::Reply;
use crate::hub::Hub;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use landale_core::http::{env_error, env_ok, Control};
use landale_protocol::schema::STREAM_CONTROLS;
use serde_json::{json, Value};
use std::sync::Arc;

pub(crate) async fn queue(State(hub): State<Arc<Hub>>) -> Response {
    let mut state = hub.producer.queue_state();
    state["history"] = hub.producer.queue_history();
    // The takeover on screen (null when none), for a tool's on/off toggle.
    state["takeover"] = hub.producer.takeover_push().unwrap_or(Value::Null);
    env_ok(state)
}

pub(crate) async fn control(
    State(hub): State<Arc<Hub>>,
    _c: Control,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    if !STREAM_CONTROLS.contains(&name.as_str()) {
        return env_error(
            "not_found",
            &format!(
                "No stream command {name:?}: use one of {}",
                STREAM_CONTROLS.join(", ")
            ),
            None,
        )
        .into_response();
    }
    let payload = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        match serde_json::from_slice::<Value>(&body) {
            Ok(v @ Value::Object(_)) => v,
            _ => {
                return env_error(
                    "invalid_parameters",
                    "The body must be a JSON object (the command's payload), or empty",
                    None,
                )
                .into_response()
            }
        }
    };
    // The stream commands answer at once (none waits on another service).
    match command(&hub, &name, &payload).await {
        Some(Reply::Ok(v)) => (StatusCode::OK, Json(v)).into_response(),
        Some(Reply::Error(v)) => {
            let code = v["error"]["code"].as_str().unwrap_or("internal_error");
            let status = StatusCode::from_u16(landale_protocol::envelope::status_for_code(code))
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, Json(v)).into_response()
        }
        _ => StatusCode::NO_CONTENT.into_response(),
    }
}
