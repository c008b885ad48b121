//! `/api/ironmon/*` (reference §11.4): the stored challenges, checkpoints, their
//! clear statistics, recent results and a seed's run, plus `status` (the listener and
//! the live run). Errors are `{success: false, error}` with 400 for a bad id and 404
//! for an unknown seed, as the original answered; the entity shapes that crashed its
//! serialiser are plain JSON here.

use super::{db_error, ApiResult, Params};
use crate::hub::Hub;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::sync::Arc;

fn ok(data: Value) -> Response {
    Json(json!({"success": true, "data": data})).into_response()
}

fn fail(code: StatusCode, error: &str) -> Response {
    (code, Json(json!({"success": false, "error": error}))).into_response()
}

/// A positive integer id from the path, or the 400 the reference gave.
fn id(raw: &str) -> Option<i64> {
    raw.trim().parse::<i64>().ok().filter(|n| *n > 0)
}

pub(crate) async fn challenges(State(hub): State<Arc<Hub>>) -> ApiResult {
    Ok(ok(hub.store.challenges().await.map_err(db_error)?))
}

pub(crate) async fn checkpoints(State(hub): State<Arc<Hub>>, Path(raw): Path<String>) -> ApiResult {
    let Some(id) = id(&raw) else {
        return Ok(fail(StatusCode::BAD_REQUEST, "Invalid challenge ID"));
    };
    let rows = hub.store.checkpoints(id).await.map_err(db_error)?;
    Ok(ok(serde_json::to_value(rows).unwrap_or_default()))
}

pub(crate) async fn checkpoint_stats(
    State(hub): State<Arc<Hub>>,
    Path(raw): Path<String>,
) -> ApiResult {
    let Some(id) = id(&raw) else {
        return Ok(fail(StatusCode::BAD_REQUEST, "Invalid checkpoint ID"));
    };
    Ok(ok(hub
        .store
        .checkpoint_stats(id)
        .await
        .map_err(db_error)?))
}

/// `?limit=10&cursor=`: newest first; `cursor` is the last id already seen.
pub(crate) async fn recent_results(
    State(hub): State<Arc<Hub>>,
    Query(p): Query<Params>,
) -> ApiResult {
    let limit = p
        .get("limit")
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|n| (0..=1000).contains(n))
        .unwrap_or(10);
    let cursor = p
        .get("cursor")
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|n| *n > 0);
    Ok(ok(hub
        .store
        .recent_results_before(limit, cursor)
        .await
        .map_err(db_error)?))
}

pub(crate) async fn seed_challenge(
    State(hub): State<Arc<Hub>>,
    Path(raw): Path<String>,
) -> ApiResult {
    let Some(id) = id(&raw) else {
        return Ok(fail(StatusCode::BAD_REQUEST, "Invalid seed ID"));
    };
    Ok(
        match hub.store.active_challenge(id).await.map_err(db_error)? {
            Some(v) => ok(v),
            None => fail(StatusCode::NOT_FOUND, "No active challenge found"),
        },
    )
}

/// The listener (port, connections, rejections by reason) and the run as it stands.
pub(crate) async fn status(State(hub): State<Arc<Hub>>) -> ApiResult {
    let mut s = hub.ironmon.status();
    s["run"] = hub.ironmon.run_view();
    Ok(ok(s))
}
