//! What Landale knows about OBS between requests, and how OBS events become hub
//! events. Pure: the connection task feeds it and ingests what it returns.
//!
//! Each OBS event becomes exactly one hub event: the five that matter to overlays are
//! translated (`obs.scene_changed`, `obs.stream_started|stopped`,
//! `obs.recording_started|stopped`); every other one is published raw as
//! `obs.websocket_event`.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

/// Where the link to OBS stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// No `OBS_WEBSOCKET_URL`.
    NotConfigured,
    Disconnected,
    /// Opening the socket and waiting for Hello.
    Connecting,
    /// Identify sent, waiting for Identified.
    Authenticating,
    Ready,
    /// OBS refused the password; retried slowly.
    AuthFailed,
    /// Kicked from OBS's session list; not retried until asked.
    Kicked,
}

impl Link {
    pub fn as_str(self) -> &'static str {
        match self {
            Link::NotConfigured => "not_configured",
            Link::Disconnected => "disconnected",
            Link::Connecting => "connecting",
            Link::Authenticating => "authenticating",
            Link::Ready => "ready",
            Link::AuthFailed => "auth_failed",
            Link::Kicked => "kicked",
        }
    }

    /// The reference's coarse health: ready → healthy, on the way → degraded.
    pub fn health(self) -> &'static str {
        match self {
            Link::Ready => "healthy",
            Link::Connecting | Link::Authenticating => "degraded",
            // Off by the streamer's choice (no OBS_WEBSOCKET_URL): not a fault.
            Link::NotConfigured => "not_configured",
            _ => "unhealthy",
        }
    }
}

/// One OBS output (stream or recording).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Output {
    pub active: bool,
    pub paused: bool,
    pub reconnecting: bool,
    /// The last `OBS_WEBSOCKET_OUTPUT_*` state seen.
    pub state: Option<String>,
    /// Extra fields from the last Get{Stream,Record}Status (timecode, bytes, frames…).
    pub detail: Value,
    pub output_path: Option<String>,
}

impl Output {
    fn json(&self) -> Value {
        let mut v = json!({
            "active": self.active,
            "paused": self.paused,
            "reconnecting": self.reconnecting,
            "state": self.state,
        });
        if let Some(p) = &self.output_path {
            v["output_path"] = p.clone().into();
        }
        if let Some(d) = self.detail.as_object() {
            for (k, x) in d {
                let key = match k.as_str() {
                    "outputTimecode" => "timecode",
                    "outputDuration" => "duration",
                    "outputCongestion" => "congestion",
                    "outputBytes" => "bytes",
                    "outputSkippedFrames" => "skipped_frames",
                    "outputTotalFrames" => "total_frames",
                    _ => continue,
                };
                v[key] = x.clone();
            }
        }
        v
    }

    /// Apply a Get{Stream,Record}Status response.
    pub fn apply_status(&mut self, d: &Value) {
        if let Some(a) = d.get("outputActive").and_then(Value::as_bool) {
            self.active = a;
        }
        if let Some(p) = d.get("outputPaused").and_then(Value::as_bool) {
            self.paused = p;
        }
        if let Some(r) = d.get("outputReconnecting").and_then(Value::as_bool) {
            self.reconnecting = r;
        }
        self.detail = d.clone();
    }
}

/// The cached picture of OBS.
#[derive(Debug, Clone)]
pub struct ObsState {
    pub link: Link,
    pub url: Option<String>,
    /// Id of the current connection (8 hex chars), the `session_id` of its events.
    pub session_id: Option<String>,
    pub obs_version: Option<String>,
    pub websocket_version: Option<String>,
    pub rpc_version: Option<u64>,
    pub current_scene: Option<String>,
    /// The program scene as the last scene-change event (or the first scene list)
    /// left it: a scene list answered between a switch and its event already names
    /// the new scene, so the event's `previous_scene` comes from here.
    pub event_scene: Option<String>,
    pub preview_scene: Option<String>,
    pub studio_mode: bool,
    /// Scene names top to bottom, as OBS's scene list shows them.
    pub scenes: Vec<String>,
    pub streaming: Output,
    pub recording: Output,
    pub virtual_cam: bool,
    pub replay_buffer: bool,
    /// The last `obs.stats_updated` data.
    pub stats: Option<Value>,
    pub last_error: Option<String>,
    pub connected_at: Option<DateTime<Utc>>,
    pub last_event_at: Option<DateTime<Utc>>,
    /// Failed attempts since the last good connection.
    pub failures: u32,
    pub next_attempt_at: Option<DateTime<Utc>>,
}

