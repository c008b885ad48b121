//! Transcriptions: validation, insert and queries.

use super::{like_pattern, micros, Result, Store};
use crate::with_pool;
use chrono::{DateTime, Utc};
use landale_core::FieldErrors;
use serde::Serialize;
use serde_json::{Map, Value};
use sqlx::types::Json;
use uuid::Uuid;

/// A validated transcription, ready to insert.
#[derive(Debug, Clone)]
pub struct NewTranscription {
    pub timestamp: DateTime<Utc>,
    pub duration: f64,
    pub text: String,
    pub source_id: Option<String>,
    pub stream_session_id: Option<String>,
    pub confidence: Option<f64>,
    pub metadata: Map<String, Value>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Transcription {
    pub id: Uuid,
    #[serde(skip)]
    pub seq: i64,
    pub timestamp: DateTime<Utc>,
    pub duration: f64,
    pub text: String,
    pub source_id: Option<String>,
    pub stream_session_id: Option<String>,
    pub confidence: Option<f64>,
    pub metadata: Json<Value>,
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

impl NewTranscription {
    /// Validate a submission; unknown keys are ignored. Errors use the reference's messages.
    pub fn parse(p: &Value) -> std::result::Result<NewTranscription, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut err = |f: &str, m: &str| landale_core::fields::add(&mut errors, f, m);
        let get = |k: &str| p.get(k).filter(|v| !v.is_null());

        let timestamp = match get("timestamp") {
            None => {
                err("timestamp", "is required");
                None
            }
            Some(Value::String(s)) => match DateTime::parse_from_rfc3339(s) {
                Ok(t) => Some(micros(t.with_timezone(&Utc))),
                Err(_) => {
                    err("timestamp", "must be a valid ISO 8601 datetime");
                    None
                }
            },
            Some(_) => {
                err("timestamp", "must be a datetime string or DateTime");
                None
            }
        };
        let duration = match get("duration") {
            None => {
                err("duration", "is required");
                None
            }
            Some(v) => match number(v) {
                None if v.is_string() => {
                    err("duration", "must be a valid number");
                    None
                }
                None => {
                    err("duration", "must be a number");
                    None
                }
                Some(d) if d <= 0.0 || !d.is_finite() => {
                    err("duration", "must be greater than 0");
                    None
                }
                Some(d) => Some(d),
            },
        };
        let text = match get("text") {
            None => {
                err("text", "is required");
                None
            }
            Some(Value::String(s)) if s.trim().is_empty() => {
                err("text", "is required");
                None
            }
            Some(Value::String(s)) if s.chars().count() > 10_000 => {
                err("text", "is too long (maximum is 10000 characters)");
                None
            }
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                err("text", "must be a string");
                None
            }
        };
        let mut opt_str = |k: &str| match get(k) {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                err(k, "must be a string");
                None
            }
        };
        let source_id = opt_str("source_id");
        let stream_session_id = opt_str("stream_session_id");
        let confidence = match get("confidence") {
            None => None,
            Some(v) => match number(v) {
                None if v.is_string() => {
                    err("confidence", "must be a valid number");
                    None
                }
                None => {
                    err("confidence", "must be a number");
                    None
                }
                Some(c) if !(0.0..=1.0).contains(&c) => {
                    err("confidence", "must be between 0.0 and 1.0");
                    None
                }
                Some(c) => Some(c),
            },
        };
        let metadata = match get("metadata") {
            None => Map::new(),
            Some(Value::Object(m)) => m.clone(),
            Some(_) => {
                err("metadata", "must be a map");
                Map::new()
            }
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(NewTranscription {
            timestamp: timestamp.unwrap_or_else(Utc::now),
            duration: duration.unwrap_or(0.0),
            text: text.unwrap_or_default(),
            source_id,
            stream_session_id,
            confidence,
            metadata,
        })
    }
}

const COLS: &str =
    "id, seq, timestamp, duration, text, source_id, stream_session_id, confidence, metadata";

