//! `/api/oauth/*` (reference §11.6): Twitch token status, refresh and upload.
//! Status is a read (no token, and it never shows a token); refresh and upload are
//! controls.

use super::{env_error, ApiResult, Control};
use crate::hub::Hub;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use landale_twitch::oauth::TokenSet;
use landale_twitch::tokens::{TokenError, TokenState};
use serde_json::{json, Value};
use std::sync::Arc;

/// `{connected, expires_at, valid}` as before, plus `state`, `reason`, `scopes`,
/// `user_id`. `state` is `valid`, `degraded`, `needs_login`, `vault_error` or
/// `not_configured`.
pub(crate) async fn status(State(hub): State<Arc<Hub>>) -> ApiResult {
    let st = hub.twitch_tokens.state();
    let mut body = serde_json::to_value(&st).unwrap_or(Value::Null);
    let (connected, expires_at) = match &st {
        TokenState::Valid { expires_at, .. } | TokenState::Degraded { expires_at, .. } => {
            (true, Some(*expires_at))
        }
        _ => (false, None),
    };
    body["connected"] = json!(connected);
    if let Some(e) = expires_at {
        body["expires_at"] = json!(e.to_rfc3339());
        body["valid"] = json!(e > chrono::Utc::now());
    }
    Ok(Json(body).into_response())
}

fn token_error(e: TokenError) -> super::ApiError {
    let code = match &e {
        TokenError::NotConfigured(_) => "not_configured",
        TokenError::NeedsLogin(_) => "needs_login",
        TokenError::Vault(_) => "vault_error",
        TokenError::Oauth(_) => "api_error",
        TokenError::Store(_) => "database_error",
    };
    env_error(code, &e.to_string(), None)
}

pub(crate) async fn refresh(State(hub): State<Arc<Hub>>, _control: Control) -> ApiResult {
    let t = hub.twitch_tokens.access().await.map_err(token_error)?;
    hub.twitch_tokens
        .after_unauthorized(&t.access_token)
        .await
        .map_err(token_error)?;
    Ok(Json(json!({"success": true})).into_response())
}

/// `{access_token, refresh_token, expires_in?, scope? (space-separated) | scopes?}`.
/// The pair is validated with Twitch before it is stored (a refused pair changes nothing).
pub(crate) async fn upload(
    State(hub): State<Arc<Hub>>,
    _control: Control,
    body: Option<Json<Value>>,
) -> ApiResult {
    let b = body.map(|Json(b)| b).unwrap_or(Value::Null);
    let (Some(access), Some(refresh)) = (b["access_token"].as_str(), b["refresh_token"].as_str())
    else {
        return Ok((
            StatusCode::BAD_REQUEST,
            Json(json!({"success": false, "error": "Missing required fields: access_token and refresh_token"})),
        )
            .into_response());
    };
    let scopes: Vec<String> = match (&b["scopes"], &b["scope"]) {
        (Value::Array(a), _) | (_, Value::Array(a)) => a
            .iter()
            .filter_map(|s| s.as_str().map(str::to_owned))
            .collect(),
        (_, Value::String(s)) => s.split_whitespace().map(str::to_owned).collect(),
        _ => vec![],
    };
    let expires_in = b["expires_in"].as_i64().unwrap_or(3600);
    let tokens = TokenSet {
        access_token: access.to_string(),
        refresh_token: Some(refresh.to_string()),
        expires_at: chrono::Utc::now() + chrono::Duration::seconds(expires_in),
        scopes,
        user_id: b["user_id"].as_str().map(str::to_owned),
        client_id: None,
    };
    // Check the pair with Twitch first: a bad upload must not replace a working login.
    let v = hub
        .twitch_tokens
        .oauth()
        .validate(&tokens.access_token)
        .await
        .map_err(|e| token_error(TokenError::Oauth(e)))?;
    let mut tokens = tokens;
    tokens.user_id = Some(v.user_id);
    tokens.scopes = v.scopes;
    tokens.client_id = Some(v.client_id);
    hub.twitch_tokens.put(tokens).await.map_err(token_error)?;
    Ok(Json(json!({"success": true, "message": "Tokens stored successfully"})).into_response())
}
