//! One frame's JSON as a tracker message (reference §9.5): `{"type", "data"}` (v2) or
//! `{"type", "metadata"}` (v1), with an optional top-level `timestamp` and `frame`.
//! Each of the eleven types is checked against its field rules and turned into the
//! flat fields of its `ironmon.*` event; anything else is a [`Reject`] with a reason.

use serde_json::{json, Map, Value};

/// Games the tracker reports (`init.game`).
pub fn game_name(game: i64) -> Option<&'static str> {
    Some(match game {
        1 => "Ruby/Sapphire",
        2 => "Emerald",
        3 => "FireRed/LeafGreen",
        _ => return None,
    })
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Init {
        version: String,
        game: i64,
    },
    Seed {
        count: i64,
    },
    Checkpoint {
        id: i64,
        name: String,
        seed: Option<i64>,
    },
    Location {
        id: i64,
    },
    BattleStart {
        trainer: String,
        pokemon: Vec<Value>,
    },
    BattleEnd {
        result: String,
        pokemon: Vec<Value>,
    },
    PokemonUpdate {
        team: Vec<Value>,
    },
    ItemUpdate {
        items: Vec<Value>,
    },
    StatsUpdate {
        stats: Map<String, Value>,
    },
    Error {
        code: String,
        message: String,
    },
    Heartbeat,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub kind: Kind,
    /// The message's own fields (`data` or `metadata`), kept for the event.
    pub fields: Map<String, Value>,
    /// `2` when the fields came in `data`, `1` for `metadata`.
    pub version: u8,
    pub timestamp: Option<Value>,
    pub frame: Option<i64>,
}

/// Why a frame was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Reject {
    #[error("not JSON: {0}")]
    InvalidJson(String),
    #[error("a message must be a JSON object with a string `type`")]
    NotAMessage,
    #[error("unknown message type {0:?}")]
    UnknownType(String),
    #[error("{kind}: missing {field}")]
    MissingField { kind: String, field: &'static str },
    #[error("{kind}: {field} {why}")]
    BadField {
        kind: String,
        field: &'static str,
        why: &'static str,
    },
}

impl Reject {
    /// A short name for counting.
    pub fn reason(&self) -> &'static str {
        match self {
            Reject::InvalidJson(_) => "invalid_json",
            Reject::NotAMessage => "not_a_message",
            Reject::UnknownType(_) => "unknown_type",
            Reject::MissingField { .. } => "missing_field",
            Reject::BadField { .. } => "bad_field",
        }
    }
}

pub const TYPES: [&str; 11] = [
    "init",
    "seed",
    "checkpoint",
    "location",
    "battle_start",
    "battle_end",
    "pokemon_update",
    "item_update",
    "stats_update",
    "error",
    "heartbeat",
];

struct Fields<'a> {
    kind: &'a str,
    map: &'a Map<String, Value>,
}

impl Fields<'_> {
    fn get(&self, field: &'static str) -> Result<&Value, Reject> {
        match self.map.get(field) {
            None | Some(Value::Null) => Err(Reject::MissingField {
                kind: self.kind.into(),
                field,
            }),
            Some(v) => Ok(v),
        }
    }
    fn bad(&self, field: &'static str, why: &'static str) -> Reject {
        Reject::BadField {
            kind: self.kind.into(),
            field,
            why,
        }
    }
    fn int(&self, field: &'static str) -> Result<i64, Reject> {
        let v = self.get(field)?;
        v.as_i64()
            .or_else(|| v.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
            .ok_or_else(|| self.bad(field, "must be a whole number"))
    }
    fn opt_int(&self, field: &'static str) -> Result<Option<i64>, Reject> {
        match self.map.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(_) => self.int(field).map(Some),
        }
    }
    fn text(&self, field: &'static str) -> Result<String, Reject> {
        self.get(field)?
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| self.bad(field, "must be a string"))
    }
    fn list(&self, field: &'static str) -> Result<Vec<Value>, Reject> {
        self.get(field)?
            .as_array()
            .cloned()
            .ok_or_else(|| self.bad(field, "must be a list"))
    }
}

