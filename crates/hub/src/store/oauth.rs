//! `oauth_tokens`: one row per service, behind the Twitch integration's
//! [`TokenStore`]. The token columns hold vault ciphertext when `encrypted` is true
//! (always, for rows Landale writes); this module never sees plaintext.

use super::{Result, Store};
use crate::with_pool;
use chrono::{DateTime, Utc};
use landale_twitch::tokens::{OauthRow, StoreFuture, TokenStore};
use sqlx::types::Json;

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

/// The Twitch integration keeps its token row here.
impl TokenStore for Store {
    fn get<'a>(&'a self, service: &'a str) -> StoreFuture<'a, Option<OauthRow>> {
        Box::pin(async move { self.oauth_get(service).await.map_err(|e| e.to_string()) })
    }

    fn put<'a>(&'a self, service: &'a str, row: &'a OauthRow) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            self.oauth_put(service, row)
                .await
                .map_err(|e| e.to_string())
        })
    }
}
