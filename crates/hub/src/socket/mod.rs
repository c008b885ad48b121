//! The Phoenix Channels endpoint at `/socket/websocket`.
//!
//! The upgrade handler checks the origin (no `Origin` header is allowed; browsers must
//! come from the allowlist or the hub's own pages), picks the serializer from `vsn`,
//! and decides once whether the socket may run control actions.

pub(crate) mod conn;

use crate::hub::Hub;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use landale_core::auth::bearer;
use landale_protocol::Vsn;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

/// Largest inbound frame accepted (a transcription with metadata fits easily).
pub(crate) const MAX_FRAME_BYTES: usize = 1024 * 1024;

/// Is this browser origin allowed? Same-origin pages (served by the hub) always are.
pub(crate) fn origin_allowed(origin: &str, host: Option<&str>, allowed: &[String]) -> bool {
    if allowed.iter().any(|a| a == origin) {
        return true;
    }
    match (host, origin.split_once("://")) {
        (Some(host), Some((scheme, rest))) => {
            (scheme == "http" || scheme == "https") && rest == host
        }
        _ => false,
    }
}

pub(crate) async fn upgrade(
    State(hub): State<Arc<Hub>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
        if !origin_allowed(origin, host, &hub.config.allowed_origins) {
            tracing::warn!(origin, peer = %peer, "socket refused: origin not allowed");
            return (
                StatusCode::FORBIDDEN,
                format!("origin {origin} is not allowed; add it to LANDALE_ALLOWED_ORIGINS"),
            )
                .into_response();
        }
    }
    let vsn = match Vsn::from_param(params.get("vsn").map(String::as_str)) {
        Ok(v) => v,
        Err(e) => return (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    };
    let token = params.get("token").map(String::as_str).or_else(|| {
        bearer(
            headers
                .get(header::AUTHORIZATION)
                .and_then(|h| h.to_str().ok()),
        )
    });
    let info = conn::ConnInfo {
        vsn,
        authorized: hub.auth.allows(token, peer.ip(), &headers),
        environment: params
            .get("environment")
            .cloned()
            .unwrap_or_else(|| "production".into()),
        peer,
    };
    // Small buffers: inbound frames are tiny, and the writer flushes each batch itself.
    ws.max_message_size(MAX_FRAME_BYTES)
        .read_buffer_size(4 * 1024)
        .write_buffer_size(16 * 1024)
        .on_upgrade(move |socket| conn::run(hub, socket, info))
}

#[cfg(test)]
mod tests {
    use super::origin_allowed;

    #[test]
    fn origins() {
        let allowed = vec!["http://localhost:5173".to_string()];
        assert!(origin_allowed(
            "http://localhost:5173",
            Some("127.0.0.1:7175"),
            &allowed
        ));
        assert!(origin_allowed(
            "http://127.0.0.1:7175",
            Some("127.0.0.1:7175"),
            &allowed
        ));
        assert!(origin_allowed(
            "https://saya.tailnet.ts.net",
            Some("saya.tailnet.ts.net"),
            &allowed
        ));
        assert!(!origin_allowed(
            "http://evil.example",
            Some("127.0.0.1:7175"),
            &allowed
        ));
        assert!(!origin_allowed("http://evil.example", None, &allowed));
    }
}
