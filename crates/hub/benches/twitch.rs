//! `cargo xtask bench twitch` (or `cargo bench -p landale --bench twitch`): how long an
//! EventSub notification takes to reach an overlay's socket through Landale, against a
//! floor measured in the same run.
//!
//! One fake Twitch on loopback, one Landale hub signed in to it, and two observers:
//! - floor: a bare EventSub WebSocket client with its own session and its own
//!   `channel.follow` subscription; it sees the notification frame as early as any
//!   client can;
//! - landale: a socket on `events:all`, which gets `follower` after the hub's EventSub
//!   client decoded the frame, checked its message id, ran the pipeline (validate,
//!   normalise, store queue, publish) and the socket wrote it.
//!
//! Both clocks start just before the fake sends; one notification at a time, so this
//! is latency, not throughput. Prints a table and writes bench-results/twitch.json.
//! `--quick` sends 100 notifications instead of 1000.

use fake_twitch::{FakeConfig, FakeTwitch};
use futures_util::SinkExt;
use landale_testkit::bench::{report, text, Ws};
use landale_testkit::twitch::{eventsub_until, signed_in};
use serde_json::{json, Value};
use std::time::Instant;
use tokio_tungstenite::tungstenite::Message;

fn follow(name: &str) -> Value {
    json!({"user_id": "9001", "user_login": name, "user_name": name,
           "broadcaster_user_id": "12826", "broadcaster_user_login": "avalonstar",
           "broadcaster_user_name": "Avalonstar", "followed_at": chrono::Utc::now().to_rfc3339()})
}

/// A bare EventSub client: welcome, then its own channel.follow subscription.
async fn floor_client(fake: &FakeTwitch) -> Ws {
    let (mut ws, _) = tokio_tungstenite::connect_async(fake.eventsub_url())
        .await
        .unwrap();
    let welcome: Value = serde_json::from_str(&text(&mut ws).await).unwrap();
    let session = welcome["payload"]["session"]["id"].as_str().unwrap();
    let (access, _) = fake.issue_tokens(&["moderator:read:followers"]);
    let r = reqwest::Client::new()
        .post(format!("{}/eventsub/subscriptions", fake.api_url()))
        .bearer_auth(access)
        .header("client-id", "fake-client-id")
        .json(&json!({"type": "channel.follow", "version": "2",
            // Another moderator's subscription: Twitch allows one per type and condition.
            "condition": {"broadcaster_user_id": "12826", "moderator_user_id": "77777"},
            "transport": {"method": "websocket", "session_id": session}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202, "floor subscription");
    ws
}

fn main() {
    landale_testkit::bench::run(100, 1000, run);
}

async fn run(n: usize) {
    // The same signed-in hub the Twitch tests use.
    let (fake, hub) = signed_in(
        FakeConfig::default(),
        &["moderator:read:followers", "user:read:chat"],
    )
    .await;
    eventsub_until(&hub, "EventSub ready", |s| s.state == "ready").await;

    let (mut overlay, _) =
        tokio_tungstenite::connect_async(format!("ws://{}/socket/websocket?vsn=2.0.0", hub.addr))
            .await
            .unwrap();
    overlay
        .send(Message::text(
            json!(["1", "1", "events:all", "phx_join", {}]).to_string(),
        ))
        .await
        .unwrap();
    loop {
        let f: Value = serde_json::from_str(&text(&mut overlay).await).unwrap();
        if f[3] == "phx_reply" {
            break;
        }
    }
    let mut floor = floor_client(&fake).await;

    let (mut to_floor, mut to_hub) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..n + 10 {
        let name = format!("bench{i}");
        let t0 = Instant::now();
        assert_eq!(fake.notify("channel.follow", follow(&name), None), 2);
        let (mut seen_floor, mut seen_hub) = (None, None);
        while seen_floor.is_none() || seen_hub.is_none() {
            tokio::select! {
                t = text(&mut floor), if seen_floor.is_none() => {
                    let m: Value = serde_json::from_str(&t).unwrap();
                    if m["payload"]["event"]["user_name"] == name.as_str() {
                        seen_floor = Some(t0.elapsed());
                    }
                }
                t = text(&mut overlay), if seen_hub.is_none() => {
                    let f: Value = serde_json::from_str(&t).unwrap();
                    if f[4]["type"] == "channel.follow" && f[4]["user_name"] == name.as_str() {
                        seen_hub = Some(t0.elapsed());
                    }
                }
            }
        }
        if i >= 10 {
            // The first ten warm up caches and connections.
            to_floor.push(seen_floor.unwrap().as_secs_f64() * 1e6);
            to_hub.push(seen_hub.unwrap().as_secs_f64() * 1e6);
        }
    }
    report(
        "twitch",
        &format!("EventSub notification → overlay push, {n} follows, one at a time"),
        ("fake Twitch → bare EventSub client (floor)", to_floor),
        ("fake Twitch → Landale → events:all push", to_hub),
        "added by Landale (per notification)",
        json!({"notifications": n}),
    );
    hub.stop().await;
}
