//! Settings with the reference's names: `SEED_` prefix, `__` between a group and its
//! key, from flags, the environment or `.env`, checked at start. A bad one stops seed
//! with one line naming it.

use clap::Parser;
use landale_core::settings::{bad, nonempty, num_or, parse_http_url, SettingError};
use std::net::IpAddr;
use std::time::Duration;

#[derive(Parser, Debug, Default, Clone)]
#[command(
    name = "seed",
    about = "Stream context for the Landale hub: correlation, LLM summaries, questions"
)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// An OpenAI-compatible base URL (LM Studio, Ollama, llama.cpp's server, vLLM),
    /// e.g. http://127.0.0.1:1234/v1. Unset: seed's own analysis, without an LLM.
    #[arg(long, env = "SEED_LMS__API_URL")]
    pub lms_api_url: Option<String>,
    #[arg(long, env = "SEED_LMS__MODEL")]
    pub lms_model: Option<String>,
    /// Sent as a bearer token when set.
    #[arg(long, env = "SEED_LMS__API_KEY", hide_env_values = true)]
    pub lms_api_key: Option<String>,
    /// Seconds to wait for one answer (5 to 120; default 30).
    #[arg(long, env = "SEED_LMS__TIMEOUT")]
    pub lms_timeout: Option<String>,
    /// Seconds to wait for the first answer, while the server may still be loading
    /// the model (default 180).
    #[arg(long, env = "SEED_LMS__LOAD_TIMEOUT")]
    pub lms_load_timeout: Option<String>,
    /// Requests per window (1 to 100; default 10).
    #[arg(long, env = "SEED_LMS__RATE_LIMIT")]
    pub lms_rate_limit: Option<String>,
    /// The rate limit's window in seconds (10 to 300; default 60).
    #[arg(long, env = "SEED_LMS__RATE_WINDOW")]
    pub lms_rate_window: Option<String>,
    /// The model's context length in tokens (512 to 1048576; default 4096).
    #[arg(long, env = "SEED_LMS__CONTEXT_TOKENS")]
    pub lms_context_tokens: Option<String>,
    /// The hub, e.g. http://127.0.0.1:7175 (its socket and REST API).
    #[arg(long, env = "SEED_WEBSOCKET__SERVER_URL")]
    pub server_url: Option<String>,
    /// Seconds per stored context (30 to 600; default 120).
    #[arg(long, env = "SEED_CORRELATOR__CONTEXT_WINDOW_SECONDS")]
    pub context_window: Option<String>,
    /// Seconds between live analyses (10 to 120; default 30).
    #[arg(long, env = "SEED_CORRELATOR__ANALYSIS_INTERVAL_SECONDS")]
    pub analysis_interval: Option<String>,
    /// Seconds after a sentence in which chat counts as a reaction (2 to 30; default 10).
    #[arg(long, env = "SEED_CORRELATOR__CORRELATION_WINDOW_SECONDS")]
    pub correlation_window: Option<String>,
    /// Transcriptions kept (100 to 10000; default 1000; chat keeps twice as many).
    #[arg(long, env = "SEED_CORRELATOR__MAX_BUFFER_SIZE")]
    pub max_buffer_size: Option<String>,
    /// Ask the LLM for the live analyses too (default true; false keeps the LLM for
    /// context windows, for slow local models).
    #[arg(long, env = "SEED_CORRELATOR__LIVE_LLM")]
    pub live_llm: Option<String>,
    /// The embedded model's GGUF file, used when no SEED_LMS__API_URL is set
    /// (default: Qwen2.5-Coder-1.5B-Instruct Q4_K_M from the model cache).
    #[arg(long, env = "SEED_LLM__MODEL_PATH")]
    pub llm_model_path: Option<String>,
    /// Threads for the embedded model (1 to 64; default 2).
    #[arg(long, env = "SEED_LLM__THREADS")]
    pub llm_threads: Option<String>,
    /// false: no embedded model; without SEED_LMS__API_URL, seed's own analysis only.
    #[arg(long, env = "SEED_LLM__ENABLED")]
    pub llm_enabled: Option<String>,
    /// Landale's data directory (the model cache is `models/` inside, or LANDALE_MODELS).
    #[arg(long, env = "LANDALE_DATA_DIR")]
    pub data_dir: Option<String>,
    #[arg(long, env = "SEED_HEALTH__PORT")]
    pub health_port: Option<String>,
    /// Address to bind (127.0.0.1: this machine only; 0.0.0.0 or a tailnet address to
    /// answer the dashboard from another machine).
    #[arg(long, env = "SEED_HOST")]
    pub host: Option<String>,
    /// Storing contexts and publishing analyses are control actions: the hub's token.
    #[arg(long, env = "LANDALE_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Whose stream it is, for answers ("your stream").
    #[arg(long, env = "SEED_STREAMER_NAME")]
    pub streamer: Option<String>,
    #[arg(long, env = "LOG_FORMAT")]
    pub log_format: Option<String>,
}

