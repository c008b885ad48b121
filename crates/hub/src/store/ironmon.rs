//! IronMON's stored runs: the reads behind `overlay:ironmon` commands and the REST
//! routes, and [`RunStore`] for the IronMON integration (seeds, results, run ends).

use super::{Result, Store};
use crate::with_pool;
use landale_ironmon::run::{Challenge, Checkpoint as RunCheckpoint, Loaded, Write};
use landale_ironmon::{RunStore, StoreFuture};
use serde::Serialize;
use serde_json::{json, Value};

#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct Checkpoint {
    pub id: i64,
    pub name: String,
    pub trainer: String,
    pub order: i64,
    pub challenge_id: i64,
}

impl Store {
    /// `[{id, name, checkpoints: [...]}]`.
    pub async fn challenges(&self) -> Result<Value> {
        let rows: Vec<(i64, String)> = with_pool!(self, p => sqlx::query_as("SELECT id, name FROM challenges ORDER BY id").fetch_all(p).await?);
        let mut out = Vec::with_capacity(rows.len());
        for (id, name) in rows {
            out.push(json!({"id": id, "name": name, "checkpoints": self.checkpoints(id).await?}));
        }
        Ok(Value::Array(out))
    }

    pub async fn checkpoints(&self, challenge_id: i64) -> Result<Vec<Checkpoint>> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT id, name, trainer, \"order\", challenge_id FROM checkpoints WHERE challenge_id = $1 ORDER BY \"order\"",
        )
        .bind(challenge_id)
        .fetch_all(p)
        .await?))
    }

    /// `{wins, losses, total, win_rate}` for one checkpoint.
    pub async fn checkpoint_stats(&self, checkpoint_id: i64) -> Result<Value> {
        let (wins, total): (i64, i64) = with_pool!(self, p => sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(CASE WHEN result THEN 1 ELSE 0 END), 0) AS BIGINT), COUNT(*) FROM results WHERE checkpoint_id = $1",
        )
        .bind(checkpoint_id)
        .fetch_one(p)
        .await?);
        let rate = if total > 0 {
            wins as f64 / total as f64
        } else {
            0.0
        };
        Ok(json!({"wins": wins, "losses": total - wins, "total": total, "win_rate": rate}))
    }

    /// Most recent results first, joined to seed, checkpoint and challenge.
    pub async fn recent_results(&self, limit: i64) -> Result<Value> {
        self.recent_results_before(limit, None).await
    }

    /// As [`Store::recent_results`], older than the result id `cursor` when given.
    pub async fn recent_results_before(&self, limit: i64, cursor: Option<i64>) -> Result<Value> {
        let rows: Vec<(i64, i64, String, String, String, bool)> = with_pool!(self, p => sqlx::query_as(
            "SELECT r.id, r.seed_id, c.name, c.trainer, ch.name, r.result FROM results r
             JOIN checkpoints c ON c.id = r.checkpoint_id JOIN seeds s ON s.id = r.seed_id
             JOIN challenges ch ON ch.id = s.challenge_id WHERE r.id < $2 ORDER BY r.id DESC LIMIT $1",
        )
        .bind(limit)
        .bind(cursor.unwrap_or(i64::MAX))
        .fetch_all(p)
        .await?);
        Ok(Value::Array(
            rows.into_iter()
                .map(|(id, seed, cp, trainer, ch, result)| {
                    json!({"id": id, "seed_id": seed, "checkpoint_name": cp, "trainer": trainer,
                           "challenge_name": ch, "result": result})
                })
                .collect(),
        ))
    }

    /// `{seed_id, challenge_name, completed_checkpoints, last_result}` or `None`.
    pub async fn active_challenge(&self, seed_id: i64) -> Result<Option<Value>> {
        let row: Option<(String,)> = with_pool!(self, p => sqlx::query_as(
            "SELECT ch.name FROM seeds s JOIN challenges ch ON ch.id = s.challenge_id WHERE s.id = $1",
        )
        .bind(seed_id)
        .fetch_optional(p)
        .await?);
        let Some((name,)) = row else { return Ok(None) };
        let (done, any_win): (i64, Option<i64>) = with_pool!(self, p => sqlx::query_as(
            "SELECT COUNT(DISTINCT checkpoint_id), CAST(MAX(CASE WHEN result THEN 1 ELSE 0 END) AS BIGINT) FROM results WHERE seed_id = $1",
        )
        .bind(seed_id)
        .fetch_one(p)
        .await?);
        Ok(Some(json!({
            "seed_id": seed_id, "challenge_name": name, "completed_checkpoints": done,
            "last_result": any_win.map(|w| w == 1),
        })))
    }
}

