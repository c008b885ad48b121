//! Settings, read once at start from flags, the environment and a `.env` file in the
//! working directory (flags win, then the environment, then `.env`).
//!
//! Every setting is parsed here and nowhere else. A bad value stops the hub at start
//! with one line naming the variable, what was wrong and what to do.

use clap::Args;
use landale_core::settings::{bad, parse_bool, parse_http_url, parse_num, SettingError};
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

/// The raw flags; each has a matching environment variable. No `Debug`: it holds the
/// token and the OBS password.
#[derive(Clone, Default, Args)]
pub struct ConfigArgs {
    /// HTTP and WebSocket port.
    #[arg(long, env = "PORT")]
    pub port: Option<String>,
    /// Address to bind; 127.0.0.1 by default. Use 0.0.0.0 or the tailnet address to expose it.
    #[arg(long, env = "BIND_IP")]
    pub bind_ip: Option<String>,
    /// Where the SQLite database and the generated token live.
    #[arg(long, env = "LANDALE_DATA_DIR")]
    pub data_dir: Option<String>,
    /// Unset: embedded SQLite in the data dir. `postgres://...`: PostgreSQL.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
    /// The control token. Unset: generated on first start and kept in the data dir.
    #[arg(long, env = "LANDALE_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Extra WebSocket/CORS origins, comma-separated (same-origin pages are always allowed).
    #[arg(long, env = "LANDALE_ALLOWED_ORIGINS")]
    pub allowed_origins: Option<String>,
    /// `pretty` (default) or `json` (one object per line, for production).
    #[arg(long, env = "LOG_FORMAT")]
    pub log_format: Option<String>,
    /// `1` to generate demo events (follows, subs, gift bombs, cheers, raids, chat).
    #[arg(long, env = "LANDALE_DEMO")]
    pub demo: Option<String>,
    /// `false` to require the token from loopback clients too.
    #[arg(long, env = "LANDALE_TRUST_LOOPBACK")]
    pub trust_loopback: Option<String>,
    /// nurvus: `NURVUS_URL`.
    #[command(flatten)]
    pub nurvus: landale_nurvus::NurvusArgs,
    /// Health URL of phononmaser.
    #[arg(long, env = "PHONONMASER_HEALTH_URL")]
    pub phononmaser_health_url: Option<String>,
    /// Health URL of seed.
    #[arg(long, env = "SEED_HEALTH_URL")]
    pub seed_health_url: Option<String>,
    /// Frames a socket may have queued before it is cut off as a slow consumer.
    #[arg(long, env = "LANDALE_SOCKET_QUEUE")]
    pub socket_queue: Option<String>,
    /// Close a socket after this many milliseconds without a frame from it.
    #[arg(long, env = "LANDALE_IDLE_TIMEOUT_MS")]
    pub idle_timeout_ms: Option<String>,
    /// Days of events and transcriptions to keep.
    #[arg(long, env = "LANDALE_RETENTION_DAYS")]
    pub retention_days: Option<String>,
    /// Messages kept in memory for `last_seq` replay (older ones come from the database).
    #[arg(long, env = "LANDALE_REPLAY_RING")]
    pub replay_ring: Option<String>,
    /// OBS: `OBS_WEBSOCKET_URL`, `OBS_WEBSOCKET_PASSWORD`.
    #[command(flatten)]
    pub obs: landale_obs::ObsArgs,
    /// Twitch: `TWITCH_CLIENT_ID`, `TWITCH_CLIENT_SECRET`, `CLOAK_SECRET_KEY`, base URLs.
    #[command(flatten)]
    pub twitch: landale_twitch::TwitchArgs,
    /// IronMON: `IRONMON_PORT`, `IRONMON_HOST`.
    #[command(flatten)]
    pub ironmon: landale_ironmon::IronmonArgs,
    /// Rainwave: `RAINWAVE_API_KEY`, `RAINWAVE_USER_ID`, `RAINWAVE_STATION`, `RAINWAVE_API_URL`.
    #[command(flatten)]
    pub rainwave: landale_rainwave::RainwaveArgs,
}

pub use landale_core::logging::LogFormat;

