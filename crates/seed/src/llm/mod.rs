//! The LLM client: OpenAI-compatible `POST {base}/chat/completions`, as LM Studio,
//! Ollama, llama.cpp's server and vLLM serve it, hardened against what they do.
//!
//! * Asks for JSON with `response_format: json_schema`; a server that refuses it is
//!   asked again with a plain prompt, and the mode that worked is remembered.
//! * Reads the answer however it comes (`parse`), checks it against the schema, and
//!   makes one repair request with the problems listed before giving up.
//! * Detects an answer cut at the token limit (`finish_reason: length`) and a prompt
//!   the server silently cut (it counted far fewer prompt tokens than were sent).
//! * Timeouts on every request (longer until the first answer, while a server loads
//!   its model); retries with backoff and jitter for 429, 503, other 5xx and
//!   transport errors (honouring `Retry-After`); none for 400 and 404, which need a
//!   person. A sliding-window rate limit and a circuit breaker (5 failed calls open it
//!   for 60 s) keep seed from hammering a server that is down.
//! * Every failure is a [`LlmError`] whose message says what to do; the last one is
//!   shown in `/status` and on the dashboard.

pub mod parse;

use crate::analysis::{self, Analysis};
use crate::prompt::Prompt;
use crate::settings::LlmSettings;
use landale_core::Backoff;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Calls in a row that open the circuit, and for how long.
pub const BREAKER_FAILURES: u32 = 5;
pub const BREAKER_OPEN: Duration = Duration::from_secs(60);
/// Attempts per call for a retryable failure.
pub const ATTEMPTS: u32 = 3;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LlmError {
    #[error("cannot reach the LLM server at {url}: {detail}")]
    Unreachable { url: String, detail: String },
    #[error("no answer within {0:?} (raise SEED_LMS__TIMEOUT if the model is slow)")]
    Timeout(Duration),
    #[error("the LLM server has no model loaded: load {model} in it (LM Studio: `lms load {model}`) ({message})")]
    NoModelLoaded { model: String, message: String },
    #[error("the LLM server does not have model {model:?}: set SEED_LMS__MODEL to one it serves, or pull it ({message})")]
    ModelNotFound { model: String, message: String },
    #[error("the LLM server is rate limiting seed (429): {0}")]
    RateLimited(String),
    #[error("the LLM server's queue is full or it is still loading (503): {0}")]
    Busy(String),
    #[error("the LLM server failed ({status}): {message}")]
    Server { status: u16, message: String },
    #[error("the LLM server refused the request ({status}): {message}")]
    Refused { status: u16, message: String },
    #[error("the answer was cut at the token limit (finish_reason: length)")]
    Truncated,
    #[error("the server kept only {reported} of about {sent} prompt tokens: raise its context length or lower SEED_LMS__CONTEXT_TOKENS")]
    PromptCut { reported: u64, sent: u64 },
    #[error("the answer did not match the schema after one repair: {0}")]
    Invalid(String),
    #[error("seed's own limit of {0} requests a window is used up")]
    OverLimit(usize),
    #[error("paused after {BREAKER_FAILURES} failed calls in a row; trying again in {0} s")]
    CircuitOpen(u64),
}

impl LlmError {
    /// Worth another attempt within the same call.
    fn retryable(&self) -> bool {
        matches!(
            self,
            LlmError::Unreachable { .. }
                | LlmError::Timeout(_)
                | LlmError::RateLimited(_)
                | LlmError::Busy(_)
                | LlmError::Server { .. }
        )
    }

    pub fn code(&self) -> &'static str {
        match self {
            LlmError::Unreachable { .. } => "unreachable",
            LlmError::Timeout(_) => "timeout",
            LlmError::NoModelLoaded { .. } => "no_model_loaded",
            LlmError::ModelNotFound { .. } => "model_not_found",
            LlmError::RateLimited(_) => "rate_limited",
            LlmError::Busy(_) => "busy",
            LlmError::Server { .. } => "server_error",
            LlmError::Refused { .. } => "refused",
            LlmError::Truncated => "truncated",
            LlmError::PromptCut { .. } => "prompt_cut",
            LlmError::Invalid(_) => "invalid_answer",
            LlmError::OverLimit(_) => "over_limit",
            LlmError::CircuitOpen(_) => "circuit_open",
        }
    }
}

