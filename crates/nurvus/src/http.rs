//! The HTTP API on 4001: the reference's routes with their shapes (status codes
//! fixed: an unknown id is 404, stopping a stopped process 409), the routes its docs
//! named (add, remove, metrics, alerts, platform), logs and a live log stream
//! (server-sent events), and `/metrics` for Prometheus. Controls need the token
//! (bearer; loopback trusted unless `LANDALE_TRUST_LOOPBACK=false`); reads do not.

use crate::supervisor::{CmdError, Proc, State, Supervisor};
use axum::extract::{Path, Query, State as AxState};
use axum::http::StatusCode;
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use landale_core::http::Control;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

pub struct App {
    pub sup: Arc<Supervisor>,
    pub started: Instant,
    /// The process file, for reloads.
    pub config: std::path::PathBuf,
}

type S = AxState<Arc<App>>;

pub fn router(app: Arc<App>, auth: landale_core::Auth) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/api/system/status", get(system))
        .route("/api/platform", get(platform))
        .route("/api/processes", get(list).post(add))
        .route("/api/processes/{id}", get(one).delete(remove))
        .route("/api/processes/{id}/start", post(start))
        .route("/api/processes/{id}/stop", post(stop))
        .route("/api/processes/{id}/restart", post(restart))
        .route("/api/processes/{id}/logs", get(logs))
        .route("/api/processes/{id}/logs/stream", get(stream))
        .route("/api/processes/{id}/metrics", get(proc_metrics))
        .route("/api/metrics", get(all_metrics))
        .route("/api/alerts", get(alerts))
        .route("/api/reload", post(reload))
        .fallback(|| async { (StatusCode::NOT_FOUND, Json(json!({"error": "Not found"}))) })
        .layer(Extension(auth))
        .with_state(app)
}

fn err(code: StatusCode, msg: impl Into<String>) -> Response {
    (code, Json(json!({"error": msg.into()}))).into_response()
}

fn not_found() -> Response {
    err(StatusCode::NOT_FOUND, "Process not found")
}

fn status_word(s: State) -> &'static str {
    match s {
        State::Running | State::External => "running",
        State::Failed => "failed",
        State::Starting | State::Backoff => "starting",
        State::Stopping => "stopping",
        State::Stopped => "stopped",
    }
}

/// One process as every listing shows it.
pub fn describe(p: &Proc) -> Value {
    let s = p.snapshot();
    let usage = p.usage();
    json!({
        "id": p.entry.id, "name": p.entry.name, "status": status_word(s.state), "state": s.state,
        "pid": s.pid, "started_at": s.started_at,
        "uptime_seconds": s.started.filter(|_| s.state == State::Running).map(|t| t.elapsed().as_secs()),
        "restarts": s.restarts, "last_exit": s.last_exit, "error": s.error, "health": s.health,
        "cpu_percent": usage.map(|u| (u.0 * 10.0).round() / 10.0),
        "memory_mb": usage.map(|u| u.1.rss_bytes / (1024 * 1024)),
        "rss_bytes": usage.map(|u| u.1.rss_bytes),
        "file_descriptors": usage.map(|u| u.1.fds),
        "auto_restart": p.entry.auto_restart,
    })
}

fn counts(app: &App) -> (usize, usize, usize) {
    let all = app.sup.list();
    let running = all
        .iter()
        .filter(|p| matches!(p.snapshot().state, State::Running | State::External))
        .count();
    let failed = all
        .iter()
        .filter(|p| p.snapshot().state == State::Failed)
        .count();
    (all.len(), running, failed)
}

async fn health(AxState(app): S) -> Response {
    let (total, running, failed) = counts(&app);
    let status = if failed > 0 { "degraded" } else { "healthy" };
    let body = json!({"status": status, "service": "nurvus", "timestamp": chrono::Utc::now().timestamp(),
        "uptime_seconds": app.started.elapsed().as_secs(), "version": env!("CARGO_PKG_VERSION"),
        "processes": {"total": total, "running": running, "stopped": total - running, "failed": failed},
        "alerts": alert_list(&app).len()});
    // Not started yet is not a fault: only a process that gave up makes nurvus degraded.
    (StatusCode::OK, Json(body)).into_response()
}

