//! Calls to Twitch's OAuth server (`TWITCH_AUTH_URL`): device code, token polling,
//! refresh, validate, revoke, code exchange. Every request has a timeout; errors
//! carry Twitch's own message. Tokens never appear in errors or logs.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(15);

/// A token pair as Twitch hands it out. `Debug` shows no token.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenSet {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_at: DateTime<Utc>,
    pub scopes: Vec<String>,
    pub user_id: Option<String>,
    pub client_id: Option<String>,
}

impl std::fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSet")
            .field("expires_at", &self.expires_at)
            .field("scopes", &self.scopes)
            .field("user_id", &self.user_id)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum OauthError {
    #[error("TWITCH_CLIENT_ID is not set")]
    NoClientId,
    #[error("TWITCH_CLIENT_SECRET is not set (refreshing tokens needs it)")]
    NoClientSecret,
    /// The refresh token was revoked or expired: a new login is needed.
    #[error("Twitch refused the refresh token ({0}): run `landale twitch login`")]
    RefreshRevoked(String),
    /// The access token is not valid (401 from validate).
    #[error("Twitch says the access token is invalid")]
    InvalidToken,
    #[error("Twitch OAuth answered {status}: {message}")]
    Twitch { status: u16, message: String },
    #[error("cannot reach Twitch OAuth at {0}")]
    Network(String),
}

#[derive(Debug, Clone, Deserialize)]
pub struct DeviceCode {
    pub device_code: String,
    pub user_code: String,
    pub verification_uri: String,
    pub interval: u64,
    pub expires_in: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Validation {
    pub client_id: String,
    pub login: Option<String>,
    pub user_id: String,
    pub scopes: Vec<String>,
    pub expires_in: Option<i64>,
}

pub enum Poll {
    Pending,
    Done(TokenSet),
}

#[derive(Clone)]
pub struct OauthClient {
    http: reqwest::Client,
    base: String,
    client_id: Option<String>,
    client_secret: Option<String>,
}

#[derive(Deserialize)]
struct TokenBody {
    access_token: String,
    refresh_token: Option<String>,
    expires_in: Option<i64>,
    #[serde(default)]
    scope: Option<Value>,
}

fn scopes_of(v: Option<Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a
            .into_iter()
            .filter_map(|s| s.as_str().map(str::to_owned))
            .collect(),
        Some(Value::String(s)) => s.split_whitespace().map(str::to_owned).collect(),
        _ => vec![],
    }
}

impl OauthClient {
    pub fn new(settings: &super::TwitchSettings) -> OauthClient {
        OauthClient {
            http: reqwest::Client::builder()
                .timeout(TIMEOUT)
                .build()
                .unwrap_or_default(),
            base: settings.auth_url.trim_end_matches('/').to_string(),
            client_id: settings.client_id.clone(),
            client_secret: settings.client_secret.clone(),
        }
    }

