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

pub async fn health() -> Json<Value> {
    Json(json!({"status": "ok", "timestamp": now_iso()}))
}

pub async fn ready(State(hub): State<Arc<Hub>>) -> Response {
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
pub async fn api_health(State(hub): State<Arc<Hub>>) -> Response {
    let (db, ph, seed) = tokio::join!(
        hub.store.ping(),
        crate::status::probe(&hub.http, &hub.config.phononmaser_health_url),
        crate::status::probe(&hub.http, &hub.config.seed_health_url),
    );
    let database = match &db {
        Ok(()) => json!({"connected": true, "status": "healthy", "engine": hub.store.engine()}),
        Err(e) => json!({"connected": false, "status": "unhealthy", "error": e.to_string()}),
    };
    let status = if db.is_ok() { "healthy" } else { "unhealthy" };
    let body = json!({
        "status": status,
        "timestamp": now_iso(),
        "services": {
            "database": database,
            "obs": hub.obs.summary(),
            "twitch": landale_twitch::summary(&hub.twitch_tokens, &hub.eventsub),
            "phononmaser": ph,
            "seed": seed,
            "websocket": {"connected": true, "sockets": hub.metrics.sockets.get()},
        },
        "system": {"uptime": hub.started.elapsed().as_secs(), "version": landale_protocol::envelope::SERVER_VERSION,
                   "environment": "production", "seq": hub.bus.head()},
    });
    let code = if db.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(body)).into_response()
}

pub async fn metrics(State(hub): State<Arc<Hub>>, _peer: Peer) -> Result<Response, ApiError> {
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        hub.metrics.render(),
    )
        .into_response())
}
