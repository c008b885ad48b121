//! Twitch: the token vault, OAuth, EventSub over WebSocket and Helix.
//! Base URLs are settings (`TWITCH_AUTH_URL`, `TWITCH_API_URL`, `TWITCH_EVENTSUB_URL`)
//! so the whole integration runs against the local fake Twitch in tests and demos.

pub mod cheermotes;
pub mod eventsub;
pub mod helix;
pub mod http;
mod integration;
pub mod login;
pub mod oauth;
pub mod settings;
pub mod subscriptions;
pub mod tokens;

pub use integration::Twitch;
pub use settings::{TwitchArgs, TwitchSettings};

use landale_core::ServiceStatus;

/// Scopes `landale twitch login` asks for: the original system's, plus what the
/// catalogue's EventSub subscriptions need.
pub const SCOPES: &[&str] = &[
    "bits:read",
    "channel:bot",
    "channel:edit:commercial",
    "channel:manage:ads",
    "channel:manage:broadcast",
    "channel:manage:redemptions",
    "channel:manage:videos",
    "channel:read:ads",
    "channel:read:charity",
    "channel:read:goals",
    "channel:read:hype_train",
    "channel:read:polls",
    "channel:read:predictions",
    "channel:read:redemptions",
    "channel:read:subscriptions",
    "channel:read:vips",
    "chat:edit",
    "chat:read",
    "clips:edit",
    "moderator:manage:announcements",
    "moderator:read:banned_users",
    "moderator:read:chat_settings",
    "moderator:read:followers",
    "moderator:read:moderators",
    "moderator:read:shield_mode",
    "moderator:read:shoutouts",
    "user:bot",
    "user:read:chat",
    "user:write:chat",
];

/// Twitch's state: the token and the EventSub session. Working (`connected`) means
/// a session whose token is usable: `healthy`, or `degraded` while subscriptions are
/// retried; a token that needs a new login is not working.
pub fn service_status(tokens: &tokens::Tokens, eventsub: &eventsub::EventSub) -> ServiceStatus {
    status_of(tokens, &eventsub.status())
}

fn status_of(tokens: &tokens::Tokens, es: &eventsub::Status) -> ServiceStatus {
    use tokens::TokenState;
    let (status, reason) = match tokens.state() {
        TokenState::NotConfigured { reason } => ("not_configured", Some(reason)),
        TokenState::NeedsLogin { reason } => ("needs_login", Some(reason)),
        TokenState::VaultError { reason } => ("vault_error", Some(reason)),
        TokenState::Degraded { reason, .. } => ("degraded", Some(reason)),
        TokenState::Valid { .. }
            if es.state == "ready" && es.subscription_count > 0 && es.failed.is_empty() =>
        {
            ("healthy", None)
        }
        TokenState::Valid { .. } => ("degraded", es.last_error.clone()),
    };
    ServiceStatus {
        connected: es.connected && matches!(status, "healthy" | "degraded"),
        status: status.into(),
        error: reason.or_else(|| es.last_error.clone()),
    }
}

/// `reason` is the token's or the session's word on a state that is not healthy.
fn reason_of(s: &ServiceStatus) -> Option<&str> {
    (s.status != "healthy")
        .then_some(s.error.as_deref())
        .flatten()
}

/// The `twitch` entry of `/api/health` and the `twitch:status` reply: the state, why,
/// and the EventSub session.
pub fn summary(tokens: &tokens::Tokens, eventsub: &eventsub::EventSub) -> serde_json::Value {
    let es = eventsub.status();
    let s = status_of(tokens, &es);
    serde_json::json!({
        "connected": es.connected,
        "status": s.status,
        "reason": reason_of(&s),
        "eventsub": es,
    })
}

/// The `twitch` entry of `system:status` and the dashboard's telemetry, in the
/// reference shape: `{connected: true, status}` or `{connected: false, error}`, plus
/// the subscription counts `system:services` adds.
pub fn service_entry(tokens: &tokens::Tokens, eventsub: &eventsub::EventSub) -> serde_json::Value {
    let es = eventsub.status();
    let s = status_of(tokens, &es);
    let mut entry = s.entry();
    entry["status"] = s.status.clone().into();
    if s.connected {
        entry["reason"] = reason_of(&s).into();
    }
    entry["subscriptions"] = serde_json::json!({
        "total_subscriptions": es.subscription_count + es.failed.len(),
        "enabled_subscriptions": es.subscription_count,
    });
    entry["eventsub"] = serde_json::to_value(&es).unwrap_or_default();
    entry
}

/// The `twitch` entry of `/api/control/tokens`: whether a usable token is held, when
/// it expires and its scopes (never the token itself).
pub fn token_entry(tokens: &tokens::Tokens) -> serde_json::Value {
    use tokens::TokenState;
    let st = tokens.state();
    let (valid, expires_at, scopes, user_id) = match &st {
        TokenState::Valid {
            expires_at,
            scopes,
            user_id,
        } => (
            *expires_at > chrono::Utc::now(),
            Some(expires_at.to_rfc3339()),
            scopes.clone(),
            user_id.clone(),
        ),
        TokenState::Degraded { expires_at, .. } => {
            (false, Some(expires_at.to_rfc3339()), vec![], None)
        }
        _ => (false, None, vec![], None),
    };
    let reason = match &st {
        TokenState::NotConfigured { reason }
        | TokenState::NeedsLogin { reason }
        | TokenState::VaultError { reason }
        | TokenState::Degraded { reason, .. } => Some(reason.clone()),
        TokenState::Valid { .. } => None,
    };
    serde_json::json!({
        "service": "twitch", "connected": valid, "token_valid": valid, "expires_at": expires_at,
        "scopes": scopes, "user_id": user_id, "reason": reason,
    })
}
