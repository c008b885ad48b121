//! seed end to end through a real hub: transcriptions, chat and events in, a context
//! stored with the LLM's fields and its sources; silent streamers and empty windows;
//! the hub restarted mid-window; malformed pushes counted and ignored; the live
//! analysis published as `seed.analysis`; questions answered from the data.

mod common;
use common::rig;
use landale_testkit::*;
use serde_json::{json, Value};

#[tokio::test]
async fn a_window_becomes_a_context_with_its_sources() {
    let mut r = rig(Some("fake"), |_| {}).await;
    let t1 = r.say("welcome back everyone, the boss fight is next").await;
    let c1 = r.chat("alice", "lets go", &["PogChamp"]);
    let c2 = r.chat("bob", "good luck", &[]);
    let f = r.event(
        "channel.follow",
        json!({"user_id": "77", "user_login": "carol", "user_name": "carol",
        "broadcaster_user_id": "12826", "broadcaster_user_login": "avalonstar"}),
    );
    let t2 = r.say("here we go, boss fight").await;
    r.heard().await;
    r.close_window();
    let announced = r.next_context().await;
    assert_eq!(announced["analysis"], "llm");
    assert_eq!(
        announced["source_counts"],
        json!({"transcriptions": 2, "chat": 2, "events": 1})
    );
    let stored = r.contexts().await;
    assert_eq!(stored.len(), 1);
    let c = &stored[0];
    assert_eq!(
        c["transcript"],
        "welcome back everyone, the boss fight is next here we go, boss fight"
    );
    assert_eq!(c["duration"], 120.0, "seconds, the window's length");
    assert_eq!(c["sentiment"], "positive");
    assert_eq!(c["topics"], json!(["boss fight", "chat"]));
    assert!(
        c["summary"]
            .as_str()
            .unwrap()
            .starts_with("The fake model read a"),
        "{c}"
    );
    assert_eq!(c["analysis_source"]["llm"]["model"], "fake-model");
    assert_eq!(c["chat_summary"]["message_count"], 2);
    assert_eq!(c["chat_summary"]["participants"], json!(["alice", "bob"]));
    assert_eq!(c["interactions_summary"]["follows"], 1);
    assert_eq!(c["emotes_summary"]["top_emotes"]["PogChamp"], 1);
    let seqs = |k: &str| {
        c["sources"][k]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["seq"].as_u64().unwrap())
            .collect::<Vec<_>>()
    };
    let seq_of = |t: &Value| {
        // Transcriptions carry their seq on the broadcast; the reply has the id.
        t["transcription_id"].as_str().unwrap().to_string()
    };
    let ids: Vec<String> = c["sources"]["transcriptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, [seq_of(&t1), seq_of(&t2)]);
    assert_eq!(seqs("chat"), [c1, c2]);
    assert_eq!(seqs("events"), [f]);
    assert!(seqs("transcriptions").iter().all(|s| *s > 0));
    let time = |v: &Value| {
        v.as_str()
            .unwrap()
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap()
    };
    assert_eq!(
        time(&c["sources"]["time_range"]["from"]),
        time(&c["started"])
    );
    assert_eq!(time(&c["sources"]["time_range"]["to"]), time(&c["ended"]));
    // The LLM was asked for JSON by schema, with the speech, the chat and the counted facts.
    let reqs = r.llm.as_ref().unwrap().requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0]["response_format"]["type"], "json_schema");
    let prompt = reqs[0]["messages"][1]["content"].as_str().unwrap();
    for part in [
        "welcome back everyone",
        "alice: lets go PogChamp",
        "Facts: 2 chat messages from 2 people",
        "1 follow",
    ] {
        assert!(prompt.contains(part), "{part:?} missing from {prompt}");
    }

    // The next window starts where this one ended.
    let next = r.window("second window").await;
    assert_eq!(next["started"], c["ended"], "windows do not overlap");
    assert_eq!(next["transcript"], "second window");
    r.hub.stop().await;
}

#[tokio::test]
async fn silent_streamers_and_empty_windows() {
    let mut r = rig(None, |_| {}).await;
    // Nothing at all: the window closes and nothing is stored.
    r.close_window();
    // Only chat: the window still closes on time and is stored.
    r.chat("alice", "is he afk", &["avalonLURK"]);
    r.chat("bob", "brb probably", &[]);
    r.heard().await;
    r.close_window();
    let announced = r.next_context().await;
    assert_eq!(announced["analysis"], "deterministic");
    let c = &r.contexts().await[0];
    assert_eq!(c["transcript"], "");
    assert_eq!(c["chat_summary"]["message_count"], 2);
    assert!(
        c["summary"]
            .as_str()
            .unwrap()
            .contains("The streamer was quiet; 2 chat messages from 2 people"),
        "{c}"
    );
    assert_eq!(
        c["analysis_source"]["deterministic"]["reason"],
        "no LLM configured"
    );
    let status: Value = reqwest::get(format!("http://{}/status", r.seed_addr))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["counters"]["windows_empty"], 1, "{status}");
    assert_eq!(status["counters"]["windows_closed"], 2);
    assert_eq!(status["components"]["llm"]["kind"], "none");
    r.hub.stop().await;
}

