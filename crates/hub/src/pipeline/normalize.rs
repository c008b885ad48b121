//! Step 2 of the pipeline: turn a validated body into a flat [`Event`]: the type's
//! own fields at the top level, beside the envelope's.
//!
//! Rule: nothing is lost. Every top-level field of the body is kept; the reference's
//! derived fields (e.g. a chat message's `user_*`, `emotes`, `reply_*`) are added; a
//! nested map is replaced only by flat fields that carry all of its content. A body
//! field whose name is an envelope key (`id`, `type`, ...) is renamed, so the event's
//! `type` is always the event type (goal events expose `goal_type`).

use landale_core::ids::{now_iso, random_hex};
use landale_core::Envelope;
use landale_protocol::event::ENVELOPE_KEYS;
use landale_protocol::{Event, Source};
use serde_json::{Map, Value};

use super::validate::is_datetime;

/// Per-hub normalisation settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// A chat emote whose text starts with this prefix is the channel's own ("native").
    pub emote_prefix: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            emote_prefix: "avalon".into(),
        }
    }
}

/// What a body's `id` becomes for a type.
fn id_field(t: &str) -> &'static str {
    match t {
        "stream.online" => "stream_id",
        _ if t.starts_with("channel.goal.") => "goal_id",
        _ if t.starts_with("channel.poll.") => "poll_id",
        _ if t.starts_with("channel.prediction.") => "prediction_id",
        _ if t.starts_with("channel.channel_points_custom_reward_redemption.") => "redemption_id",
        _ if t.starts_with("channel.channel_points_custom_reward.") => "reward_id",
        "channel.charity_campaign.donate" => "donation_id",
        _ if t.starts_with("channel.charity_campaign.") => "campaign_id",
        _ if t.starts_with("channel.hype_train.") => "hype_train_id",
        _ => "object_id",
    }
}

/// What a body's `type` becomes for a type.
fn type_field(t: &str) -> &'static str {
    match t {
        "stream.online" => "stream_type",
        _ if t.starts_with("channel.goal.") => "goal_type",
        _ if t.starts_with("channel.hype_train.") => "hype_train_type",
        _ => "object_type",
    }
}

/// Build the event. `data` has passed [`super::validate::validate`].
pub fn normalize(
    event_type: &str,
    data: Map<String, Value>,
    env: Envelope,
    opts: &Options,
) -> Event {
    let mut f = data;

    // Envelope-key collisions first, so type rules see the renamed fields.
    for key in ENVELOPE_KEYS {
        if let Some(v) = f.remove(key) {
            let new_key = match key {
                "id" => id_field(event_type).to_string(),
                "type" => type_field(event_type).to_string(),
                other => format!("object_{other}"),
            };
            if !f.contains_key(&new_key) {
                f.insert(new_key, v);
            }
        }
    }

    type_rules(event_type, &mut f, opts);

    // Datetime-looking fields: valid ones stay as sent, unparsable ones become null.
    for (k, v) in f.iter_mut() {
        if k.ends_with("_at") {
            if let Value::String(s) = v {
                if !is_datetime(s) {
                    *v = Value::Null;
                }
            }
        }
    }

    Event {
        id: env.id.unwrap_or_else(|| format!("evt_{}", random_hex(24))),
        kind: event_type.to_string(),
        timestamp: now_iso(),
        correlation_id: env.correlation_id.unwrap_or_else(|| random_hex(8)),
        // `validate` refuses a type from no known family, so there is always a source.
        source: landale_protocol::catalogue::source_of(event_type).unwrap_or(Source::System),
        source_id: env.source_id,
        raw_type: event_type.to_string(),
        seq: 0,
        fields: f,
    }
}

fn default(f: &mut Map<String, Value>, key: &str, v: Value) {
    match f.get(key) {
        None | Some(Value::Null) => {
            f.insert(key.to_string(), v);
        }
        _ => {}
    }
}

fn copy(f: &mut Map<String, Value>, from: &str, to: &str) {
    if !f.contains_key(to) {
        let v = f.get(from).cloned().unwrap_or(Value::Null);
        f.insert(to.to_string(), v);
    }
}

