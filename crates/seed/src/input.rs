//! What seed hears from the hub, as one timeline: speech (`new_transcription` on
//! `transcription:live`), chat and interactions (`events:all`, the hub's flat
//! fields). Every time is microseconds since the Unix epoch. A payload that cannot be
//! read is an error naming what was wrong; the caller counts it and moves on.

use chrono::DateTime;
use serde::Serialize;
use serde_json::Value;

/// Microseconds since the Unix epoch.
pub type Micros = i64;

pub const SECOND: Micros = 1_000_000;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Speech {
    pub ts: Micros,
    /// Seconds.
    pub duration: f64,
    pub text: String,
    pub confidence: Option<f64>,
    pub id: Option<String>,
    pub seq: Option<u64>,
}

impl Speech {
    /// When the sentence ended.
    pub fn end(&self) -> Micros {
        self.ts + (self.duration.max(0.0) * SECOND as f64) as Micros
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chat {
    pub ts: Micros,
    pub user: String,
    pub message: String,
    pub emotes: Vec<String>,
    pub native_emotes: Vec<String>,
    pub subscriber: bool,
    pub moderator: bool,
    pub id: String,
    pub seq: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Follow,
    Subscription,
    GiftSubscription,
    Resubscription,
    Cheer,
    Raid,
    ChannelUpdate,
    StreamOnline,
    StreamOffline,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Follow => "follow",
            Kind::Subscription => "subscription",
            Kind::GiftSubscription => "gift_subscription",
            Kind::Resubscription => "resubscription",
            Kind::Cheer => "cheer",
            Kind::Raid => "raid",
            Kind::ChannelUpdate => "channel_update",
            Kind::StreamOnline => "stream_online",
            Kind::StreamOffline => "stream_offline",
        }
    }

