//! `stream:overlays` and `stream:queue`, wired to the producer: the queue and
//! takeover controls, the alert settings (read; change, a control) and test alerts
//! (a control: a sample event through the pipeline, on air like a real one).
//! Takeover and `alert_settings` pushes reach `stream:overlays` only.

use super::{
    env_error, env_invalid, env_ok, envelope_pong, enveloped, integration_command, Channel, Ctx,
    Joined, Reply, UNAUTHORIZED,
};
use crate::hub::Hub;
use crate::producer::alert_settings::{sample_event, Update, MAX_TEST_AMOUNT};
use crate::producer::machine::TAKEOVER_DEFAULT_MS;
use crate::producer::{MAX_DURATION_MS, MAX_REPLAY};
use landale_core::{Input, Surface};
use serde_json::{json, Value};
use std::sync::Arc;

pub(crate) fn join_overlays(ctx: &Ctx<'_>, payload: &Value) -> Joined {
    let name = payload
        .get("overlay_type")
        .and_then(Value::as_str)
        .unwrap_or("Takeover");
    tracing::info!(
        overlay = name,
        socket = ctx.conn_id,
        "overlay joined stream:overlays"
    );
    let mut pushes = vec![
        ("branding", ctx.hub.producer.branding()),
        ("alert_settings", ctx.hub.producer.alert_settings()),
        ("stream_state", ctx.hub.producer.stream_state()),
    ];
    // A page loading in the middle of a takeover shows it for the time it has left.
    let takeover = ctx.hub.producer.takeover_push();
    if let Some(t) = &takeover {
        pushes.push(("takeover", t.clone()));
    }
    Joined {
        channel: Channel::StreamOverlays,
        // `takeover` (null when none is up) lets a page that rejoins after missing a
        // `takeover_clear` take its cover down: stream channels do not replay.
        response: json!({ "takeover": takeover }),
        pushes,
    }
}

pub(crate) fn join_queue(ctx: &Ctx<'_>) -> Joined {
    Joined {
        channel: Channel::StreamQueue,
        response: json!({}),
        pushes: vec![("queue_state", ctx.hub.producer.queue_state())],
    }
}

const CONTROL: &[&str] = landale_protocol::schema::STREAM_CONTROLS;

/// Largest `force_content` data (serialised).
const MAX_OVERRIDE_DATA_BYTES: usize = 1024;

/// The message a takeover shows when the dashboard sends none.
fn default_message(kind: &str) -> Option<&'static str> {
    match kind {
        "technical-difficulties" => Some("Technical difficulties: back in a moment"),
        "please-stand-by" => Some("Please stand by"),
        _ => None,
    }
}

const TAKEOVER_TYPES: &[&str] = &[
    "technical-difficulties",
    "screen-cover",
    "please-stand-by",
    "custom",
];

pub(crate) async fn handle_in(ctx: &Ctx<'_>, event: &str, payload: Value) -> Reply {
    if CONTROL.contains(&event) && !ctx.authorized {
        return env_error("unauthorized", UNAUTHORIZED);
    }
    let producer = &ctx.hub.producer;
    match event {
        "ping" => envelope_pong(),
        "request_state" => {
            ctx.push("stream_state", &producer.stream_state());
            Reply::None
        }
        "request_queue_state" => {
            ctx.push("queue_state", &producer.queue_state());
            Reply::None
        }
        other => match command(ctx.hub, other, &payload).await {
            Some(reply) => reply,
            None => integration_command(ctx, Surface::Stream, other, &payload, enveloped)
                .unwrap_or_else(|| {
                    tracing::debug!(event = other, "stream channel ignores unknown command");
                    Reply::None
                }),
        },
    }
}

/// The reads [`command`] answers besides the controls (`STREAM_CONTROLS`).
const READS: &[&str] = &["get_alert_settings", "get_branding"];

/// The queue, takeover and look commands, the same from the socket and from
/// `POST /api/stream/{command}` (a Stream Deck, the desktop app); `None` for a command
/// that is not one of them. The caller has checked the token for controls.
pub(crate) async fn command(hub: &Arc<Hub>, event: &str, payload: &Value) -> Option<Reply> {
    if !(CONTROL.contains(&event) || READS.contains(&event)) {
        return None;
    }
    Some(run(hub, event, payload).await)
}

