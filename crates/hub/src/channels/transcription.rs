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
        other => err(format!("Unknown command: {other}")),
    }
}

/// Validate, publish (assigning the seq), store; reply `{transcription_id}`.
async fn submit(ctx: &Ctx<'_>, payload: &Value) -> Reply {
    let t = match NewTranscription::parse(payload) {
        Ok(t) => t,
        Err(errors) => {
            ctx.hub.metrics.events_rejected.inc();
            let list: Vec<Value> = errors
                .into_iter()
                .map(|(f, m)| json!({"field": f, "messages": m}))
                .collect();
            return Reply::Error(json!({"errors": list}));
        }
    };
    let correlation_id = random_hex(8);
    let id = uuid::Uuid::new_v4();
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
