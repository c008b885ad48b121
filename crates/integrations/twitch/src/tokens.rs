//! The Twitch token pair: stored encrypted in `oauth_tokens`, kept valid.
//!
//! - One refresh at a time: [`Tokens::access`] holds the lock while it refreshes, so
//!   concurrent callers wait and all get the refreshed pair.
//! - Refresh 5 minutes before expiry; a 401 from any call triggers one refresh
//!   ([`Tokens::after_unauthorized`]: if another caller already refreshed, its pair is
//!   returned without a second refresh) and the caller retries once.
//! - A refused refresh token puts the state in `needs_login`; a row the vault key does
//!   not open puts it in `vault_error`. Neither crashes the hub, and both say what to do.
//! - Validation at start and hourly ([`Tokens::run`]), as Twitch requires.

use super::oauth::{OauthClient, OauthError, TokenSet, Validation};
use chrono::{DateTime, Utc};
use landale_core::vault::Vault;
use landale_core::Backoff;
use serde::Serialize;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Mutex};

pub const SERVICE: &str = "twitch";
/// Refresh this long before the access token expires.
pub const REFRESH_BEFORE: chrono::TimeDelta = chrono::TimeDelta::minutes(5);
/// Twitch asks apps to validate tokens at start and every hour.
pub const VALIDATE_EVERY: Duration = Duration::from_secs(3600);
/// Look for a new row this often (a `landale twitch login` from another terminal is
/// picked up without a restart, whether or not the hub was signed in).
pub const RELOAD_EVERY: Duration = Duration::from_secs(5);

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum TokenState {
    /// No TWITCH_CLIENT_ID: the integration is off.
    NotConfigured { reason: String },
    /// No usable tokens: `landale twitch login`.
    NeedsLogin { reason: String },
    /// Stored tokens that this CLOAK_SECRET_KEY does not open.
    VaultError { reason: String },
    Valid {
        expires_at: DateTime<Utc>,
        scopes: Vec<String>,
        user_id: Option<String>,
    },
    /// Valid tokens, but the last refresh or validation failed for a reason that may
    /// pass (network, Twitch 5xx); retried.
    Degraded {
        reason: String,
        expires_at: DateTime<Utc>,
    },
}

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum TokenError {
    #[error("Twitch is not configured: {0}")]
    NotConfigured(String),
    #[error("Twitch needs a login: {0}")]
    NeedsLogin(String),
    #[error("{0}")]
    Vault(String),
    #[error(transparent)]
    Oauth(OauthError),
    #[error("storing the Twitch tokens failed: {0}")]
    Store(String),
}

/// One stored token row. The token columns hold vault ciphertext when `encrypted`
/// is true (always, for rows Landale writes): the store never sees plaintext.
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

pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, String>> + Send + 'a>>;

/// Where the token row lives (the hub's `oauth_tokens` table), one row per service.
/// Errors are words for the status and the log.
pub trait TokenStore: Send + Sync + 'static {
    fn get<'a>(&'a self, service: &'a str) -> StoreFuture<'a, Option<OauthRow>>;
    fn put<'a>(&'a self, service: &'a str, row: &'a OauthRow) -> StoreFuture<'a, ()>;
}

pub struct Tokens {
    store: Arc<dyn TokenStore>,
    vault: Option<Vault>,
    oauth: OauthClient,
    configured: Option<String>,
    client_id: Option<String>,
    current: Mutex<Option<TokenSet>>,
    /// The refresh token Twitch refused: a stored row still holding it stays
    /// `needs_login` (no retry loop against Twitch) until a new login replaces it.
    rejected: std::sync::Mutex<Option<Option<String>>>,
    state: watch::Sender<TokenState>,
    refreshes: AtomicU64,
}

