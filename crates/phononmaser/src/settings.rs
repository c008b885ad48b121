//! Settings from flags, the environment and `.env`, checked at start: a bad one
//! stops phononmaser with one line naming it.

use clap::Parser;
use landale_core::settings::{bad, nonempty, parse_bool, SettingError};
use std::net::IpAddr;
use std::path::PathBuf;

#[derive(Parser, Debug, Default, Clone)]
#[command(
    name = "phononmaser",
    about = "Live captions from OBS audio, for the Landale hub"
)]
pub struct Args {
    /// Audio in from the OBS plugin (and `/events`).
    #[arg(long, env = "PHONONMASER_PORT")]
    pub port: Option<String>,
    /// `/health` and `/metrics`.
    #[arg(long, env = "PHONONMASER_HEALTH_PORT")]
    pub health_port: Option<String>,
    /// Address to bind (127.0.0.1: this machine only; 0.0.0.0 or a tailnet address to
    /// take audio from another machine).
    #[arg(long, env = "PHONONMASER_HOST")]
    pub host: Option<String>,
    /// The hub's socket.
    #[arg(long, env = "SERVER_WS_URL")]
    pub server_ws_url: Option<String>,
    /// The hub's REST base, for the prompt's names and words.
    #[arg(long, env = "PHOENIX_BASE_URL")]
    pub phoenix_base_url: Option<String>,
    /// Captions are control actions: the hub's token (`landale token`).
    #[arg(long, env = "LANDALE_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// A ggml `.bin` or a CTranslate2 model directory (default: tiny.en from the model cache).
    #[arg(long, env = "WHISPER_MODEL_PATH")]
    pub model: Option<String>,
    #[arg(long, env = "WHISPER_THREADS")]
    pub threads: Option<String>,
    #[arg(long, env = "WHISPER_LANGUAGE")]
    pub language: Option<String>,
    #[arg(long, env = "ENABLE_PROMPT_MANAGER")]
    pub prompt_manager: Option<String>,
    #[arg(long, env = "LANDALE_DATA_DIR")]
    pub data_dir: Option<String>,
    #[arg(long, env = "LOG_FORMAT")]
    pub log_format: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub host: IpAddr,
    pub port: u16,
    pub health_port: u16,
    pub server_ws_url: String,
    pub phoenix_base_url: String,
    pub token: Option<String>,
    pub model: PathBuf,
    pub threads: i32,
    pub language: String,
    pub prompt_manager: bool,
    pub log_format: landale_core::logging::LogFormat,
}

fn port(var: &'static str, v: &Option<String>, default: u16) -> Result<u16, SettingError> {
    match nonempty(v) {
        None => Ok(default),
        Some(p) => p
            .parse()
            .map_err(|_| bad(var, &p, "expected a port number (0 to 65535)")),
    }
}

impl Settings {
    pub fn from_args(a: &Args) -> Result<Settings, SettingError> {
        let host = match nonempty(&a.host) {
            None => IpAddr::from([127, 0, 0, 1]),
            Some(h) => h.parse().map_err(|_| {
                bad(
                    "PHONONMASER_HOST",
                    &h,
                    "expected an IP address such as 127.0.0.1 or 0.0.0.0",
                )
            })?,
        };
        let server_ws_url = nonempty(&a.server_ws_url)
            .unwrap_or_else(|| "ws://127.0.0.1:7175/socket/websocket".into());
        if !(server_ws_url.starts_with("ws://") || server_ws_url.starts_with("wss://")) {
            return Err(bad(
                "SERVER_WS_URL",
                &server_ws_url,
                "expected a ws:// or wss:// URL",
            ));
        }
        let phoenix_base_url = nonempty(&a.phoenix_base_url)
            .unwrap_or_else(|| "http://127.0.0.1:7175".into())
            .trim_end_matches('/')
            .to_string();
        if !(phoenix_base_url.starts_with("http://") || phoenix_base_url.starts_with("https://")) {
            return Err(bad(
                "PHOENIX_BASE_URL",
                &phoenix_base_url,
                "expected an http:// or https:// URL",
            ));
        }
        let threads = match nonempty(&a.threads) {
            None => std::thread::available_parallelism()
                .map(|n| n.get().min(4))
                .unwrap_or(2) as i32,
            Some(t) => t
                .parse::<i32>()
                .ok()
                .filter(|n| (1..=64).contains(n))
                .ok_or_else(|| bad("WHISPER_THREADS", &t, "expected 1 to 64"))?,
        };
        let language = nonempty(&a.language).unwrap_or_else(|| "en".into());
        if !(language == "auto"
            || (2..=3).contains(&language.len())
                && language.bytes().all(|b| b.is_ascii_lowercase()))
        {
            return Err(bad(
                "WHISPER_LANGUAGE",
                &language,
                "expected a language code such as en, de, ja (or auto)",
            ));
        }
        let prompt_manager = match nonempty(&a.prompt_manager) {
            None => true,
            Some(v) => parse_bool("ENABLE_PROMPT_MANAGER", &v)?,
        };
        let data_dir = PathBuf::from(nonempty(&a.data_dir).unwrap_or_else(|| "./data".into()));
        let model = nonempty(&a.model).map(PathBuf::from).unwrap_or_else(|| {
            crate::model::cache_dir(&data_dir).join(crate::model::DEFAULT_MODEL)
        });
        Ok(Settings {
            host,
            port: port("PHONONMASER_PORT", &a.port, 8889)?,
            health_port: port("PHONONMASER_HEALTH_PORT", &a.health_port, 8890)?,
            server_ws_url,
            phoenix_base_url,
            token: nonempty(&a.token),
            model,
            threads,
            language,
            prompt_manager,
            log_format: landale_core::logging::LogFormat::parse(a.log_format.as_deref())?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_bad_values_named() {
        let s = Settings::from_args(&Args::default()).unwrap();
        assert_eq!(
            (s.port, s.health_port, s.language.as_str()),
            (8889, 8890, "en")
        );
        assert_eq!(s.host.to_string(), "127.0.0.1");
        assert!(s.model.ends_with("whisper-tiny.en"));
        for (args, var) in [
            (
                Args {
                    port: Some("99999".into()),
                    ..Args::default()
                },
                "PHONONMASER_PORT",
            ),
            (
                Args {
                    host: Some("somewhere".into()),
                    ..Args::default()
                },
                "PHONONMASER_HOST",
            ),
            (
                Args {
                    threads: Some("0".into()),
                    ..Args::default()
                },
                "WHISPER_THREADS",
            ),
            (
                Args {
                    language: Some("English".into()),
                    ..Args::default()
                },
                "WHISPER_LANGUAGE",
            ),
            (
                Args {
                    server_ws_url: Some("http://x".into()),
                    ..Args::default()
                },
                "SERVER_WS_URL",
            ),
            (
                Args {
                    prompt_manager: Some("maybe".into()),
                    ..Args::default()
                },
                "ENABLE_PROMPT_MANAGER",
            ),
        ] {
            let e = Settings::from_args(&args).unwrap_err();
            assert_eq!(e.var, var, "{e}");
        }
    }
}
