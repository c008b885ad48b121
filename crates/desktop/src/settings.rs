//! The app's settings: the hub it connects to, the token (sealed with the vault key
//! next to it, never written in the clear and never logged), the hotkeys, the muted
//! notifications and the dropped-frames threshold. One JSON file in the app's config
//! directory (`LANDALE_DESKTOP_CONFIG_DIR` overrides it), written whole through a
//! temporary file so a crash never leaves half of it.

use crate::action::Action;
use crate::notices::{Kind, Rules};
use landale_core::vault::{self, Vault};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const FILE: &str = "settings.json";

/// One global hotkey: keys in the form `Ctrl+Alt+Shift+S` and an action's words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Binding {
    pub keys: String,
    pub action: String,
}

/// The defaults: out of the way of games (three modifiers).
pub fn default_hotkeys() -> Vec<Binding> {
    let b = |keys: &str, action: Action| Binding {
        keys: keys.into(),
        action: action.to_string(),
    };
    vec![
        b("Ctrl+Alt+Shift+S", Action::SkipAlert),
        b("Ctrl+Alt+Shift+P", Action::ToggleQueue),
        b("Ctrl+Alt+Shift+T", Action::TechnicalDifficulties),
    ]
}

fn default_threshold() -> f64 {
    2.0
}

fn default_poll() -> u64 {
    5
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// The hub, e.g. `http://127.0.0.1:7175` (none before the first run's setup).
    #[serde(default)]
    pub url: Option<String>,
    /// The hub's token, in memory; in the file it is `token_sealed`.
    #[serde(skip)]
    pub token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    token_sealed: Option<String>,
    #[serde(default = "default_hotkeys")]
    pub hotkeys: Vec<Binding>,
    /// Notification kinds not to show (`service_failed`, `twitch_login`,
    /// `obs_disconnected`, `dropped_frames`, `hub_unreachable`).
    #[serde(default)]
    pub muted: Vec<String>,
    #[serde(default = "default_threshold")]
    pub dropped_frames_percent: f64,
    #[serde(default = "default_poll")]
    pub poll_seconds: u64,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            url: None,
            token: None,
            token_sealed: None,
            hotkeys: default_hotkeys(),
            muted: vec![],
            dropped_frames_percent: default_threshold(),
            poll_seconds: default_poll(),
        }
    }
}

/// Where the settings live.
#[derive(Debug, Clone)]
pub struct Store {
    pub dir: PathBuf,
}

impl Store {
    pub fn new(dir: impl Into<PathBuf>) -> Store {
        Store { dir: dir.into() }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(FILE)
    }

    fn vault(&self) -> Result<Vault, String> {
        vault::load_or_create_key(&self.dir)
    }

    /// The settings (defaults when there is no file yet). A file that does not parse,
    /// or a token that does not unseal, is an error that says which file and why:
    /// nothing is overwritten behind the streamer's back.
    pub fn load(&self) -> Result<Settings, String> {
        let path = self.path();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Settings::default()),
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        let mut s: Settings = serde_json::from_str(&text)
            .map_err(|e| format!("{} is not valid settings: {e}", path.display()))?;
        if let Some(sealed) = &s.token_sealed {
            let token = self.vault()?.decrypt(sealed).map_err(|e| {
                format!(
                    "the token in {} does not open with {}: {e}; set it again in the app",
                    path.display(),
                    self.dir.join("vault.key").display()
                )
            })?;
            s.token = Some(token);
        }
        Ok(s)
    }

    pub fn save(&self, s: &Settings) -> Result<(), String> {
        let mut s = s.clone();
        s.token_sealed = match s.token.as_deref().filter(|t| !t.is_empty()) {
            Some(t) => Some(self.vault()?.encrypt(t).map_err(|e| e.to_string())?),
            None => None,
        };
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| format!("cannot create {}: {e}", self.dir.display()))?;
        let text = serde_json::to_string_pretty(&s).map_err(|e| e.to_string())?;
        write_whole(&self.path(), &text)
    }
}

