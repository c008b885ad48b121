//! The activity log (`events`) and `users`.

use super::{micros, Result, Store};
use crate::with_pool;
use chrono::{DateTime, Utc};
use landale_protocol::Event;
use serde::Serialize;
use serde_json::Value;
use sqlx::types::Json;

/// Which stored events a query wants; `None` means any.
#[derive(Debug, Default, Clone, Copy)]
pub struct EventQuery<'a> {
    pub event_type: Option<&'a str>,
    pub user_id: Option<&'a str>,
    /// Inclusive.
    pub since: Option<DateTime<Utc>>,
    /// Exclusive.
    pub until: Option<DateTime<Utc>>,
}

/// total, unique users, chat, follows, subs, cheers, gifts, resubs, raids.
type StatsCounts = (i64, i64, i64, i64, i64, i64, i64, i64, i64);

#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct ActivityRow {
    pub id: String,
    pub seq: i64,
    pub timestamp: DateTime<Utc>,
    pub event_type: String,
    pub user_id: Option<String>,
    pub user_login: Option<String>,
    pub user_name: Option<String>,
    pub data: Json<Value>,
    pub correlation_id: Option<String>,
}

fn user_of(e: &Event) -> (Option<String>, Option<String>, Option<String>) {
    let s = |k: &str| e.str_field(k).map(str::to_owned);
    (s("user_id"), s("user_login"), s("user_name"))
}