/// Replace a nested map `key` by `key_<sub>` fields; `main` (if given) becomes `key` itself.
fn flatten_map(f: &mut Map<String, Value>, key: &str, main: Option<&str>) {
    if let Some(Value::Object(inner)) = f.get(key).cloned() {
        f.remove(key);
        for (k, v) in inner {
            if Some(k.as_str()) == main {
                f.insert(key.to_string(), v);
            } else {
                f.insert(format!("{key}_{k}"), v);
            }
        }
    }
}

fn type_rules(t: &str, f: &mut Map<String, Value>, opts: &Options) {
    match t {
        "channel.subscribe" | "channel.subscription.end" => {
            default(f, "is_gift", Value::Bool(false))
        }
        "channel.subscription.gift" | "channel.cheer" => {
            default(f, "is_anonymous", Value::Bool(false))
        }
        "channel.update" => default(f, "content_classification_labels", Value::Array(vec![])),
        "channel.goal.begin" => default(f, "current_amount", Value::from(0)),
        "channel.goal.end" => default(f, "is_achieved", Value::Bool(false)),
        "channel.subscription.message" => {
            if let Some(Value::Object(m)) = f.remove("message") {
                f.insert(
                    "message".into(),
                    m.get("text").cloned().unwrap_or(Value::Null),
                );
                f.insert(
                    "message_emotes".into(),
                    m.get("emotes").cloned().unwrap_or(Value::Null),
                );
            }
        }
        "channel.chat.message" => chat_message(f, opts),
        "channel.chat.notification" => {
            copy(f, "notice_type", "notification_type");
            if let Some(Value::Object(m)) = f.remove("message") {
                f.insert(
                    "message".into(),
                    m.get("text").cloned().unwrap_or(Value::Null),
                );
                f.insert(
                    "fragments".into(),
                    m.get("fragments").cloned().unwrap_or(Value::Null),
                );
            }
        }
        "channel.charity_campaign.donate" => {
            flatten_map(f, "amount", Some("value"));
            broadcaster_aliases(f);
        }
        "channel.charity_campaign.progress"
        | "channel.charity_campaign.start"
        | "channel.charity_campaign.stop" => {
            flatten_map(f, "current_amount", Some("value"));
            flatten_map(f, "target_amount", Some("value"));
            broadcaster_aliases(f);
        }
        "obs.connection_established" => default(f, "connection_state", "connected".into()),
        "obs.connection_lost" => default(f, "connection_state", "disconnected".into()),
        "obs.scene_changed" => copy(f, "sceneName", "scene_name"),
        "obs.stream_started" | "obs.stream_stopped" => {
            copy(f, "outputState", "output_state");
            let active = t == "obs.stream_started";
            default(
                f,
                "stream_status",
                (if active { "active" } else { "inactive" }).into(),
            );
            default(f, "output_active", Value::Bool(active));
        }
        "obs.recording_started" | "obs.recording_stopped" => {
            copy(f, "outputState", "output_state");
            let active = t == "obs.recording_started";
            default(
                f,
                "recording_status",
                (if active { "active" } else { "inactive" }).into(),
            );
            default(f, "output_active", Value::Bool(active));
        }
        "obs.websocket_event" => {
            copy(f, "eventType", "event_type");
            copy(f, "eventData", "raw_data");
        }
        "ironmon.run_started" | "ironmon.run_checkpoint" | "ironmon.run_ended" => {
            copy(f, "seed_id", "run_id")
        }
        "rainwave.update" | "rainwave.song_changed" => {
            if let Some(Value::Object(song)) = f.remove("current_song") {
                for (k, v) in song {
                    let key = match k.as_str() {
                        "id" => "song_id".to_string(),
                        "title" => "song_title".to_string(),
                        _ => k,
                    };
                    f.entry(key).or_insert(v);
                }
            }
        }
        "system.service_started" | "system.service_stopped" | "system.health_check" => {
            copy(f, "service", "service_name");
            match t {
                "system.service_started" => default(f, "service_status", "started".into()),
                "system.service_stopped" => default(f, "service_status", "stopped".into()),
                _ => flatten_map(f, "details", None),
            }
        }
        "system.performance_metric" => {
            copy(f, "metric", "metric_name");
            copy(f, "value", "metric_value");
            copy(f, "unit", "metric_unit");
            flatten_map(f, "metadata", None);
        }
        _ => {}
    }
}