/// One of [`command`]'s commands.
async fn run(hub: &Arc<Hub>, event: &str, payload: &Value) -> Reply {
    let producer = &hub.producer;
    let str_field = |k: &str| {
        payload
            .get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    match event {
        "remove_queue_item" => match str_field("id") {
            None => env_error("validation_failed", "Missing required field: id"),
            Some(id) if producer.remove(id) => {
                env_ok(json!({"operation": "item_removed", "id": id}))
            }
            Some(id) => env_error("not_found", &format!("No queue item with id {id}")),
        },
        "force_content" => {
            let (Some(kind), Some(data), Some(duration)) = (
                str_field("type"),
                payload.get("data"),
                payload.get("duration").and_then(Value::as_u64),
            ) else {
                return env_error(
                    "validation_failed",
                    "force_content needs type (string), data and duration (ms)",
                );
            };
            if duration == 0 || duration > MAX_DURATION_MS {
                return env_error(
                    "validation_failed",
                    "duration must be 1 ms to 24 h (in milliseconds)",
                );
            }
            // The override joins the state every broadcast carries: keep it small and
            // within the pipeline's string rules, or `stream.state_updated` would refuse.
            let size = data.to_string().len();
            if !data.is_object() || size > MAX_OVERRIDE_DATA_BYTES {
                return env_error(
                    "validation_failed",
                    &format!("data must be a map of at most {MAX_OVERRIDE_DATA_BYTES} bytes (got {size})"),
                );
            }
            if let Err(errors) = crate::pipeline::validate::validate("stream.manual_override", data)
            {
                let detail: Vec<String> = errors
                    .iter()
                    .map(|(f, m)| format!("{f}: {}", m.join(", ")))
                    .collect();
                return env_error("validation_failed", &format!("data: {}", detail.join("; ")));
            }
            if kind.len() > 50 {
                return env_error("validation_failed", "type must be at most 50 characters");
            }
            match producer.force_content(kind, data.clone(), duration) {
                Some(id) => env_ok(json!({"operation": "override_sent", "type": kind, "id": id})),
                None => env_error(
                    "queue_full",
                    "The alert queue is full of higher-priority items; the override was dropped",
                ),
            }
        }
        "takeover" => {
            let Some(kind) = str_field("type") else {
                return env_error("validation_failed", "Missing required field: type");
            };
            if !TAKEOVER_TYPES.contains(&kind) {
                return env_error(
                    "validation_failed",
                    &format!(
                        "Unknown takeover type {kind:?}: use {}",
                        TAKEOVER_TYPES.join(", ")
                    ),
                );
            }
            let message = str_field("message").or(default_message(kind));
            if message.is_none() && kind == "custom" {
                return env_error("validation_failed", "Missing required field: message");
            }
            let duration = match payload.get("duration") {
                None | Some(Value::Null) => TAKEOVER_DEFAULT_MS,
                Some(v) => match v.as_u64() {
                    Some(d) if d <= MAX_DURATION_MS => d,
                    _ => {
                        return env_error(
                            "validation_failed",
                            "duration must be 0 (until cleared) to 24 h, in milliseconds",
                        )
                    }
                },
            };
            let data = json!({"takeover_type": kind, "message": message, "duration": duration});
            match hub
                .pipeline
                .ingest(Input::new("stream.takeover_started", data))
            {
                Ok(_) => env_ok(json!({"operation": "takeover_sent", "type": kind})),
                Err(e) => Reply::Error(landale_protocol::envelope::error(
                    "validation_failed",
                    &e.to_string(),
                    None,
                    &landale_core::ids::now_iso(),
                )),
            }
        }
        "takeover_clear" => match hub
            .pipeline
            .ingest(Input::new("stream.takeover_cleared", json!({})))
        {
            Ok(_) => env_ok(json!({"operation": "takeover_cleared"})),
            Err(_) => env_error("internal_error", "takeover_clear could not be published"),
        },
        "pause_queue" => {
            let changed = producer.pause();
            env_ok(json!({"operation": "queue_paused", "changed": changed}))
        }
        "resume_queue" => {
            let changed = producer.resume();
            env_ok(json!({"operation": "queue_resumed", "changed": changed}))
        }
        "skip_current" => match producer.skip() {
            Some(id) => env_ok(json!({"operation": "item_skipped", "id": id})),
            None => env_error("not_found", "The alert queue is empty"),
        },
        "clear_queue" => {
            let n = producer.clear();
            env_ok(json!({"operation": "queue_cleared", "removed": n}))
        }
        "replay_alerts" => {
            let count = match payload.get("count") {
                None | Some(Value::Null) => 1,
                Some(v) => match v.as_u64() {
                    Some(n) if (1..=MAX_REPLAY as u64).contains(&n) => n as usize,
                    _ => {
                        return env_error(
                            "validation_failed",
                            &format!("count must be 1 to {MAX_REPLAY}"),
                        )
                    }
                },
            };
            let ids = producer.replay(count);
            env_ok(json!({"operation": "alerts_replayed", "ids": ids, "count": ids.len()}))
        }
        "get_alert_settings" => env_ok(producer.alert_settings()),
        "get_branding" => env_ok(producer.branding()),
        "update_branding" => {
            let changes = payload.get("changes").cloned().unwrap_or(Value::Null);
            let media = &hub.media;
            let is_image = |n: &str| media.exists(n) && crate::store::media::is_image(n);
            match producer
                .update_branding(&hub.store, &changes, is_image)
                .await
            {
                Ok(b) => env_ok(json!({"operation": "branding_updated", "branding": b})),
                Err(Update::Invalid(fields)) => env_invalid("Branding not changed", &fields),
                Err(Update::Store(e)) => env_error(
                    "service_unavailable",
                    &format!("could not store the branding: {e}"),
                ),
            }
        }
        "update_alert_settings" => {
            let Some(kind) = str_field("type") else {
                return env_error(
                    "validation_failed",
                    "Missing required field: type (the alert type)",
                );
            };
            let reset = payload.get("reset") == Some(&Value::Bool(true));
            let changes = payload.get("changes").cloned().unwrap_or(Value::Null);
            let media = &hub.media;
            match producer
                .update_alert_settings(&hub.store, kind, &changes, reset, |n| media.exists(n))
                .await
            {
                Ok(all) => env_ok(
                    json!({"operation": "alert_settings_updated", "type": kind, "settings": all}),
                ),
                Err(Update::Invalid(fields)) => env_invalid("Alert settings not changed", &fields),
                Err(Update::Store(e)) => env_error(
                    "service_unavailable",
                    &format!("could not store the settings: {e}"),
                ),
            }
        }
        "test_alert" => {
            let kind = str_field("type").unwrap_or("");
            let amount = match payload.get("amount") {
                None | Some(Value::Null) => None,
                Some(v) => match v.as_u64() {
                    Some(n) if (1..=MAX_TEST_AMOUNT).contains(&n) => Some(n),
                    _ => {
                        return env_error(
                            "validation_failed",
                            &format!("amount must be 1 to {MAX_TEST_AMOUNT}"),
                        )
                    }
                },
            };
            let user = str_field("user");
            if user.is_some_and(|u| u.chars().count() > 25) {
                return env_error(
                    "validation_failed",
                    "user: at most 25 characters (a Twitch name)",
                );
            }
            let message = str_field("message");
            let Some((event_type, data)) = sample_event(kind, user, amount, message) else {
                return env_error(
                    "validation_failed",
                    &format!(
                        "type: one of {}",
                        crate::producer::alert_settings::STYLES.join(", ")
                    ),
                );
            };
            match hub.pipeline.ingest(Input::new(event_type, data)) {
                Ok(_) => env_ok(
                    json!({"operation": "test_alert_sent", "type": kind, "event_type": event_type}),
                ),
                Err(e) => env_error("validation_failed", &e.to_string()),
            }
        }
        _ => Reply::None,
    }
}
