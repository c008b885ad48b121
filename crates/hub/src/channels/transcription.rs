//! `transcription:live` and `transcription:session:<id>`.

use super::{Channel, Ctx, Joined, Reply, UNAUTHORIZED};
use crate::bus::{BusKind, BusMessage};
use crate::store::transcriptions::NewTranscription;
use landale_core::ids::{now_iso, random_hex};
use serde_json::{json, Value};

pub(crate) fn join(session: Option<String>) -> Joined {
    let push = match &session {
        None => {
            json!({"type": "transcription:live", "timestamp": now_iso(), "status": "connected"})
        }
        Some(id) => {
            json!({"type": "transcription:session", "session_id": id, "timestamp": now_iso(), "status": "connected"})
        }
    };
    Joined {
        channel: Channel::Transcription(session),
        response: json!({}),
        pushes: vec![("connection_established", push)],
    }
}

pub(crate) fn route<'m>(session: Option<&str>, msg: &'m BusMessage) -> Option<&'m str> {
    match (&msg.kind, session) {
        (BusKind::Transcription { .. }, None) => Some("new_transcription"),
        (
            BusKind::Transcription {
                session_id: Some(s),
            },
            Some(want),
        ) if s == want => Some("new_transcription"),
        _ => None,
    }
}

fn err(message: impl Into<String>) -> Reply {
    Reply::Error(json!({"message": message.into()}))
}

pub(crate) async fn handle_in(
    ctx: &Ctx<'_>,
    session: Option<&str>,
    event: &str,
    payload: Value,
) -> Reply {
    let store = &ctx.hub.store;
    match event {
        "ping" => {
            let mut m = payload.as_object().cloned().unwrap_or_default();
            m.insert("pong".into(), true.into());
            m.insert("timestamp".into(), now_iso().into());
            m.insert(
                "channel_type".into(),
                session
                    .map(|s| format!("session:{s}"))
                    .unwrap_or("live".into())
                    .into(),
            );
            Reply::Ok(Value::Object(m))
        }
        "get_recent" => {
            let minutes = payload
                .get("minutes")
                .and_then(Value::as_i64)
                .unwrap_or(5)
                .clamp(1, 24 * 60);
            match store.recent_transcriptions(minutes).await {
                Ok(rows) => Reply::Ok(json!({"count": rows.len(), "transcriptions": rows})),
                Err(e) => err(format!("Database error: {e}")),
            }
        }
        "get_session_transcriptions" => {
            let Some(sid) = session else {
                return err("Session transcriptions only available on session channels");
            };
            let limit = payload
                .get("limit")
                .and_then(Value::as_i64)
                .unwrap_or(100)
                .clamp(1, 1000);
            match store.session_transcriptions(sid, limit).await {
                Ok(rows) => Reply::Ok(
                    json!({"session_id": sid, "count": rows.len(), "transcriptions": rows}),
                ),
                Err(e) => err(format!("Database error: {e}")),
            }
        }
        "submit_transcription" => {
            if !ctx.authorized {
                return Reply::Error(json!({"reason": "unauthorized", "message": UNAUTHORIZED}));
            }
            submit(ctx, &payload).await
        }
        "partial_transcription" => {
            if !ctx.authorized {
                return Reply::Error(json!({"reason": "unauthorized", "message": UNAUTHORIZED}));
            }
            partial(ctx, &payload)
        }
        other => err(format!("Unknown command: {other}")),
    }
}

/// How many submitted ids are remembered in memory (oldest forgotten first; the
/// store answers for those).
pub const RECENT_IDS: usize = 4096;

/// Recently submitted transcription ids, oldest first.
#[derive(Default)]
pub struct RecentIds {
    order: std::collections::VecDeque<uuid::Uuid>,
    set: std::collections::HashSet<uuid::Uuid>,
}

