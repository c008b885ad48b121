//! The WebSocket API described for clients (`/api/websocket/schema`), generated from
//! this crate's tables: the channel families below, the `events:<filter>` table, the
//! push-name functions of [`crate::topic`] and the event [`crate::catalogue`]. Nothing
//! here is written twice: a new event type or push name shows up by itself.
//!
//! The reference served this by reflection and its examples put `ref` before
//! `join_ref`; the v2 order is `[join_ref, ref, topic, event, payload]`.

use crate::catalogue::CATALOGUE;
use crate::topic::{dashboard_push_name, events_push_name, overlay_push_name, EventFilter};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// `stream:overlays` commands that need the token.
pub const STREAM_CONTROLS: &[&str] = &[
    "remove_queue_item",
    "force_content",
    "takeover",
    "takeover_clear",
    "pause_queue",
    "resume_queue",
    "skip_current",
    "clear_queue",
    "replay_alerts",
    "update_alert_settings",
    "test_alert",
    "update_branding",
];

/// One channel family as documented.
pub struct Family {
    pub module: &'static str,
    pub topic: &'static str,
    pub description: &'static str,
    pub join_params: &'static [&'static str],
    /// Client → hub events (controls marked in `controls`).
    pub inbound: &'static [&'static str],
    pub controls: &'static [&'static str],
    /// Hub → client pushes that are not unified events.
    pub pushes: &'static [&'static str],
}

pub const FAMILIES: &[Family] = &[
    Family {
        module: "events",
        topic: "events:<filter>",
        description: "Unified hub events, filtered (see `filters`); replay with last_seq",
        join_params: &["last_seq"],
        inbound: &["ping"],
        controls: &[],
        pushes: &[],
    },
    Family {
        module: "dashboard",
        topic: "dashboard:<room>",
        description: "The dashboard: connection and service events, shouts between dashboards, integration commands (obs:*, rainwave:*)",
        join_params: &["last_seq"],
        inbound: &["ping", "shout", "obs:get_status", "obs:reconnect", "rainwave:get_status", "rainwave:set_enabled", "rainwave:set_station", "rainwave:config", "ironmon:status", "ironmon:run"],
        controls: &["obs:reconnect", "rainwave:set_enabled", "rainwave:set_station", "rainwave:config"],
        pushes: &["initial_state", "shout"],
    },
    Family {
        module: "services",
        topic: "dashboard:services",
        description: "Every machine's processes (nurvus) with start, stop, restart and logs",
        join_params: &[],
        inbound: &["ping", "start", "stop", "restart", "get_logs", "get_status"],
        controls: &["start", "stop", "restart"],
        pushes: &["fleet_update", "service_starting", "service_stopping", "service_restarting"],
    },
    Family {
        module: "overlay",
        topic: "overlay:<type>",
        description: "Read-only mirror of REST for overlays: status, layer mappings, IronMON history and run, Rainwave",
        join_params: &[],
        inbound: &["ping", "system:status", "system:services", "get_layer_mappings", "ironmon:challenges", "ironmon:checkpoints", "ironmon:checkpoint_stats", "ironmon:recent_results", "ironmon:active_challenge", "ironmon:status", "ironmon:run", "rainwave:status", "twitch:status"],
        controls: &[],
        pushes: &["initial_state"],
    },
    Family {
        module: "stream",
        topic: "stream:overlays",
        description: "What overlays show: the producer's state, the alert queue, takeovers, branding, alert settings",
        join_params: &["overlay_type"],
        inbound: &["ping", "request_state", "request_queue_state", "remove_queue_item", "force_content", "takeover", "takeover_clear", "pause_queue", "resume_queue", "skip_current", "clear_queue", "replay_alerts", "get_alert_settings", "update_alert_settings", "test_alert", "get_branding", "update_branding", "get_channel_info", "search_categories", "update_channel_info"],
        controls: STREAM_CONTROLS,
        pushes: &["stream_state", "queue_state", "show_changed", "interrupt", "content_update", "takeover", "takeover_clear", "branding", "alert_settings"],
    },
    Family {
        module: "queue",
        topic: "stream:queue",
        description: "The alert queue alone",
        join_params: &[],
        inbound: &["ping", "request_queue_state"],
        controls: &[],
        pushes: &["queue_state"],
    },
    Family {
        module: "transcription",
        topic: "transcription:live | transcription:session:<id>",
        description: "Live captions (finals and partials); replay with last_seq",
        join_params: &["last_seq"],
        inbound: &["ping", "get_recent", "get_session_transcriptions", "submit_transcription", "partial_transcription"],
        controls: &["submit_transcription", "partial_transcription"],
        pushes: &["new_transcription", "partial_transcription"],
    },
];