#[derive(clap::Subcommand, Debug, Clone)]
pub enum Command {
    /// Write the stored contexts as a training dataset (reads the hub; no token).
    Export(crate::export::ExportArgs),
}

#[derive(Debug, Clone)]
pub struct LlmSettings {
    pub api_url: String,
    pub model: String,
    pub api_key: Option<String>,
    pub timeout: Duration,
    pub load_timeout: Duration,
    pub rate_limit: usize,
    pub rate_window: Duration,
    pub context_tokens: usize,
}

/// The in-process model.
#[derive(Debug, Clone)]
pub struct EmbeddedSettings {
    pub model_path: std::path::PathBuf,
    pub threads: i32,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub llm: Option<LlmSettings>,
    /// Used when `llm` is `None`.
    pub embedded: Option<EmbeddedSettings>,
    pub context_tokens: usize,
    /// `http://host:port` of the hub.
    pub server_url: String,
    pub context_window: Duration,
    pub analysis_interval: Duration,
    pub correlation_window: Duration,
    pub max_buffer_size: usize,
    pub live_llm: bool,
    pub host: IpAddr,
    pub health_port: u16,
    pub token: Option<String>,
    pub streamer: String,
    pub log_format: landale_core::logging::LogFormat,
}

fn secs(
    var: &'static str,
    v: &Option<String>,
    default: f64,
    min: f64,
    max: f64,
) -> Result<Duration, SettingError> {
    num_or(
        var,
        v,
        default,
        (min, max),
        &format!("seconds from {min} to {max}"),
    )
    .map(Duration::from_secs_f64)
}

impl Settings {
    pub fn from_args(a: &Args) -> Result<Settings, SettingError> {
        let context_tokens = num_or(
            "SEED_LMS__CONTEXT_TOKENS",
            &a.lms_context_tokens,
            4096,
            (512, 1 << 20),
            "a token count from 512 to 1048576",
        )?;
        let llm = match nonempty(&a.lms_api_url) {
            None => None,
            Some(url) => Some(LlmSettings {
                api_url: parse_http_url("SEED_LMS__API_URL", &url)?,
                model: nonempty(&a.lms_model).unwrap_or_else(|| "default".into()),
                api_key: nonempty(&a.lms_api_key),
                timeout: secs("SEED_LMS__TIMEOUT", &a.lms_timeout, 30.0, 5.0, 120.0)?,
                load_timeout: secs(
                    "SEED_LMS__LOAD_TIMEOUT",
                    &a.lms_load_timeout,
                    180.0,
                    5.0,
                    900.0,
                )?,
                rate_limit: num_or(
                    "SEED_LMS__RATE_LIMIT",
                    &a.lms_rate_limit,
                    10,
                    (1, 100),
                    "1 to 100 requests",
                )?,
                rate_window: secs(
                    "SEED_LMS__RATE_WINDOW",
                    &a.lms_rate_window,
                    60.0,
                    10.0,
                    300.0,
                )?,
                context_tokens,
            }),
        };
        let server_url = parse_http_url(
            "SEED_WEBSOCKET__SERVER_URL",
            &nonempty(&a.server_url).unwrap_or_else(|| "http://127.0.0.1:7175".into()),
        )?;
        let host = match nonempty(&a.host) {
            None => IpAddr::from([127, 0, 0, 1]),
            Some(h) => h.parse().map_err(|_| {
                bad(
                    "SEED_HOST",
                    &h,
                    "expected an IP address such as 127.0.0.1 or 0.0.0.0",
                )
            })?,
        };
        let enabled = match nonempty(&a.llm_enabled) {
            None => true,
            Some(v) => landale_core::settings::parse_bool("SEED_LLM__ENABLED", &v)?,
        };
        let data_dir =
            std::path::PathBuf::from(nonempty(&a.data_dir).unwrap_or_else(|| "./data".into()));
        let embedded =
            (llm.is_none() && enabled).then(|| -> Result<EmbeddedSettings, SettingError> {
                Ok(EmbeddedSettings {
                    model_path: crate::engine::model_path(
                        nonempty(&a.llm_model_path).as_deref(),
                        &data_dir,
                    ),
                    threads: num_or(
                        "SEED_LLM__THREADS",
                        &a.llm_threads,
                        2,
                        (1, 64),
                        "1 to 64 threads",
                    )?,
                })
            });
        let embedded = match embedded {
            Some(r) => Some(r?),
            None => None,
        };
        Ok(Settings {
            llm,
            embedded,
            context_tokens,
            server_url,
            context_window: secs(
                "SEED_CORRELATOR__CONTEXT_WINDOW_SECONDS",
                &a.context_window,
                120.0,
                30.0,
                600.0,
            )?,
            analysis_interval: secs(
                "SEED_CORRELATOR__ANALYSIS_INTERVAL_SECONDS",
                &a.analysis_interval,
                30.0,
                10.0,
                120.0,
            )?,
            correlation_window: secs(
                "SEED_CORRELATOR__CORRELATION_WINDOW_SECONDS",
                &a.correlation_window,
                10.0,
                2.0,
                30.0,
            )?,
            max_buffer_size: num_or(
                "SEED_CORRELATOR__MAX_BUFFER_SIZE",
                &a.max_buffer_size,
                1000,
                (100, 10_000),
                "100 to 10000",
            )?,
            live_llm: match nonempty(&a.live_llm) {
                None => true,
                Some(v) => landale_core::settings::parse_bool("SEED_CORRELATOR__LIVE_LLM", &v)?,
            },
            health_port: num_or(
                "SEED_HEALTH__PORT",
                &a.health_port,
                8891,
                (0, 65535),
                "a port number (0 to 65535)",
            )?,
            host,
            token: nonempty(&a.token),
            streamer: nonempty(&a.streamer).unwrap_or_else(|| "the streamer".into()),
            log_format: landale_core::logging::LogFormat::parse(a.log_format.as_deref())?,
        })
    }

