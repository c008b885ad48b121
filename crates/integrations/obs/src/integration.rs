//! OBS as the hub sees every integration: started, reported on, mounted, and asked
//! to answer `obs:*` commands on the dashboard and overlay channels.

use crate::{commands, http, Obs};
use landale_core::integration::{answer, command, Caller, Command, CommandError, Surface};
use landale_core::{Integration, ServiceStatus};
use serde_json::{json, Value};
use std::sync::Arc;
use tokio::sync::watch;

impl Integration for Obs {
    fn name(&self) -> &'static str {
        "obs"
    }

    fn start(self: Arc<Self>, shutdown: watch::Receiver<bool>) {
        self.spawn(shutdown);
    }

    /// Working means identified and ready.
    fn service_status(&self) -> ServiceStatus {
        self.with_state(|s| ServiceStatus {
            connected: s.connected(),
            status: s.link.health().into(),
            error: (!s.connected()).then(|| {
                s.last_error
                    .clone()
                    .unwrap_or_else(|| s.link.as_str().to_string())
            }),
        })
    }

    fn health(&self) -> Value {
        self.summary()
    }

    fn system_entry(&self) -> Value {
        self.summary()
    }

    fn overlay_initial(&self) -> Value {
        if self.connected() {
            json!({"connected": true, "status": self.status()})
        } else {
            json!({"connected": false})
        }
    }

    fn routes(self: Arc<Self>) -> axum::Router {
        http::routes(self)
    }

    fn command(
        self: Arc<Self>,
        surface: Surface,
        event: &str,
        payload: &Value,
        caller: &Caller,
    ) -> Option<Command> {
        match surface {
            Surface::Dashboard => dashboard(self, event, payload, caller),
            Surface::Overlay => overlay(self, event),
            Surface::Stream => None,
        }
    }
}

/// `dashboard:*`: the cached status, a reconnect, and the controls (token needed).
fn dashboard(obs: Arc<Obs>, event: &str, payload: &Value, caller: &Caller) -> Option<Command> {
    let is_control = event == "obs:reconnect" || commands::CONTROLS.contains(&event);
    if is_control && !caller.authorized {
        return Some(answer(Err(CommandError::unauthorized())));
    }
    match event {
        "obs:get_status" => Some(answer(Ok(obs.status()))),
        "obs:reconnect" => {
            obs.reconnect();
            Some(answer(Ok(json!({"operation": "reconnect"}))))
        }
        ev if commands::CONTROLS.contains(&ev) => {
            let control = match commands::control(ev, payload) {
                Ok(c) => c,
                Err(msg) => return Some(answer(Err(CommandError::new("validation_failed", msg)))),
            };
            let correlation = caller.correlation.clone();
            Some(command(async move {
                obs.request_traced(control.request_type, control.data, Some(correlation))
                    .await
                    .map(|_| json!({"operation": control.operation}))
                    .map_err(|e| CommandError::new(e.code(), e.to_string()))
            }))
        }
        _ => None,
    }
}

/// `overlay:*`: reads only, from the cache or asked of OBS live.
fn overlay(obs: Arc<Obs>, event: &str) -> Option<Command> {
    if event == "obs:status" {
        return Some(answer(Ok(obs.status())));
    }
    if !event.starts_with("obs:") {
        return None;
    }
    let Some(request_type) = commands::read_request(event) else {
        return Some(answer(Err(CommandError::new(
            "unknown_command",
            format!("Unknown command: {event}"),
        ))));
    };
    Some(command(async move {
        obs.read(request_type)
            .await
            .map_err(|e| CommandError::new(e.code(), e.to_string()))
    }))
}
