//! The OBS integration against real OBS Studio 29 (obs-websocket 5.1) under
//! `xvfb-run`: auth, scenes, recording, streaming to a local RTMP ingest, stats,
//! crashes, freezes and wrong passwords, observed the way clients see them (socket
//! channels and REST).
//!
//! Tests run one at a time (each starts its own OBS; two on 2 cores would starve).

use futures_util::StreamExt;
use landale_obs::state::Link;
use landale_obs::ObsSettings;
use landale_testkit::obs::{self as real, Obs, Rtmp};
use landale_testkit::{join, push, ws, ws_anon, Opts, TestHub, TOKEN};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const PASSWORD: &str = "landale-obs-test-pw";
/// Long enough for OBS to come back after a restart on a busy CI machine.
const WAIT: Duration = Duration::from_secs(60);

fn skip() -> bool {
    match real::available() {
        Ok(()) => false,
        Err(why) => {
            eprintln!("skipped: real OBS tests: {why}");
            true
        }
    }
}

/// Hub settings for a test: quick stats, liveness and retries.
fn settings(obs: &Obs, password: Option<&str>) -> ObsSettings {
    ObsSettings {
        url: Some(obs.url()),
        password: password.map(str::to_owned),
        stats_interval: Duration::from_millis(500),
        // Short enough for the freeze test, long enough for software-rendered OBS
        // encoding x264 on two cores.
        liveness_timeout: Duration::from_secs(3),
        reconnect_min: Duration::from_millis(200),
        reconnect_max: Duration::from_secs(1),
        ..ObsSettings::default()
    }
}

async fn hub_for(settings: ObsSettings) -> TestHub {
    TestHub::start(Opts {
        obs: Some(settings),
        ..Opts::default()
    })
    .await
}

/// A socket on `dashboard:main` that has replayed everything from seq 0.
async fn watcher(hub: &TestHub) -> landale_testkit::Ws {
    let mut w = ws(&hub.ws_url(), "").await;
    join(&mut w, "dashboard:main", json!({"last_seq": 0})).await;
    w
}

/// The next `obs_event` of hub type `kind` (others are skipped).
async fn wait_obs(w: &mut landale_testkit::Ws, kind: &str, within: Duration) -> Value {
    let until = Instant::now() + within;
    loop {
        let left = until.saturating_duration_since(Instant::now());
        let frame = tokio::time::timeout(left, w.next())
            .await
            .unwrap_or_else(|_| panic!("no {kind} within {within:?}"));
        let Some(Ok(Message::Text(t))) = frame else {
            if matches!(frame, Some(Ok(_))) {
                continue;
            }
            panic!("socket closed waiting for {kind}");
        };
        let f: Value = serde_json::from_str(t.as_str()).unwrap();
        if f[3] == "obs_event" && f[4]["type"] == kind {
            return f[4].clone();
        }
    }
}

async fn connected(hub: &TestHub, obs: &Obs) -> (landale_testkit::Ws, Value) {
    let mut w = watcher(hub).await;
    let est = tokio::time::timeout(WAIT, wait_obs(&mut w, "obs.connection_established", WAIT))
        .await
        .unwrap_or_else(|_| panic!("OBS never connected; OBS log:\n{}", obs.log_tail()));
    assert_eq!(est["source"], "obs");
    (w, est)
}

/// One test's real OBS, a hub connected to it with the right password, and a
/// `dashboard:main` watcher that saw `obs.connection_established` (`est`). `None`
/// when this machine cannot run OBS (the reason is printed). Holds the one-at-a-time
/// lock. Bind every field (`_one`, `obs: _obs`): a field left out of the pattern is
/// dropped at once, which would stop OBS or release the lock.
struct Rig {
    obs: Obs,
    hub: TestHub,
    w: landale_testkit::Ws,
    est: Value,
    _one: tokio::sync::MutexGuard<'static, ()>,
}

async fn rig() -> Option<Rig> {
    if skip() {
        return None;
    }
    let _one = SERIAL.lock().await;
    let obs = Obs::start(PASSWORD).await;
    let hub = hub_for(settings(&obs, Some(PASSWORD))).await;
    let (w, est) = connected(&hub, &obs).await;
    Some(Rig {
        obs,
        hub,
        w,
        est,
        _one,
    })
}

/// A token-holding socket joined to `dashboard:main`, for commands.
async fn dashboard(hub: &TestHub) -> landale_testkit::Ws {
    let mut d = ws(&hub.ws_url(), "").await;
    join(&mut d, "dashboard:main", json!({})).await;
    d
}

