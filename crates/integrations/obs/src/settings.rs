//! The OBS integration's settings: the flags and variables it reads (flattened into
//! the hub's), validated into [`ObsSettings`].

use clap::Args;
use landale_core::settings::{nonempty, parse_ws_url, SettingError};
use std::time::Duration;

/// `OBS_WEBSOCKET_URL` and `OBS_WEBSOCKET_PASSWORD`. No `Debug`: it holds the password.
#[derive(Clone, Default, Args)]
pub struct ObsArgs {
    /// obs-websocket v5 address, e.g. ws://127.0.0.1:4455. Unset: the OBS integration is off.
    #[arg(long, env = "OBS_WEBSOCKET_URL")]
    pub obs_websocket_url: Option<String>,
    /// The password from OBS → Tools → WebSocket Server Settings (if authentication is on).
    #[arg(long, env = "OBS_WEBSOCKET_PASSWORD", hide_env_values = true)]
    pub obs_websocket_password: Option<String>,
}

impl ObsArgs {
    pub fn settings(&self) -> Result<ObsSettings, SettingError> {
        let url = nonempty(&self.obs_websocket_url)
            .map(|v| parse_ws_url("OBS_WEBSOCKET_URL", &v, " such as ws://127.0.0.1:4455"))
            .transpose()?;
        Ok(ObsSettings {
            url,
            password: self
                .obs_websocket_password
                .clone()
                .filter(|p| !p.is_empty()),
            ..Default::default()
        })
    }
}

/// OBS connection settings. `Debug` hides the password.
#[derive(Clone)]
pub struct ObsSettings {
    /// `ws://host:4455`; `None` leaves the integration off.
    pub url: Option<String>,
    pub password: Option<String>,
    /// How long a caller waits for OBS's answer.
    pub request_timeout: Duration,
    /// Socket open, Hello and Identified must each arrive within this.
    pub handshake_timeout: Duration,
    /// obs-websocket never pings its clients: if nothing arrives for this long
    /// (stats replies, pongs to our pings, events), the connection is dead.
    pub liveness_timeout: Duration,
    pub stats_interval: Duration,
    /// Backoff after a drop: `reconnect_min`, doubling to `reconnect_max`.
    pub reconnect_min: Duration,
    pub reconnect_max: Duration,
}

impl Default for ObsSettings {
    fn default() -> Self {
        ObsSettings {
            url: None,
            password: None,
            request_timeout: Duration::from_secs(30),
            handshake_timeout: Duration::from_secs(10),
            liveness_timeout: Duration::from_secs(15),
            stats_interval: Duration::from_secs(5),
            reconnect_min: Duration::from_secs(5),
            reconnect_max: Duration::from_secs(60),
        }
    }
}

impl std::fmt::Debug for ObsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObsSettings")
            .field("url", &self.url)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("request_timeout", &self.request_timeout)
            .finish_non_exhaustive()
    }
}