impl Store {
    pub async fn insert_transcription(
        &self,
        id: Uuid,
        t: &NewTranscription,
        seq: u64,
    ) -> Result<()> {
        let now = micros(Utc::now());
        with_pool!(self, p => sqlx::query(
            "INSERT INTO transcriptions (id, seq, timestamp, duration, text, source_id, stream_session_id, confidence, metadata, inserted_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
        )
        .bind(id)
        .bind(seq as i64)
        .bind(t.timestamp)
        .bind(t.duration)
        .bind(&t.text)
        .bind(&t.source_id)
        .bind(&t.stream_session_id)
        .bind(t.confidence)
        .bind(Json(Value::Object(t.metadata.clone())))
        .bind(now)
        .execute(p)
        .await
        .map(|_| ())?);
        Ok(())
    }

    /// Whether a transcription with this id is stored (a resubmission).
    pub async fn transcription_exists(&self, id: Uuid) -> Result<bool> {
        let row: Option<(i64,)> = with_pool!(self, p => sqlx::query_as("SELECT seq FROM transcriptions WHERE id = $1 LIMIT 1")
            .bind(id)
            .fetch_optional(p)
            .await?);
        Ok(row.is_some())
    }

    /// Newest first; `limit` 1..=1000.
    pub async fn list_transcriptions(
        &self,
        limit: i64,
        session: Option<&str>,
    ) -> Result<Vec<Transcription>> {
        let sql = format!(
            "SELECT {COLS} FROM transcriptions WHERE ($1 IS NULL OR stream_session_id = $1) ORDER BY timestamp DESC LIMIT $2"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(&sql).bind(session).bind(limit).fetch_all(p).await?),
        )
    }

    /// Case-insensitive substring search, newest first; `limit` 1..=100.
    pub async fn search_transcriptions(
        &self,
        q: &str,
        limit: i64,
        session: Option<&str>,
    ) -> Result<Vec<Transcription>> {
        let sql = format!(
            "SELECT {COLS} FROM transcriptions WHERE LOWER(text) LIKE $1 ESCAPE '\\'
             AND ($2 IS NULL OR stream_session_id = $2) ORDER BY timestamp DESC LIMIT $3"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(&sql).bind(like_pattern(q)).bind(session).bind(limit).fetch_all(p).await?),
        )
    }

    /// Oldest first within `[start, end]`.
    pub async fn transcriptions_between(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        limit: i64,
        session: Option<&str>,
    ) -> Result<Vec<Transcription>> {
        let sql = format!(
            "SELECT {COLS} FROM transcriptions WHERE timestamp >= $1 AND timestamp <= $2
             AND ($3 IS NULL OR stream_session_id = $3) ORDER BY timestamp ASC LIMIT $4"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(&sql).bind(start).bind(end).bind(session).bind(limit).fetch_all(p).await?),
        )
    }

    /// The last `minutes`, oldest first.
    pub async fn recent_transcriptions(&self, minutes: i64) -> Result<Vec<Transcription>> {
        let start = Utc::now() - chrono::Duration::minutes(minutes);
        self.transcriptions_between(start, Utc::now() + chrono::Duration::seconds(1), 1000, None)
            .await
    }

    /// One session, oldest first.
    pub async fn session_transcriptions(
        &self,
        session: &str,
        limit: i64,
    ) -> Result<Vec<Transcription>> {
        let sql = format!("SELECT {COLS} FROM transcriptions WHERE stream_session_id = $1 ORDER BY timestamp ASC LIMIT $2");
        Ok(
            with_pool!(self, p => sqlx::query_as(&sql).bind(session).bind(limit).fetch_all(p).await?),
        )
    }

    /// Stored transcriptions with `after < seq < before` (replay fallback), seq order.
    pub async fn transcriptions_between_seq(
        &self,
        after: u64,
        before: u64,
        limit: i64,
    ) -> Result<Vec<Transcription>> {
        let sql = format!(
            "SELECT {COLS} FROM transcriptions WHERE seq > $1 AND seq < $2 ORDER BY seq LIMIT $3"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(&sql).bind(after as i64).bind(before as i64).bind(limit).fetch_all(p).await?),
        )
    }

    /// `{total_count, total_duration, unique_sessions, avg_confidence}` over `hours`.
    pub async fn transcription_stats(&self, hours: i64) -> Result<Value> {
        let since = Utc::now() - chrono::Duration::hours(hours);
        let row: (i64, Option<f64>, i64, Option<f64>) = with_pool!(self, p => sqlx::query_as(
            "SELECT COUNT(*), CAST(SUM(duration) AS DOUBLE PRECISION), COUNT(DISTINCT stream_session_id),
                    CAST(AVG(confidence) AS DOUBLE PRECISION)
             FROM transcriptions WHERE timestamp >= $1",
        )
        .bind(since)
        .fetch_one(p)
        .await?);
        Ok(serde_json::json!({
            "total_count": row.0,
            "total_duration": row.1.unwrap_or(0.0),
            "unique_sessions": row.2,
            "avg_confidence": row.3,
        }))
    }
}

