//! The unified event: the one shape every producer's input becomes.
//!
//! On the wire an event is one flat JSON object: the envelope fields below plus the
//! type's own fields merged at the top level.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Where an event came from (`catalogue::source_of` says which, by its type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Twitch,
    Obs,
    Ironmon,
    Rainwave,
    System,
    Stream,
    /// seed: live analysis and stored contexts.
    Seed,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Twitch => "twitch",
            Source::Obs => "obs",
            Source::Ironmon => "ironmon",
            Source::Rainwave => "rainwave",
            Source::System => "system",
            Source::Stream => "stream",
            Source::Seed => "seed",
        }
    }
}

/// A Twitch emote id as chat fragments carry it: letters, digits and `_` (global
/// emotes are numbers, newer ones `emotesv2_<hex>`), at most 64 characters.
pub fn is_emote_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The envelope keys every event has. A type's own field with one of these names is
/// renamed during normalisation so that it never overwrites the envelope.
pub const ENVELOPE_KEYS: [&str; 8] = [
    "id",
    "type",
    "timestamp",
    "correlation_id",
    "source",
    "source_id",
    "raw_type",
    "seq",
];

/// A normalised event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Unique per event: the producer's message id when it has one, else `evt_` + 24 hex.
    pub id: String,
    /// The event type, e.g. `channel.follow`. Never overwritten by a field of the body.
    #[serde(rename = "type")]
    pub kind: String,
    /// Hub time of normalisation, ISO-8601 UTC with microseconds.
    pub timestamp: String,
    pub correlation_id: String,
    pub source: Source,
    /// The producer's own id for this message (EventSub message id), if any.
    pub source_id: Option<String>,
    /// The type as the producer named it.
    pub raw_type: String,
    /// Hub-wide, strictly increasing; 0 until the bus assigns it.
    #[serde(default)]
    pub seq: u64,
    /// The type's own fields, flat.
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

impl Event {
    pub fn field(&self, key: &str) -> Option<&Value> {
        self.fields.get(key)
    }

    pub fn str_field(&self, key: &str) -> Option<&str> {
        self.fields.get(key).and_then(Value::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_on_the_wire() {
        let mut fields = Map::new();
        fields.insert("user_login".into(), Value::from("alice"));
        let e = Event {
            id: "evt_1".into(),
            kind: "channel.follow".into(),
            timestamp: "2026-01-01T00:00:00.000000Z".into(),
            correlation_id: "abcd1234".into(),
            source: Source::Twitch,
            source_id: None,
            raw_type: "channel.follow".into(),
            seq: 3,
            fields,
        };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["type"], "channel.follow");
        assert_eq!(v["user_login"], "alice");
        assert_eq!(v["source"], "twitch");
        assert_eq!(v["seq"], 3);
        let back: Event = serde_json::from_value(v).unwrap();
        assert_eq!(back, e);
    }
}
