//! Layer mapping: which of the three overlay layers a
//! content type is drawn on, per show. Unknown content types go to the background;
//! an unknown show uses the default table.

/// The shows Landale knows, sorted.
pub const SHOWS: [&str; 3] = ["coding", "ironmon", "variety"];

/// `(layer, content types)` for a show.
pub fn mappings(show: &str) -> &'static [(&'static str, &'static [&'static str])] {
    match show {
        "ironmon" => &[
            (
                "foreground",
                &[
                    "death_alert",
                    "elite_four_alert",
                    "shiny_encounter",
                    "alert",
                ],
            ),
            (
                "midground",
                &["level_up", "gym_badge", "sub_train", "cheer_celebration"],
            ),
            (
                "background",
                &[
                    "ironmon_run_stats",
                    "ironmon_deaths",
                    "recent_follows",
                    "emote_stats",
                ],
            ),
        ],
        "variety" => &[
            ("foreground", &["raid_alert", "host_alert", "alert"]),
            (
                "midground",
                &["sub_train", "cheer_celebration", "follow_celebration"],
            ),
            (
                "background",
                &[
                    "emote_stats",
                    "recent_follows",
                    "stream_goals",
                    "daily_stats",
                ],
            ),
        ],
        "coding" => &[
            (
                "foreground",
                &["build_failure", "deployment_alert", "alert"],
            ),
            (
                "midground",
                &["commit_celebration", "pr_merged", "sub_train"],
            ),
            ("background", &["recent_follows", "emote_stats"]),
        ],
        _ => &[
            ("foreground", &["alert"]),
            ("midground", &["sub_train"]),
            (
                "background",
                &["emote_stats", "recent_follows", "daily_stats"],
            ),
        ],
    }
}

/// The layer `content_type` is drawn on in `show`. Manual overrides and IronMON
/// checkpoint clears are alerts.
pub fn layer_for(show: &str, content_type: &str) -> &'static str {
    let t = match content_type {
        "manual_override" | "checkpoint_clear" => "alert",
        other => other,
    };
    mappings(show)
        .iter()
        .find(|(_, types)| types.contains(&t))
        .map(|(layer, _)| *layer)
        .unwrap_or("background")
}

/// `{layer: [types]}` as JSON, for `get_layer_mappings`.
pub fn mappings_json(show: &str) -> serde_json::Value {
    let m: serde_json::Map<String, serde_json::Value> = mappings(show)
        .iter()
        .map(|(layer, types)| {
            let mut sorted: Vec<&str> = types.to_vec();
            sorted.sort_unstable();
            (layer.to_string(), serde_json::json!(sorted))
        })
        .collect();
    serde_json::Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables() {
        assert_eq!(layer_for("ironmon", "death_alert"), "foreground");
        assert_eq!(layer_for("ironmon", "gym_badge"), "midground");
        assert_eq!(layer_for("ironmon", "ironmon_run_stats"), "background");
        assert_eq!(layer_for("variety", "raid_alert"), "foreground");
        assert_eq!(layer_for("variety", "follow_celebration"), "midground");
        assert_eq!(layer_for("coding", "pr_merged"), "midground");
        assert_eq!(
            layer_for("coding", "stream_goals"),
            "background",
            "unknown type in a show"
        );
        assert_eq!(
            layer_for("nope", "sub_train"),
            "midground",
            "unknown show uses the default"
        );
        assert_eq!(layer_for("variety", "manual_override"), "foreground");
        assert_eq!(
            mappings_json("coding")["foreground"],
            serde_json::json!(["alert", "build_failure", "deployment_alert"])
        );
    }
}