impl ObsState {
    pub fn new(url: Option<String>) -> ObsState {
        ObsState {
            link: if url.is_some() {
                Link::Disconnected
            } else {
                Link::NotConfigured
            },
            url,
            session_id: None,
            obs_version: None,
            websocket_version: None,
            rpc_version: None,
            current_scene: None,
            event_scene: None,
            preview_scene: None,
            studio_mode: false,
            scenes: Vec::new(),
            streaming: Output::default(),
            recording: Output::default(),
            virtual_cam: false,
            replay_buffer: false,
            stats: None,
            last_error: None,
            connected_at: None,
            last_event_at: None,
            failures: 0,
            next_attempt_at: None,
        }
    }

    pub fn connected(&self) -> bool {
        self.link == Link::Ready
    }

    /// Forget everything that only holds while connected.
    pub fn reset_session(&mut self) {
        let keep = ObsState::new(self.url.clone());
        *self = ObsState {
            link: self.link,
            last_error: self.last_error.take(),
            failures: self.failures,
            next_attempt_at: self.next_attempt_at,
            ..keep
        };
    }

    /// The status map served by `obs:get_status`, `obs:status`, REST and `/api/health`.
    /// It never contains the password.
    pub fn status_json(&self) -> Value {
        json!({
            "connected": self.connected(),
            "status": self.link.health(),
            "connection_state": self.link.as_str(),
            "url": self.url,
            "session_id": self.session_id,
            "obs_version": self.obs_version,
            "websocket_version": self.websocket_version,
            "rpc_version": self.rpc_version,
            "current_scene": self.current_scene,
            "preview_scene": self.preview_scene,
            "studio_mode": self.studio_mode,
            "scenes": self.scenes,
            "streaming": self.streaming.json(),
            "recording": self.recording.json(),
            "virtual_cam": {"active": self.virtual_cam},
            "replay_buffer": {"active": self.replay_buffer},
            "stats": self.stats,
            "last_error": self.last_error,
            "connected_at": self.connected_at.map(|t| t.to_rfc3339()),
            "last_event_at": self.last_event_at.map(|t| t.to_rfc3339()),
            "reconnect": {
                "failures": self.failures,
                "next_attempt_at": self.next_attempt_at.map(|t| t.to_rfc3339()),
            },
            "metadata": {"connection_state": self.link.as_str()},
        })
    }

    /// Apply a GetSceneList response (or SceneListChanged data).
    pub fn apply_scene_list(&mut self, d: &Value) {
        if let Some(list) = d.get("scenes").and_then(Value::as_array) {
            let mut scenes: Vec<(i64, String)> = list
                .iter()
                .filter_map(|s| {
                    let name = s.get("sceneName")?.as_str()?.to_string();
                    Some((
                        s.get("sceneIndex").and_then(Value::as_i64).unwrap_or(0),
                        name,
                    ))
                })
                .collect();
            // obs-websocket lists scenes bottom-up (index 0 is the last in the UI).
            scenes.sort_by_key(|s| std::cmp::Reverse(s.0));
            self.scenes = scenes.into_iter().map(|(_, n)| n).collect();
        }
        if let Some(c) = d.get("currentProgramSceneName").and_then(Value::as_str) {
            self.current_scene = Some(c.to_string());
            if self.event_scene.is_none() {
                self.event_scene = Some(c.to_string());
            }
        }
        if let Some(p) = d.get("currentPreviewSceneName") {
            self.preview_scene = p.as_str().map(str::to_owned);
        }
    }

    /// Apply a GetStats response; returns the `obs.stats_updated` data.
    pub fn apply_stats(&mut self, d: &Value, now: DateTime<Utc>) -> Value {
        let pick = |k: &str| d.get(k).cloned().unwrap_or(Value::Null);
        let stats = json!({
            "active_fps": pick("activeFps"),
            "average_frame_time": pick("averageFrameRenderTime"),
            "cpu_usage": pick("cpuUsage"),
            "memory_usage": pick("memoryUsage"),
            "available_disk_space": pick("availableDiskSpace"),
            "render_total_frames": pick("renderTotalFrames"),
            "render_skipped_frames": pick("renderSkippedFrames"),
            "output_total_frames": pick("outputTotalFrames"),
            "output_skipped_frames": pick("outputSkippedFrames"),
            "last_updated": now.to_rfc3339(),
        });
        self.stats = Some(stats.clone());
        stats
    }

