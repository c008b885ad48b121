//! The state of the parts around the hub, as the health routes, `system:status` and
//! the dashboard's telemetry report them.

use serde_json::{json, Value};

/// Probe a service's health URL: `{connected, status?, error?}`.
pub async fn probe(http: &reqwest::Client, url: &str) -> Value {
    match http
        .get(url)
        .timeout(std::time::Duration::from_secs(3))
        .send()
        .await
    {
        Ok(r) if r.status().is_success() => {
            let body: Value = r.json().await.unwrap_or(Value::Null);
            json!({"connected": true, "status": body.get("status").cloned().unwrap_or("healthy".into())})
        }
        Ok(r) => {
            json!({"connected": false, "error": format!("Service answered HTTP {}", r.status().as_u16())})
        }
        Err(e) if e.is_timeout() => json!({"connected": false, "error": "Connection timed out"}),
        Err(_) => json!({"connected": false, "error": "Service unreachable"}),
    }
}
