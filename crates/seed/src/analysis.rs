//! An analysis: what the LLM is asked for (the reference's schema, with its enums),
//! how its answer is checked, and the deterministic analysis seed makes without an
//! LLM (keyword sentiment, topics from frequent words, chat velocity, emotes).

use crate::correlator::{self, top};
use crate::input::{Chat, Interaction, Speech};
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

pub const SENTIMENTS: [&str; 4] = ["positive", "negative", "neutral", "mixed"];
pub const TRAJECTORIES: [&str; 4] = ["improving", "declining", "stable", "swinging"];
pub const DYNAMICS: [(&str, [&str; 4]); 5] = [
    (
        "energy_trajectory",
        ["ramping_up", "winding_down", "steady_state", "volatile"],
    ),
    (
        "engagement_trend",
        ["deepening", "surfacing", "stable", "fluctuating"],
    ),
    (
        "community_trend",
        ["synchronizing", "diverging", "stable", "chaotic"],
    ),
    (
        "content_evolution",
        ["focused", "exploring", "transitioning", "scattered"],
    ),
    (
        "overall_momentum",
        ["building", "declining", "sustained", "shifting"],
    ),
];

/// Who made an analysis.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Llm {
        model: String,
    },
    /// Without an LLM, and why.
    Deterministic {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    /// One or two sentences: what is happening.
    pub summary: String,
    pub sentiment: String,
    pub topics: Vec<String>,
    pub mood: Option<String>,
    /// energy_level, engagement_depth, community_sync (0..1), content_focus,
    /// mood_indicators, temporal_flow.
    pub patterns: Value,
    pub dynamics: Option<Value>,
    pub sentiment_trajectory: Option<String>,
    pub suggested_actions: Vec<String>,
    pub source: Source,
}

impl Analysis {
    pub fn kind(&self) -> &'static str {
        match self.source {
            Source::Llm { .. } => "llm",
            Source::Deterministic { .. } => "deterministic",
        }
    }
}

/// The JSON schema the LLM's answer must match (snake_case; `context` is the summary).
pub fn schema() -> Value {
    let unit = json!({"type": "number", "minimum": 0, "maximum": 1});
    let mut dynamics = Map::new();
    for (k, values) in DYNAMICS {
        dynamics.insert(k.into(), json!({"type": "string", "enum": values}));
    }
    json!({
        "type": "object",
        "properties": {
            "context": {"type": "string", "description": "one or two sentences: what is happening on stream"},
            "sentiment": {"type": "string", "enum": SENTIMENTS},
            "topics": {"type": "array", "items": {"type": "string"}, "maxItems": 5},
            "mood": {"type": "string"},
            "patterns": {
                "type": "object",
                "properties": {
                    "energy_level": unit, "engagement_depth": unit, "community_sync": unit,
                    "content_focus": {"type": "array", "items": {"type": "string"}},
                    "mood_indicators": {"type": "object", "additionalProperties": {"type": "number"}},
                    "temporal_flow": {"type": "string"}
                },
                "required": ["energy_level", "engagement_depth", "community_sync", "temporal_flow"]
            },
            "dynamics": {"type": "object", "properties": dynamics},
            "sentiment_trajectory": {"type": "string", "enum": TRAJECTORIES},
            "suggested_actions": {"type": "array", "items": {"type": "string"}}
        },
        "required": ["context", "sentiment", "topics", "patterns"]
    })
}

/// `sentimentTrajectory` → `sentiment_trajectory`, recursively.
pub fn snake_keys(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| {
                    let mut s = String::with_capacity(k.len() + 4);
                    for (i, ch) in k.chars().enumerate() {
                        if ch.is_ascii_uppercase() {
                            if i > 0 && !s.ends_with('_') {
                                s.push('_');
                            }
                            s.push(ch.to_ascii_lowercase());
                        } else {
                            s.push(ch);
                        }
                    }
                    (s, snake_keys(v))
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(snake_keys).collect()),
        other => other,
    }
}

fn word(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str)
        .map(|s| s.trim().to_lowercase().replace([' ', '-'], "_"))
}