    /// Fold one OBS event into the cache; returns the hub event `(type, data)` it
    /// becomes (without `session_id`, which the caller adds).
    pub fn apply_event(
        &mut self,
        event_type: &str,
        d: &Value,
        now: DateTime<Utc>,
    ) -> (String, Value) {
        self.last_event_at = Some(now);
        let s = |k: &str| d.get(k).and_then(Value::as_str).map(str::to_owned);
        let b = |k: &str| d.get(k).and_then(Value::as_bool);
        let raw = || {
            (
                "obs.websocket_event".to_string(),
                json!({"eventType": event_type, "eventData": d}),
            )
        };
        match event_type {
            "CurrentProgramSceneChanged" => {
                let name = s("sceneName");
                let listed = std::mem::replace(&mut self.current_scene, name.clone());
                let previous = std::mem::replace(&mut self.event_scene, name.clone()).or(listed);
                (
                    "obs.scene_changed".into(),
                    json!({"scene_name": name, "previous_scene": previous}),
                )
            }
            "StreamStateChanged" | "RecordStateChanged" => {
                let state = s("outputState");
                let recording = event_type == "RecordStateChanged";
                let out = if recording {
                    &mut self.recording
                } else {
                    &mut self.streaming
                };
                // obs-websocket's `outputActive` is false for PAUSED, RECONNECTING and
                // RECONNECTED although the output still runs: go by the state.
                out.active = match state.as_deref() {
                    Some(
                        "OBS_WEBSOCKET_OUTPUT_STARTED"
                        | "OBS_WEBSOCKET_OUTPUT_RESUMED"
                        | "OBS_WEBSOCKET_OUTPUT_PAUSED"
                        | "OBS_WEBSOCKET_OUTPUT_RECONNECTING"
                        | "OBS_WEBSOCKET_OUTPUT_RECONNECTED"
                        | "OBS_WEBSOCKET_OUTPUT_STOPPING",
                    ) => true,
                    Some("OBS_WEBSOCKET_OUTPUT_STOPPED" | "OBS_WEBSOCKET_OUTPUT_STARTING") => false,
                    _ => b("outputActive").unwrap_or(out.active),
                };
                if recording {
                    if let Some(p) = s("outputPath") {
                        out.output_path = Some(p);
                    }
                }
                match state.as_deref() {
                    Some("OBS_WEBSOCKET_OUTPUT_PAUSED") => out.paused = true,
                    Some("OBS_WEBSOCKET_OUTPUT_RESUMED") => out.paused = false,
                    Some("OBS_WEBSOCKET_OUTPUT_RECONNECTING") => out.reconnecting = true,
                    Some("OBS_WEBSOCKET_OUTPUT_RECONNECTED") => out.reconnecting = false,
                    _ => {}
                }
                out.state = state.clone();
                let started = match state.as_deref() {
                    Some("OBS_WEBSOCKET_OUTPUT_STARTED") => true,
                    Some("OBS_WEBSOCKET_OUTPUT_STOPPED") => false,
                    // Starting, stopping, paused, reconnecting: not a start or stop.
                    _ => return raw(),
                };
                out.active = started;
                if !started {
                    out.paused = false;
                    out.reconnecting = false;
                }
                let kind = match (recording, started) {
                    (false, true) => "obs.stream_started",
                    (false, false) => "obs.stream_stopped",
                    (true, true) => "obs.recording_started",
                    (true, false) => "obs.recording_stopped",
                };
                let mut data = json!({"output_active": started, "output_state": state});
                if recording {
                    data["output_path"] = out.output_path.clone().into();
                }
                (kind.into(), data)
            }
            _ => {
                match event_type {
                    "SceneListChanged" => self.apply_scene_list(d),
                    "CurrentPreviewSceneChanged" => self.preview_scene = s("sceneName"),
                    "StudioModeStateChanged" => {
                        self.studio_mode = b("studioModeEnabled").unwrap_or(false);
                        if !self.studio_mode {
                            self.preview_scene = None;
                        }
                    }
                    "VirtualcamStateChanged" => {
                        self.virtual_cam = b("outputActive").unwrap_or(false)
                    }
                    "ReplayBufferStateChanged" => {
                        self.replay_buffer = b("outputActive").unwrap_or(false)
                    }
                    "SceneNameChanged" => {
                        if let (Some(old), Some(new)) = (s("oldSceneName"), s("sceneName")) {
                            for n in self.scenes.iter_mut().filter(|n| **n == old) {
                                *n = new.clone();
                            }
                            if self.event_scene.as_deref() == Some(old.as_str()) {
                                self.event_scene = Some(new.clone());
                            }
                            if self.current_scene.as_deref() == Some(old.as_str()) {
                                self.current_scene = Some(new);
                            }
                        }
                    }
                    _ => {}
                }
                raw()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-11-24T20:00:00Z".parse().unwrap()
    }

    #[test]
    fn scene_changes_carry_the_previous_scene() {
        let mut s = ObsState::new(Some("ws://x".into()));
        s.apply_scene_list(&json!({"currentProgramSceneName": "A", "scenes": [
            {"sceneIndex": 0, "sceneName": "C"}, {"sceneIndex": 2, "sceneName": "A"}, {"sceneIndex": 1, "sceneName": "B"}]}));
        assert_eq!(s.scenes, ["A", "B", "C"], "top of the OBS list first");
        let (t, d) = s.apply_event(
            "CurrentProgramSceneChanged",
            &json!({"sceneName": "B"}),
            now(),
        );
        assert_eq!(t, "obs.scene_changed");
        assert_eq!(d, json!({"scene_name": "B", "previous_scene": "A"}));
        assert_eq!(s.current_scene.as_deref(), Some("B"));
        // A scene list answered between a switch and its event already names the new
        // scene; the event still says where the switch came from.
        s.apply_scene_list(&json!({"currentProgramSceneName": "C"}));
        let (_, d) = s.apply_event(
            "CurrentProgramSceneChanged",
            &json!({"sceneName": "C"}),
            now(),
        );
        assert_eq!(d, json!({"scene_name": "C", "previous_scene": "B"}));
    }

    #[test]
    fn only_started_and_stopped_become_output_events() {
        let mut s = ObsState::new(Some("ws://x".into()));
        let (t, d) = s.apply_event(
            "StreamStateChanged",
            &json!({"outputActive": false, "outputState": "OBS_WEBSOCKET_OUTPUT_STARTING"}),
            now(),
        );
        assert_eq!(t, "obs.websocket_event");
        assert_eq!(d["eventType"], "StreamStateChanged");
        assert!(!s.streaming.active);
        let (t, d) = s.apply_event(
            "StreamStateChanged",
            &json!({"outputActive": true, "outputState": "OBS_WEBSOCKET_OUTPUT_STARTED"}),
            now(),
        );
        assert_eq!(t, "obs.stream_started");
        assert_eq!(d["output_active"], true);
        assert!(s.streaming.active);
        // A dropped connection OBS is retrying: still live, not a stop or a start.
        for state in [
            "OBS_WEBSOCKET_OUTPUT_RECONNECTING",
            "OBS_WEBSOCKET_OUTPUT_RECONNECTED",
        ] {
            let (t, _) = s.apply_event(
                "StreamStateChanged",
                &json!({"outputActive": false, "outputState": state}),
                now(),
            );
            assert_eq!(t, "obs.websocket_event", "{state}");
            assert!(s.streaming.active, "{state}: the stream still runs");
        }
        assert!(!s.streaming.reconnecting);
        // STOPPING is not a stop yet.
        let (t, _) = s.apply_event(
            "StreamStateChanged",
            &json!({"outputActive": false, "outputState": "OBS_WEBSOCKET_OUTPUT_STOPPING"}),
            now(),
        );
        assert_eq!(t, "obs.websocket_event");
        assert!(s.streaming.active);
        let (t, _) = s.apply_event(
            "StreamStateChanged",
            &json!({"outputActive": false, "outputState": "OBS_WEBSOCKET_OUTPUT_STOPPED"}),
            now(),
        );
        assert_eq!(t, "obs.stream_stopped");
        assert!(!s.streaming.active);
    }

    #[test]
    fn recording_keeps_its_path_and_pause() {
        let mut s = ObsState::new(Some("ws://x".into()));
        let (t, d) = s.apply_event(
            "RecordStateChanged",
            &json!({"outputActive": true, "outputState": "OBS_WEBSOCKET_OUTPUT_STARTED", "outputPath": "/tmp/a.mkv"}),
            now(),
        );
        assert_eq!(t, "obs.recording_started");
        assert_eq!(d["output_path"], "/tmp/a.mkv");
        s.apply_event(
            "RecordStateChanged",
            &json!({"outputActive": false, "outputState": "OBS_WEBSOCKET_OUTPUT_PAUSED"}),
            now(),
        );
        assert!(s.recording.paused);
        assert!(s.recording.active, "a paused recording still runs");
        s.apply_event(
            "RecordStateChanged",
            &json!({"outputActive": true, "outputState": "OBS_WEBSOCKET_OUTPUT_RESUMED"}),
            now(),
        );
        assert!(!s.recording.paused && s.recording.active);
        let (t, d) = s.apply_event(
            "RecordStateChanged",
            &json!({"outputActive": false, "outputState": "OBS_WEBSOCKET_OUTPUT_STOPPED", "outputPath": "/tmp/a.mkv"}),
            now(),
        );
        assert_eq!(t, "obs.recording_stopped");
        assert_eq!(d["output_path"], "/tmp/a.mkv");
        assert!(!s.recording.paused && !s.recording.active);
    }

    #[test]
    fn other_events_update_the_cache_and_pass_through_raw() {
        let mut s = ObsState::new(Some("ws://x".into()));
        s.apply_scene_list(&json!({"currentProgramSceneName": "A", "scenes": [{"sceneIndex": 0, "sceneName": "A"}]}));
        let (t, d) = s.apply_event(
            "SceneNameChanged",
            &json!({"oldSceneName": "A", "sceneName": "Z"}),
            now(),
        );
        assert_eq!(t, "obs.websocket_event");
        assert_eq!(d["eventData"]["sceneName"], "Z");
        assert_eq!(s.scenes, ["Z"]);
        assert_eq!(s.current_scene.as_deref(), Some("Z"));
        s.apply_event(
            "StudioModeStateChanged",
            &json!({"studioModeEnabled": true}),
            now(),
        );
        s.apply_event(
            "CurrentPreviewSceneChanged",
            &json!({"sceneName": "Z"}),
            now(),
        );
        assert!(s.studio_mode);
        assert_eq!(s.preview_scene.as_deref(), Some("Z"));
        s.apply_event(
            "VirtualcamStateChanged",
            &json!({"outputActive": true, "outputState": "OBS_WEBSOCKET_OUTPUT_STARTED"}),
            now(),
        );
        assert!(s.virtual_cam);
        let (t, d) = s.apply_event("ExitStarted", &json!({}), now());
        assert_eq!(
            (t.as_str(), &d),
            (
                "obs.websocket_event",
                &json!({"eventType": "ExitStarted", "eventData": {}})
            )
        );
    }

    #[test]
    fn stats_use_the_reference_names() {
        let mut s = ObsState::new(Some("ws://x".into()));
        let d = s.apply_stats(
            &json!({"activeFps": 30.0, "averageFrameRenderTime": 1.5, "cpuUsage": 3.2, "memoryUsage": 200.0,
                    "availableDiskSpace": 1000.0, "renderTotalFrames": 900, "renderSkippedFrames": 2,
                    "outputTotalFrames": 880, "outputSkippedFrames": 1, "webSocketSessionIncomingMessages": 4}),
            now(),
        );
        assert_eq!(d["active_fps"], 30.0);
        assert_eq!(d["render_skipped_frames"], 2);
        assert_eq!(d["output_skipped_frames"], 1);
        assert!(d.get("webSocketSessionIncomingMessages").is_none());
        assert_eq!(s.status_json()["stats"], d);
    }

    #[test]
    fn status_shape_and_reset() {
        let mut s = ObsState::new(None);
        assert_eq!(s.status_json()["connection_state"], "not_configured");
        assert_eq!(s.status_json()["status"], "not_configured");
        s = ObsState::new(Some("ws://127.0.0.1:4455".into()));
        s.link = Link::Ready;
        s.current_scene = Some("A".into());
        s.streaming.apply_status(&json!({"outputActive": true, "outputTimecode": "00:00:05.000", "outputBytes": 1234, "outputCongestion": 0.0}));
        let st = s.status_json();
        assert_eq!(st["connected"], true);
        assert_eq!(st["status"], "healthy");
        assert_eq!(st["metadata"]["connection_state"], "ready");
        assert_eq!(st["streaming"]["timecode"], "00:00:05.000");
        assert_eq!(st["streaming"]["bytes"], 1234);
        s.link = Link::Disconnected;
        s.last_error = Some("gone".into());
        s.reset_session();
        assert_eq!(s.current_scene, None);
        assert!(!s.streaming.active);
        assert_eq!(s.last_error.as_deref(), Some("gone"));
        assert_eq!(s.link, Link::Disconnected);
    }
}
