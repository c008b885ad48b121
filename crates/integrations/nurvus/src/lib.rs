//! The hub's client of nurvus, the process manager on each machine (its HTTP API on
//! port 4001): start, stop, restart and read one process, and the `fleet`: every
//! machine's processes, polled. Behind `dashboard:services`. Every request has a
//! timeout.

pub mod fleet;

use clap::Args;
use landale_core::settings::{parse_http_url, SettingError};
use serde_json::{json, Value};

#[derive(Clone, Default, Args)]
pub struct NurvusArgs {
    /// Base URL of the nurvus process manager on this machine.
    #[arg(long, env = "NURVUS_URL")]
    pub nurvus_url: Option<String>,
    /// Every machine's nurvus, `name=url` pairs separated by commas
    /// (`streaming=http://demi:4001,services=http://saya:4001`).
    #[arg(long, env = "NURVUS_URLS")]
    pub nurvus_urls: Option<String>,
}

/// One machine of the fleet.
#[derive(Debug, Clone, PartialEq)]
pub struct Machine {
    pub name: String,
    pub url: String,
}

/// `name=url,name=url`; a bare URL is named `local`.
pub fn parse_machines(v: &str) -> Result<Vec<Machine>, SettingError> {
    let mut out: Vec<Machine> = vec![];
    for part in v.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, url) = part.split_once('=').unwrap_or(("local", part));
        let name = name.trim();
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        {
            return Err(landale_core::settings::bad(
                "NURVUS_URLS",
                v,
                format!("{name:?} is not a machine name (letters, digits, '-', '_', '.')"),
            ));
        }
        if out.iter().any(|m| m.name == name) {
            return Err(landale_core::settings::bad(
                "NURVUS_URLS",
                v,
                format!("{name} is named twice"),
            ));
        }
        out.push(Machine {
            name: name.to_string(),
            url: parse_http_url("NURVUS_URLS", url.trim())?,
        });
    }
    Ok(out)
}

impl NurvusArgs {
    pub fn settings(&self) -> Result<NurvusSettings, SettingError> {
        let url = match &self.nurvus_url {
            Some(v) => parse_http_url("NURVUS_URL", v)?,
            None => "http://127.0.0.1:4001".into(),
        };
        let machines = match self
            .nurvus_urls
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            Some(v) => parse_machines(v)?,
            // The fleet is watched only when it is named: without NURVUS_URLS or
            // NURVUS_URL there is no nurvus to show (controls still try the default).
            None if self.nurvus_url.is_some() => vec![Machine {
                name: "local".into(),
                url: url.clone(),
            }],
            None => vec![],
        };
        Ok(NurvusSettings { url, machines })
    }
}

#[derive(Debug, Clone)]
pub struct NurvusSettings {
    /// `http://host:4001`, without a trailing slash: this machine's nurvus.
    pub url: String,
    /// Every machine watched: `NURVUS_URLS`, else `NURVUS_URL` alone, else none.
    pub machines: Vec<Machine>,
}

impl Default for NurvusSettings {
    fn default() -> Self {
        NurvusSettings {
            url: "http://127.0.0.1:4001".into(),
            machines: vec![],
        }
    }
}

#[derive(Clone)]
pub struct Nurvus {
    url: String,
    http: reqwest::Client,
    /// Sent as the bearer on controls: every nurvus of the fleet shares the hub's token.
    token: Option<String>,
}

impl Nurvus {
    pub fn new(settings: &NurvusSettings, http: reqwest::Client) -> Nurvus {
        Nurvus {
            url: settings.url.clone(),
            http,
            token: None,
        }
    }

    /// Present `token` on controls (a nurvus off this machine requires it).
    pub fn with_token(mut self, token: String) -> Nurvus {
        self.token = Some(token);
        self
    }

    /// The same client for another machine's nurvus.
    pub fn at(&self, url: &str) -> Nurvus {
        Nurvus {
            url: url.to_string(),
            ..self.clone()
        }
    }

    /// `action` (`start`, `stop`, `restart`, or `get_status`) on process `id`: nurvus's
    /// answer, or what went wrong in words.
    pub async fn process(&self, action: &str, id: &str) -> Result<Value, String> {
        let base = &self.url;
        let req = if action == "get_status" {
            self.http.get(format!("{base}/api/processes/{id}"))
        } else {
            let req = self
                .http
                .post(format!("{base}/api/processes/{id}/{action}"))
                .header("content-type", "application/json");
            match &self.token {
                Some(t) => req.bearer_auth(t),
                None => req,
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machines_from_nurvus_urls() {
        let m = parse_machines("streaming=http://demi:4001, services=http://saya:4001/").unwrap();
        assert_eq!(
            m,
            [
                Machine {
                    name: "streaming".into(),
                    url: "http://demi:4001".into()
                },
                Machine {
                    name: "services".into(),
                    url: "http://saya:4001".into()
                }
            ]
        );
        assert_eq!(parse_machines("http://x:4001").unwrap()[0].name, "local");
        assert_eq!(
            parse_machines("a=http://x,a=http://y").unwrap_err().var,
            "NURVUS_URLS"
        );
        assert!(parse_machines("a=ftp://x").is_err());
        let s = NurvusArgs {
            nurvus_url: Some("http://me:4001".into()),
            nurvus_urls: None,
        }
        .settings()
        .unwrap();
        assert_eq!(
            s.machines,
            [Machine {
                name: "local".into(),
                url: "http://me:4001".into()
            }]
        );
        let none = NurvusArgs::default().settings().unwrap();
        assert!(none.machines.is_empty(), "no fleet unless one is named");
    }
}
