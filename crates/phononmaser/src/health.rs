//! `GET /health` (the reference's shape, and honest: degraded while the hub link is
//! down or decoding lags) and `GET /metrics` (Prometheus text).

use crate::service::Service;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Finals waiting beyond this: decoding lags.
pub const LAGGING_FINALS: usize = 3;

pub fn router(service: Arc<Service>) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .with_state(service)
}

pub fn report(s: &Service) -> Value {
    let (finals, partials) = s.queue.depth();
    let connected = s.delivery.connected();
    let lagging = finals > LAGGING_FINALS;
    let problem = if !connected {
        Some("WebSocket connection to Phoenix server is down")
    } else if lagging {
        Some("decoding is falling behind the audio")
    } else {
        None
    };
    let st = &s.queue.stats;
    let d = &s.delivery.stats;
    let c = &s.counters;
    let mut r = json!({
        "status": if problem.is_some() { "degraded" } else { "healthy" },
        "service": "phononmaser",
        "timestamp": chrono::Utc::now().timestamp(),
        "uptime_seconds": s.started.elapsed().as_secs(),
        "websocket": {
            "connected": connected,
            "state": format!("{:?}", s.delivery.status()).to_lowercase(),
        },
        "model": s.model,
        "language": s.language,
        "real_time_factor": s.queue.real_time_factor().map(|r| (r * 1000.0).round() / 1000.0),
        "queues": {
            "finals_waiting": finals, "partials_waiting": partials,
            "captions_waiting_for_hub": s.delivery.pending(),
        },
        "last_caption_latency_ms": d.last_latency_ms.load(Ordering::Relaxed),
        "prompt_terms": s.terms.lock().map(|t| t.clone()).unwrap_or_default(),
        "counts": {
            "frames": c.frames.load(Ordering::Relaxed), "bad_frames": c.bad_frames.load(Ordering::Relaxed),
            "sources": c.sources.load(Ordering::Relaxed), "finals": c.finals.load(Ordering::Relaxed),
            "finals_not_speech": c.finals_not_speech.load(Ordering::Relaxed),
            "partials": c.partials.load(Ordering::Relaxed),
            "partials_sent": d.partials_sent.load(Ordering::Relaxed),
            "decoded": st.decoded.load(Ordering::Relaxed),
            "partials_skipped": st.partials_skipped.load(Ordering::Relaxed),
            "finals_queued": st.finals_queued.load(Ordering::Relaxed),
            "finals_from_pause": st.finals_reused.load(Ordering::Relaxed),
            "finals_dropped": st.finals_dropped.load(Ordering::Relaxed),
            "captions_delivered": d.delivered.load(Ordering::Relaxed),
            "captions_dropped": d.dropped.load(Ordering::Relaxed),
            "captions_refused": d.refused.load(Ordering::Relaxed),
        },
    });
    if let Some(p) = problem {
        r["message"] = p.into();
    }
    r["summary"] = summary(&r).into();
    r
}

/// One line for the hub's services panel: the model, how fast it decodes, how late
/// the last caption was, how many there were.
fn summary(r: &Value) -> String {
    let finals = r["counts"]["finals"].as_u64().unwrap_or(0);
    match r["real_time_factor"].as_f64() {
        None => format!("{} · no speech yet", s_of(&r["model"])),
        Some(rtf) => format!(
            "{} · RTF {rtf:.2} · last caption {} ms · {finals} captions",
            s_of(&r["model"]),
            r["last_caption_latency_ms"]
        ),
    }
}

fn s_of(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

async fn health(State(s): State<Arc<Service>>) -> Json<Value> {
    Json(report(&s))
}

/// The report's numbers in Prometheus' text format (prometheus-client, as the hub).
async fn metrics(State(s): State<Arc<Service>>) -> String {
    use prometheus_client::metrics::{counter::Counter, gauge::Gauge};
    use std::sync::atomic::AtomicU64;
    let r = report(&s);
    let mut registry = prometheus_client::registry::Registry::with_prefix("phononmaser");
    let n = |v: &Value| v.as_f64().unwrap_or(0.0);
    let connected = if r["websocket"]["connected"] == true {
        1.0
    } else {
        0.0
    };
    for (name, help, v) in [
        ("hub_connected", "1 while the hub link is up", connected),
        (
            "real_time_factor",
            "Decode time over audio time",
            n(&r["real_time_factor"]),
        ),
        (
            "finals_waiting",
            "Utterances waiting for the decoder",
            n(&r["queues"]["finals_waiting"]),
        ),
        (
            "captions_waiting",
            "Finals waiting for the hub",
            n(&r["queues"]["captions_waiting_for_hub"]),
        ),
        (
            "last_caption_latency_ms",
            "End of speech to the hub's reply, last final",
            n(&r["last_caption_latency_ms"]),
        ),
    ] {
        let g = Gauge::<f64, AtomicU64>::default();
        g.set(v);
        registry.register(name, help, g);
    }
    for (k, v) in r["counts"].as_object().into_iter().flatten() {
        let c = Counter::<u64>::default();
        c.inc_by(v.as_u64().unwrap_or(0));
        registry.register(k.as_str(), format!("Count of {}", k.replace('_', " ")), c);
    }
    let mut out = String::new();
    let _ = prometheus_client::encoding::text::encode(&mut out, &registry);
    out
}
