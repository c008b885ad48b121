//! The REST API and static routes. Handlers are thin: parse, call a module, shape
//! the reply. Paths, shapes and status codes are the original system's, so its clients
//! keep working. A validation error is the envelope's `validation_failed` with the
//! field map under `details.errors` on `POST /api/contexts` and `details.fields` on
//! the community and event writes, as that system answered (one field map type,
//! `FieldErrors`, behind both keys).

pub(crate) mod activity;
pub(crate) mod community;
pub(crate) mod contexts;
pub(crate) mod control;
pub(crate) mod eventsub;
pub(crate) mod health;
pub(crate) mod ironmon;
pub(crate) mod media;
pub(crate) mod pages;
pub(crate) mod seed;
pub(crate) mod stream;
pub(crate) mod transcriptions;

use crate::hub::Hub;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Router};
pub(crate) use landale_core::http::{
    env_error, env_ok, ApiError, ApiResult, Control, CorrelationId, Peer,
};
use landale_core::ids::now_iso;
use landale_protocol::envelope;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;

/// Request bodies above this are refused with 413.
pub(crate) const MAX_BODY_BYTES: usize = 100 * 1024;

pub(crate) type Params = HashMap<String, String>;

pub(crate) fn db_error(e: crate::store::StoreError) -> ApiError {
    tracing::error!(error = %e, "database error in a request");
    env_error("service_unavailable", &format!("database error: {e}"), None)
}

/// `limit` within `1..=max`, else `default` (the reference's lenient rule).
pub(crate) fn limit(p: &Params, default: i64, max: i64) -> i64 {
    p.get("limit")
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|n| (1..=max).contains(n))
        .unwrap_or(default)
}

/// A strict positive integer parameter: absent → default, malformed → 400.
pub(crate) fn int_param(p: &Params, key: &str, default: i64, max: i64) -> Result<i64, ApiError> {
    match p.get(key) {
        None => Ok(default),
        Some(v) => match v.parse::<i64>() {
            Ok(n) if n >= 1 && n <= max => Ok(n),
            _ => Err(ApiError(
                StatusCode::BAD_REQUEST,
                envelope::error(
                    "invalid_parameters",
                    &format!("{key} must be an integer from 1 to {max}"),
                    None,
                    &now_iso(),
                ),
            )),
        },
    }
}

/// An optional ISO 8601 time parameter; malformed → 400 naming it.
pub(crate) fn time_param(
    p: &Params,
    key: &str,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, ApiError> {
    match p.get(key).map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(v) => chrono::DateTime::parse_from_rfc3339(v)
            .map(|t| Some(t.with_timezone(&chrono::Utc)))
            .map_err(|_| {
                ApiError(
                    StatusCode::BAD_REQUEST,
                    landale_protocol::envelope::error(
                        "invalid_parameters",
                        &format!("{key} must be an ISO 8601 time such as 2026-01-31T20:00:00Z"),
                        None,
                        &landale_core::ids::now_iso(),
                    ),
                )
            }),
    }
}