/// Check an answer (already snake_case) against the schema; every problem in words.
pub fn check(v: &Value, model: &str) -> Result<Analysis, Vec<String>> {
    let mut errors = vec![];
    let Some(o) = v.as_object() else {
        return Err(vec!["the answer is not a JSON object".into()]);
    };
    let summary = o
        .get("context")
        .or_else(|| o.get("summary"))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    if summary.is_none() {
        errors.push("`context` must be a non-empty string".into());
    }
    let sentiment = word(o.get("sentiment"));
    if !sentiment
        .as_deref()
        .is_some_and(|s| SENTIMENTS.contains(&s))
    {
        errors.push(format!(
            "`sentiment` must be one of {}",
            SENTIMENTS.join(", ")
        ));
    }
    let topics: Option<Vec<String>> = o.get("topics").and_then(Value::as_array).map(|a| {
        a.iter()
            .filter_map(Value::as_str)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .take(5)
            .collect()
    });
    if topics.is_none() {
        errors.push("`topics` must be a list of strings".into());
    }
    let mut patterns = o.get("patterns").cloned().unwrap_or(Value::Null);
    match patterns.as_object_mut() {
        None => errors.push("`patterns` must be an object".into()),
        Some(p) => {
            for k in ["energy_level", "engagement_depth", "community_sync"] {
                match p.get(k).and_then(Value::as_f64) {
                    Some(x) if (0.0..=1.0).contains(&x) => {}
                    Some(x) if (0.0..=100.0).contains(&x) => {
                        // A percentage where a fraction was asked: the meaning is plain.
                        p.insert(k.into(), json!(x / 100.0));
                    }
                    _ => errors.push(format!("`patterns.{k}` must be a number from 0 to 1")),
                }
            }
            if !p.get("temporal_flow").is_some_and(Value::is_string) {
                p.insert("temporal_flow".into(), json!(""));
            }
        }
    }
    let dynamics = o.get("dynamics").and_then(Value::as_object).map(|d| {
        let mut out = Map::new();
        for (k, values) in DYNAMICS {
            if let Some(w) = word(d.get(k)) {
                if values.contains(&w.as_str()) {
                    out.insert(k.into(), w.into());
                } else {
                    errors.push(format!(
                        "`dynamics.{k}` must be one of {}",
                        values.join(", ")
                    ));
                }
            }
        }
        Value::Object(out)
    });
    let sentiment_trajectory = word(o.get("sentiment_trajectory"));
    if let Some(t) = &sentiment_trajectory {
        if !TRAJECTORIES.contains(&t.as_str()) {
            errors.push(format!(
                "`sentiment_trajectory` must be one of {}",
                TRAJECTORIES.join(", ")
            ));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Analysis {
        summary: summary.unwrap_or_default(),
        sentiment: sentiment.unwrap_or_default(),
        topics: topics.unwrap_or_default(),
        mood: o.get("mood").and_then(Value::as_str).map(str::to_owned),
        patterns,
        dynamics,
        sentiment_trajectory,
        suggested_actions: crate::input::strings(v, "suggested_actions"),
        source: Source::Llm {
            model: model.to_string(),
        },
    })
}

const POSITIVE: [&str; 16] = [
    "great",
    "awesome",
    "good",
    "nice",
    "happy",
    "fun",
    "love",
    "excellent",
    "amazing",
    "yes",
    "pog",
    "poggers",
    "gg",
    "lets",
    "win",
    "hype",
];
const NEGATIVE: [&str; 12] = [
    "bad",
    "terrible",
    "hate",
    "awful",
    "sad",
    "angry",
    "frustrated",
    "worst",
    "no",
    "rip",
    "lost",
    "ugh",
];
const STOP: [&str; 64] = [
    "the", "a", "an", "and", "or", "but", "to", "of", "in", "on", "at", "for", "with", "is", "it",
    "this", "that", "i", "you", "we", "they", "he", "she", "me", "my", "your", "our", "be", "was",
    "are", "so", "just", "like", "do", "did", "have", "has", "not", "what", "going", "gonna",
    "get", "got", "can", "all", "there", "here", "oh", "okay", "ok", "yeah", "um", "uh", "if",
    "then", "now", "out", "up", "about", "from", "one", "its", "im", "dont",
];

fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric() && c != '\'')
        .map(|w| w.replace('\'', "").to_lowercase())
        .filter(|w| !w.is_empty())
}

