//! A part's state, typed: what every status read (`/api/health`, `system:status`, the
//! dashboard's telemetry, `overlay:*`) decides on. Each integration and each probed
//! service reports one; the hub's `status` module composes the reads from them, so
//! no read decides by poking at another's JSON.

use serde_json::{json, Value};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceStatus {
    /// Working: connected and able to do its job.
    pub connected: bool,
    /// The coarse state in the reference's words (`healthy`, `degraded`, `unhealthy`,
    /// `not_configured`, `needs_login`, or what a probed service said).
    pub status: String,
    /// Why it is not working, in words that say what to do.
    pub error: Option<String>,
}

impl ServiceStatus {
    pub fn up(status: impl Into<String>) -> ServiceStatus {
        ServiceStatus {
            connected: true,
            status: status.into(),
            error: None,
        }
    }

    pub fn down(status: impl Into<String>, error: impl Into<String>) -> ServiceStatus {
        ServiceStatus {
            connected: false,
            status: status.into(),
            error: Some(error.into()),
        }
    }

    /// The reference's service entry: `{connected: true, status}` when working,
    /// `{connected: false, error}` otherwise.
    pub fn entry(&self) -> Value {
        if self.connected {
            json!({"connected": true, "status": self.status})
        } else {
            json!({"connected": false, "error": self.error.as_deref().unwrap_or("not connected")})
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_in_the_reference_shape() {
        assert_eq!(
            ServiceStatus::up("healthy").entry(),
            json!({"connected": true, "status": "healthy"})
        );
        assert_eq!(
            ServiceStatus::down("unhealthy", "Service unreachable").entry(),
            json!({"connected": false, "error": "Service unreachable"})
        );
    }
}
