//! `/_fake/*`: drive a running fake from outside the process (browser tests, demos,
//! a curious streamer). Not part of Twitch.
//!
//! ```text
//! POST /_fake/fault   {"fault": "close", "code": 4000} (any Fault, snake_case)
//! POST /_fake/notify  {"type": "channel.follow", "event": {...}, "message_id"?: "..."}
//! POST /_fake/tokens  {"scopes": ["user:read:chat"]} → {"access_token", "refresh_token"}
//! GET  /_fake/state   counters, subscriptions, live connections, the channel
//! ```

use crate::state::{FakeTwitch, Fault};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn routes() -> Router<FakeTwitch> {
    Router::new()
        .route("/_fake/fault", post(fault))
        .route("/_fake/notify", post(notify))
        .route("/_fake/tokens", post(tokens))
        .route("/_fake/state", get(state))
}

async fn fault(State(fake): State<FakeTwitch>, body: Json<Value>) -> Response {
    match serde_json::from_value::<Fault>(body.0) {
        Ok(f) => {
            tracing::info!(fault = ?f, "fault scripted");
            fake.fault(f);
            Json(json!({"ok": true})).into_response()
        }
        Err(e) => (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": format!("not a fault: {e}")})),
        )
            .into_response(),
    }
}

#[derive(Deserialize)]
struct Notify {
    #[serde(rename = "type")]
    sub_type: String,
    event: Value,
    message_id: Option<String>,
}

async fn notify(State(fake): State<FakeTwitch>, Json(n): Json<Notify>) -> Response {
    let sent = fake.notify(&n.sub_type, n.event, n.message_id.as_deref());
    Json(json!({"sent": sent})).into_response()
}

#[derive(Deserialize)]
struct Tokens {
    scopes: Vec<String>,
}

async fn tokens(State(fake): State<FakeTwitch>, Json(t): Json<Tokens>) -> Response {
    let scopes: Vec<&str> = t.scopes.iter().map(String::as_str).collect();
    let (access, refresh) = fake.issue_tokens(&scopes);
    Json(json!({"access_token": access, "refresh_token": refresh, "expires_in": fake.config().token_ttl.as_secs()}))
        .into_response()
}

async fn state(State(fake): State<FakeTwitch>) -> Response {
    let subs: Vec<Value> = fake
        .subscriptions()
        .into_iter()
        .map(|(t, v, c)| json!({"type": t, "version": v, "condition": c}))
        .collect();
    Json(json!({
        "counters": fake.counters(),
        "subscriptions": subs,
        "connections": fake.live_connections(),
        "channel": fake.channel(),
    }))
    .into_response()
}