impl Store {
    /// The first challenge (the seeded "Kaizo IronMON") with its history and the
    /// latest seed, for the run tracker.
    pub async fn ironmon_load(&self) -> Result<Loaded> {
        let (id, name): (i64, String) = with_pool!(self, p => sqlx::query_as(
            "SELECT id, name FROM challenges ORDER BY id LIMIT 1").fetch_one(p).await?);
        let checkpoints = self
            .checkpoints(id)
            .await?
            .into_iter()
            .map(|c| RunCheckpoint {
                id: c.id,
                name: c.name,
                trainer: c.trainer,
                order: c.order,
            })
            .collect();
        let (attempts,): (i64,) = with_pool!(self, p => sqlx::query_as(
            "SELECT COUNT(*) FROM seeds WHERE challenge_id = $1").bind(id).fetch_one(p).await?);
        let rates: Vec<(i64, i64, i64)> = with_pool!(self, p => sqlx::query_as(
            "SELECT checkpoint_id, CAST(COALESCE(SUM(CASE WHEN result THEN 1 ELSE 0 END), 0) AS BIGINT), COUNT(*)
             FROM results GROUP BY checkpoint_id").fetch_all(p).await?);
        let latest: Option<(i64, Option<String>)> = with_pool!(self, p => sqlx::query_as(
            "SELECT id, end_reason FROM seeds WHERE challenge_id = $1 ORDER BY id DESC LIMIT 1")
            .bind(id).fetch_optional(p).await?);
        let current = match latest {
            Some((seed, ended)) => {
                let cleared: Vec<(i64,)> = with_pool!(self, p => sqlx::query_as(
                    "SELECT checkpoint_id FROM results WHERE seed_id = $1 AND result ORDER BY id")
                    .bind(seed).fetch_all(p).await?);
                Some((seed, cleared.into_iter().map(|c| c.0).collect(), ended))
            }
            None => None,
        };
        Ok(Loaded {
            challenge: Challenge {
                id,
                name,
                checkpoints,
            },
            attempts,
            rates,
            current,
        })
    }

    pub async fn ironmon_write(&self, w: &Write) -> Result<()> {
        match w {
            Write::Seed { seed, challenge_id } => {
                with_pool!(self, p => sqlx::query(
                    "INSERT INTO seeds (id, challenge_id) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET end_reason = NULL")
                    .bind(seed).bind(challenge_id).execute(p).await.map(|_| ())?);
            }
            Write::Result {
                seed,
                checkpoint_id,
                passed,
            } => {
                with_pool!(self, p => sqlx::query(
                    "INSERT INTO results (seed_id, checkpoint_id, result) VALUES ($1, $2, $3)
                     ON CONFLICT (seed_id, checkpoint_id) DO UPDATE SET result = excluded.result")
                    .bind(seed).bind(checkpoint_id).bind(passed).execute(p).await.map(|_| ())?);
            }
            Write::Ended { seed, reason } => {
                with_pool!(self, p => sqlx::query("UPDATE seeds SET end_reason = $2 WHERE id = $1")
                    .bind(seed).bind(reason).execute(p).await.map(|_| ())?);
            }
        }
        Ok(())
    }
}

impl RunStore for Store {
    fn load(&self) -> StoreFuture<'_, Loaded> {
        Box::pin(async move { self.ironmon_load().await.map_err(|e| e.to_string()) })
    }

    fn write<'a>(&'a self, w: &'a Write) -> StoreFuture<'a, ()> {
        Box::pin(async move { self.ironmon_write(w).await.map_err(|e| e.to_string()) })
    }
}
