//! REST shapes and status codes, the token rule, and channel commands end to end.

use landale_testkit::*;
use serde_json::{json, Value};

fn follow_body(login: &str) -> Value {
    json!({"subscription": {"type": "channel.follow", "version": "2"},
           "event": {"user_id": "42", "user_login": login, "user_name": login,
                     "broadcaster_user_id": "12826", "broadcaster_user_login": "avalonstar"}})
}

#[tokio::test]
async fn control_needs_the_token_reads_do_not() {
    let hub = TestHub::start(Opts {
        trust_loopback: false,
        ..Default::default()
    })
    .await;
    let http = reqwest::Client::new();
    let r = http
        .post(hub.http("/api/eventsub"))
        .json(&follow_body("x"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");
    let r = http
        .post(hub.http("/api/eventsub"))
        .bearer_auth("wrong-token-xxxxxxxx")
        .json(&follow_body("x"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(hub.hub().bus.head(), 0, "nothing was published");
    let r = http
        .post(hub.http("/api/eventsub"))
        .bearer_auth(TOKEN)
        .json(&follow_body("x"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["success"], true);
    assert_eq!(body["message"], "Event processed");
    assert!(body["seq"].as_u64().unwrap() >= 1);
    // Reads need nothing.
    for path in [
        "/health",
        "/ready",
        "/api/health",
        "/api/activity/events",
        "/metrics",
    ] {
        assert_eq!(
            http.get(hub.http(path)).send().await.unwrap().status(),
            200,
            "{path}"
        );
    }
    // Socket: a control push without the token changes nothing.
    let mut c = ws_anon(&hub.ws_url(), "").await;
    join(&mut c, "stream:overlays", json!({})).await;
    let (status, resp) = push(
        &mut c,
        "stream:overlays",
        "takeover",
        json!({"type": "custom", "message": "hi"}),
    )
    .await;
    assert_eq!(status, "error");
    assert_eq!(resp["error"]["code"], "unauthorized");
    let (status, resp) = push(&mut c, "stream:overlays", "ping", json!({})).await;
    assert_eq!(
        (status.as_str(), &resp["data"]["pong"]),
        ("ok", &json!(true)),
        "reads still work"
    );
    let mut t = ws_anon(&hub.ws_url(), "").await;
    join(&mut t, "transcription:live", json!({})).await;
    let (status, resp) = push(
        &mut t,
        "transcription:live",
        "submit_transcription",
        json!({"timestamp": rfc3339(chrono::Utc::now()), "duration": 1, "text": "nope"}),
    )
    .await;
    assert_eq!(
        (status.as_str(), resp["reason"].as_str()),
        ("error", Some("unauthorized"))
    );
    assert!(
        hub.hub()
            .store
            .list_transcriptions(10, None)
            .await
            .unwrap()
            .is_empty(),
        "nothing stored"
    );
    hub.stop().await;
}

#[tokio::test]
async fn loopback_is_trusted_by_default_but_not_for_foreign_pages() {
    let hub = TestHub::start(Opts {
        trust_loopback: true,
        ..Default::default()
    })
    .await;
    let http = reqwest::Client::new();
    let r = http
        .post(hub.http("/api/eventsub"))
        .json(&follow_body("x"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // A page on another site posting to the loopback hub (no preflight needed).
    let r = http
        .post(hub.http("/api/eventsub"))
        .header("origin", "https://evil.example")
        .header("content-type", "text/plain")
        .body(follow_body("csrf").to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "cross-site requests get no loopback trust");
    // DNS rebinding: a foreign name resolving to loopback.
    let r = http
        .post(hub.http("/api/eventsub"))
        .header("host", format!("rebind.example:{}", hub.addr.port()))
        .json(&follow_body("rebind"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        401,
        "a non-loopback Host gets no loopback trust"
    );
    let r = http
        .post(hub.http("/api/eventsub"))
        .header("origin", "https://evil.example")
        .bearer_auth(TOKEN)
        .json(&follow_body("with_token"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the token always works");
    hub.stop().await;
}

/// EventSub redeliveries (same message id) are published once.
#[tokio::test]
async fn duplicate_message_ids_are_published_once() {
    let hub = TestHub::start(Opts::default()).await;
    let mut c = ws(&hub.ws_url(), "").await;
    join(&mut c, "events:interactions", json!({})).await;
    let http = reqwest::Client::new();
    let mut replies = Vec::new();
    for _ in 0..2 {
        let r = http
            .post(hub.http("/api/eventsub"))
            .bearer_auth(TOKEN)
            .header(
                "Twitch-Eventsub-Message-Id",
                "befa7b53-d79d-478f-86b9-120f112b044e",
            )
            .json(&follow_body("twice"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        replies.push(r.json::<Value>().await.unwrap());
    }
    assert_eq!(replies[0]["message"], "Event processed");
    assert_eq!(
        (
            replies[1]["duplicate"].as_bool(),
            replies[1]["message"].as_str()
        ),
        (Some(true), Some("Duplicate event ignored"))
    );
    let after = hub.follow("marker");
    let f = next_event(&mut c, "follower").await;
    assert_eq!(f[4]["id"], "befa7b53-d79d-478f-86b9-120f112b044e");
    let f = next_event(&mut c, "follower").await;
    assert_eq!(f[4]["seq"], after, "the redelivery was not published");
    hub.stop().await;
}

#[tokio::test]
async fn invalid_events_are_rejected_with_field_errors_and_never_published() {
    let hub = TestHub::start(Opts::default()).await;
    let http = reqwest::Client::new();
    let mut bad = follow_body("x");
    bad["event"]["user_id"] = json!("abc");
    bad["event"]["user_login"] = json!("has space");
    let r = hub.post("/api/eventsub", &bad).await;
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "Event processing failed");
    let fields = body["details"]["fields"].as_object().unwrap();
    assert_eq!(fields.keys().collect::<Vec<_>>(), ["user_id", "user_login"]);
    for bad_body in [
        json!({"event": {}}),
        json!({"subscription": {"type": "obs.scene_changed"}, "event": {}}),
        json!([1]),
    ] {
        let r = hub.post("/api/eventsub", &bad_body).await;
        assert_eq!(r.status(), 400, "{bad_body}");
    }
    let r = http
        .post(hub.http("/api/eventsub"))
        .bearer_auth(TOKEN)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(hub.hub().bus.head(), 0);
    assert_eq!(hub.hub().metrics.events_rejected.get(), 1);
    // Oversized bodies are refused before parsing.
    let huge =
        json!({"subscription": {"type": "channel.follow"}, "event": {"x": "y".repeat(200_000)}});
    let r = hub.post("/api/eventsub", &huge).await;
    assert_eq!(r.status(), 413);
    let r = http.get(hub.http("/api/nope")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"errors": {"detail": "Not Found"}})
    );
    let metrics = http
        .get(hub.http("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("landale_events_rejected_total 1"),
        "{metrics}"
    );
    assert!(metrics.contains("landale_fanout_latency_seconds_bucket"));
    hub.stop().await;
}

#[tokio::test]
async fn rest_reads_have_the_reference_shapes() {
    let hub = TestHub::start(Opts::default()).await;
    let http = reqwest::Client::new();
    let get = |p: &str| {
        let (http, url) = (http.clone(), hub.http(p));
        async move {
            let r = http.get(url).send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    hub.follow("shape");
    hub.wait_stored(1).await;
    let (s, b) = get("/api/activity/events?limit=5&event_type=channel.follow").await;
    assert_eq!(s, 200);
    assert_eq!(b["success"], true);
    assert_eq!(b["data"]["count"], 1);
    assert_eq!(b["data"]["events"][0]["event_type"], "channel.follow");
    assert_eq!(b["data"]["events"][0]["user_login"], "shape");
    let (s, b) = get("/api/activity/stats?hours=24").await;
    assert_eq!(s, 200);
    assert_eq!(b["data"]["stats"]["follows"], 1);
    assert_eq!(b["data"]["time_window_hours"], 24);
    let (s, _) = get("/api/activity/stats?hours=abc").await;
    assert_eq!(s, 400, "a malformed number is a 400");

    let (s, b) = get("/api/transcriptions/search").await;
    assert_eq!(
        (s, b["error"].as_str()),
        (400, Some("Search query (q) is required"))
    );
    let (s, b) = get("/api/transcriptions/search?q=%20").await;
    assert_eq!(
        (s, b["error"].as_str()),
        (400, Some("Search query cannot be empty"))
    );
    let (s, b) = get("/api/transcriptions/time-range?start_time=yesterday").await;
    assert_eq!(
        (s, b["error"].as_str()),
        (400, Some("Invalid start_time format. Use ISO 8601."))
    );
    let (s, b) =
        get("/api/transcriptions/time-range?start_time=2026-01-01T00:00:00Z&end_time=bad").await;
    assert_eq!(
        (s, b["error"].as_str()),
        (400, Some("Invalid end_time format. Use ISO 8601."))
    );
    let (s, b) = get("/api/transcriptions/session/s1").await;
    assert_eq!((s, b["session_id"].as_str()), (200, Some("s1")));
    let (s, b) = get("/api/transcriptions/stats").await;
    assert_eq!((s, &b["data"]["total_count"]), (200, &json!(0)));

    let r = http
        .post(hub.http("/api/contexts"))
        .bearer_auth(TOKEN)
        .json(&json!({"session": "s"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["error"]["code"], "validation_failed");
    assert!(b["error"]["details"]["errors"]["started"].is_array());
    // Times relative to now: the stats route's default window is the last 24 hours.
    let ago = |minutes: i64| rfc3339(chrono::Utc::now() - chrono::Duration::minutes(minutes));
    let ctx = json!({"started": ago(61), "ended": ago(60), "session": "s",
                     "transcript": "we did it", "duration": 60.0, "sentiment": "positive", "topics": ["win"]});
    let r = hub.post("/api/contexts", &ctx).await;
    assert_eq!(r.status(), 201);
    // A day and an hour old: outside the default window, inside a 48-hour one.
    let old = json!({"started": ago(25 * 60 + 1), "ended": ago(25 * 60), "session": "s",
                     "transcript": "yesterday", "duration": 60.0, "sentiment": "neutral", "topics": ["old"]});
    let r = hub.post("/api/contexts", &old).await;
    assert_eq!(r.status(), 201);
    let (s, b) = get("/api/contexts?limit=10").await;
    assert_eq!(
        (s, b["data"]["contexts"][0]["transcript"].as_str()),
        (200, Some("we did it"))
    );
    let (s, b) = get("/api/contexts/search").await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (400, Some("missing_parameter"))
    );
    let (s, _) = get("/api/contexts?limit=x").await;
    assert_eq!(s, 400);
    let (s, b) = get("/api/contexts/stats").await;
    assert_eq!(
        (
            s,
            b["status"].as_str(),
            &b["data"]["overall"]["total_count"]
        ),
        (200, Some("success"), &json!(1)),
        "only the context inside the default 24-hour window counts"
    );
    let (s, b) = get("/api/contexts/stats?hours=48").await;
    assert_eq!(
        (
            s,
            &b["data"]["overall"]["total_count"],
            &b["data"]["time_window_hours"]
        ),
        (200, &json!(2), &json!(48))
    );

    let r = http
        .post(hub.http("/api/community/members/activity"))
        .bearer_auth(TOKEN)
        .json(&json!({"username": "Zed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = http
        .post(hub.http("/api/community/members/activity"))
        .bearer_auth(TOKEN)
        .json(&json!({"username": "zed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["data"]["message_count"], 2);
    let r = http
        .post(hub.http("/api/community/members/activity"))
        .bearer_auth(TOKEN)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let (s, b) = get("/api/community/pronunciation/nobody").await;
    assert_eq!((s, b["error"]["code"].as_str()), (404, Some("not_found")));
    let r = http
        .post(hub.http("/api/community/vocabulary"))
        .bearer_auth(TOKEN)
        .json(&json!({"phrase": "pog", "category": "slang"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = http
        .post(hub.http("/api/community/vocabulary"))
        .bearer_auth(TOKEN)
        .json(&json!({"phrase": "POG", "category": "slang"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let (s, b) = get("/api/community/vocabulary/search?q=po").await;
    assert_eq!(
        (s, b["data"]["data"][0]["phrase"].as_str()),
        (200, Some("pog"))
    );
    let (s, b) = get("/ready").await;
    assert_eq!(
        (s, b["checks"]["database"]["connected"].as_bool()),
        (200, Some(true))
    );
    hub.stop().await;
}

#[tokio::test]
async fn stream_channel_commands_and_takeovers() {
    let hub = TestHub::start(Opts::default()).await;
    let url = hub.ws_url();
    let mut overlay = ws(&url, "").await;
    let mut queue = ws(&url, "").await;
    join(
        &mut overlay,
        "stream:overlays",
        json!({"overlay_type": "omnibar"}),
    )
    .await;
    let first = next_event(&mut overlay, "stream_state").await;
    assert_eq!(first[4]["current_show"], "variety");
    assert!(first[4]["metadata"]["state_version"].is_u64());
    join(&mut queue, "stream:queue", json!({})).await;
    next_event(&mut queue, "queue_state").await;

    for (payload, msg) in [
        (json!({"message": "x"}), "Missing required field: type"),
        (json!({"type": "custom"}), "Missing required field: message"),
    ] {
        let (status, resp) = push(&mut overlay, "stream:overlays", "takeover", payload).await;
        assert_eq!(
            (status.as_str(), resp["error"]["message"].as_str()),
            ("error", Some(msg))
        );
    }
    let (status, resp) = push(
        &mut overlay,
        "stream:overlays",
        "takeover",
        json!({"type": "screen-cover", "duration": 5000}),
    )
    .await;
    assert_eq!(
        (status.as_str(), resp["data"]["operation"].as_str()),
        ("ok", Some("takeover_sent"))
    );
    let t = next_event(&mut overlay, "takeover").await;
    assert_eq!(
        (t[4]["type"].as_str(), t[4]["duration"].as_u64()),
        (Some("screen-cover"), Some(5000))
    );
    let (status, _) = push(&mut overlay, "stream:overlays", "takeover_clear", json!({})).await;
    assert_eq!(status, "ok");
    next_event(&mut overlay, "takeover_clear").await;

    // The queue topic saw no takeover: its next frame after a ping reply is the reply.
    let (status, _) = push(&mut queue, "stream:queue", "ping", json!({})).await;
    assert_eq!(status, "ok");

    let huge = json!({"type": "alert", "data": {}, "duration": 10_000_000_000_000_000u64});
    let (status, resp) = push(&mut overlay, "stream:overlays", "force_content", huge).await;
    assert_eq!(
        (status.as_str(), resp["error"]["code"].as_str()),
        ("error", Some("validation_failed")),
        "durations are bounded"
    );
    let (status, resp) = push(
        &mut overlay,
        "stream:overlays",
        "force_content",
        json!({"type": "alert", "data": {"message": "hello"}, "duration": 30000}),
    )
    .await;
    assert_eq!(
        (status.as_str(), resp["data"]["operation"].as_str()),
        ("ok", Some("override_sent"))
    );
    let id = resp["data"]["id"].as_str().unwrap().to_string();
    let s = next_event(&mut overlay, "stream_state").await;
    assert_eq!(s[4]["alerts"][0]["type"], "manual_override");
    assert_eq!(s[4]["alerts"][0]["layer"], "foreground");
    let q = next_event(&mut queue, "queue_state").await;
    assert_eq!(q[4]["queue"][0]["id"], id.as_str());
    let (status, resp) = push(&mut queue, "stream:queue", "remove_queue_item", json!({})).await;
    assert_eq!(
        (status.as_str(), resp["error"]["message"].as_str()),
        ("error", Some("Missing required field: id"))
    );
    let (status, resp) = push(
        &mut queue,
        "stream:queue",
        "remove_queue_item",
        json!({"id": id}),
    )
    .await;
    assert_eq!(
        (status.as_str(), resp["data"]["operation"].as_str()),
        ("ok", Some("item_removed"))
    );
    let q = next_event(&mut queue, "queue_state").await;
    assert_eq!(q[4]["queue"], json!([]));
    hub.stop().await;
}

#[tokio::test]
async fn overlay_and_dashboard_channels() {
    let hub = TestHub::start(Opts::default()).await;
    let mut o = ws(&hub.ws_url(), "").await;
    join(&mut o, "overlay:system", json!({})).await;
    let init = next_event(&mut o, "initial_state").await;
    assert_eq!(
        (
            init[4]["type"].as_str(),
            init[4]["data"]["connected"].as_bool()
        ),
        (Some("system"), Some(true))
    );
    let (status, resp) = push(&mut o, "overlay:system", "ping", json!({"hello": 1})).await;
    assert_eq!(
        (
            status.as_str(),
            resp["hello"].as_i64(),
            resp["overlay_type"].as_str()
        ),
        ("ok", Some(1), Some("system"))
    );
    let (status, resp) = push(&mut o, "overlay:system", "system:status", json!({})).await;
    assert_eq!(
        (
            status.as_str(),
            resp["services"]["database"]["connected"].as_bool()
        ),
        ("ok", Some(true))
    );
    let (status, resp) = push(
        &mut o,
        "overlay:system",
        "ironmon:checkpoints",
        json!({"challenge_id": "1"}),
    )
    .await;
    assert_eq!(
        (status.as_str(), resp.as_array().map(Vec::len)),
        ("ok", Some(24))
    );
    let (_, resp) = push(&mut o, "overlay:system", "ironmon:checkpoints", json!({})).await;
    assert_eq!(resp["message"], "Missing required parameters: challenge_id");
    let (_, resp) = push(
        &mut o,
        "overlay:system",
        "ironmon:checkpoints",
        json!({"challenge_id": -1}),
    )
    .await;
    assert_eq!(
        resp["message"],
        "Parameter 'challenge_id' must be a positive integer"
    );
    let (_, resp) = push(
        &mut o,
        "overlay:system",
        "ironmon:recent_results",
        json!({"limit": 500}),
    )
    .await;
    assert_eq!(
        resp["message"],
        "Parameter 'limit' must be an integer between 1 and 100"
    );
    let (status, resp) = push(&mut o, "overlay:system", "bogus", json!({})).await;
    assert_eq!(
        (status.as_str(), resp["message"].as_str()),
        ("error", Some("Unknown command: bogus"))
    );

    let mut d1 = ws(&hub.ws_url(), "").await;
    let mut d2 = ws(&hub.ws_url(), "").await;
    join(&mut d1, "dashboard:main", json!({})).await;
    join(&mut d2, "dashboard:main", json!({})).await;
    next_event(&mut d2, "initial_state").await;
    send(
        &mut d1,
        json!(["1", "5", "dashboard:main", "shout", {"msg": "hey", "seq": 999999999}]),
    )
    .await;
    let shout = next_event(&mut d2, "shout").await;
    assert_eq!(
        shout[4],
        json!({"msg": "hey"}),
        "forwarded as sent, minus seq"
    );
    // Without OBS_WEBSOCKET_URL: a clear error naming the setting, at once.
    let (status, resp) = push(&mut d1, "dashboard:main", "obs:start_streaming", json!({})).await;
    assert_eq!(
        (status.as_str(), resp["error"]["code"].as_str()),
        ("error", Some("service_unavailable"))
    );
    assert!(
        resp["error"]["message"]
            .as_str()
            .unwrap()
            .contains("OBS_WEBSOCKET_URL"),
        "{resp}"
    );
    // Backpressure: 50 commands per sliding 10 s per channel (two used above).
    for i in 2..50 {
        let (status, _) = push(&mut d1, "dashboard:main", "rainwave:get_status", json!({})).await;
        assert_eq!(status, "ok", "command {i}");
    }
    let (status, resp) = push(&mut d1, "dashboard:main", "rainwave:get_status", json!({})).await;
    assert_eq!(
        (
            status.as_str(),
            resp["error"]["code"].as_str(),
            resp["error"]["message"].as_str()
        ),
        ("error", Some("backpressure"), Some("rate_limit_exceeded"))
    );
    let (status, _) = push(&mut d1, "dashboard:main", "ping", json!({})).await;
    assert_eq!(status, "ok", "ping is never limited");
    let (status, resp) = push(&mut d2, "dashboard:main", "obs:get_status", json!({})).await;
    assert_eq!(
        (status.as_str(), &resp["data"]["connection_state"]),
        ("ok", &json!("not_configured"))
    );
    let (status, _) = push(&mut d2, "dashboard:main", "rainwave:get_status", json!({})).await;
    assert_eq!(status, "ok", "the limit is per channel");
    hub.stop().await;
}

/// `dashboard:services` proxies to nurvus: a tiny fake nurvus on loopback.
#[tokio::test]
async fn services_channel_proxies_to_nurvus() {
    use axum::routing::{get, post};
    let app = axum::Router::new()
        .route(
            "/api/processes/{name}/{action}",
            // Like a nurvus on another machine: controls need the shared token.
            post(
                |axum::extract::Path((n, a)): axum::extract::Path<(String, String)>,
                 headers: axum::http::HeaderMap| async move {
                    let bearer = format!("Bearer {TOKEN}");
                    if headers.get("authorization").and_then(|v| v.to_str().ok())
                        != Some(bearer.as_str())
                    {
                        return (
                            axum::http::StatusCode::UNAUTHORIZED,
                            axum::Json(json!({"error": "token"})),
                        );
                    }
                    (
                        axum::http::StatusCode::OK,
                        axum::Json(json!({"process_id": n, "status": format!("{a}ed")})),
                    )
                },
            ),
        )
        .route(
            "/api/processes/{name}",
            get(|| async { (axum::http::StatusCode::NOT_FOUND, "no") }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let nurvus = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let hub = TestHub::start(Opts {
        nurvus_url: Some(nurvus),
        ..Default::default()
    })
    .await;
    let mut a = ws(&hub.ws_url(), "").await;
    let mut b = ws(&hub.ws_url(), "").await;
    join(&mut a, "dashboard:services", json!({})).await;
    join(&mut b, "dashboard:services", json!({})).await;
    send(
        &mut a,
        json!(["1", "2", "dashboard:services", "start", {"service": "seed"}]),
    )
    .await;
    let r = next_event(&mut a, "command_result").await;
    assert_eq!(
        (r[4]["success"].as_bool(), r[4]["data"]["status"].as_str()),
        (Some(true), Some("started"))
    );
    let n = next_event(&mut b, "service_starting").await;
    assert_eq!(
        (n[4]["service"].as_str(), n[4]["action"].as_str()),
        (Some("seed"), Some("start"))
    );
    send(
        &mut a,
        json!(["1", "3", "dashboard:services", "get_status", {"service": "phononmaser"}]),
    )
    .await;
    let r = next_event(&mut a, "command_result").await;
    assert_eq!(
        (
            r[4]["error"]["code"].as_str(),
            r[4]["error"]["message"].as_str()
        ),
        (Some("nurvus_error"), Some("Process not found in Nurvus"))
    );
    let (status, resp) = push(
        &mut a,
        "dashboard:services",
        "start",
        json!({"service": "obs"}),
    )
    .await;
    assert_eq!(
        (status.as_str(), resp["error"]["code"].as_str()),
        ("error", Some("invalid_service"))
    );
    send(
        &mut a,
        json!(["1", "4", "dashboard:services", "get_telemetry", {}]),
    )
    .await;
    let t = next_event(&mut a, "telemetry_update").await;
    assert_eq!(t[4]["transcription"]["total_transcriptions_24h"], 0);
    assert_eq!(t[4]["system"]["status"], "healthy");
    assert!(t[4]["services"]["seed"]["connected"].is_boolean());
    hub.stop().await;
}

/// A caller's `x-correlation-id` becomes the event's correlation id and is echoed back;
/// without one the hub makes one.
#[tokio::test]
async fn correlation_ids_are_carried_from_http_to_the_event() {
    let hub = TestHub::start(Opts::default()).await;
    let mut c = ws(&hub.ws_url(), "").await;
    join(&mut c, "events:interactions", json!({})).await;
    let http = reqwest::Client::new();
    let r = http
        .post(hub.http("/api/eventsub"))
        .bearer_auth(TOKEN)
        .header("x-correlation-id", "phonon-1234abcd")
        .json(&follow_body("corr"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-correlation-id"], "phonon-1234abcd");
    let f = next_event(&mut c, "follower").await;
    assert_eq!(f[4]["correlation_id"], "phonon-1234abcd");
    let r = http.get(hub.http("/health")).send().await.unwrap();
    let generated = r.headers()["x-correlation-id"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(generated.len(), 8);
    hub.stop().await;
}

/// A `channel.update` into a mapped category changes the show: `show_changed` on both
/// stream topics, the state's `current_show`, and the layer mappings follow.
#[tokio::test]
async fn channel_update_changes_the_show() {
    let hub = TestHub::start(Opts::default()).await;
    let mut overlay = ws(&hub.ws_url(), "").await;
    let mut queue = ws(&hub.ws_url(), "").await;
    let mut o = ws(&hub.ws_url(), "").await;
    join(&mut overlay, "stream:overlays", json!({})).await;
    join(&mut queue, "stream:queue", json!({})).await;
    join(&mut o, "overlay:system", json!({})).await;
    let update = json!({"subscription": {"type": "channel.update", "version": "2"},
        "event": {"broadcaster_user_id": "12826", "broadcaster_user_login": "avalonstar", "title": "Kaizo attempt 500",
                  "language": "en", "category_id": "13332", "category_name": "Pokémon FireRed/LeafGreen",
                  "content_classification_labels": []}});
    let r = hub.post("/api/eventsub", &update).await;
    assert_eq!(r.status(), 200);
    for c in [&mut overlay, &mut queue] {
        let f = next_event(c, "show_changed").await;
        assert_eq!(f[4]["show"], "ironmon");
        assert_eq!(
            f[4]["game"],
            json!({"id": "13332", "name": "Pokémon FireRed/LeafGreen"})
        );
        assert_eq!(f[4]["title"], "Kaizo attempt 500");
    }
    let s = next_event(&mut overlay, "stream_state").await;
    assert_eq!(s[4]["current_show"], "ironmon");
    let (status, resp) = push(&mut o, "overlay:system", "get_layer_mappings", json!({})).await;
    assert_eq!(status, "ok");
    assert_eq!(resp["current_show"], "ironmon");
    assert!(resp["mappings"]["foreground"]
        .as_array()
        .unwrap()
        .contains(&json!("death_alert")));
    assert_eq!(
        resp["available_shows"],
        json!(["coding", "ironmon", "variety"])
    );
    hub.stop().await;
}
