//! `dashboard:services`: a proxy to nurvus at `NURVUS_URL`
//! (the `landale-nurvus` client).
//! Commands run asynchronously; the result arrives as a `command_result` push.

use super::{env_error, now_unix, Ctx, Reply, UNAUTHORIZED};
use landale_core::ids::now_iso;
use landale_protocol::{envelope, frame};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

pub(crate) const SERVICES: [&str; 2] = ["phononmaser", "seed"];

pub(crate) async fn handle_in(
    ctx: &Ctx<'_>,
    busy: &Arc<AtomicBool>,
    event: &str,
    payload: Value,
) -> Reply {
    let service = payload
        .get("service")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if let Some(s) = &service {
        if !SERVICES.contains(&s.as_str()) {
            return env_error(
                "invalid_service",
                &format!("Unknown service {s:?}: use phononmaser or seed"),
            );
        }
    }
    match (event, service) {
        ("ping", _) => super::envelope_pong(),
        ("start" | "stop" | "restart", Some(_)) if !ctx.authorized => {
            env_error("unauthorized", UNAUTHORIZED)
        }
        ("start" | "stop" | "restart" | "get_status", Some(service)) => {
            if busy.swap(true, Ordering::AcqRel) {
                return env_error("busy", "A service command is already running on this channel; wait for its command_result");
            }
            spawn_nurvus_call(ctx, busy.clone(), event.to_string(), service);
            Reply::None
        }
        ("start" | "stop" | "restart" | "get_status", None) => {
            env_error("validation_failed", "Missing required field: service")
        }
        ("get_telemetry", _) => {
            let t = crate::status::telemetry(ctx.hub).await;
            ctx.push("telemetry_update", &t);
            Reply::None
        }
        (other, _) => env_error("unknown_command", &format!("Unknown command: {other}")),
    }
}

fn spawn_nurvus_call(ctx: &Ctx<'_>, busy: Arc<AtomicBool>, action: String, service: String) {
    let hub = ctx.hub.clone();
    let outbox = ctx.outbox.clone();
    let (vsn, join_ref, topic) = (ctx.vsn, ctx.join_ref.clone(), ctx.topic.to_string());
    tokio::spawn(async move {
        let result = hub.nurvus.process(&action, &service).await;
        let payload = match &result {
            Ok(data) => envelope::ok(data.clone(), &now_iso()),
            Err(msg) => envelope::error("nurvus_error", msg, None, &now_iso()),
        };
        let text = frame::encode(
            vsn,
            &join_ref,
            &Value::Null,
            &topic,
            "command_result",
            &payload.to_string(),
        );
        busy.store(false, Ordering::Release);
        let _ = outbox.push(text, None);
        if let (Ok(data), Some(ev)) = (&result, notice_for(&action)) {
            let json = json!({"service": service, "action": action, "response": data, "timestamp": now_unix()}).to_string();
            hub.bus.publish_topic(&topic, ev, json);
        }
    });
}

fn notice_for(action: &str) -> Option<&'static str> {
    match action {
        "start" => Some("service_starting"),
        "stop" => Some("service_stopping"),
        "restart" => Some("service_restarting"),
        _ => None,
    }
}