/// Validated settings. `Debug` redacts the token and the database URL.
#[derive(Clone)]
pub struct Config {
    pub port: u16,
    pub bind_ip: IpAddr,
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    pub token: Option<String>,
    pub allowed_origins: Vec<String>,
    pub log_format: LogFormat,
    pub demo: bool,
    pub trust_loopback: bool,
    pub nurvus: landale_nurvus::NurvusSettings,
    pub phononmaser_health_url: String,
    pub seed_health_url: String,
    pub socket_queue: usize,
    pub idle_timeout: Duration,
    pub retention_days: u32,
    pub replay_ring: usize,
    /// How far a socket task may fall behind the bus before it is cut off (16,384;
    /// not a setting: tests shrink it).
    pub broadcast_capacity: usize,
    /// The wall clock (the system clock; tests swap in a manual one).
    pub clock: landale_core::clock::Clock,
    /// OBS connection (URL, password, timeouts); `Debug` hides the password.
    pub obs: landale_obs::ObsSettings,
    /// Twitch (client id and secret, vault key, base URLs); `Debug` hides the secrets.
    pub twitch: landale_twitch::TwitchSettings,
    /// The IronMON tracker's TCP listener (port 8080 on the hub's address).
    pub ironmon: landale_ironmon::IronmonSettings,
    /// Rainwave (key, user id, station, API URL); `Debug` hides the key.
    pub rainwave: landale_rainwave::RainwaveSettings,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("port", &self.port)
            .field("bind_ip", &self.bind_ip)
            .field("data_dir", &self.data_dir)
            .field(
                "database_url",
                &self.database_url.as_ref().map(|_| "<redacted>"),
            )
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("allowed_origins", &self.allowed_origins)
            .field("log_format", &self.log_format)
            .field("demo", &self.demo)
            .field("trust_loopback", &self.trust_loopback)
            .field("nurvus", &self.nurvus)
            .field("obs", &self.obs)
            .field("twitch", &self.twitch)
            .finish_non_exhaustive()
    }
}

/// The browser origins of the reference system's dev servers and tailnet pages.
pub const DEFAULT_ORIGINS: &[&str] = &[
    "http://localhost:5173",
    "http://localhost:5174",
    "http://127.0.0.1:5173",
    "http://127.0.0.1:5174",
    "http://localhost:8008",
];

