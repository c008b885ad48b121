//! `cargo xtask bench producer` (or `cargo bench -p landale --bench producer`): the
//! stream producer's cost per event, against a floor measured in the same run.
//!
//! - flood: distinct follows with the queue at its bound (50 items), each a full
//!   transition: bring the state up to date, react, and render `stream_state` and
//!   `queue_state` to JSON text (what a broadcast costs before the bus).
//! - chat: chat messages with emotes while the base is `emote_stats` (counting plus a
//!   `content_update` push).
//! - flood in batches of 64: the same, as the producer handles events that arrive
//!   together (one lock, one broadcast per batch).
//! - floor: serialising an already-built `stream_state` of the same size, the least a
//!   broadcast can cost.
//!
//! Prints a table and writes bench-results/producer.json.

use chrono::{DateTime, Utc};
use landale::pipeline::normalize::{normalize, Options};
use landale::producer::machine::{Effect, Machine};
use landale_core::Envelope;
use serde_json::{json, Value};
use std::time::Instant;

fn follow(i: usize) -> Value {
    json!({"user_id": i.to_string(), "user_login": format!("user{i}"), "user_name": format!("User{i}"),
           "broadcaster_user_id": "12826", "broadcaster_user_login": "avalonstar",
           "followed_at": "2026-11-24T10:00:00Z"})
}

fn chat(i: usize) -> Value {
    json!({"broadcaster_user_id": "12826", "chatter_user_id": "3", "chatter_user_login": "kim",
           "chatter_user_name": "Kim", "message_id": format!("m{i}"), "message_type": "text",
           "message": {"text": "Kappa avalonHYPE", "fragments": [
               {"type": "emote", "text": if i.is_multiple_of(7) { "PogChamp" } else { "Kappa" }, "emote": {"id": "25"}},
               {"type": "text", "text": " "},
               {"type": "emote", "text": "avalonHYPE", "emote": {"id": "9"}}]}})
}

/// Run events through the machine as the producer does with one batch (one lock, one
/// broadcast); returns bytes rendered.
fn step_batch(m: &mut Machine, now: DateTime<Utc>, kind: &str, batch: Vec<Value>) -> usize {
    let opts = Options::default();
    let events: Vec<_> = batch
        .into_iter()
        .map(|d| {
            normalize(
                kind,
                d.as_object().cloned().unwrap(),
                Envelope::default(),
                &opts,
            )
        })
        .collect();
    m.advance(now);
    for e in &events {
        m.on_event(now, e);
    }
    let mut bytes = 0;
    for effect in m.take_effects(now) {
        bytes += match effect {
            Effect::Broadcast => {
                m.stream_state(now).to_string().len() + m.queue_state(now).to_string().len()
            }
            Effect::Push { payload, .. } | Effect::Emit { data: payload, .. } => {
                payload.to_string().len()
            }
        };
    }
    bytes
}

/// One event on its own (the producer keeps up: no batching).
fn step(m: &mut Machine, now: DateTime<Utc>, kind: &str, data: Value) -> usize {
    step_batch(m, now, kind, vec![data])
}

struct Row {
    name: &'static str,
    events: usize,
    ns_per_event: f64,
    bytes_per_event: f64,
}

fn measure(name: &'static str, events: usize, mut f: impl FnMut(usize) -> usize) -> Row {
    let start = Instant::now();
    let mut bytes = 0;
    for i in 0..events {
        bytes += f(i);
    }
    let ns = start.elapsed().as_nanos() as f64 / events as f64;
    Row {
        name,
        events,
        ns_per_event: ns,
        bytes_per_event: bytes as f64 / events as f64,
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let n = if quick { 2_000 } else { 20_000 };
    let now = DateTime::from_timestamp(1_795_000_000, 0).unwrap();

    let mut m = Machine::new(now);
    for i in 0..60 {
        step(&mut m, now, "channel.follow", follow(1_000_000 + i)); // fill to the bound
    }
    let flood = measure("flood (follow, queue at 50)", n, |i| {
        step(&mut m, now, "channel.follow", follow(i))
    });
    const B: usize = 64;
    let batched = measure("flood in batches of 64", n / B, |i| {
        let batch = (0..B).map(|k| follow(n + i * B + k)).collect();
        step_batch(&mut m, now, "channel.follow", batch)
    });
    let batched = Row {
        events: batched.events * B,
        ns_per_event: batched.ns_per_event / B as f64,
        bytes_per_event: batched.bytes_per_event / B as f64,
        ..batched
    };
    let state = m.stream_state(now);
    let floor = measure("floor (serialise stream_state)", n, |_| {
        state.to_string().len()
    });

    let mut c = Machine::new(now);
    let chat_row = measure("chat (emotes, base emote_stats)", n * 5, |i| {
        step(&mut c, now, "channel.chat.message", chat(i))
    });

    println!(
        "{:<34} {:>9} {:>12} {:>12} {:>10}",
        "scenario", "events", "µs/event", "events/s", "bytes/ev"
    );
    let mut out = Vec::new();
    for r in [&flood, &batched, &floor, &chat_row] {
        let per_sec = 1e9 / r.ns_per_event;
        println!(
            "{:<34} {:>9} {:>12.2} {:>12.0} {:>10.0}",
            r.name,
            r.events,
            r.ns_per_event / 1000.0,
            per_sec,
            r.bytes_per_event
        );
        out.push(
            json!({"scenario": r.name, "events": r.events, "us_per_event": r.ns_per_event / 1000.0,
                        "events_per_sec": per_sec, "bytes_per_event": r.bytes_per_event}),
        );
    }
    let ratio = flood.ns_per_event / floor.ns_per_event;
    let batched_ratio = batched.ns_per_event / floor.ns_per_event;
    println!("flood / floor: {ratio:.2}x; batched flood / floor: {batched_ratio:.2}x");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = root.join("bench-results");
    let _ = std::fs::create_dir_all(&dir);
    let report = json!({"rows": out, "flood_over_floor": ratio, "batched_flood_over_floor": batched_ratio, "quick": quick});
    if let Err(e) = std::fs::write(
        dir.join("producer.json"),
        serde_json::to_string_pretty(&report).unwrap(),
    ) {
        eprintln!("could not write bench-results/producer.json: {e}");
    }
}
