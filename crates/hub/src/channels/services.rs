//! `dashboard:services`: a proxy to nurvus (the `landale-nurvus` client). Without
//! `machine`, commands go to this machine's nurvus and name phononmaser or seed (the
//! original contract); with `machine`, any process on that machine of the fleet.
//! Commands run asynchronously; the result arrives as a `command_result` push. The
//! fleet's view arrives on join and on every change as `fleet_update`; `get_logs`
//! answers with a process's last lines.

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
    let machine = payload
        .get("machine")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if let Some(m) = &machine {
        if ctx.hub.fleet.url_of(m).is_none() {
            return env_error("invalid_machine", &ctx.hub.fleet.unknown(m));
        }
    }
    if let (Some(s), None) = (&service, &machine) {
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
            spawn_nurvus_call(ctx, busy.clone(), event.to_string(), service, machine);
            Reply::None
        }
        ("get_logs", Some(service)) => {
            let machine = machine.unwrap_or_else(|| {
                ctx.hub
                    .fleet
                    .machines()
                    .first()
                    .map(|m| m.name.clone())
                    .unwrap_or_default()
            });
            let lines = payload
                .get("lines")
                .and_then(Value::as_u64)
                .unwrap_or(50)
                .min(1000) as usize;
            match ctx.hub.fleet.logs(&machine, &service, lines).await {
                Ok(v) => super::env_ok(
                    json!({"machine": machine, "service": service, "lines": v["lines"]}),
                ),
                Err(e) => env_error("nurvus_error", &e),
            }
        }
        ("start" | "stop" | "restart" | "get_status" | "get_logs", None) => {
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

fn spawn_nurvus_call(
    ctx: &Ctx<'_>,
    busy: Arc<AtomicBool>,
    action: String,
    service: String,
    machine: Option<String>,
) {
    let hub = ctx.hub.clone();
    let outbox = ctx.outbox.clone();
    let (vsn, join_ref, topic) = (ctx.vsn, ctx.join_ref.clone(), ctx.topic.to_string());
    tokio::spawn(async move {
        let client = match machine.as_deref().and_then(|m| hub.fleet.url_of(m)) {
            Some(url) => hub.nurvus.at(url),
            None => hub.nurvus.clone(),
        };
        let result = client.process(&action, &service).await;
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
