//! Storage: embedded SQLite by default, PostgreSQL (+TimescaleDB when present).
//!
//! One [`Store`] type for both. Queries are written once in SQL both engines accept
//! (numbered `$n` parameters, `ON CONFLICT`, `RETURNING`, casts) and run against
//! whichever pool is configured through [`with_pool!`]; timestamps are bound as
//! `DateTime<Utc>` and JSON as `Json<Value>`, which sqlx maps to each engine's types.
//! Migrations live in `migrations/sqlite` and `migrations/postgres`.

pub mod activity;
pub mod community;
pub mod contexts;
pub mod ironmon;
pub mod media;
pub mod oauth;
pub mod transcriptions;
pub mod writer;

use chrono::{DateTime, Utc};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

#[derive(Clone)]
pub enum Backend {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

#[derive(Clone)]
pub struct Store {
    pub backend: Backend,
    /// TimescaleDB is installed in the database: retention and compression are its job.
    pub timescale: bool,
}

/// Storage errors. The underlying error is part of the message (not a separate
/// `source`), so a report prints it once.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(sqlx::migrate::MigrateError),
    #[error("{0}")]
    Invalid(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Db(e)
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        StoreError::Migrate(e)
    }
}

/// `host:port/db` of a database URL, without credentials, for messages.
fn redacted(url: &str) -> &str {
    url.rsplit_once('@')
        .map(|(_, rest)| rest)
        .unwrap_or("(the configured host)")
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// Run the same body against whichever pool the store has. The body is type-checked
/// once per engine, so a query that does not fit both fails to compile... or at
/// worst fails the shared test suite, which runs on both.
#[macro_export]
macro_rules! with_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.backend {
            $crate::store::Backend::Sqlite($pool) => $body,
            $crate::store::Backend::Postgres($pool) => $body,
        }
    };
}

/// Timestamps are stored with microsecond precision on both engines.
pub fn micros(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}

