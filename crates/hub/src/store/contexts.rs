//! Contexts written by seed: validation and queries.
//! Departure: the table has the `id` column the reference's code expected. Fields
//! beyond the reference's (seed's `sources`, `summary`, `analysis`...) are kept in
//! `extra` and returned as they came; an `idempotency_key` makes a repeated POST
//! answer with the stored context instead of storing it twice.

use super::{like_pattern, micros, Result, Store};
use crate::with_pool;
use chrono::{DateTime, Utc};
use landale_core::FieldErrors;
use serde::Serialize;
use serde_json::{json, Value};
use sqlx::types::Json;
use std::collections::BTreeMap;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct NewContext {
    pub started: DateTime<Utc>,
    pub ended: DateTime<Utc>,
    pub session: String,
    pub transcript: String,
    pub duration: f64,
    pub chat: Option<Value>,
    pub interactions: Option<Value>,
    pub emotes: Option<Value>,
    pub patterns: Option<Value>,
    pub sentiment: Option<String>,
    pub topics: Vec<String>,
    /// Every other top-level field of the body.
    pub extra: serde_json::Map<String, Value>,
    pub idempotency_key: Option<String>,
}

/// The fields with columns of their own; the rest of a body goes to `extra`.
const KNOWN: [&str; 12] = [
    "started",
    "ended",
    "session",
    "transcript",
    "duration",
    "chat",
    "interactions",
    "emotes",
    "patterns",
    "sentiment",
    "topics",
    "idempotency_key",
];

/// At most this many extra fields.
pub const MAX_EXTRA_FIELDS: usize = 50;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Context {
    #[serde(skip)]
    pub id: Uuid,
    pub started: DateTime<Utc>,
    pub ended: DateTime<Utc>,
    pub session: String,
    pub transcript: String,
    pub duration: f64,
    #[serde(rename = "chat_summary")]
    pub chat: Option<Json<Value>>,
    #[serde(rename = "interactions_summary")]
    pub interactions: Option<Json<Value>>,
    #[serde(rename = "emotes_summary")]
    pub emotes: Option<Json<Value>>,
    #[serde(skip)]
    pub patterns: Option<Json<Value>>,
    pub sentiment: Option<String>,
    pub topics: Json<Vec<String>>,
    pub idempotency_key: Option<String>,
    #[serde(flatten)]
    pub extra: Option<Json<Value>>,
}

fn time(p: &Value, k: &str, errors: &mut FieldErrors) -> Option<DateTime<Utc>> {
    match p.get(k) {
        None | Some(Value::Null) => {
            errors
                .entry(k.into())
                .or_default()
                .push("is required".into());
            None
        }
        Some(Value::String(s)) => match DateTime::parse_from_rfc3339(s) {
            Ok(t) => Some(micros(t.with_timezone(&Utc))),
            Err(_) => {
                errors
                    .entry(k.into())
                    .or_default()
                    .push("must be a valid ISO 8601 datetime".into());
                None
            }
        },
        Some(_) => {
            errors
                .entry(k.into())
                .or_default()
                .push("must be a datetime string".into());
            None
        }
    }
}

fn text(p: &Value, k: &str, max: usize, errors: &mut FieldErrors) -> Option<String> {
    match p.get(k) {
        Some(Value::String(s)) if !s.is_empty() && s.chars().count() <= max => Some(s.clone()),
        Some(Value::String(s)) if !s.is_empty() => {
            errors
                .entry(k.into())
                .or_default()
                .push(format!("is too long (maximum is {max} characters)"));
            None
        }
        Some(Value::String(_)) | None | Some(Value::Null) => {
            errors
                .entry(k.into())
                .or_default()
                .push("is required".into());
            None
        }
        Some(_) => {
            errors
                .entry(k.into())
                .or_default()
                .push("must be a string".into());
            None
        }
    }
}

