//! `overlay:<type>`: a read-only mirror of REST for overlays: the hub's status, the
//! producer's layer mappings, IronMON's stored runs and the integrations' reads.
//! Replies are the raw result (no envelope); errors are `{"message": ...}`.

use super::{integration_command, now_unix, Channel, Ctx, Joined, Reply};
use crate::bus::BusMessage;
use landale_core::integration::CommandError;
use landale_core::Surface;
use landale_protocol::topic::overlay_push_name;
use serde_json::{json, Value};

pub(crate) fn join(kind: String, hub: &crate::hub::Hub) -> Joined {
    let data = crate::status::overlay_initial(&kind, hub);
    let state = json!({"type": kind, "data": data});
    Joined {
        channel: Channel::Overlay(kind),
        response: json!({}),
        pushes: vec![("initial_state", state)],
    }
}

pub(crate) fn route<'m>(kind: &str, msg: &'m BusMessage) -> Option<&'m str> {
    let (_, source) = msg.event()?;
    overlay_push_name(kind, source)
}

fn err(message: impl Into<String>) -> Reply {
    Reply::Error(json!({"message": message.into()}))
}

/// A positive integer parameter (number or numeric string).
fn pos_int(payload: &Value, key: &str) -> Result<Option<i64>, Reply> {
    match payload.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => {
            let n = v
                .as_i64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()));
            match n {
                Some(n) if n > 0 => Ok(Some(n)),
                _ => Err(err(format!("Parameter '{key}' must be a positive integer"))),
            }
        }
    }
}

fn required(payload: &Value, key: &str) -> Result<i64, Reply> {
    pos_int(payload, key)?.ok_or_else(|| err(format!("Missing required parameters: {key}")))
}

pub(crate) async fn handle_in(ctx: &Ctx<'_>, kind: &str, event: &str, payload: Value) -> Reply {
    match run(ctx, kind, event, payload).await {
        Ok(r) | Err(r) => r,
    }
}

async fn run(ctx: &Ctx<'_>, kind: &str, event: &str, payload: Value) -> Result<Reply, Reply> {
    let store = &ctx.hub.store;
    let db = |e: crate::store::StoreError| err(format!("Database error: {e}"));
    Ok(match event {
        "ping" => {
            let mut m = payload.as_object().cloned().unwrap_or_default();
            m.insert("pong".into(), true.into());
            m.insert("timestamp".into(), now_unix().into());
            m.insert("overlay_type".into(), kind.into());
            Reply::Ok(Value::Object(m))
        }
        "system:status" => Reply::Ok(crate::status::system_status(ctx.hub).await),
        "system:services" => {
            let mut s = crate::status::system_status(ctx.hub).await;
            s["services"]["obs"]["service_type"] = "obs_websocket".into();
            s["services"]["ironmon_tcp"]["service_type"] = "tcp_server".into();
            Reply::Ok(s["services"].clone())
        }
        "get_layer_mappings" => {
            let show = ctx.hub.producer.current_show();
            Reply::Ok(json!({
                "current_show": show,
                "mappings": crate::producer::layers::mappings_json(&show),
                "available_shows": crate::producer::layers::SHOWS,
            }))
        }
        "ironmon:challenges" => Reply::Ok(store.challenges().await.map_err(db)?),
        "ironmon:checkpoints" => {
            let id = required(&payload, "challenge_id")?;
            Reply::Ok(
                serde_json::to_value(store.checkpoints(id).await.map_err(db)?).unwrap_or_default(),
            )
        }
        "ironmon:checkpoint_stats" => {
            let id = required(&payload, "checkpoint_id")?;
            Reply::Ok(store.checkpoint_stats(id).await.map_err(db)?)
        }
        "ironmon:recent_results" => {
            let limit = match payload.get("limit") {
                None | Some(Value::Null) => 10,
                Some(_) => match pos_int(&payload, "limit") {
                    Ok(Some(n)) if n <= 100 => n,
                    _ => {
                        return Err(err(
                            "Parameter 'limit' must be an integer between 1 and 100",
                        ))
                    }
                },
            };
            Reply::Ok(store.recent_results(limit).await.map_err(db)?)
        }
        "ironmon:active_challenge" => {
            let id = required(&payload, "seed_id")?;
            match store.active_challenge(id).await.map_err(db)? {
                Some(v) => Reply::Ok(v),
                None => err(format!("No seed {id}")),
            }
        }
        other => integration_command(ctx, Surface::Overlay, other, &payload, raw)
            .unwrap_or_else(|| err(format!("Unknown command: {other}"))),
    })
}

/// An integration's answer as overlays get it.
fn raw(r: Result<Value, CommandError>) -> Reply {
    match r {
        Ok(v) => Reply::Ok(v),
        Err(e) => err(e.message),
    }
}
