//! `/api/rainwave/*` (reference §11.5): the status (no token) and the config control
//! `{enabled?, station_id?}` (token), which really restarts or stops polling.

use crate::Rainwave;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use landale_core::http::Control;
use serde_json::{json, Value};
use std::sync::Arc;

pub fn routes(rw: Arc<Rainwave>) -> Router {
    Router::new()
        .route("/api/rainwave/status", get(status))
        .route("/api/rainwave/config", post(config))
        .with_state(rw)
}

async fn status(State(rw): State<Arc<Rainwave>>) -> Json<Value> {
    Json(
        json!({"success": true, "data": {"rainwave": rw.status(), "timestamp": landale_core::ids::now_iso()}}),
    )
}

fn bad(message: String) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"success": false, "error": message})),
    )
        .into_response()
}

async fn config(
    _: Control,
    State(rw): State<Arc<Rainwave>>,
    body: Option<Json<Value>>,
) -> Response {
    let Some(Json(body)) = body else {
        return bad("send a JSON object: {\"enabled\": true, \"station_id\": 3}".into());
    };
    let enabled = match body.get("enabled") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => return bad("enabled must be true or false".into()),
    };
    let station = match body.get("station_id") {
        None | Some(Value::Null) => None,
        Some(v) => match crate::parse_station(v) {
            Ok(id) => Some(id),
            Err(e) => return bad(e.to_string()),
        },
    };
    if enabled == Some(true) && !rw.has_credentials() {
        return bad(
            "Rainwave needs RAINWAVE_API_KEY and RAINWAVE_USER_ID before it can be enabled".into(),
        );
    }
    match rw.configure(enabled, station) {
        Ok(()) => Json(
            json!({"success": true, "message": "Configuration updated successfully",
                              "data": rw.status()}),
        )
        .into_response(),
        Err(e) => bad(e.to_string()),
    }
}
