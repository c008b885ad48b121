//! A faithful local OpenAI-compatible server (`POST /v1/chat/completions`,
//! `GET /v1/models`) for seed's tests and `cargo xtask run`'s demo.
//!
//! By default it answers a valid analysis in `choices[0].message.content` with
//! `usage` counted from the prompt (one token per 4 bytes). Each request can be
//! scripted ([`FakeLlm::push`], or `POST /_fake/script` with a JSON list) to answer
//! the ways real servers do: reasoning in `<think>` tags or a `reasoning_content`
//! field, JSON in code fences or prose, camelCase keys, invalid JSON, an answer cut at
//! `max_tokens`, a prompt silently cut to the context (tiny `prompt_tokens`), LM
//! Studio's "No models loaded" 400, Ollama's model-not-found 404, 429 with
//! `Retry-After`, llama.cpp's 503 while loading, slow and hanging answers. With
//! `reject_schema` it refuses `response_format: json_schema` as older servers do.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Behavior {
    Good,
    Think,
    ReasoningField,
    Fenced,
    Prose,
    Camel,
    Invalid,
    Length,
    CutPrompt,
    NoModel,
    NotFound,
    RateLimited,
    Busy,
    ServerError,
    Slow {
        ms: u64,
    },
    Hang,
    /// A plain text answer (for questions).
    Text {
        text: String,
    },
}

#[derive(Default)]
struct Inner {
    script: VecDeque<Behavior>,
    requests: Vec<Value>,
    reject_schema: bool,
}

#[derive(Clone, Default)]
pub struct FakeLlm(Arc<Mutex<Inner>>);

fn lock(m: &Mutex<Inner>) -> std::sync::MutexGuard<'_, Inner> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl FakeLlm {
    /// Serve on `addr` (port 0 for any); returns the bound address.
    pub async fn start(
        addr: std::net::SocketAddr,
    ) -> std::io::Result<(FakeLlm, std::net::SocketAddr)> {
        let fake = FakeLlm::default();
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let bound = listener.local_addr()?;
        let app = Router::new()
            .route("/v1/chat/completions", post(complete))
            .route("/v1/models", get(models))
            .route("/_fake/script", post(script))
            .with_state(fake.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok((fake, bound))
    }

    /// Script the next request's answer (first pushed, first used).
    pub fn push(&self, b: Behavior) {
        lock(&self.0).script.push_back(b);
    }

    /// Refuse `response_format: json_schema` from now on (400).
    pub fn reject_schema(&self, on: bool) {
        lock(&self.0).reject_schema = on;
    }

    /// Every request body received, in order.
    pub fn requests(&self) -> Vec<Value> {
        lock(&self.0).requests.clone()
    }
}

async fn models() -> Json<Value> {
    Json(
        json!({"object": "list", "data": [{"id": "fake-model", "object": "model", "owned_by": "landale"}]}),
    )
}

async fn script(State(f): State<FakeLlm>, Json(list): Json<Vec<Behavior>>) -> StatusCode {
    for b in list {
        f.push(b);
    }
    StatusCode::NO_CONTENT
}

/// A valid analysis, as the schema asks.
pub fn good_answer(prompt_bytes: usize) -> Value {
    json!({
        "context": format!("The fake model read a {prompt_bytes}-byte prompt: a boss fight with chat cheering."),
        "sentiment": "positive",
        "topics": ["boss fight", "chat"],
        "mood": "excited",
        "patterns": {"energy_level": 0.8, "engagement_depth": 0.6, "community_sync": 0.7,
                     "content_focus": ["gameplay"], "mood_indicators": {"excited": 0.9}, "temporal_flow": "building"},
        "dynamics": {"energy_trajectory": "ramping_up", "engagement_trend": "deepening", "community_trend": "synchronizing",
                     "content_evolution": "focused", "overall_momentum": "building"},
        "sentiment_trajectory": "improving",
        "suggested_actions": ["keep going"]
    })
}

