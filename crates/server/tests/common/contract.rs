//! The stream producer's contracts (docs/schema), checked by the unit tests
//! (`producer::machine`) and the integration tests alike.
#![allow(dead_code)]

use serde_json::Value;
use std::sync::OnceLock;

const STATE_SCHEMA: &str = include_str!("../../../../docs/schema/stream_state.schema.json");
const QUEUE_SCHEMA: &str = include_str!("../../../../docs/schema/queue_state.schema.json");

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
