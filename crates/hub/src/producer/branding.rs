//! The channel's look on every overlay: its name or logo in the bar (instead of
//! "LANDALE"), the font (one of the bundled ones), the corners, and each show's two
//! colours. Kept by the hub and pushed as `branding` on `stream:overlays` (on join and
//! on every change), so open pages restyle at once. Overlays pick the text colour on
//! each accent themselves (dark or light, whichever contrasts more), so any colour
//! the streamer picks stays readable.

use super::alert_settings::is_hex_colour;
use landale_core::fields::add;
use landale_core::FieldErrors;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

pub const FONTS: &[&str] = &["inter", "outfit"];
pub const CORNERS: &[&str] = &["rounded", "square"];
pub const SHOWS: &[&str] = &["variety", "ironmon", "coding"];
pub const MAX_NAME_CHARS: usize = 24;

/// One show's colours (`#rrggbb`); none: the built-in ones.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ShowColours {
    pub accent: Option<String>,
    pub accent_2: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Branding {
    /// Shown in the bar; empty: "LANDALE".
    pub name: String,
    /// An uploaded image shown in the bar instead of the name.
    pub logo: Option<String>,
    pub font: String,
    pub corners: String,
    #[serde(default)]
    pub shows: BTreeMap<String, ShowColours>,
}

impl Default for Branding {
    fn default() -> Self {
        Branding {
            name: String::new(),
            logo: None,
            font: "inter".into(),
            corners: "rounded".into(),
            shows: BTreeMap::new(),
        }
    }
}

fn colour(v: &Value) -> Result<Option<String>, String> {
    match v {
        Value::Null => Ok(None),
        Value::String(c) if is_hex_colour(c) => Ok(Some(c.to_lowercase())),
        _ => Err("must be a colour like #6644e8, or null for the built-in one".into()),
    }
}

impl Branding {
    pub fn json(&self) -> Value {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        v["fonts"] = json!(FONTS);
        v["corner_styles"] = json!(CORNERS);
        v
    }

    /// Apply `changes` (any of `name`, `logo`, `font`, `corners`, `shows: {show:
    /// {accent, accent_2}}`); nothing changes unless every field is valid.
    pub fn update(
        &mut self,
        changes: &Value,
        media_is_image: impl Fn(&str) -> bool,
    ) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        let Some(obj) = changes.as_object() else {
            add(
                &mut errors,
                "changes",
                "expected an object of fields to change",
            );
            return Err(errors);
        };
        let mut next = self.clone();
        for (field, v) in obj {
            match field.as_str() {
                "name" => match v.as_str() {
                    Some(n)
                        if n.chars().count() <= MAX_NAME_CHARS
                            && !n.chars().any(char::is_control) =>
                    {
                        next.name = n.trim().to_string()
                    }
                    _ => add(
                        &mut errors,
                        field,
                        format!("must be text of at most {MAX_NAME_CHARS} characters"),
                    ),
                },
                "logo" => match v {
                    Value::Null => next.logo = None,
                    Value::String(n) if media_is_image(n) => next.logo = Some(n.clone()),
                    _ => add(
                        &mut errors,
                        field,
                        "must be an uploaded image's name, or null",
                    ),
                },
                "font" => match v.as_str() {
                    Some(f) if FONTS.contains(&f) => next.font = f.into(),
                    _ => add(
                        &mut errors,
                        field,
                        format!("must be one of {}", FONTS.join(", ")),
                    ),
                },
                "corners" => match v.as_str() {
                    Some(c) if CORNERS.contains(&c) => next.corners = c.into(),
                    _ => add(
                        &mut errors,
                        field,
                        format!("must be one of {}", CORNERS.join(", ")),
                    ),
                },
                "shows" => {
                    let Some(shows) = v.as_object() else {
                        add(&mut errors, field, "must be an object of shows");
                        continue;
                    };
                    for (show, c) in shows {
                        if !SHOWS.contains(&show.as_str()) {
                            add(
                                &mut errors,
                                &format!("shows.{show}"),
                                format!("not a show; one of {}", SHOWS.join(", ")),
                            );
                            continue;
                        }
                        let entry = next.shows.entry(show.clone()).or_default();
                        for (k, slot) in [
                            ("accent", &mut entry.accent),
                            ("accent_2", &mut entry.accent_2),
                        ] {
                            if let Some(x) = c.get(k) {
                                match colour(x) {
                                    Ok(col) => *slot = col,
                                    Err(m) => add(&mut errors, &format!("shows.{show}.{k}"), m),
                                }
                            }
                        }
                    }
                    next.shows.retain(|_, c| *c != ShowColours::default());
                }
                other => add(
                    &mut errors,
                    other,
                    "not a branding setting; use name, logo, font, corners, shows",
                ),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        *self = next;
        Ok(())
    }
}

/// Keep only known keys when reading a stored copy (older or newer versions).
pub fn parse_stored(raw: &str) -> Branding {
    let v: Value = serde_json::from_str(raw).unwrap_or(Value::Null);
    let mut b = Branding::default();
    let _ = b.update(
        &Value::Object(v.as_object().cloned().unwrap_or_else(Map::new)),
        |_| true,
    );
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_are_checked_and_all_or_nothing() {
        let mut b = Branding::default();
        let img = |n: &str| n == "0123456789abcdef.png";
        b.update(
            &json!({"name": "Avalonstar", "font": "outfit", "corners": "square",
                    "shows": {"ironmon": {"accent": "#FF0000"}}, "logo": "0123456789abcdef.png"}),
            img,
        )
        .unwrap();
        assert_eq!(b.name, "Avalonstar");
        assert_eq!(b.shows["ironmon"].accent.as_deref(), Some("#ff0000"));
        let e = b
            .update(
                &json!({"name": "x".repeat(25), "font": "comic", "shows": {"nope": {}, "coding": {"accent": "red"}},
                        "logo": "missing.png", "colour": 1}),
                img,
            )
            .unwrap_err();
        for f in [
            "name",
            "font",
            "shows.nope",
            "shows.coding.accent",
            "logo",
            "colour",
        ] {
            assert!(e.contains_key(f), "{f} in {e:?}");
        }
        assert_eq!(b.font, "outfit", "nothing of a refused update landed");
        // A show's colours back to the built-in ones: the entry goes.
        b.update(&json!({"shows": {"ironmon": {"accent": null}}}), img)
            .unwrap();
        assert!(b.shows.is_empty());
        assert_eq!(parse_stored(&serde_json::to_string(&b).unwrap()), b);
        assert_eq!(parse_stored("not json"), Branding::default());
    }
}