impl NewContext {
    pub fn parse(p: &Value) -> std::result::Result<NewContext, FieldErrors> {
        let mut errors = FieldErrors::new();
        let started = time(p, "started", &mut errors);
        let ended = time(p, "ended", &mut errors);
        let session = text(p, "session", 100, &mut errors);
        // A window in which the streamer said nothing still has chat and events.
        let transcript = match p.get("transcript") {
            Some(Value::String(s)) if s.is_empty() => Some(String::new()),
            _ => text(p, "transcript", 50_000, &mut errors),
        };
        let duration = match p.get("duration").and_then(Value::as_f64) {
            Some(d) if d > 0.0 => Some(d),
            Some(_) => {
                errors
                    .entry("duration".into())
                    .or_default()
                    .push("must be greater than 0".into());
                None
            }
            None => {
                errors
                    .entry("duration".into())
                    .or_default()
                    .push("is required".into());
                None
            }
        };
        let sentiment = match p.get("sentiment") {
            None | Some(Value::Null) => None,
            Some(Value::String(s))
                if ["positive", "negative", "neutral", "mixed"].contains(&s.as_str()) =>
            {
                Some(s.clone())
            }
            Some(_) => {
                errors
                    .entry("sentiment".into())
                    .or_default()
                    .push("must be one of: positive, negative, neutral, mixed".into());
                None
            }
        };
        let topics = match p.get("topics") {
            None | Some(Value::Null) => vec![],
            Some(Value::Array(items)) if items.iter().all(Value::is_string) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            Some(_) => {
                errors
                    .entry("topics".into())
                    .or_default()
                    .push("must be a list of strings".into());
                vec![]
            }
        };
        let map = |k: &str| p.get(k).filter(|v| !v.is_null()).cloned();
        let idempotency_key = match p.get("idempotency_key") {
            None | Some(Value::Null) => None,
            Some(Value::String(k))
                if (1..=200).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()) =>
            {
                Some(k.clone())
            }
            Some(_) => {
                errors
                    .entry("idempotency_key".into())
                    .or_default()
                    .push("must be 1 to 200 printable ASCII characters".into());
                None
            }
        };
        let extra: serde_json::Map<String, Value> = p
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(k, _)| !KNOWN.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if extra.len() > MAX_EXTRA_FIELDS {
            errors
                .entry("body".into())
                .or_default()
                .push(format!("has more than {MAX_EXTRA_FIELDS} extra fields"));
        }
        if let (Some(s), Some(e)) = (started, ended) {
            if e <= s {
                errors
                    .entry("ended".into())
                    .or_default()
                    .push("must be after started".into());
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(NewContext {
            started: started.unwrap_or_default(),
            ended: ended.unwrap_or_default(),
            session: session.unwrap_or_default(),
            transcript: transcript.unwrap_or_default(),
            duration: duration.unwrap_or_default(),
            chat: map("chat"),
            interactions: map("interactions"),
            emotes: map("emotes"),
            patterns: map("patterns"),
            sentiment,
            topics,
            extra,
            idempotency_key,
        })
    }
}

/// `(session, duration, sentiment, topics)` for the stats query.
type StatsRow = (String, f64, Option<String>, Json<Vec<String>>);

const COLS: &str = "id, started, ended, session, transcript, duration, chat, interactions, emotes, patterns, sentiment, topics, idempotency_key, extra";

/// What an insert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    New(Uuid),
    /// A context with the same idempotency key was already stored.
    Existing(Uuid),
}

impl Store {
    async fn context_by_key(&self, key: &str) -> Result<Option<Uuid>> {
        let row: Option<(Uuid,)> = with_pool!(self, p => sqlx::query_as(
            "SELECT id FROM contexts WHERE idempotency_key = $1 LIMIT 1",
        )
        .bind(key)
        .fetch_optional(p)
        .await?);
        Ok(row.map(|r| r.0))
    }

