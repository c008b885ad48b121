//! `/api/activity/*`: the stored activity log, newest first, optionally of one type,
//! one user, or a time range (`since`, `until`: ISO 8601, `until` exclusive); counts
//! per type and the most active users over a window of `hours` or that range.

use super::{db_error, env_ok, int_param, limit, time_param, ApiResult, Params};
use crate::hub::Hub;
use crate::store::activity::EventQuery;
use axum::extract::{Query, State};
use chrono::Utc;
use serde_json::json;
use std::sync::Arc;

pub(crate) async fn events(State(hub): State<Arc<Hub>>, Query(p): Query<Params>) -> ApiResult {
    let filter = EventQuery {
        event_type: p.get("event_type").map(String::as_str),
        user_id: p.get("user_id").map(String::as_str),
        since: time_param(&p, "since")?,
        until: time_param(&p, "until")?,
    };
    let rows = hub
        .store
        .recent_events(limit(&p, 50, 1000), &filter)
        .await
        .map_err(db_error)?;
    Ok(env_ok(json!({"count": rows.len(), "events": rows})))
}

pub(crate) async fn stats(State(hub): State<Arc<Hub>>, Query(p): Query<Params>) -> ApiResult {
    let hours = int_param(&p, "hours", 24, 24 * 365)?;
    let until = time_param(&p, "until")?;
    let since = match time_param(&p, "since")? {
        Some(t) => t,
        None => until.unwrap_or_else(Utc::now) - chrono::Duration::hours(hours),
    };
    let stats = hub
        .store
        .event_stats(since, until)
        .await
        .map_err(db_error)?;
    let users = hub
        .store
        .most_active_users(since, until, 10)
        .await
        .map_err(db_error)?;
    Ok(env_ok(
        json!({"stats": stats, "most_active_users": users, "time_window_hours": hours,
                     "since": landale_core::ids::iso(since), "until": until.map(landale_core::ids::iso)}),
    ))
}
