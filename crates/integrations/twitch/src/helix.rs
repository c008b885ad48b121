//! Helix (`TWITCH_API_URL`): channel info get and patch (`broadcaster_id` in the
//! query, as Helix wants it), category search, goals, cheermotes.
//!
//! Every call: a 10 s timeout; `Ratelimit-Remaining`/`Ratelimit-Reset` respected (a
//! call waits for the reset when it is at most [`MAX_RATE_WAIT`] away, otherwise it
//! fails with the time left); 429 and 5xx retried with backoff and jitter, at most
//! [`ATTEMPTS`] tries; a 401 refreshes the token once and retries; a circuit breaker
//! fails fast after [`BREAKER_THRESHOLD`] failures in a row for [`BREAKER_COOL`].

use super::oauth::OauthError;
use super::tokens::{TokenError, Tokens};
use landale_core::Backoff;
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const TIMEOUT: Duration = Duration::from_secs(10);
pub const ATTEMPTS: u32 = 3;
pub const MAX_RATE_WAIT: Duration = Duration::from_secs(10);
pub const BREAKER_THRESHOLD: u32 = 5;
pub const BREAKER_COOL: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum HelixError {
    #[error(transparent)]
    Tokens(TokenError),
    #[error("Twitch rate limit reached; it resets in {0} s")]
    RateLimited(u64),
    #[error("Twitch API calls are paused after repeated failures; next try in {0} s")]
    CircuitOpen(u64),
    #[error("Twitch answered {status}: {message}")]
    Api { status: u16, message: String },
    #[error("cannot reach Twitch: {0}")]
    Network(String),
    #[error("the Twitch token has no user id yet (validation pending)")]
    NoUser,
}

impl HelixError {
    /// Worth trying again later: rate limits, an open breaker, 5xx, the network, a
    /// token refresh that failed for now. A refused request (4xx) or a missing login
    /// is not.
    pub fn is_transient(&self) -> bool {
        match self {
            HelixError::RateLimited(_)
            | HelixError::CircuitOpen(_)
            | HelixError::Network(_)
            | HelixError::NoUser => true,
            HelixError::Api { status, .. } => *status == 429 || *status >= 500,
            // Twitch OAuth unreachable or failing: later. A refused secret or a missing
            // setting: not until someone changes it.
            HelixError::Tokens(TokenError::Oauth(
                OauthError::Network(_)
                | OauthError::Twitch {
                    status: 429 | 500..,
                    ..
                },
            )) => true,
            HelixError::Tokens(TokenError::Store(_)) => true,
            HelixError::Tokens(_) => false,
        }
    }

    /// The next calls would meet the same answer (a rate limit, the open breaker,
    /// token trouble), so a batch of calls should stop here and try again later.
    pub fn ends_round(&self) -> bool {
        matches!(
            self,
            HelixError::RateLimited(_) | HelixError::CircuitOpen(_) | HelixError::Tokens(_)
        )
    }

    /// How long a caller should wait at least before trying again.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            HelixError::RateLimited(s) | HelixError::CircuitOpen(s) => {
                Some(Duration::from_secs(*s))
            }
            _ => None,
        }
    }

    /// The envelope code for channel replies and REST.
    pub fn code(&self) -> &'static str {
        match self {
            HelixError::Tokens(TokenError::NotConfigured(_)) => "not_configured",
            HelixError::Tokens(TokenError::NeedsLogin(_)) | HelixError::NoUser => "needs_login",
            HelixError::Tokens(_) => "service_unavailable",
            HelixError::RateLimited(_) => "rate_limited",
            HelixError::CircuitOpen(_) => "service_unavailable",
            HelixError::Api {
                status: 400 | 422, ..
            } => "validation_failed",
            HelixError::Api { status: 404, .. } => "not_found",
            HelixError::Api { .. } | HelixError::Network(_) => "api_error",
        }
    }
}

#[derive(Default)]
struct Limits {
    remaining: Option<u64>,
    reset_at: Option<Instant>,
    failures: u32,
    open_until: Option<Instant>,
}