    /// Store a context once: with an idempotency key already stored, nothing changes.
    pub async fn insert_context(&self, c: &NewContext) -> Result<Inserted> {
        if let Some(key) = &c.idempotency_key {
            if let Some(id) = self.context_by_key(key).await? {
                return Ok(Inserted::Existing(id));
            }
        }
        let id = Uuid::new_v4();
        let now = micros(Utc::now());
        let extra = (!c.extra.is_empty()).then(|| Json(Value::Object(c.extra.clone())));
        let done = with_pool!(self, p => sqlx::query(
            "INSERT INTO contexts (id, started, ended, session, transcript, duration, chat, interactions, emotes, patterns, sentiment, topics, inserted_at, updated_at, extra, idempotency_key)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14, $15) ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(c.started)
        .bind(c.ended)
        .bind(&c.session)
        .bind(&c.transcript)
        .bind(c.duration)
        .bind(c.chat.clone().map(Json))
        .bind(c.interactions.clone().map(Json))
        .bind(c.emotes.clone().map(Json))
        .bind(c.patterns.clone().map(Json))
        .bind(&c.sentiment)
        .bind(Json(&c.topics))
        .bind(now)
        .bind(extra)
        .bind(&c.idempotency_key)
        .execute(p)
        .await?
        .rows_affected());
        if done == 0 {
            // Another request with the same key won the race.
            if let Some(key) = &c.idempotency_key {
                if let Some(id) = self.context_by_key(key).await? {
                    return Ok(Inserted::Existing(id));
                }
            }
        }
        Ok(Inserted::New(id))
    }

    /// Newest first; `(since, before)` bound `started` (inclusive, exclusive), so a
    /// reader pages back with `before` = the oldest `started` it has.
    pub async fn list_contexts(
        &self,
        limit: i64,
        session: Option<&str>,
        (since, before): (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
    ) -> Result<Vec<Context>> {
        let sql = format!(
            "SELECT {COLS} FROM contexts WHERE ($1 IS NULL OR session = $1)
               AND ($2 IS NULL OR started >= $2) AND ($3 IS NULL OR started < $3)
             ORDER BY started DESC LIMIT $4"
        );
        Ok(with_pool!(self, p => sqlx::query_as(&sql)
            .bind(session)
            .bind(since.map(micros))
            .bind(before.map(micros))
            .bind(limit)
            .fetch_all(p)
            .await?))
    }

    pub async fn search_contexts(
        &self,
        q: &str,
        limit: i64,
        session: Option<&str>,
    ) -> Result<Vec<Context>> {
        let sql = format!(
            "SELECT {COLS} FROM contexts WHERE LOWER(transcript) LIKE $1 ESCAPE '\\' AND ($2 IS NULL OR session = $2)
             ORDER BY started DESC LIMIT $3"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(&sql).bind(like_pattern(q)).bind(session).bind(limit).fetch_all(p).await?),
        )
    }

    /// `{overall, sentiment_distribution, popular_topics, time_window_hours}`.
    pub async fn context_stats(&self, hours: i64) -> Result<Value> {
        let since = Utc::now() - chrono::Duration::hours(hours);
        let rows: Vec<StatsRow> = with_pool!(self, p => sqlx::query_as(
            "SELECT session, duration, sentiment, topics FROM contexts WHERE started >= $1",
        )
        .bind(since)
        .fetch_all(p)
        .await?);
        let total = rows.len();
        let total_duration: f64 = rows.iter().map(|r| r.1).sum();
        let sessions: std::collections::BTreeSet<&str> =
            rows.iter().map(|r| r.0.as_str()).collect();
        let mut sentiments: BTreeMap<String, i64> = BTreeMap::new();
        let mut topics: BTreeMap<String, i64> = BTreeMap::new();
        for r in &rows {
            if let Some(s) = &r.2 {
                *sentiments.entry(s.clone()).or_default() += 1;
            }
            for t in &r.3 .0 {
                *topics.entry(t.clone()).or_default() += 1;
            }
        }
        let mut popular: Vec<(String, i64)> = topics.into_iter().collect();
        popular.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        popular.truncate(10);
        Ok(json!({
            "overall": {
                "total_count": total,
                "total_duration": total_duration,
                "unique_sessions": sessions.len(),
                "avg_duration": if total > 0 { total_duration / total as f64 } else { 0.0 },
            },
            "sentiment_distribution": sentiments,
            "popular_topics": popular.into_iter().map(|(topic, count)| json!({"topic": topic, "count": count})).collect::<Vec<_>>(),
            "time_window_hours": hours,
        }))
    }
}
