//! Twitch as the hub sees every integration: the token pair, Helix and EventSub
//! started together, reported on as one service, its `/api/oauth/*` routes mounted,
//! and its commands answered (`twitch:status` for overlays; channel info and
//! categories on the stream channels).

use crate::cheermotes::Cheermotes;
use crate::eventsub::EventSub;
use crate::helix::Helix;
use crate::tokens::{TokenStore, Tokens};
use crate::{http, TwitchSettings};
use landale_core::integration::{answer, command, Caller, Command, CommandError, Surface};
use landale_core::{Ingest, Integration, ServiceStatus};
use serde_json::{json, Value};
use std::sync::Arc;
use tokio::sync::watch;

/// Twitch for one hub. Each part is off (and says so) while `TWITCH_CLIENT_ID` is unset.
pub struct Twitch {
    /// The token pair: vault, validation, refresh.
    pub tokens: Arc<Tokens>,
    /// Helix calls (channel info, categories, goals) with the rate-limit rules.
    pub helix: Arc<Helix>,
    /// EventSub over WebSocket: Twitch's notifications into `ingest`.
    pub eventsub: Arc<EventSub>,
    /// Where `/emotes/<id>` sends overlays for an emote's image.
    pub emote_url: String,
    /// Where `/cheermotes/<prefix>/<bits>` finds a cheer's image.
    pub cheermotes: Arc<Cheermotes>,
}

impl Twitch {
    /// Build the parts and load the stored login (nothing runs until `start`).
    pub async fn new(
        settings: &TwitchSettings,
        store: Arc<dyn TokenStore>,
        ingest: Arc<dyn Ingest>,
    ) -> Arc<Twitch> {
        let tokens = Tokens::new(settings, store);
        tokens.load().await;
        let helix = Helix::new(settings, tokens.clone());
        let eventsub = EventSub::new(settings, tokens.clone(), helix.clone(), ingest);
        Arc::new(Twitch {
            tokens,
            cheermotes: Cheermotes::new(helix.clone()),
            helix,
            eventsub,
            emote_url: settings.emote_url.clone(),
        })
    }
}

impl Integration for Twitch {
    fn name(&self) -> &'static str {
        "twitch"
    }

    fn start(self: Arc<Self>, shutdown: watch::Receiver<bool>) {
        tokio::spawn(self.tokens.clone().run(shutdown.clone()));
        tokio::spawn(self.eventsub.clone().run(shutdown.clone()));
        tokio::spawn(self.eventsub.clone().follow_tokens(shutdown));
    }

    fn service_status(&self) -> ServiceStatus {
        crate::service_status(&self.tokens, &self.eventsub)
    }

    fn health(&self) -> Value {
        crate::summary(&self.tokens, &self.eventsub)
    }

    fn system_entry(&self) -> Value {
        crate::service_entry(&self.tokens, &self.eventsub)
    }

    fn telemetry_entry(&self) -> Option<Value> {
        Some(self.system_entry())
    }

    fn overlay_initial(&self) -> Value {
        if self.service_status().connected {
            json!({"connected": true, "status": self.health()})
        } else {
            json!({"connected": false})
        }
    }

    fn routes(self: Arc<Self>) -> axum::Router {
        http::routes(
            self.tokens.clone(),
            self.emote_url.clone(),
            self.cheermotes.clone(),
        )
        .merge(crate::subscriptions::routes(self.clone()))
    }

    fn command(
        self: Arc<Self>,
        surface: Surface,
        event: &str,
        payload: &Value,
        caller: &Caller,
    ) -> Option<Command> {
        match (surface, event) {
            (Surface::Overlay, "twitch:status") => Some(answer(Ok(self.health()))),
            (Surface::Stream, _) => stream(self, event, payload, caller),
            _ => None,
        }
    }
}

fn helix_error(e: crate::helix::HelixError) -> CommandError {
    CommandError::new(e.code(), e.to_string())
}

/// `stream:*`: the dashboard's channel-info form (reads, and the update, a control).
fn stream(twitch: Arc<Twitch>, event: &str, payload: &Value, caller: &Caller) -> Option<Command> {
    let helix = twitch.helix.clone();
    match event {
        "get_channel_info" => Some(command(async move {
            helix.channel_info().await.map_err(helix_error)
        })),
        "search_categories" => {
            let q = payload
                .get("query")
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|q| !q.is_empty() && q.len() <= 100);
            let Some(q) = q.map(str::to_owned) else {
                return Some(answer(Err(CommandError::new(
                    "validation_failed",
                    "query: 1 to 100 characters",
                ))));
            };
            Some(command(async move {
                helix.search_categories(&q).await.map_err(helix_error)
            }))
        }
        "update_channel_info" => {
            if !caller.authorized {
                return Some(answer(Err(CommandError::unauthorized())));
            }
            let changes = match channel_changes(payload) {
                Ok(c) => c,
                Err(m) => return Some(answer(Err(CommandError::new("validation_failed", m)))),
            };
            Some(command(async move {
                helix.update_channel(&changes).await.map_err(helix_error)?;
                Ok(json!({"operation": "channel_updated", "changes": changes}))
            }))
        }
        _ => None,
    }
}

/// The fields of `update_channel_info` Helix's Modify Channel Information takes,
/// checked; anything else is refused by name.
fn channel_changes(payload: &Value) -> Result<Value, String> {
    let Some(obj) = payload.as_object() else {
        return Err("expected an object of fields to change".into());
    };
    let mut out = serde_json::Map::new();
    for (k, v) in obj {
        let ok = match k.as_str() {
            "title" => v.as_str().is_some_and(|t| !t.trim().is_empty() && t.chars().count() <= 140),
            "game_id" => v.as_str().is_some_and(|g| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit())),
            "broadcaster_language" => v.as_str().is_some_and(|l| {
                l == "other" || (l.len() == 2 && l.bytes().all(|b| b.is_ascii_lowercase()))
            }),
            "delay" => v.as_u64().is_some_and(|d| d <= 900),
            "tags" => v.as_array().is_some_and(|t| t.len() <= 10 && t.iter().all(|x| x.as_str().is_some_and(|s| !s.is_empty() && s.chars().count() <= 25))),
            "is_branded_content" | "branded_content" => v.is_boolean(),
            other => return Err(format!("{other}: not a channel field (title, game_id, broadcaster_language, delay, tags, is_branded_content)")),
        };
        if !ok {
            return Err(format!("{k}: invalid value"));
        }
        let key = if k == "branded_content" {
            "is_branded_content"
        } else {
            k.as_str()
        };
        out.insert(key.to_string(), v.clone());
    }
    if out.is_empty() {
        return Err("no fields to change".into());
    }
    Ok(Value::Object(out))
}
