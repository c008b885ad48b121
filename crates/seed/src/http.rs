//! seed's HTTP port (8891): `GET /health` (degraded while the hub link or the LLM is
//! down), `GET /status` (components, buffers, the LLM's state and last error),
//! `POST /query` and `GET /query/examples`. Reads need no token; the port binds
//! loopback unless `SEED_HOST` says otherwise.

use crate::query;
use crate::service::Service;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::Arc;

pub fn router(s: Arc<Service>) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/status", get(status))
        .route("/query", post(ask))
        .route("/query/examples", get(|| async { Json(query::examples()) }))
        .with_state(s)
}

fn summary(s: &Service) -> String {
    let c = &s.counters;
    let g = |a: &std::sync::atomic::AtomicU64| a.load(std::sync::atomic::Ordering::Relaxed);
    let llm = match (&s.llm, s.settings.embedded.as_ref()) {
        (Some(l), _) => format!("LLM {}", l.model()),
        (None, Some(_)) => format!(
            "embedded model {}",
            s.engine_status()["state"].as_str().unwrap_or("")
        ),
        (None, None) => "no LLM (seed's own analysis)".to_string(),
    };
    format!(
        "{} contexts stored ({} by the LLM); {llm}; {} waiting",
        g(&c.contexts_stored),
        g(&c.contexts_llm),
        s.outbox_len()
    )
}

async fn health(State(s): State<Arc<Service>>) -> Json<Value> {
    let problems = s.problems();
    let mut v = json!({
        "status": if problems.is_empty() { "healthy" } else { "degraded" },
        "service": "landale-seed",
        "uptime_seconds": s.uptime().as_secs(),
        "timestamp": chrono::Utc::now().timestamp(),
        "buffers": crate::service_stats(&s),
        "warnings": s.correlator.lock().map(|c| c.warnings()).unwrap_or_default(),
        "connections": {"hub": s.hub_connected()},
        "summary": summary(&s),
    });
    if !problems.is_empty() {
        v["message"] = problems.join("; ").into();
    }
    Json(v)
}

async fn status(State(s): State<Arc<Service>>) -> Json<Value> {
    let llm = match &s.llm {
        Some(l) => l.status(),
        None if s.settings.embedded.is_some() => s.engine_status(),
        None => json!({"kind": "none", "available": false,
                       "message": "no LLM configured (SEED_LMS__API_URL) and the embedded model is off: contexts use seed's own analysis"}),
    };
    let problems = s.problems();
    Json(json!({
        "service": "landale-seed",
        "version": env!("CARGO_PKG_VERSION"),
        "uptime_seconds": s.uptime().as_secs(),
        "timestamp": chrono::Utc::now().timestamp(),
        "components": {
            "hub_socket": {"connected": s.hub_connected(), "url": s.settings.socket_url(), "connections": s.socket.connections()},
            "hub_rest": {"url": s.rest.base(), "outbox": s.outbox_len(), "outbox_limit": crate::service::OUTBOX},
            "llm": llm,
        },
        "correlator": crate::service_stats(&s),
        "counters": s.counters.json(),
        "last_analysis": *s.last_analysis.lock().unwrap_or_else(|p| p.into_inner()),
        "settings": {
            "context_window_seconds": s.settings.context_window.as_secs_f64(),
            "analysis_interval_seconds": s.settings.analysis_interval.as_secs_f64(),
            "correlation_window_seconds": s.settings.correlation_window.as_secs_f64(),
            "context_tokens": s.settings.context_tokens,
        },
        "overall_status": if problems.is_empty() { "healthy" } else { "degraded" },
        "problems": problems,
    }))
}

fn failure(code: StatusCode, error: &str) -> (StatusCode, Json<Value>) {
    (
        code,
        Json(json!({"success": false, "error": error, "timestamp": landale_core::ids::now_iso()})),
    )
}

async fn ask(State(s): State<Arc<Service>>, body: Bytes) -> (StatusCode, Json<Value>) {
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return failure(StatusCode::BAD_REQUEST, "Invalid JSON in request body");
    };
    let question = v["question"].as_str().map(str::trim).unwrap_or("");
    if question.is_empty() {
        return failure(StatusCode::BAD_REQUEST, "Question is required");
    }
    if question.len() > 1000 {
        return failure(
            StatusCode::BAD_REQUEST,
            "Question is longer than 1000 characters",
        );
    }
    let hours = v["time_window_hours"].as_f64();
    match query::answer(
        &s.rest,
        s.llm.as_deref(),
        &s.settings.streamer,
        question,
        hours,
    )
    .await
    {
        Ok(a) => (StatusCode::OK, Json(a)),
        Err(e) => failure(StatusCode::BAD_GATEWAY, &e),
    }
}
