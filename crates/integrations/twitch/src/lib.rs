//! Twitch: the token vault, OAuth, EventSub over WebSocket and Helix.
//! Base URLs are settings (`TWITCH_AUTH_URL`, `TWITCH_API_URL`, `TWITCH_EVENTSUB_URL`)
//! so the whole integration runs against the local fake Twitch in tests and demos.

pub mod eventsub;
pub mod helix;
pub mod login;
pub mod oauth;
pub mod settings;
pub mod tokens;
pub mod vault;

pub use settings::{TwitchArgs, TwitchSettings};

/// Scopes `landale twitch login` asks for (reference §9.3, plus what the EventSub
/// subscriptions of §9.1 need).
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

/// The `twitch` entry of `/api/health` and `system:status`: the token and the
/// EventSub session, with what to do when something is wrong.
pub fn summary(tokens: &tokens::Tokens, eventsub: &eventsub::EventSub) -> serde_json::Value {
    use tokens::TokenState;
    let es = eventsub.status();
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
    serde_json::json!({
        "connected": es.connected,
        "status": status,
        "reason": reason,
        "eventsub": es,
    })
}

/// The `twitch` entry of `system:status` and the dashboard's telemetry, in the
/// reference shape: `{connected: true, status}` or `{connected: false, error}`, plus
/// the subscription counts `system:services` adds.
pub fn service_entry(tokens: &tokens::Tokens, eventsub: &eventsub::EventSub) -> serde_json::Value {
    let s = summary(tokens, eventsub);
    let es = eventsub.status();
    let subscriptions = serde_json::json!({
        "total_subscriptions": es.subscription_count + es.failed.len(),
        "enabled_subscriptions": es.subscription_count,
    });
    // Connected means working: a session whose token needs a new login is not.
    if s["connected"] == true && (s["status"] == "healthy" || s["status"] == "degraded") {
        serde_json::json!({"connected": true, "status": s["status"], "reason": s["reason"],
            "subscriptions": subscriptions, "eventsub": s["eventsub"]})
    } else {
        let error = s["reason"]
            .as_str()
            .map(str::to_owned)
            .or(es.last_error)
            .unwrap_or_else(|| "not connected".into());
        serde_json::json!({"connected": false, "status": s["status"], "error": error, "subscriptions": subscriptions,
            "eventsub": s["eventsub"]})
    }
}