async fn system(AxState(app): S) -> Json<Value> {
    let (total, running, failed) = counts(&app);
    Json(
        json!({"total_processes": total, "running": running, "stopped": total - running - failed, "failed": failed,
        "alerts": alert_list(&app).len(), "uptime": app.started.elapsed().as_secs(), "platform": crate::platform::name(),
        "hostname": crate::platform::hostname()}),
    )
}

async fn platform() -> Json<Value> {
    Json(
        json!({"platform": crate::platform::name(), "hostname": crate::platform::hostname(), "os_info": {"family": std::env::consts::FAMILY, "name": std::env::consts::OS}}),
    )
}

async fn list(AxState(app): S) -> Json<Value> {
    Json(json!({"processes": app.sup.list().iter().map(|p| describe(p)).collect::<Vec<_>>()}))
}

async fn one(AxState(app): S, Path(id): Path<String>) -> Response {
    match app.sup.get(&id) {
        Some(p) => Json(describe(&p)).into_response(),
        None => not_found(),
    }
}

fn outcome(id: &str, r: Result<&'static str, CmdError>) -> Response {
    match r {
        Ok(word) => Json(json!({"status": word, "process_id": id})).into_response(),
        Err(
            e @ (CmdError::AlreadyRunning(_) | CmdError::NotRunning(_) | CmdError::External { .. }),
        ) => err(StatusCode::CONFLICT, e.to_string()),
        Err(e) => err(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()),
    }
}

async fn start(AxState(app): S, _c: Control, Path(id): Path<String>) -> Response {
    match app.sup.get(&id) {
        Some(p) => outcome(&id, p.start().await),
        None => not_found(),
    }
}

async fn stop(AxState(app): S, _c: Control, Path(id): Path<String>) -> Response {
    match app.sup.get(&id) {
        Some(p) => outcome(&id, p.stop().await),
        None => not_found(),
    }
}

async fn restart(AxState(app): S, _c: Control, Path(id): Path<String>) -> Response {
    match app.sup.get(&id) {
        Some(p) => outcome(&id, p.restart().await),
        None => not_found(),
    }
}

async fn add(AxState(app): S, _c: Control, Json(body): Json<Value>) -> Response {
    match crate::config::parse(&Value::Array(vec![body]).to_string()) {
        Ok((mut good, problems)) if problems.is_empty() && good.len() == 1 => {
            let e = good.remove(0);
            let id = e.id.clone();
            let autostart = e.autostart;
            if !app.sup.add(e) {
                return err(StatusCode::CONFLICT, format!("{id} already exists"));
            }
            if autostart {
                if let Some(p) = app.sup.get(&id) {
                    let _ = p.start().await;
                }
            }
            (
                StatusCode::CREATED,
                Json(json!({"status": "created", "process_id": id})),
            )
                .into_response()
        }
        Ok((_, problems)) => err(
            StatusCode::BAD_REQUEST,
            problems
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        ),
        Err(e) => err(StatusCode::BAD_REQUEST, e),
    }
}

async fn remove(AxState(app): S, _c: Control, Path(id): Path<String>) -> Response {
    if app.sup.remove(&id).await {
        Json(json!({"status": "removed", "process_id": id})).into_response()
    } else {
        err(StatusCode::NOT_FOUND, "Process not found")
    }
}

async fn logs(
    AxState(app): S,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(p) = app.sup.get(&id) else {
        return not_found();
    };
    let n = q
        .get("lines")
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(100)
        .min(100_000);
    let ring = p.logs.lock().unwrap_or_else(|e| e.into_inner());
    Json(json!({"process_id": id, "lines": ring.tail(n), "dropped": ring.dropped})).into_response()
}

