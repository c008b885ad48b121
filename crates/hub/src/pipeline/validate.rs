//! Step 1 of the pipeline: validate an event body against its type's schema
//! (required fields, their types, string rules).
//!
//! Departure from the reference: fields that a schema does not declare are kept, not
//! dropped (the original system's dropping is what lost every field of most types).
//! Declared fields are type-checked; every string anywhere is checked for control
//! bytes and length.

use serde_json::Value;

/// Field-level errors: field path → messages. Sorted by field for stable output.
use landale_core::FieldErrors;

pub const MAX_PAYLOAD_BYTES: usize = 100 * 1024;
pub const MAX_STRING_BYTES: usize = 2000;
pub const MAX_UNKNOWN_KEYS: usize = 50;
pub const MAX_DEPTH: usize = 32;

#[derive(Debug, Clone, Copy)]
enum Check {
    /// Twitch user id: numeric string, at most 50 bytes.
    UserId,
    /// Twitch login: `^[a-zA-Z0-9_]{1,25}$`.
    Login,
    /// "1000", "2000" or "3000".
    Tier,
    /// String of at most N bytes.
    Str(usize),
    Bool,
    /// Integer > 0.
    PosInt,
    /// Integer >= 0.
    NonNegInt,
    /// ISO-8601 / RFC 3339 datetime string.
    DateTime,
    /// At most 100 strings of at most 100 bytes.
    StrList,
    Map,
    List,
    /// Chat message content: a map whose `text` is a string of at most 500 bytes.
    ChatMessage,
    /// A string from a fixed set.
    OneOf(&'static [&'static str]),
}

struct Field {
    name: &'static str,
    check: Check,
    required: bool,
}

const fn req(name: &'static str, check: Check) -> Field {
    Field {
        name,
        check,
        required: true,
    }
}
const fn opt(name: &'static str, check: Check) -> Field {
    Field {
        name,
        check,
        required: false,
    }
}

const BROADCASTER: [Field; 3] = [
    req("broadcaster_user_id", Check::UserId),
    req("broadcaster_user_login", Check::Login),
    opt("broadcaster_user_name", Check::Str(100)),
];

const TAKEOVER_TYPES: &[&str] = &[
    "technical-difficulties",
    "screen-cover",
    "please-stand-by",
    "custom",
    "alert",
    "manual_override",
];

