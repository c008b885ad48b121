//! obs-websocket v5 wire format (JSON encoding): opcodes, the auth string, close codes
//! and request status codes. Pure functions, no I/O.
//!
//! Every message is `{"op": <opcode>, "d": {...}}`. See the obs-websocket 5.x protocol
//! reference; only RPC version 1 exists, and 5.1 (OBS 29) is the oldest server we meet.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub const RPC_VERSION: u64 = 1;

/// `RequestStatus::NotReady`: OBS is still starting up.
pub const NOT_READY: u64 = 207;

pub mod op {
    pub const HELLO: u64 = 0;
    pub const IDENTIFY: u64 = 1;
    pub const IDENTIFIED: u64 = 2;
    pub const EVENT: u64 = 5;
    pub const REQUEST: u64 = 6;
    pub const REQUEST_RESPONSE: u64 = 7;
    pub const REQUEST_BATCH: u64 = 8;
    pub const REQUEST_BATCH_RESPONSE: u64 = 9;
}

/// Event subscription bits: General 1, Config 2, Scenes 4, Inputs 8, Transitions 16,
/// Filters 32, Outputs 64, SceneItems 128, MediaInputs 256, Vendors 512, Ui 1024.
/// The high-volume ones (volume meters, active/show state changes) stay off.
pub const EVENT_SUBSCRIPTIONS: u64 = (1 << 11) - 1;

/// `base64(sha256(base64(sha256(password + salt)) + challenge))`.
pub fn auth_string(password: &str, salt: &str, challenge: &str) -> String {
    let secret = B64.encode(Sha256::digest(format!("{password}{salt}").as_bytes()));
    B64.encode(Sha256::digest(format!("{secret}{challenge}").as_bytes()))
}

/// The server's greeting (op 0).
#[derive(Debug, Clone, PartialEq)]
pub struct Hello {
    pub obs_websocket_version: String,
    pub rpc_version: u64,
    /// `(challenge, salt)` when the server wants a password.
    pub auth: Option<(String, String)>,
}

/// One decoded server message.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    Hello(Hello),
    Identified {
        rpc_version: u64,
    },
    Event {
        event_type: String,
        data: Value,
    },
    Response {
        request_id: String,
        result: Result<Value, RequestFailure>,
    },
    BatchResponse {
        request_id: String,
        results: Vec<Result<Value, RequestFailure>>,
    },
}

/// OBS refused a request: `requestStatus` with `result: false`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestFailure {
    pub code: u64,
    pub comment: Option<String>,
}

