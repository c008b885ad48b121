//! `/api/activity/*`: the stored activity log, newest first,
//! optionally of one type; counts per type and the most active users over a window
//! of hours.

use super::{db_error, env_ok, int_param, limit, ApiResult, Params};
use crate::hub::Hub;
use axum::extract::{Query, State};
use serde_json::json;
use std::sync::Arc;

pub(crate) async fn events(State(hub): State<Arc<Hub>>, Query(p): Query<Params>) -> ApiResult {
    let rows = hub
        .store
        .recent_events(
            limit(&p, 50, 1000),
            p.get("event_type").map(String::as_str),
            p.get("user_id").map(String::as_str),
        )
        .await
        .map_err(db_error)?;
    Ok(env_ok(json!({"count": rows.len(), "events": rows})))
}

pub(crate) async fn stats(State(hub): State<Arc<Hub>>, Query(p): Query<Params>) -> ApiResult {
    let hours = int_param(&p, "hours", 24, 24 * 365)?;
    let stats = hub.store.event_stats(hours).await.map_err(db_error)?;
    let users = hub
        .store
        .most_active_users(hours, 10)
        .await
        .map_err(db_error)?;
    Ok(env_ok(
        json!({"stats": stats, "most_active_users": users, "time_window_hours": hours}),
    ))
}
