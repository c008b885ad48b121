//! For the stream producer's tests, unit (`producer::machine`) and integration
//! alike: its contracts (docs/schema) and the fixtures both use.

use serde_json::{json, Value};
use std::sync::OnceLock;

const STATE_SCHEMA: &str = include_str!("../../../docs/schema/stream_state.schema.json");
const QUEUE_SCHEMA: &str = include_str!("../../../docs/schema/queue_state.schema.json");

fn compile(text: &str) -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(text).expect("schema is JSON");
    jsonschema::validator_for(&schema).expect("schema compiles")
}

fn check(validator: &jsonschema::Validator, what: &str, v: &Value) {
    let errors: Vec<String> = validator
        .iter_errors(v)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} breaks its schema: {errors:?}\nin {v:#}"
    );
}

/// Panics unless `v` is a valid `stream_state`.
pub fn check_state(v: &Value) {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    check(V.get_or_init(|| compile(STATE_SCHEMA)), "stream_state", v);
}

/// Panics unless `v` is a valid `queue_state`.
pub fn check_queue(v: &Value) {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    check(V.get_or_init(|| compile(QUEUE_SCHEMA)), "queue_state", v);
}

/// A valid `channel.follow` body for `user`.
pub fn follow(user: &str) -> Value {
    json!({"user_id": "1", "user_login": user.to_lowercase(), "user_name": user,
           "broadcaster_user_id": "12826", "broadcaster_user_login": "avalonstar",
           "followed_at": "2026-11-24T10:00:00Z"})
}

/// Who each alert of a `stream_state` is about, in display order.
pub fn alert_names(state: &Value) -> Vec<String> {
    state["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .map(|a| {
            a["data"]["user_name"]
                .as_str()
                .or(a["data"]["latest_subscriber"].as_str())
                .unwrap_or("?")
                .to_string()
        })
        .collect()
}