/// Parse and check one frame.
pub fn parse(frame: &[u8]) -> Result<Message, Reject> {
    let v: Value = serde_json::from_slice(frame).map_err(|e| Reject::InvalidJson(e.to_string()))?;
    let Value::Object(top) = v else {
        return Err(Reject::NotAMessage);
    };
    let Some(kind) = top.get("type").and_then(Value::as_str) else {
        return Err(Reject::NotAMessage);
    };
    if !TYPES.contains(&kind) {
        return Err(Reject::UnknownType(kind.chars().take(40).collect()));
    }
    let empty = Map::new();
    let (map, version) = match (top.get("data"), top.get("metadata")) {
        (Some(Value::Object(m)), _) => (m, 2),
        (_, Some(Value::Object(m))) => (m, 1),
        (None | Some(Value::Null), None | Some(Value::Null)) => (&empty, 2),
        _ => {
            return Err(Reject::BadField {
                kind: kind.into(),
                field: "data",
                why: "must be an object",
            })
        }
    };
    let f = Fields { kind, map };
    let parsed = match kind {
        "init" => {
            let game = f.int("game")?;
            if game_name(game).is_none() {
                return Err(f.bad(
                    "game",
                    "must be 1 (Ruby/Sapphire), 2 (Emerald) or 3 (FireRed/LeafGreen)",
                ));
            }
            Kind::Init {
                version: f.text("version")?,
                game,
            }
        }
        "seed" => {
            let count = f.int("count")?;
            if count < 1 {
                return Err(f.bad("count", "must be 1 or more"));
            }
            Kind::Seed { count }
        }
        "checkpoint" => {
            let name = f.text("name")?;
            if name.trim().is_empty() {
                return Err(f.bad("name", "must not be empty"));
            }
            Kind::Checkpoint {
                id: f.int("id")?,
                name,
                seed: f.opt_int("seed")?,
            }
        }
        "location" => Kind::Location { id: f.int("id")? },
        "battle_start" => Kind::BattleStart {
            trainer: f.text("trainer")?,
            pokemon: f.list("pokemon")?,
        },
        "battle_end" => {
            let result = f.text("result")?;
            if !["win", "loss", "run"].contains(&result.as_str()) {
                return Err(f.bad("result", "must be win, loss or run"));
            }
            Kind::BattleEnd {
                result,
                pokemon: f.list("pokemon")?,
            }
        }
        "pokemon_update" => Kind::PokemonUpdate {
            team: f.list("team")?,
        },
        "item_update" => Kind::ItemUpdate {
            items: f.list("items")?,
        },
        "stats_update" => Kind::StatsUpdate {
            stats: f
                .get("stats")?
                .as_object()
                .cloned()
                .ok_or_else(|| f.bad("stats", "must be an object"))?,
        },
        "error" => Kind::Error {
            code: f.text("code")?,
            message: f.text("message")?,
        },
        _ => Kind::Heartbeat,
    };
    Ok(Message {
        kind: parsed,
        fields: map.clone(),
        version,
        timestamp: top.get("timestamp").filter(|t| !t.is_null()).cloned(),
        frame: top.get("frame").and_then(Value::as_i64),
    })
}

