//! `/api/oauth/*`: Twitch token status, refresh and upload, on the original system's
//! paths and shapes. Status is a read (no token, and it never shows a token);
//! refresh and upload are controls. `/emotes/<id>`: a redirect to the emote's image
//! (`TWITCH_EMOTE_URL`), so overlays never hold Twitch's URL layout;
//! `/cheermotes/<prefix>/<bits>`: a redirect to the image of the tier a cheer reached
//! (404 when Twitch does not know the prefix or cannot be asked: the overlay then
//! shows the cheer without it).

use crate::cheermotes::Cheermotes;
use crate::oauth::TokenSet;
use crate::tokens::{TokenError, TokenState, Tokens};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use landale_core::http::{env_error, ApiError, ApiResult, Control};
use serde_json::{json, Value};
use std::sync::Arc;

/// The routes, with the token pair as their state.
pub fn routes(tokens: Arc<Tokens>, emote_url: String, cheermotes: Arc<Cheermotes>) -> Router {
    let emote_url: Arc<str> = emote_url.into();
    Router::new()
        .route("/api/oauth/status", get(status))
        .route("/api/oauth/refresh", post(refresh))
        .route("/api/oauth/upload", post(upload))
        .with_state(tokens)
        .route(
            "/emotes/{id}",
            get(
                move |axum::extract::Path(id): axum::extract::Path<String>| {
                    let base = emote_url.clone();
                    async move { emote(&base, &id) }
                },
            ),
        )
        .route(
            "/cheermotes/{prefix}/{bits}",
            get(cheermote).with_state(cheermotes),
        )
}

/// 302 to the tier's image, cached by the browser for an hour like the list.
async fn cheermote(
    State(cheermotes): State<Arc<Cheermotes>>,
    axum::extract::Path((prefix, bits)): axum::extract::Path<(String, u64)>,
) -> axum::response::Response {
    let plausible =
        (1..=32).contains(&prefix.len()) && prefix.bytes().all(|b| b.is_ascii_alphanumeric());
    let url = match plausible {
        true => cheermotes.image(&prefix, bits).await,
        false => None,
    };
    let Some(url) = url else {
        return StatusCode::NOT_FOUND.into_response();
    };
    (
        StatusCode::FOUND,
        [
            (axum::http::header::LOCATION, url),
            (
                axum::http::header::CACHE_CONTROL,
                "public, max-age=3600".to_string(),
            ),
        ],
    )
        .into_response()
}

/// 302 to the emote's dark-theme 2× image; 404 for an id that is not one.
fn emote(base: &str, id: &str) -> axum::response::Response {
    if !landale_protocol::event::is_emote_id(id) {
        return StatusCode::NOT_FOUND.into_response();
    }
    (
        StatusCode::FOUND,
        [
            (
                axum::http::header::LOCATION,
                format!("{base}/{id}/default/dark/2.0"),
            ),
            (
                axum::http::header::CACHE_CONTROL,
                "public, max-age=86400".to_string(),
            ),
        ],
    )
        .into_response()
}

/// `{connected, expires_at, valid}` as before, plus `state`, `reason`, `scopes`,
/// `user_id`. `state` is `valid`, `degraded`, `needs_login`, `vault_error` or
/// `not_configured`.
async fn status(State(tokens): State<Arc<Tokens>>) -> ApiResult {
    let st = tokens.state();
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

fn token_error(e: TokenError) -> ApiError {
    let code = match &e {
        TokenError::NotConfigured(_) => "not_configured",
        TokenError::NeedsLogin(_) => "needs_login",
        TokenError::Vault(_) => "vault_error",
        TokenError::Oauth(_) => "api_error",
        TokenError::Store(_) => "database_error",
    };
    env_error(code, &e.to_string(), None)
}

async fn refresh(State(tokens): State<Arc<Tokens>>, _control: Control) -> ApiResult {
    let t = tokens.access().await.map_err(token_error)?;
    tokens
        .after_unauthorized(&t.access_token)
        .await
        .map_err(token_error)?;
    Ok(Json(json!({"success": true})).into_response())
}

/// `{access_token, refresh_token, expires_in?, scope? (space-separated) | scopes?}`.
/// The pair is validated with Twitch before it is stored (a refused pair changes nothing).
async fn upload(
    State(tokens): State<Arc<Tokens>>,
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
    let pair = TokenSet {
        access_token: access.to_string(),
        refresh_token: Some(refresh.to_string()),
        expires_at: chrono::Utc::now() + chrono::Duration::seconds(expires_in),
        scopes,
        user_id: b["user_id"].as_str().map(str::to_owned),
        client_id: None,
    };
    // Check the pair with Twitch first: a bad upload must not replace a working login.
    let v = tokens
        .oauth()
        .validate(&pair.access_token)
        .await
        .map_err(|e| token_error(TokenError::Oauth(e)))?;
    let mut pair = pair;
    pair.user_id = Some(v.user_id);
    pair.scopes = v.scopes;
    pair.client_id = Some(v.client_id);
    tokens.put(pair).await.map_err(token_error)?;
    Ok(Json(json!({"success": true, "message": "Tokens stored successfully"})).into_response())
}