/// Escape `%`, `_` and `\` for a `LIKE ... ESCAPE '\'` pattern, lower-cased.
pub fn like_pattern(q: &str) -> String {
    let mut out = String::with_capacity(q.len() + 2);
    out.push('%');
    for c in q.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

impl Store {
    /// Open (and create) the database and run migrations.
    pub async fn connect(database_url: Option<&str>, data_dir: &Path) -> Result<Store> {
        match database_url {
            Some(url) if url.starts_with("postgres") => {
                let pool = PgPoolOptions::new()
                    .max_connections(10)
                    .acquire_timeout(Duration::from_secs(5))
                    .connect(url)
                    .await
                    .map_err(|e| {
                        StoreError::Invalid(format!(
                            "cannot connect to PostgreSQL at {}: {e}; check DATABASE_URL and that the server is running",
                            redacted(url)
                        ))
                    })?;
                sqlx::migrate!("./migrations/postgres").run(&pool).await?;
                let mut store = Store {
                    backend: Backend::Postgres(pool),
                    timescale: false,
                };
                store.timescale = store.enable_timescale().await;
                Ok(store)
            }
            other => {
                let opts = match other {
                    Some(url) => SqliteConnectOptions::from_str(url)?,
                    None => {
                        std::fs::create_dir_all(data_dir).map_err(|e| {
                            StoreError::Invalid(format!(
                                "cannot create data dir {}: {e}",
                                data_dir.display()
                            ))
                        })?;
                        SqliteConnectOptions::new().filename(data_dir.join("landale.db"))
                    }
                }
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true);
                let pool = SqlitePoolOptions::new()
                    .max_connections(4)
                    .acquire_timeout(Duration::from_secs(5))
                    .connect_with(opts)
                    .await?;
                sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
                Ok(Store {
                    backend: Backend::Sqlite(pool),
                    timescale: false,
                })
            }
        }
    }

    pub fn engine(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => {
                if self.timescale {
                    "postgres+timescaledb"
                } else {
                    "postgres"
                }
            }
        }
    }

    /// `SELECT 1` within 5 s.
    pub async fn ping(&self) -> Result<()> {
        let fut =
            async { with_pool!(self, p => sqlx::query("SELECT 1").execute(p).await.map(|_| ())) };
        match tokio::time::timeout(Duration::from_secs(5), fut).await {
            Ok(r) => Ok(r?),
            Err(_) => Err(StoreError::Invalid(
                "database did not answer within 5 s".into(),
            )),
        }
    }

    /// On PostgreSQL with the extension available: hypertables, compression after
    /// 7 days and retention as configured. Returns whether TimescaleDB is active.
    async fn enable_timescale(&self) -> bool {
        let Backend::Postgres(pool) = &self.backend else {
            return false;
        };
        let available: Option<(String,)> = sqlx::query_as(
            "SELECT name::text FROM pg_available_extensions WHERE name = 'timescaledb'",
        )
        .fetch_optional(pool)
        .await
        .unwrap_or(None);
        if available.is_none() {
            tracing::info!("timescaledb is not available: plain tables, retention done by the hub");
            return false;
        }
        let steps = [
            "CREATE EXTENSION IF NOT EXISTS timescaledb",
            "SELECT create_hypertable('events', 'timestamp', chunk_time_interval => INTERVAL '1 day', if_not_exists => TRUE, migrate_data => TRUE)",
            "SELECT create_hypertable('transcriptions', 'timestamp', chunk_time_interval => INTERVAL '1 day', if_not_exists => TRUE, migrate_data => TRUE)",
            "SELECT create_hypertable('contexts', 'started', chunk_time_interval => INTERVAL '1 day', if_not_exists => TRUE, migrate_data => TRUE)",
            "ALTER TABLE events SET (timescaledb.compress, timescaledb.compress_segmentby = 'event_type', timescaledb.compress_orderby = 'timestamp DESC')",
            "ALTER TABLE transcriptions SET (timescaledb.compress, timescaledb.compress_segmentby = 'stream_session_id', timescaledb.compress_orderby = 'timestamp DESC')",
            "SELECT add_compression_policy('events', INTERVAL '7 days', if_not_exists => TRUE)",
            "SELECT add_compression_policy('transcriptions', INTERVAL '7 days', if_not_exists => TRUE)",
            "SELECT add_retention_policy('events', INTERVAL '30 days', if_not_exists => TRUE)",
            "SELECT add_retention_policy('transcriptions', INTERVAL '30 days', if_not_exists => TRUE)",
        ];
        for step in steps {
            if let Err(e) = sqlx::query(step).execute(pool).await {
                tracing::warn!(error = %e, step, "timescaledb setup step failed; falling back to hub retention");
                return false;
            }
        }
        tracing::info!(
            "timescaledb enabled: hypertables, compression after 7 days, retention 30 days"
        );
        true
    }

    /// Delete events and transcriptions older than `days` (the hub's retention when
    /// TimescaleDB is not doing it). Returns rows deleted.
    pub async fn apply_retention(&self, days: u32) -> Result<u64> {
        let cutoff = Utc::now() - chrono::Duration::days(days as i64);
        let mut n = 0;
        for table in ["events", "transcriptions"] {
            let sql = format!("DELETE FROM {table} WHERE timestamp < $1");
            n += with_pool!(self, p => sqlx::query(&sql).bind(cutoff).execute(p).await?.rows_affected());
        }
        Ok(n)
    }

    pub async fn meta_get(&self, key: &str) -> Result<Option<String>> {
        let row: Option<(String,)> = with_pool!(self, p => sqlx::query_as("SELECT value FROM hub_meta WHERE key = $1")
            .bind(key)
            .fetch_optional(p)
            .await?);
        Ok(row.map(|r| r.0))
    }

    pub async fn meta_set(&self, key: &str, value: &str) -> Result<()> {
        with_pool!(self, p => sqlx::query(
            "INSERT INTO hub_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(p)
        .await
        .map(|_| ())?);
        Ok(())
    }

    /// The highest seq ever handed out, as far as storage knows.
    pub async fn last_seq(&self) -> Result<u64> {
        let reserved: u64 = self
            .meta_get("seq_reserved")
            .await?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let (events,): (Option<i64>,) = with_pool!(self, p => sqlx::query_as("SELECT MAX(seq) FROM events").fetch_one(p).await?);
        let (trans,): (Option<i64>,) = with_pool!(self, p => sqlx::query_as("SELECT MAX(seq) FROM transcriptions").fetch_one(p).await?);
        Ok(reserved
            .max(events.unwrap_or(0) as u64)
            .max(trans.unwrap_or(0) as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_escapes() {
        assert_eq!(like_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
        assert_eq!(like_pattern("HeLLo"), "%hello%");
    }
}