    /// The hub's event type for this kind.
    pub fn of_type(t: &str) -> Option<Kind> {
        Some(match t {
            "channel.follow" => Kind::Follow,
            "channel.subscribe" => Kind::Subscription,
            "channel.subscription.gift" => Kind::GiftSubscription,
            "channel.subscription.message" => Kind::Resubscription,
            "channel.cheer" => Kind::Cheer,
            "channel.raid" => Kind::Raid,
            "channel.update" => Kind::ChannelUpdate,
            "stream.online" => Kind::StreamOnline,
            "stream.offline" => Kind::StreamOffline,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Interaction {
    pub ts: Micros,
    pub kind: Kind,
    /// Who: the follower, subscriber, gifter, cheerer, raiding channel.
    pub user: Option<String>,
    /// Bits, gifted subs, raiders (0 when the kind has no amount).
    pub amount: u64,
    /// A channel update's title and category.
    pub detail: Option<String>,
    pub id: String,
    pub seq: Option<u64>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Observation {
    Speech(Speech),
    Chat(Chat),
    Interaction(Interaction),
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct Malformed(pub String);

/// An RFC 3339 time (trailing `Z` or an offset) as microseconds.
pub fn parse_time(v: &Value) -> Option<Micros> {
    match v {
        Value::String(s) => DateTime::parse_from_rfc3339(s.trim())
            .ok()
            .map(|t| t.timestamp_micros()),
        _ => None,
    }
}

fn str_of<'a>(p: &'a Value, k: &str) -> Option<&'a str> {
    p.get(k)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// A list of strings at `k` (non-strings skipped; missing → empty).
pub fn strings(p: &Value, k: &str) -> Vec<String> {
    p.get(k)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// A `new_transcription` push. Partial lines never reach here.
pub fn transcription(p: &Value) -> Result<Speech, Malformed> {
    let text = str_of(p, "text").ok_or_else(|| Malformed("transcription without text".into()))?;
    let ts = parse_time(p.get("timestamp").unwrap_or(&Value::Null))
        .ok_or_else(|| Malformed("transcription timestamp is not an RFC 3339 time".into()))?;
    let duration = match p.get("duration") {
        None | Some(Value::Null) => 0.0,
        Some(v) => v
            .as_f64()
            .filter(|d| d.is_finite() && (0.0..=3600.0).contains(d))
            .ok_or_else(|| Malformed(format!("transcription duration {v} is not seconds")))?,
    };
    Ok(Speech {
        ts,
        duration,
        text: text.to_string(),
        confidence: p.get("confidence").and_then(Value::as_f64),
        id: str_of(p, "id").map(str::to_owned),
        seq: p.get("seq").and_then(Value::as_u64),
    })
}

/// An `events:all` push: `Ok(None)` for a type seed does not follow.
pub fn event(p: &Value) -> Result<Option<Observation>, Malformed> {
    let kind = str_of(p, "type").ok_or_else(|| Malformed("event without a type".into()))?;
    let id = str_of(p, "id")
        .ok_or_else(|| Malformed(format!("{kind} without an id")))?
        .to_string();
    let ts = parse_time(p.get("timestamp").unwrap_or(&Value::Null))
        .ok_or_else(|| Malformed(format!("{kind} {id}: timestamp is not an RFC 3339 time")))?;
    let seq = p.get("seq").and_then(Value::as_u64);
    let user = || {
        str_of(p, "user_name")
            .or_else(|| str_of(p, "user_login"))
            .map(str::to_owned)
    };
    if kind == "channel.chat.message" {
        let user = user().ok_or_else(|| Malformed(format!("chat {id} without user_name")))?;
        let message = match p.get("message") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Object(m)) => m
                .get("text")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            _ => return Err(Malformed(format!("chat {id} without a message"))),
        };
        let badges: Vec<&str> = p
            .get("badges")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|b| b.get("set_id").and_then(Value::as_str))
                    .collect()
            })
            .unwrap_or_default();
        return Ok(Some(Observation::Chat(Chat {
            ts,
            user,
            message,
            emotes: strings(p, "emotes"),
            native_emotes: strings(p, "native_emotes"),
            subscriber: badges.contains(&"subscriber") || badges.contains(&"founder"),
            moderator: badges.contains(&"moderator") || badges.contains(&"broadcaster"),
            id,
            seq,
        })));
    }
    let Some(k) = Kind::of_type(kind) else {
        return Ok(None);
    };
    let n = |key: &str| p.get(key).and_then(Value::as_u64).unwrap_or(0);
    let (who, amount, detail) = match k {
        Kind::Cheer => (user(), n("bits"), None),
        Kind::GiftSubscription => (user(), n("total").max(1), None),
        Kind::Raid => (
            str_of(p, "from_broadcaster_user_name")
                .or_else(|| str_of(p, "from_broadcaster_user_login"))
                .map(str::to_owned),
            n("viewers"),
            None,
        ),
        Kind::ChannelUpdate => (
            None,
            0,
            Some(format!(
                "{} ({})",
                str_of(p, "title").unwrap_or("untitled"),
                str_of(p, "category_name").unwrap_or("no category")
            )),
        ),
        Kind::StreamOnline | Kind::StreamOffline => (None, 0, None),
        _ => (user(), 0, None),
    };
    Ok(Some(Observation::Interaction(Interaction {
        ts,
        kind: k,
        user: who,
        amount,
        detail,
        id,
        seq,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn transcription_times_are_exact_microseconds() {
        let s = transcription(&json!({"timestamp": "2023-01-01T12:00:00.000Z", "duration": 2.5, "text": " hi ", "seq": 7, "id": "t"})).unwrap();
        assert_eq!(s.ts, 1_672_574_400_000_000);
        assert_eq!((s.text.as_str(), s.duration, s.seq), ("hi", 2.5, Some(7)));
        assert_eq!(s.end(), 1_672_574_402_500_000);
        let offset =
            transcription(&json!({"timestamp": "2023-01-01T04:00:00-08:00", "text": "x"})).unwrap();
        assert_eq!((offset.ts, offset.duration), (1_672_574_400_000_000, 0.0));
        for bad in [
            json!({"timestamp": "yesterday", "text": "x"}),
            json!({"text": "x"}),
            json!({"timestamp": "2023-01-01T12:00:00Z", "text": ""}),
            json!({"timestamp": "2023-01-01T12:00:00Z", "text": "x", "duration": -1}),
        ] {
            assert!(transcription(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn flat_chat_and_interactions() {
        let chat = event(&json!({"type": "channel.chat.message", "id": "c1", "seq": 9, "timestamp": "2026-01-01T00:00:01Z",
            "user_name": "Alice", "message": "avalonHYPE nice", "emotes": ["Kappa"], "native_emotes": ["avalonHYPE"],
            "badges": [{"set_id": "subscriber", "id": "12"}]}))
        .unwrap()
        .unwrap();
        let Observation::Chat(c) = chat else { panic!() };
        assert_eq!(
            (c.user.as_str(), c.subscriber, c.moderator, c.seq),
            ("Alice", true, false, Some(9))
        );
        assert_eq!(c.native_emotes, ["avalonHYPE"]);
        assert_eq!(c.ts, 1_767_225_601_000_000);
        let raid = event(
            &json!({"type": "channel.raid", "id": "r", "timestamp": "2026-01-01T00:00:01Z",
            "from_broadcaster_user_name": "Friend", "viewers": 42}),
        )
        .unwrap()
        .unwrap();
        let Observation::Interaction(r) = raid else {
            panic!()
        };
        assert_eq!(
            (r.kind, r.user.as_deref(), r.amount),
            (Kind::Raid, Some("Friend"), 42)
        );
        let follow = event(&json!({"type": "channel.follow", "id": "f", "timestamp": "2026-01-01T00:00:01Z", "user_name": "Bob"}))
            .unwrap()
            .unwrap();
        assert!(matches!(
            follow,
            Observation::Interaction(Interaction {
                kind: Kind::Follow,
                ..
            })
        ));
        assert_eq!(event(&json!({"type": "obs.scene_changed", "id": "o", "timestamp": "2026-01-01T00:00:01Z"})).unwrap(), None);
        for bad in [
            json!({"id": "x"}),
            json!({"type": "channel.chat.message", "id": "c", "timestamp": "2026-01-01T00:00:01Z", "message": "no user"}),
            json!({"type": "channel.follow", "id": "f", "timestamp": 1767225601}),
        ] {
            assert!(event(&bad).is_err(), "{bad}");
        }
    }
}
