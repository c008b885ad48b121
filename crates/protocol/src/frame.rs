//! Phoenix Channels frames, both wire versions.
//!
//! * v2 (`vsn=2.0.0`, the `phoenix` npm client 1.8): a JSON array
//!   `[join_ref, ref, topic, event, payload]`.
//! * v1 (no `vsn`; the Python services): a JSON object
//!   `{"topic", "event", "payload", "ref"}` (`join_ref` optional on input).
//!
//! Refs are kept as raw JSON values so that a reply echoes exactly what the client
//! sent (the JS client sends strings, some v1 clients send numbers).
//!
//! Outbound frames are built by string concatenation around an already-serialised
//! payload: the hub serialises an event once and frames it per socket cheaply.

use serde_json::Value;
use std::fmt::Write as _;

/// Which serializer a socket speaks, picked from the `vsn` query parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vsn {
    /// No `vsn`, or `1.0.0`: JSON objects.
    V1,
    /// `vsn=2.0.0`: JSON arrays.
    V2,
}

impl Vsn {
    /// Phoenix's rule: absent means 1.0.0; `2.x` means arrays. Anything else is refused.
    pub fn from_param(vsn: Option<&str>) -> Result<Vsn, FrameError> {
        match vsn {
            None | Some("1.0.0") | Some("1") => Ok(Vsn::V1),
            Some(v) if v.starts_with("2.") || v == "2" => Ok(Vsn::V2),
            Some(v) => Err(FrameError::UnsupportedVsn(v.to_string())),
        }
    }
}

/// An inbound frame from a client.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    pub join_ref: Value,
    pub r#ref: Value,
    pub topic: String,
    pub event: String,
    pub payload: Value,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FrameError {
    #[error("frame is not valid JSON: {0}")]
    Json(String),
    #[error("v2 frame must be an array of 5 elements [join_ref, ref, topic, event, payload]")]
    BadArray,
    #[error("v1 frame must be an object with string `topic` and `event`")]
    BadObject,
    #[error("join_ref and ref must be strings, numbers or null")]
    BadRef,
    #[error("unsupported serializer vsn {0:?}; use 2.0.0 (arrays) or omit it (1.0.0 objects)")]
    UnsupportedVsn(String),
}

fn check_ref(v: &Value) -> Result<(), FrameError> {
    match v {
        Value::Null | Value::String(_) | Value::Number(_) => Ok(()),
        _ => Err(FrameError::BadRef),
    }
}

