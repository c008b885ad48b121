//! `/api/control/*` and `/api/services*` (reference §11.5): the hub's own view of its
//! services for tools and Stream Deck buttons. Reads need no token; `ping` is a
//! control (it proves the token works). Shapes and codes are the original's, without
//! the calls that crashed it (a tokens read the Twitch service did not handle, a
//! services list that needed fields Twitch lacked).

use super::ApiResult;
use crate::hub::Hub;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use landale_core::http::Control;
use landale_core::Integration;
use serde_json::{json, Map, Value};
use std::sync::Arc;

fn ok(data: Value) -> Response {
    Json(json!({"success": true, "data": data})).into_response()
}

pub(crate) async fn status(State(hub): State<Arc<Hub>>) -> ApiResult {
    let mut s = crate::status::system_status(&hub).await;
    s["server"] = json!({"uptime_seconds": hub.started.elapsed().as_secs(),
                         "version": landale_protocol::envelope::SERVER_VERSION, "pid": std::process::id()});
    Ok(ok(s))
}

pub(crate) async fn services(State(hub): State<Arc<Hub>>) -> ApiResult {
    let s = crate::status::system_status(&hub).await;
    let mut services = s["services"].as_object().cloned().unwrap_or_default();
    let pid = std::process::id();
    if let Some(Value::Object(o)) = services.get_mut("ironmon_tcp") {
        o.insert("pid".into(), pid.into());
        o.insert("service_type".into(), "tcp_server".into());
    }
    if let Some(Value::Object(o)) = services.get_mut("obs") {
        o.insert("service_type".into(), "obs_websocket".into());
    }
    if let Some(Value::Object(db)) = services.get_mut("database") {
        let seeds = hub.ironmon.run_view()["attempts"].clone();
        db.insert("seed_count".into(), seeds);
        db.insert("engine".into(), hub.store.engine().into());
    }
    Ok(ok(Value::Object(services)))
}

pub(crate) async fn tokens(State(hub): State<Arc<Hub>>) -> ApiResult {
    Ok(ok(
        json!({"twitch": landale_twitch::token_entry(&hub.twitch.tokens)}),
    ))
}

/// `token_valid`: whether the token sent is the hub's (null when none was sent); a
/// wrong token from this machine still passes when the hub trusts loopback, and a tool
/// setting itself up needs to know before it is used from another machine.
pub(crate) async fn ping(
    State(hub): State<Arc<Hub>>,
    _: Control,
    headers: axum::http::HeaderMap,
) -> ApiResult {
    let now = chrono::Utc::now();
    let sent = landale_core::auth::bearer(
        headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok()),
    );
    Ok(ok(json!({"pong": true, "timestamp": now.timestamp(),
                 "server_time": landale_core::ids::iso(now),
                 "token_valid": sent.map(|t| hub.auth.is_token(t))})))
}

/// `GET /api/fleet`: every machine's nurvus and its processes, as the dashboard's
/// `fleet_update` shows them (no token: a read).
pub(crate) async fn fleet(State(hub): State<Arc<Hub>>) -> Json<Value> {
    Json(hub.fleet.view())
}

/// `POST /api/fleet/{machine}/{process}/{action}` (`start`, `stop`, `restart`): a
/// process on one machine of the fleet, through that machine's nurvus.
pub(crate) async fn fleet_action(
    State(hub): State<Arc<Hub>>,
    _: Control,
    Path((machine, process, action)): Path<(String, String, String)>,
) -> Response {
    let fail = |code: StatusCode, kind: &str, msg: String| {
        (
            code,
            Json(json!({"success": false, "error": {"type": kind, "message": msg}})),
        )
            .into_response()
    };
    if !matches!(action.as_str(), "start" | "stop" | "restart") {
        return fail(
            StatusCode::NOT_FOUND,
            "unknown_action",
            format!("Unknown action {action:?}: use start, stop or restart"),
        );
    }
    let Some(url) = hub.fleet.url_of(&machine) else {
        return fail(
            StatusCode::NOT_FOUND,
            "invalid_machine",
            hub.fleet.unknown(&machine),
        );
    };
    match hub.nurvus.at(url).process(&action, &process).await {
        Ok(data) => ok(data),
        Err(msg) => fail(StatusCode::BAD_GATEWAY, "nurvus_error", msg),
    }
}

