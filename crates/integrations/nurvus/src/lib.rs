//! The hub's client of nurvus, the process manager on each machine (its HTTP API on
//! port 4001): start, stop, restart and read one process. Behind `dashboard:services`.
//! Every request has the 10 s timeout of the client it is given.

use clap::Args;
use landale_core::settings::{parse_http_url, SettingError};
use serde_json::{json, Value};

#[derive(Clone, Default, Args)]
pub struct NurvusArgs {
    /// Base URL of the nurvus process manager on this machine.
    #[arg(long, env = "NURVUS_URL")]
    pub nurvus_url: Option<String>,
}

impl NurvusArgs {
    pub fn settings(&self) -> Result<NurvusSettings, SettingError> {
        Ok(NurvusSettings {
            url: match &self.nurvus_url {
                Some(v) => parse_http_url("NURVUS_URL", v)?,
                None => "http://127.0.0.1:4001".into(),
            },
        })
    }
}

#[derive(Debug, Clone)]
pub struct NurvusSettings {
    /// `http://host:4001`, without a trailing slash.
    pub url: String,
}

impl Default for NurvusSettings {
    fn default() -> Self {
        NurvusSettings {
            url: "http://127.0.0.1:4001".into(),
        }
    }
}

#[derive(Clone)]
pub struct Nurvus {
    url: String,
    http: reqwest::Client,
}

impl Nurvus {
    pub fn new(settings: &NurvusSettings, http: reqwest::Client) -> Nurvus {
        Nurvus {
            url: settings.url.clone(),
            http,
        }
    }

    /// `action` (`start`, `stop`, `restart`, or `get_status`) on process `id`: nurvus's
    /// answer, or what went wrong in words.
    pub async fn process(&self, action: &str, id: &str) -> Result<Value, String> {
        let base = &self.url;
        let req = if action == "get_status" {
            self.http.get(format!("{base}/api/processes/{id}"))
        } else {
            self.http
                .post(format!("{base}/api/processes/{id}/{action}"))
                .header("content-type", "application/json")
        };
        match req.send().await {
            Ok(resp) if resp.status().is_success() => {
                let body = resp.text().await.unwrap_or_default();
                Ok(serde_json::from_str::<Value>(&body)
                    .unwrap_or_else(|_| json!({"status": action, "process_id": id})))
            }
            Ok(resp) if resp.status().as_u16() == 404 => {
                Err("Process not found in Nurvus".to_string())
            }
            Ok(resp) => Err(format!("Nurvus returned HTTP {}", resp.status().as_u16())),
            Err(e) if e.is_connect() => Err(format!("Nurvus not running at {base}")),
            Err(e) if e.is_timeout() => Err("Nurvus did not answer within 10 s".to_string()),
            Err(e) => Err(format!("Network error: {e}")),
        }
    }
}
