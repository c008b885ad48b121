//! seed's link to the hub: the socket (through `crates/client`, which reconnects
//! with backoff and jitter and replays what was missed) for transcriptions and
//! events, and REST with the token for what seed writes and reads.

use serde_json::Value;
use std::time::Duration;

/// Every REST request's limit.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone)]
pub struct Rest {
    base: String,
    token: Option<String>,
    http: reqwest::Client,
}

#[derive(Debug, thiserror::Error)]
pub enum RestError {
    #[error("the hub did not answer: {0}")]
    Unreachable(String),
    #[error("the hub answered {status}: {body}")]
    Status { status: u16, body: String },
}

impl RestError {
    /// The hub may take it next time (down, restarting, overloaded).
    pub fn retryable(&self) -> bool {
        match self {
            RestError::Unreachable(_) => true,
            RestError::Status { status, .. } => *status >= 500 || *status == 429 || *status == 408,
        }
    }
}

impl Rest {
    pub fn new(base: &str, token: Option<String>) -> Rest {
        Rest {
            base: base.trim_end_matches('/').to_string(),
            token,
            http: reqwest::Client::builder()
                .timeout(REQUEST_TIMEOUT)
                .build()
                .expect("an HTTP client"),
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    async fn read(resp: reqwest::Response) -> Result<Value, RestError> {
        let status = resp.status().as_u16();
        let text = resp
            .text()
            .await
            .map_err(|e| RestError::Unreachable(e.to_string()))?;
        if !(200..300).contains(&status) {
            return Err(RestError::Status {
                status,
                body: text.chars().take(300).collect(),
            });
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn post(
        &self,
        path: &str,
        body: &Value,
        correlation_id: &str,
    ) -> Result<Value, RestError> {
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .json(body)
            .header("x-correlation-id", correlation_id);
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        Self::read(
            req.send()
                .await
                .map_err(|e| RestError::Unreachable(e.to_string()))?,
        )
        .await
    }

    pub async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Value, RestError> {
        let req = self.http.get(format!("{}{path}", self.base)).query(query);
        Self::read(
            req.send()
                .await
                .map_err(|e| RestError::Unreachable(e.to_string()))?,
        )
        .await
    }
}