/// Charity events name the broadcaster `broadcaster_id`; add the usual names too.
fn broadcaster_aliases(f: &mut Map<String, Value>) {
    for (from, to) in [
        ("broadcaster_id", "broadcaster_user_id"),
        ("broadcaster_login", "broadcaster_user_login"),
        ("broadcaster_name", "broadcaster_user_name"),
    ] {
        if f.contains_key(from) {
            copy(f, from, to);
        }
    }
}

fn chat_message(f: &mut Map<String, Value>, opts: &Options) {
    copy(f, "chatter_user_id", "user_id");
    copy(f, "chatter_user_login", "user_login");
    copy(f, "chatter_user_name", "user_name");

    let (mut emotes, mut native) = (Vec::new(), Vec::new());
    // Each emote's Twitch id, so overlays can draw it (`/emotes/<id>`).
    let mut ids = Map::new();
    if let Some(Value::Object(m)) = f.remove("message") {
        let fragments = m.get("fragments").cloned().unwrap_or(Value::Array(vec![]));
        if let Value::Array(items) = &fragments {
            for frag in items {
                if frag.get("type").and_then(Value::as_str) == Some("emote") {
                    if let Some(text) = frag.get("text").and_then(Value::as_str) {
                        if let Some(id) = frag
                            .get("emote")
                            .and_then(|e| e.get("id"))
                            .and_then(Value::as_str)
                            .filter(|id| landale_protocol::event::is_emote_id(id))
                        {
                            ids.insert(text.to_string(), Value::from(id));
                        }
                        if !opts.emote_prefix.is_empty() && text.starts_with(&opts.emote_prefix) {
                            native.push(Value::from(text));
                        } else {
                            emotes.push(Value::from(text));
                        }
                    }
                }
            }
        }
        f.insert(
            "message".into(),
            m.get("text").cloned().unwrap_or(Value::Null),
        );
        f.insert("fragments".into(), fragments);
    }
    f.insert("emotes".into(), Value::Array(emotes));
    f.insert("native_emotes".into(), Value::Array(native));
    f.insert("emote_ids".into(), Value::Object(ids));

    let cheer = f.remove("cheer");
    f.insert(
        "cheer_bits".into(),
        cheer
            .as_ref()
            .and_then(|c| c.get("bits"))
            .cloned()
            .unwrap_or(Value::Null),
    );

    let reply = f.remove("reply");
    for part in ["parent", "thread"] {
        for field in ["message_id", "user_id", "user_login", "user_name"] {
            let v = reply
                .as_ref()
                .and_then(|r| r.get(format!("{part}_{field}")))
                .cloned();
            f.insert(format!("reply_{part}_{field}"), v.unwrap_or(Value::Null));
        }
    }
    let body = reply
        .as_ref()
        .and_then(|r| r.get("parent_message_body"))
        .cloned();
    f.insert(
        "reply_parent_message_body".into(),
        body.unwrap_or(Value::Null),
    );
    for key in [
        "color",
        "badges",
        "message_type",
        "channel_points_custom_reward_id",
        "source_broadcaster_user_id",
        "source_broadcaster_user_login",
        "source_broadcaster_user_name",
        "source_message_id",
        "source_badges",
    ] {
        default(f, key, Value::Null);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn norm(t: &str, v: Value) -> Event {
        normalize(
            t,
            v.as_object().unwrap().clone(),
            Envelope::default(),
            &Options::default(),
        )
    }

    #[test]
    fn envelope_fields() {
        let e = norm("channel.follow", json!({"user_login": "alice"}));
        assert!(e.id.starts_with("evt_") && e.id.len() == 28);
        assert_eq!(e.correlation_id.len(), 8);
        assert_eq!(e.source, Source::Twitch);
        assert_eq!(e.raw_type, "channel.follow");
        assert!(e.timestamp.ends_with('Z'));
        assert_eq!(e.str_field("user_login"), Some("alice"));
    }

    #[test]
    fn goal_keeps_its_event_type() {
        let e = norm(
            "channel.goal.progress",
            json!({"id": "g1", "type": "follower", "current_amount": 3}),
        );
        assert_eq!(e.kind, "channel.goal.progress");
        assert_eq!(e.str_field("goal_type"), Some("follower"));
        assert_eq!(e.str_field("goal_id"), Some("g1"));
    }

    #[test]
    fn chat_message_is_flattened() {
        let e = norm(
            "channel.chat.message",
            json!({
                "message_id": "m1", "broadcaster_user_id": "1", "chatter_user_id": "2",
                "chatter_user_login": "bob", "chatter_user_name": "Bob",
                "message": {"text": "hi avalonHYPE Kappa", "fragments": [
                    {"type": "text", "text": "hi "},
                    {"type": "emote", "text": "avalonHYPE", "emote": {"id": "emotesv2_abc123"}},
                    {"type": "emote", "text": "Kappa", "emote": {"id": "25"}},
                    {"type": "emote", "text": "Evil", "emote": {"id": "../../x"}}]},
                "reply": {"parent_message_id": "p", "parent_message_body": "yo", "parent_user_id": "3",
                          "parent_user_login": "c", "parent_user_name": "C", "thread_message_id": "t",
                          "thread_user_id": "3", "thread_user_login": "c", "thread_user_name": "C"},
                "cheer": {"bits": 5}
            }),
        );
        assert_eq!(e.str_field("message"), Some("hi avalonHYPE Kappa"));
        assert_eq!(e.field("emotes"), Some(&json!(["Kappa", "Evil"])));
        // Ids kept for drawing the emotes; one that is not an id is left out.
        assert_eq!(
            e.field("emote_ids"),
            Some(&json!({"avalonHYPE": "emotesv2_abc123", "Kappa": "25"}))
        );
        assert_eq!(e.field("native_emotes"), Some(&json!(["avalonHYPE"])));
        assert_eq!(e.str_field("user_login"), Some("bob"));
        assert_eq!(e.str_field("reply_parent_message_body"), Some("yo"));
        assert_eq!(e.str_field("reply_thread_user_name"), Some("C"));
        assert_eq!(e.field("cheer_bits"), Some(&json!(5)));
        assert_eq!(
            e.field("fragments").and_then(Value::as_array).map(Vec::len),
            Some(4)
        );
    }

    #[test]
    fn unknown_types_keep_the_whole_body_flat() {
        let e = norm(
            "channel.brand_new",
            json!({"id": "x", "a": 1, "nested": {"b": 2}}),
        );
        assert_eq!(e.field("object_id"), Some(&json!("x")));
        assert_eq!(e.field("a"), Some(&json!(1)));
        assert_eq!(e.field("nested"), Some(&json!({"b": 2})));
        assert!(e.field("raw_data").is_none());
    }

    #[test]
    fn bad_datetimes_become_null() {
        let e = norm(
            "channel.follow",
            json!({"followed_at": "nope", "ok_at": "2026-01-01T00:00:00Z"}),
        );
        assert_eq!(e.field("followed_at"), Some(&Value::Null));
        assert_eq!(e.str_field("ok_at"), Some("2026-01-01T00:00:00Z"));
    }

    #[test]
    fn charity_amounts() {
        let e = norm(
            "channel.charity_campaign.donate",
            json!({"id": "d", "broadcaster_id": "1", "amount": {"value": 500, "decimal_places": 2, "currency": "USD"}}),
        );
        assert_eq!(e.field("amount"), Some(&json!(500)));
        assert_eq!(e.str_field("amount_currency"), Some("USD"));
        assert_eq!(e.str_field("broadcaster_user_id"), Some("1"));
        assert_eq!(e.str_field("donation_id"), Some("d"));
    }
}
