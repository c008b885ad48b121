//! IronMON as the hub sees every integration: started, reported on, and asked
//! `ironmon:status` / `ironmon:run` on the overlay and dashboard channels. (The stored
//! history, `ironmon:challenges` and friends, is read by the hub from its store.)

use crate::Ironmon;
use landale_core::integration::{answer, Caller, Command, Surface};
use landale_core::{Integration, ServiceStatus};
use serde_json::{json, Value};
use std::sync::Arc;
use tokio::sync::watch;

impl Integration for Ironmon {
    fn name(&self) -> &'static str {
        "ironmon_tcp"
    }

    fn start(self: Arc<Self>, shutdown: watch::Receiver<bool>) {
        tokio::spawn(crate::listener::run(self, shutdown));
    }

    /// Working means listening; a connected tracker is not required.
    fn service_status(&self) -> ServiceStatus {
        self.with_status(|s| {
            if s.listening {
                ServiceStatus::up("healthy")
            } else if self.settings.port.is_none() {
                ServiceStatus::down("disabled", "the IronMON listener is off (IRONMON_PORT=off)")
            } else {
                match &s.error {
                    Some(e) => ServiceStatus::down("unhealthy", e.clone()),
                    // Still reading the runs or binding: on its way, not failing.
                    None => ServiceStatus::down("starting", "starting up"),
                }
            }
        })
    }

    fn health(&self) -> Value {
        let mut v = self.status();
        v["status"] = self.service_status().status.into();
        v
    }

    fn system_entry(&self) -> Value {
        let st = self.service_status();
        let mut v = st.entry();
        let s = self.status();
        v["port"] = s["port"].clone();
        v["connection_count"] = s["connection_count"].clone();
        v["service_type"] = "tcp_server".into();
        v
    }

    /// The services panel's line: the port, the tracker's connection, messages and
    /// rejections, and the run.
    fn telemetry_entry(&self) -> Option<Value> {
        let st = self.service_status();
        let s = self.status();
        let n = s["connection_count"].as_u64().unwrap_or(0);
        let rejected: u64 = s["rejected"]
            .as_object()
            .map(|m| m.values().filter_map(Value::as_u64).sum())
            .unwrap_or(0);
        let run = &s["run"];
        let mut detail = format!(
            "port {} · {} · {} messages",
            s["port"],
            match n {
                0 => "no tracker connected".to_string(),
                1 => "the tracker is connected".to_string(),
                n => format!("{n} trackers connected"),
            },
            s["messages"]
        );
        if rejected > 0 {
            detail.push_str(&format!(
                " · {rejected} rejected ({})",
                s["last_rejection"].as_str().unwrap_or("")
            ));
        }
        if let Some(r) = run["run_number"].as_i64() {
            detail.push_str(&format!(
                " · run #{r}, {} checkpoints",
                run["checkpoints_cleared"]
            ));
        }
        let mut v = st.entry();
        v["status"] = st.status.into();
        v["detail"] = detail.into();
        v["connections"] = s["connections"].clone();
        Some(v)
    }

    fn overlay_initial(&self) -> Value {
        json!({"listening": self.service_status().connected, "run": self.run_view()})
    }

    fn command(
        self: Arc<Self>,
        surface: Surface,
        event: &str,
        _payload: &Value,
        _caller: &Caller,
    ) -> Option<Command> {
        match (surface, event) {
            (Surface::Overlay | Surface::Dashboard, "ironmon:status") => {
                let mut s = self.status();
                s["connected"] = (s["connection_count"].as_u64().unwrap_or(0) > 0).into();
                Some(answer(Ok(s)))
            }
            (Surface::Overlay | Surface::Dashboard, "ironmon:run") => {
                Some(answer(Ok(self.run_view())))
            }
            _ => None,
        }
    }
}
