//! The response envelope used by replies on the events, dashboard and stream channels
//! and by most REST routes.

use serde_json::{json, Map, Value};

/// Version string reported in `meta.server_version`.
pub const SERVER_VERSION: &str = env!("CARGO_PKG_VERSION");

/// `{"success": true, "data": ..., "meta": {"timestamp", "server_version"}}`.
pub fn ok(data: Value, now_iso: &str) -> Value {
    json!({
        "success": true,
        "data": data,
        "meta": {"timestamp": now_iso, "server_version": SERVER_VERSION},
    })
}

/// `{"success": false, "error": {"code", "message", "timestamp", "details"?}}`.
/// Details that are not an object are wrapped as `{"raw": ...}`.
pub fn error(code: &str, message: &str, details: Option<Value>, now_iso: &str) -> Value {
    let mut err = Map::new();
    err.insert("code".into(), code.into());
    err.insert("message".into(), message.into());
    err.insert("timestamp".into(), now_iso.into());
    if let Some(d) = details {
        let d = if d.is_object() { d } else { json!({"raw": d}) };
        err.insert("details".into(), d);
    }
    json!({"success": false, "error": err})
}

/// HTTP status for an error code when none is given.
pub fn status_for_code(code: &str) -> u16 {
    match code {
        "not_found" => 404,
        "unauthorized" => 401,
        "forbidden" => 403,
        "invalid_payload" | "validation_failed" => 422,
        "missing_parameters" | "invalid_parameters" | "subscription_failed" => 400,
        "service_unavailable" | "not_configured" | "needs_login" | "vault_error" => 503,
        "api_error" => 502,
        "timeout" | "service_timeout" => 504,
        "rate_limited" | "backpressure" => 429,
        "operation_failed" => 409,
        _ => 500,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let e = error(
            "validation_failed",
            "Request validation failed",
            Some(json!("x")),
            "t",
        );
        assert_eq!(e["error"]["details"], json!({"raw": "x"}));
        assert_eq!(e["success"], false);
        let o = ok(json!({"pong": true}), "t");
        assert_eq!(o["meta"]["server_version"], SERVER_VERSION);
        assert_eq!(status_for_code("rate_limited"), 429);
        assert_eq!(status_for_code("service_timeout"), 504);
        assert_eq!(status_for_code("operation_failed"), 409);
        assert_eq!(status_for_code("other"), 500);
    }
}