const MODE_UNKNOWN: u8 = 0;
const MODE_SCHEMA: u8 = 1;
const MODE_PLAIN: u8 = 2;

#[derive(Default)]
struct Health {
    failures: u32,
    open_until: Option<Instant>,
    last_error: Option<(String, &'static str, chrono::DateTime<chrono::Utc>)>,
    last_ok: Option<chrono::DateTime<chrono::Utc>>,
    last_latency_ms: Option<u64>,
}

pub struct Llm {
    s: LlmSettings,
    http: reqwest::Client,
    mode: AtomicU8,
    answered: AtomicBool,
    calls: Mutex<VecDeque<Instant>>,
    health: Mutex<Health>,
    pub requests: AtomicU64,
    pub repairs: AtomicU64,
}

enum Attempt {
    Reply(parse::Reply),
    SchemaRefused(String),
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Llm {
    pub fn new(s: LlmSettings) -> Llm {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .build()
            .expect("an HTTP client");
        Llm {
            s,
            http,
            mode: AtomicU8::new(MODE_UNKNOWN),
            answered: AtomicBool::new(false),
            calls: Mutex::new(VecDeque::new()),
            health: Mutex::default(),
            requests: AtomicU64::new(0),
            repairs: AtomicU64::new(0),
        }
    }

    pub fn model(&self) -> &str {
        &self.s.model
    }

    /// Up: the last call worked (or none was made yet) and the circuit is closed.
    pub fn healthy(&self) -> bool {
        let h = lock(&self.health);
        h.failures == 0 && h.open_until.is_none_or(|t| Instant::now() >= t)
    }

    /// The client's state for `/status`.
    pub fn status(&self) -> Value {
        let h = lock(&self.health);
        let open = h
            .open_until
            .filter(|t| Instant::now() < *t)
            .map(|t| t.saturating_duration_since(Instant::now()).as_secs());
        json!({
            "kind": "openai_compatible",
            "url": self.s.api_url,
            "model": self.s.model,
            "available": h.failures == 0,
            "json_mode": match self.mode.load(Ordering::Relaxed) { MODE_SCHEMA => "json_schema", MODE_PLAIN => "plain_prompt", _ => "untested" },
            "consecutive_failures": h.failures,
            "circuit": if open.is_some() { "open" } else { "closed" },
            "circuit_retry_in_seconds": open,
            "last_error": h.last_error.as_ref().map(|e| json!({"message": e.0, "code": e.1, "at": landale_core::ids::iso(e.2)})),
            "last_success": h.last_ok.map(landale_core::ids::iso),
            "last_latency_ms": h.last_latency_ms,
            "requests": self.requests.load(Ordering::Relaxed),
            "repairs": self.repairs.load(Ordering::Relaxed),
            "context_tokens": self.s.context_tokens,
        })
    }

    /// The last error in words, while the client is failing.
    pub fn problem(&self) -> Option<String> {
        let h = lock(&self.health);
        (h.failures > 0)
            .then(|| h.last_error.as_ref().map(|e| e.0.clone()))
            .flatten()
    }

    /// Analyse one prompt: a checked [`Analysis`] or the reason there is none.
    pub async fn analyze(&self, prompt: &Prompt) -> Result<Analysis, LlmError> {
        self.guarded(self.analyze_inner(prompt)).await
    }

    /// A plain-text answer to a question (no schema).
    pub async fn answer(&self, system: &str, user: &str) -> Result<String, LlmError> {
        self.guarded(async {
            self.take_slot()?;
            let messages = [
                json!({"role": "system", "content": system}),
                json!({"role": "user", "content": user}),
            ];
            let r = self.complete(&messages, false).await?;
            if r.finish_reason.as_deref() == Some("length") {
                return Err(LlmError::Truncated);
            }
            parse::strip_thinking(&r.content)
                .filter(|t| !t.is_empty())
                .ok_or_else(|| LlmError::Invalid("the answer was empty".into()))
        })
        .await
    }

    /// The circuit breaker and the health record around one call.
    async fn guarded<T>(
        &self,
        call: impl std::future::Future<Output = Result<T, LlmError>>,
    ) -> Result<T, LlmError> {
        {
            let h = lock(&self.health);
            if let Some(t) = h.open_until {
                let now = Instant::now();
                if now < t {
                    return Err(LlmError::CircuitOpen(
                        t.duration_since(now).as_secs().max(1),
                    ));
                }
            }
        }
        let started = Instant::now();
        let result = call.await;
        let mut h = lock(&self.health);
        match &result {
            Ok(_) => {
                h.failures = 0;
                h.open_until = None;
                h.last_ok = Some(chrono::Utc::now());
                h.last_latency_ms = Some(started.elapsed().as_millis() as u64);
            }
            Err(LlmError::OverLimit(_)) => {}
            Err(e) => {
                h.failures += 1;
                h.last_error = Some((e.to_string(), e.code(), chrono::Utc::now()));
                if h.failures >= BREAKER_FAILURES {
                    h.open_until = Some(Instant::now() + BREAKER_OPEN);
                    tracing::warn!(error = %e, "LLM circuit open for {BREAKER_OPEN:?}");
                }
            }
        }
        result
    }

    async fn analyze_inner(&self, prompt: &Prompt) -> Result<Analysis, LlmError> {
        self.take_slot()?;
        let mut messages = vec![
            json!({"role": "system", "content": prompt.system}),
            json!({"role": "user", "content": prompt.user}),
        ];
        let reply = self.complete(&messages, true).await?;
        self.check_reply(&reply, prompt)?;
        let problems = match parse::answer_json(&reply)
            .map_err(|e| vec![e])
            .and_then(|v| analysis::check(&v, &self.s.model))
        {
            Ok(a) => return Ok(a),
            Err(p) => p,
        };
        tracing::info!(problems = ?problems, "the LLM's answer needs a repair");
        self.repairs.fetch_add(1, Ordering::Relaxed);
        messages.push(json!({"role": "assistant", "content": reply.content}));
        messages.push(json!({"role": "user", "content": format!(
            "That answer had problems: {}. Answer again with one corrected JSON object and nothing else.", problems.join("; "))}));
        let again = self.complete(&messages, true).await?;
        self.check_reply(&again, prompt)?;
        parse::answer_json(&again)
            .map_err(|e| vec![e])
            .and_then(|v| analysis::check(&v, &self.s.model))
            .map_err(|p| LlmError::Invalid(p.join("; ")))
    }

    fn check_reply(&self, r: &parse::Reply, prompt: &Prompt) -> Result<(), LlmError> {
        if r.finish_reason.as_deref() == Some("length") {
            return Err(LlmError::Truncated);
        }
        let sent = prompt.typical_tokens() as u64;
        if let Some(reported) = r.prompt_tokens {
            if reported > 0 && reported * 2 < sent {
                return Err(LlmError::PromptCut { reported, sent });
            }
        }
        Ok(())
    }

    fn take_slot(&self) -> Result<(), LlmError> {
        let mut calls = lock(&self.calls);
        let now = Instant::now();
        while calls
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.s.rate_window)
        {
            calls.pop_front();
        }
        if calls.len() >= self.s.rate_limit {
            return Err(LlmError::OverLimit(self.s.rate_limit));
        }
        calls.push_back(now);
        Ok(())
    }

