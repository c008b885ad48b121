//! The shipper against a local endpoint that speaks Seq's ingestion API (`POST
//! /ingest/clef`, `application/vnd.serilog.clef`, newline-delimited CLEF, 201): every
//! event arrives with its level, message, fields and span fields; while the endpoint
//! fails nothing blocks, the buffer stays bounded, the oldest are dropped and counted,
//! and what remains arrives when it is back.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use serde_json::Value;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tracing_subscriber::layer::SubscriberExt;

#[derive(Clone, Default)]
struct Seq {
    events: Arc<Mutex<Vec<Value>>>,
    down: Arc<AtomicBool>,
}

async fn ingest(State(seq): State<Seq>, headers: HeaderMap, body: String) -> StatusCode {
    if seq.down.load(Ordering::SeqCst) {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    if headers.get("content-type").and_then(|v| v.to_str().ok())
        != Some("application/vnd.serilog.clef")
    {
        return StatusCode::UNSUPPORTED_MEDIA_TYPE;
    }
    if headers.get("x-seq-apikey").and_then(|v| v.to_str().ok()) != Some("k3y") {
        return StatusCode::UNAUTHORIZED;
    }
    let mut out = seq.events.lock().unwrap();
    for line in body.lines() {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            return StatusCode::BAD_REQUEST;
        };
        // Seq requires a timestamp and a message or template.
        if v.get("@t").is_none() || (v.get("@m").is_none() && v.get("@mt").is_none()) {
            return StatusCode::BAD_REQUEST;
        }
        out.push(v);
    }
    StatusCode::CREATED
}

async fn seq() -> (Seq, String) {
    let s = Seq::default();
    let app = Router::new()
        .route("/ingest/clef", post(ingest))
        .with_state(s.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (s, url)
}

async fn until(what: &str, f: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !f() {
        assert!(Instant::now() < deadline, "{what} within 20 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn events_arrive_in_clef_and_an_outage_loses_only_the_oldest() {
    let (seq, url) = seq().await;
    let (layer, shipper) = landale_seq::start(&url, Some("k3y".into()), "landale-test", 100);
    let subscriber = tracing_subscriber::registry().with(layer);
    let _guard = tracing::subscriber::set_default(subscriber);

    let span = tracing::info_span!("request", correlation_id = "abc123");
    span.in_scope(|| tracing::warn!(event_type = "channel.follow", seq = 7u64, "event rejected"));
    let e = std::io::Error::other("disk full");
    tracing::error!(error = &e as &dyn std::error::Error, "could not store");
    until("two events", || seq.events.lock().unwrap().len() == 2).await;
    let got = seq.events.lock().unwrap().clone();
    assert_eq!(got[0]["@m"], "event rejected");
    assert_eq!(got[0]["@l"], "Warning");
    assert_eq!(got[0]["event_type"], "channel.follow");
    assert_eq!(got[0]["seq"], 7);
    assert_eq!(
        got[0]["correlation_id"], "abc123",
        "span fields follow the event"
    );
    assert_eq!(got[0]["Application"], "landale-test");
    assert_eq!(got[1]["@l"], "Error");
    assert_eq!(got[1]["@x"], "disk full");

    // Seq goes away: logging does not wait, the buffer stays at its bound.
    seq.down.store(true, Ordering::SeqCst);
    let t = Instant::now();
    for i in 0..1000 {
        tracing::info!(i, "busy");
    }
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "logging never waits on Seq"
    );
    let (queued, dropped, _) = shipper.counts();
    assert!(queued <= 100, "bounded: {queued}");
    assert!(dropped >= 900, "the oldest dropped and counted: {dropped}");
    seq.events.lock().unwrap().clear();
    seq.down.store(false, Ordering::SeqCst);
    until("the newest 100 and the drop notice", || {
        let ev = seq.events.lock().unwrap();
        ev.iter().any(|e| e["Dropped"].as_u64().is_some()) && ev.iter().any(|e| e["i"] == 999)
    })
    .await;
    let ev = seq.events.lock().unwrap().clone();
    let busy: Vec<u64> = ev
        .iter()
        .filter(|e| e["@m"] == "busy")
        .map(|e| e["i"].as_u64().unwrap())
        .collect();
    assert_eq!(busy.len(), 100, "exactly the buffer's worth");
    assert_eq!(busy.first(), Some(&900), "the newest kept, in order");
    let notice = ev.iter().find(|e| e["Dropped"].is_u64()).unwrap();
    assert_eq!(notice["Dropped"], 900);
    shipper.close();
}