pub(crate) fn router(hub: Arc<Hub>) -> Router {
    let mut origins: Vec<HeaderValue> = hub
        .config
        .allowed_origins
        .iter()
        .filter_map(|o| o.parse().ok())
        .collect();
    origins.dedup();
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            HeaderName::from_static("x-correlation-id"),
        ])
        .allow_credentials(true)
        .max_age(std::time::Duration::from_secs(86_400));

    let api = Router::new()
        .route("/health", get(health::health))
        .route("/ready", get(health::ready))
        .route("/api/health", get(health::api_health))
        .route("/metrics", get(health::metrics))
        .route("/api/eventsub", post(eventsub::eventsub))
        .route("/api/events", post(eventsub::ingest))
        .route("/api/activity/events", get(activity::events))
        .route("/api/activity/stats", get(activity::stats))
        .route("/api/transcriptions", get(transcriptions::list))
        .route("/api/transcriptions/search", get(transcriptions::search))
        .route(
            "/api/transcriptions/time-range",
            get(transcriptions::time_range),
        )
        .route("/api/transcriptions/recent", get(transcriptions::recent))
        .route(
            "/api/transcriptions/session/{session_id}",
            get(transcriptions::session),
        )
        .route("/api/transcriptions/stats", get(transcriptions::stats))
        .route("/api/queue", get(stream::queue))
        .route("/api/stream/{command}", post(stream::control))
        .route("/api/contexts", get(contexts::list).post(contexts::create))
        .route("/api/contexts/search", get(contexts::search))
        .route("/api/contexts/stats", get(contexts::stats))
        .route("/api/control/status", get(control::status))
        .route("/api/control/services", get(control::services))
        .route("/api/control/tokens", get(control::tokens))
        .route("/api/control/ping", post(control::ping))
        .route("/api/fleet", get(control::fleet))
        .route(
            "/api/fleet/{machine}/{process}/{action}",
            post(control::fleet_action),
        )
        .route("/api/services", get(control::list))
        .route("/api/services/health", get(control::health_all))
        .route("/api/services/system-health", get(control::system_health))
        .route("/api/services/{id}", get(control::one))
        .route("/api/services/{id}/health", get(control::one_health))
        .route("/api/websocket/schema", get(control::schema))
        .route("/api/websocket/channels", get(control::schema_channels))
        .route(
            "/api/websocket/channels/{module}",
            get(control::schema_channel),
        )
        .route("/api/websocket/examples", get(control::schema_examples))
        .route("/api/ironmon/status", get(ironmon::status))
        .route("/api/ironmon/challenges", get(ironmon::challenges))
        .route(
            "/api/ironmon/challenges/{id}/checkpoints",
            get(ironmon::checkpoints),
        )
        .route(
            "/api/ironmon/checkpoints/{id}/stats",
            get(ironmon::checkpoint_stats),
        )
        .route("/api/ironmon/results/recent", get(ironmon::recent_results))
        .route(
            "/api/ironmon/seeds/{id}/challenge",
            get(ironmon::seed_challenge),
        )
        .route("/api/seed/query", post(seed::query))
        .route("/api/seed/status", get(seed::status))
        .route("/api/community/members", get(community::members))
        .route(
            "/api/community/members/activity",
            post(community::member_activity),
        )
        .route("/api/community/stats", get(community::stats))
        .route(
            "/api/community/pronunciation",
            get(community::pronunciations).post(community::create_pronunciation),
        )
        .route(
            "/api/community/pronunciation/{username}",
            get(community::pronunciation),
        )
        .route(
            "/api/community/vocabulary",
            get(community::vocabulary).post(community::create_vocabulary),
        )
        .route(
            "/api/community/vocabulary/search",
            get(community::search_vocabulary),
        )
        .route(
            "/api/media",
            get(media::list)
                .post(media::upload)
                .layer(DefaultBodyLimit::max(
                    crate::store::media::MAX_MEDIA_BYTES + 1024,
                )),
        )
        .route("/media/{name}", get(media::file))
        .route("/dashboard", get(pages::dashboard))
        .route("/dashboard/", get(pages::dashboard))
        .route("/overlays/{name}", get(pages::overlay))
        .route("/overlays/{name}/", get(pages::overlay))
        .route("/assets/{*path}", get(pages::asset))
        .route("/socket/websocket", get(crate::socket::upgrade))
        .fallback(not_found)
        .with_state(hub.clone());
    // Each integration's own routes (`/api/obs/*`, `/api/oauth/*`, …).
    let api = hub
        .integrations
        .iter()
        .fold(api, |api, i| api.merge(i.clone().routes()));

    let h = |name: &'static str, value: &'static str| {
        SetResponseHeaderLayer::overriding(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        )
    };
    // `Control` checks the caller against the hub's `Auth`, found in the extensions.
    api.layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(Extension(hub.auth.clone()))
        .layer(axum::middleware::from_fn(correlation))
        .layer(cors)
        .layer(h("x-frame-options", "DENY"))
        .layer(h("x-content-type-options", "nosniff"))
        .layer(h("referrer-policy", "strict-origin-when-cross-origin"))
        // Images: the hub, Twitch's CDN (https), and loopback over http, where the
        // fake Twitch of the demo and the tests serves its cheermotes.
        .layer(h(
            "content-security-policy",
            "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https: http://127.0.0.1:* http://localhost:*; font-src 'self' data:; connect-src 'self' ws: wss:; frame-ancestors 'none'",
        ))
}

/// Every request gets a correlation id: the client's `x-correlation-id` (8 to 64
/// printable characters) or a new one. It is on the request's log span, available to
/// handlers as an extension, and echoed on the response.
async fn correlation(mut req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    use tracing::Instrument;
    let id = req
        .headers()
        .get("x-correlation-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| (8..=64).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
        .unwrap_or_else(|| landale_core::ids::random_hex(8));
    let span = tracing::info_span!("http", method = %req.method(), path = %req.uri().path(), correlation_id = %id);
    req.extensions_mut().insert(CorrelationId(id.clone()));
    let mut resp = next.run(req).instrument(span.clone()).await;
    if resp.status().is_server_error() {
        span.in_scope(|| tracing::warn!(status = resp.status().as_u16(), "request failed"));
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut()
            .insert(HeaderName::from_static("x-correlation-id"), v);
    }
    resp
}

async fn not_found() -> ApiError {
    ApiError(
        StatusCode::NOT_FOUND,
        json!({"errors": {"detail": "Not Found"}}),
    )
}