impl RecentIds {
    /// `false` when `id` is already here.
    pub fn insert(&mut self, id: uuid::Uuid) -> bool {
        if !self.set.insert(id) {
            return false;
        }
        self.order.push_back(id);
        if self.order.len() > RECENT_IDS {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        true
    }

    pub fn forget(&mut self, id: uuid::Uuid) {
        if self.set.remove(&id) {
            self.order.retain(|x| *x != id);
        }
    }
}

/// A submission refused field by field, in the original clients' shape, and counted.
fn refused(ctx: &Ctx<'_>, errors: landale_core::FieldErrors) -> Reply {
    ctx.hub.metrics.events_rejected.inc();
    let list: Vec<Value> = errors
        .into_iter()
        .map(|(f, m)| json!({"field": f, "messages": m}))
        .collect();
    Reply::Error(json!({"errors": list}))
}

/// Longest partial line taken.
pub const MAX_PARTIAL_CHARS: usize = 1000;

/// `partial_transcription`: a line still being spoken, checked and passed on to
/// `transcription:live` (`partial_transcription`), never stored.
fn partial(ctx: &Ctx<'_>, p: &Value) -> Reply {
    let mut errors = landale_core::FieldErrors::new();
    let text = p.get("text").and_then(Value::as_str).unwrap_or_default();
    if p.get("text").and_then(Value::as_str).is_none() {
        landale_core::fields::add(&mut errors, "text", "can't be blank");
    } else if text.chars().count() > MAX_PARTIAL_CHARS {
        landale_core::fields::add(&mut errors, "text", "should be at most 1000 character(s)");
    }
    let utterance = p
        .get("utterance_id")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if utterance.is_empty() || utterance.len() > 64 {
        landale_core::fields::add(&mut errors, "utterance_id", "must be 1 to 64 characters");
    }
    if !errors.is_empty() {
        return refused(ctx, errors);
    }
    let mut out = json!({"utterance_id": utterance, "text": text, "timestamp": now_iso()});
    for key in ["source_id", "stream_session_id", "audio_source", "duration"] {
        if let Some(v) = p.get(key).filter(|v| v.is_string() || v.is_number()) {
            out[key] = v.clone();
        }
    }
    if let Some(t) = p.get("timestamp").and_then(Value::as_str) {
        out["timestamp"] = t.into();
    }
    ctx.hub.bus.publish_topic(
        "transcription:live",
        "partial_transcription",
        out.to_string(),
    );
    Reply::Ok(json!({"utterance_id": utterance}))
}

/// Validate, publish (assigning the seq), store; reply `{transcription_id}`. A
/// submission with an `id` already seen is answered as before and not stored again.
async fn submit(ctx: &Ctx<'_>, payload: &Value) -> Reply {
    let given = match payload.get("id") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_str().and_then(|s| uuid::Uuid::parse_str(s).ok()) {
            Some(id) => Some(id),
            None => {
                return Reply::Error(
                    json!({"errors": [{"field": "id", "messages": ["must be a UUID"]}]}),
                )
            }
        },
    };
    if let Some(id) = given {
        let fresh = ctx
            .hub
            .recent_transcriptions
            .lock()
            .map(|mut r| r.insert(id))
            .unwrap_or(true);
        if !fresh
            || ctx
                .hub
                .store
                .transcription_exists(id)
                .await
                .unwrap_or(false)
        {
            return Reply::Ok(json!({"transcription_id": id, "duplicate": true}));
        }
    }
    let reply = submit_new(ctx, payload, given.unwrap_or_else(uuid::Uuid::new_v4)).await;
    if let (Reply::Error(_), Some(id)) = (&reply, given) {
        // Not stored: a resend may try again.
        if let Ok(mut r) = ctx.hub.recent_transcriptions.lock() {
            r.forget(id);
        }
    }
    reply
}

async fn submit_new(ctx: &Ctx<'_>, payload: &Value, id: uuid::Uuid) -> Reply {
    let t = match NewTranscription::parse(payload) {
        Ok(t) => t,
        Err(errors) => return refused(ctx, errors),
    };
    let correlation_id = random_hex(8);
    let session_id = t.stream_session_id.clone();
    let msg = ctx.hub.bus.publish(|seq| {
        let row = crate::store::transcriptions::Transcription {
            id,
            seq: seq as i64,
            timestamp: t.timestamp,
            duration: t.duration,
            text: t.text.clone(),
            source_id: t.source_id.clone(),
            stream_session_id: t.stream_session_id.clone(),
            confidence: t.confidence,
            metadata: sqlx::types::Json(Value::Object(t.metadata.clone())),
        };
        (
            BusKind::Transcription { session_id },
            row.to_wire(&correlation_id).to_string(),
        )
    });
    match ctx.hub.store.insert_transcription(id, &t, msg.seq).await {
        Ok(()) => Reply::Ok(json!({"transcription_id": id})),
        Err(e) => {
            tracing::error!(error = %e, "storing a transcription failed");
            Reply::Error(json!({"errors": [{"field": "database", "messages": [e.to_string()]}]}))
        }
    }
}