#[tokio::test]
async fn the_hub_restarting_mid_window_loses_nothing_and_stores_nothing_twice() {
    let mut r = rig(Some("fake"), |_| {}).await;
    r.window("before the restart").await;
    r.say("said just before the hub went away").await;
    r.heard().await;
    r.hub.pause().await;
    r.close_window();
    // The window closes while the hub is down: the context waits in the outbox.
    let addr = r.seed_addr;
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let h: Value = reqwest::get(format!("http://{addr}/health"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if h["status"] == "degraded"
            && h["message"]
                .as_str()
                .unwrap_or("")
                .contains("1 contexts wait for the hub")
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "seed never reported the waiting context: {h}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    r.hub.resume().await;
    tokio::time::timeout(DEADLINE, r.seed.wait_delivered(2))
        .await
        .expect("the waiting context is delivered");
    r.reconnect().await;
    let all = r.contexts().await;
    let transcripts: Vec<&str> = all
        .iter()
        .map(|c| c["transcript"].as_str().unwrap())
        .collect();
    assert_eq!(
        transcripts,
        ["said just before the hub went away", "before the restart"]
    );
    // After the restart seed hears new speech again (it rejoined).
    let after = r.window("after the restart").await;
    assert_eq!(after["transcript"], "after the restart");
    assert_eq!(r.contexts().await.len(), 3);
    r.hub.stop().await;
}

#[tokio::test]
async fn malformed_pushes_are_counted_and_ignored() {
    let mut r = rig(None, |_| {}).await;
    for payload in [
        json!({"type": "channel.chat.message", "id": "x", "timestamp": "not a time", "user_name": "a", "message": "hi"}),
        json!({"id": "no type"}),
        json!({"type": "channel.follow", "id": "f", "timestamp": 12}),
    ] {
        r.seed.handle(
            "events:all",
            &landale_client::Message {
                event: "chat_message".into(),
                payload,
            },
        );
    }
    r.seed.handle(
        "transcription:live",
        &landale_client::Message {
            event: "new_transcription".into(),
            payload: json!({"text": "no time"}),
        },
    );
    r.seed.handle(
        "transcription:live",
        &landale_client::Message {
            event: "partial_transcription".into(),
            payload: json!({"text": "partial"}),
        },
    );
    let c = r.window("the real sentence").await;
    assert_eq!(
        c["transcript"], "the real sentence",
        "partials and malformed pushes are not in the context"
    );
    let counters = r.seed.counters.json();
    assert_eq!(
        (
            counters["malformed"].as_u64(),
            counters["partials_ignored"].as_u64()
        ),
        (Some(4), Some(1))
    );
    r.hub.stop().await;
}

#[tokio::test]
async fn live_analysis_is_published_for_the_dashboard() {
    let mut r = rig(Some("fake"), |s| s.live_llm = true).await;
    r.say("the run is going well").await;
    r.chat("alice", "nice", &["avalonHYPE"]);
    r.heard().await;
    r.clock.advance(r.seed.settings.analysis_interval);
    let e = loop {
        let e = next_event(&mut r.watch, "seed_event").await;
        if e[4]["type"] == "seed.analysis" {
            break e[4].clone();
        }
    };
    assert_eq!(e["analysis"], "llm");
    assert_eq!(
        e["counts"],
        json!({"transcriptions": 1, "chat": 1, "interactions": 0})
    );
    assert_eq!(e["top_emotes"]["avalonHYPE"], 1);
    assert!(e["summary"].as_str().unwrap().starts_with("The fake model"));
    r.hub.stop().await;
}

#[tokio::test]
async fn questions_are_answered_from_the_data_with_sources() {
    let mut r = rig(None, |_| {}).await;
    let online = json!({"id": "s1", "broadcaster_user_id": "12826", "broadcaster_user_login": "avalonstar", "broadcaster_user_name": "Avalonstar", "type": "live", "started_at": rfc3339(chrono::Utc::now())});
    r.event("stream.online", online);
    for (i, user) in ["ann", "ben", "cat"].iter().enumerate() {
        r.event("channel.subscribe", json!({"user_id": format!("{}", 500 + i), "user_login": user, "user_name": user, "tier": "1000", "is_gift": false,
            "broadcaster_user_id": "12826", "broadcaster_user_login": "avalonstar"}));
    }
    r.event("channel.follow", json!({"user_id": "900", "user_login": "dan", "user_name": "dan", "broadcaster_user_id": "12826", "broadcaster_user_login": "avalonstar"}));
    r.heard().await;
    r.hub.wait_stored(5).await;
    r.window("we beat the gym leader").await;
    let addr = r.seed_addr;
    let ask = |q: &str| {
        let q = q.to_string();
        async move {
            let resp = reqwest::Client::new()
                .post(format!("http://{addr}/query"))
                .json(&json!({"question": q}))
                .send()
                .await
                .unwrap();
            (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
        }
    };
    let (status, a) = ask("How many subs did I get this stream?").await;
    assert_eq!(status, 200, "{a}");
    assert_eq!(a["counts"]["subscriptions"], 3, "{a}");
    assert!(
        a["answer"]
            .as_str()
            .unwrap()
            .starts_with("3 new subscriptions"),
        "{a}"
    );
    assert!(
        a["time_window"]["label"]
            .as_str()
            .unwrap()
            .starts_with("this stream"),
        "{a}"
    );
    assert_eq!(a["sources"][0]["route"], "/api/activity/stats");
    let (_, a) = ask("How many follows today?").await;
    assert_eq!(a["counts"]["follows"], 1, "{a}");
    let (_, a) = ask("What happened this stream?").await;
    assert_eq!(a["response_type"], "summary", "{a}");
    assert!(
        a["sources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["kind"] == "context"),
        "{a}"
    );
    let (status, a) = ask("  ").await;
    assert_eq!(
        (status, a["error"].as_str()),
        (400, Some("Question is required"))
    );
    let bad = reqwest::Client::new()
        .post(format!("http://{addr}/query"))
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let ex: Value = reqwest::get(format!("http://{addr}/query/examples"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(ex["examples"]["subscription_queries"].is_array());
    r.hub.stop().await;
}
