//! What every REST route shares, whichever crate contributes it: the enveloped
//! answers, the error type, the request's correlation id and the [`Control`]
//! permission.

use crate::auth::{bearer, Auth};
use crate::ids::now_iso;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use landale_protocol::envelope;
use serde_json::Value;
use std::net::SocketAddr;

/// A JSON error response with a status.
pub struct ApiError(pub StatusCode, pub Value);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(self.1)).into_response()
    }
}

pub type ApiResult = Result<Response, ApiError>;

/// An enveloped error with the status its code implies.
pub fn env_error(code: &str, message: &str, details: Option<Value>) -> ApiError {
    let status = StatusCode::from_u16(envelope::status_for_code(code))
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    ApiError(status, envelope::error(code, message, details, &now_iso()))
}

/// An enveloped success.
pub fn env_ok(data: Value) -> Response {
    Json(envelope::ok(data, &now_iso())).into_response()
}

/// The request's correlation id: the client's `x-correlation-id` or one the hub made
/// (the hub's middleware puts it in the request's extensions).
#[derive(Clone, Debug)]
pub struct CorrelationId(pub String);

/// The connecting peer, as axum's `into_make_service_with_connect_info` records it.
pub type Peer = ConnectInfo<SocketAddr>;

/// The permission to control: the token, or a trusted loopback peer. A handler that
/// takes a `Control` argument runs only for a caller who may control; the others get
/// 401 `unauthorized` with what to send. The [`Auth`] to check against is a request
/// extension the server adds; without one, nobody may control.
pub struct Control;

impl<S: Send + Sync> FromRequestParts<S> for Control {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Control, ApiError> {
        let peer = parts
            .extensions
            .get::<Peer>()
            .map(|c| c.0)
            .unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0)));
        let token = bearer(
            parts
                .headers
                .get(header::AUTHORIZATION)
                .and_then(|h| h.to_str().ok()),
        );
        let allowed = parts
            .extensions
            .get::<Auth>()
            .is_some_and(|auth| auth.allows(token, peer.ip(), &parts.headers));
        if allowed {
            Ok(Control)
        } else {
            Err(env_error("unauthorized", UNAUTHORIZED, None))
        }
    }
}

/// What a REST caller without the permission is told.
pub const UNAUTHORIZED: &str = "this action needs the Landale token: send `Authorization: Bearer <token>` (see `landale token`)";