fn camel(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let mut out = String::new();
                    let mut up = false;
                    for c in k.chars() {
                        if c == '_' {
                            up = true;
                        } else if up {
                            out.push(c.to_ascii_uppercase());
                            up = false;
                        } else {
                            out.push(c);
                        }
                    }
                    (out, camel(v))
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

fn completion(
    content: &str,
    finish: &str,
    prompt_tokens: usize,
    extra: Option<(&str, &str)>,
) -> Response {
    let mut message = json!({"role": "assistant", "content": content});
    if let Some((k, v)) = extra {
        message[k] = v.into();
    }
    Json(json!({
        "id": "chatcmpl-fake", "object": "chat.completion", "created": 0, "model": "fake-model",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": content.len() / 4, "total_tokens": prompt_tokens + content.len() / 4}
    }))
    .into_response()
}

fn error(status: u16, body: Value) -> Response {
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        Json(body),
    )
        .into_response()
}

async fn complete(State(f): State<FakeLlm>, Json(body): Json<Value>) -> Response {
    let (behavior, reject) = {
        let mut g = lock(&f.0);
        g.requests.push(body.clone());
        (
            g.script.pop_front().unwrap_or(Behavior::Good),
            g.reject_schema,
        )
    };
    let model = body["model"].as_str().unwrap_or("").to_string();
    if reject && body.get("response_format").is_some() {
        return error(
            400,
            json!({"error": {"message": "Unsupported response_format type: json_schema", "type": "invalid_request_error", "param": "response_format", "code": null}}),
        );
    }
    let bytes: usize = body["messages"]
        .as_array()
        .map(|m| {
            m.iter()
                .map(|x| x["content"].as_str().map_or(0, str::len))
                .sum()
        })
        .unwrap_or(0);
    let tokens = bytes / 4 + 4;
    let good = good_answer(bytes).to_string();
    match behavior {
        Behavior::Good => completion(&good, "stop", tokens, None),
        Behavior::Think => completion(&format!("<think>\nThe streamer is fighting a boss. Chat says {{\"hype\"}}.\n</think>\n\n{good}"), "stop", tokens, None),
        Behavior::ReasoningField => completion(&good, "stop", tokens, Some(("reasoning_content", "The streamer is fighting a boss; chat is cheering."))),
        Behavior::Fenced => completion(&format!("```json\n{}\n```", serde_json::to_string_pretty(&good_answer(bytes)).unwrap_or_default()), "stop", tokens, None),
        Behavior::Prose => completion(&format!("Sure! Here is the analysis you asked for:\n{good}\nLet me know if you need more."), "stop", tokens, None),
        Behavior::Camel => completion(&camel(&good_answer(bytes)).to_string(), "stop", tokens, None),
        Behavior::Invalid => completion("{\"context\": \"The streamer is\", \"sentiment\": \"happy\", \"topics\": [", "stop", tokens, None),
        Behavior::Length => completion(&good[..good.len() / 2], "length", tokens, None),
        Behavior::CutPrompt => completion(&good, "stop", 50, None),
        Behavior::NoModel => error(400, json!({"error": "No models loaded. Please load a model in the developer page or use the `lms load` command."})),
        Behavior::NotFound => error(404, json!({"error": {"message": format!("model \"{model}\" not found, try pulling it first"), "type": "api_error", "param": null, "code": null}})),
        Behavior::RateLimited => (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "1")], Json(json!({"error": {"message": "Rate limit reached", "type": "rate_limit_error"}}))).into_response(),
        Behavior::Busy => error(503, json!({"error": {"code": 503, "message": "Loading model", "type": "unavailable_error"}})),
        Behavior::ServerError => error(500, json!({"error": {"code": 500, "message": "llama_decode failed", "type": "server_error"}})),
        Behavior::Slow { ms } => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            completion(&good, "stop", tokens, None)
        }
        Behavior::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            completion(&good, "stop", tokens, None)
        }
        Behavior::Text { text } => completion(&text, "stop", tokens, None),
    }
}
