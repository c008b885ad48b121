//! The OBS commands clients may send, mapped to obs-websocket requests: the
//! dashboard's controls (`dashboard:*`), the overlay reads (`overlay:obs`) and
//! their REST twins (`http`) all go through here, so each has one meaning.

use serde_json::{json, Value};

/// A control: the request to send and the `operation` its success reports.
#[derive(Debug, PartialEq)]
pub struct Control {
    pub request_type: &'static str,
    pub data: Value,
    pub operation: &'static str,
}

/// Dashboard control commands (all need the token).
pub const CONTROLS: &[&str] = &[
    "obs:start_streaming",
    "obs:stop_streaming",
    "obs:start_recording",
    "obs:stop_recording",
    "obs:set_current_scene",
];

/// Longest scene name accepted (OBS has no limit; this keeps garbage out).
pub const MAX_SCENE_NAME: usize = 256;

/// `Err` is a validation message for the caller.
pub fn control(event: &str, payload: &Value) -> Result<Control, String> {
    let simple = |request_type, operation| {
        Ok(Control {
            request_type,
            data: Value::Null,
            operation,
        })
    };
    match event {
        "obs:start_streaming" => simple("StartStream", "start_streaming"),
        "obs:stop_streaming" => simple("StopStream", "stop_streaming"),
        "obs:start_recording" => simple("StartRecord", "start_recording"),
        "obs:stop_recording" => simple("StopRecord", "stop_recording"),
        "obs:set_current_scene" => {
            let name = scene_name(payload.get("scene_name"))?;
            Ok(Control {
                request_type: "SetCurrentProgramScene",
                data: json!({"sceneName": name}),
                operation: "set_current_scene",
            })
        }
        other => Err(format!("Unknown OBS command: {other}")),
    }
}

pub fn scene_name(v: Option<&Value>) -> Result<String, String> {
    match v {
        None | Some(Value::Null) => Err("Missing required field: scene_name".into()),
        Some(Value::String(s)) if s.trim().is_empty() => Err("scene_name must not be empty".into()),
        Some(Value::String(s)) if s.len() > MAX_SCENE_NAME => {
            Err(format!("scene_name is longer than {MAX_SCENE_NAME} bytes"))
        }
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err("scene_name must be a string".into()),
    }
}

/// Overlay reads that ask OBS live (`obs:status` is answered from the cache).
pub fn read_request(event: &str) -> Option<&'static str> {
    Some(match event {
        "obs:scenes" => "GetSceneList",
        "obs:stream_status" => "GetStreamStatus",
        "obs:record_status" => "GetRecordStatus",
        "obs:stats" => "GetStats",
        "obs:version" => "GetVersion",
        "obs:virtual_cam" => "GetVirtualCamStatus",
        "obs:outputs" => "GetOutputList",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_map_to_requests() {
        assert_eq!(
            control("obs:start_streaming", &json!({}))
                .unwrap()
                .request_type,
            "StartStream"
        );
        let c = control("obs:set_current_scene", &json!({"scene_name": "BRB"})).unwrap();
        assert_eq!(c.data, json!({"sceneName": "BRB"}));
        assert_eq!(c.operation, "set_current_scene");
        for ev in CONTROLS {
            let payload = json!({"scene_name": "x"});
            assert!(control(ev, &payload).is_ok(), "{ev}");
        }
    }

    #[test]
    fn scene_names_are_validated() {
        let e = |p: Value| control("obs:set_current_scene", &p).unwrap_err();
        assert_eq!(e(json!({})), "Missing required field: scene_name");
        assert_eq!(
            e(json!({"scene_name": " "})),
            "scene_name must not be empty"
        );
        assert_eq!(e(json!({"scene_name": 3})), "scene_name must be a string");
        assert!(e(json!({"scene_name": "x".repeat(300)})).contains("longer"));
        assert_eq!(read_request("obs:scenes"), Some("GetSceneList"));
        assert_eq!(read_request("obs:status"), None);
    }
}
