//! `id.twitch.tv/oauth2`: device code, token (device code, refresh, authorization
//! code), validate, revoke, authorize. Errors in Twitch's shape:
//! `{"status": 400, "message": "..."}`.

use crate::state::{random_token, Device, FakeTwitch};
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;

pub fn routes() -> Router<FakeTwitch> {
    Router::new()
        .route("/oauth2/device", post(device))
        .route("/oauth2/token", post(token))
        .route("/oauth2/validate", get(validate))
        .route("/oauth2/revoke", post(revoke))
        .route("/oauth2/authorize", get(authorize))
}

pub(crate) fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({"status": status.as_u16(), "message": message})),
    )
        .into_response()
}

fn scopes(s: Option<&String>) -> Vec<String> {
    s.map(|s| s.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default()
}

async fn device(
    State(fake): State<FakeTwitch>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    if f.get("client_id") != Some(&fake.config().client_id) {
        return error(StatusCode::BAD_REQUEST, "invalid client");
    }
    let device_code = random_token(40);
    let user_code = random_token(8).to_uppercase();
    fake.state().devices.insert(
        device_code.clone(),
        Device {
            user_code: user_code.clone(),
            scopes: scopes(f.get("scopes")),
            polls: 0,
            approved: false,
        },
    );
    let verify = format!(
        "http://{}/activate?public=true&device-code={user_code}",
        fake.addr()
    );
    Json(json!({
        "device_code": device_code, "expires_in": 1800, "interval": 1,
        "user_code": user_code, "verification_uri": verify,
    }))
    .into_response()
}

/// A fresh pair (the fake always rotates the refresh token; Twitch may or may not).
fn tokens_body(fake: &FakeTwitch, scopes: Vec<String>) -> Response {
    let (access, refresh) = fake.issue(scopes.clone());
    Json(json!({
        "access_token": access, "refresh_token": refresh,
        "expires_in": fake.config().token_ttl.as_secs(), "scope": scopes, "token_type": "bearer",
    }))
    .into_response()
}

async fn token(State(fake): State<FakeTwitch>, Form(f): Form<HashMap<String, String>>) -> Response {
    let cfg = fake.config().clone();
    if f.get("client_id") != Some(&cfg.client_id) {
        return error(StatusCode::BAD_REQUEST, "invalid client");
    }
    match f.get("grant_type").map(String::as_str) {
        Some("urn:ietf:params:oauth:grant-type:device_code") => {
            let code = f.get("device_code").cloned().unwrap_or_default();
            let grant = {
                let mut s = fake.state();
                let Some(d) = s.devices.get_mut(&code) else {
                    return error(StatusCode::BAD_REQUEST, "invalid device code");
                };
                d.polls += 1;
                if cfg.auto_approve && d.polls >= 2 {
                    d.approved = true;
                }
                if !d.approved {
                    return error(StatusCode::BAD_REQUEST, "authorization_pending");
                }
                s.devices.remove(&code)
            };
            let scopes = grant.map(|d| d.scopes).unwrap_or_default();
            tokens_body(&fake, scopes)
        }
        Some("refresh_token") => {
            if f.get("client_secret") != Some(&cfg.client_secret) {
                return error(StatusCode::BAD_REQUEST, "invalid client secret");
            }
            let old = f.get("refresh_token").cloned().unwrap_or_default();
            let scopes = {
                let mut s = fake.state();
                s.refreshes += 1;
                match s.refresh.get(&old) {
                    Some((scopes, true)) => {
                        let scopes = scopes.clone();
                        s.refresh.remove(&old);
                        scopes
                    }
                    _ => return error(StatusCode::BAD_REQUEST, "Invalid refresh token"),
                }
            };
            tokens_body(&fake, scopes)
        }
        Some("authorization_code") => {
            if f.get("client_secret") != Some(&cfg.client_secret) {
                return error(StatusCode::BAD_REQUEST, "invalid client secret");
            }
            let code = f.get("code").cloned().unwrap_or_default();
            // One use only, and only with the redirect_uri it was issued for.
            let Some((scopes, redirect)) = fake.state().codes.remove(&code) else {
                return error(StatusCode::BAD_REQUEST, "Invalid authorization code");
            };
            if f.get("redirect_uri") != Some(&redirect) {
                return error(
                    StatusCode::BAD_REQUEST,
                    "Parameter redirect_uri does not match registered URI",
                );
            }
            tokens_body(&fake, scopes)
        }
        _ => error(StatusCode::BAD_REQUEST, "unsupported grant type"),
    }
}

/// `Authorization: OAuth <token>` (Twitch also accepts `Bearer` here).
pub(crate) fn bearer(headers: &HeaderMap) -> Option<String> {
    let v = headers.get("authorization")?.to_str().ok()?;
    v.strip_prefix("OAuth ")
        .or_else(|| v.strip_prefix("Bearer "))
        .map(str::to_owned)
}

async fn validate(State(fake): State<FakeTwitch>, headers: HeaderMap) -> Response {
    fake.state().validations += 1;
    let Some(t) = bearer(&headers).and_then(|a| fake.check(&a)) else {
        return error(StatusCode::UNAUTHORIZED, "invalid access token");
    };
    let cfg = fake.config();
    Json(json!({
        "client_id": cfg.client_id, "login": cfg.login, "scopes": t.scopes, "user_id": cfg.user_id,
        "expires_in": (t.expires_at - chrono::Utc::now()).num_seconds().max(0),
    }))
    .into_response()
}

async fn revoke(
    State(fake): State<FakeTwitch>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let token = f.get("token").cloned().unwrap_or_default();
    let mut s = fake.state();
    let hit = s.tokens.remove(&token).is_some() | s.refresh.remove(&token).is_some();
    if hit {
        StatusCode::OK.into_response()
    } else {
        error(StatusCode::BAD_REQUEST, "Invalid token")
    }
}

#[derive(Deserialize)]
struct Authorize {
    client_id: Option<String>,
    response_type: Option<String>,
    redirect_uri: String,
    state: Option<String>,
    scope: Option<String>,
}

/// The user approves at once (or denies, when scripted): Twitch sends the browser
/// back to `redirect_uri` with a one-time code, or with `error=access_denied`.
async fn authorize(State(fake): State<FakeTwitch>, Query(q): Query<Authorize>) -> Response {
    if q.client_id.as_deref() != Some(fake.config().client_id.as_str()) {
        return error(StatusCode::BAD_REQUEST, "invalid client");
    }
    if q.response_type.as_deref() != Some("code") {
        return error(StatusCode::BAD_REQUEST, "unsupported response_type");
    }
    let scopes: Vec<String> = q
        .scope
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let mut back = match query_start(&q.redirect_uri) {
        Some(u) => u,
        None => {
            return error(
                StatusCode::BAD_REQUEST,
                "Parameter redirect_uri does not match registered URI",
            )
        }
    };
    let deny = std::mem::take(&mut fake.state().deny_next_authorization);
    if deny {
        back.push_str("error=access_denied&error_description=The+user+denied+you+access");
    } else {
        let code = random_token(30);
        back.push_str(&format!("code={code}&scope={}", encode(&scopes.join(" "))));
        fake.state()
            .codes
            .insert(code, (scopes, q.redirect_uri.clone()));
    }
    if let Some(s) = q.state {
        back.push_str(&format!("&state={}", encode(&s)));
    }
    Redirect::to(&back).into_response()
}

/// `uri` ready for query parameters to be appended (`?` or `&`), if it is http(s).
fn query_start(uri: &str) -> Option<String> {
    if !(uri.starts_with("http://") || uri.starts_with("https://")) {
        return None;
    }
    Some(if uri.contains('?') {
        format!("{uri}&")
    } else {
        format!("{uri}?")
    })
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