impl Config {
    pub fn from_args(a: &ConfigArgs) -> Result<Config, SettingError> {
        let port = match &a.port {
            Some(v) => parse_num(
                "PORT",
                v,
                0u16,
                u16::MAX,
                "a port number 0-65535 (0 picks a free port)",
            )?,
            None => 7175,
        };
        let bind_ip = match &a.bind_ip {
            Some(v) => v.trim().parse().map_err(|_| {
                bad(
                    "BIND_IP",
                    v,
                    "expected an IP address such as 127.0.0.1 or 0.0.0.0",
                )
            })?,
            None => IpAddr::from([127, 0, 0, 1]),
        };
        let data_dir = PathBuf::from(a.data_dir.as_deref().unwrap_or("./data"));
        let database_url = match a.database_url.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(v) if v.starts_with("postgres://") || v.starts_with("postgresql://") => Some(v.to_string()),
            Some(v) if v.starts_with("sqlite:") => Some(v.to_string()),
            Some(v) => {
                return Err(bad(
                    "DATABASE_URL",
                    "<hidden>",
                    format!(
                        "expected postgres://user:pass@host/db or sqlite:path (got a value starting {:?}); unset it to use the embedded SQLite",
                        v.chars().take(8).collect::<String>()
                    ),
                ))
            }
        };
        let token = match a.token.as_deref() {
            None | Some("") => None,
            Some(t) if t.len() < 16 => {
                return Err(bad(
                    "LANDALE_TOKEN",
                    "<hidden>",
                    "must be at least 16 characters; unset it to have one generated",
                ))
            }
            Some(t) if t.chars().any(|c| c.is_whitespace() || c.is_control()) => {
                return Err(bad(
                    "LANDALE_TOKEN",
                    "<hidden>",
                    "must not contain spaces or control characters",
                ))
            }
            Some(t) => Some(t.to_string()),
        };
        let mut allowed_origins: Vec<String> =
            DEFAULT_ORIGINS.iter().map(|s| s.to_string()).collect();
        if let Some(v) = &a.allowed_origins {
            for o in v.split(',').map(str::trim).filter(|o| !o.is_empty()) {
                if !(o.starts_with("http://") || o.starts_with("https://")) || o.ends_with('/') {
                    return Err(bad(
                        "LANDALE_ALLOWED_ORIGINS",
                        v,
                        format!("{o:?} is not an origin like https://host.tailnet.ts.net:5173 (scheme, host, optional port, no path)"),
                    ));
                }
                allowed_origins.push(o.to_string());
            }
        }
        let log_format = LogFormat::parse(a.log_format.as_deref())?;
        let demo = a
            .demo
            .as_deref()
            .map(|v| parse_bool("LANDALE_DEMO", v))
            .transpose()?
            .unwrap_or(false);
        let trust_loopback = a
            .trust_loopback
            .as_deref()
            .map(|v| parse_bool("LANDALE_TRUST_LOOPBACK", v))
            .transpose()?
            .unwrap_or(true);
        let nurvus = a.nurvus.settings()?;
        let phononmaser_health_url = match &a.phononmaser_health_url {
            Some(v) => parse_http_url("PHONONMASER_HEALTH_URL", v)?,
            None => "http://127.0.0.1:8890/health".into(),
        };
        let seed_health_url = match &a.seed_health_url {
            Some(v) => parse_http_url("SEED_HEALTH_URL", v)?,
            None => "http://127.0.0.1:8891/health".into(),
        };
        let socket_queue = match &a.socket_queue {
            Some(v) => parse_num(
                "LANDALE_SOCKET_QUEUE",
                v,
                16usize,
                1_000_000,
                "a frame count from 16 to 1000000",
            )?,
            None => 2048,
        };
        let idle_timeout = match &a.idle_timeout_ms {
            Some(v) => Duration::from_millis(parse_num(
                "LANDALE_IDLE_TIMEOUT_MS",
                v,
                100u64,
                86_400_000,
                "milliseconds from 100 to 86400000",
            )?),
            None => Duration::from_secs(90),
        };
        let retention_days = match &a.retention_days {
            Some(v) => parse_num(
                "LANDALE_RETENTION_DAYS",
                v,
                1u32,
                36_500,
                "a number of days from 1 to 36500",
            )?,
            None => 30,
        };
        let replay_ring = match &a.replay_ring {
            Some(v) => parse_num(
                "LANDALE_REPLAY_RING",
                v,
                1usize,
                10_000_000,
                "a message count from 1 to 10000000",
            )?,
            None => 10_000,
        };
        let obs = a.obs.settings()?;
        let twitch = a.twitch.settings(&data_dir)?;
        let ironmon = a.ironmon.settings(bind_ip)?;
        let rainwave = a.rainwave.settings()?;
        Ok(Config {
            port,
            bind_ip,
            data_dir,
            database_url,
            token,
            allowed_origins,
            log_format,
            demo,
            trust_loopback,
            nurvus,
            phononmaser_health_url,
            seed_health_url,
            socket_queue,
            idle_timeout,
            retention_days,
            replay_ring,
            broadcast_capacity: crate::bus::BusLimits::default().broadcast_capacity,
            clock: landale_core::clock::Clock::system(),
            obs,
            twitch,
            ironmon,
            rainwave,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let c = Config::from_args(&ConfigArgs::default()).unwrap();
        assert_eq!(c.port, 7175);
        assert_eq!(c.bind_ip.to_string(), "127.0.0.1");
        assert!(c.trust_loopback);
        assert!(!c.demo);
        assert_eq!(c.idle_timeout, Duration::from_secs(90));
        assert!(c.database_url.is_none());
    }

    #[test]
    fn twitch_settings_and_the_vault_key() {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = Some(dir.path().display().to_string());
        // No client id: Twitch off, no key file made.
        let c = Config::from_args(&ConfigArgs {
            data_dir: data_dir.clone(),
            ..Default::default()
        })
        .unwrap();
        assert!(c.twitch.client_id.is_none() && c.twitch.vault.is_none());
        assert!(!dir.path().join("vault.key").exists());
        assert_eq!(c.twitch.eventsub_url, "wss://eventsub.wss.twitch.tv/ws");
        // A client id without CLOAK_SECRET_KEY: a key is made once and reused.
        let args = ConfigArgs {
            data_dir,
            twitch: landale_twitch::TwitchArgs {
                twitch_client_id: Some("abc".into()),
                twitch_client_secret: Some("s3cret-value".into()),
                twitch_api_url: Some("http://127.0.0.1:9/helix/".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let mut c = Config::from_args(&args).unwrap();
        assert!(
            !dir.path().join("vault.key").exists(),
            "reading the settings makes no file"
        );
        c.twitch.open_vault().unwrap();
        let key = std::fs::read_to_string(dir.path().join("vault.key")).unwrap();
        let sealed = c.twitch.vault.as_ref().unwrap().encrypt("x").unwrap();
        let mut again = Config::from_args(&args).unwrap();
        again.twitch.open_vault().unwrap();
        assert_eq!(again.twitch.vault.unwrap().decrypt(&sealed).unwrap(), "x");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("vault.key")).unwrap(),
            key
        );
        assert_eq!(c.twitch.api_url, "http://127.0.0.1:9/helix");
        let debug = format!("{c:?}");
        assert!(
            !debug.contains("s3cret-value") && !debug.contains(key.trim()),
            "{debug}"
        );
        // A bad key names the variable and never echoes it.
        let e = Config::from_args(&ConfigArgs {
            twitch: landale_twitch::TwitchArgs {
                cloak_secret_key: Some("bm90LTMyLWJ5dGVz".into()),
                ..Default::default()
            },
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(e.var, "CLOAK_SECRET_KEY");
        assert!(!e.to_string().contains("bm90LTMyLWJ5dGVz"));
    }

    #[test]
    fn bad_values_name_the_variable() {
        let cases: Vec<(ConfigArgs, &str)> = vec![
            (
                ConfigArgs {
                    port: Some("70000".into()),
                    ..Default::default()
                },
                "PORT",
            ),
            (
                ConfigArgs {
                    bind_ip: Some("localhost:1".into()),
                    ..Default::default()
                },
                "BIND_IP",
            ),
            (
                ConfigArgs {
                    database_url: Some("mysql://x".into()),
                    ..Default::default()
                },
                "DATABASE_URL",
            ),
            (
                ConfigArgs {
                    token: Some("short".into()),
                    ..Default::default()
                },
                "LANDALE_TOKEN",
            ),
            (
                ConfigArgs {
                    log_format: Some("xml".into()),
                    ..Default::default()
                },
                "LOG_FORMAT",
            ),
            (
                ConfigArgs {
                    demo: Some("maybe".into()),
                    ..Default::default()
                },
                "LANDALE_DEMO",
            ),
            (
                ConfigArgs {
                    allowed_origins: Some("evil.com".into()),
                    ..Default::default()
                },
                "LANDALE_ALLOWED_ORIGINS",
            ),
            (
                ConfigArgs {
                    nurvus: landale_nurvus::NurvusArgs {
                        nurvus_url: Some("tcp://x".into()),
                        nurvus_urls: None,
                    },
                    ..Default::default()
                },
                "NURVUS_URL",
            ),
        ];
        for (args, var) in cases {
            let err = Config::from_args(&args).unwrap_err();
            assert_eq!(err.var, var);
            let line = err.to_string();
            assert!(line.starts_with(var), "{line}");
            assert!(!line.contains('\n'));
        }
    }

    #[test]
    fn debug_redacts_secrets() {
        let c = Config::from_args(&ConfigArgs {
            token: Some("supersecret-token-1234".into()),
            database_url: Some("postgres://u:hunter2@h/db".into()),
            ..Default::default()
        })
        .unwrap();
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("supersecret") && !shown.contains("hunter2"),
            "{shown}"
        );
    }

    #[test]
    fn secrets_are_not_echoed() {
        let err = Config::from_args(&ConfigArgs {
            token: Some("short secret".into()),
            ..Default::default()
        })
        .unwrap_err();
        assert!(!err.to_string().contains("short secret"));
    }
}
