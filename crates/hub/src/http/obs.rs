//! `/api/obs/*` (reference §11.2): OBS status, reads and controls over REST.
//! Reads need no token; controls (start/stop, scene switch, reconnect) do.
//! Every answer is OBS's own (or the cached status), never a bare "ok".

use super::{env_error, env_ok, ApiError, ApiResult, Control, CorrelationId};
use crate::hub::Hub;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use axum::{Extension, Json};
use landale_core::ids::now_iso;
use landale_obs::{commands, ObsError};
use serde_json::{json, Value};
use std::sync::Arc;

fn obs_error(e: ObsError) -> ApiError {
    env_error(e.code(), &e.to_string(), None)
}

pub(crate) async fn status(State(hub): State<Arc<Hub>>) -> ApiResult {
    Ok(env_ok(hub.obs.status()))
}

async fn read(hub: &Hub, request_type: &str) -> ApiResult {
    let v = hub.obs.read(request_type).await.map_err(obs_error)?;
    Ok(env_ok(v))
}

macro_rules! read_route {
    ($name:ident, $request:literal) => {
        pub(crate) async fn $name(State(hub): State<Arc<Hub>>) -> ApiResult {
            read(&hub, $request).await
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

/// The reference's shape: the service's view plus OBS's own figures.
pub(crate) async fn stats(State(hub): State<Arc<Hub>>) -> ApiResult {
    let s = hub.obs.snapshot();
    let status = s.status_json();
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
    hub: &Hub,
    correlation: &CorrelationId,
    event: &str,
    payload: Value,
    message: String,
) -> ApiResult {
    let c =
        commands::control(event, &payload).map_err(|m| env_error("validation_failed", &m, None))?;
    hub.obs
        .request_traced(c.request_type, c.data, Some(correlation.0.clone()))
        .await
        .map_err(obs_error)?;
    Ok(Json(json!({"success": true, "message": message})).into_response())
}

macro_rules! output_route {
    ($name:ident, $event:literal, $message:literal) => {
        pub(crate) async fn $name(
            State(hub): State<Arc<Hub>>,
            _control: Control,
            Extension(correlation): Extension<CorrelationId>,
        ) -> ApiResult {
            control(&hub, &correlation, $event, Value::Null, $message.into()).await
        }
    };
}

output_route!(start_streaming, "obs:start_streaming", "Stream started");
output_route!(stop_streaming, "obs:stop_streaming", "Stream stopped");
output_route!(start_recording, "obs:start_recording", "Recording started");
output_route!(stop_recording, "obs:stop_recording", "Recording stopped");

pub(crate) async fn set_scene(
    State(hub): State<Arc<Hub>>,
    _control: Control,
    Extension(correlation): Extension<CorrelationId>,
    Path(scene_name): Path<String>,
) -> ApiResult {
    let message = format!("Scene changed to {scene_name}");
    control(
        &hub,
        &correlation,
        "obs:set_current_scene",
        json!({"scene_name": scene_name}),
        message,
    )
    .await
}

/// Reconnect now (skips the backoff; the way back after OBS kicked this session).
pub(crate) async fn reconnect(State(hub): State<Arc<Hub>>, _control: Control) -> ApiResult {
    hub.obs.reconnect();
    Ok(env_ok(json!({"operation": "reconnect"})))
}