pub struct Helix {
    http: reqwest::Client,
    base: String,
    client_id: Option<String>,
    tokens: Arc<Tokens>,
    limits: Mutex<Limits>,
}

/// Seconds until a `Ratelimit-Reset` (unix seconds) header.
fn reset_in(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let at: i64 = headers
        .get("ratelimit-reset")?
        .to_str()
        .ok()?
        .parse()
        .ok()?;
    // Whole seconds, so a reset "now" may still be up to a second away: add one.
    let now = chrono::Utc::now().timestamp();
    Some(Duration::from_secs((at - now).max(0) as u64 + 1))
}

/// 250 ms doubling (to 16 s), ±20 %.
fn backoff(attempt: u32) -> Duration {
    Backoff::new(Duration::from_millis(250), Duration::from_secs(16)).wait(attempt)
}

impl Helix {
    pub fn new(settings: &super::TwitchSettings, tokens: Arc<Tokens>) -> Arc<Helix> {
        Arc::new(Helix {
            http: reqwest::Client::builder()
                .timeout(TIMEOUT)
                .user_agent("Landale/0.1")
                .build()
                .unwrap_or_default(),
            base: settings.api_url.trim_end_matches('/').to_string(),
            client_id: settings.client_id.clone(),
            tokens,
            limits: Mutex::new(Limits::default()),
        })
    }

    fn limits(&self) -> std::sync::MutexGuard<'_, Limits> {
        self.limits.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Fail fast while the breaker is open, or wait out a near rate-limit reset.
    async fn admit(&self) -> Result<(), HelixError> {
        let wait = {
            let l = self.limits();
            let now = Instant::now();
            if let Some(until) = l.open_until.filter(|u| *u > now) {
                return Err(HelixError::CircuitOpen((until - now).as_secs().max(1)));
            }
            match (l.remaining, l.reset_at) {
                (Some(0), Some(at)) if at > now => Some(at - now),
                _ => None,
            }
        };
        if let Some(w) = wait {
            if w > MAX_RATE_WAIT {
                return Err(HelixError::RateLimited(w.as_secs().max(1)));
            }
            tokio::time::sleep(w).await;
        }
        Ok(())
    }

    fn note_headers(&self, headers: &reqwest::header::HeaderMap) {
        let remaining = headers
            .get("ratelimit-remaining")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let mut l = self.limits();
        if remaining.is_some() {
            l.remaining = remaining;
            l.reset_at = reset_in(headers).map(|d| Instant::now() + d);
        }
    }

    fn note_outcome(&self, ok: bool) {
        let mut l = self.limits();
        if ok {
            l.failures = 0;
            l.open_until = None;
        } else {
            l.failures += 1;
            if l.failures >= BREAKER_THRESHOLD {
                l.open_until = Some(Instant::now() + BREAKER_COOL);
                tracing::warn!(
                    failures = l.failures,
                    "Twitch API circuit open for {} s",
                    BREAKER_COOL.as_secs()
                );
            }
        }
    }

