//! The stream producer end to end: events posted to `/api/eventsub`, a real
//! `stream:overlays` / `stream:queue` client, a manual clock (no test waits for real
//! seconds), restarts against each storage backend, and the contract schemas
//! (docs/schema) checked on every push.

use landale_core::clock::Clock;
use landale_testkit::*;
use serde_json::{json, Value};
use std::time::Duration;

use landale_testkit::stream::{alert_names, check_queue, check_state, follow};

fn start_clock() -> Clock {
    Clock::manual(chrono::DateTime::from_timestamp(1_795_000_000, 0).unwrap())
}

async fn manual_hub(clock: &Clock, database_url: Option<String>) -> TestHub {
    TestHub::start(Opts {
        clock: Some(clock.clone()),
        database_url,
        ..Default::default()
    })
    .await
}

/// Post an EventSub notification the way the Twitch CLI does.
async fn eventsub(hub: &TestHub, kind: &str, event: Value) {
    let r = hub
        .post(
            "/api/eventsub",
            &json!({"subscription": {"type": kind, "version": "1"}, "event": event}),
        )
        .await;
    assert_eq!(r.status(), 200, "{kind}: {}", r.text().await.unwrap());
}

/// Every `stream_state` push (schema-checked) until one satisfies `done`.
async fn states_until(ws: &mut Ws, seen: &mut Vec<Value>, done: impl Fn(&Value) -> bool) -> Value {
    loop {
        let f = next_event(ws, "stream_state").await;
        let s = f[4].clone();
        check_state(&s);
        seen.push(s.clone());
        if done(&s) {
            return s;
        }
    }
}

