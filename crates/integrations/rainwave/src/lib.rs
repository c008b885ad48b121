//! Rainwave: the music playing on the streamer's Rainwave station (reference §9.6).
//!
//! One [`Rainwave`] per hub. Its poller ([`poller`]) asks `POST {api}/info` every
//! `poll` (10 s) while enabled and configured, with a 15 s timeout; errors back off
//! (the poll interval doubling to 5 minutes, with jitter) and clear the song. A change
//! of song, listening, station or enabled is a `rainwave.update` event (and
//! `rainwave.song_changed` / `rainwave.station_changed` when those change). Controls
//! (enable, station, config) take effect at once: they wake the poller.

pub mod http;
mod integration;
pub mod poller;
pub mod protocol;
pub mod settings;

pub use settings::{RainwaveArgs, RainwaveSettings};

use landale_core::Ingest;
use protocol::Song;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::Notify;

#[derive(Debug, Default, Clone)]
struct ApiHealth {
    last_call_at: Option<String>,
    last_success_at: Option<String>,
    successes: u64,
    errors: u64,
    consecutive_errors: u64,
    last_error: Option<String>,
}

#[derive(Debug, Clone)]
struct State {
    enabled: bool,
    station: u32,
    listening: bool,
    station_name: Option<String>,
    song: Option<Song>,
    health: ApiHealth,
}

pub struct Rainwave {
    settings: RainwaveSettings,
    ingest: Arc<dyn Ingest>,
    http: reqwest::Client,
    state: Mutex<State>,
    /// Wakes the poller after a control.
    wake: Notify,
    started: Instant,
    started_at: String,
}

/// Why a control was refused.
#[derive(Debug, Clone, PartialEq)]
pub enum ControlError {
    BadStation(String),
}

impl std::fmt::Display for ControlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ControlError::BadStation(v) => write!(
                f,
                "{v:?} is not a Rainwave station: use 1-5 or game, ocremix, covers, chiptunes, all"
            ),
        }
    }
}

impl Rainwave {
    pub fn new(settings: RainwaveSettings, ingest: Arc<dyn Ingest>) -> Arc<Rainwave> {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.connect_timeout)
            .build()
            .unwrap_or_default();
        let enabled = settings.api_key.is_some() && settings.user_id.is_some();
        Arc::new(Rainwave {
            state: Mutex::new(State {
                enabled,
                station: settings.station,
                listening: false,
                station_name: None,
                song: None,
                health: ApiHealth::default(),
            }),
            settings,
            ingest,
            http,
            wake: Notify::new(),
            started: Instant::now(),
            started_at: landale_core::ids::now_iso(),
        })
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().unwrap_or_else(|p| p.into_inner()))
    }

    pub fn has_credentials(&self) -> bool {
        self.settings.api_key.is_some() && self.settings.user_id.is_some()
    }

    /// `healthy`, `degraded` (2 errors in a row), `down` (5), `disabled` or
    /// `not_configured`.
    pub fn health_word(&self) -> &'static str {
        if !self.has_credentials() {
            return "not_configured";
        }
        self.with(|s| match (s.enabled, s.health.consecutive_errors) {
            (false, _) => "disabled",
            (_, n) if n >= 5 => "down",
            (_, n) if n >= 2 => "degraded",
            _ => "healthy",
        })
    }

    /// The `rainwave.update` payload: `{enabled, listening, station_id, station_name,
    /// current_song}`.
    pub fn now_playing(&self) -> Value {
        self.with(|s| {
            json!({"enabled": s.enabled, "listening": s.listening, "station_id": s.station,
                   "station_name": s.station_name.clone().unwrap_or_else(|| protocol::station_name(s.station).into()),
                   "current_song": s.song})
        })
    }

    /// The status of §9.6.
    pub fn status(&self) -> Value {
        let word = self.health_word();
        let has = self.has_credentials();
        self.with(|s| {
            let h = &s.health;
            let rate = if h.successes > 0 {
                (h.errors as f64 / (h.errors + h.successes) as f64 * 1000.0).round() / 10.0
            } else {
                0.0
            };
            json!({
                "service": "rainwave",
                "started_at": self.started_at,
                "uptime_seconds": self.started.elapsed().as_secs(),
                "healthy": word == "healthy",
                "enabled": s.enabled,
                "has_credentials": has,
                "listening": s.listening,
                "station": {"id": s.station, "name": s.station_name.clone().unwrap_or_else(|| protocol::station_name(s.station).into())},
                "current_song": s.song,
                "api_health": {"status": word, "last_call_at": h.last_call_at, "last_success_at": h.last_success_at,
                               "error_count": h.errors, "consecutive_errors": h.consecutive_errors,
                               "error_rate": rate, "last_error": h.last_error},
                "api_endpoint": self.settings.api_url,
                "poll_interval_ms": self.settings.poll.as_millis() as u64,
            })
        })
    }

    /// Turn polling on or off (off clears the song at once).
    pub fn set_enabled(&self, on: bool) {
        self.configure(Some(on), None).ok();
    }

    /// Change the station (1-5 or a name); polled at once when enabled.
    pub fn set_station(&self, station: &Value) -> Result<u32, ControlError> {
        let id = parse_station(station)?;
        self.configure(None, Some(id))?;
        Ok(id)
    }

    /// `{enabled?, station_id?}`: applied together, the poller woken.
    pub fn configure(
        &self,
        enabled: Option<bool>,
        station: Option<u32>,
    ) -> Result<(), ControlError> {
        let (before, after) = self.with(|s| {
            let before = (s.enabled, s.station);
            if let Some(e) = enabled {
                s.enabled = e;
            }
            if let Some(id) = station {
                s.station = id;
                s.station_name = None;
            }
            if !s.enabled {
                s.song = None;
                s.listening = false;
            }
            (before, (s.enabled, s.station))
        });
        if before != after {
            if before.1 != after.1 {
                self.publish(
                    "rainwave.station_changed",
                    json!({"station_id": after.1, "station_name": protocol::station_name(after.1),
                           "previous_station_id": before.1, "listening": self.with(|s| s.listening)}),
                );
            }
            if !after.0 {
                self.publish("rainwave.update", self.now_playing());
            }
            self.wake.notify_one();
        }
        Ok(())
    }

    fn publish(&self, kind: &str, data: Value) {
        if let Err(e) = self
            .ingest
            .ingest_event(landale_core::Input::new(kind, data))
        {
            tracing::warn!(event_type = kind, error = %e, "rainwave: event refused");
        }
    }
}

/// A station from a number, a numeric string or a name.
pub fn parse_station(v: &Value) -> Result<u32, ControlError> {
    let text = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    protocol::station_id(&text).ok_or(ControlError::BadStation(text))
}