impl Tokens {
    pub fn new(settings: &super::TwitchSettings, store: Arc<dyn TokenStore>) -> Arc<Tokens> {
        let configured = match (&settings.client_id, &settings.vault) {
            (None, _) => Some("set TWITCH_CLIENT_ID (and TWITCH_CLIENT_SECRET)".to_string()),
            (_, None) => Some("no vault key (CLOAK_SECRET_KEY)".to_string()),
            _ => None,
        };
        let state = match &configured {
            Some(r) => TokenState::NotConfigured { reason: r.clone() },
            None => TokenState::NeedsLogin {
                reason: "not loaded yet".into(),
            },
        };
        Arc::new(Tokens {
            store,
            vault: settings.vault.clone(),
            oauth: OauthClient::new(settings),
            configured,
            client_id: settings.client_id.clone(),
            current: Mutex::new(None),
            rejected: std::sync::Mutex::new(None),
            state: watch::Sender::new(state),
            refreshes: AtomicU64::new(0),
        })
    }

    pub fn oauth(&self) -> &OauthClient {
        &self.oauth
    }

    pub fn state(&self) -> TokenState {
        self.state.borrow().clone()
    }

    pub fn watch(&self) -> watch::Receiver<TokenState> {
        self.state.subscribe()
    }

    /// Refreshes done since start (for tests and metrics).
    pub fn refreshes(&self) -> u64 {
        self.refreshes.load(Ordering::Relaxed)
    }

    fn valid_state(t: &TokenSet) -> TokenState {
        TokenState::Valid {
            expires_at: t.expires_at,
            scopes: t.scopes.clone(),
            user_id: t.user_id.clone(),
        }
    }

    fn vault(&self) -> Result<&Vault, TokenError> {
        self.vault
            .as_ref()
            .ok_or_else(|| TokenError::NotConfigured("no vault key (CLOAK_SECRET_KEY)".into()))
    }

    /// Read the stored pair. Never fails the hub: the outcome is the state.
    pub async fn load(&self) -> TokenState {
        if let Some(r) = &self.configured {
            return TokenState::NotConfigured { reason: r.clone() };
        }
        let mut cur = self.current.lock().await;
        let rejected = self
            .rejected
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let next = match self.read_row().await {
            Ok(Some(t)) if rejected.as_ref() == Some(&t.refresh_token) => {
                // Still the pair Twitch refused: keep saying so.
                self.state()
            }
            Ok(Some(t)) => {
                let s = Self::valid_state(&t);
                *cur = Some(t);
                s
            }
            Ok(None) => TokenState::NeedsLogin {
                reason: "no Twitch tokens stored: run `landale twitch login`".into(),
            },
            Err(TokenError::Vault(reason)) => TokenState::VaultError { reason },
            Err(e) => TokenState::NeedsLogin {
                reason: e.to_string(),
            },
        };
        // Logged once per change, not on every look for a new login.
        let changed =
            std::mem::discriminant(&*self.state.borrow()) != std::mem::discriminant(&next);
        if changed {
            match &next {
                TokenState::VaultError { reason } => tracing::error!("{reason}"),
                TokenState::NeedsLogin { reason } => tracing::warn!("{reason}"),
                TokenState::Valid { user_id, .. } => {
                    tracing::info!(user_id = ?user_id, "Twitch tokens loaded")
                }
                _ => {}
            }
        }
        // Watchers (EventSub, the status announcer) wake on a change only, not on
        // every look for a new login.
        self.state.send_if_modified(|s| {
            let differs = *s != next;
            if differs {
                *s = next.clone();
            }
            differs
        });
        next
    }

    async fn read_row(&self) -> Result<Option<TokenSet>, TokenError> {
        let Some(row) = self.store.get(SERVICE).await.map_err(TokenError::Store)? else {
            return Ok(None);
        };
        let vault = self.vault()?;
        let open = |v: &str| -> Result<String, TokenError> {
            if !row.encrypted {
                return Ok(v.to_string());
            }
            vault.decrypt(v).map_err(|e| {
                TokenError::Vault(format!(
                    "the stored Twitch tokens cannot be read: {e}. Set the CLOAK_SECRET_KEY that wrote them, or run `landale twitch login` again"
                ))
            })
        };
        Ok(Some(TokenSet {
            access_token: open(&row.access_token)?,
            refresh_token: row.refresh_token.as_deref().map(open).transpose()?,
            expires_at: row.expires_at.unwrap_or_else(Utc::now),
            scopes: row.scopes,
            user_id: row.user_id,
            client_id: row.client_id,
        }))
    }