impl RequestFailure {
    /// A sentence for people: OBS's comment, else what the code means.
    pub fn describe(&self) -> String {
        let what = self
            .comment
            .clone()
            .unwrap_or_else(|| status_name(self.code).to_string());
        format!("{what} (OBS status {})", self.code)
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DecodeError {
    #[error("not JSON: {0}")]
    Json(String),
    #[error("message has no numeric `op`")]
    NoOp,
    #[error("op {0} is missing field `{1}`")]
    Missing(u64, &'static str),
}

fn str_field(d: &Value, op: u64, key: &'static str) -> Result<String, DecodeError> {
    d.get(key)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or(DecodeError::Missing(op, key))
}

fn response_result(d: &Value) -> Result<Value, RequestFailure> {
    let status = d.get("requestStatus").cloned().unwrap_or(Value::Null);
    if status.get("result").and_then(Value::as_bool) == Some(true) {
        Ok(d.get("responseData").cloned().unwrap_or_else(|| json!({})))
    } else {
        Err(RequestFailure {
            code: status.get("code").and_then(Value::as_u64).unwrap_or(0),
            comment: status
                .get("comment")
                .and_then(Value::as_str)
                .map(str::to_owned),
        })
    }
}

/// Decode one text frame. Unknown opcodes decode to `Ok(None)` (newer servers may add some).
pub fn decode(text: &str) -> Result<Option<Incoming>, DecodeError> {
    let v: Value = serde_json::from_str(text).map_err(|e| DecodeError::Json(e.to_string()))?;
    let opcode = v
        .get("op")
        .and_then(Value::as_u64)
        .ok_or(DecodeError::NoOp)?;
    let d = v.get("d").cloned().unwrap_or_else(|| json!({}));
    Ok(Some(match opcode {
        op::HELLO => {
            let auth = match d.get("authentication") {
                Some(a) if a.is_object() => Some((
                    str_field(a, opcode, "challenge")?,
                    str_field(a, opcode, "salt")?,
                )),
                _ => None,
            };
            Incoming::Hello(Hello {
                obs_websocket_version: d
                    .get("obsWebSocketVersion")
                    .and_then(Value::as_str)
                    .unwrap_or("unknown")
                    .to_string(),
                rpc_version: d
                    .get("rpcVersion")
                    .and_then(Value::as_u64)
                    .ok_or(DecodeError::Missing(opcode, "rpcVersion"))?,
                auth,
            })
        }
        op::IDENTIFIED => Incoming::Identified {
            rpc_version: d
                .get("negotiatedRpcVersion")
                .and_then(Value::as_u64)
                .ok_or(DecodeError::Missing(opcode, "negotiatedRpcVersion"))?,
        },
        op::EVENT => Incoming::Event {
            event_type: str_field(&d, opcode, "eventType")?,
            data: d.get("eventData").cloned().unwrap_or_else(|| json!({})),
        },
        op::REQUEST_RESPONSE => Incoming::Response {
            request_id: str_field(&d, opcode, "requestId")?,
            result: response_result(&d),
        },
        op::REQUEST_BATCH_RESPONSE => Incoming::BatchResponse {
            request_id: str_field(&d, opcode, "requestId")?,
            results: d
                .get("results")
                .and_then(Value::as_array)
                .ok_or(DecodeError::Missing(opcode, "results"))?
                .iter()
                .map(response_result)
                .collect(),
        },
        _ => return Ok(None),
    }))
}

pub fn identify(hello: &Hello, password: Option<&str>) -> String {
    let mut d = json!({"rpcVersion": RPC_VERSION, "eventSubscriptions": EVENT_SUBSCRIPTIONS});
    if let (Some((challenge, salt)), Some(pw)) = (&hello.auth, password) {
        d["authentication"] = auth_string(pw, salt, challenge).into();
    }
    json!({"op": op::IDENTIFY, "d": d}).to_string()
}

pub fn request(request_id: &str, request_type: &str, data: &Value) -> String {
    let mut d = json!({"requestType": request_type, "requestId": request_id});
    if !data.is_null() {
        d["requestData"] = data.clone();
    }
    json!({"op": op::REQUEST, "d": d}).to_string()
}

/// One request inside a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchItem {
    pub request_type: String,
    pub data: Value,
}

pub fn batch(request_id: &str, items: &[BatchItem], halt_on_failure: bool) -> String {
    let requests: Vec<Value> = items
        .iter()
        .map(|i| {
            let mut r = json!({"requestType": i.request_type});
            if !i.data.is_null() {
                r["requestData"] = i.data.clone();
            }
            r
        })
        .collect();
    json!({"op": op::REQUEST_BATCH, "d": {
        "requestId": request_id,
        "haltOnFailure": halt_on_failure,
        "requests": requests,
    }})
    .to_string()
}

/// What a close code from obs-websocket means for us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseKind {
    /// Try again with the normal backoff (network trouble, OBS quitting, unknown).
    Retry,
    /// The password is wrong (4009): retry slowly, the user must fix the setting.
    BadPassword,
    /// The server refused our protocol (4002–4008, 4010, 4012): a bug or a version
    /// mismatch; retry slowly.
    Protocol,
    /// Kicked from OBS's session list (4011): obs-websocket asks clients not to
    /// reconnect on their own.
    Kicked,
}

pub fn close_kind(code: u16) -> CloseKind {
    match code {
        4009 => CloseKind::BadPassword,
        4011 => CloseKind::Kicked,
        4002..=4008 | 4010 | 4012 => CloseKind::Protocol,
        _ => CloseKind::Retry,
    }
}

pub fn close_name(code: u16) -> &'static str {
    match code {
        1000 => "normal closure",
        1001 => "going away",
        1006 => "connection dropped",
        4000 => "unknown reason",
        4002 => "message decode error",
        4003 => "missing data field",
        4004 => "invalid data field type",
        4005 => "invalid data field value",
        4006 => "unknown opcode",
        4007 => "not identified",
        4008 => "already identified",
        4009 => "authentication failed",
        4010 => "unsupported RPC version",
        4011 => "session invalidated",
        4012 => "unsupported feature",
        _ => "unrecognised close code",
    }
}

