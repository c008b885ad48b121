//! `/api/contexts`: written by seed, read by the dashboard.

use super::{db_error, env_error, env_ok, int_param, ApiResult, Control, Params};
use crate::hub::Hub;
use crate::store::contexts::NewContext;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde_json::{json, Value};
use std::sync::Arc;

pub(crate) async fn create(
    State(hub): State<Arc<Hub>>,
    _control: Control,
    body: Bytes,
) -> ApiResult {
    let body: Value = serde_json::from_slice(&body)
        .map_err(|e| env_error("invalid_payload", &format!("body is not JSON: {e}"), None))?;
    let c = NewContext::parse(&body).map_err(|errors| {
        env_error(
            "validation_failed",
            "Request validation failed",
            Some(json!({"errors": errors})),
        )
    })?;
    hub.store.insert_context(&c).await.map_err(db_error)?;
    let data = json!({"started": c.started, "ended": c.ended, "session": c.session, "duration": c.duration,
                      "sentiment": c.sentiment, "topics": c.topics});
    Ok((StatusCode::CREATED, env_ok(data)).into_response())
}

fn session(p: &Params) -> Option<&str> {
    p.get("session")
        .map(String::as_str)
        .filter(|s| !s.is_empty())
}

pub(crate) async fn list(State(hub): State<Arc<Hub>>, Query(p): Query<Params>) -> ApiResult {
    let limit = int_param(&p, "limit", 50, 500)?;
    let rows = hub
        .store
        .list_contexts(limit, session(&p))
        .await
        .map_err(db_error)?;
    Ok(env_ok(json!({"contexts": rows})))
}

pub(crate) async fn search(State(hub): State<Arc<Hub>>, Query(p): Query<Params>) -> ApiResult {
    let q = p.get("q").filter(|q| !q.trim().is_empty()).ok_or_else(|| {
        super::ApiError(
            StatusCode::BAD_REQUEST,
            landale_protocol::envelope::error(
                "missing_parameter",
                "Search query (q) is required",
                None,
                &landale_core::ids::now_iso(),
            ),
        )
    })?;
    let limit = int_param(&p, "limit", 25, 100)?;
    let rows = hub
        .store
        .search_contexts(q.trim(), limit, session(&p))
        .await
        .map_err(db_error)?;
    Ok(env_ok(json!({"contexts": rows, "query": q})))
}

pub(crate) async fn stats(State(hub): State<Arc<Hub>>, Query(p): Query<Params>) -> ApiResult {
    let hours = int_param(&p, "hours", 24, 24 * 365)?;
    let data = hub.store.context_stats(hours).await.map_err(db_error)?;
    Ok(Json(json!({"status": "success", "data": data})).into_response())
}