    async fn write_row(&self, t: &TokenSet) -> Result<(), TokenError> {
        let vault = self.vault()?;
        let seal = |v: &str| {
            vault
                .encrypt(v)
                .map_err(|e| TokenError::Vault(e.to_string()))
        };
        let row = OauthRow {
            access_token: seal(&t.access_token)?,
            refresh_token: t.refresh_token.as_deref().map(seal).transpose()?,
            expires_at: Some(t.expires_at),
            scopes: t.scopes.clone(),
            user_id: t.user_id.clone(),
            client_id: t.client_id.clone(),
            encrypted: true,
        };
        self.store
            .put(SERVICE, &row)
            .await
            .map_err(TokenError::Store)
    }

    /// Store a new pair (a login or an upload) and use it from now on.
    pub async fn put(&self, mut t: TokenSet) -> Result<(), TokenError> {
        if let Some(r) = &self.configured {
            return Err(TokenError::NotConfigured(r.clone()));
        }
        if t.client_id.is_none() {
            t.client_id = self.client_id.clone();
        }
        let mut cur = self.current.lock().await;
        self.write_row(&t).await?;
        self.state.send_replace(Self::valid_state(&t));
        *cur = Some(t);
        Ok(())
    }

    /// A valid pair, refreshed first when it expires within 5 minutes.
    pub async fn access(&self) -> Result<TokenSet, TokenError> {
        let mut cur = self.current.lock().await;
        let t = self.usable(&cur)?;
        if t.expires_at - Utc::now() > REFRESH_BEFORE {
            return Ok(t);
        }
        self.refresh_locked(&mut cur, t).await
    }

    /// A call answered 401 with `failed_access`: refresh once (unless another caller
    /// already did) and return the pair to retry with.
    pub async fn after_unauthorized(&self, failed_access: &str) -> Result<TokenSet, TokenError> {
        let mut cur = self.current.lock().await;
        let t = self.usable(&cur)?;
        if t.access_token != failed_access {
            return Ok(t);
        }
        self.refresh_locked(&mut cur, t).await
    }

    fn usable(&self, cur: &Option<TokenSet>) -> Result<TokenSet, TokenError> {
        if let Some(r) = &self.configured {
            return Err(TokenError::NotConfigured(r.clone()));
        }
        match (cur, self.state()) {
            (_, TokenState::VaultError { reason }) => Err(TokenError::Vault(reason)),
            (_, TokenState::NeedsLogin { reason }) => Err(TokenError::NeedsLogin(reason)),
            (Some(t), _) => Ok(t.clone()),
            (None, _) => Err(TokenError::NeedsLogin("no Twitch tokens".into())),
        }
    }

    async fn refresh_locked(
        &self,
        cur: &mut tokio::sync::MutexGuard<'_, Option<TokenSet>>,
        old: TokenSet,
    ) -> Result<TokenSet, TokenError> {
        self.refreshes.fetch_add(1, Ordering::Relaxed);
        match self.oauth.refresh(&old).await {
            Ok(t) => {
                // Use the new pair at once (the old refresh token may be spent); a
                // failed write is logged, and the next validation writes it again.
                self.state.send_replace(Self::valid_state(&t));
                **cur = Some(t.clone());
                if let Err(e) = self.write_row(&t).await {
                    tracing::error!(error = %e, "storing the refreshed Twitch tokens failed; using them from memory");
                }
                tracing::info!(expires_at = %t.expires_at, "Twitch tokens refreshed");
                Ok(t)
            }
            Err(OauthError::RefreshRevoked(why)) => {
                *self.rejected.lock().unwrap_or_else(|e| e.into_inner()) =
                    Some(old.refresh_token.clone());
                let reason =
                    format!("Twitch refused the refresh token ({why}): run `landale twitch login`");
                tracing::error!("{reason}");
                self.state.send_replace(TokenState::NeedsLogin {
                    reason: reason.clone(),
                });
                **cur = None;
                Err(TokenError::NeedsLogin(reason))
            }
            Err(e) => {
                tracing::warn!(error = %e, "Twitch token refresh failed; will retry");
                self.state.send_replace(TokenState::Degraded {
                    reason: e.to_string(),
                    expires_at: old.expires_at,
                });
                Err(TokenError::Oauth(e))
            }
        }
    }