impl Store {
    /// Insert a batch of events (and upsert their users) in one transaction.
    /// Re-inserting an event id is a no-op, so a retried batch cannot duplicate rows.
    pub async fn insert_events(&self, events: &[std::sync::Arc<Event>]) -> Result<()> {
        let now = micros(Utc::now());
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            for e in events {
                let ts = e
                    .timestamp
                    .parse::<DateTime<Utc>>()
                    .map(micros)
                    .unwrap_or(now);
                let (uid, login, name) = user_of(e);
                let data = serde_json::to_value(&**e).unwrap_or(Value::Null);
                sqlx::query(
                    "INSERT INTO events (id, seq, timestamp, event_type, user_id, user_login, user_name, data, correlation_id, inserted_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
                )
                .bind(&e.id)
                .bind(e.seq as i64)
                .bind(ts)
                .bind(&e.kind)
                .bind(&uid)
                .bind(&login)
                .bind(&name)
                .bind(Json(data))
                .bind(&e.correlation_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                if let (Some(uid), Some(login)) = (&uid, &login) {
                    // A login can move to another account: free it first.
                    sqlx::query("DELETE FROM users WHERE login = $1 AND twitch_id <> $2")
                        .bind(login)
                        .bind(uid)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query(
                        "INSERT INTO users (twitch_id, login, display_name, inserted_at, updated_at) VALUES ($1, $2, $3, $4, $4)
                         ON CONFLICT (twitch_id) DO UPDATE SET login = excluded.login,
                           display_name = COALESCE(excluded.display_name, users.display_name), updated_at = excluded.updated_at",
                    )
                    .bind(uid)
                    .bind(login)
                    .bind(&name)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Newest first, optionally filtered by type and user; `limit` 1..=1000.
    pub async fn recent_events(
        &self,
        limit: i64,
        filter: &EventQuery<'_>,
    ) -> Result<Vec<ActivityRow>> {
        let rows = with_pool!(self, p => sqlx::query_as::<_, ActivityRow>(
            "SELECT id, seq, timestamp, event_type, user_id, user_login, user_name, data, correlation_id FROM events
             WHERE ($1 IS NULL OR event_type = $1) AND ($2 IS NULL OR user_id = $2)
               AND ($3 IS NULL OR timestamp >= $3) AND ($4 IS NULL OR timestamp < $4)
             ORDER BY timestamp DESC, seq DESC LIMIT $5",
        )
        .bind(filter.event_type)
        .bind(filter.user_id)
        .bind(filter.since.map(micros))
        .bind(filter.until.map(micros))
        .bind(limit.clamp(1, 1000))
        .fetch_all(p)
        .await?);
        Ok(rows)
    }

    /// Stored events with `after < seq < before`, in seq order (replay fallback).
    pub async fn events_between_seq(
        &self,
        after: u64,
        before: u64,
        limit: i64,
    ) -> Result<Vec<Value>> {
        let rows: Vec<(Json<Value>,)> = with_pool!(self, p => sqlx::query_as(
            "SELECT data FROM events WHERE seq > $1 AND seq < $2 ORDER BY seq LIMIT $3",
        )
        .bind(after as i64)
        .bind(before as i64)
        .bind(limit)
        .fetch_all(p)
        .await?);
        Ok(rows.into_iter().map(|r| r.0 .0).collect())
    }

    /// `{total_events, unique_users, chat_messages, follows, subscriptions, cheers}` over `hours`.
    /// Counts over `[since, until)` (`until` open when `None`).
    pub async fn event_stats(
        &self,
        since: DateTime<Utc>,
        until: Option<DateTime<Utc>>,
    ) -> Result<Value> {
        let row: StatsCounts = with_pool!(self, p => sqlx::query_as(
            "SELECT COUNT(*),
                    COUNT(DISTINCT user_id),
                    CAST(COALESCE(SUM(CASE WHEN event_type = 'channel.chat.message' THEN 1 ELSE 0 END), 0) AS BIGINT),
                    CAST(COALESCE(SUM(CASE WHEN event_type = 'channel.follow' THEN 1 ELSE 0 END), 0) AS BIGINT),
                    CAST(COALESCE(SUM(CASE WHEN event_type = 'channel.subscribe' THEN 1 ELSE 0 END), 0) AS BIGINT),
                    CAST(COALESCE(SUM(CASE WHEN event_type = 'channel.cheer' THEN 1 ELSE 0 END), 0) AS BIGINT),
                    CAST(COALESCE(SUM(CASE WHEN event_type = 'channel.subscription.gift' THEN 1 ELSE 0 END), 0) AS BIGINT),
                    CAST(COALESCE(SUM(CASE WHEN event_type = 'channel.subscription.message' THEN 1 ELSE 0 END), 0) AS BIGINT),
                    CAST(COALESCE(SUM(CASE WHEN event_type = 'channel.raid' THEN 1 ELSE 0 END), 0) AS BIGINT)
             FROM events WHERE timestamp >= $1 AND ($2 IS NULL OR timestamp < $2)",
        )
        .bind(micros(since))
        .bind(until.map(micros))
        .fetch_one(p)
        .await?);
        Ok(serde_json::json!({
            "total_events": row.0, "unique_users": row.1, "chat_messages": row.2,
            "follows": row.3, "subscriptions": row.4, "cheers": row.5,
            "gift_subscriptions": row.6, "resubscriptions": row.7, "raids": row.8,
        }))
    }

    /// `[{user_login, message_count}]`, most chat messages first.
    pub async fn most_active_users(
        &self,
        since: DateTime<Utc>,
        until: Option<DateTime<Utc>>,
        limit: i64,
    ) -> Result<Value> {
        let rows: Vec<(Option<String>, i64)> = with_pool!(self, p => sqlx::query_as(
            "SELECT user_login, COUNT(*) AS n FROM events
             WHERE timestamp >= $1 AND ($2 IS NULL OR timestamp < $2)
               AND event_type = 'channel.chat.message' AND user_login IS NOT NULL
             GROUP BY user_login ORDER BY n DESC, user_login LIMIT $3",
        )
        .bind(micros(since))
        .bind(until.map(micros))
        .bind(limit)
        .fetch_all(p)
        .await?);
        Ok(Value::Array(
            rows.into_iter()
                .map(|(u, n)| serde_json::json!({"user_login": u, "message_count": n}))
                .collect(),
        ))
    }
}