    /// The hub's socket, from its base URL.
    pub fn socket_url(&self) -> String {
        let ws = if let Some(rest) = self.server_url.strip_prefix("https://") {
            format!("wss://{rest}")
        } else {
            format!("ws://{}", self.server_url.trim_start_matches("http://"))
        };
        format!("{ws}/socket/websocket")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let s = Settings::from_args(&Args::default()).unwrap();
        assert!(s.llm.is_none());
        assert_eq!(s.context_window, Duration::from_secs(120));
        assert_eq!(s.analysis_interval, Duration::from_secs(30));
        assert_eq!(s.correlation_window, Duration::from_secs(10));
        assert_eq!(
            (s.health_port, s.host.to_string()),
            (8891, "127.0.0.1".to_string())
        );
        assert_eq!(s.socket_url(), "ws://127.0.0.1:7175/socket/websocket");
        let s = Settings::from_args(&Args {
            server_url: Some("https://hub.tailnet.ts.net/".into()),
            lms_api_url: Some("http://127.0.0.1:1234/v1/".into()),
            lms_timeout: Some("12.5".into()),
            ..Args::default()
        })
        .unwrap();
        assert_eq!(s.socket_url(), "wss://hub.tailnet.ts.net/socket/websocket");
        let llm = s.llm.unwrap();
        assert_eq!(
            (llm.api_url.as_str(), llm.timeout),
            ("http://127.0.0.1:1234/v1", Duration::from_millis(12_500))
        );
    }

    #[test]
    fn a_bad_value_is_named() {
        let cases: [(Args, &str); 5] = [
            (
                Args {
                    lms_api_url: Some("zelan:1234".into()),
                    ..Args::default()
                },
                "SEED_LMS__API_URL",
            ),
            (
                Args {
                    lms_api_url: Some("http://x".into()),
                    lms_timeout: Some("500".into()),
                    ..Args::default()
                },
                "SEED_LMS__TIMEOUT",
            ),
            (
                Args {
                    context_window: Some("5".into()),
                    ..Args::default()
                },
                "SEED_CORRELATOR__CONTEXT_WINDOW_SECONDS",
            ),
            (
                Args {
                    host: Some("zelan".into()),
                    ..Args::default()
                },
                "SEED_HOST",
            ),
            (
                Args {
                    health_port: Some("x".into()),
                    ..Args::default()
                },
                "SEED_HEALTH__PORT",
            ),
        ];
        for (args, var) in cases {
            let e = Settings::from_args(&args).unwrap_err();
            assert_eq!(e.var, var, "{e}");
        }
    }
}
