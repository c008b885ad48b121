//! `/api/community/*`: community members and their activity, and
//! the community's vocabulary and pronunciation entries; reads are open, writes need
//! the token.

use super::{db_error, env_error, env_ok, int_param, ApiError, ApiResult, Control, Params};
use crate::hub::Hub;
use crate::store::community::{NewPronunciation, NewVocabulary};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{json, Value};
use std::sync::Arc;

fn body_json(body: &Bytes) -> Result<Value, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| env_error("invalid_payload", &format!("body is not JSON: {e}"), None))
}

fn invalid(errors: landale_core::FieldErrors) -> ApiError {
    env_error(
        "validation_failed",
        "Request validation failed",
        Some(json!({"fields": errors})),
    )
}

fn missing(message: &str) -> ApiError {
    ApiError(
        StatusCode::BAD_REQUEST,
        landale_protocol::envelope::error(
            "missing_parameter",
            message,
            None,
            &landale_core::ids::now_iso(),
        ),
    )
}

pub(crate) async fn members(State(hub): State<Arc<Hub>>, Query(p): Query<Params>) -> ApiResult {
    let limit = int_param(&p, "limit", 50, 500)?;
    let rows = hub.store.active_members(limit).await.map_err(db_error)?;
    Ok(env_ok(json!({"count": rows.len(), "data": rows})))
}

pub(crate) async fn member_activity(
    State(hub): State<Arc<Hub>>,
    _control: Control,
    body: Bytes,
) -> ApiResult {
    let b = body_json(&body)?;
    let username = b
        .get("username")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|u| !u.is_empty());
    let Some(username) = username else {
        return Err(missing("Username is required"));
    };
    if username.chars().count() > 255 {
        return Err(invalid(
            [(
                "username".to_string(),
                vec!["is too long (maximum is 255 characters)".to_string()],
            )]
            .into(),
        ));
    }
    let display = b.get("display_name").and_then(Value::as_str);
    let (m, created) = hub
        .store
        .member_activity(username, display)
        .await
        .map_err(db_error)?;
    let data = json!({"username": m.username, "display_name": m.display_name, "message_count": m.message_count,
                      "last_seen": m.last_seen});
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, env_ok(data)).into_response())
}

pub(crate) async fn stats(State(hub): State<Arc<Hub>>) -> ApiResult {
    let data = hub.store.community_stats().await.map_err(db_error)?;
    Ok(env_ok(json!({"data": data})))
}

pub(crate) async fn pronunciations(State(hub): State<Arc<Hub>>) -> ApiResult {
    let rows = hub.store.list_pronunciations().await.map_err(db_error)?;
    Ok(env_ok(json!(rows)))
}

pub(crate) async fn create_pronunciation(
    State(hub): State<Arc<Hub>>,
    _control: Control,
    body: Bytes,
) -> ApiResult {
    let n = NewPronunciation::parse(&body_json(&body)?).map_err(invalid)?;
    hub.store.upsert_pronunciation(&n).await.map_err(db_error)?;
    let data = json!({"username": n.username, "phonetic": n.phonetic, "confidence": n.confidence, "created_by": n.created_by});
    Ok((StatusCode::CREATED, env_ok(data)).into_response())
}

pub(crate) async fn pronunciation(
    State(hub): State<Arc<Hub>>,
    Path(username): Path<String>,
) -> ApiResult {
    match hub
        .store
        .pronunciation_for(&username)
        .await
        .map_err(db_error)?
    {
        Some(phonetic) => Ok(env_ok(json!({"username": username, "phonetic": phonetic}))),
        None => Err(env_error(
            "not_found",
            &format!("No pronunciation for {username}"),
            None,
        )),
    }
}

pub(crate) async fn vocabulary(State(hub): State<Arc<Hub>>, Query(p): Query<Params>) -> ApiResult {
    let limit = int_param(&p, "limit", 50, 500)?;
    let rows = hub
        .store
        .list_vocabulary(p.get("category").map(String::as_str), limit)
        .await
        .map_err(db_error)?;
    Ok(env_ok(json!(rows)))
}

pub(crate) async fn create_vocabulary(
    State(hub): State<Arc<Hub>>,
    _control: Control,
    body: Bytes,
) -> ApiResult {
    let v = NewVocabulary::parse(&body_json(&body)?).map_err(invalid)?;
    match hub.store.create_vocabulary(&v).await.map_err(db_error)? {
        Some(row) => Ok((StatusCode::CREATED, env_ok(json!(row))).into_response()),
        None => Err(ApiError(
            StatusCode::CONFLICT,
            landale_protocol::envelope::error(
                "conflict",
                &format!("The phrase {:?} already exists", v.phrase),
                None,
                &landale_core::ids::now_iso(),
            ),
        )),
    }
}

pub(crate) async fn search_vocabulary(
    State(hub): State<Arc<Hub>>,
    Query(p): Query<Params>,
) -> ApiResult {
    let q = p
        .get("q")
        .filter(|q| !q.trim().is_empty())
        .ok_or_else(|| missing("Search query (q) is required"))?;
    let limit = int_param(&p, "limit", 25, 100)?;
    let rows = hub
        .store
        .search_vocabulary(q.trim(), limit)
        .await
        .map_err(db_error)?;
    Ok(env_ok(json!({"data": rows, "query": q})))
}