async fn stream(AxState(app): S, Path(id): Path<String>) -> Response {
    let Some(p) = app.sup.get(&id) else {
        return not_found();
    };
    let rx = p
        .logs
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .live
        .subscribe();
    // A follower that falls behind is told how many lines it missed; the child never waits.
    let s = futures_util::stream::unfold(rx, |mut rx| async move {
        use tokio::sync::broadcast::error::RecvError;
        let event = match rx.recv().await {
            Ok(line) => Event::default().json_data(&line).unwrap_or_default(),
            Err(RecvError::Lagged(n)) => Event::default().event("lagged").data(n.to_string()),
            Err(RecvError::Closed) => return None,
        };
        Some((Ok::<_, std::convert::Infallible>(event), rx))
    });
    Sse::new(s)
        .keep_alive(axum::response::sse::KeepAlive::default())
        .into_response()
}

async fn proc_metrics(AxState(app): S, Path(id): Path<String>) -> Response {
    match app.sup.get(&id) {
        Some(p) => Json(describe(&p)).into_response(),
        None => not_found(),
    }
}

async fn all_metrics(AxState(app): S) -> Json<Value> {
    Json(Value::Object(
        app.sup
            .list()
            .iter()
            .map(|p| (p.entry.id.clone(), describe(p)))
            .collect(),
    ))
}

/// Alerts that can fire: a failed process, an unhealthy one, high CPU or memory.
fn alert_list(app: &App) -> Vec<Value> {
    let mut out = vec![];
    for p in app.sup.list() {
        let s = p.snapshot();
        let mut add = |kind: &str, severity: &str, message: String| {
            out.push(json!({"process_id": p.entry.id, "type": kind, "severity": severity, "message": message}));
        };
        if s.state == State::Failed {
            add(
                "failed",
                "critical",
                s.error.clone().unwrap_or_else(|| "failed".into()),
            );
        }
        if s.health == "unhealthy" {
            add(
                "unhealthy",
                "critical",
                "Process health check failed".into(),
            );
        }
        if let Some((cpu, u)) = p.usage() {
            if cpu > 80.0 {
                add("high_cpu", "warning", format!("High CPU usage: {cpu:.1}%"));
            }
            if u.rss_bytes > 500 * 1024 * 1024 {
                add(
                    "high_memory",
                    "warning",
                    format!("High memory usage: {} MB", u.rss_bytes / (1024 * 1024)),
                );
            }
        }
    }
    out
}

async fn alerts(AxState(app): S) -> Json<Value> {
    Json(json!({"alerts": alert_list(&app)}))
}

async fn metrics(AxState(app): S) -> Response {
    let mut out = String::from("# TYPE nurvus_process_up gauge\n# TYPE nurvus_process_restarts_total counter\n# TYPE nurvus_process_rss_bytes gauge\n# TYPE nurvus_process_cpu_seconds_total counter\n");
    for p in app.sup.list() {
        let s = p.snapshot();
        let id = &p.entry.id;
        out.push_str(&format!(
            "nurvus_process_up{{id=\"{id}\"}} {}\n",
            u8::from(s.state == State::Running)
        ));
        out.push_str(&format!(
            "nurvus_process_restarts_total{{id=\"{id}\"}} {}\n",
            s.restarts
        ));
        if let Some(u) = s.pid.and_then(crate::platform::usage) {
            out.push_str(&format!(
                "nurvus_process_rss_bytes{{id=\"{id}\"}} {}\n",
                u.rss_bytes
            ));
            out.push_str(&format!(
                "nurvus_process_cpu_seconds_total{{id=\"{id}\"}} {}\n",
                u.cpu_seconds
            ));
        }
    }
    ([("content-type", "text/plain; version=0.0.4")], out).into_response()
}

async fn reload(AxState(app): S, _c: Control) -> Response {
    match crate::reload(&app.sup, &app.config).await {
        Ok(r) => Json(serde_json::to_value(r).unwrap_or_default()).into_response(),
        Err(e) => err(StatusCode::UNPROCESSABLE_ENTITY, e),
    }
}
