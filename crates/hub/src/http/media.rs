//! Alert media: `POST /api/media` (a control: the file as the body, up to 10 MiB;
//! its type read from its bytes), `GET /api/media` (what is stored) and
//! `GET /media/<name>` (the file; names are content hashes, so cached for good).

use super::{env_error, env_ok, ApiResult, Control};
use crate::hub::Hub;
use crate::store::media::MediaError;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::sync::Arc;

pub(crate) async fn upload(
    State(hub): State<Arc<Hub>>,
    _control: Control,
    body: Bytes,
) -> ApiResult {
    match hub.media.save(&body).await {
        Ok(stored) => {
            tracing::info!(name = %stored.name, kind = stored.kind, bytes = stored.bytes, "media stored");
            Ok((StatusCode::CREATED, env_ok(json!(stored))).into_response())
        }
        Err(e @ MediaError::Io(_)) => Err(env_error("service_unavailable", &e.to_string(), None)),
        Err(e) => Err(env_error("invalid_payload", &e.to_string(), None)),
    }
}

pub(crate) async fn list(State(hub): State<Arc<Hub>>) -> ApiResult {
    Ok(env_ok(json!(hub.media.list())))
}

pub(crate) async fn file(State(hub): State<Arc<Hub>>, Path(name): Path<String>) -> Response {
    let Some((path, format)) = hub.media.path(&name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match tokio::fs::read(&path).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, format.mime),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}
