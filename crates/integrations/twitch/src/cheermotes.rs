//! Cheermote images. Helix's `GET /bits/cheermotes` lists each prefix ("Cheer",
//! a channel's own) with its tiers (1, 100, 1000 … bits) and their images. The list
//! is fetched when an overlay first asks and kept for [`KEEP`]; a failed fetch is
//! not retried for [`RETRY`] (the old list, if any, keeps serving), so a cheer storm
//! with Twitch away costs one call a minute. `/cheermotes/<prefix>/<bits>` uses it to
//! send an overlay to the image of the tier the cheer reached.

use crate::helix::Helix;
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const KEEP: Duration = Duration::from_secs(3600);
pub const RETRY: Duration = Duration::from_secs(60);

/// One prefix and its tiers, lowest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Cheermote {
    /// Lowercase, as cheers are matched without case.
    pub prefix: String,
    /// `(min_bits, image URL)`, sorted by `min_bits`.
    pub tiers: Vec<(u64, String)>,
}

/// The cheermotes of a Helix answer's `data`. A tier's image is the dark theme's
/// animated 2× one (its static one when there is no animation); entries without a
/// prefix or an image are skipped.
pub fn parse(data: &Value) -> Vec<Cheermote> {
    let Some(list) = data.as_array() else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|c| {
            let prefix = c["prefix"].as_str()?.to_lowercase();
            let mut tiers: Vec<(u64, String)> = c["tiers"]
                .as_array()?
                .iter()
                .filter_map(|t| {
                    let dark = &t["images"]["dark"];
                    let url = dark["animated"]["2"]
                        .as_str()
                        .or_else(|| dark["static"]["2"].as_str())?;
                    Some((t["min_bits"].as_u64()?, url.to_string()))
                })
                .collect();
            tiers.sort_by_key(|t| t.0);
            (!prefix.is_empty() && !tiers.is_empty()).then_some(Cheermote { prefix, tiers })
        })
        .collect()
}

/// The image of the highest tier `bits` reaches for `prefix` (any case).
pub fn image_for<'a>(list: &'a [Cheermote], prefix: &str, bits: u64) -> Option<&'a str> {
    let prefix = prefix.to_lowercase();
    let c = list.iter().find(|c| c.prefix == prefix)?;
    c.tiers
        .iter()
        .rev()
        .find(|(min, _)| *min <= bits)
        .or(c.tiers.first())
        .map(|(_, url)| url.as_str())
}

#[derive(Default)]
struct Cache {
    list: Vec<Cheermote>,
    fetched: Option<Instant>,
    failed: Option<Instant>,
}

/// The kept list, fetched through Helix when stale.
pub struct Cheermotes {
    helix: Arc<Helix>,
    cache: tokio::sync::Mutex<Cache>,
}

impl Cheermotes {
    pub fn new(helix: Arc<Helix>) -> Arc<Cheermotes> {
        Arc::new(Cheermotes {
            helix,
            cache: tokio::sync::Mutex::new(Cache::default()),
        })
    }

    /// The image URL for `prefix` at `bits`, or `None` when the prefix is unknown or
    /// no list could be had (Twitch signed out or away).
    pub async fn image(&self, prefix: &str, bits: u64) -> Option<String> {
        // Held across the fetch: concurrent asks wait for one call, not one each.
        let mut c = self.cache.lock().await;
        let fresh = c.fetched.is_some_and(|t| t.elapsed() < KEEP);
        let resting = c.failed.is_some_and(|t| t.elapsed() < RETRY);
        if !fresh && !resting {
            match self.helix.cheermotes().await {
                Ok(data) => {
                    c.list = parse(&data);
                    c.fetched = Some(Instant::now());
                    c.failed = None;
                    tracing::debug!(prefixes = c.list.len(), "cheermotes fetched");
                }
                Err(e) => {
                    c.failed = Some(Instant::now());
                    tracing::info!(error = %e, "cannot fetch cheermotes; cheers show without their image");
                }
            }
        }
        image_for(&c.list, prefix, bits).map(str::to_owned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tier(min: u64, animated: bool) -> Value {
        let url = |kind: &str| format!("https://cdn/{kind}/{min}.png");
        let mut dark = json!({"static": {"1": url("s1"), "2": url("s2")}});
        if animated {
            dark["animated"] = json!({"1": url("a1"), "2": url("a2")});
        }
        json!({"min_bits": min, "id": min.to_string(), "images": {"dark": dark, "light": {}}})
    }

    #[test]
    fn the_highest_tier_reached_is_drawn_in_any_case() {
        let list = parse(&json!([
            {"prefix": "Cheer", "tiers": [tier(100, true), tier(1, true), tier(1000, false)]},
            {"prefix": "avalon", "tiers": [tier(1, true)]},
            {"prefix": "", "tiers": [tier(1, true)]},
            {"prefix": "broken", "tiers": [{"min_bits": 1, "images": {}}]},
        ]));
        assert_eq!(list.len(), 2, "no prefix or no image: skipped");
        assert_eq!(image_for(&list, "cheer", 1), Some("https://cdn/a2/1.png"));
        assert_eq!(image_for(&list, "CHEER", 99), Some("https://cdn/a2/1.png"));
        assert_eq!(
            image_for(&list, "Cheer", 100),
            Some("https://cdn/a2/100.png")
        );
        // No animation: the static image.
        assert_eq!(
            image_for(&list, "Cheer", 5000),
            Some("https://cdn/s2/1000.png")
        );
        assert_eq!(image_for(&list, "Avalon", 50), Some("https://cdn/a2/1.png"));
        assert_eq!(image_for(&list, "Kappa", 50), None);
        // Below the lowest tier (a zero-bit cheer from a test): the lowest tier.
        assert_eq!(image_for(&list, "cheer", 0), Some("https://cdn/a2/1.png"));
        assert!(parse(&json!({"not": "a list"})).is_empty());
    }
}