fn write_whole(path: &Path, text: &str) -> Result<(), String> {
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// A hub address as the streamer typed it, made into a base URL: `saya:7175` →
/// `http://saya:7175`; a trailing `/` or `/dashboard` is dropped.
pub fn normalise_url(typed: &str) -> Result<String, String> {
    let t = typed.trim().trim_end_matches('/');
    let t = t.strip_suffix("/dashboard").unwrap_or(t);
    if t.is_empty() {
        return Err("type the hub's address, e.g. http://127.0.0.1:7175".into());
    }
    let with_scheme = if t.contains("://") {
        t.to_string()
    } else {
        format!("http://{t}")
    };
    let rest = with_scheme
        .strip_prefix("http://")
        .or_else(|| with_scheme.strip_prefix("https://"))
        .ok_or_else(|| format!("{typed:?}: the hub's address starts with http:// or https://"))?;
    if rest.is_empty() || rest.contains(char::is_whitespace) {
        return Err(format!(
            "{typed:?} is not an address, e.g. http://saya:7175"
        ));
    }
    Ok(with_scheme)
}

impl Settings {
    /// The notification rules these settings make (unknown mute names are ignored,
    /// and reported by [`Settings::problems`]).
    pub fn rules(&self) -> Rules {
        Rules {
            muted: self
                .muted
                .iter()
                .filter_map(|k| Kind::from_key(k))
                .collect(),
            dropped_percent: self.dropped_frames_percent,
            ..Rules::default()
        }
    }

    /// The hotkeys whose action reads; the others are reported by [`Settings::problems`].
    pub fn bindings(&self) -> Vec<(String, Action)> {
        self.hotkeys
            .iter()
            .filter_map(|b| Some((b.keys.clone(), b.action.parse().ok()?)))
            .collect()
    }

    /// What in the file is not understood, in words (shown and logged at start).
    pub fn problems(&self) -> Vec<String> {
        let mut out = vec![];
        for b in &self.hotkeys {
            if let Err(e) = b.action.parse::<Action>() {
                out.push(format!("hotkey {}: {e}", b.keys));
            }
        }
        for m in &self.muted {
            if Kind::from_key(m).is_none() {
                let known: Vec<&str> = Kind::ALL.iter().map(|k| k.key()).collect();
                out.push(format!(
                    "muted {m:?}: not a notification (use {})",
                    known.join(", ")
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> PathBuf {
        let d = std::env::temp_dir().join(format!("landale-desktop-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn the_token_is_sealed_on_disk_and_opens_again() {
        let d = dir();
        let store = Store::new(&d);
        assert_eq!(store.load().unwrap(), Settings::default());
        let s = Settings {
            url: Some("http://saya:7175".into()),
            token: Some("secret-token-123".into()),
            muted: vec!["dropped_frames".into()],
            ..Settings::default()
        };
        store.save(&s).unwrap();
        let text = std::fs::read_to_string(store.path()).unwrap();
        assert!(!text.contains("secret-token-123"), "{text}");
        assert!(text.contains("token_sealed"));
        let back = store.load().unwrap();
        assert_eq!(back.token.as_deref(), Some("secret-token-123"));
        assert_eq!(back.url, s.url);
        assert!(back.rules().muted.contains(&Kind::DroppedFrames));
        // Another key cannot open it, and says so rather than dropping the token.
        std::fs::remove_file(d.join("vault.key")).unwrap();
        let e = store.load().unwrap_err();
        assert!(e.contains("does not open"), "{e}");
        std::fs::remove_dir_all(d).unwrap();
    }

    #[test]
    fn a_damaged_file_is_an_error_naming_it() {
        let d = dir();
        std::fs::write(d.join(FILE), "{ not json").unwrap();
        let e = Store::new(&d).load().unwrap_err();
        assert!(
            e.contains("settings.json") && e.contains("not valid"),
            "{e}"
        );
        std::fs::remove_dir_all(d).unwrap();
    }

    #[test]
    fn unknown_hotkey_actions_and_mutes_are_reported_not_fatal() {
        let s: Settings = serde_json::from_str(
            r#"{"hotkeys": [{"keys": "F13", "action": "scene:Gameplay"},
                            {"keys": "F14", "action": "dance"}],
                "muted": ["obs_disconnected", "everything"]}"#,
        )
        .unwrap();
        assert_eq!(
            s.bindings(),
            vec![("F13".to_string(), Action::Scene("Gameplay".into()))]
        );
        let p = s.problems();
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p[0].starts_with("hotkey F14: unknown action \"dance\""));
        assert!(p[1].contains("\"everything\""));
        // Missing fields take their defaults.
        assert_eq!(s.dropped_frames_percent, 2.0);
        assert_eq!(Settings::default().bindings().len(), 3);
    }

    #[test]
    fn typed_addresses_become_base_urls() {
        assert_eq!(normalise_url("saya:7175").unwrap(), "http://saya:7175");
        assert_eq!(
            normalise_url(" http://127.0.0.1:7175/dashboard/ ").unwrap(),
            "http://127.0.0.1:7175"
        );
        assert!(normalise_url("").is_err());
        assert!(normalise_url("ftp://x").is_err());
    }
}