impl Message {
    /// The event type, or `None` for a heartbeat.
    pub fn event_type(&self) -> Option<&'static str> {
        Some(match self.kind {
            Kind::Init { .. } => "ironmon.init",
            Kind::Seed { .. } => "ironmon.seed",
            Kind::Checkpoint { .. } => "ironmon.checkpoint",
            Kind::Location { .. } => "ironmon.location",
            Kind::BattleStart { .. } => "ironmon.battle_start",
            Kind::BattleEnd { .. } => "ironmon.battle_end",
            Kind::PokemonUpdate { .. } => "ironmon.pokemon_update",
            Kind::ItemUpdate { .. } => "ironmon.item_update",
            Kind::StatsUpdate { .. } => "ironmon.stats_update",
            Kind::Error { .. } => "ironmon.error",
            Kind::Heartbeat => return None,
        })
    }

    /// The event's flat fields (reference §7.2 names, with real values).
    pub fn event_fields(&self) -> Map<String, Value> {
        let mut out = match &self.kind {
            Kind::Init { version, game } => json!({"version": version, "game_type": game,
                "game_name": game_name(*game)}),
            Kind::Seed { count } => json!({"seed_count": count}),
            Kind::Checkpoint { id, name, seed } => json!({"checkpoint_id": id,
                "checkpoint_name": name, "seed_count": seed,
                "next": self.fields.get("next").cloned().unwrap_or(Value::Null)}),
            Kind::Location { id } => json!({"location_id": id,
                "location_name": self.fields.get("name").cloned().unwrap_or(Value::Null)}),
            Kind::BattleStart { trainer, pokemon } => json!({"trainer_name": trainer,
                "opponent_pokemon": pokemon,
                "battle_type": self.fields.get("battle_type").cloned().unwrap_or(Value::Null)}),
            Kind::BattleEnd { result, pokemon } => json!({"battle_result": result,
                "winner": if result == "win" { "player" } else if result == "loss" { "opponent" } else { "none" },
                "pokemon": pokemon}),
            Kind::PokemonUpdate { team } => {
                let lead = team.first().cloned().unwrap_or(Value::Null);
                json!({"team": team, "pokemon_name": lead.get("name").cloned(),
                       "pokemon_level": lead.get("level").and_then(Value::as_i64).filter(|l| *l > 0),
                       "pokemon_hp": lead.get("hp").and_then(Value::as_i64).filter(|h| *h >= 0)})
            }
            Kind::ItemUpdate { items } => json!({"items": items}),
            Kind::StatsUpdate { stats } => json!({"stats": stats}),
            Kind::Error { code, message } => json!({"code": code, "message": message}),
            Kind::Heartbeat => json!({}),
        };
        let o = out.as_object_mut().expect("an object");
        o.retain(|_, v| !v.is_null());
        if let Some(f) = self.frame {
            o.insert("frame".into(), f.into());
        }
        o.insert("protocol_version".into(), self.version.into());
        std::mem::take(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> Message {
        parse(s.as_bytes()).unwrap_or_else(|e| panic!("{s}: {e}"))
    }
    fn err(s: &str) -> &'static str {
        parse(s.as_bytes()).expect_err(s).reason()
    }

    #[test]
    fn every_type_in_v1_and_v2() {
        let cases = [
            (
                r#"{"type":"init","metadata":{"version":"1.2","game":3}}"#,
                "ironmon.init",
            ),
            (r#"{"type":"seed","data":{"count":42}}"#, "ironmon.seed"),
            (
                r#"{"type":"checkpoint","metadata":{"id":5,"name":"BROCK","next":{"trainer":"Misty","clearRate":0.4}}}"#,
                "ironmon.checkpoint",
            ),
            (
                r#"{"type":"location","data":{"id":12,"name":"Pewter City"}}"#,
                "ironmon.location",
            ),
            (
                r#"{"type":"battle_start","data":{"trainer":"Brock","pokemon":[{"name":"Onix","level":14}]}}"#,
                "ironmon.battle_start",
            ),
            (
                r#"{"type":"battle_end","data":{"result":"loss","pokemon":[]}}"#,
                "ironmon.battle_end",
            ),
            (
                r#"{"type":"pokemon_update","data":{"team":[{"name":"Pidgey","level":9,"hp":20}]}}"#,
                "ironmon.pokemon_update",
            ),
            (
                r#"{"type":"item_update","data":{"items":[{"name":"Potion","count":2}]}}"#,
                "ironmon.item_update",
            ),
            (
                r#"{"type":"stats_update","data":{"stats":{"steps":100}}}"#,
                "ironmon.stats_update",
            ),
            (
                r#"{"type":"error","data":{"code":"E1","message":"save state failed"}}"#,
                "ironmon.error",
            ),
        ];
        for (json, event) in cases {
            assert_eq!(ok(json).event_type(), Some(event), "{json}");
        }
        assert_eq!(ok(r#"{"type":"heartbeat"}"#).event_type(), None);
        let init = ok(
            r#"{"type":"init","metadata":{"version":"1.2","game":3},"timestamp":1700000000,"frame":9}"#,
        );
        let f = init.event_fields();
        assert_eq!(f["game_name"], "FireRed/LeafGreen");
        assert_eq!(f["frame"], 9);
        assert_eq!(f["protocol_version"], 1);
        let team = ok(
            r#"{"type":"pokemon_update","data":{"team":[{"name":"Pidgey","level":9,"hp":20}]}}"#,
        )
        .event_fields();
        assert_eq!(
            (team["pokemon_name"].clone(), team["pokemon_level"].clone()),
            (json!("Pidgey"), json!(9))
        );
    }

    #[test]
    fn bad_messages_name_their_reason() {
        assert_eq!(err("{nope"), "invalid_json");
        assert_eq!(err("[1,2]"), "not_a_message");
        assert_eq!(err(r#"{"data":{}}"#), "not_a_message");
        assert_eq!(err(r#"{"type":"warp","data":{}}"#), "unknown_type");
        assert_eq!(err(r#"{"type":"seed","data":{}}"#), "missing_field");
        assert_eq!(err(r#"{"type":"seed","data":{"count":"x"}}"#), "bad_field");
        assert_eq!(err(r#"{"type":"seed","data":{"count":0}}"#), "bad_field");
        assert_eq!(
            err(r#"{"type":"init","data":{"version":"1","game":9}}"#),
            "bad_field"
        );
        assert_eq!(
            err(r#"{"type":"battle_end","data":{"result":"draw","pokemon":[]}}"#),
            "bad_field"
        );
        assert_eq!(
            err(r#"{"type":"battle_start","data":{"trainer":"Brock"}}"#),
            "missing_field"
        );
        assert_eq!(
            err(r#"{"type":"checkpoint","data":{"id":1,"name":" "}}"#),
            "bad_field"
        );
        assert_eq!(
            err(r#"{"type":"stats_update","data":{"stats":[1]}}"#),
            "bad_field"
        );
        assert_eq!(
            err(r#"{"type":"error","data":{"code":"E"}}"#),
            "missing_field"
        );
        assert_eq!(err(r#"{"type":"seed","data":5}"#), "bad_field");
        let e = parse(br#"{"type":"seed","data":{}}"#).unwrap_err();
        assert_eq!(e.to_string(), "seed: missing count");
    }
}
