//! `oauth_tokens`: one row per service. The token columns hold vault ciphertext
//! when `encrypted` is true (always, for rows Landale writes); this module never
//! sees plaintext.

use super::{Result, Store};
use crate::with_pool;
use chrono::{DateTime, Utc};
use sqlx::types::Json;

#[derive(Clone, PartialEq, Eq)]
pub struct OauthRow {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub scopes: Vec<String>,
    pub user_id: Option<String>,
    pub client_id: Option<String>,
    pub encrypted: bool,
}

impl std::fmt::Debug for OauthRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OauthRow")
            .field("expires_at", &self.expires_at)
            .field("scopes", &self.scopes)
            .field("user_id", &self.user_id)
            .field("encrypted", &self.encrypted)
            .finish_non_exhaustive()
    }
}

type Row = (
    String,
    Option<String>,
    Option<DateTime<Utc>>,
    Json<Vec<String>>,
    Option<String>,
    Option<String>,
    bool,
);

impl Store {
    pub async fn oauth_get(&self, service: &str) -> Result<Option<OauthRow>> {
        let row: Option<Row> = with_pool!(self, p => sqlx::query_as(
            "SELECT access_token, refresh_token, expires_at, scopes, user_id, client_id, encrypted \
             FROM oauth_tokens WHERE service = $1",
        )
        .bind(service)
        .fetch_optional(p)
        .await?);
        Ok(row.map(|r| OauthRow {
            access_token: r.0,
            refresh_token: r.1,
            expires_at: r.2,
            scopes: r.3 .0,
            user_id: r.4,
            client_id: r.5,
            encrypted: r.6,
        }))
    }

    pub async fn oauth_put(&self, service: &str, row: &OauthRow) -> Result<()> {
        let now = Utc::now();
        with_pool!(self, p => sqlx::query(
            "INSERT INTO oauth_tokens (service, access_token, refresh_token, expires_at, scopes, user_id, client_id, encrypted, inserted_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) \
             ON CONFLICT (service) DO UPDATE SET access_token = excluded.access_token, refresh_token = excluded.refresh_token, \
             expires_at = excluded.expires_at, scopes = excluded.scopes, user_id = excluded.user_id, \
             client_id = excluded.client_id, encrypted = excluded.encrypted, updated_at = excluded.updated_at",
        )
        .bind(service)
        .bind(&row.access_token)
        .bind(&row.refresh_token)
        .bind(row.expires_at)
        .bind(Json(&row.scopes))
        .bind(&row.user_id)
        .bind(&row.client_id)
        .bind(row.encrypted)
        .bind(now)
        .execute(p)
        .await
        .map(|_| ())?);
        Ok(())
    }
}