/// Names of the `RequestStatus` codes a caller is likely to see.
pub fn status_name(code: u64) -> &'static str {
    match code {
        203 => "missing request type",
        204 => "unknown request type",
        205 => "generic error",
        207 => "OBS is not ready",
        300 => "missing request field",
        301 => "missing request data",
        400 => "invalid request field",
        401 => "invalid request field type",
        402 => "request field out of range",
        403 => "request field empty",
        500 => "output already running",
        501 => "output not running",
        502 => "output paused",
        503 => "output not paused",
        504 => "output disabled",
        505 => "studio mode active",
        506 => "studio mode not active",
        600 => "resource not found",
        601 => "resource already exists",
        602 => "invalid resource type",
        206 => "unsupported request batch execution type",
        404 => "too many request fields",
        603 => "not enough resources",
        604 => "invalid resource state",
        605 => "invalid input kind",
        606 => "resource not configurable",
        607 => "invalid filter kind",
        700 => "resource creation failed",
        701 => "resource action failed",
        702 => "request processing failed",
        703 => "cannot act",
        _ => "request failed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_string_matches_the_protocol_example() {
        // The worked example of the obs-websocket protocol reference.
        assert_eq!(
            auth_string(
                "supersecretpassword",
                "lM1GncleQOaCu9lT1yeUZhFYnqhsLLP1G5lAGo3ixaI=",
                "+IxH4CnCiqpX1rM9scsNynZzbOe4KhDeYcTNS3PDaeY="
            ),
            "1Ct943GAT+6YQUUX47Ia/ncufilbe6+oD6lY+5kaCu4="
        );
    }

    #[test]
    fn auth_string_is_independent_of_the_other_inputs_order() {
        let a = auth_string("pw", "salt", "challenge");
        assert_ne!(a, auth_string("pw", "challenge", "salt"));
        assert_ne!(a, auth_string("pwx", "salt", "challenge"));
        assert_eq!(a.len(), 44, "base64 of 32 bytes");
    }

    #[test]
    fn hello_with_and_without_auth() {
        let with = r#"{"op":0,"d":{"obsWebSocketVersion":"5.1.0","rpcVersion":1,"authentication":{"challenge":"c","salt":"s"}}}"#;
        assert_eq!(
            decode(with).unwrap(),
            Some(Incoming::Hello(Hello {
                obs_websocket_version: "5.1.0".into(),
                rpc_version: 1,
                auth: Some(("c".into(), "s".into())),
            }))
        );
        let without = r#"{"op":0,"d":{"obsWebSocketVersion":"5.5.2","rpcVersion":1}}"#;
        match decode(without).unwrap() {
            Some(Incoming::Hello(h)) => assert_eq!(h.auth, None),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn identify_carries_auth_only_when_asked() {
        let hello = Hello {
            obs_websocket_version: "5.1.0".into(),
            rpc_version: 1,
            auth: Some(("c".into(), "s".into())),
        };
        let v: Value = serde_json::from_str(&identify(&hello, Some("pw"))).unwrap();
        assert_eq!(v["op"], 1);
        assert_eq!(v["d"]["rpcVersion"], 1);
        assert_eq!(v["d"]["eventSubscriptions"], 2047);
        assert_eq!(v["d"]["authentication"], auth_string("pw", "s", "c"));
        let open = Hello {
            auth: None,
            ..hello
        };
        let v: Value = serde_json::from_str(&identify(&open, Some("pw"))).unwrap();
        assert!(v["d"].get("authentication").is_none());
    }

    #[test]
    fn responses_map_status_to_result() {
        let ok = r#"{"op":7,"d":{"requestType":"GetVersion","requestId":"1000","requestStatus":{"result":true,"code":100},"responseData":{"obsVersion":"29.0.2"}}}"#;
        assert_eq!(
            decode(ok).unwrap(),
            Some(Incoming::Response {
                request_id: "1000".into(),
                result: Ok(json!({"obsVersion": "29.0.2"}))
            })
        );
        let no_data = r#"{"op":7,"d":{"requestType":"StartRecord","requestId":"7","requestStatus":{"result":true,"code":100}}}"#;
        match decode(no_data).unwrap() {
            Some(Incoming::Response { result, .. }) => assert_eq!(result, Ok(json!({}))),
            other => panic!("{other:?}"),
        }
        let failed = r#"{"op":7,"d":{"requestType":"SetCurrentProgramScene","requestId":"8","requestStatus":{"result":false,"code":600,"comment":"No source was found by the name of `Nope`."}}}"#;
        match decode(failed).unwrap() {
            Some(Incoming::Response { result: Err(f), .. }) => {
                assert_eq!(f.code, 600);
                assert_eq!(
                    f.describe(),
                    "No source was found by the name of `Nope`. (OBS status 600)"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn batch_round_trip() {
        let items = vec![
            BatchItem {
                request_type: "GetVersion".into(),
                data: Value::Null,
            },
            BatchItem {
                request_type: "SetCurrentProgramScene".into(),
                data: json!({"sceneName": "Main"}),
            },
        ];
        let v: Value = serde_json::from_str(&batch("b1", &items, true)).unwrap();
        assert_eq!(v["op"], 8);
        assert_eq!(v["d"]["haltOnFailure"], true);
        assert_eq!(v["d"]["requests"][0], json!({"requestType": "GetVersion"}));
        assert_eq!(v["d"]["requests"][1]["requestData"]["sceneName"], "Main");
        let resp = r#"{"op":9,"d":{"requestId":"b1","results":[
            {"requestType":"GetVersion","requestStatus":{"result":true,"code":100},"responseData":{"rpcVersion":1}},
            {"requestType":"SetCurrentProgramScene","requestStatus":{"result":false,"code":600}}]}}"#;
        match decode(resp).unwrap() {
            Some(Incoming::BatchResponse {
                request_id,
                results,
            }) => {
                assert_eq!(request_id, "b1");
                assert_eq!(results[0], Ok(json!({"rpcVersion": 1})));
                assert_eq!(results[1].as_ref().unwrap_err().code, 600);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn events_and_framing_errors() {
        let e = r#"{"op":5,"d":{"eventType":"CurrentProgramSceneChanged","eventIntent":4,"eventData":{"sceneName":"B"}}}"#;
        assert_eq!(
            decode(e).unwrap(),
            Some(Incoming::Event {
                event_type: "CurrentProgramSceneChanged".into(),
                data: json!({"sceneName": "B"})
            })
        );
        let bare = r#"{"op":5,"d":{"eventType":"ExitStarted","eventIntent":1}}"#;
        match decode(bare).unwrap() {
            Some(Incoming::Event { data, .. }) => assert_eq!(data, json!({})),
            other => panic!("{other:?}"),
        }
        assert_eq!(decode(r#"{"op":42,"d":{}}"#).unwrap(), None);
        assert!(matches!(decode("not json"), Err(DecodeError::Json(_))));
        assert_eq!(decode(r#"{"d":{}}"#), Err(DecodeError::NoOp));
        assert_eq!(
            decode(r#"{"op":7,"d":{}}"#),
            Err(DecodeError::Missing(7, "requestId"))
        );
        assert_eq!(
            decode(r#"{"op":2,"d":{}}"#),
            Err(DecodeError::Missing(2, "negotiatedRpcVersion"))
        );
    }

    #[test]
    fn close_codes() {
        assert_eq!(close_kind(4009), CloseKind::BadPassword);
        assert_eq!(close_kind(4011), CloseKind::Kicked);
        assert_eq!(close_kind(4010), CloseKind::Protocol);
        assert_eq!(close_kind(4007), CloseKind::Protocol);
        assert_eq!(close_kind(1006), CloseKind::Retry);
        assert_eq!(close_kind(1001), CloseKind::Retry);
        assert_eq!(close_name(4009), "authentication failed");
    }
}
