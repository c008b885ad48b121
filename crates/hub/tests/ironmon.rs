//! IronMON end to end: the tracker's framed TCP messages into a real hub, through the
//! pipeline, the run tracker and the store; the REST routes; the run after a restart;
//! bad input counted by reason without losing the connection; the producer's
//! checkpoint and death alerts on the ironmon show.

use landale_ironmon::framing::encode;
use landale_ironmon::replay;
use landale_testkit::*;
use serde_json::{json, Value};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn port(hub: &TestHub) -> u16 {
    hub.hub()
        .ironmon
        .listening(Duration::from_secs(10))
        .await
        .expect("the IronMON listener is up")
}

/// Collect `ironmon_event` pushes until one of type `until` (the `n`th) arrives.
async fn events_until(ws: &mut Ws, until: &str, n: usize) -> Vec<Value> {
    let mut out = vec![];
    let mut seen = 0;
    loop {
        let f = next_event(ws, "ironmon_event").await;
        let e = f[4].clone();
        let done = e["type"] == until && {
            seen += 1;
            seen == n
        };
        out.push(e);
        if done {
            return out;
        }
    }
}

fn of_type<'a>(events: &'a [Value], t: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["type"] == t).collect()
}

#[tokio::test]
async fn a_replayed_run_is_tracked_stored_and_survives_a_restart() {
    let mut hub = TestHub::start(Opts::default()).await;
    let mut ws = ws(&hub.ws_url(), "").await;
    join(&mut ws, "events:ironmon", json!({})).await;
    let steps = replay::parse(replay::DEMO).unwrap();
    let addr = format!("127.0.0.1:{}", port(&hub).await);
    replay::send(&addr, &steps, 0.0, |_, _| {}).await.unwrap();
    let events = events_until(&mut ws, "ironmon.run_started", 2).await;

    // Every message but the heartbeat is an event, and the run's own events follow.
    let sent = steps
        .iter()
        .filter(|s| s.message["type"] != "heartbeat")
        .count();
    let derived = of_type(&events, "ironmon.run_started").len()
        + of_type(&events, "ironmon.run_checkpoint").len()
        + of_type(&events, "ironmon.run_ended").len();
    assert_eq!(
        events.len() - derived,
        sent - 2,
        "all but the last two messages (sent after the second seed) arrived"
    );
    let cleared: Vec<&str> = of_type(&events, "ironmon.run_checkpoint")
        .iter()
        .map(|e| e["checkpoint"].as_str().unwrap())
        .collect();
    assert_eq!(cleared, ["LAB", "RIVAL1", "FIRSTTRAINER", "RIVAL2"]);
    let ended = of_type(&events, "ironmon.run_ended")[0];
    assert_eq!(
        (ended["seed_id"].clone(), ended["checkpoint"].clone()),
        (json!(1337), json!("BROCK"))
    );
    assert_eq!(ended["reason"], "lost to Brock");
    assert_eq!(ended["run_id"], 1337, "the reference's run_id is the seed");
    let init = of_type(&events, "ironmon.init")[0];
    assert_eq!(init["game_name"], "FireRed/LeafGreen");
    let location = of_type(&events, "ironmon.location")[0];
    assert_eq!(location["location_name"], "Pallet Town");
    assert_eq!(
        location["run"]["location"]["location_name"], "Pallet Town",
        "every event carries the run"
    );

    // The store and the REST routes (§11.4).
    hub.hub()
        .pipeline
        .store_settled(Duration::from_secs(10))
        .await;
    let recent = hub.get_json("/api/ironmon/results/recent?limit=10").await;
    let rows = recent["data"].as_array().unwrap();
    assert_eq!(rows.len(), 5, "{recent}");
    assert_eq!(
        (
            rows[0]["checkpoint_name"].clone(),
            rows[0]["result"].clone()
        ),
        (json!("BROCK"), json!(false))
    );
    let brock = hub.get_json("/api/ironmon/checkpoints/5/stats").await;
    assert_eq!(
        brock["data"],
        json!({"wins": 0, "losses": 1, "total": 1, "win_rate": 0.0})
    );
    let seed = hub.get_json("/api/ironmon/seeds/1337/challenge").await;
    assert_eq!(seed["data"]["challenge_name"], "Kaizo IronMON");
    let challenges = hub.get_json("/api/ironmon/challenges").await;
    assert_eq!(
        challenges["data"][0]["checkpoints"]
            .as_array()
            .unwrap()
            .len(),
        24
    );
    for (path, code, error) in [
        (
            "/api/ironmon/challenges/x/checkpoints",
            400,
            "Invalid challenge ID",
        ),
        (
            "/api/ironmon/checkpoints/0/stats",
            400,
            "Invalid checkpoint ID",
        ),
        ("/api/ironmon/seeds/-3/challenge", 400, "Invalid seed ID"),
        (
            "/api/ironmon/seeds/999999/challenge",
            404,
            "No active challenge found",
        ),
    ] {
        let r = reqwest::get(hub.http(path)).await.unwrap();
        assert_eq!(r.status().as_u16(), code, "{path}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body, json!({"success": false, "error": error}), "{path}");
    }
    let status = hub.get_json("/api/ironmon/status").await["data"].clone();
    assert_eq!(status["listening"], true);
    assert_eq!(status["messages"].as_u64(), Some(steps.len() as u64));
    assert_eq!(status["run"]["run_number"], 1338);

    // After a restart the run and its history come back from the store.
    hub.restart().await;
    port(&hub).await;
    let view = hub.hub().ironmon.run_view();
    assert_eq!(
        (view["run_number"].clone(), view["active"].clone()),
        (json!(1338), json!(true))
    );
    assert_eq!(view["attempts"], 2);
    assert_eq!(view["checkpoints"][4]["name"], "BROCK");
    assert_eq!(view["checkpoints"][4]["clear_rate"], 0.0);
    assert_eq!(view["checkpoints"][0]["clear_rate"], 100.0);
    let mut ws = landale_testkit::ws(&hub.ws_url(), "").await;
    let mut overlay = landale_testkit::ws_anon(&hub.ws_url(), "").await;
    join(&mut ws, "events:ironmon", json!({})).await;
    send(
        &mut overlay,
        json!(["1", "1", "overlay:ironmon", "phx_join", {}]),
    )
    .await;
    let initial = next_event(&mut overlay, "initial_state").await;
    assert_eq!(
        initial[4]["data"]["run"]["run_number"], 1338,
        "overlays read the run without the token"
    );
    hub.stop().await;
}

#[tokio::test]
async fn bad_input_is_rejected_by_reason_and_the_connection_goes_on() {
    let hub = TestHub::start(Opts::default()).await;
    let mut ws = ws(&hub.ws_url(), "").await;
    join(&mut ws, "events:ironmon", json!({})).await;
    let mut sock = tokio::net::TcpStream::connect(("127.0.0.1", port(&hub).await))
        .await
        .unwrap();
    let mut bytes = b"12abc ".to_vec();
    bytes.extend(encode(b"{not json"));
    bytes.extend(encode(br#"{"type":"warp","data":{}}"#));
    bytes.extend(encode(br#"{"type":"seed","data":{}}"#));
    bytes.extend(encode(
        br#"{"type":"battle_end","data":{"result":"draw","pokemon":[]}}"#,
    ));
    bytes.extend(format!("{} ", landale_ironmon::framing::MAX_FRAME + 1).into_bytes());
    bytes.extend(vec![b' '; landale_ironmon::framing::MAX_FRAME + 1]);
    // Split mid-frame on purpose: the good seed still decodes.
    let good = encode(br#"{"type":"seed","data":{"count":5}}"#);
    bytes.extend(&good[..7]);
    sock.write_all(&bytes).await.unwrap();
    sock.write_all(&good[7..]).await.unwrap();
    let seed = next_event(&mut ws, "ironmon_event").await;
    assert_eq!(seed[4]["type"], "ironmon.seed");
    assert_eq!(seed[4]["seed_count"], 5);
    let status = hub.get_json("/api/ironmon/status").await["data"].clone();
    assert_eq!(
        status["rejected"],
        json!({"bad_length": 1, "invalid_json": 1, "unknown_type": 1, "missing_field": 1, "bad_field": 1, "too_long": 1}),
        "{status}"
    );
    assert_eq!(status["connection_count"], 1, "still connected");
    assert_eq!(status["connections"][0]["messages"], 1);
    assert!(status["connections"][0].get("socket").is_none());

    // A stream that never frames anything is closed.
    sock.write_all(&vec![b'z'; landale_ironmon::framing::MAX_JUNK + 10])
        .await
        .unwrap();
    let mut rest = vec![];
    let n = tokio::time::timeout(Duration::from_secs(10), sock.read_to_end(&mut rest))
        .await
        .expect("closed within 10 s");
    assert!(n.is_ok());
    let status = hub.get_json("/api/health").await;
    assert_eq!(
        status["services"]["ironmon_tcp"]["status"], "healthy",
        "{status}"
    );
    hub.stop().await;
}

#[tokio::test]
async fn checkpoint_clears_and_a_death_are_alerts_on_the_ironmon_show() {
    let hub = TestHub::start(Opts::default()).await;
    hub.hub()
        .pipeline
        .ingest(landale_core::Input::new(
            "channel.update",
            json!({"broadcaster_user_id": "1", "broadcaster_user_login": "landale", "broadcaster_user_name": "Landale", "title": "Kaizo", "category_id": "13332",
                   "category_name": "Pokémon FireRed/LeafGreen"}),
        ))
        .unwrap();
    let mut ws = ws(&hub.ws_url(), "").await;
    join(&mut ws, "stream:overlays", json!({})).await;
    let steps = replay::parse(replay::DEMO).unwrap();
    let addr = format!("127.0.0.1:{}", port(&hub).await);
    replay::send(&addr, &steps, 0.0, |_, _| {}).await.unwrap();
    let mut kinds: Vec<String> = vec![];
    let mut death = Value::Null;
    while death.is_null() {
        let f = next_event(&mut ws, "stream_state").await;
        for a in f[4]["alerts"].as_array().into_iter().flatten() {
            let t = a["data"]["type"].as_str().unwrap_or("").to_string();
            if t == "death_alert" {
                death = a.clone();
            }
            if !kinds.contains(&t) {
                kinds.push(t);
            }
        }
    }
    assert!(kinds.contains(&"checkpoint_clear".to_string()), "{kinds:?}");
    assert_eq!(death["data"]["message"], "lost to Brock");
    assert_eq!(death["data"]["amount"], 4);
    assert_eq!(death["layer"], "foreground");
    // The ticker's IronMON content has the run's real values.
    let state = hub.hub().producer.stream_state();
    assert_eq!(state["current_show"], "ironmon");
    hub.stop().await;
}