#[tokio::test]
async fn events_to_overlay_sequence() {
    let clock = start_clock();
    let hub = manual_hub(&clock, None).await;
    // Overlays read without the token.
    let mut overlay = ws_anon(&hub.ws_url(), "").await;
    join(
        &mut overlay,
        "stream:overlays",
        json!({"overlay_type": "omnibar"}),
    )
    .await;
    let mut seen = Vec::new();
    let first = states_until(&mut overlay, &mut seen, |_| true).await;
    assert_eq!(
        first["base"]["layer"], "background",
        "layers on the first push too"
    );
    assert_eq!(first["alerts"], json!([]));

    eventsub(&hub, "channel.follow", follow("Ann")).await;
    let s = states_until(&mut overlay, &mut seen, |s| alert_names(s) == ["Ann"]).await;
    assert_eq!(s["alerts"][0]["layer"], "foreground");
    assert_eq!(s["timeline"][0]["type"], "channel.follow");
    eventsub(&hub, "channel.cheer", json!({"user_id": "7", "user_name": "Cat", "user_login": "cat", "bits": 100,
        "is_anonymous": false, "broadcaster_user_id": "12826", "broadcaster_user_login": "avalonstar", "message": "Cheer100"})).await;
    states_until(&mut overlay, &mut seen, |s| {
        alert_names(s) == ["Ann", "Cat"]
    })
    .await;
    // A gift bomb: the gift, then its three gifted subs. One alert.
    eventsub(&hub, "channel.subscription.gift", json!({"user_id": "6", "user_name": "Gia", "user_login": "gia", "total": 3,
        "tier": "1000", "is_anonymous": false, "broadcaster_user_id": "12826", "broadcaster_user_login": "avalonstar"})).await;
    for r in ["r1", "r2", "r3"] {
        eventsub(&hub, "channel.subscribe", json!({"user_id": "5", "user_name": r, "user_login": r, "tier": "1000",
            "is_gift": true, "broadcaster_user_id": "12826", "broadcaster_user_login": "avalonstar"})).await;
    }
    let s = states_until(&mut overlay, &mut seen, |s| {
        s["alerts"][2]["data"]["recipients"]
            .as_array()
            .is_some_and(|r| r.len() == 3)
    })
    .await;
    assert_eq!(
        alert_names(&s),
        ["Ann", "Cat", "Gia"],
        "N+1 events, one alert"
    );

    // Time: each alert gets its 10 s, in order.
    clock.advance(Duration::from_secs(10));
    states_until(&mut overlay, &mut seen, |s| {
        alert_names(s) == ["Cat", "Gia"]
    })
    .await;
    clock.advance(Duration::from_secs(10));
    states_until(&mut overlay, &mut seen, |s| alert_names(s) == ["Gia"]).await;
    clock.advance(Duration::from_secs(10));
    states_until(&mut overlay, &mut seen, |s| s["alerts"] == json!([])).await;

    // `GET /api/queue` (no token): the queue, empty now, and the alerts that were on
    // air, in order, each once, with when it was first shown.
    let q = hub.get_json("/api/queue").await;
    assert_eq!(q["success"], true, "{q}");
    assert_eq!(q["data"]["queue"], json!([]));
    let history = q["data"]["history"].as_array().expect("history");
    let aired: Vec<(&str, &str)> = history
        .iter()
        .map(|h| {
            (
                h["content_type"].as_str().unwrap(),
                h["data"]["user_name"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        aired,
        [
            ("channel.follow", "Ann"),
            ("channel.cheer", "Cat"),
            ("channel.subscription.gift", "Gia")
        ]
    );
    let first = history[0]["started_at"].as_str().unwrap();
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(first)
            .unwrap()
            .timestamp(),
        1_795_000_000,
        "Ann went on air at once"
    );

    // The category decides the show.
    eventsub(&hub, "channel.update", json!({"broadcaster_user_id": "12826", "broadcaster_user_login": "avalonstar", "title": "Kaizo IronMON",
        "language": "en", "category_id": "13332", "category_name": "Pokémon FireRed/LeafGreen"})).await;
    let show = next_event(&mut overlay, "show_changed").await;
    assert_eq!(show[4]["show"], "ironmon");
    assert_eq!(show[4]["title"], "Kaizo IronMON");
    let s = states_until(&mut overlay, &mut seen, |s| s["current_show"] == "ironmon").await;
    assert_eq!(s["base"]["type"], "ironmon_run_stats");

    // The sequence: versions rise by one per push (none missed), and the alert lists
    // went exactly through these stages.
    let versions: Vec<u64> = seen
        .iter()
        .map(|s| s["metadata"]["state_version"].as_u64().unwrap())
        .collect();
    assert!(
        versions.windows(2).all(|w| w[1] == w[0] + 1),
        "{versions:?}"
    );
    let mut stages: Vec<Vec<String>> = seen.iter().map(alert_names).collect();
    stages.dedup();
    assert_eq!(
        stages,
        vec![
            vec![],
            vec!["Ann".to_string()],
            vec!["Ann".into(), "Cat".into()],
            vec!["Ann".into(), "Cat".into(), "Gia".into()],
            vec!["Cat".into(), "Gia".into()],
            vec!["Gia".into()],
            vec![],
        ]
    );
    hub.stop().await;
}

#[tokio::test]
async fn restart_resumes_alerts_and_takeovers() {
    for db in backends() {
        let pg = match &db {
            Db::Postgres(admin) => Some(PgDb::create(admin).await),
            Db::Sqlite => None,
        };
        let clock = start_clock();
        let mut hub = manual_hub(&clock, pg.as_ref().map(|p| p.url.clone())).await;
        eventsub(&hub, "channel.follow", follow("Ann")).await;
        eventsub(&hub, "channel.follow", follow("Bob")).await;
        let mut ctl = ws(&hub.ws_url(), "").await;
        join(&mut ctl, "stream:overlays", json!({})).await;
        let (status, _) = push(
            &mut ctl,
            "stream:overlays",
            "takeover",
            json!({"type": "technical-difficulties", "duration": 60_000}),
        )
        .await;
        assert_eq!(status, "ok");
        next_event(&mut ctl, "takeover").await;
        clock.advance(Duration::from_secs(3));
        drop(ctl);
        hub.restart().await;

        let mut overlay = ws_anon(&hub.ws_url(), "").await;
        let reply = join(&mut overlay, "stream:overlays", json!({})).await;
        assert_eq!(
            reply["takeover"]["type"], "technical-difficulties",
            "{db:?}: the join reply names the takeover that is up"
        );
        let s = next_event(&mut overlay, "stream_state").await[4].clone();
        check_state(&s);
        assert_eq!(
            alert_names(&s),
            ["Ann", "Bob"],
            "{db:?}: the queue survived"
        );
        let t = next_event(&mut overlay, "takeover").await[4].clone();
        assert_eq!(t["type"], "technical-difficulties");
        assert_eq!(t["message"], "Technical difficulties: back in a moment");
        assert_eq!(
            t["duration"], 57_000,
            "{db:?}: the takeover has its time left"
        );
        // Ann was mid-display with 7 s left.
        clock.advance(Duration::from_secs(7));
        let mut seen = vec![];
        states_until(&mut overlay, &mut seen, |s| alert_names(s) == ["Bob"]).await;
        // Down past Bob's end: he is not replayed.
        clock.advance(Duration::from_secs(2));
        drop(overlay);
        hub.restart().await;
        clock.advance(Duration::from_secs(20));
        let mut overlay = ws_anon(&hub.ws_url(), "").await;
        join(&mut overlay, "stream:overlays", json!({})).await;
        let s = next_event(&mut overlay, "stream_state").await[4].clone();
        assert_eq!(
            s["alerts"],
            json!([]),
            "{db:?}: expired while down: not replayed"
        );
        clock.advance(Duration::from_secs(60));
        next_event(&mut overlay, "takeover_clear").await;
        // A page that rejoins after missing that clear learns from the reply.
        let mut late = ws_anon(&hub.ws_url(), "").await;
        let reply = join(&mut late, "stream:overlays", json!({})).await;
        assert_eq!(reply["takeover"], Value::Null, "{db:?}: no takeover up");
        assert!(reply.as_object().unwrap().contains_key("takeover"));
        hub.stop().await;
    }
}

#[tokio::test]
async fn queue_controls_need_the_token_and_round_trip() {
    let clock = start_clock();
    let hub = manual_hub(&clock, None).await;
    let mut anon = ws_anon(&hub.ws_url(), "").await;
    join(&mut anon, "stream:queue", json!({})).await;
    let q = next_event(&mut anon, "queue_state").await;
    check_queue(&q[4]);
    for cmd in [
        "pause_queue",
        "resume_queue",
        "skip_current",
        "clear_queue",
        "replay_alerts",
        "remove_queue_item",
    ] {
        let (status, resp) = push(&mut anon, "stream:queue", cmd, json!({"id": "x"})).await;
        assert_eq!(
            (status.as_str(), resp["error"]["code"].as_str()),
            ("error", Some("unauthorized")),
            "{cmd}"
        );
    }

    let mut q = ws(&hub.ws_url(), "").await;
    join(&mut q, "stream:queue", json!({})).await;
    next_event(&mut q, "queue_state").await;
    let latest = |v: Value| {
        check_queue(&v);
        v
    };
    for u in ["a", "b", "c"] {
        eventsub(&hub, "channel.follow", follow(u)).await;
    }
    let mut state = Value::Null;
    while state["metadata"]["total_items"] != 3 {
        state = latest(next_event(&mut q, "queue_state").await[4].clone());
    }
    assert_eq!(state["queue"][0]["status"], "active");
    assert_eq!(state["queue"][2]["estimated_start"], 20_000);

    let (status, resp) = push(&mut q, "stream:queue", "pause_queue", json!({})).await;
    assert_eq!(
        (status.as_str(), resp["data"]["operation"].as_str()),
        ("ok", Some("queue_paused"))
    );
    let s = latest(next_event(&mut q, "queue_state").await[4].clone());
    assert_eq!(s["is_paused"], true);
    assert_eq!(s["queue"][0]["status"], "paused");
    clock.advance(Duration::from_secs(60));
    send(
        &mut q,
        json!([null, "9", "stream:queue", "request_queue_state", {}]),
    )
    .await;
    let s = latest(next_event(&mut q, "queue_state").await[4].clone());
    assert_eq!(
        s["metadata"]["total_items"], 3,
        "nothing expires while paused"
    );
    let (status, _) = push(&mut q, "stream:queue", "resume_queue", json!({})).await;
    assert_eq!(status, "ok");
    let (status, resp) = push(&mut q, "stream:queue", "skip_current", json!({})).await;
    assert_eq!(
        (status.as_str(), resp["data"]["operation"].as_str()),
        ("ok", Some("item_skipped"))
    );
    let (status, resp) = push(
        &mut q,
        "stream:queue",
        "replay_alerts",
        json!({"count": 99}),
    )
    .await;
    assert_eq!(
        (status.as_str(), resp["error"]["code"].as_str()),
        ("error", Some("validation_failed"))
    );
    let (status, resp) = push(&mut q, "stream:queue", "replay_alerts", json!({"count": 1})).await;
    assert_eq!(
        (status.as_str(), resp["data"]["count"].as_u64()),
        ("ok", Some(1))
    );
    let big = json!({"type": "alert", "duration": 5000, "data": {"message": "x".repeat(2000)}});
    let (status, resp) = push(&mut q, "stream:queue", "force_content", big).await;
    assert_eq!(
        (status.as_str(), resp["error"]["code"].as_str()),
        ("error", Some("validation_failed"))
    );
    let ctl = json!({"type": "alert", "duration": 5000, "data": {"message": "a\u{0}b"}});
    let (status, _) = push(&mut q, "stream:queue", "force_content", ctl).await;
    assert_eq!(
        status, "error",
        "control bytes are refused like any event text"
    );
    let (status, resp) = push(&mut q, "stream:queue", "clear_queue", json!({})).await;
    assert_eq!(
        (status.as_str(), resp["data"]["removed"].as_u64()),
        ("ok", Some(3))
    );
    let (status, resp) = push(&mut q, "stream:queue", "skip_current", json!({})).await;
    assert_eq!(
        (status.as_str(), resp["error"]["code"].as_str()),
        ("error", Some("not_found"))
    );
    // (`push` skipped the broadcasts while it waited for each reply: ask.)
    send(
        &mut q,
        json!([null, "10", "stream:queue", "request_queue_state", {}]),
    )
    .await;
    let s = latest(next_event(&mut q, "queue_state").await[4].clone());
    assert_eq!(s["queue"], json!([]));
    assert!(s["metadata"]["last_processed"].is_string());
    hub.stop().await;
}

/// A producer that falls behind the bus re-reads the missed events from the ring:
/// every alert still counts. The runtime is single-threaded and the events are
/// ingested without yielding, so the producer task cannot run until all are on the bus.
#[tokio::test(flavor = "current_thread")]
async fn producer_that_falls_behind_rereads_the_ring() {
    use landale::bus::BusKind;
    use landale_core::Input;

    let hub = TestHub::start(Opts {
        clock: Some(start_clock()),
        broadcast_capacity: Some(64),
        ..Default::default()
    })
    .await;
    let h = hub.hub();
    let (bus, pipeline, producer, metrics) = (&h.bus, &h.pipeline, &h.producer, &h.metrics);
    tokio::task::yield_now().await; // the producer subscribes

    const N: usize = 300;
    for i in 0..N {
        pipeline
            .ingest(Input::new("channel.follow", follow(&format!("user{i}"))))
            .expect("valid");
    }
    // Signal: a broadcast that shows the last follow (the newest items are kept).
    let mut rx = bus.subscribe();
    let want = format!("\"user{}\"", N - 1);
    let last_broadcast = async {
        loop {
            match rx.recv().await {
                Ok(m) => {
                    if matches!(&m.kind, BusKind::Topic { event, .. } if event == "stream_state")
                        && m.json.contains(&want)
                    {
                        break;
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(e) => panic!("bus closed: {e}"),
            }
        }
    };
    tokio::time::timeout(DEADLINE, last_broadcast)
        .await
        .unwrap_or_else(|_| panic!("the producer did not see all {N} follows"));
    assert!(
        metrics.producer_lagged.get() > 0,
        "the producer did fall behind"
    );
    let q = producer.queue_state();
    assert_eq!(q["metadata"]["total_items"], 50);
    assert_eq!(
        q["metadata"]["dropped_items"],
        (N - 50) as u64,
        "every follow was seen"
    );
    assert_eq!(metrics.producer_dropped.get(), (N - 50) as u64);
}
