//! Every EventSub type the Twitch integration subscribes to, from the sample payloads
//! in Twitch's public EventSub reference (tests/fixtures/eventsub): it validates, it
//! normalises with no field lost, and it flows through `POST /api/eventsub` to a
//! channel subscriber under the right push name.

use landale::pipeline::normalize::{normalize, Options};
use landale::pipeline::validate::validate;
use landale_core::Envelope;
use landale_protocol::event::ENVELOPE_KEYS;
use landale_protocol::topic::events_push_name;
use landale_protocol::Source;
use landale_testkit::*;
use serde_json::{json, Map, Value};
use std::path::PathBuf;

fn fixtures() -> Vec<(String, Value)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/eventsub");
    let mut out: Vec<(String, Value)> = std::fs::read_dir(&dir)
        .expect("fixtures dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .map(|e| {
            let body: Value =
                serde_json::from_str(&std::fs::read_to_string(e.path()).unwrap()).unwrap();
            (
                body["subscription"]["type"].as_str().unwrap().to_string(),
                body,
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Every non-null scalar leaf of a JSON value.
fn leaves(v: &Value, out: &mut Vec<Value>) {
    match v {
        Value::Object(m) => m.values().for_each(|x| leaves(x, out)),
        Value::Array(a) => a.iter().for_each(|x| leaves(x, out)),
        Value::Null => {}
        other => out.push(other.clone()),
    }
}

/// Maps the normaliser may replace by flat fields (their content is checked by leaves).
const FLATTENED: &[&str] = &[
    "message",
    "reply",
    "cheer",
    "amount",
    "current_amount",
    "target_amount",
];

#[test]
fn there_is_a_fixture_for_every_subscribed_type() {
    let types: Vec<String> = fixtures().into_iter().map(|f| f.0).collect();
    assert!(types.len() >= 42, "{} fixtures", types.len());
    for must in [
        "channel.follow",
        "channel.chat.message",
        "channel.goal.begin",
        "channel.raid",
        "channel.hype_train.end",
    ] {
        assert!(types.iter().any(|t| t == must), "missing {must}");
    }
}

#[test]
fn every_fixture_validates_and_normalises_with_no_field_lost() {
    for (ty, body) in fixtures() {
        let event = body["event"].clone();
        assert_eq!(validate(&ty, &event), Ok(()), "{ty} validates");
        let Value::Object(map) = event.clone() else {
            panic!("{ty}: event is an object")
        };
        let e = normalize(&ty, map.clone(), Envelope::default(), &Options::default());
        assert_eq!(e.kind, ty, "{ty}: the type is the event type");
        assert_eq!(e.source, Source::Twitch, "{ty}");
        let flat = serde_json::to_value(&e).unwrap();
        let flat_map: &Map<String, Value> = flat.as_object().unwrap();

        // Every top-level field is kept as-is, renamed off an envelope key, or flattened.
        for (k, v) in &map {
            if ENVELOPE_KEYS.contains(&k.as_str()) {
                assert!(
                    e.fields.values().any(|x| x == v),
                    "{ty}: the body's `{k}` survives under another name"
                );
            } else if FLATTENED.contains(&k.as_str()) && (v.is_object() || v.is_null()) {
                continue;
            } else {
                assert_eq!(flat_map.get(k), Some(v), "{ty}: {k} kept");
            }
        }
        // No leaf value of the body is lost anywhere.
        let (mut before, mut after) = (Vec::new(), Vec::new());
        leaves(&event, &mut before);
        leaves(&flat, &mut after);
        for leaf in before {
            assert!(after.contains(&leaf), "{ty}: value {leaf} lost");
        }
    }
}

#[test]
fn type_specific_fields() {
    let get = |ty: &str| {
        let (_, body) = fixtures().into_iter().find(|f| f.0 == ty).unwrap();
        let map = body["event"].as_object().unwrap().clone();
        serde_json::to_value(normalize(ty, map, Envelope::default(), &Options::default())).unwrap()
    };
    let chat = get("channel.chat.message");
    assert_eq!(chat["user_login"], chat["chatter_user_login"]);
    assert!(chat["message"].is_string());
    assert_eq!(chat["native_emotes"], json!(["avalonHYPE"]));
    assert_eq!(chat["emotes"], json!(["Kappa"]));
    let goal = get("channel.goal.progress");
    assert_eq!(goal["type"], "channel.goal.progress");
    assert!(goal["goal_type"].is_string());
    assert!(goal["goal_id"].is_string());
    let online = get("stream.online");
    assert_eq!(online["stream_type"], "live");
    assert!(online["stream_id"].is_string());
    let notif = get("channel.chat.notification");
    assert_eq!(notif["notification_type"], "sub");
    let donate = get("channel.charity_campaign.donate");
    assert!(donate["amount"].is_number());
    assert!(donate["broadcaster_user_id"].is_string());
}

/// Through the real hub: `POST /api/eventsub` (with a Twitch message id) to `events:all`.
#[tokio::test]
async fn every_fixture_flows_through_post_eventsub_to_a_subscriber() {
    let hub = TestHub::start(Opts::default()).await;
    let mut c = ws(&hub.ws_url(), "").await;
    join(&mut c, "events:all", json!({})).await;
    let http = reqwest::Client::new();
    for (ty, body) in fixtures() {
        let msg_id = uuid::Uuid::new_v4().to_string();
        let r = http
            .post(hub.http("/api/eventsub"))
            .bearer_auth(TOKEN)
            .header("Twitch-Eventsub-Message-Id", &msg_id)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let reply: Value = r.json().await.unwrap();
        assert_eq!(status, 200, "{ty}: {reply}");
        let expected_push = events_push_name(&ty, Source::Twitch);
        loop {
            let f = next(&mut c).await.expect("push");
            if f[4]["source"] == "stream" {
                continue; // the stream producer reacting (state updates, show changes)
            }
            assert_eq!(f[3], expected_push, "{ty}");
            assert_eq!(f[4]["type"], ty.as_str());
            assert_eq!(
                f[4]["id"],
                msg_id.as_str(),
                "{ty}: the EventSub message id is the event id"
            );
            assert_eq!(f[4]["source_id"], msg_id.as_str());
            assert_eq!(f[4]["seq"], reply["seq"]);
            break;
        }
    }
    hub.stop().await;
}
