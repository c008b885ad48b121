//! `cargo xtask bench obs` (or `cargo bench -p landale --bench obs`): how long a scene
//! switch in real OBS takes to reach an overlay channel through Landale, against a
//! floor measured in the same run.
//!
//! One real OBS Studio (headless under xvfb-run), one Landale hub connected to it, and
//! two observers:
//! - floor: a bare obs-websocket client identified straight to OBS that only listens;
//!   it sees `CurrentProgramSceneChanged` as early as any OBS client can;
//! - landale: a socket on `overlay:obs` of the hub, which gets `obs_event`
//!   `obs.scene_changed` after the hub's client decoded the OBS event, ran the
//!   pipeline (validate, normalise, store queue, publish) and the socket wrote it.
//!
//! A third, separate client (the driver) sends every `SetCurrentProgramScene`: on the
//! requesting connection OBS writes the response and then the event, and Nagle's
//! algorithm can hold the second write for a delayed ACK (~40 ms), which would make
//! the floor look slow. Both clocks start when the driver sends. Prints a table and writes
//! bench-results/obs.json. `--quick` does 50 switches instead of 300.

use landale_testkit::bench::{report, text, Ws};
use landale_testkit::obs as real;
use landale_testkit::{Opts, TestHub};

use futures_util::SinkExt;
use landale_obs::protocol::{self, Incoming};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

const PASSWORD: &str = "landale-bench-pw";

/// A bare obs-websocket client: Hello → Identify (`events` mask) → Identified.
async fn obs_client(url: &str, events: u64) -> Ws {
    let (mut ws, _) = tokio_tungstenite::connect_async_with_config(url, None, true)
        .await
        .unwrap();
    let Ok(Some(Incoming::Hello(hello))) = protocol::decode(&text(&mut ws).await) else {
        panic!("no Hello")
    };
    let mut identify: Value =
        serde_json::from_str(&protocol::identify(&hello, Some(PASSWORD))).unwrap();
    identify["d"]["eventSubscriptions"] = events.into();
    ws.send(Message::text(identify.to_string())).await.unwrap();
    match protocol::decode(&text(&mut ws).await) {
        Ok(Some(Incoming::Identified { .. })) => ws,
        other => panic!("not identified: {other:?}"),
    }
}

fn main() {
    if let Err(why) = real::available() {
        eprintln!("skipped: the OBS bench needs real OBS: {why}");
        return;
    }
    landale_testkit::bench::run(50, 300, run);
}

async fn run(n: usize) {
    let obs = real::Obs::start(PASSWORD).await;
    let running = TestHub::start(Opts {
        obs: Some(landale_obs::ObsSettings {
            url: Some(obs.url()),
            password: Some(PASSWORD.into()),
            ..Default::default()
        }),
        ..Default::default()
    })
    .await;
    let hub = running.hub().clone();

    let (mut overlay, _) = tokio_tungstenite::connect_async(format!(
        "ws://{}/socket/websocket?vsn=2.0.0",
        running.addr
    ))
    .await
    .unwrap();
    overlay
        .send(Message::text(
            json!(["1", "1", "overlay:obs", "phx_join", {}]).to_string(),
        ))
        .await
        .unwrap();
    // Wait for the hub's own OBS connection (its link flips on Identified).
    let mut link = hub.obs.watch_link();
    tokio::time::timeout(
        Duration::from_secs(60),
        link.wait_for(|l| *l == landale_obs::state::Link::Ready),
    )
    .await
    .expect("the hub never connected to OBS")
    .unwrap();
    for name in ["Bench A", "Bench B"] {
        hub.obs
            .request("CreateScene", json!({"sceneName": name}))
            .await
            .unwrap();
    }
    // A cut, not OBS's default 300 ms fade: measure delivery, not the transition.
    hub.obs
        .request(
            "SetCurrentSceneTransition",
            json!({"transitionName": "Cut"}),
        )
        .await
        .unwrap();
    let mut floor = obs_client(&obs.url(), 4).await;
    let mut driver = obs_client(&obs.url(), 0).await;

    let (mut to_floor, mut to_hub) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..n + 10 {
        let scene = if i % 2 == 0 { "Bench A" } else { "Bench B" };
        let request = protocol::request(
            &format!("b{i}"),
            "SetCurrentProgramScene",
            &json!({"sceneName": scene}),
        );
        let t0 = Instant::now();
        driver.send(Message::text(request)).await.unwrap();
        let (mut seen_floor, mut seen_hub) = (None, None);
        while seen_floor.is_none() || seen_hub.is_none() {
            tokio::select! {
                t = text(&mut floor), if seen_floor.is_none() => {
                    if let Ok(Some(Incoming::Event { event_type, data })) = protocol::decode(&t) {
                        if event_type == "CurrentProgramSceneChanged" && data["sceneName"] == scene {
                            seen_floor = Some(t0.elapsed());
                        }
                    }
                }
                t = text(&mut overlay), if seen_hub.is_none() => {
                    let f: Value = serde_json::from_str(&t).unwrap();
                    if f[3] == "obs_event" && f[4]["type"] == "obs.scene_changed" && f[4]["scene_name"] == scene {
                        seen_hub = Some(t0.elapsed());
                    }
                }
            }
        }
        // The driver's response: read it so its socket never backs up.
        let _ = text(&mut driver).await;
        if i >= 10 {
            // The first ten warm up caches and connections.
            to_floor.push(seen_floor.unwrap().as_secs_f64() * 1e6);
            to_hub.push(seen_hub.unwrap().as_secs_f64() * 1e6);
        }
    }
    let obs_version = hub.obs.status()["obs_version"].clone();
    report(
        "obs",
        &format!("scene switch → push, {n} switches, OBS {obs_version}"),
        ("OBS → bare obs-websocket client (floor)", to_floor),
        ("OBS → Landale → overlay:obs push", to_hub),
        "added by Landale (per switch)",
        json!({"switches": n, "obs_version": obs_version}),
    );
    running.stop().await;
}
