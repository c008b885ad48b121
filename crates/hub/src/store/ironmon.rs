//! IronMON reads used by `overlay:*` commands. The TCP ingest and
//! run tracking arrive with the IronMON issue; the tables and seed data are here.

use super::{Result, Store};
use crate::with_pool;
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
        let rows: Vec<(i64, i64, String, String, bool)> = with_pool!(self, p => sqlx::query_as(
            "SELECT r.id, r.seed_id, c.name, ch.name, r.result FROM results r
             JOIN checkpoints c ON c.id = r.checkpoint_id JOIN seeds s ON s.id = r.seed_id
             JOIN challenges ch ON ch.id = s.challenge_id ORDER BY r.id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(p)
        .await?);
        Ok(Value::Array(
            rows.into_iter()
                .map(|(id, seed, cp, ch, result)| {
                    json!({"id": id, "seed_id": seed, "checkpoint_name": cp, "challenge_name": ch, "result": result})
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
