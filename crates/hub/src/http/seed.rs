//! `/api/seed/*`: the dashboard's way to seed on another port or machine, through the
//! hub (one origin, one CSP). `POST /api/seed/query` asks a question;
//! `GET /api/seed/status` is seed's `/status`. seed's address comes from
//! `SEED_HEALTH_URL`. Both are reads: no token.

use crate::hub::Hub;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

/// A question may wait for an LLM to answer.
const QUERY_TIMEOUT: Duration = Duration::from_secs(120);
const STATUS_TIMEOUT: Duration = Duration::from_secs(5);

fn base(hub: &Hub) -> String {
    let h = &hub.config.seed_health_url;
    h.strip_suffix("/health").unwrap_or(h).to_string()
}

fn unreachable(hub: &Hub, e: reqwest::Error) -> Response {
    let why = if e.is_timeout() {
        "did not answer in time"
    } else {
        "is not reachable"
    };
    (
        StatusCode::BAD_GATEWAY,
        Json(json!({"success": false, "error": format!("seed {why} at {} (is it running? SEED_HEALTH_URL says where)", base(hub))})),
    )
        .into_response()
}

async fn relay(resp: reqwest::Response) -> Response {
    let status = StatusCode::from_u16(resp.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let body: Value = resp.json().await.unwrap_or_else(
        |_| json!({"success": false, "error": "seed answered something that is not JSON"}),
    );
    (status, Json(body)).into_response()
}

pub(crate) async fn query(State(hub): State<Arc<Hub>>, body: Bytes) -> Response {
    match hub
        .http
        .post(format!("{}/query", base(&hub)))
        .header("content-type", "application/json")
        .body(body)
        .timeout(QUERY_TIMEOUT)
        .send()
        .await
    {
        Ok(r) => relay(r).await,
        Err(e) => unreachable(&hub, e),
    }
}

pub(crate) async fn status(State(hub): State<Arc<Hub>>) -> Response {
    match hub
        .http
        .get(format!("{}/status", base(&hub)))
        .timeout(STATUS_TIMEOUT)
        .send()
        .await
    {
        Ok(r) => relay(r).await,
        Err(e) => unreachable(&hub, e),
    }
}