/// The declared fields of a type, or `None` for types without a schema.
fn schema(event_type: &str) -> Option<Vec<Field>> {
    use Check::*;
    let with_broadcaster = |mut extra: Vec<Field>| {
        let mut v: Vec<Field> = BROADCASTER.into_iter().collect();
        v.append(&mut extra);
        v
    };
    let user = || {
        vec![
            req("user_id", UserId),
            req("user_login", Login),
            opt("user_name", Str(100)),
        ]
    };
    Some(match event_type {
        "stream.online" => with_broadcaster(vec![
            opt("id", Str(100)),
            opt("type", Str(50)),
            opt("started_at", DateTime),
        ]),
        "stream.offline" | "channel.chat.clear" => with_broadcaster(vec![]),
        "channel.follow" => with_broadcaster({
            let mut v = user();
            v.push(opt("followed_at", DateTime));
            v
        }),
        "channel.subscribe" | "channel.subscription.end" => with_broadcaster({
            let mut v = user();
            v.push(opt("tier", Tier));
            v.push(opt("is_gift", Bool));
            v
        }),
        "channel.subscription.gift" => with_broadcaster(vec![
            opt("user_id", UserId),
            opt("user_login", Login),
            opt("user_name", Str(100)),
            opt("tier", Tier),
            opt("total", PosInt),
            opt("cumulative_total", PosInt),
            opt("is_anonymous", Bool),
        ]),
        "channel.subscription.message" => with_broadcaster({
            let mut v = user();
            v.push(opt("tier", Tier));
            v.push(opt("cumulative_months", NonNegInt));
            v.push(opt("streak_months", NonNegInt));
            v.push(opt("duration_months", NonNegInt));
            v.push(opt("message", Map));
            v
        }),
        "channel.cheer" => with_broadcaster(vec![
            opt("user_id", UserId),
            opt("user_login", Login),
            opt("user_name", Str(100)),
            opt("is_anonymous", Bool),
            req("bits", PosInt),
            opt("message", Str(500)),
        ]),
        "channel.raid" => vec![
            req("from_broadcaster_user_id", UserId),
            req("from_broadcaster_user_login", Login),
            opt("from_broadcaster_user_name", Str(100)),
            req("to_broadcaster_user_id", UserId),
            req("to_broadcaster_user_login", Login),
            opt("to_broadcaster_user_name", Str(100)),
            opt("viewers", NonNegInt),
        ],
        "channel.update" => with_broadcaster(vec![
            opt("title", Str(500)),
            opt("language", Str(10)),
            opt("category_id", Str(50)),
            opt("category_name", Str(500)),
            opt("content_classification_labels", StrList),
        ]),
        "channel.chat.message" => vec![
            req("message_id", Str(100)),
            req("broadcaster_user_id", UserId),
            opt("broadcaster_user_login", Login),
            opt("broadcaster_user_name", Str(100)),
            req("chatter_user_id", UserId),
            opt("chatter_user_login", Login),
            opt("chatter_user_name", Str(100)),
            opt("message", ChatMessage),
            opt("color", Str(20)),
            opt("badges", List),
            opt("message_type", Str(50)),
            opt("cheer", Map),
            opt("reply", Map),
            opt("channel_points_custom_reward_id", Str(100)),
        ],
        "channel.chat.message_delete" => vec![
            req("broadcaster_user_id", UserId),
            opt("broadcaster_user_login", Login),
            req("target_user_id", UserId),
            opt("target_user_login", Login),
            req("message_id", Str(100)),
        ],
        "channel.goal.begin" => vec![
            req("id", Str(100)),
            req("broadcaster_user_id", UserId),
            req("type", Str(50)),
            opt("description", Str(500)),
            opt("current_amount", NonNegInt),
            req("target_amount", NonNegInt),
            opt("started_at", DateTime),
        ],
        "channel.goal.progress" => vec![
            req("id", Str(100)),
            req("broadcaster_user_id", UserId),
            opt("type", Str(50)),
            req("current_amount", NonNegInt),
            opt("target_amount", NonNegInt),
        ],
        "channel.goal.end" => vec![
            req("id", Str(100)),
            req("broadcaster_user_id", UserId),
            opt("type", Str(50)),
            opt("is_achieved", Bool),
            opt("ended_at", DateTime),
        ],
        "obs.connection_established" => vec![
            opt("rpc_version", PosInt),
            opt("websocket_version", Str(20)),
        ],
        "obs.websocket_event" => vec![req("eventType", Str(100)), opt("eventData", Map)],
        t if t.starts_with("obs.") && t != "obs.stats_updated" && t != "obs.unknown_event" => {
            vec![]
        }
        "ironmon.init"
        | "ironmon.seed"
        | "ironmon.checkpoint"
        | "ironmon.location"
        | "ironmon.battle_start"
        | "ironmon.battle_end"
        | "ironmon.pokemon_update"
        | "ironmon.item_update"
        | "ironmon.stats_update"
        | "ironmon.error" => vec![
            opt("version", Str(50)),
            opt("seed_count", NonNegInt),
            opt("pokemon_level", PosInt),
            opt("pokemon_hp", NonNegInt),
            opt("run", Map),
        ],
        "ironmon.run_started" | "ironmon.run_checkpoint" | "ironmon.run_ended" => {
            vec![req("seed_id", PosInt), opt("run", Map)]
        }
        t if t.starts_with("rainwave.") => vec![
            opt("song_id", PosInt),
            opt("station_id", PosInt),
            opt("previous_station_id", PosInt),
        ],
        "system.service_started" | "system.service_stopped" | "system.health_check" => {
            vec![req("service", Str(100)), opt("pid", PosInt)]
        }
        "system.performance_metric" => vec![req("metric", Str(100)), opt("process_id", PosInt)],
        "seed.analysis" => vec![
            req("summary", Str(2000)),
            req("analysis", OneOf(&["llm", "deterministic"])),
            opt(
                "sentiment",
                OneOf(&["positive", "negative", "neutral", "mixed"]),
            ),
            opt("topics", StrList),
            opt("mood", Str(100)),
            opt("since", DateTime),
            opt("until", DateTime),
        ],
        "seed.context" => vec![
            req("started", DateTime),
            req("ended", DateTime),
            req("session", Str(100)),
            opt("summary", Str(2000)),
            opt("topics", StrList),
        ],
        "stream.show_changed" => vec![req("show", OneOf(&["variety", "ironmon", "coding"]))],
        "stream.emote_increment" => vec![req("emotes", List), req("user_name", Str(100))],
        "stream.takeover_started" => vec![
            req("takeover_type", OneOf(TAKEOVER_TYPES)),
            opt("message", Str(500)),
            opt("duration", NonNegInt),
        ],
        "stream.state_updated" => vec![
            opt("current_show", Str(50)),
            opt("base", Map),
            opt("alerts", List),
            opt("ticker", List),
            opt("timeline", List),
            opt("version", NonNegInt),
            opt("metadata", Map),
        ],
        _ => return None,
    })
}

