//! `POST /api/contexts` as seed uses it: extra fields kept and returned, an
//! idempotency key that stores a context once (across a restart too), a
//! `seed.context` announcement on `events:seed`, and the activity routes' time range.

use landale_testkit::*;
use serde_json::{json, Value};

fn context(key: &str, transcript: &str) -> Value {
    let now = chrono::Utc::now();
    json!({
        "started": rfc3339(now - chrono::Duration::seconds(120)), "ended": rfc3339(now),
        "session": "stream_2026_12_05", "transcript": transcript, "duration": 120.0,
        "sentiment": "positive", "topics": ["ironmon"],
        "idempotency_key": key,
        "summary": "The run reached Brock.", "analysis": "llm",
        "sources": {"transcriptions": [{"seq": 4, "id": "t1"}], "chat": [{"seq": 5, "id": "c1"}, {"seq": 6, "id": "c2"}], "events": []}
    })
}

#[tokio::test]
async fn contexts_keep_their_sources_and_store_once_per_key() {
    let mut hub = TestHub::start(Opts::default()).await;
    let mut seed = ws(&hub.ws_url(), "").await;
    join(&mut seed, "events:seed", json!({})).await;

    let r = hub
        .post("/api/contexts", &context("seed:w1", "first window"))
        .await;
    assert_eq!(r.status(), 201);
    let announced = next_event(&mut seed, "seed_event").await;
    assert_eq!(announced[4]["type"], "seed.context");
    assert_eq!(announced[4]["summary"], "The run reached Brock.");
    assert_eq!(
        announced[4]["source_counts"],
        json!({"transcriptions": 1, "chat": 2, "events": 0})
    );

    // The same key again (a retry whose first reply was lost): stored once, and 200.
    let r = hub
        .post("/api/contexts", &context("seed:w1", "first window"))
        .await;
    assert_eq!(r.status(), 200);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["data"]["duplicate"], true);
    hub.restart().await;
    let r = hub
        .post("/api/contexts", &context("seed:w1", "first window"))
        .await;
    assert_eq!(r.status(), 200, "the key is remembered in the database");
    let r = hub
        .post("/api/contexts", &context("seed:w2", "second window"))
        .await;
    assert_eq!(r.status(), 201);

    let list = hub.get_json("/api/contexts?limit=10").await;
    let contexts = list["data"]["contexts"].as_array().unwrap();
    assert_eq!(contexts.len(), 2, "{list}");
    let first = contexts
        .iter()
        .find(|c| c["transcript"] == "first window")
        .unwrap();
    assert_eq!(first["summary"], "The run reached Brock.");
    assert_eq!(first["analysis"], "llm");
    assert_eq!(first["sources"]["chat"][1]["seq"], 6);

    // A bad key is refused by name.
    let mut bad = context("", "x");
    bad["idempotency_key"] = json!("has spaces in it");
    let r = hub.post("/api/contexts", &bad).await;
    assert_eq!(r.status(), 422);
    let b: Value = r.json().await.unwrap();
    assert!(
        b["error"]["details"]["errors"]["idempotency_key"].is_array(),
        "{b}"
    );
    hub.stop().await;
}

#[tokio::test]
async fn activity_routes_take_a_time_range() {
    let hub = TestHub::start(Opts::default()).await;
    hub.follow("alice");
    hub.follow("bob");
    hub.wait_stored(2).await;
    let now = chrono::Utc::now();
    let hour = chrono::Duration::hours(1);
    let q = |since: chrono::DateTime<chrono::Utc>, until: chrono::DateTime<chrono::Utc>| {
        format!(
            "since={}&until={}",
            rfc3339(since).replace('+', "%2B"),
            rfc3339(until).replace('+', "%2B")
        )
    };
    let b = hub
        .get_json(&format!(
            "/api/activity/events?event_type=channel.follow&{}",
            q(now - hour, now + hour)
        ))
        .await;
    assert_eq!(b["data"]["count"], 2, "{b}");
    let b = hub
        .get_json(&format!(
            "/api/activity/events?{}",
            q(now + hour, now + hour * 2)
        ))
        .await;
    assert_eq!(b["data"]["count"], 0, "{b}");
    let b = hub
        .get_json(&format!(
            "/api/activity/stats?{}",
            q(now - hour, now + hour)
        ))
        .await;
    assert_eq!(b["data"]["stats"]["follows"], 2, "{b}");
    let r = reqwest::get(hub.http("/api/activity/events?since=yesterday"))
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let b: Value = r.json().await.unwrap();
    assert!(
        b["error"]["message"].as_str().unwrap().contains("since"),
        "{b}"
    );
    hub.stop().await;
}

#[tokio::test]
async fn asking_seed_through_the_hub_says_when_seed_is_away() {
    // Nothing listens on this port.
    let port = landale_testkit::free_port();
    let hub = TestHub::start(Opts {
        seed_health_url: Some(format!("http://127.0.0.1:{port}/health")),
        ..Opts::default()
    })
    .await;
    let r = reqwest::Client::new()
        .post(hub.http("/api/seed/query"))
        .json(&json!({"question": "how many subs?"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 502);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["error"], format!("seed is not reachable at http://127.0.0.1:{port} (is it running? SEED_HEALTH_URL says where)"));
    hub.stop().await;
}