/// The status's scene names, sorted.
fn sorted_scenes(status: &Value) -> Vec<String> {
    let mut scenes: Vec<String> = status["scenes"]
        .as_array()
        .unwrap_or_else(|| panic!("no scenes in {status}"))
        .iter()
        .filter_map(|s| s.as_str().map(str::to_owned))
        .collect();
    scenes.sort_unstable();
    scenes
}

async fn get(hub: &TestHub, path: &str) -> (u16, Value) {
    let r = reqwest::get(hub.http(path)).await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test]
async fn authenticates_lists_and_switches_scenes_with_events_to_subscribers() {
    let Some(Rig {
        obs: _obs,
        hub,
        mut w,
        est,
        _one,
    }) = rig().await
    else {
        return;
    };
    assert_eq!(est["authentication"], true, "{est}");
    assert_eq!(est["rpc_version"], 1);
    assert!(
        est["websocket_version"]
            .as_str()
            .is_some_and(|v| v.starts_with("5.")),
        "{est}"
    );
    assert_eq!(est["current_scene"], "Scene", "OBS's default scene: {est}");
    let session = est["session_id"].as_str().unwrap().to_string();

    // Two more scenes, made through the hub's own client.
    for name in ["Gameplay", "BRB"] {
        hub.hub()
            .obs
            .request("CreateScene", json!({"sceneName": name}))
            .await
            .unwrap();
    }
    let dup = hub
        .hub()
        .obs
        .request("CreateScene", json!({"sceneName": "BRB"}))
        .await
        .unwrap_err();
    assert_eq!(dup.code(), "operation_failed", "{dup}");
    assert!(dup.to_string().contains("601"), "{dup}");

    // obs-websocket sends events after the response: wait for the list with all three.
    let listed = loop {
        let e = wait_obs(&mut w, "obs.websocket_event", Duration::from_secs(10)).await;
        if e["event_type"] == "SceneListChanged"
            && e["raw_data"]["scenes"].as_array().map(Vec::len) == Some(3)
        {
            break e;
        }
    };
    // The dashboard sees the list (the cache follows SceneListChanged). OBS announces
    // scene-list changes from its UI thread, apart from the request that caused them,
    // so the status is read (over REST, which has no command window) until it settles;
    // a failure prints every OBS event seen meanwhile.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = vec![listed.clone()];
    let scenes = loop {
        let (code, r) = get(&hub, "/api/obs/status").await;
        assert_eq!(code, 200, "{r}");
        let scenes = sorted_scenes(&r["data"]);
        if scenes == ["BRB", "Gameplay", "Scene"] || Instant::now() > deadline {
            break scenes;
        }
        // Anything OBS said meanwhile, for the failure message.
        while let Ok(Some(Ok(Message::Text(t)))) =
            tokio::time::timeout(Duration::from_millis(100), w.next()).await
        {
            let f: Value = serde_json::from_str(t.as_str()).unwrap();
            if f[3] == "obs_event" && f[4]["type"] != "obs.stats_updated" {
                seen.push(f[4].clone());
            }
        }
    };
    assert_eq!(
        scenes,
        ["BRB", "Gameplay", "Scene"],
        "OBS events since the 3-scene list: {}",
        serde_json::to_string_pretty(&seen).unwrap()
    );
    let mut d = dashboard(&hub).await;
    let (st, r) = push(&mut d, "dashboard:main", "obs:get_status", json!({})).await;
    assert_eq!(st, "ok", "{r}");
    let status = r["data"].clone();
    assert_eq!(sorted_scenes(&status), ["BRB", "Gameplay", "Scene"]);
    assert_eq!(status["connected"], true);
    assert_eq!(status["connection_state"], "ready");
    assert!(!status.to_string().contains(PASSWORD));

    // Switch from the dashboard: OBS's answer comes back, the event reaches subscribers.
    let (st, r) = push(
        &mut d,
        "dashboard:main",
        "obs:set_current_scene",
        json!({"scene_name": "Gameplay"}),
    )
    .await;
    assert_eq!(
        (st.as_str(), &r["data"]),
        ("ok", &json!({"operation": "set_current_scene"}))
    );
    let changed = wait_obs(&mut w, "obs.scene_changed", Duration::from_secs(10)).await;
    assert_eq!(changed["scene_name"], "Gameplay");
    assert_eq!(changed["previous_scene"], "Scene");
    assert_eq!(changed["session_id"], session.as_str());

    // An overlay channel gets it too, and REST switches carry the caller's correlation id.
    let mut overlay = ws_anon(&hub.ws_url(), "").await;
    join(&mut overlay, "overlay:obs", json!({})).await;
    let init = landale_testkit::next_event(&mut overlay, "initial_state").await;
    assert_eq!(init[4]["data"]["connected"], true, "{init}");
    assert_eq!(init[4]["data"]["status"]["current_scene"], "Gameplay");
    let r = reqwest::Client::new()
        .post(hub.http("/api/obs/scene/BRB"))
        .bearer_auth(TOKEN)
        .header("x-correlation-id", "scene-switch-test-1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body,
        json!({"success": true, "message": "Scene changed to BRB"})
    );
    let pushed = loop {
        let f = landale_testkit::next_event(&mut overlay, "obs_event").await;
        if f[4]["type"] == "obs.scene_changed" {
            break f[4].clone();
        }
    };
    assert_eq!(pushed["scene_name"], "BRB");
    assert_eq!(pushed["previous_scene"], "Gameplay");
    assert_eq!(pushed["correlation_id"], "scene-switch-test-1");

    // Reads: REST and the overlay mirror give OBS's real data.
    let (code, cur) = get(&hub, "/api/obs/scene/current").await;
    assert_eq!(code, 200);
    assert_eq!(cur["data"]["currentProgramSceneName"], "BRB");
    let (_, list) = get(&hub, "/api/obs/scenes").await;
    assert_eq!(list["data"]["scenes"].as_array().unwrap().len(), 3);
    let (st, v) = push(&mut overlay, "overlay:obs", "obs:version", json!({})).await;
    assert_eq!(st, "ok");
    assert!(
        v["obsVersion"]
            .as_str()
            .is_some_and(|s| s.starts_with("29.") || s.starts_with("3")),
        "{v}"
    );
    let (st, v) = push(&mut overlay, "overlay:obs", "obs:status", json!({})).await;
    assert_eq!((st.as_str(), &v["current_scene"]), ("ok", &json!("BRB")));

    // A scene that does not exist: OBS's refusal, in words.
    let (st, r) = push(
        &mut d,
        "dashboard:main",
        "obs:set_current_scene",
        json!({"scene_name": "Nope"}),
    )
    .await;
    assert_eq!(st, "error");
    assert_eq!(r["error"]["code"], "not_found", "{r}");
    assert!(
        r["error"]["message"].as_str().unwrap().contains("Nope"),
        "{r}"
    );
    let (st, r) = push(&mut d, "dashboard:main", "obs:set_current_scene", json!({})).await;
    assert_eq!(
        (st.as_str(), &r["error"]["code"]),
        ("error", &json!("validation_failed"))
    );

    // Controls need the token; reads do not.
    let mut anon = ws_anon(&hub.ws_url(), "").await;
    join(&mut anon, "dashboard:main", json!({})).await;
    let (st, r) = push(
        &mut anon,
        "dashboard:main",
        "obs:set_current_scene",
        json!({"scene_name": "Scene"}),
    )
    .await;
    assert_eq!(
        (st.as_str(), &r["error"]["code"]),
        ("error", &json!("unauthorized"))
    );
    let r = reqwest::Client::new()
        .post(hub.http("/api/obs/scene/Scene"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let (code, _) = get(&hub, "/api/obs/status").await;
    assert_eq!(code, 200);

    // Stats flow every stats_interval.
    // An OBS event the pipeline refuses (a 3000-character text source is over its
    // string limit) still reaches clients, without its data.
    hub.hub()
        .obs
        .request(
            "CreateInput",
            json!({"sceneName": "Scene", "inputName": "Long text", "inputKind": "text_ft2_source_v2",
                   "inputSettings": {"text": "x".repeat(3000)}}),
        )
        .await
        .unwrap();
    loop {
        let e = wait_obs(&mut w, "obs.websocket_event", Duration::from_secs(10)).await;
        if e["event_type"] == "InputCreated" {
            assert!(
                e["raw_data"]["omitted"]
                    .as_str()
                    .is_some_and(|m| m.contains("failed validation")),
                "{e}"
            );
            break;
        }
    }

    // Stats flow every stats_interval, with OBS's render figures rising.
    let first = wait_obs(&mut w, "obs.stats_updated", Duration::from_secs(10)).await;
    let frames = |s: &Value| {
        s["render_total_frames"]
            .as_u64()
            .expect("render_total_frames")
    };
    let until = Instant::now() + Duration::from_secs(20);
    let later = loop {
        let s = wait_obs(&mut w, "obs.stats_updated", Duration::from_secs(10)).await;
        if frames(&s) > frames(&first) && s["active_fps"].as_f64().is_some_and(|f| f > 0.0) {
            break s;
        }
        assert!(
            Instant::now() < until,
            "OBS stats never moved: {first} → {s}"
        );
    };
    assert!(later["cpu_usage"].as_f64().is_some(), "{later}");
    assert_eq!(
        hub.hub().obs.status()["stats"]["render_total_frames"]
            .as_u64()
            .map(|n| n >= frames(&later)),
        Some(true)
    );
    let (_, h) = get(&hub, "/api/health").await;
    assert_eq!(h["services"]["obs"]["connected"], true);
    assert_eq!(h["services"]["obs"]["current_scene"], "BRB");
    hub.stop().await;
}

#[tokio::test]
async fn wrong_or_missing_password_is_reported_and_retried_slowly() {
    if skip() {
        return;
    }
    let _one = SERIAL.lock().await;
    let obs = Obs::start(PASSWORD).await;
    for (password, hint) in [
        (Some("not-the-password"), "rejected the password"),
        (None, "asks for a password"),
    ] {
        let mut s = settings(&obs, password);
        s.reconnect_max = Duration::from_secs(60);
        let hub = hub_for(s).await;
        let mut link = hub.hub().obs.watch_link();
        tokio::time::timeout(WAIT, link.wait_for(|l| *l == Link::AuthFailed))
            .await
            .unwrap_or_else(|_| panic!("no auth failure: {}", hub.hub().obs.status()))
            .unwrap();
        let status = hub.hub().obs.status();
        let err = status["last_error"].as_str().unwrap();
        assert!(err.contains(hint), "{err}");
        assert!(err.contains("OBS_WEBSOCKET_PASSWORD"), "{err}");
        // Slow retry: the next attempt is scheduled at the cap (60 s ± 20 %), not in a loop.
        let next: chrono::DateTime<chrono::Utc> = status["reconnect"]["next_attempt_at"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let wait = next - chrono::Utc::now();
        assert!(wait > chrono::Duration::seconds(40), "retry in {wait}");
        assert_eq!(status["reconnect"]["failures"], 1);
        if let Some(p) = password {
            assert!(
                !status.to_string().contains(p),
                "the password leaked: {status}"
            );
        }
        // A request now gets a clear error at once.
        let e = hub
            .hub()
            .obs
            .request("GetVersion", Value::Null)
            .await
            .unwrap_err();
        assert_eq!(e.code(), "service_unavailable");
        assert!(e.to_string().contains("auth_failed"), "{e}");
        hub.stop().await;
    }
}

#[tokio::test]
async fn recording_starts_and_stops_with_events_and_a_file() {
    let Some(Rig {
        obs,
        hub,
        mut w,
        est: _,
        _one,
    }) = rig().await
    else {
        return;
    };
    let mut d = dashboard(&hub).await;

    let (st, r) = push(&mut d, "dashboard:main", "obs:start_recording", json!({})).await;
    assert_eq!(st, "ok", "{r}\nOBS log:\n{}", obs.log_tail());
    assert_eq!(r["data"]["operation"], "start_recording");
    let started = wait_obs(&mut w, "obs.recording_started", Duration::from_secs(20)).await;
    assert_eq!(started["output_active"], true);
    assert_eq!(started["recording_status"], "active");
    let (code, rs) = get(&hub, "/api/obs/record-status").await;
    assert_eq!((code, &rs["data"]["outputActive"]), (200, &json!(true)));

    let r = reqwest::Client::new()
        .post(hub.http("/api/obs/recording/stop"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let stopped = wait_obs(&mut w, "obs.recording_stopped", Duration::from_secs(20)).await;
    assert_eq!(stopped["output_active"], false);
    let path = stopped["output_path"]
        .as_str()
        .expect("output_path")
        .to_string();
    assert!(
        path.starts_with(&obs.recordings().display().to_string()),
        "{path}"
    );
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    assert!(size > 0, "recording {path} is empty");

    // Stopping again: OBS says it is not running (409), not a fake success.
    let (st, r) = push(&mut d, "dashboard:main", "obs:stop_recording", json!({})).await;
    assert_eq!(st, "error");
    assert_eq!(r["error"]["code"], "operation_failed", "{r}");
    assert!(
        r["error"]["message"].as_str().unwrap().contains("501"),
        "{r}"
    );
    hub.stop().await;
}

#[tokio::test]
async fn streaming_to_a_local_rtmp_ingest_starts_and_stops_with_events() {
    if let Err(why) = real::rtmp_available() {
        eprintln!("skipped: streaming test: {why}");
        return;
    }
    let Some(Rig {
        obs: _obs,
        hub,
        mut w,
        est: _,
        _one,
    }) = rig().await
    else {
        return;
    };
    let rtmp = Rtmp::start().await;
    hub.hub()
        .obs
        .request(
            "SetStreamServiceSettings",
            json!({"streamServiceType": "rtmp_custom",
                   "streamServiceSettings": {"server": rtmp.url(), "key": "landale"}}),
        )
        .await
        .unwrap();

    let r = reqwest::Client::new()
        .post(hub.http("/api/obs/streaming/start"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"success": true, "message": "Stream started"})
    );
    let started = wait_obs(&mut w, "obs.stream_started", Duration::from_secs(30)).await;
    assert_eq!(started["output_active"], true, "{started}");
    assert_eq!(started["stream_status"], "active");
    let (_, ss) = get(&hub, "/api/obs/stream-status").await;
    assert_eq!(ss["data"]["outputActive"], true);
    let status = hub.hub().obs.status();
    assert_eq!(status["streaming"]["active"], true);

    let mut d = dashboard(&hub).await;
    let (st, r) = push(&mut d, "dashboard:main", "obs:start_streaming", json!({})).await;
    assert_eq!(
        (st.as_str(), &r["error"]["code"]),
        ("error", &json!("operation_failed")),
        "{r}"
    );
    let (st, _) = push(&mut d, "dashboard:main", "obs:stop_streaming", json!({})).await;
    assert_eq!(st, "ok");
    let stopped = wait_obs(&mut w, "obs.stream_stopped", Duration::from_secs(20)).await;
    assert_eq!(stopped["output_active"], false);
    assert_eq!(hub.hub().obs.status()["streaming"]["active"], false);
    // The ingest saw OBS publish (nginx logs it when the publish starts, long before
    // the stop above).
    assert!(
        rtmp.log().contains("publish"),
        "nginx saw no publish:\n{}",
        rtmp.log()
    );
    hub.stop().await;
}

#[tokio::test]
async fn obs_killed_and_restarted_reconnects_without_restarting_landale() {
    // The hub keeps the default 30 s request timeout, so a hang would show below.
    let Some(Rig {
        mut obs,
        hub,
        mut w,
        est: _,
        _one,
    }) = rig().await
    else {
        return;
    };
    let mut d = dashboard(&hub).await;

    obs.kill();
    let lost = wait_obs(&mut w, "obs.connection_lost", Duration::from_secs(10)).await;
    assert_eq!(lost["reconnecting"], true);
    assert!(
        lost["reason"].as_str().is_some_and(|r| !r.is_empty()),
        "{lost}"
    );

    // While OBS is down a request fails at once with a reason, it does not hang for 30 s.
    let asked = Instant::now();
    let (st, r) = push(&mut d, "dashboard:main", "obs:start_streaming", json!({})).await;
    assert_eq!(st, "error");
    assert_eq!(r["error"]["code"], "service_unavailable", "{r}");
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not connected"),
        "{r}"
    );
    assert!(
        asked.elapsed() < Duration::from_secs(5),
        "took {:?}",
        asked.elapsed()
    );
    let (code, _) = get(&hub, "/api/obs/scenes").await;
    assert_eq!(code, 503);
    assert_eq!(hub.hub().obs.status()["connected"], false);

    obs.restart().await;
    let again = wait_obs(&mut w, "obs.connection_established", WAIT).await;
    assert_eq!(again["authentication"], true);
    let (st, r) = push(&mut d, "dashboard:main", "obs:get_status", json!({})).await;
    assert_eq!((st.as_str(), &r["data"]["connected"]), ("ok", &json!(true)));
    hub.stop().await;
}

#[tokio::test]
async fn a_frozen_obs_is_detected_by_the_liveness_check() {
    let Some(Rig {
        obs,
        hub,
        mut w,
        est: _,
        _one,
    }) = rig().await
    else {
        return;
    };

    // SIGSTOP: the TCP connection stays open, OBS answers nothing.
    obs.freeze();
    let lost = wait_obs(&mut w, "obs.connection_lost", Duration::from_secs(10)).await;
    assert!(
        lost["reason"]
            .as_str()
            .unwrap()
            .contains("stopped answering"),
        "{lost}"
    );
    obs.thaw();
    wait_obs(&mut w, "obs.connection_established", WAIT).await;
    assert_eq!(hub.hub().obs.status()["connected"], true);
    hub.stop().await;
}