/// Validate `data` for `event_type`. `Ok(())` means the event may be normalised.
pub fn validate(event_type: &str, data: &Value) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut add = |field: &str, msg: String| landale_core::fields::add(&mut errors, field, msg);

    if event_type.is_empty()
        || event_type.len() > 100
        || !event_type.bytes().all(|b| b.is_ascii_graphic())
    {
        add("type", "must be 1..100 printable ASCII characters".into());
    } else if landale_protocol::catalogue::source_of(event_type).is_none() {
        add(
            "type",
            format!("unknown event type {event_type:?}: not in the event catalogue and in no known family (channel.*, stream.*, user.*, obs.*, ironmon.*, rainwave.*, system.*, twitch.*)"),
        );
    }
    let Value::Object(map) = data else {
        add("data", "must be a map".into());
        return Err(errors);
    };
    let size = serde_json::to_vec(data)
        .map(|v| v.len())
        .unwrap_or(usize::MAX);
    if size > MAX_PAYLOAD_BYTES {
        add(
            "data",
            format!("is too large ({size} bytes; maximum is {MAX_PAYLOAD_BYTES})"),
        );
        return Err(errors);
    }

    let fields = schema(event_type);
    match &fields {
        Some(fields) => {
            for f in fields {
                match map.get(f.name) {
                    None | Some(Value::Null) => {
                        if f.required {
                            add(f.name, "is required".into());
                        }
                    }
                    Some(v) => {
                        if let Err(msg) = check(f.check, v) {
                            add(f.name, msg);
                        }
                    }
                }
            }
        }
        None => {
            if map.len() > MAX_UNKNOWN_KEYS {
                add(
                    "data",
                    format!(
                        "has {} top-level keys; maximum is {MAX_UNKNOWN_KEYS}",
                        map.len()
                    ),
                );
            }
        }
    }

    // Strings anywhere: no control bytes 0x00-0x04, at most 2000 bytes; bounded depth.
    for (k, v) in map {
        scan(k, v, 1, &mut add);
    }

    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn scan(path: &str, v: &Value, depth: usize, add: &mut impl FnMut(&str, String)) {
    if depth > MAX_DEPTH {
        add(
            path,
            format!("is nested too deeply (maximum depth {MAX_DEPTH})"),
        );
        return;
    }
    match v {
        Value::String(s) => {
            if s.bytes().any(|b| b <= 0x04) {
                add(path, "must not contain control characters".into());
            }
            if s.len() > MAX_STRING_BYTES {
                add(
                    path,
                    format!("is too long (maximum is {MAX_STRING_BYTES} bytes)"),
                );
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                scan(&format!("{path}[{i}]"), item, depth + 1, add);
            }
        }
        Value::Object(m) => {
            for (k, item) in m {
                scan(&format!("{path}.{k}"), item, depth + 1, add);
            }
        }
        _ => {}
    }
}