    /// One Helix call with the rules above. Returns (status, body).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<(u16, Value), HelixError> {
        self.admit().await?;
        let client_id = self.client_id.clone().unwrap_or_default();
        let mut token = self.tokens.access().await.map_err(HelixError::Tokens)?;
        let mut refreshed = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut req = self
                .http
                .request(method.clone(), format!("{}{path}", self.base))
                .query(query)
                .bearer_auth(&token.access_token)
                .header("client-id", &client_id);
            if let Some(b) = body {
                req = req.json(b);
            }
            let (retry_after, err) = match req.send().await {
                Ok(r) => {
                    let status = r.status().as_u16();
                    self.note_headers(r.headers());
                    let reset = reset_in(r.headers());
                    let body = r.json::<Value>().await.unwrap_or(Value::Null);
                    let message = || body["message"].as_str().unwrap_or("no message").to_string();
                    match status {
                        200..=299 => {
                            self.note_outcome(true);
                            return Ok((status, body));
                        }
                        // A missing scope is also a 401: no refresh fixes that.
                        401 if !refreshed && !message().to_lowercase().contains("scope") => {
                            refreshed = true;
                            attempt -= 1;
                            token = self
                                .tokens
                                .after_unauthorized(&token.access_token)
                                .await
                                .map_err(HelixError::Tokens)?;
                            continue;
                        }
                        429 => {
                            let wait = reset.unwrap_or(Duration::from_secs(1));
                            if wait > MAX_RATE_WAIT {
                                return Err(HelixError::RateLimited(wait.as_secs()));
                            }
                            (
                                Some(wait),
                                HelixError::Api {
                                    status,
                                    message: message(),
                                },
                            )
                        }
                        500..=599 => (
                            None,
                            HelixError::Api {
                                status,
                                message: message(),
                            },
                        ),
                        _ => {
                            // The request itself is wrong: Twitch's words, no retry.
                            return Err(HelixError::Api {
                                status,
                                message: message(),
                            });
                        }
                    }
                }
                Err(e) => (None, HelixError::Network(e.without_url().to_string())),
            };
            if attempt >= ATTEMPTS {
                self.note_outcome(false);
                return Err(err);
            }
            let wait = retry_after.unwrap_or_else(|| backoff(attempt));
            tracing::debug!(attempt, wait_ms = wait.as_millis() as u64, error = %err, "retrying Helix call");
            tokio::time::sleep(wait).await;
        }
    }

    fn broadcaster(&self) -> Result<String, HelixError> {
        match self.tokens.state() {
            super::tokens::TokenState::Valid {
                user_id: Some(u), ..
            } => Ok(u),
            super::tokens::TokenState::Degraded { .. }
            | super::tokens::TokenState::Valid { .. } => Err(HelixError::NoUser),
            _ => Err(HelixError::Tokens(TokenError::NeedsLogin(
                "no Twitch login: run `landale twitch login`".into(),
            ))),
        }
    }

    /// `GET /channels?broadcaster_id=`: the channel object.
    pub async fn channel_info(&self) -> Result<Value, HelixError> {
        let id = self.broadcaster()?;
        let (_, body) = self
            .call(
                reqwest::Method::GET,
                "/channels",
                &[("broadcaster_id", &id)],
                None,
            )
            .await?;
        Ok(body["data"][0].clone())
    }

    /// `PATCH /channels?broadcaster_id=` with the changed fields.
    pub async fn update_channel(&self, changes: &Value) -> Result<(), HelixError> {
        let id = self.broadcaster()?;
        self.call(
            reqwest::Method::PATCH,
            "/channels",
            &[("broadcaster_id", &id)],
            Some(changes),
        )
        .await
        .map(|_| ())
    }

    pub async fn search_categories(&self, query: &str) -> Result<Value, HelixError> {
        let (_, body) = self
            .call(
                reqwest::Method::GET,
                "/search/categories",
                &[("query", query), ("first", "20")],
                None,
            )
            .await?;
        Ok(body["data"].clone())
    }

    pub async fn goals(&self) -> Result<Value, HelixError> {
        let id = self.broadcaster()?;
        let (_, body) = self
            .call(
                reqwest::Method::GET,
                "/goals",
                &[("broadcaster_id", &id)],
                None,
            )
            .await?;
        Ok(body["data"].clone())
    }

    /// `GET /bits/cheermotes`: the global prefixes, plus the channel's own when there
    /// is a login with a user id.
    pub async fn cheermotes(&self) -> Result<Value, HelixError> {
        let id = self.broadcaster().ok();
        let query: Vec<(&str, &str)> = id
            .as_deref()
            .map(|i| vec![("broadcaster_id", i)])
            .unwrap_or_default();
        let (_, body) = self
            .call(reqwest::Method::GET, "/bits/cheermotes", &query, None)
            .await?;
        Ok(body["data"].clone())
    }
}