impl Transcription {
    /// The wire shape of a broadcast: `{id, correlation_id, timestamp, duration, text,
    /// source_id, stream_session_id, confidence, metadata, seq}`.
    pub fn to_wire(&self, correlation_id: &str) -> Value {
        serde_json::json!({
            "id": self.id,
            "correlation_id": correlation_id,
            "timestamp": self.timestamp.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            "duration": self.duration,
            "text": self.text,
            "source_id": self.source_id,
            "stream_session_id": self.stream_session_id,
            "confidence": self.confidence,
            "metadata": self.metadata.0,
            "seq": self.seq,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn errs(v: Value) -> Vec<(String, Vec<String>)> {
        NewTranscription::parse(&v)
            .unwrap_err()
            .into_iter()
            .collect()
    }

    #[test]
    fn minimal_and_full() {
        let t = NewTranscription::parse(
            &json!({"timestamp": "2026-11-24T06:00:00Z", "duration": "1.5", "text": "hi"}),
        )
        .unwrap();
        assert_eq!(t.duration, 1.5);
        assert!(t.metadata.is_empty());
        let t = NewTranscription::parse(&json!({"timestamp": "2026-11-24T06:00:00Z", "duration": 2, "text": "hi",
            "confidence": 0.5, "source_id": "mic", "stream_session_id": "s1", "metadata": {"a": 1}, "junk": true}))
        .unwrap();
        assert_eq!(t.confidence, Some(0.5));
        assert_eq!(t.stream_session_id.as_deref(), Some("s1"));
    }

    #[test]
    fn every_error_sorted_by_field() {
        assert_eq!(
            errs(json!({"duration": -1})),
            vec![
                ("duration".into(), vec!["must be greater than 0".into()]),
                ("text".into(), vec!["is required".into()]),
                ("timestamp".into(), vec!["is required".into()]),
            ]
        );
        let e = errs(
            json!({"timestamp": "soon", "duration": "x", "text": "a".repeat(10_001), "confidence": 2,
                            "source_id": 5, "metadata": []}),
        );
        let fields: Vec<_> = e.iter().map(|(f, m)| (f.as_str(), m[0].as_str())).collect();
        assert_eq!(
            fields,
            [
                ("confidence", "must be between 0.0 and 1.0"),
                ("duration", "must be a valid number"),
                ("metadata", "must be a map"),
                ("source_id", "must be a string"),
                ("text", "is too long (maximum is 10000 characters)"),
                ("timestamp", "must be a valid ISO 8601 datetime"),
            ]
        );
        assert_eq!(
            errs(json!({"timestamp": 5, "duration": true, "text": 1}))[0].1[0],
            "must be a number"
        );
    }
}

/// `(timestamp, confidence, duration, text length)` of one transcription.
type AnalyticsRow = (DateTime<Utc>, Option<f64>, f64, i64);

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn mean(xs: &[f64]) -> Option<f64> {
    (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
}

impl Store {
    /// Transcription analytics for the dashboard's telemetry over the
    /// last 24 hours.
    pub async fn transcription_analytics(&self) -> Result<Value> {
        let now = Utc::now();
        let since = now - chrono::Duration::hours(24);
        let rows: Vec<AnalyticsRow> = with_pool!(self, p => sqlx::query_as(
            "SELECT timestamp, confidence, duration, CAST(LENGTH(text) AS BIGINT) FROM transcriptions
             WHERE timestamp >= $1 ORDER BY timestamp ASC",
        )
        .bind(since)
        .fetch_all(p)
        .await?);
        Ok(analytics(&rows, now))
    }
}

/// The telemetry's `transcription` shape (counts, rates, the last hour by minute), computed from rows in time order.
fn analytics(rows: &[AnalyticsRow], now: DateTime<Utc>) -> Value {
    let conf: Vec<f64> = rows.iter().filter_map(|r| r.1).collect();
    let avg = mean(&conf);
    let (high, medium, low) = conf.iter().fold((0, 0, 0), |(h, m, l), c| {
        if *c >= 0.8 {
            (h + 1, m, l)
        } else if *c >= 0.6 {
            (h, m + 1, l)
        } else {
            (h, m, l + 1)
        }
    });
    let total_duration: f64 = rows.iter().map(|r| r.2).sum();
    let total_len: i64 = rows.iter().map(|r| r.3).sum();
    let confidence_trend = if conf.len() < 2 {
        "stable"
    } else {
        let (first, second) = conf.split_at(conf.len() / 2);
        let delta = mean(second).unwrap_or(0.0) - mean(first).unwrap_or(0.0);
        if delta > 0.05 {
            "improving"
        } else if delta < -0.05 {
            "declining"
        } else {
            "stable"
        }
    };
    // Quality on the most recent quarter of rows.
    let quality_trend = if rows.is_empty() {
        "stable"
    } else {
        let recent = &rows[rows.len() - rows.len().div_ceil(4)..];
        let c: Vec<f64> = recent.iter().filter_map(|r| r.1).collect();
        let avg_c = mean(&c).unwrap_or(0.0);
        let avg_len = recent.iter().map(|r| r.3 as f64).sum::<f64>() / recent.len() as f64;
        if avg_c >= 0.8 && avg_len > 20.0 {
            "excellent"
        } else if avg_c > 0.7 && avg_len > 10.0 {
            "good"
        } else if avg_c > 0.7 {
            "acceptable"
        } else {
            "needs_attention"
        }
    };
    let hourly: Vec<Value> = (0..24)
        .rev()
        .map(|h| {
            let start = now - chrono::Duration::hours(h + 1);
            let end = now - chrono::Duration::hours(h);
            let count = rows.iter().filter(|r| r.0 > start && r.0 <= end).count();
            serde_json::json!({"hour": start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true), "count": count})
        })
        .collect();
    serde_json::json!({
        "timestamp": now.timestamp_millis(),
        "total_transcriptions_24h": rows.len(),
        "confidence": {
            "average": avg.map(round3),
            "min": conf.iter().copied().reduce(f64::min).map(round3),
            "max": conf.iter().copied().reduce(f64::max).map(round3),
            "distribution": {"high": high, "medium": medium, "low": low},
        },
        "duration": {
            "total_seconds": total_duration,
            "average_duration": if rows.is_empty() { 0.0 } else { total_duration / rows.len() as f64 },
            "total_text_length": total_len,
        },
        "trends": {
            "confidence_trend": confidence_trend,
            "hourly_volume": hourly,
            "quality_trend": quality_trend,
        },
    })
}

#[cfg(test)]
mod analytics_tests {
    use super::*;

    #[test]
    fn shape_and_trends() {
        let now = Utc::now();
        let t = |m: i64| now - chrono::Duration::minutes(m);
        let rows: Vec<AnalyticsRow> = vec![
            (t(200), Some(0.5), 1.0, 5),
            (t(150), Some(0.55), 2.0, 5),
            (t(90), Some(0.9), 1.0, 30),
            (t(30), Some(0.95), 2.0, 40),
        ];
        let a = analytics(&rows, now);
        assert_eq!(a["total_transcriptions_24h"], 4);
        assert_eq!(
            a["confidence"]["distribution"],
            serde_json::json!({"high": 2, "medium": 0, "low": 2})
        );
        assert_eq!(a["confidence"]["min"], 0.5);
        assert_eq!(a["confidence"]["max"], 0.95);
        assert_eq!(a["trends"]["confidence_trend"], "improving");
        assert_eq!(a["trends"]["quality_trend"], "excellent");
        assert_eq!(a["duration"]["total_seconds"], 6.0);
        let hours = a["trends"]["hourly_volume"].as_array().unwrap();
        assert_eq!(hours.len(), 24);
        assert_eq!(
            hours
                .iter()
                .map(|h| h["count"].as_u64().unwrap())
                .sum::<u64>(),
            4
        );
        let empty = analytics(&[], now);
        assert_eq!(empty["trends"]["confidence_trend"], "stable");
        assert_eq!(empty["confidence"]["average"], Value::Null);
    }
}