/// What each service is, for `/api/services`.
fn describe(name: &str) -> (&'static str, &'static str, &'static [&'static str]) {
    match name {
        "obs" => (
            "landale_obs",
            "OBS Studio over obs-websocket v5",
            &["scenes", "streaming", "recording", "stats", "events"],
        ),
        "twitch" => (
            "landale_twitch",
            "Twitch: OAuth tokens, EventSub over WebSocket, Helix",
            &["eventsub", "helix", "oauth", "emotes", "cheermotes"],
        ),
        "ironmon_tcp" => (
            "landale_ironmon",
            "The IronMON tracker's telemetry over TCP and the run tracker",
            &["tcp_server", "run_tracking", "checkpoint_stats"],
        ),
        "rainwave" => (
            "landale_rainwave",
            "What is playing on Rainwave",
            &["now_playing", "station_control"],
        ),
        _ => ("landale", "", &[]),
    }
}

fn find<'a>(hub: &'a Hub, id: &str) -> Option<&'a Arc<dyn Integration>> {
    hub.integrations.iter().find(|i| i.name() == id)
}

pub(crate) async fn list(State(hub): State<Arc<Hub>>) -> Json<Value> {
    let pid = std::process::id();
    let services: Vec<Value> = hub
        .integrations
        .iter()
        .map(|i| {
            let (module, description, capabilities) = describe(i.name());
            json!({"module": module, "pid": pid, "name": i.name(), "version": landale_protocol::envelope::SERVER_VERSION,
                   "capabilities": capabilities, "description": description, "status": i.service_status().status})
        })
        .collect();
    Json(json!({"services": services}))
}

pub(crate) async fn health_all(State(hub): State<Arc<Hub>>) -> Json<Value> {
    let health: Map<String, Value> = hub
        .integrations
        .iter()
        .map(|i| (i.name().to_string(), i.health()))
        .collect();
    Json(json!({"health": health}))
}

/// `healthy`, `degraded`, `unhealthy`, or `off` (not configured or turned off: the
/// streamer's choice, not a fault).
fn class(status: &str) -> &'static str {
    match status {
        "healthy" | "ok" | "ready" => "healthy",
        "degraded" | "warning" | "reconnecting" | "connecting" | "starting" => "degraded",
        "not_configured" | "disabled" | "off" => "off",
        _ => "unhealthy",
    }
}

pub(crate) async fn system_health(State(hub): State<Arc<Hub>>) -> Response {
    let mut services = Map::new();
    let (mut healthy, mut degraded, mut unhealthy) = (0, 0, 0);
    for i in &hub.integrations {
        let c = class(&i.service_status().status);
        match c {
            "healthy" => healthy += 1,
            "degraded" => degraded += 1,
            "unhealthy" => unhealthy += 1,
            _ => {}
        }
        services.insert(i.name().into(), c.into());
    }
    let counted = healthy + degraded + unhealthy;
    let status = if unhealthy > 0 || (counted > 0 && degraded * 2 > counted) {
        "unhealthy"
    } else if degraded > 0 {
        "degraded"
    } else {
        "healthy"
    };
    let body = json!({"system_health": {"status": status, "services": services,
        "summary": {"total": hub.integrations.len(), "healthy": healthy, "degraded": degraded, "unhealthy": unhealthy,
                    "off": hub.integrations.len() - counted}}});
    let code = if status == "unhealthy" {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    (code, Json(body)).into_response()
}

pub(crate) async fn one(State(hub): State<Arc<Hub>>, Path(id): Path<String>) -> Response {
    match find(&hub, &id) {
        Some(i) => {
            let (module, description, capabilities) = describe(i.name());
            let s = i.service_status();
            Json(json!({"service": {"name": i.name(), "module": module, "description": description,
                                    "capabilities": capabilities, "version": landale_protocol::envelope::SERVER_VERSION,
                                    "pid": std::process::id(), "status": s.status, "connected": s.connected,
                                    "error": s.error, "details": i.system_entry()}}))
            .into_response()
        }
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({"error": "Service not found"})),
        )
            .into_response(),
    }
}

pub(crate) async fn one_health(State(hub): State<Arc<Hub>>, Path(id): Path<String>) -> Response {
    let Some(i) = find(&hub, &id) else {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"error": "Service not found"})),
        )
            .into_response();
    };
    let s = i.service_status();
    if class(&s.status) == "unhealthy" {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"error": "Health check failed", "reason": s.error.unwrap_or(s.status), "health": i.health()})),
        )
            .into_response();
    }
    Json(json!({"health": i.health()})).into_response()
}

pub(crate) async fn schema() -> Json<Value> {
    Json(landale_protocol::schema::document())
}

pub(crate) async fn schema_channels() -> Json<Value> {
    Json(json!({"channels": landale_protocol::schema::channels()}))
}

pub(crate) async fn schema_channel(Path(module): Path<String>) -> Response {
    match landale_protocol::schema::channel(&module) {
        Some(c) => Json(c).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({"error": format!("no channel family {module:?}")})),
        )
            .into_response(),
    }
}

pub(crate) async fn schema_examples() -> Json<Value> {
    Json(landale_protocol::schema::examples())
}
