//! The control and introspection routes (reference §11.1, §11.3, §11.5): shapes and
//! codes, the token on `ping`, the WebSocket schema generated from the protocol
//! tables, the Twitch subscription routes against the fake Twitch (list, create,
//! delete, the health report's real numbers), and Rainwave's routes against the fake
//! Rainwave (status, a config change that really changes what is polled).

use fake_rainwave::FakeRainwave;
use landale_testkit::{twitch, Opts, TestHub, TOKEN};
use serde_json::{json, Value};
use std::time::Duration;

async fn get(hub: &TestHub, path: &str) -> (u16, Value) {
    let r = reqwest::get(hub.http(path)).await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn post(hub: &TestHub, path: &str, body: Value, token: bool) -> (u16, Value) {
    let mut r = reqwest::Client::new().post(hub.http(path)).json(&body);
    if token {
        r = r.bearer_auth(TOKEN);
    }
    let r = r.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn control_and_services_routes() {
    let hub = TestHub::start(Opts::default()).await;
    hub.hub()
        .ironmon
        .listening(Duration::from_secs(10))
        .await
        .unwrap();
    let (code, s) = get(&hub, "/api/control/status").await;
    assert_eq!(code, 200);
    assert_eq!(s["success"], true);
    assert!(
        s["data"]["services"]["ironmon_tcp"]["connected"] == true,
        "{s}"
    );
    assert!(s["data"]["server"]["uptime_seconds"].is_u64());
    let (_, svc) = get(&hub, "/api/control/services").await;
    assert_eq!(svc["data"]["ironmon_tcp"]["service_type"], "tcp_server");
    assert_eq!(svc["data"]["database"]["seed_count"], 0);
    let (_, tok) = get(&hub, "/api/control/tokens").await;
    assert_eq!(tok["data"]["twitch"]["token_valid"], false);
    assert!(tok["data"]["twitch"].get("access_token").is_none());
    let (code, body) = post(&hub, "/api/control/ping", json!({}), false).await;
    assert_eq!(code, 401, "a control without the token: {body}");
    let (code, pong) = post(&hub, "/api/control/ping", json!({}), true).await;
    assert_eq!((code, pong["data"]["pong"].clone()), (200, json!(true)));

    let (_, list) = get(&hub, "/api/services").await;
    let names: Vec<&str> = list["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["obs", "twitch", "ironmon_tcp", "rainwave"]);
    assert!(list["services"][0]["capabilities"]
        .as_array()
        .unwrap()
        .contains(&json!("scenes")));
    let (_, health) = get(&hub, "/api/services/health").await;
    assert_eq!(health["health"]["ironmon_tcp"]["listening"], true);
    let (code, sys) = get(&hub, "/api/services/system-health").await;
    assert_eq!(code, 200, "{sys}");
    assert_eq!(sys["system_health"]["status"], "healthy");
    assert_eq!(sys["system_health"]["summary"]["healthy"], 1);
    assert_eq!(
        sys["system_health"]["services"]["rainwave"], "off",
        "not configured is not a fault"
    );
    let (code, one) = get(&hub, "/api/services/rainwave").await;
    assert_eq!(
        (code, one["service"]["status"].clone()),
        (200, json!("not_configured"))
    );
    let (code, missing) = get(&hub, "/api/services/nope").await;
    assert_eq!(
        (code, missing),
        (404, json!({"error": "Service not found"}))
    );
    let (code, _) = get(&hub, "/api/services/ironmon_tcp/health").await;
    assert_eq!(code, 200);

    let (_, schema) = get(&hub, "/api/websocket/schema").await;
    assert_eq!(schema["endpoint"], "/socket/websocket");
    assert!(schema["event_types"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["type"] == "ironmon.run_ended"));
    let (_, stream) = get(&hub, "/api/websocket/channels/stream").await;
    assert!(stream["controls"]
        .as_array()
        .unwrap()
        .contains(&json!("takeover")));
    let (code, _) = get(&hub, "/api/websocket/channels/nope").await;
    assert_eq!(code, 404);
    let (_, ex) = get(&hub, "/api/websocket/examples").await;
    assert_eq!(
        ex["v2"]["order"],
        json!(["join_ref", "ref", "topic", "event", "payload"])
    );

    let (code, tw) = get(&hub, "/api/twitch/status").await;
    assert_eq!((code, tw["success"].clone()), (503, json!(false)));
    let (code, types) = get(&hub, "/api/twitch/subscription-types").await;
    assert_eq!(code, 200);
    assert!(types["data"]["channel"].as_array().unwrap().len() > 10);
    let (code, h) = get(&hub, "/api/health/subscriptions").await;
    assert_eq!(
        (code, h["status"].clone()),
        (200, json!("no_subscriptions"))
    );
    hub.stop().await;
}

#[tokio::test]
async fn twitch_subscription_routes_against_the_fake() {
    let (_fake, hub) = twitch::signed_in(
        fake_twitch::FakeConfig::default(),
        &[
            "moderator:read:followers",
            "user:read:chat",
            "channel:read:subscriptions",
        ],
    )
    .await;
    let s = twitch::eventsub_until(&hub, "ready", |s| {
        s.state == "ready" && s.subscription_count > 0
    })
    .await;
    let (code, list) = get(&hub, "/api/twitch/subscriptions").await;
    assert_eq!(code, 200, "{list}");
    let subs = list["data"].as_array().unwrap();
    assert_eq!(subs.len(), s.subscription_count, "{list}");
    let (code, report) = get(&hub, "/api/health/subscriptions").await;
    assert_eq!(code, 200, "{report}");
    assert_eq!(
        report["subscription_health"]["enabled_subscriptions"],
        s.subscription_count
    );
    assert!(
        report["subscription_health"]["subscriptions_by_type"]["channel.follow"] == 1,
        "{report}"
    );

    let id = subs[0]["id"].as_str().unwrap().to_string();
    let path = format!("/api/twitch/subscriptions/{id}");
    let r = reqwest::Client::new()
        .delete(hub.http(&path))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "delete is a control");
    let r = reqwest::Client::new()
        .delete(hub.http(&path))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (_, after) = get(&hub, "/api/twitch/subscriptions").await;
    assert_eq!(after["data"].as_array().unwrap().len(), subs.len() - 1);

    let (code, bad) = post(
        &hub,
        "/api/twitch/subscriptions",
        json!({"type": "channel.follow"}),
        true,
    )
    .await;
    assert_eq!(code, 400, "{bad}");
    let (code, unknown) = post(
        &hub,
        "/api/twitch/subscriptions",
        json!({"type": "channel.nope", "condition": {}}),
        true,
    )
    .await;
    assert_eq!(code, 400, "{unknown}");
    let kind = subs[0]["type"].as_str().unwrap();
    let (code, made) = post(
        &hub,
        "/api/twitch/subscriptions",
        json!({"type": kind, "condition": subs[0]["condition"]}),
        true,
    )
    .await;
    assert_eq!(code, 200, "{made}");
    assert_eq!(made["data"]["type"], kind);
    hub.stop().await;
}

#[tokio::test]
async fn rainwave_routes_with_the_fake() {
    let (fake, addr) = FakeRainwave::start(([127, 0, 0, 1], 0).into(), "77", "k")
        .await
        .unwrap();
    let mut settings = landale_rainwave::RainwaveArgs {
        rainwave_api_key: Some("k".into()),
        rainwave_user_id: Some("77".into()),
        rainwave_api_url: Some(format!("http://{addr}/api4")),
        rainwave_poll_ms: Some("200".into()),
        ..Default::default()
    }
    .settings()
    .unwrap();
    settings.timeout = Duration::from_secs(2);
    let hub = TestHub::start(Opts {
        rainwave: Some(settings),
        ..Opts::default()
    })
    .await;
    let mut overlay = landale_testkit::ws_anon(&hub.ws_url(), "").await;
    landale_testkit::join(&mut overlay, "overlay:music", json!({})).await;
    let update = loop {
        let e = landale_testkit::next_event(&mut overlay, "music_event").await;
        if e[4]["type"] == "rainwave.update" {
            break e;
        }
    };
    assert_eq!(
        update[4]["song_title"], "Gusty Garden Galaxy",
        "flat fields for overlays"
    );
    let (code, st) = get(&hub, "/api/rainwave/status").await;
    assert_eq!(code, 200);
    assert_eq!(st["data"]["rainwave"]["listening"], true);
    assert_eq!(st["data"]["rainwave"]["station"]["id"], 3);

    let (code, _) = post(
        &hub,
        "/api/rainwave/config",
        json!({"station_id": 2}),
        false,
    )
    .await;
    assert_eq!(code, 401);
    let (code, bad) = post(&hub, "/api/rainwave/config", json!({"station_id": 9}), true).await;
    assert_eq!(code, 400, "{bad}");
    let (code, r) = post(
        &hub,
        "/api/rainwave/config",
        json!({"station_id": "ocremix"}),
        true,
    )
    .await;
    assert_eq!(
        (code, r["message"].clone()),
        (200, json!("Configuration updated successfully"))
    );
    loop {
        let e = landale_testkit::next_event(&mut overlay, "music_event").await;
        if e[4]["type"] == "rainwave.update" && e[4]["station_name"] == "OCR Radio" {
            break;
        }
    }
    assert_eq!(fake.calls().last().unwrap()["sid"], "2");
    let (_, off) = post(
        &hub,
        "/api/rainwave/config",
        json!({"enabled": false}),
        true,
    )
    .await;
    assert_eq!(off["data"]["enabled"], false);
    let e = loop {
        let e = landale_testkit::next_event(&mut overlay, "music_event").await;
        if e[4]["type"] == "rainwave.update" {
            break e;
        }
    };
    assert_eq!(e[4]["enabled"], false);
    hub.hub()
        .ironmon
        .listening(Duration::from_secs(10))
        .await
        .unwrap();
    let (code, sys) = get(&hub, "/api/services/system-health").await;
    assert_eq!(
        (code, sys["system_health"]["services"]["rainwave"].clone()),
        (200, json!("off"))
    );
    hub.stop().await;
}

/// A raw body (not JSON) with the token.
async fn post_raw(hub: &TestHub, path: &str, body: &'static str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(hub.http(path))
        .bearer_auth(TOKEN)
        .body(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn stream_controls_over_rest_are_the_socket_commands() {
    let hub = TestHub::start(Opts::default()).await;
    // An overlay sees what the REST calls do.
    let mut overlay = landale_testkit::ws_anon(&hub.ws_url(), "").await;
    landale_testkit::join(
        &mut overlay,
        "stream:overlays",
        json!({"overlay_type": "takeover"}),
    )
    .await;

    // A control: no token, no action.
    let (st, body) = post(&hub, "/api/stream/pause_queue", json!({}), false).await;
    assert_eq!(st, 401, "{body}");
    assert_eq!(get(&hub, "/api/queue").await.1["data"]["is_paused"], false);

    // With the token: the socket's reply envelope, and the queue really paused.
    let (st, body) = post_raw(&hub, "/api/stream/pause_queue", "").await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(body["success"], true);
    assert_eq!(body["data"]["operation"], "queue_paused");
    assert_eq!(get(&hub, "/api/queue").await.1["data"]["is_paused"], true);
    let (st, body) = post(&hub, "/api/stream/resume_queue", json!({}), true).await;
    assert_eq!((st, body["data"]["changed"].clone()), (200, json!(true)));

    // Nothing to skip: the socket's not_found, as 404.
    let (st, body) = post(&hub, "/api/stream/skip_current", json!({}), true).await;
    assert_eq!(st, 404, "{body}");
    assert_eq!(body["error"]["code"], "not_found");
    // A follow on air, then skipped.
    hub.follow("ann");
    loop {
        let s = landale_testkit::next_event(&mut overlay, "stream_state").await;
        if s[4]["alerts"].as_array().is_some_and(|a| !a.is_empty()) {
            break;
        }
    }
    let on_air = get(&hub, "/api/queue").await.1["data"]["queue"][0]["id"].clone();
    assert!(on_air.is_string(), "the follow is queued");
    let (st, body) = post(&hub, "/api/stream/skip_current", json!({}), true).await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(body["data"]["id"], on_air);

    // A takeover with its payload as the body reaches the overlay; a bad one is 422.
    let (st, body) = post(
        &hub,
        "/api/stream/takeover",
        json!({"type": "technical-difficulties"}),
        true,
    )
    .await;
    assert_eq!(st, 200, "{body}");
    let t = landale_testkit::next_event(&mut overlay, "takeover").await;
    assert_eq!(t[4]["type"], "technical-difficulties");
    assert_eq!(t[4]["message"], "Technical difficulties: back in a moment");
    let (st, body) = post(&hub, "/api/stream/takeover", json!({"type": "nope"}), true).await;
    assert_eq!(
        (st, body["error"]["code"].clone()),
        (422, json!("validation_failed"))
    );
    let (st, _) = post(&hub, "/api/stream/takeover_clear", json!({}), true).await;
    assert_eq!(st, 200);
    landale_testkit::next_event(&mut overlay, "takeover_clear").await;

    // Not JSON, not an object, not a command (or a read, which has its own route).
    let (st, body) = post_raw(&hub, "/api/stream/takeover", "technical").await;
    assert_eq!(
        (st, body["error"]["code"].clone()),
        (400, json!("invalid_parameters"))
    );
    let (st, _) = post_raw(&hub, "/api/stream/takeover", "[1]").await;
    assert_eq!(st, 400);
    for name in ["nope", "get_branding", "request_state"] {
        let (st, body) = post(&hub, &format!("/api/stream/{name}"), json!({}), true).await;
        assert_eq!(st, 404, "{name}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("skip_current"),
            "{body}"
        );
    }
    hub.stop().await;
}

/// The README's "Stream Deck and hotkey tools" requests, as written, against a real
/// hub: each `curl` to the hub answers as the README says (the OBS one reaches its
/// route: 503 without OBS here, never 404), so the section cannot rot.
#[tokio::test]
async fn the_readmes_stream_deck_requests_work() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))
        .expect("README.md");
    let section = readme
        .split("## Stream Deck and hotkey tools")
        .nth(1)
        .and_then(|s| s.split("```sh").nth(1))
        .and_then(|s| s.split("```").next())
        .expect("the README's Stream Deck section and its commands");
    let requests: Vec<(String, Option<String>)> = section
        .lines()
        .filter(|l| l.starts_with("curl -X POST"))
        .map(|l| {
            let url = l.split_whitespace().last().unwrap().to_string();
            let body = l
                .split(" -d '")
                .nth(1)
                .map(|b| b.split('\'').next().unwrap().to_string());
            (url, body)
        })
        .collect();
    assert!(requests.len() >= 8, "{requests:?}");
    let hub = TestHub::start(Opts::default()).await;
    // Something on air to skip and to replay.
    hub.follow("ann");
    let mut watch = landale_testkit::ws_anon(&hub.ws_url(), "").await;
    landale_testkit::join(&mut watch, "stream:queue", json!({})).await;
    loop {
        let q = landale_testkit::next_event(&mut watch, "queue_state").await;
        if q[4]["queue"].as_array().is_some_and(|a| !a.is_empty()) {
            break;
        }
    }
    for (url, body) in requests {
        let Some(path) = url.strip_prefix("http://127.0.0.1:7175") else {
            assert!(
                url.starts_with("http://127.0.0.1:4001/api/processes/"),
                "{url}"
            );
            continue;
        };
        let mut r = reqwest::Client::new()
            .post(hub.http(path))
            .header("authorization", format!("Bearer {TOKEN}"));
        if let Some(b) = body {
            r = r.header("content-type", "application/json").body(b);
        }
        let r = r.send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        if path.starts_with("/api/obs/") {
            assert_eq!(status, 503, "{path}: {text}");
        } else if path.starts_with("/api/fleet/") {
            // This hub has no fleet: the route and the token work, the machine is unknown.
            assert_eq!(status, 404, "{path}: {text}");
            assert!(text.contains("Unknown machine"), "{text}");
        } else {
            assert_eq!(status, 200, "{path}: {text}");
        }
    }
    hub.stop().await;
}

/// What the desktop app reads and does: the token check on `ping`, the fleet's view,
/// a restart through the fleet (refused without the token, with an unknown machine or
/// action; the real round trip is the desktop test's, against a real nurvus), and the
/// takeover on screen in `GET /api/queue`.
#[tokio::test]
async fn the_desktop_apps_routes() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let gone = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let hub = TestHub::start(Opts {
        nurvus_urls: Some(format!("streaming={gone}")),
        ..Opts::default()
    })
    .await;
    let (code, pong) = post(&hub, "/api/control/ping", json!({}), true).await;
    assert_eq!(
        (code, pong["data"]["token_valid"].clone()),
        (200, json!(true))
    );
    let wrong = reqwest::Client::new()
        .post(hub.http("/api/control/ping"))
        .bearer_auth("not-the-token-at-all")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    // A hub that lets this machine in without a token still says a wrong one is wrong.
    let trusting = TestHub::start(Opts {
        trust_loopback: true,
        ..Opts::default()
    })
    .await;
    let r: Value = reqwest::Client::new()
        .post(trusting.http("/api/control/ping"))
        .bearer_auth("not-the-token-at-all")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["data"]["token_valid"], false, "{r}");

    // The fleet's view: the one machine, out of reach, with why.
    // Once the fleet's first read is done (its watch says so), the view says why.
    let mut fleet = hub.hub().fleet.subscribe();
    tokio::time::timeout(
        Duration::from_secs(30),
        fleet.wait_for(|v| v["machines"][0]["error"] != "not read yet"),
    )
    .await
    .expect("the fleet read within 30 s")
    .unwrap();
    let (code, view) = get(&hub, "/api/fleet").await;
    assert_eq!(code, 200);
    assert_eq!(view["machines"][0]["name"], "streaming");
    assert_eq!(view["machines"][0]["reachable"], false);
    assert!(
        view["machines"][0]["error"]
            .as_str()
            .unwrap()
            .contains("nurvus is not running"),
        "{view}"
    );

    let (code, _) = post(&hub, "/api/fleet/streaming/seed/restart", json!({}), false).await;
    assert_eq!(code, 401);
    let (code, e) = post(&hub, "/api/fleet/elsewhere/seed/restart", json!({}), true).await;
    assert_eq!(code, 404);
    assert_eq!(
        e["error"]["message"],
        "Unknown machine \"elsewhere\": the fleet has streaming"
    );
    let (code, e) = post(&hub, "/api/fleet/streaming/seed/explode", json!({}), true).await;
    assert_eq!(
        (code, e["error"]["type"].clone()),
        (404, json!("unknown_action"))
    );
    let (code, e) = post(&hub, "/api/fleet/streaming/seed/restart", json!({}), true).await;
    assert_eq!(
        (code, e["error"]["type"].clone()),
        (502, json!("nurvus_error"))
    );

    // The takeover on screen, for a tool's on/off toggle.
    let (_, q) = get(&hub, "/api/queue").await;
    assert_eq!(q["data"]["takeover"], Value::Null);
    let (code, _) = post(
        &hub,
        "/api/stream/takeover",
        json!({"type": "technical-difficulties"}),
        true,
    )
    .await;
    assert_eq!(code, 200);
    let (_, q) = get(&hub, "/api/queue").await;
    assert_eq!(q["data"]["takeover"]["type"], "technical-difficulties");
}