impl Frame {
    /// Decode one text message. Never panics, whatever the input.
    pub fn decode(text: &str, vsn: Vsn) -> Result<Frame, FrameError> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| FrameError::Json(e.to_string()))?;
        match vsn {
            Vsn::V2 => {
                let Value::Array(items) = value else {
                    return Err(FrameError::BadArray);
                };
                let Ok::<[Value; 5], _>([join_ref, r#ref, topic, event, payload]) =
                    items.try_into()
                else {
                    return Err(FrameError::BadArray);
                };
                let (Value::String(topic), Value::String(event)) = (topic, event) else {
                    return Err(FrameError::BadArray);
                };
                check_ref(&join_ref)?;
                check_ref(&r#ref)?;
                Ok(Frame {
                    join_ref,
                    r#ref,
                    topic,
                    event,
                    payload,
                })
            }
            Vsn::V1 => {
                let Value::Object(mut map) = value else {
                    return Err(FrameError::BadObject);
                };
                let (Some(Value::String(topic)), Some(Value::String(event))) =
                    (map.remove("topic"), map.remove("event"))
                else {
                    return Err(FrameError::BadObject);
                };
                let join_ref = map.remove("join_ref").unwrap_or(Value::Null);
                let r#ref = map.remove("ref").unwrap_or(Value::Null);
                check_ref(&join_ref)?;
                check_ref(&r#ref)?;
                let payload = map
                    .remove("payload")
                    .unwrap_or(Value::Object(Default::default()));
                Ok(Frame {
                    join_ref,
                    r#ref,
                    topic,
                    event,
                    payload,
                })
            }
        }
    }
}

/// Build an outbound frame around a payload that is already JSON text.
///
/// `join_ref`/`ref` are JSON values (`Value::Null` for broadcasts and pushes).
/// v1 output objects carry only `topic`, `event`, `payload` and `ref`.
pub fn encode(
    vsn: Vsn,
    join_ref: &Value,
    r#ref: &Value,
    topic: &str,
    event: &str,
    payload_json: &str,
) -> String {
    let mut out = String::with_capacity(payload_json.len() + topic.len() + event.len() + 48);
    match vsn {
        Vsn::V2 => {
            out.push('[');
            push_json(&mut out, join_ref);
            out.push(',');
            push_json(&mut out, r#ref);
            out.push(',');
            push_str(&mut out, topic);
            out.push(',');
            push_str(&mut out, event);
            out.push(',');
            out.push_str(payload_json);
            out.push(']');
        }
        Vsn::V1 => {
            out.push_str("{\"topic\":");
            push_str(&mut out, topic);
            out.push_str(",\"event\":");
            push_str(&mut out, event);
            out.push_str(",\"payload\":");
            out.push_str(payload_json);
            out.push_str(",\"ref\":");
            push_json(&mut out, r#ref);
            out.push('}');
        }
    }
    out
}

/// The payload of a `phx_reply`: `{"status": "ok"|"error", "response": ...}`.
pub fn reply_payload(ok: bool, response: &Value) -> String {
    let mut out = String::with_capacity(64);
    let _ = write!(
        out,
        "{{\"status\":\"{}\",\"response\":",
        if ok { "ok" } else { "error" }
    );
    push_json(&mut out, response);
    out.push('}');
    out
}

fn push_json(out: &mut String, v: &Value) {
    // Writing a Value into a String cannot fail.
    out.push_str(&serde_json::to_string(v).unwrap_or_else(|_| "null".into()));
}

fn push_str(out: &mut String, s: &str) {
    push_json(out, &Value::String(s.to_owned()));
}

/// Reserved event names of the protocol.
pub mod events {
    pub const JOIN: &str = "phx_join";
    pub const LEAVE: &str = "phx_leave";
    pub const REPLY: &str = "phx_reply";
    pub const ERROR: &str = "phx_error";
    pub const CLOSE: &str = "phx_close";
    pub const HEARTBEAT: &str = "heartbeat";
    /// The topic heartbeats are sent on.
    pub const PHOENIX_TOPIC: &str = "phoenix";
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn v2_round_trip() {
        let f = Frame::decode(
            r#"["1","2","events:all","phx_join",{"last_seq":5}]"#,
            Vsn::V2,
        )
        .unwrap();
        assert_eq!(f.join_ref, json!("1"));
        assert_eq!(f.r#ref, json!("2"));
        assert_eq!(f.topic, "events:all");
        assert_eq!(f.event, "phx_join");
        assert_eq!(f.payload, json!({"last_seq": 5}));
        let out = encode(
            Vsn::V2,
            &f.join_ref,
            &f.r#ref,
            &f.topic,
            "phx_reply",
            &reply_payload(true, &json!({})),
        );
        assert_eq!(
            out,
            r#"["1","2","events:all","phx_reply",{"status":"ok","response":{}}]"#
        );
    }

    #[test]
    fn v1_round_trip_and_only_four_keys_out() {
        let f = Frame::decode(
            r#"{"topic":"phoenix","event":"heartbeat","payload":{},"ref":7}"#,
            Vsn::V1,
        )
        .unwrap();
        assert_eq!(f.r#ref, json!(7));
        assert_eq!(f.join_ref, Value::Null);
        let out = encode(
            Vsn::V1,
            &json!("9"),
            &f.r#ref,
            "phoenix",
            "phx_reply",
            &reply_payload(true, &json!({})),
        );
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            v,
            json!({"topic":"phoenix","event":"phx_reply","payload":{"status":"ok","response":{}},"ref":7})
        );
    }

    #[test]
    fn bad_frames_are_errors() {
        assert_eq!(Frame::decode("[1,2,3]", Vsn::V2), Err(FrameError::BadArray));
        assert_eq!(
            Frame::decode(r#"[null,null,1,"e",{}]"#, Vsn::V2),
            Err(FrameError::BadArray)
        );
        assert_eq!(
            Frame::decode(r#"[{},null,"t","e",{}]"#, Vsn::V2),
            Err(FrameError::BadRef)
        );
        assert_eq!(
            Frame::decode(r#"{"topic":"t"}"#, Vsn::V1),
            Err(FrameError::BadObject)
        );
        assert!(matches!(
            Frame::decode("nope", Vsn::V1),
            Err(FrameError::Json(_))
        ));
    }

    #[test]
    fn topic_and_event_are_escaped() {
        let out = encode(Vsn::V2, &Value::Null, &Value::Null, "a\"b", "e\\", "{}");
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v, json!([null, null, "a\"b", "e\\", {}]));
    }

    #[test]
    fn vsn_param() {
        assert_eq!(Vsn::from_param(None), Ok(Vsn::V1));
        assert_eq!(Vsn::from_param(Some("2.0.0")), Ok(Vsn::V2));
        assert!(Vsn::from_param(Some("3.0.0")).is_err());
    }
}
