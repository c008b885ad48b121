//! `/health`, `/ready`, `/api/health`, `/metrics`.

use super::{ApiError, Peer};
use crate::hub::Hub;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use landale_core::ids::now_iso;
use serde_json::{json, Value};
use std::sync::Arc;

pub(crate) async fn health() -> Json<Value> {
    Json(json!({"status": "ok", "timestamp": now_iso()}))
}

pub(crate) async fn ready(State(hub): State<Arc<Hub>>) -> Response {
    match hub.store.ping().await {
        Ok(()) => Json(json!({"status": "ready", "timestamp": now_iso(),
                              "checks": {"database": {"connected": true, "status": "healthy"}}}))
        .into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "not_ready", "timestamp": now_iso(),
                        "checks": {"database": {"connected": false, "error": e.to_string()}}})),
        )
            .into_response(),
    }
}

/// Per-service status. 200 when the hub itself is healthy (database reachable),
/// 503 otherwise; services that are not running show as such without failing it.
pub(crate) async fn api_health(State(hub): State<Arc<Hub>>) -> Response {
    let (ok, body) = crate::status::api_health(&hub).await;
    let code = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(body)).into_response()
}

pub(crate) async fn metrics(
    State(hub): State<Arc<Hub>>,
    _peer: Peer,
) -> Result<Response, ApiError> {
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        hub.metrics.render(),
    )
        .into_response())
}
