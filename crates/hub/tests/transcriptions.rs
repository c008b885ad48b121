//! `transcription:live` and its session topics: submissions checked field by field,
//! session channels, partial lines broadcast but never stored, and a resubmitted
//! caption (same id) stored once, across a restart too.

use landale_testkit::*;
use serde_json::{json, Value};

#[tokio::test]
async fn transcription_sessions_and_validation() {
    let hub = TestHub::start(Opts::default()).await;
    let mut live = ws(&hub.ws_url(), "").await;
    let mut s1 = ws(&hub.ws_url(), "").await;
    join(&mut live, "transcription:live", json!({})).await;
    join(&mut s1, "transcription:session:s1", json!({})).await;
    let est = next_event(&mut s1, "connection_established").await;
    assert_eq!(est[4]["session_id"], "s1");
    let (status, resp) = push(&mut live, "transcription:live", "submit_transcription",
        json!({"timestamp": rfc3339(chrono::Utc::now()), "duration": "2.5", "text": "session one", "stream_session_id": "s1", "confidence": 0.8})).await;
    assert_eq!(status, "ok", "{resp}");
    let id = resp["transcription_id"].as_str().unwrap().to_string();
    let n = next_event(&mut s1, "new_transcription").await;
    assert_eq!(
        (
            n[4]["id"].as_str(),
            n[4]["text"].as_str(),
            n[4]["duration"].as_f64()
        ),
        (Some(id.as_str()), Some("session one"), Some(2.5))
    );
    let (status, resp) = push(
        &mut s1,
        "transcription:session:s1",
        "get_session_transcriptions",
        json!({}),
    )
    .await;
    assert_eq!((status.as_str(), resp["count"].as_u64()), ("ok", Some(1)));
    let (status, resp) = push(
        &mut live,
        "transcription:live",
        "get_session_transcriptions",
        json!({}),
    )
    .await;
    assert_eq!(
        (status.as_str(), resp["message"].as_str()),
        (
            "error",
            Some("Session transcriptions only available on session channels")
        )
    );
    let (status, resp) = push(
        &mut live,
        "transcription:live",
        "submit_transcription",
        json!({"text": 5, "confidence": "high"}),
    )
    .await;
    assert_eq!(status, "error");
    let fields: Vec<&str> = resp["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["confidence", "duration", "text", "timestamp"]);
    let (status, resp) = push(&mut live, "transcription:live", "nope", json!({})).await;
    assert_eq!(
        (status.as_str(), resp["message"].as_str()),
        ("error", Some("Unknown command: nope"))
    );
    send(
        &mut live,
        json!(["9", "9", "transcription:other", "phx_join", {}]),
    )
    .await;
    let f = next_event(&mut live, "phx_reply").await;
    assert_eq!(f[4]["status"], "error");
    assert!(f[4]["response"]["reason"]
        .as_str()
        .unwrap()
        .starts_with("Invalid transcription channel"));
    hub.stop().await;
}

#[tokio::test]
async fn partial_lines_are_broadcast_not_stored_and_a_resubmitted_id_is_stored_once() {
    let hub = TestHub::start(Opts::default()).await;
    let mut live = ws(&hub.ws_url(), "").await;
    join(&mut live, "transcription:live", json!({})).await;
    let (status, resp) = push(&mut live, "transcription:live", "partial_transcription",
        json!({"utterance_id": "u-1", "text": "okay chat this is", "source_id": "phononmaser", "stray": "dropped"})).await;
    assert_eq!(status, "ok", "{resp}");
    let p = next_event(&mut live, "partial_transcription").await;
    assert_eq!(
        (p[4]["utterance_id"].as_str(), p[4]["text"].as_str()),
        (Some("u-1"), Some("okay chat this is"))
    );
    assert!(
        p[4].get("stray").is_none(),
        "only known fields pass: {}",
        p[4]
    );
    let (status, resp) = push(
        &mut live,
        "transcription:live",
        "partial_transcription",
        json!({"text": 5}),
    )
    .await;
    assert_eq!(status, "error");
    let fields: Vec<&str> = resp["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["text", "utterance_id"]);

    // The same id twice (a resend after a lost reply): one row, one broadcast.
    let id = "6f1c1d3e-8a64-4c55-9b7a-3c8f4f1a2b10";
    let line = json!({"id": id, "timestamp": rfc3339(chrono::Utc::now()), "duration": 1.2, "text": "okay chat this is it"});
    for _ in 0..2 {
        let (status, resp) = push(
            &mut live,
            "transcription:live",
            "submit_transcription",
            line.clone(),
        )
        .await;
        assert_eq!(
            (status.as_str(), resp["transcription_id"].as_str()),
            ("ok", Some(id)),
            "{resp}"
        );
    }
    let (status, resp) = push(
        &mut live,
        "transcription:live",
        "submit_transcription",
        json!({"id": "nope", "timestamp": rfc3339(chrono::Utc::now()), "duration": 1, "text": "x"}),
    )
    .await;
    assert_eq!(
        (status.as_str(), resp["errors"][0]["field"].as_str()),
        ("error", Some("id"))
    );
    let stored: Value = hub.get_json("/api/transcriptions?limit=10").await;
    let rows = stored["data"]["transcriptions"]
        .as_array()
        .or(stored["data"].as_array())
        .cloned()
        .unwrap_or_default();
    assert_eq!(rows.len(), 1, "{stored}");
    // After a restart (the in-memory list is gone), the store still knows it.
    let mut hub = hub;
    hub.restart().await;
    let mut live = ws(&hub.ws_url(), "").await;
    join(&mut live, "transcription:live", json!({})).await;
    let (_, resp) = push(
        &mut live,
        "transcription:live",
        "submit_transcription",
        line,
    )
    .await;
    assert_eq!(resp["duplicate"], true, "{resp}");
    hub.stop().await;
}
