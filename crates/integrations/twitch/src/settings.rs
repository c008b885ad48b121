//! The Twitch integration's settings: the flags and variables it reads (flattened
//! into the hub's), validated into [`TwitchSettings`]. Reading them touches no file:
//! the generated vault key is made when the hub or the CLI starts ([`TwitchSettings::open_vault`]).

use clap::Args;
use landale_core::settings::{bad, nonempty, parse_http_url, parse_ws_url, SettingError};
use landale_core::vault::{self, Vault};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// No `Debug`: it holds the client secret and the vault key.
#[derive(Clone, Default, Args)]
pub struct TwitchArgs {
    /// The Twitch application's client id (dev.twitch.tv/console). Unset: Twitch is off.
    #[arg(long, env = "TWITCH_CLIENT_ID")]
    pub twitch_client_id: Option<String>,
    /// The Twitch application's client secret (needed to refresh tokens).
    #[arg(long, env = "TWITCH_CLIENT_SECRET", hide_env_values = true)]
    pub twitch_client_secret: Option<String>,
    /// Base64 of 32 bytes: the key tokens are encrypted with at rest. Unset: a key is
    /// generated in the data dir (`vault.key`) on first use.
    #[arg(long, env = "CLOAK_SECRET_KEY", hide_env_values = true)]
    pub cloak_secret_key: Option<String>,
    /// Twitch OAuth base URL (default https://id.twitch.tv/oauth2; the fake Twitch in tests).
    #[arg(long, env = "TWITCH_AUTH_URL")]
    pub twitch_auth_url: Option<String>,
    /// Helix base URL (default https://api.twitch.tv/helix).
    #[arg(long, env = "TWITCH_API_URL")]
    pub twitch_api_url: Option<String>,
    /// EventSub WebSocket URL (default wss://eventsub.wss.twitch.tv/ws).
    #[arg(long, env = "TWITCH_EVENTSUB_URL")]
    pub twitch_eventsub_url: Option<String>,
    /// Emote image base URL (default https://static-cdn.jtvnw.net/emoticons/v2).
    #[arg(long, env = "TWITCH_EMOTE_URL")]
    pub twitch_emote_url: Option<String>,
}

impl TwitchArgs {
    /// Validate; `data_dir` is where a generated vault key would live.
    pub fn settings(&self, data_dir: &Path) -> Result<TwitchSettings, SettingError> {
        let mut s = TwitchSettings {
            client_id: nonempty(&self.twitch_client_id),
            client_secret: nonempty(&self.twitch_client_secret),
            ..Default::default()
        };
        if let Some(v) = &self.twitch_auth_url {
            s.auth_url = parse_http_url("TWITCH_AUTH_URL", v)?;
        }
        if let Some(v) = &self.twitch_api_url {
            s.api_url = parse_http_url("TWITCH_API_URL", v)?;
        }
        if let Some(v) = &self.twitch_eventsub_url {
            s.eventsub_url = parse_ws_url("TWITCH_EVENTSUB_URL", v, "")?;
        }
        if let Some(v) = &self.twitch_emote_url {
            s.emote_url = parse_http_url("TWITCH_EMOTE_URL", v)?;
        }
        match nonempty(&self.cloak_secret_key) {
            Some(k) => {
                s.vault = Some(
                    Vault::from_base64(&k)
                        .map_err(|e| bad("CLOAK_SECRET_KEY", "<hidden>", e.to_string()))?,
                )
            }
            // Only with Twitch configured: a key file appears when it is needed.
            None if s.client_id.is_some() => s.key_file = Some(data_dir.join("vault.key")),
            None => {}
        }
        Ok(s)
    }
}

/// Twitch settings. `Debug` hides the client secret and the vault key.
#[derive(Clone)]
pub struct TwitchSettings {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// From `CLOAK_SECRET_KEY`, or opened from `key_file` by [`TwitchSettings::open_vault`].
    pub vault: Option<Vault>,
    /// Where the generated key lives when `CLOAK_SECRET_KEY` is unset and Twitch is on
    /// (`<data dir>/vault.key`).
    pub key_file: Option<PathBuf>,
    pub auth_url: String,
    pub api_url: String,
    pub eventsub_url: String,
    /// Where emote images come from (`<emote_url>/<id>/default/dark/2.0`).
    pub emote_url: String,
    /// First EventSub reconnect delay (doubles to 60 s); tests shorten it.
    pub reconnect_min: Duration,
}

impl Default for TwitchSettings {
    fn default() -> Self {
        TwitchSettings {
            client_id: None,
            client_secret: None,
            vault: None,
            key_file: None,
            auth_url: "https://id.twitch.tv/oauth2".into(),
            api_url: "https://api.twitch.tv/helix".into(),
            eventsub_url: "wss://eventsub.wss.twitch.tv/ws".into(),
            emote_url: "https://static-cdn.jtvnw.net/emoticons/v2".into(),
            reconnect_min: Duration::from_secs(1),
        }
    }
}

impl std::fmt::Debug for TwitchSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwitchSettings")
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("vault", &self.vault.as_ref().map(|_| "<key set>"))
            .field("auth_url", &self.auth_url)
            .field("api_url", &self.api_url)
            .field("eventsub_url", &self.eventsub_url)
            .field("emote_url", &self.emote_url)
            .finish()
    }
}

impl TwitchSettings {
    /// Open (or make, readable by the owner only) the generated vault key when
    /// `CLOAK_SECRET_KEY` is unset and Twitch is on. Call once at start.
    pub fn open_vault(&mut self) -> Result<(), SettingError> {
        if let (None, Some(path)) = (&self.vault, &self.key_file) {
            let dir = path.parent().unwrap_or(Path::new("."));
            let vault = vault::load_or_create_key(dir)
                .map_err(|e| bad("CLOAK_SECRET_KEY", "", format!("unset, and {e}")))?;
            self.vault = Some(vault);
        }
        Ok(())
    }
}