fn is_login(s: &str) -> bool {
    (1..=25).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

pub(crate) fn is_datetime(s: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(s).is_ok()
}

fn check(c: Check, v: &Value) -> Result<(), String> {
    let s = v.as_str();
    match c {
        Check::UserId => match s {
            Some(s) if !s.is_empty() && s.len() <= 50 && s.bytes().all(|b| b.is_ascii_digit()) => {
                Ok(())
            }
            Some(_) => Err("must be a numeric Twitch user id".into()),
            None => Err("must be a string".into()),
        },
        Check::Login => match s {
            Some(s) if is_login(s) => Ok(()),
            Some(_) => Err("must be a Twitch login (1-25 letters, digits or _)".into()),
            None => Err("must be a string".into()),
        },
        Check::Tier => match s {
            Some("1000" | "2000" | "3000") => Ok(()),
            _ => Err("must be one of 1000, 2000, 3000".into()),
        },
        Check::Str(max) => match s {
            Some(s) if s.len() <= max => Ok(()),
            Some(_) => Err(format!("is too long (maximum is {max} bytes)")),
            None => Err("must be a string".into()),
        },
        Check::Bool => v
            .is_boolean()
            .then_some(())
            .ok_or_else(|| "must be a boolean".into()),
        Check::PosInt => match v.as_i64() {
            Some(n) if n > 0 => Ok(()),
            Some(_) => Err("must be greater than 0".into()),
            None => Err("must be an integer".into()),
        },
        Check::NonNegInt => match v.as_i64() {
            Some(n) if n >= 0 => Ok(()),
            Some(_) => Err("must be greater than or equal to 0".into()),
            None => Err("must be an integer".into()),
        },
        Check::DateTime => match s {
            Some(s) if is_datetime(s) => Ok(()),
            _ => Err("must be a valid ISO 8601 datetime".into()),
        },
        Check::StrList => match v.as_array() {
            Some(items) if items.len() > 100 => Err("must have at most 100 items".into()),
            Some(items) => {
                if items
                    .iter()
                    .all(|i| i.as_str().is_some_and(|s| s.len() <= 100))
                {
                    Ok(())
                } else {
                    Err("must be a list of strings of at most 100 bytes".into())
                }
            }
            None => Err("must be a list".into()),
        },
        Check::Map => v
            .is_object()
            .then_some(())
            .ok_or_else(|| "must be a map".into()),
        Check::List => v
            .is_array()
            .then_some(())
            .ok_or_else(|| "must be a list".into()),
        Check::ChatMessage => match v.get("text") {
            Some(Value::String(t)) if t.len() <= 500 => Ok(()),
            Some(Value::String(_)) => Err("text is too long (maximum is 500 bytes)".into()),
            _ => Err("must be a map with a string `text`".into()),
        },
        Check::OneOf(allowed) => match s {
            Some(s) if allowed.contains(&s) => Ok(()),
            _ => Err(format!("must be one of: {}", allowed.join(", "))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn follow() -> Value {
        json!({"user_id": "1", "user_login": "alice", "user_name": "Alice",
               "broadcaster_user_id": "12826", "broadcaster_user_login": "avalonstar",
               "followed_at": "2026-11-24T06:00:00Z"})
    }

    fn err_fields(t: &str, v: Value) -> Vec<String> {
        validate(t, &v).unwrap_err().into_keys().collect()
    }

    #[test]
    fn accepts_a_follow() {
        assert_eq!(validate("channel.follow", &follow()), Ok(()));
    }

    #[test]
    fn rejects_each_rule() {
        let mut v = follow();
        v["user_id"] = json!("abc");
        assert_eq!(err_fields("channel.follow", v), ["user_id"]);
        let mut v = follow();
        v["user_login"] = json!("no spaces allowed");
        assert_eq!(err_fields("channel.follow", v), ["user_login"]);
        let mut v = follow();
        v["user_id"] = json!(1);
        assert_eq!(err_fields("channel.follow", v), ["user_id"]);
        let mut v = follow();
        v.as_object_mut().unwrap().remove("broadcaster_user_id");
        assert_eq!(err_fields("channel.follow", v), ["broadcaster_user_id"]);
        let mut v = follow();
        v["followed_at"] = json!("yesterday");
        assert_eq!(err_fields("channel.follow", v), ["followed_at"]);
        let mut v = follow();
        v["tier"] = json!("4000");
        assert_eq!(err_fields("channel.subscribe", v), ["tier"]);
        let mut v = follow();
        v["user_name"] = json!("bad\u{0001}name");
        assert_eq!(err_fields("channel.follow", v), ["user_name"]);
        let mut v = follow();
        v["extra"] = json!("x".repeat(2001));
        assert_eq!(err_fields("channel.follow", v), ["extra"]);
    }

    #[test]
    fn cheer_and_chat_rules() {
        let base = json!({"broadcaster_user_id": "1", "broadcaster_user_login": "b", "bits": -5});
        assert_eq!(err_fields("channel.cheer", base), ["bits"]);
        let chat = json!({"message_id": "m", "broadcaster_user_id": "1", "chatter_user_id": "2",
                          "message": {"text": "x".repeat(501)}});
        assert_eq!(err_fields("channel.chat.message", chat), ["message"]);
        let labels = json!({"broadcaster_user_id": "1", "broadcaster_user_login": "b",
                            "content_classification_labels": vec!["a"; 101]});
        assert_eq!(
            err_fields("channel.update", labels),
            ["content_classification_labels"]
        );
    }

    #[test]
    fn unknown_types_are_bounded_not_dropped() {
        assert_eq!(
            validate(
                "channel.brand_new",
                &json!({"anything": {"nested": [1, 2]}})
            ),
            Ok(())
        );
        let big: serde_json::Map<String, Value> =
            (0..51).map(|i| (format!("k{i}"), json!(i))).collect();
        assert_eq!(
            err_fields("channel.brand_new", Value::Object(big)),
            ["data"]
        );
    }

    #[test]
    fn a_type_from_no_known_family_is_refused_by_name() {
        assert_eq!(err_fields("nonsense.thing", json!({})), ["type"]);
        let e = validate("nonsense.thing", &json!({})).unwrap_err();
        assert!(e["type"][0].contains("not in the event catalogue"), "{e:?}");
        assert!(
            validate("channel.brand_new", &json!({})).is_ok(),
            "a new Twitch type"
        );
    }

    #[test]
    fn size_and_shape_limits() {
        assert_eq!(err_fields("channel.follow", json!([1, 2])), ["data"]);
        let huge = json!({"blob": vec!["y".repeat(1000); 120]});
        // Any type of a known family without a schema (a type from no family is refused).
        assert_eq!(err_fields("system.x_y", huge), ["data"]);
        let mut deep = json!(1);
        for _ in 0..40 {
            deep = json!({ "d": deep });
        }
        assert!(validate("system.x_y", &deep).is_err());
    }

    #[test]
    fn goal_keeps_type_required() {
        let g = json!({"id": "g1", "broadcaster_user_id": "1", "type": "follower", "target_amount": 100});
        assert_eq!(validate("channel.goal.begin", &g), Ok(()));
        assert_eq!(
            err_fields(
                "channel.goal.begin",
                json!({"id": "g1", "broadcaster_user_id": "1"})
            ),
            ["target_amount", "type"]
        );
    }
}
