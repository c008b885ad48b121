//! Rainwave as the hub sees every integration: started, reported on, mounted, and
//! asked `rainwave:*` on the overlay and dashboard channels (controls need the token).

use crate::Rainwave;
use landale_core::integration::{answer, Caller, Command, CommandError, Surface};
use landale_core::{Integration, ServiceStatus};
use serde_json::Value;
use std::sync::Arc;
use tokio::sync::watch;

impl Integration for Rainwave {
    fn name(&self) -> &'static str {
        "rainwave"
    }

    fn start(self: Arc<Self>, shutdown: watch::Receiver<bool>) {
        tokio::spawn(crate::poller::run(self, shutdown));
    }

    fn service_status(&self) -> ServiceStatus {
        match self.health_word() {
            "healthy" => ServiceStatus::up("healthy"),
            "not_configured" => ServiceStatus::down(
                "not_configured",
                "set RAINWAVE_API_KEY and RAINWAVE_USER_ID to show what is playing",
            ),
            "disabled" => ServiceStatus::down("disabled", "Rainwave is turned off"),
            word => ServiceStatus::down(
                word,
                self.status()["api_health"]["last_error"]
                    .as_str()
                    .unwrap_or("Rainwave is not answering")
                    .to_string(),
            ),
        }
    }

    fn health(&self) -> Value {
        let mut v = self.status();
        v["status"] = self.health_word().into();
        v
    }

    fn system_entry(&self) -> Value {
        let mut v = self.service_status().entry();
        v["enabled"] = self.status()["enabled"].clone();
        v
    }

    /// The services panel's line: the station and the song, or why not.
    fn telemetry_entry(&self) -> Option<Value> {
        let st = self.service_status();
        let now = self.now_playing();
        let detail = match (
            now["listening"].as_bool(),
            now["current_song"]["title"].as_str(),
        ) {
            (Some(true), Some(title)) => format!(
                "{} · {title} by {}",
                now["station_name"].as_str().unwrap_or(""),
                now["current_song"]["artist"].as_str().unwrap_or("?")
            ),
            _ if st.connected => format!(
                "{} · not tuned in",
                now["station_name"].as_str().unwrap_or("")
            ),
            _ => String::new(),
        };
        let mut v = st.entry();
        v["status"] = st.status.into();
        if !detail.is_empty() {
            v["detail"] = detail.into();
        }
        Some(v)
    }

    fn overlay_initial(&self) -> Value {
        self.now_playing()
    }

    fn routes(self: Arc<Self>) -> axum::Router {
        crate::http::routes(self)
    }

    fn command(
        self: Arc<Self>,
        surface: Surface,
        event: &str,
        payload: &Value,
        caller: &Caller,
    ) -> Option<Command> {
        let control = matches!(
            event,
            "rainwave:set_station" | "rainwave:enable" | "rainwave:disable" | "rainwave:config"
        );
        if control && (surface != Surface::Dashboard || !caller.authorized) {
            return Some(answer(Err(CommandError::unauthorized())));
        }
        let ok = |rw: &Rainwave| Ok(rw.status());
        Some(answer(match event {
            "rainwave:status" | "rainwave:get_status" => ok(&self),
            "rainwave:now_playing" => Ok(self.now_playing()),
            "rainwave:enable" | "rainwave:disable" => {
                if event == "rainwave:enable" && !self.has_credentials() {
                    Err(CommandError::new(
                        "not_configured",
                        "set RAINWAVE_API_KEY and RAINWAVE_USER_ID first",
                    ))
                } else {
                    self.set_enabled(event == "rainwave:enable");
                    ok(&self)
                }
            }
            "rainwave:set_station" => match self.set_station(
                payload
                    .get("station")
                    .or(payload.get("station_id"))
                    .unwrap_or(&Value::Null),
            ) {
                Ok(_) => ok(&self),
                Err(e) => Err(CommandError::new("invalid_station", e.to_string())),
            },
            "rainwave:config" => {
                let enabled = payload.get("enabled").and_then(Value::as_bool);
                let station = match payload.get("station_id") {
                    None | Some(Value::Null) => Ok(None),
                    Some(v) => crate::parse_station(v).map(Some),
                };
                match station {
                    Ok(s) => self
                        .configure(enabled, s)
                        .map(|_| self.status())
                        .map_err(|e| CommandError::new("invalid_station", e.to_string())),
                    Err(e) => Err(CommandError::new("invalid_station", e.to_string())),
                }
            }
            _ => return None,
        }))
    }
}
