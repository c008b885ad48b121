//! `/api/obs/*`: OBS status, reads and controls over REST. Reads need no token;
//! controls (start/stop, scene switch, reconnect) do. Every answer is OBS's own (or
//! the cached status), never a bare "ok". Paths and shapes are the original system's.

use crate::{commands, Obs, ObsError};
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use landale_core::http::{env_error, env_ok, ApiError, ApiResult, Control, CorrelationId};
use landale_core::ids::now_iso;
use serde_json::{json, Value};
use std::sync::Arc;

/// The routes, with the OBS handle as their state.
pub fn routes(obs: Arc<Obs>) -> Router {
    Router::new()
        .route("/api/obs/status", get(status))
        .route("/api/obs/scenes", get(scenes))
        .route("/api/obs/scene/current", get(current_scene))
        .route("/api/obs/scene/{scene_name}", post(set_scene))
        .route("/api/obs/streaming/start", post(start_streaming))
        .route("/api/obs/streaming/stop", post(stop_streaming))
        .route("/api/obs/recording/start", post(start_recording))
        .route("/api/obs/recording/stop", post(stop_recording))
        .route("/api/obs/stream-status", get(stream_status))
        .route("/api/obs/record-status", get(record_status))
        .route("/api/obs/stats", get(stats))
        .route("/api/obs/version", get(version))
        .route("/api/obs/outputs", get(outputs))
        .route("/api/obs/virtual-cam", get(virtual_cam))
        .route("/api/obs/reconnect", post(reconnect))
        .with_state(obs)
}

fn obs_error(e: ObsError) -> ApiError {
    env_error(e.code(), &e.to_string(), None)
}

async fn status(State(obs): State<Arc<Obs>>) -> ApiResult {
    Ok(env_ok(obs.status()))
}

async fn read(obs: &Obs, request_type: &str) -> ApiResult {
    let v = obs.read(request_type).await.map_err(obs_error)?;
    Ok(env_ok(v))
}

macro_rules! read_route {
    ($name:ident, $request:literal) => {
        async fn $name(State(obs): State<Arc<Obs>>) -> ApiResult {
            read(&obs, $request).await
        }
    };
}

read_route!(scenes, "GetSceneList");
read_route!(current_scene, "GetCurrentProgramScene");
read_route!(stream_status, "GetStreamStatus");
read_route!(record_status, "GetRecordStatus");
read_route!(version, "GetVersion");
read_route!(outputs, "GetOutputList");
read_route!(virtual_cam, "GetVirtualCamStatus");

/// The service's view plus OBS's own figures.
async fn stats(State(obs): State<Arc<Obs>>) -> ApiResult {
    let status = obs.status();
    Ok(env_ok(json!({
        "service_state": {
            "connection_state": status["connection_state"],
            "current_scene": status["current_scene"],
            "scene_list": status["scenes"],
            "streaming": status["streaming"],
            "recording": status["recording"],
        },
        "obs_internal": status["stats"],
        "timestamp": now_iso(),
    })))
}

/// Run an OBS control; the caller holds the [`Control`] permission.
async fn control(
    obs: &Obs,
    correlation: &CorrelationId,
    event: &str,
    payload: Value,
    message: String,
) -> ApiResult {
    let c =
        commands::control(event, &payload).map_err(|m| env_error("validation_failed", &m, None))?;
    obs.request_traced(c.request_type, c.data, Some(correlation.0.clone()))
        .await
        .map_err(obs_error)?;
    Ok(Json(json!({"success": true, "message": message})).into_response())
}

macro_rules! output_route {
    ($name:ident, $event:literal, $message:literal) => {
        async fn $name(
            State(obs): State<Arc<Obs>>,
            _control: Control,
            Extension(correlation): Extension<CorrelationId>,
        ) -> ApiResult {
            control(&obs, &correlation, $event, Value::Null, $message.into()).await
        }
    };
}

output_route!(start_streaming, "obs:start_streaming", "Stream started");
output_route!(stop_streaming, "obs:stop_streaming", "Stream stopped");
output_route!(start_recording, "obs:start_recording", "Recording started");
output_route!(stop_recording, "obs:stop_recording", "Recording stopped");

async fn set_scene(
    State(obs): State<Arc<Obs>>,
    _control: Control,
    Extension(correlation): Extension<CorrelationId>,
    Path(scene_name): Path<String>,
) -> ApiResult {
    let message = format!("Scene changed to {scene_name}");
    control(
        &obs,
        &correlation,
        "obs:set_current_scene",
        json!({"scene_name": scene_name}),
        message,
    )
    .await
}

/// Reconnect now (skips the backoff; the way back after OBS kicked this session).
async fn reconnect(State(obs): State<Arc<Obs>>, _control: Control) -> ApiResult {
    obs.reconnect();
    Ok(env_ok(json!({"operation": "reconnect"})))
}
