//! What the streamer sets per alert type: on or off, the words (templates with
//! variables), a minimum amount, how long it stays, its accent, and its image and
//! sound. The producer reads `enabled`, `min_amount` and `duration_ms` to decide what
//! goes on air; the overlays read the rest (pushed as `alert_settings` on
//! `stream:overlays` on join and on every change, so open pages restyle at once).
//!
//! Every alert the producer queues carries its style key in `data.style`, so the
//! mapping from an event type to its style lives here and nowhere else.

use landale_core::fields::add;
use landale_core::FieldErrors;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The style keys, in the order the dashboard lists them.
pub const STYLES: &[&str] = &[
    "follow",
    "sub",
    "resub",
    "gift",
    "cheer",
    "raid",
    "redemption",
    "hype_train",
    "checkpoint",
    "death",
];

/// Variables a template may use; an unknown one is refused by name.
pub const VARIABLES: &[&str] = &[
    "user", "amount", "months", "tier", "message", "reward", "count",
];

/// How long an alert stays unless the streamer says otherwise.
pub const ALERT_DURATION_MS: u64 = 10_000;
/// An IronMON checkpoint's alert: short, they come in runs.
pub const CHECKPOINT_DURATION_MS: u64 = 5_000;
pub const MAX_TEMPLATE_CHARS: usize = 200;
pub const MIN_DURATION_MS: u64 = 1_000;
pub const MAX_DURATION_MS: u64 = 60_000;
pub const MAX_MIN_AMOUNT: u64 = 1_000_000;
pub const VARIANTS: &[&str] = &["card", "compact"];

/// Why an update did not happen.
#[derive(Debug)]
pub enum Update {
    /// The fields and what is wrong with each.
    Invalid(FieldErrors),
    /// The database did not take it (nothing changed).
    Store(String),
}

/// One alert type's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertStyle {
    pub enabled: bool,
    /// The small line above the name ("New follower").
    pub kicker: String,
    /// The big line ("{user}").
    pub title: String,
    /// The line under it ("{amount} bits · {message}"); parts joined by " · " whose
    /// variables are all empty are left out.
    pub detail: String,
    /// Below this (bits, raiders, gifted subs, months) no alert; 0: every one.
    pub min_amount: u64,
    pub duration_ms: u64,
    /// `#rrggbb`, or none for the show's accent.
    pub accent: Option<String>,
    pub variant: String,
    /// A media file name (see `store::media`), shown with the alert.
    pub image: Option<String>,
    /// A media file name, played with the alert (one alert's sound at a time).
    pub sound: Option<String>,
    /// 0.0 to 1.0.
    pub volume: f64,
}

fn style(enabled: bool, kicker: &str, title: &str, detail: &str, duration_ms: u64) -> AlertStyle {
    AlertStyle {
        enabled,
        kicker: kicker.into(),
        title: title.into(),
        detail: detail.into(),
        min_amount: 0,
        duration_ms,
        accent: None,
        variant: "card".into(),
        image: None,
        sound: None,
        volume: 0.8,
    }
}

/// The look every type has out of the box.
pub fn default_style(key: &str) -> AlertStyle {
    match key {
        "follow" => style(
            true,
            "New follower",
            "{user}",
            "Welcome to the stream!",
            ALERT_DURATION_MS,
        ),
        "sub" => style(true, "Sub train", "{user}", "{tier}", ALERT_DURATION_MS),
        "resub" => style(
            true,
            "Sub train",
            "{user}",
            "{months} months · {tier}",
            ALERT_DURATION_MS,
        ),
        "gift" => style(
            true,
            "Gift subs",
            "{user}",
            "gifted {amount} {tier} subs",
            ALERT_DURATION_MS,
        ),
        "cheer" => style(
            true,
            "Cheer",
            "{user}",
            "{amount} bits · {message}",
            ALERT_DURATION_MS,
        ),
        "raid" => style(
            true,
            "Raid",
            "{user}",
            "is raiding with {amount} viewers",
            12_000,
        ),
        "redemption" => style(
            true,
            "Channel points",
            "{user}",
            "redeemed {reward} · {message}",
            8_000,
        ),
        "hype_train" => style(
            true,
            "Hype train",
            "Hype train!",
            "Level {amount} · keep it going",
            ALERT_DURATION_MS,
        ),
        "death" => style(
            true,
            "Run over",
            "{message}",
            "{amount} checkpoints cleared · {reward} was next",
            8_000,
        ),
        _ => style(
            true,
            "Checkpoint cleared",
            "{reward}",
            "",
            CHECKPOINT_DURATION_MS,
        ),
    }
}

