//! Rainwave's settings: the API key and user id from rainwave.cc (both needed to
//! poll), the station, the API base URL (a setting, so tests and the demo use the fake)
//! and the poll interval.

use clap::Args;
use landale_core::settings::{bad, nonempty, parse_http_url, SettingError};
use std::time::Duration;

/// No `Debug`: it holds the key.
#[derive(Clone, Default, Args)]
pub struct RainwaveArgs {
    /// Your Rainwave API key (rainwave.cc → your profile → API key).
    #[arg(long, env = "RAINWAVE_API_KEY", hide_env_values = true)]
    pub rainwave_api_key: Option<String>,
    /// Your Rainwave user id (shown with the key).
    #[arg(long, env = "RAINWAVE_USER_ID")]
    pub rainwave_user_id: Option<String>,
    /// The station: 1 Video Game Music, 2 OCR Radio, 3 Covers (default), 4 Chiptunes, 5 All.
    #[arg(long, env = "RAINWAVE_STATION")]
    pub rainwave_station: Option<String>,
    /// The API base (https://rainwave.cc/api4).
    #[arg(long, env = "RAINWAVE_API_URL")]
    pub rainwave_api_url: Option<String>,
    /// Milliseconds between polls (10000).
    #[arg(long, env = "RAINWAVE_POLL_MS")]
    pub rainwave_poll_ms: Option<String>,
}

#[derive(Clone)]
pub struct RainwaveSettings {
    pub api_key: Option<String>,
    pub user_id: Option<String>,
    pub station: u32,
    /// `https://rainwave.cc/api4`.
    pub api_url: String,
    /// Album art paths are relative to this origin (`https://rainwave.cc`).
    pub art_origin: String,
    pub poll: Duration,
    pub timeout: Duration,
    pub connect_timeout: Duration,
}

impl std::fmt::Debug for RainwaveSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RainwaveSettings")
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("user_id", &self.user_id)
            .field("station", &self.station)
            .field("api_url", &self.api_url)
            .finish_non_exhaustive()
    }
}

pub const DEFAULT_API: &str = "https://rainwave.cc/api4";

/// The scheme and host of a URL (`https://rainwave.cc` of `https://rainwave.cc/api4`).
pub fn origin(url: &str) -> String {
    match url.find("://") {
        Some(i) => match url[i + 3..].find('/') {
            Some(j) => url[..i + 3 + j].to_string(),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

impl RainwaveArgs {
    pub fn settings(&self) -> Result<RainwaveSettings, SettingError> {
        let station = match nonempty(&self.rainwave_station) {
            None => 3,
            Some(v) => crate::protocol::station_id(&v).ok_or_else(|| {
                bad(
                    "RAINWAVE_STATION",
                    &v,
                    "expected 1-5 or a station name (game, ocremix, covers, chiptunes, all)",
                )
            })?,
        };
        let api_url = match nonempty(&self.rainwave_api_url) {
            None => DEFAULT_API.to_string(),
            Some(v) => parse_http_url("RAINWAVE_API_URL", v.trim_end_matches('/'))?,
        };
        let poll = match nonempty(&self.rainwave_poll_ms) {
            None => Duration::from_secs(10),
            Some(v) => Duration::from_millis(
                v.parse::<u64>()
                    .ok()
                    .filter(|n| (100..=3_600_000).contains(n))
                    .ok_or_else(|| {
                        bad(
                            "RAINWAVE_POLL_MS",
                            &v,
                            "expected milliseconds from 100 to 3600000",
                        )
                    })?,
            ),
        };
        Ok(RainwaveSettings {
            api_key: nonempty(&self.rainwave_api_key),
            user_id: nonempty(&self.rainwave_user_id),
            station,
            art_origin: origin(&api_url),
            api_url,
            poll,
            timeout: Duration::from_secs(15),
            connect_timeout: Duration::from_secs(5),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_errors() {
        let s = RainwaveArgs::default().settings().unwrap();
        assert_eq!(
            (s.station, s.api_url.as_str(), s.art_origin.as_str()),
            (3, DEFAULT_API, "https://rainwave.cc")
        );
        assert!(s.api_key.is_none());
        let a = RainwaveArgs {
            rainwave_station: Some("chiptunes".into()),
            rainwave_api_url: Some("http://127.0.0.1:9/api4/".into()),
            ..Default::default()
        };
        let s = a.settings().unwrap();
        assert_eq!(
            (s.station, s.api_url.as_str(), s.art_origin.as_str()),
            (4, "http://127.0.0.1:9/api4", "http://127.0.0.1:9")
        );
        let bad = RainwaveArgs {
            rainwave_station: Some("9".into()),
            ..Default::default()
        };
        assert!(bad
            .settings()
            .unwrap_err()
            .to_string()
            .contains("RAINWAVE_STATION"));
        let key = RainwaveArgs {
            rainwave_api_key: Some("sekrit".into()),
            ..Default::default()
        };
        assert!(!format!("{:?}", key.settings().unwrap()).contains("sekrit"));
    }
}