    /// One completion (for JSON: in the mode that works), with retries.
    async fn complete(
        &self,
        messages: &[Value],
        json_answer: bool,
    ) -> Result<parse::Reply, LlmError> {
        loop {
            let schema = json_answer && self.mode.load(Ordering::Relaxed) != MODE_PLAIN;
            match self.with_retries(messages, schema, json_answer).await? {
                Attempt::Reply(r) => {
                    if schema && json_answer {
                        self.mode.store(MODE_SCHEMA, Ordering::Relaxed);
                    }
                    self.answered.store(true, Ordering::Relaxed);
                    return Ok(r);
                }
                Attempt::SchemaRefused(why) => {
                    tracing::info!(reason = %why, "the LLM server refuses json_schema; asking with a plain prompt from now on");
                    self.mode.store(MODE_PLAIN, Ordering::Relaxed);
                }
            }
        }
    }

    async fn with_retries(
        &self,
        messages: &[Value],
        schema: bool,
        json_answer: bool,
    ) -> Result<Attempt, LlmError> {
        let mut backoff = Backoff::new(Duration::from_millis(500), Duration::from_secs(8));
        let mut attempt = 1;
        loop {
            match self.request(messages, schema, json_answer).await {
                Err((e, retry_after)) if e.retryable() && attempt < ATTEMPTS => {
                    let wait = retry_after
                        .unwrap_or_else(|| backoff.next_wait())
                        .min(Duration::from_secs(30));
                    tracing::warn!(error = %e, attempt, "LLM request failed; retrying in {wait:?}");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                Err((e, _)) => return Err(e),
                Ok(a) => return Ok(a),
            }
        }
    }

    async fn request(
        &self,
        messages: &[Value],
        schema: bool,
        json_answer: bool,
    ) -> Result<Attempt, (LlmError, Option<Duration>)> {
        let mut body = json!({
            "model": self.s.model,
            "messages": messages,
            "temperature": 0.3,
            "max_tokens": crate::prompt::ANSWER_TOKENS,
            "stream": false,
        });
        if schema {
            body["response_format"] = json!({"type": "json_schema", "json_schema": {"name": "stream_analysis", "strict": true, "schema": analysis::schema()}});
        } else if let Some(Value::String(user)) = messages
            .get(1)
            .and_then(|m| m.get("content"))
            .filter(|_| json_answer)
            .cloned()
        {
            // Without constrained output, the schema goes in the words.
            body["messages"][1]["content"] =
                format!("{user}\nThe JSON schema:\n{}", analysis::schema()).into();
        }
        let timeout = if self.answered.load(Ordering::Relaxed) {
            self.s.timeout
        } else {
            self.s.load_timeout
        };
        let mut req = self
            .http
            .post(format!("{}/chat/completions", self.s.api_url))
            .timeout(timeout)
            .json(&body);
        if let Some(key) = &self.s.api_key {
            req = req.bearer_auth(key);
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        let resp = req
            .send()
            .await
            .map_err(|e| (self.transport(e, timeout), None))?;
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let text = resp
            .text()
            .await
            .map_err(|e| (self.transport(e, timeout), None))?;
        if (200..300).contains(&status) {
            let v: Value = serde_json::from_str(&text).map_err(|e| {
                (
                    LlmError::Server {
                        status,
                        message: format!("the body is not JSON: {e}"),
                    },
                    None,
                )
            })?;
            return parse::reply(&v)
                .map(Attempt::Reply)
                .map_err(|m| (LlmError::Server { status, message: m }, None));
        }
        let message = parse::error_message(&text);
        let lower = message.to_lowercase();
        let model = self.s.model.clone();
        Err((
            match status {
                400 | 422 | 501
                    if schema
                        && (lower.contains("response_format")
                            || lower.contains("json_schema")
                            || lower.contains("grammar")) =>
                {
                    return Ok(Attempt::SchemaRefused(message));
                }
                400 | 404
                    if lower.contains("no model")
                        || lower.contains("no models loaded")
                        || lower.contains("not loaded") =>
                {
                    LlmError::NoModelLoaded { model, message }
                }
                404 => LlmError::ModelNotFound { model, message },
                400 if lower.contains("model") && lower.contains("not found") => {
                    LlmError::ModelNotFound { model, message }
                }
                429 => LlmError::RateLimited(message),
                503 => LlmError::Busy(message),
                500..=599 => LlmError::Server { status, message },
                _ => LlmError::Refused { status, message },
            },
            retry_after,
        ))
    }

    fn transport(&self, e: reqwest::Error, timeout: Duration) -> LlmError {
        if e.is_timeout() {
            LlmError::Timeout(timeout)
        } else {
            let mut detail = e.to_string();
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                detail = s.to_string();
                src = s.source();
            }
            LlmError::Unreachable {
                url: self.s.api_url.clone(),
                detail,
            }
        }
    }
}