/// Seed's own analysis: counts and keywords, the same every time for the same input.
pub fn deterministic(
    speech: &[Speech],
    chat: &[Chat],
    interactions: &[Interaction],
    reason: &str,
) -> Analysis {
    let mut pos = 0usize;
    let mut neg = 0usize;
    let mut freq: HashMap<String, usize> = HashMap::new();
    let texts = speech
        .iter()
        .map(|s| s.text.as_str())
        .chain(chat.iter().map(|c| c.message.as_str()));
    for t in texts {
        for w in words(t) {
            if POSITIVE.contains(&w.as_str()) {
                pos += 1;
            } else if NEGATIVE.contains(&w.as_str()) {
                neg += 1;
            }
            if w.len() >= 4 && !STOP.contains(&w.as_str()) && !w.chars().all(|c| c.is_ascii_digit())
            {
                *freq.entry(w).or_default() += 1;
            }
        }
    }
    let sentiment = match (pos, neg) {
        (0, 0) => "neutral",
        (p, n) if p > 0 && n > 0 && p.max(n) < 2 * p.min(n) => "mixed",
        (p, n) if p > n => "positive",
        (p, n) if n > p => "negative",
        _ => "neutral",
    };
    let counts: HashMap<&str, usize> = freq
        .iter()
        .filter(|(_, n)| **n >= 2)
        .map(|(k, n)| (k.as_str(), *n))
        .collect();
    let topics: Vec<String> = top(counts, 5).into_iter().map(|(k, _)| k).collect();
    let velocity = correlator::chat_velocity(chat);
    let emotes = correlator::emote_frequency(chat);
    let mut parts = vec![];
    if !speech.is_empty() {
        let w: usize = speech
            .iter()
            .map(|s| s.text.split_whitespace().count())
            .sum();
        parts.push(format!(
            "{} said {w} words",
            if speech.len() == 1 {
                "one sentence:"
            } else {
                "the streamer"
            }
        ));
    } else {
        parts.push("the streamer was quiet".into());
    }
    if !chat.is_empty() {
        let people = correlator::participants(chat).len();
        parts.push(format!(
            "{} chat message{} from {people} {}",
            chat.len(),
            if chat.len() == 1 { "" } else { "s" },
            if people == 1 { "person" } else { "people" }
        ));
    }
    if !interactions.is_empty() {
        parts.push(
            correlator::interaction_context(interactions)
                .split(" | ")
                .next()
                .unwrap_or_default()
                .replace("Totals: ", ""),
        );
    }
    if let Some((e, n)) = emotes.first() {
        parts.push(format!("top emote {e} x{n}"));
    }
    let mut summary = parts.join("; ");
    if let Some(first) = summary.get(..1) {
        summary = first.to_uppercase() + &summary[1..];
    }
    if !topics.is_empty() {
        summary.push_str(&format!(". Talked about {}", topics.join(", ")));
    }
    summary.push('.');
    let energy = (velocity / 30.0).min(1.0);
    let engagement = if speech.is_empty() {
        0.0
    } else {
        (chat.len() as f64 / (speech.len() as f64 * 3.0)).min(1.0)
    };
    Analysis {
        summary,
        sentiment: sentiment.into(),
        topics,
        mood: None,
        patterns: json!({
            "energy_level": round2(energy),
            "engagement_depth": round2(engagement),
            "community_sync": round2(if chat.is_empty() { 0.0 } else { correlator::native_emote_frequency(chat).iter().map(|e| e.1).sum::<usize>() as f64 / chat.len() as f64 }.min(1.0)),
            "content_focus": [],
            "mood_indicators": {},
            "temporal_flow": format!("{velocity:.1} chat messages a minute"),
        }),
        dynamics: None,
        sentiment_trajectory: None,
        suggested_actions: vec![],
        source: Source::Deterministic {
            reason: reason.into(),
        },
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_case_becomes_snake_case() {
        let v = snake_keys(
            json!({"sentimentTrajectory": "stable", "streamMomentum": {"directionNow": 1}, "topics": [{"aB": 1}]}),
        );
        assert_eq!(
            v,
            json!({"sentiment_trajectory": "stable", "stream_momentum": {"direction_now": 1}, "topics": [{"a_b": 1}]})
        );
    }

    #[test]
    fn answers_are_checked_against_the_schema() {
        let good = json!({"context": "A boss fight.", "sentiment": "Positive", "topics": ["ironmon", " "],
            "patterns": {"energy_level": 0.8, "engagement_depth": 70, "community_sync": 0.5, "temporal_flow": "rising"},
            "dynamics": {"energy_trajectory": "ramping up"}});
        let a = check(&good, "m").unwrap();
        assert_eq!(
            (a.sentiment.as_str(), a.topics.clone()),
            ("positive", vec!["ironmon".to_string()])
        );
        assert_eq!(a.patterns["engagement_depth"], 0.7);
        assert_eq!(a.dynamics.unwrap()["energy_trajectory"], "ramping_up");
        let errors = check(
            &json!({"context": "", "sentiment": "great", "patterns": {"energy_level": 3}}),
            "m",
        )
        .unwrap_err();
        assert_eq!(errors.len(), 5, "{errors:?}");
        assert!(errors.iter().any(|e| e.contains("sentiment")));
    }

    #[test]
    fn deterministic_analysis_counts() {
        let s = |t: &str| Speech {
            ts: 0,
            duration: 1.0,
            text: t.into(),
            confidence: None,
            id: None,
            seq: None,
        };
        let speech = [
            s("this boss fight is amazing"),
            s("the boss has one more phase, great fight"),
        ];
        let a = deterministic(&speech, &[], &[], "no LLM configured");
        assert_eq!(a.sentiment, "positive");
        assert_eq!(a.topics, ["boss", "fight"]);
        assert_eq!(a.kind(), "deterministic");
        assert!(
            a.summary.starts_with("The streamer said 13 words"),
            "{}",
            a.summary
        );
        let sad = deterministic(&[s("that was awful, we lost")], &[], &[], "x");
        assert_eq!(sad.sentiment, "negative");
        assert_eq!(
            deterministic(&[s("good and bad")], &[], &[], "x").sentiment,
            "mixed"
        );
        assert!(check(&json!({"context": a.summary, "sentiment": a.sentiment, "topics": a.topics, "patterns": a.patterns}), "m").is_ok());
    }
}
