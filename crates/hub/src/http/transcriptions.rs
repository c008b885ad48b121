//! `/api/transcriptions/*`. Submissions come over the socket.

use super::{db_error, int_param, limit, ApiError, ApiResult, Params};
use crate::hub::Hub;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use chrono::{DateTime, Utc};
use serde_json::json;
use std::sync::Arc;

fn fail(msg: &str) -> ApiError {
    ApiError(
        StatusCode::BAD_REQUEST,
        json!({"success": false, "error": msg}),
    )
}

fn session_param(p: &Params) -> Option<&str> {
    p.get("stream_session_id")
        .map(String::as_str)
        .filter(|s| !s.is_empty())
}

pub(crate) async fn list(State(hub): State<Arc<Hub>>, Query(p): Query<Params>) -> ApiResult {
    let rows = hub
        .store
        .list_transcriptions(limit(&p, 50, 1000), session_param(&p))
        .await
        .map_err(db_error)?;
    Ok(Json(json!({"success": true, "data": rows})).into_response())
}

pub(crate) async fn search(State(hub): State<Arc<Hub>>, Query(p): Query<Params>) -> ApiResult {
    let q = p
        .get("q")
        .ok_or_else(|| fail("Search query (q) is required"))?;
    if q.trim().is_empty() {
        return Err(fail("Search query cannot be empty"));
    }
    let rows = hub
        .store
        .search_transcriptions(q.trim(), limit(&p, 25, 100), session_param(&p))
        .await
        .map_err(db_error)?;
    Ok(Json(json!({"success": true, "data": rows, "query": q})).into_response())
}

fn time(p: &Params, key: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
    match p.get(key) {
        None => Ok(None),
        Some(v) => DateTime::parse_from_rfc3339(v)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| fail(&format!("Invalid {key} format. Use ISO 8601."))),
    }
}

pub(crate) async fn time_range(State(hub): State<Arc<Hub>>, Query(p): Query<Params>) -> ApiResult {
    let start = time(&p, "start_time")?.ok_or_else(|| fail("start_time is required (ISO 8601)"))?;
    let end = time(&p, "end_time")?.unwrap_or_else(Utc::now);
    if end < start {
        return Err(fail("end_time must not be before start_time"));
    }
    let rows = hub
        .store
        .transcriptions_between(start, end, limit(&p, 100, 1000), session_param(&p))
        .await
        .map_err(db_error)?;
    Ok(Json(json!({"success": true, "data": rows})).into_response())
}

pub(crate) async fn recent(State(hub): State<Arc<Hub>>, Query(p): Query<Params>) -> ApiResult {
    let minutes = int_param(&p, "minutes", 5, 24 * 60)?;
    let rows = hub
        .store
        .recent_transcriptions(minutes)
        .await
        .map_err(db_error)?;
    Ok(Json(json!({"success": true, "data": rows})).into_response())
}

pub(crate) async fn session(
    State(hub): State<Arc<Hub>>,
    Path(id): Path<String>,
    Query(p): Query<Params>,
) -> ApiResult {
    let rows = hub
        .store
        .session_transcriptions(&id, limit(&p, 500, 1000))
        .await
        .map_err(db_error)?;
    Ok(Json(json!({"success": true, "data": rows, "session_id": id})).into_response())
}

pub(crate) async fn stats(State(hub): State<Arc<Hub>>, Query(p): Query<Params>) -> ApiResult {
    let hours = int_param(&p, "hours", 24, 24 * 365)?;
    let data = hub
        .store
        .transcription_stats(hours)
        .await
        .map_err(db_error)?;
    Ok(Json(json!({"success": true, "data": data})).into_response())
}