    fn client_id(&self) -> Result<&str, OauthError> {
        self.client_id.as_deref().ok_or(OauthError::NoClientId)
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> Result<(u16, Value), OauthError> {
        let url = format!("{}/{path}", self.base);
        let r = self
            .http
            .post(&url)
            .form(form)
            .send()
            .await
            .map_err(|e| OauthError::Network(format!("{url}: {}", e.without_url())))?;
        let status = r.status().as_u16();
        let body = r.json::<Value>().await.unwrap_or(Value::Null);
        Ok((status, body))
    }

    fn twitch_error(status: u16, body: &Value) -> OauthError {
        OauthError::Twitch {
            status,
            message: body["message"].as_str().unwrap_or("no message").to_string(),
        }
    }

    fn tokens(&self, b: TokenBody) -> TokenSet {
        TokenSet {
            access_token: b.access_token,
            refresh_token: b.refresh_token,
            expires_at: Utc::now() + chrono::Duration::seconds(b.expires_in.unwrap_or(3600)),
            scopes: scopes_of(b.scope),
            user_id: None,
            client_id: self.client_id.clone(),
        }
    }

    /// The address the user opens for the authorization code flow.
    pub fn authorize_url(
        &self,
        redirect_uri: &str,
        scopes: &[&str],
        state: &str,
    ) -> Result<String, OauthError> {
        let url = reqwest::Url::parse_with_params(
            &format!("{}/authorize", self.base),
            &[
                ("response_type", "code"),
                ("client_id", self.client_id()?),
                ("redirect_uri", redirect_uri),
                ("scope", &scopes.join(" ")),
                ("state", state),
            ],
        )
        .map_err(|e| OauthError::Twitch {
            status: 0,
            message: format!("TWITCH_AUTH_URL is not a URL: {e}"),
        })?;
        Ok(url.to_string())
    }

    /// Start the device code flow.
    pub async fn device(&self, scopes: &[&str]) -> Result<DeviceCode, OauthError> {
        let scopes = scopes.join(" ");
        let (status, body) = self
            .post(
                "device",
                &[("client_id", self.client_id()?), ("scopes", &scopes)],
            )
            .await?;
        if status != 200 {
            return Err(Self::twitch_error(status, &body));
        }
        serde_json::from_value(body).map_err(|e| OauthError::Twitch {
            status,
            message: format!("unexpected device answer: {e}"),
        })
    }

    /// One poll of the device flow.
    pub async fn poll(&self, device_code: &str, scopes: &[&str]) -> Result<Poll, OauthError> {
        let scopes = scopes.join(" ");
        let (status, body) = self
            .post(
                "token",
                &[
                    ("client_id", self.client_id()?),
                    ("scopes", &scopes),
                    ("device_code", device_code),
                    ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ],
            )
            .await?;
        if status == 400 && body["message"] == "authorization_pending" {
            return Ok(Poll::Pending);
        }
        if status != 200 {
            return Err(Self::twitch_error(status, &body));
        }
        let b: TokenBody = serde_json::from_value(body).map_err(|e| OauthError::Twitch {
            status,
            message: format!("unexpected token answer: {e}"),
        })?;
        Ok(Poll::Done(self.tokens(b)))
    }

    /// Exchange an authorization code (the local-redirect login).
    pub async fn exchange(&self, code: &str, redirect_uri: &str) -> Result<TokenSet, OauthError> {
        let secret = self
            .client_secret
            .as_deref()
            .ok_or(OauthError::NoClientSecret)?;
        let (status, body) = self
            .post(
                "token",
                &[
                    ("client_id", self.client_id()?),
                    ("client_secret", secret),
                    ("code", code),
                    ("grant_type", "authorization_code"),
                    ("redirect_uri", redirect_uri),
                ],
            )
            .await?;
        if status != 200 {
            return Err(Self::twitch_error(status, &body));
        }
        let b: TokenBody = serde_json::from_value(body).map_err(|e| OauthError::Twitch {
            status,
            message: format!("unexpected token answer: {e}"),
        })?;
        Ok(self.tokens(b))
    }

    /// Refresh. A 400 means the refresh token is gone (revoked, expired, used).
    pub async fn refresh(&self, old: &TokenSet) -> Result<TokenSet, OauthError> {
        let refresh = old
            .refresh_token
            .as_deref()
            .ok_or_else(|| OauthError::RefreshRevoked("no refresh token stored".into()))?;
        let mut form = vec![
            ("client_id", self.client_id()?),
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
        ];
        // Public clients (the device flow's usual kind) refresh without a secret.
        if let Some(secret) = self.client_secret.as_deref() {
            form.push(("client_secret", secret));
        }
        let (status, body) = self.post("token", &form).await?;
        let message = body["message"].as_str().unwrap_or("refused").to_string();
        // Only Twitch's own verdict on the refresh token means a new login; a wrong
        // client id or secret is a setting to fix, reported as such.
        if (status == 400 || status == 401) && message.to_lowercase().contains("refresh token") {
            return Err(OauthError::RefreshRevoked(message));
        }
        if status != 200 {
            return Err(Self::twitch_error(status, &body));
        }
        let b: TokenBody = serde_json::from_value(body).map_err(|e| OauthError::Twitch {
            status,
            message: format!("unexpected token answer: {e}"),
        })?;
        let mut t = self.tokens(b);
        if t.refresh_token.is_none() {
            t.refresh_token = old.refresh_token.clone();
        }
        t.user_id = old.user_id.clone();
        Ok(t)
    }

    /// `GET /validate` (Twitch asks apps to do this at start and hourly).
    pub async fn validate(&self, access_token: &str) -> Result<Validation, OauthError> {
        let url = format!("{}/validate", self.base);
        let r = self
            .http
            .get(&url)
            .header("authorization", format!("OAuth {access_token}"))
            .send()
            .await
            .map_err(|e| OauthError::Network(format!("{url}: {}", e.without_url())))?;
        let status = r.status().as_u16();
        let body = r.json::<Value>().await.unwrap_or(Value::Null);
        match status {
            200 => serde_json::from_value(body).map_err(|e| OauthError::Twitch {
                status,
                message: format!("unexpected validate answer: {e}"),
            }),
            401 => Err(OauthError::InvalidToken),
            _ => Err(Self::twitch_error(status, &body)),
        }
    }

    pub async fn revoke(&self, token: &str) -> Result<(), OauthError> {
        let (status, body) = self
            .post(
                "revoke",
                &[("client_id", self.client_id()?), ("token", token)],
            )
            .await?;
        if status == 200 {
            Ok(())
        } else {
            Err(Self::twitch_error(status, &body))
        }
    }
}
