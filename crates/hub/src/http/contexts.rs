//! `/api/contexts`: written by seed, read by the dashboard. A new context is
//! announced as a `seed.context` event; a repeated idempotency key answers 200 with
//! `duplicate: true` and stores nothing.

use super::{db_error, env_error, env_ok, int_param, ApiResult, Control, CorrelationId, Params};
use crate::hub::Hub;
use crate::store::contexts::{Inserted, NewContext};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Extension;
use axum::Json;
use landale_core::ids::iso;
use landale_core::{Envelope, Input};
use serde_json::{json, Value};
use std::sync::Arc;

pub(crate) async fn create(
    State(hub): State<Arc<Hub>>,
    _control: Control,
    Extension(cid): Extension<CorrelationId>,
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
    let inserted = hub.store.insert_context(&c).await.map_err(db_error)?;
    let mut data = json!({"started": iso(c.started), "ended": iso(c.ended), "session": c.session,
                          "duration": c.duration, "sentiment": c.sentiment, "topics": c.topics});
    let status = match inserted {
        Inserted::Existing(_) => {
            data["duplicate"] = true.into();
            StatusCode::OK
        }
        Inserted::New(_) => {
            announce(&hub, &c, cid);
            StatusCode::CREATED
        }
    };
    Ok((status, env_ok(data)).into_response())
}

/// `seed.context`: a new context, for the dashboard's "Stream context" panel.
fn announce(hub: &Hub, c: &NewContext, cid: CorrelationId) {
    let mut data = json!({
        "started": iso(c.started), "ended": iso(c.ended), "session": c.session,
        "duration": c.duration, "sentiment": c.sentiment, "topics": c.topics,
    });
    for key in ["summary", "analysis", "mood"] {
        if let Some(v) = c.extra.get(key) {
            data[key] = v.clone();
        }
    }
    // The sources themselves can be long lists: the event says how many of each.
    if let Some(Value::Object(sources)) = c.extra.get("sources") {
        let counts: serde_json::Map<String, Value> = sources
            .iter()
            .filter_map(|(k, v)| v.as_array().map(|a| (k.clone(), a.len().into())))
            .collect();
        data["source_counts"] = Value::Object(counts);
    }
    if let Some(k) = &c.idempotency_key {
        data["idempotency_key"] = k.clone().into();
    }
    let input = Input {
        event_type: "seed.context".into(),
        data,
        envelope: Envelope {
            correlation_id: Some(cid.0),
            ..Envelope::default()
        },
    };
    if let Err(e) = hub.pipeline.ingest(input) {
        tracing::warn!(error = %e, "the new context was stored but not announced");
    }
}

fn session(p: &Params) -> Option<&str> {
    p.get("session")
        .map(String::as_str)
        .filter(|s| !s.is_empty())
}

pub(crate) async fn list(State(hub): State<Arc<Hub>>, Query(p): Query<Params>) -> ApiResult {
    let limit = int_param(&p, "limit", 50, 500)?;
    let range = (
        super::time_param(&p, "since")?,
        super::time_param(&p, "before")?,
    );
    let rows = hub
        .store
        .list_contexts(limit, session(&p), range)
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