/// Every type's settings; types never set keep their defaults.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AlertSettings {
    #[serde(default)]
    pub types: BTreeMap<String, AlertStyle>,
}

impl AlertSettings {
    pub fn get(&self, key: &str) -> AlertStyle {
        self.types
            .get(key)
            .cloned()
            .unwrap_or_else(|| default_style(key))
    }

    /// Every type, defaults filled in: what overlays and the dashboard get.
    pub fn json(&self) -> Value {
        let types: Map<String, Value> = STYLES
            .iter()
            .map(|k| {
                (
                    k.to_string(),
                    serde_json::to_value(self.get(k)).unwrap_or_default(),
                )
            })
            .collect();
        serde_json::json!({"types": types, "styles": STYLES, "variables": VARIABLES,
                           "variants": VARIANTS})
    }

    /// Apply `changes` (any subset of a style's fields) to one type, or put it back
    /// to its defaults with `reset`. Nothing changes unless every field is valid.
    pub fn update(
        &mut self,
        key: &str,
        changes: &Value,
        reset: bool,
        media_exists: impl Fn(&str) -> bool,
    ) -> Result<AlertStyle, FieldErrors> {
        let mut errors = FieldErrors::new();
        if !STYLES.contains(&key) {
            add(
                &mut errors,
                "type",
                format!("unknown alert type {key:?}; one of {}", STYLES.join(", ")),
            );
            return Err(errors);
        }
        let mut s = if reset {
            default_style(key)
        } else {
            self.get(key)
        };
        let Some(obj) = changes.as_object() else {
            if reset {
                self.types.remove(key);
                return Ok(s);
            }
            add(
                &mut errors,
                "changes",
                "expected an object of fields to change",
            );
            return Err(errors);
        };
        for (field, v) in obj {
            let f = field.as_str();
            let r: Result<(), String> = match f {
                "enabled" => v.as_bool().map(|b| s.enabled = b).ok_or("must be true or false".into()),
                "kicker" | "title" | "detail" => template(v).map(|t| match f {
                    "kicker" => s.kicker = t,
                    "title" => s.title = t,
                    _ => s.detail = t,
                }),
                "min_amount" => match v.as_u64() {
                    Some(n) if n <= MAX_MIN_AMOUNT => {
                        s.min_amount = n;
                        Ok(())
                    }
                    _ => Err(format!("must be a whole number from 0 to {MAX_MIN_AMOUNT}")),
                },
                "duration_ms" => match v.as_u64() {
                    Some(n) if (MIN_DURATION_MS..=MAX_DURATION_MS).contains(&n) => {
                        s.duration_ms = n;
                        Ok(())
                    }
                    _ => Err(format!(
                        "must be milliseconds from {MIN_DURATION_MS} to {MAX_DURATION_MS}"
                    )),
                },
                "accent" => match v {
                    Value::Null => {
                        s.accent = None;
                        Ok(())
                    }
                    Value::String(c) if is_hex_colour(c) => {
                        s.accent = Some(c.to_lowercase());
                        Ok(())
                    }
                    _ => Err("must be a colour like #ff9f43, or null for the show's".into()),
                },
                "variant" => match v.as_str() {
                    Some(x) if VARIANTS.contains(&x) => {
                        s.variant = x.into();
                        Ok(())
                    }
                    _ => Err(format!("must be one of {}", VARIANTS.join(", "))),
                },
                "image" | "sound" => match v {
                    Value::Null => {
                        if f == "image" {
                            s.image = None
                        } else {
                            s.sound = None
                        }
                        Ok(())
                    }
                    Value::String(name) if media_exists(name) => {
                        let kind_ok = if f == "image" {
                            crate::store::media::is_image(name)
                        } else {
                            crate::store::media::is_sound(name)
                        };
                        if !kind_ok {
                            Err(format!("{name} is not {}", if f == "image" { "an image or video" } else { "a sound" }))
                        } else {
                            if f == "image" {
                                s.image = Some(name.clone())
                            } else {
                                s.sound = Some(name.clone())
                            }
                            Ok(())
                        }
                    }
                    Value::String(name) => Err(format!("no uploaded file named {name:?}; upload it first")),
                    _ => Err("must be an uploaded file's name, or null".into()),
                },
                "volume" => match v.as_f64() {
                    Some(x) if (0.0..=1.0).contains(&x) => {
                        s.volume = x;
                        Ok(())
                    }
                    _ => Err("must be from 0 to 1".into()),
                },
                other => Err(format!(
                    "not an alert setting ({other}); use enabled, kicker, title, detail, min_amount, duration_ms, accent, variant, image, sound, volume"
                )),
            };
            if let Err(m) = r {
                add(&mut errors, field, m);
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        if s == default_style(key) {
            self.types.remove(key);
        } else {
            self.types.insert(key.to_string(), s.clone());
        }
        Ok(s)
    }
}

/// `#rrggbb`.
pub fn is_hex_colour(c: &str) -> bool {
    c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// A template: at most [`MAX_TEMPLATE_CHARS`], no control characters, `{name}` only
/// for known variables.
fn template(v: &Value) -> Result<String, String> {
    let Some(t) = v.as_str() else {
        return Err("must be text".into());
    };
    if t.chars().count() > MAX_TEMPLATE_CHARS {
        return Err(format!("is longer than {MAX_TEMPLATE_CHARS} characters"));
    }
    if t.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    let mut rest = t;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            return Err("has a { without its }".into());
        };
        let name = &after[..close];
        if !VARIABLES.contains(&name) {
            return Err(format!(
                "uses {{{name}}}, which is not a variable; use {}",
                VARIABLES
                    .iter()
                    .map(|v| format!("{{{v}}}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        rest = &after[close + 1..];
    }
    Ok(t.to_string())
}

/// The style an event's alert uses, if that event type makes one.
pub fn style_of(event_type: &str, data: &Value) -> Option<&'static str> {
    Some(match event_type {
        "channel.follow" => "follow",
        "channel.subscribe" => "sub",
        "channel.subscription.message" => "resub",
        "channel.subscription.gift" => "gift",
        "channel.cheer" => "cheer",
        "channel.raid" => "raid",
        "channel.channel_points_custom_reward_redemption.add" => "redemption",
        "channel.hype_train.begin" => "hype_train",
        "ironmon.run_checkpoint" if data.get("passed") == Some(&Value::Bool(true)) => "checkpoint",
        "ironmon.run_ended" => "death",
        _ => return None,
    })
}

/// The largest amount a test alert may carry.
pub const MAX_TEST_AMOUNT: u64 = 1_000_000;

/// A test alert's event for a style: what Twitch (or IronMON) would send, marked
/// `test: true`, with the streamer's values where given. It goes through the
/// pipeline and the producer like a real one (the producer keeps it off the counts
/// and the timeline).
pub fn sample_event(
    style: &str,
    user: Option<&str>,
    amount: Option<u64>,
    message: Option<&str>,
) -> Option<(&'static str, Value)> {
    use serde_json::json;
    let name = user
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .unwrap_or("TestViewer");
    let mut login: String = name
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(25)
        .collect();
    if login.is_empty() {
        login = "testviewer".into();
    }
    let n = |default: u64| amount.unwrap_or(default).clamp(1, MAX_TEST_AMOUNT);
    let text = message.unwrap_or("").to_string();
    let who = json!({"user_id": "1", "user_login": login, "user_name": name,
                     "broadcaster_user_id": "2", "broadcaster_user_login": "landale",
                     "broadcaster_user_name": "Landale"});
    let with = |extra: Value| {
        let mut v = who.clone();
        if let (Some(m), Some(e)) = (v.as_object_mut(), extra.as_object()) {
            m.extend(e.clone());
            m.insert("test".into(), json!(true));
        }
        v
    };
    Some(match style {
        "follow" => (
            "channel.follow",
            with(json!({"followed_at": landale_core::ids::now_iso()})),
        ),
        "sub" => (
            "channel.subscribe",
            with(json!({"tier": "1000", "is_gift": false})),
        ),
        "resub" => (
            "channel.subscription.message",
            with(json!({"tier": "1000", "cumulative_months": n(12), "message": {"text": text}})),
        ),
        "gift" => (
            "channel.subscription.gift",
            with(json!({"tier": "1000", "total": n(5), "is_anonymous": false})),
        ),
        "cheer" => {
            let bits = n(100);
            let words = if text.is_empty() {
                format!("Cheer{bits}")
            } else {
                format!("Cheer{bits} {text}")
            };
            (
                "channel.cheer",
                with(json!({"bits": bits, "message": words, "is_anonymous": false})),
            )
        }
        "raid" => (
            "channel.raid",
            json!({"from_broadcaster_user_id": "1", "from_broadcaster_user_login": login,
                   "from_broadcaster_user_name": name, "to_broadcaster_user_id": "2",
                   "to_broadcaster_user_login": "landale", "viewers": n(42), "test": true}),
        ),
        "redemption" => (
            "channel.channel_points_custom_reward_redemption.add",
            with(
                json!({"id": "test", "user_input": text, "status": "unfulfilled",
                        "reward": {"id": "test", "title": "Hydrate", "cost": n(500), "prompt": ""},
                        "redeemed_at": landale_core::ids::now_iso()}),
            ),
        ),
        "hype_train" => (
            "channel.hype_train.begin",
            json!({"id": "test", "broadcaster_user_id": "2", "broadcaster_user_login": "landale",
                   "level": n(1), "total": 500, "progress": 500, "goal": 1000, "test": true}),
        ),
        "death" => (
            "ironmon.run_ended",
            json!({"seed_id": 1, "reason": if text.is_empty() { "lost to Brock" } else { text.as_str() },
                   "trainer": "Brock", "checkpoint": "BROCK", "checkpoints_cleared": n(4),
                   "test": true}),
        ),
        "checkpoint" => (
            "ironmon.run_checkpoint",
            json!({"checkpoint": if text.is_empty() { "Brock" } else { text.as_str() },
                   "passed": true, "seed_id": 1, "test": true}),
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_for_every_type() {
        let s = AlertSettings::default();
        let j = s.json();
        for k in STYLES {
            assert!(j["types"][k]["enabled"].as_bool().unwrap(), "{k}");
            assert!(!j["types"][k]["title"].as_str().unwrap().is_empty(), "{k}");
            let d = j["types"][k]["duration_ms"].as_u64().unwrap();
            assert!((MIN_DURATION_MS..=MAX_DURATION_MS).contains(&d), "{k}");
        }
    }

    #[test]
    fn updates_are_checked_field_by_field_and_all_or_nothing() {
        let mut s = AlertSettings::default();
        let none = |_: &str| false;
        let ok = s
            .update(
                "cheer",
                &json!({"min_amount": 100, "title": "{user} cheered!", "accent": "#FF9F43"}),
                false,
                none,
            )
            .unwrap();
        assert_eq!(ok.min_amount, 100);
        assert_eq!(ok.accent.as_deref(), Some("#ff9f43"));
        let e = s
            .update(
                "cheer",
                &json!({"min_amount": -1, "title": "{username}", "volume": 2, "image": "nope.png", "enabled": true}),
                false,
                none,
            )
            .unwrap_err();
        let j = serde_json::to_value(&e).unwrap();
        for f in ["min_amount", "title", "volume", "image"] {
            assert!(j.get(f).is_some(), "{f} named in {j}");
        }
        assert!(j["title"][0].as_str().unwrap().contains("{user}"), "{j}");
        // Nothing of the refused update landed.
        assert_eq!(s.get("cheer").min_amount, 100);
        assert!(s.update("nope", &json!({}), false, none).is_err());
        assert!(s
            .update("cheer", &json!({"title": "{user"}), false, none)
            .is_err());
        // Reset: back to the defaults, and not stored.
        assert_eq!(
            s.update("cheer", &Value::Null, true, none).unwrap(),
            default_style("cheer")
        );
        assert!(s.types.is_empty());
    }

    #[test]
    fn media_must_exist_and_be_of_its_kind() {
        let mut s = AlertSettings::default();
        let have = |n: &str| n == "0123456789abcdef.png" || n == "0123456789abcdef.mp3";
        assert!(s
            .update(
                "raid",
                &json!({"image": "0123456789abcdef.png"}),
                false,
                have
            )
            .is_ok());
        assert!(s
            .update(
                "raid",
                &json!({"sound": "0123456789abcdef.mp3"}),
                false,
                have
            )
            .is_ok());
        assert!(s
            .update(
                "raid",
                &json!({"image": "0123456789abcdef.mp3"}),
                false,
                have
            )
            .is_err());
        assert!(s
            .update(
                "raid",
                &json!({"sound": "0123456789abcdef.png"}),
                false,
                have
            )
            .is_err());
    }

    #[test]
    fn event_types_map_to_styles() {
        assert_eq!(style_of("channel.cheer", &json!({})), Some("cheer"));
        assert_eq!(
            style_of("ironmon.run_checkpoint", &json!({"passed": true})),
            Some("checkpoint")
        );
        assert_eq!(
            style_of("ironmon.run_checkpoint", &json!({"passed": false})),
            None
        );
        assert_eq!(style_of("channel.chat.message", &json!({})), None);
    }
}