const FILTERS: &[&str] = &[
    "all",
    "twitch",
    "obs",
    "ironmon",
    "system",
    "rainwave",
    "stream",
    "seed",
    "music",
    "chat",
    "goals",
    "interactions",
    "dashboard",
];

const OVERLAY_TYPES: &[&str] = &["obs", "twitch", "ironmon", "music", "system"];

fn sorted(set: BTreeSet<&'static str>) -> Vec<&'static str> {
    set.into_iter().collect()
}

fn family(f: &Family) -> Value {
    let mut v = json!({
        "module": f.module, "topic": f.topic, "description": f.description,
        "join_params": f.join_params, "inbound": f.inbound, "controls": f.controls,
        "pushes": f.pushes,
    });
    match f.module {
        "events" => {
            v["filters"] = FILTERS
                .iter()
                .map(|name| {
                    let filter = EventFilter::parse(name);
                    let types: Vec<&str> = CATALOGUE
                        .iter()
                        .filter(|t| filter.matches(t.name, t.source))
                        .map(|t| t.name)
                        .collect();
                    let pushes: BTreeSet<&str> = CATALOGUE
                        .iter()
                        .filter(|t| filter.matches(t.name, t.source))
                        .map(|t| events_push_name(t.name, t.source))
                        .collect();
                    json!({"filter": name, "event_types": types, "pushes": sorted(pushes)})
                })
                .collect();
        }
        "dashboard" => {
            let pushes: BTreeSet<&str> = CATALOGUE
                .iter()
                .filter(|t| EventFilter::Dashboard.matches(t.name, t.source))
                .filter_map(|t| dashboard_push_name(t.name, t.source))
                .collect();
            v["event_pushes"] = json!(sorted(pushes));
        }
        "overlay" => {
            v["types"] = OVERLAY_TYPES
                .iter()
                .map(|ty| {
                    let pushes: BTreeSet<&str> = CATALOGUE
                        .iter()
                        .filter_map(|t| overlay_push_name(ty, t.source))
                        .collect();
                    json!({"type": ty, "event_pushes": sorted(pushes)})
                })
                .collect();
        }
        _ => {}
    }
    v
}

/// Every channel family.
pub fn channels() -> Vec<Value> {
    FAMILIES.iter().map(family).collect()
}

/// One family by its module name (`events`, `stream`, ...).
pub fn channel(module: &str) -> Option<Value> {
    FAMILIES.iter().find(|f| f.module == module).map(family)
}

/// Example frames in both serialisations.
pub fn examples() -> Value {
    json!({
        "v2": {
            "order": ["join_ref", "ref", "topic", "event", "payload"],
            "join": ["1", "1", "events:all", "phx_join", {"last_seq": 1200}],
            "reply": ["1", "1", "events:all", "phx_reply", {"status": "ok", "response": {"seq": 1234}}],
            "push": [null, null, "events:all", "follower", {"type": "channel.follow", "seq": 1235, "user_name": "Ada"}],
            "heartbeat": [null, "2", "phoenix", "heartbeat", {}],
        },
        "v1": {
            "join": {"topic": "events:all", "event": "phx_join", "payload": {}, "ref": "1"},
            "push": {"topic": "events:all", "event": "follower", "payload": {"type": "channel.follow"}, "ref": null},
        },
    })
}

/// The whole document.
pub fn document() -> Value {
    json!({
        "version": crate::envelope::SERVER_VERSION,
        "endpoint": "/socket/websocket",
        "serializers": {"1.0.0": "JSON objects {topic, event, payload, ref}",
                        "2.0.0": "JSON arrays [join_ref, ref, topic, event, payload]; binary frames for audio"},
        "auth": "socket param `token` for controls; reads need none (loopback trusted unless LANDALE_TRUST_LOOPBACK=false)",
        "channels": channels(),
        "event_types": CATALOGUE.iter().map(|t| json!({"type": t.name, "source": t.source.as_str(), "stored": t.storable,
                                                       "eventsub": t.eventsub.map(|s| s.version)})).collect::<Vec<_>>(),
        "examples": examples(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_follows_the_tables() {
        let d = document();
        let events = channel("events").unwrap();
        let chat = events["filters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["filter"] == "chat")
            .unwrap();
        assert!(chat["pushes"]
            .as_array()
            .unwrap()
            .contains(&json!("chat_message")));
        assert!(chat["event_types"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t.as_str().unwrap().starts_with("channel.chat.")));
        let ironmon = channel("overlay").unwrap()["types"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["type"] == "ironmon")
            .cloned()
            .unwrap();
        assert_eq!(ironmon["event_pushes"], json!(["ironmon_event"]));
        assert_eq!(d["event_types"].as_array().unwrap().len(), CATALOGUE.len());
        assert_eq!(d["examples"]["v2"]["order"][0], "join_ref");
        assert!(channel("nope").is_none());
    }
}
