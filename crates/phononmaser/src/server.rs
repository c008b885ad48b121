//! The audio port: every path but `/events` takes audio from the OBS plugin (binary
//! frames, or JSON text); `/events` is the local event stream: `audio:transcription`
//! (a final), `audio:not_speech` (a final dropped by the filter), `audio:delivered`
//! (the hub took it), `audio:source_ended`, `prompt:terms`, and `audio:level` per
//! source at most once a second, never one message per chunk. Bad frames
//! are counted, logged once per burst, and dropped; the connection lives on.

use crate::frame::{self, Frame};
use crate::pipeline::Pipeline;
use crate::service::{BurstLog, Service};
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{OriginalUri, State};
use axum::response::Response;
use axum::Router;
use serde_json::json;
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

/// Largest message taken (a plugin chunk is a few KiB).
pub const MAX_MESSAGE: usize = 4 << 20;
/// Sources one connection may send at once (each holds up to 30 s of audio); frames
/// for more are counted as bad and dropped.
pub const MAX_SOURCES: usize = 16;

pub fn router(service: Arc<Service>) -> Router {
    Router::new().fallback(upgrade).with_state(service)
}

async fn upgrade(
    State(service): State<Arc<Service>>,
    OriginalUri(uri): OriginalUri,
    ws: WebSocketUpgrade,
) -> Response {
    let ws = ws.max_message_size(MAX_MESSAGE);
    if uri.path() == "/events" {
        ws.on_upgrade(move |socket| events(socket, service))
    } else {
        ws.on_upgrade(move |socket| audio(socket, service))
    }
}

async fn events(mut socket: WebSocket, service: Arc<Service>) {
    let mut rx = service.events.subscribe();
    loop {
        tokio::select! {
            m = rx.recv() => match m {
                Ok(v) => {
                    if socket.send(Message::Text(v.to_string().into())).await.is_err() {
                        return;
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    service.counters.events_skipped.fetch_add(n, Ordering::Relaxed);
                }
                Err(_) => return,
            },
            m = socket.recv() => if !matches!(m, Some(Ok(_))) { return },
        }
    }
}

async fn audio(mut socket: WebSocket, service: Arc<Service>) {
    let status = json!({"type": "status", "connected": true, "receiving": true,
        "transcribing": service.queue.depth().0 > 0, "model": service.model});
    let _ = socket.send(Message::Text(status.to_string().into())).await;
    let mut pipelines: HashMap<String, Pipeline> = HashMap::new();
    let mut bad = BurstLog::default();
    let mut levels: HashMap<String, (Instant, u64)> = HashMap::new();
    while let Some(Ok(msg)) = socket.recv().await {
        let decoded = match msg {
            Message::Binary(b) => frame::decode_binary(&b).map(Frame::Audio),
            Message::Text(t) => frame::decode_text(&t),
            Message::Close(_) => break,
            _ => continue,
        };
        let frame = match decoded {
            Ok(f) => f,
            Err(e) => {
                service.counters.bad_frames.fetch_add(1, Ordering::Relaxed);
                bad.note(&format!("dropped a bad audio frame ({}): {e}", e.kind()));
                continue;
            }
        };
        match frame {
            Frame::Audio(a) => {
                if pipelines.len() >= MAX_SOURCES && !pipelines.contains_key(&a.source_id) {
                    service.counters.bad_frames.fetch_add(1, Ordering::Relaxed);
                    bad.note(&format!("dropped audio from a source past the {MAX_SOURCES} this connection may send"));
                    continue;
                }
                service.counters.frames.fetch_add(1, Ordering::Relaxed);
                let now = SystemTime::now();
                let p = pipelines.entry(a.source_id.clone()).or_insert_with(|| {
                    service.counters.sources.fetch_add(1, Ordering::Relaxed);
                    tracing::info!(source = %a.source_id, rate = a.format.sample_rate, channels = a.format.channels, "audio source started");
                    Pipeline::new(&a, now)
                });
                let svc = service.clone();
                let source = a.source_id.clone();
                for job in p.push(&a, now, &|| svc.prompt(&source)) {
                    service.queue.push(job);
                }
                let level = levels
                    .entry(a.source_id.clone())
                    .or_insert((Instant::now(), 0));
                level.1 += 1;
                if level.0.elapsed().as_secs() >= 1 {
                    service.emit(
                        json!({"type": "audio:level", "source_id": a.source_id, "chunks": level.1}),
                    );
                    *level = (Instant::now(), 0);
                }
            }
            Frame::Stop => finish(&service, &mut pipelines),
            Frame::Start | Frame::Heartbeat => {}
        }
    }
    // Gone mid-utterance: what was said is still recognised.
    finish(&service, &mut pipelines);
}

fn finish(service: &Arc<Service>, pipelines: &mut HashMap<String, Pipeline>) {
    for (source, mut p) in pipelines.drain() {
        let svc = service.clone();
        for job in p.finish(&|| svc.prompt(&source)) {
            service.queue.push(job);
        }
        tracing::info!(%source, "audio source ended");
        service.emit(json!({"type": "audio:source_ended", "source_id": source}));
    }
}