    /// A login written by another process (`landale twitch login` while the hub runs):
    /// when the stored refresh token differs from ours, the stored pair wins.
    pub async fn adopt_stored(&self) {
        let Ok(Some(stored)) = self.read_row().await else {
            return;
        };
        let mut cur = self.current.lock().await;
        if cur
            .as_ref()
            .is_some_and(|c| c.refresh_token != stored.refresh_token)
        {
            tracing::info!("a newer Twitch login was stored; using it");
            self.state.send_replace(Self::valid_state(&stored));
            *cur = Some(stored);
        }
    }

    /// Validate the current access token; a 401 refreshes once and validates again.
    /// Records the user id and scopes Twitch reports.
    pub async fn validate(&self) -> Result<Validation, TokenError> {
        let mut t = self.access().await?;
        let v = match self.oauth.validate(&t.access_token).await {
            Err(OauthError::InvalidToken) => {
                t = self.after_unauthorized(&t.access_token).await?;
                self.oauth.validate(&t.access_token).await
            }
            other => other,
        }
        .map_err(TokenError::Oauth)?;
        let mut cur = self.current.lock().await;
        // Only to the pair that was validated (a login may have replaced it meanwhile).
        if let Some(c) = cur.as_mut().filter(|c| c.access_token == t.access_token) {
            c.user_id = Some(v.user_id.clone());
            c.scopes = v.scopes.clone();
            c.client_id = Some(v.client_id.clone());
            let c = c.clone();
            self.write_row(&c).await?;
            self.state.send_replace(Self::valid_state(&c));
        }
        Ok(v)
    }

    /// The background duty: load, validate at start and hourly, refresh 5 minutes
    /// before expiry, and pick up a new login while logged out.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        if self.configured.is_some() {
            return;
        }
        self.load().await;
        let mut next_validate = tokio::time::Instant::now();
        // After a failed refresh: 60 s doubling to 1 h, +10 % jitter.
        let mut degraded_wait =
            Backoff::new(Duration::from_secs(60), Duration::from_secs(3600)).jitter(1.0, 1.1);
        loop {
            let wait = match self.state() {
                TokenState::Valid { expires_at, .. } | TokenState::Degraded { expires_at, .. } => {
                    let refresh_in = (expires_at - REFRESH_BEFORE - Utc::now())
                        .to_std()
                        .unwrap_or(Duration::ZERO);
                    let validate_in =
                        next_validate.saturating_duration_since(tokio::time::Instant::now());
                    if matches!(self.state(), TokenState::Degraded { .. }) {
                        degraded_wait.next_wait()
                    } else {
                        degraded_wait.reset();
                        // Wake at least every RELOAD_EVERY to adopt a newer login.
                        refresh_in.min(validate_in).min(RELOAD_EVERY)
                    }
                }
                _ => RELOAD_EVERY,
            };
            tokio::select! {
                _ = shutdown.changed() => return,
                _ = tokio::time::sleep(wait) => {}
            }
            match self.state() {
                TokenState::NeedsLogin { .. } | TokenState::VaultError { .. } => {
                    if matches!(self.load().await, TokenState::Valid { .. }) {
                        next_validate = tokio::time::Instant::now();
                    }
                }
                _ => {
                    self.adopt_stored().await;
                    if tokio::time::Instant::now() >= next_validate {
                        match self.validate().await {
                            Ok(_) => next_validate = tokio::time::Instant::now() + VALIDATE_EVERY,
                            Err(e) => {
                                tracing::warn!(error = %e, "Twitch token validation failed");
                                next_validate =
                                    tokio::time::Instant::now() + Duration::from_secs(60);
                            }
                        }
                    } else if let Err(e) = self.access().await {
                        tracing::warn!(error = %e, "Twitch token refresh failed");
                    }
                }
            }
        }
    }
}
