//! Questions about the stream (`POST /query`): which stretch of time the question
//! means (sessions from `stream.online` / `stream.offline`, or the last N hours), the
//! data for it fetched with the hub's time filters, and an answer that lists its
//! sources. Counting questions ("how many subs today?") are answered from the hub's
//! counts exactly, with or without an LLM.

use crate::hub::{Rest, RestError};
use crate::llm::Llm;
use chrono::{DateTime, Local, TimeZone, Utc};
use serde_json::{json, Value};

#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    pub since: DateTime<Utc>,
    pub until: Option<DateTime<Utc>>,
    pub label: String,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum When {
    Current,
    Last,
    Today,
}

fn when(q: &str) -> When {
    let has = |words: &[&str]| words.iter().any(|w| q.contains(w));
    if has(&[
        "last stream",
        "previous stream",
        "stream before",
        "yesterday",
    ]) {
        When::Last
    } else if has(&["today"]) {
        When::Today
    } else {
        When::Current
    }
}

/// `(start, end)` of each session, newest first; a live one has no end.
pub fn sessions(
    online: &[DateTime<Utc>],
    offline: &[DateTime<Utc>],
) -> Vec<(DateTime<Utc>, Option<DateTime<Utc>>)> {
    let mut on = online.to_vec();
    on.sort();
    let mut off = offline.to_vec();
    off.sort();
    let mut out = vec![];
    for (i, start) in on.iter().enumerate() {
        let next_start = on.get(i + 1);
        let end = off
            .iter()
            .find(|e| *e > start && next_start.is_none_or(|n| *e <= n))
            .copied();
        out.push((*start, end));
    }
    out.reverse();
    out
}

fn local_midnight(now: DateTime<Utc>) -> DateTime<Utc> {
    let local = now
        .with_timezone(&Local)
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default();
    Local
        .from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(now)
}

/// The stretch a question means.
pub fn span(
    q: &str,
    hours: Option<f64>,
    sessions: &[(DateTime<Utc>, Option<DateTime<Utc>>)],
    now: DateTime<Utc>,
) -> Span {
    if let Some(h) = hours.filter(|h| *h > 0.0) {
        return Span {
            since: now - chrono::Duration::seconds((h * 3600.0) as i64),
            until: None,
            label: format!("in the last {h} hours"),
        };
    }
    let fmt = |t: DateTime<Utc>| t.with_timezone(&Local).format("%Y-%m-%d %H:%M").to_string();
    match when(q) {
        When::Last => {
            let done = sessions.iter().find(|s| s.1.is_some());
            match done {
                Some((s, e)) => Span {
                    since: *s,
                    until: *e,
                    label: format!(
                        "in your last stream ({} to {})",
                        fmt(*s),
                        e.map(fmt).unwrap_or_default()
                    ),
                },
                None => Span {
                    since: local_midnight(now) - chrono::Duration::days(1),
                    until: Some(local_midnight(now)),
                    label: "yesterday".into(),
                },
            }
        }
        When::Today => Span {
            since: local_midnight(now),
            until: None,
            label: "today".into(),
        },
        When::Current => match sessions.first() {
            Some((s, None)) => Span {
                since: *s,
                until: None,
                label: format!("this stream (live since {})", fmt(*s)),
            },
            _ => Span {
                since: local_midnight(now),
                until: None,
                label: "today".into(),
            },
        },
    }
}

/// Which counts a counting question asks for: `(stat key, noun, nouns)`.
fn counted(q: &str) -> Vec<(&'static str, &'static str, &'static str)> {
    let asks = ["how many", "how much", "number of", "count"]
        .iter()
        .any(|w| q.contains(w));
    if !asks {
        return vec![];
    }
    let mut v = vec![];
    if q.contains("gift") {
        v.push((
            "gift_subscriptions",
            "gift subscription event",
            "gift subscription events",
        ));
    }
    if q.contains("resub") {
        v.push(("resubscriptions", "resubscription", "resubscriptions"));
    }
    if q.contains("sub") && !q.contains("gift") && !q.contains("resub") {
        v.push(("subscriptions", "new subscription", "new subscriptions"));
        v.push(("resubscriptions", "resubscription", "resubscriptions"));
        v.push((
            "gift_subscriptions",
            "gift subscription event",
            "gift subscription events",
        ));
    }
    if q.contains("follow") {
        v.push(("follows", "follow", "follows"));
    }
    if q.contains("cheer") || q.contains("bits") {
        v.push(("cheers", "cheer", "cheers"));
    }
    if q.contains("raid") {
        v.push(("raids", "raid", "raids"));
    }
    if q.contains("message") || q.contains("chat") {
        v.push(("chat_messages", "chat message", "chat messages"));
    }
    v
}

pub fn examples() -> Value {
    json!({"examples": {
        "subscription_queries": ["How many subs did I get today?", "How many gift subs this stream?"],
        "follower_queries": ["How many follows this stream?", "How many follows in my last stream?"],
        "chat_queries": ["How many chat messages today?", "What was chat talking about?"],
        "stream_queries": ["What happened this stream?", "What happened in my last stream?"],
        "pattern_queries": ["How was the mood today?"],
        "specific_queries": ["How many raids did I get yesterday?"]
    }})
}

async fn times(rest: &Rest, kind: &str) -> Result<Vec<DateTime<Utc>>, RestError> {
    let v = rest
        .get(
            "/api/activity/events",
            &[("event_type", kind.into()), ("limit", "100".into())],
        )
        .await?;
    Ok(v["data"]["events"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e["timestamp"].as_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default())
}

/// Answer one question. `Err` is a message for a 502: the hub could not be asked.
pub async fn answer(
    rest: &Rest,
    llm: Option<&Llm>,
    streamer: &str,
    question: &str,
    hours: Option<f64>,
) -> Result<Value, String> {
    let q = question.to_lowercase();
    let now = Utc::now();
    let hub = |e: RestError| format!("cannot read the hub's data: {e}");
    let sessions = sessions(
        &times(rest, "stream.online").await.map_err(hub)?,
        &times(rest, "stream.offline").await.map_err(hub)?,
    );
    let span = span(&q, hours, &sessions, now);
    let mut range = vec![("since", landale_core::ids::iso(span.since))];
    if let Some(u) = span.until {
        range.push(("until", landale_core::ids::iso(u)));
    }
    let stats =
        rest.get("/api/activity/stats", &range).await.map_err(hub)?["data"]["stats"].clone();
    let mut sources = vec![
        json!({"kind": "activity_stats", "route": "/api/activity/stats", "since": range[0].1, "until": span.until.map(landale_core::ids::iso)}),
    ];
    let wanted = counted(&q);
    let base = json!({"success": true, "question": question, "time_window": {"since": range[0].1, "until": span.until.map(landale_core::ids::iso), "label": span.label}, "timestamp": landale_core::ids::now_iso()});
    if !wanted.is_empty() {
        let parts: Vec<String> = wanted
            .iter()
            .map(|(k, one, many)| {
                let n = stats[k].as_u64().unwrap_or(0);
                format!("{n} {}", if n == 1 { one } else { many })
            })
            .collect();
        let mut v = base;
        v["answer"] = format!("{} {}.", parts.join(", "), span.label).into();
        v["confidence"] = 1.0.into();
        v["response_type"] = "factual".into();
        v["data_summary"] = "counted from the hub's activity log".into();
        v["counts"] = json!(wanted
            .iter()
            .map(|(k, _, _)| (k.to_string(), stats[k].clone()))
            .collect::<serde_json::Map<_, _>>());
        v["sources"] = Value::Array(sources);
        return Ok(v);
    }
    // Everything else: the contexts of that stretch, newest first.
    let list = rest
        .get("/api/contexts", &[("limit", "200".into())])
        .await
        .map_err(hub)?;
    let contexts: Vec<Value> = list["data"]["contexts"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|c| {
                    // Any overlap: a window that began before the stream went live counts.
                    let t = |k: &str| c[k].as_str().and_then(|s| s.parse::<DateTime<Utc>>().ok());
                    t("ended").is_some_and(|e| e > span.since)
                        && t("started").is_some_and(|s| span.until.is_none_or(|u| s < u))
                })
                .take(12)
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let vocabulary = rest
        .get("/api/community/vocabulary", &[("limit", "100".into())])
        .await
        .ok();
    let terms: Vec<String> = vocabulary
        .as_ref()
        .and_then(|v| {
            v["data"]
                .as_array()
                .or_else(|| v["data"]["data"].as_array())
                .cloned()
        })
        .unwrap_or_default()
        .iter()
        .filter_map(|t| {
            let phrase = t["phrase"].as_str()?;
            let used = q.contains(&phrase.to_lowercase())
                || contexts.iter().any(|c| {
                    c["transcript"]
                        .as_str()
                        .is_some_and(|s| s.to_lowercase().contains(&phrase.to_lowercase()))
                });
            used.then(|| {
                format!(
                    "{phrase}: {}",
                    t["definition"].as_str().unwrap_or("(no definition)")
                )
            })
        })
        .collect();
    for c in &contexts {
        sources.push(json!({"kind": "context", "started": c["started"], "ended": c["ended"], "summary": c["summary"], "idempotency_key": c["idempotency_key"]}));
    }
    if !terms.is_empty() {
        sources.push(json!({"kind": "vocabulary", "route": "/api/community/vocabulary", "terms": terms.len()}));
    }
    let summaries: Vec<String> = contexts
        .iter()
        .rev()
        .map(|c| {
            format!(
                "- {}: {}",
                c["started"].as_str().unwrap_or(""),
                c["summary"]
                    .as_str()
                    .or_else(|| c["transcript"].as_str())
                    .unwrap_or("")
            )
        })
        .collect();
    let facts = format!(
        "{} chat messages, {} follows, {} new subscriptions, {} gift subscription events, {} cheers, {} raids",
        stats["chat_messages"], stats["follows"], stats["subscriptions"], stats["gift_subscriptions"], stats["cheers"], stats["raids"]
    );
    let mut v = base;
    v["sources"] = Value::Array(sources);
    if let (Some(llm), false) = (llm, contexts.is_empty()) {
        let system = format!("You answer {streamer}'s questions about their own stream, speaking to them as \"you\" (\"your stream\"). Use only the data given; say so when it does not answer the question. Two or three sentences.");
        let user = format!(
            "Question: {question}\nTime: {}\nCounts (exact): {facts}\nWhat happened, oldest first:\n{}\n{}",
            span.label,
            summaries.join("\n"),
            if terms.is_empty() { String::new() } else { format!("Community words:\n{}\n", terms.join("\n")) }
        );
        match llm.answer(&system, &user).await {
            Ok(text) => {
                v["answer"] = text.into();
                v["confidence"] = 0.7.into();
                v["response_type"] = "llm".into();
                v["data_summary"] =
                    format!("{} contexts and the activity counts", contexts.len()).into();
                return Ok(v);
            }
            Err(e) => v["llm_error"] = e.to_string().into(),
        }
    }
    let told = if contexts.is_empty() {
        format!(
            "No stream context was stored {}. Counted: {facts}.",
            span.label
        )
    } else {
        let newest: Vec<&str> = contexts
            .iter()
            .take(3)
            .filter_map(|c| c["summary"].as_str())
            .collect();
        format!(
            "{} ({}): {} Counted: {facts}.",
            span.label[..1].to_uppercase() + &span.label[1..],
            contexts.len(),
            newest.join(" ")
        )
    };
    v["answer"] = told.into();
    v["confidence"] = if contexts.is_empty() { 0.3 } else { 0.6 }.into();
    v["response_type"] = if contexts.is_empty() {
        "insufficient_data"
    } else {
        "summary"
    }
    .into();
    v["data_summary"] = format!(
        "{} contexts and the activity counts, without an LLM",
        contexts.len()
    )
    .into();
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn sessions_pair_online_with_the_next_offline() {
        let on = [
            t("2026-01-01T20:00:00Z"),
            t("2026-01-02T20:00:00Z"),
            t("2026-01-03T20:00:00Z"),
        ];
        let off = [t("2026-01-01T23:00:00Z"), t("2026-01-02T22:00:00Z")];
        let s = sessions(&on, &off);
        assert_eq!(s[0], (on[2], None), "the newest is live");
        assert_eq!(s[1], (on[1], Some(off[1])));
        assert_eq!(s[2], (on[0], Some(off[0])));
        let now = t("2026-01-03T21:00:00Z");
        let cur = span("how many subs this stream?", None, &s, now);
        assert_eq!((cur.since, cur.until), (on[2], None));
        let last = span("what happened in my last stream", None, &s, now);
        assert_eq!((last.since, last.until), (on[1], Some(off[1])));
        let h = span("anything", Some(2.0), &s, now);
        assert_eq!(h.since, now - chrono::Duration::hours(2));
    }

    #[test]
    fn counting_questions_name_their_counts() {
        assert_eq!(
            counted("how many subs today?")
                .iter()
                .map(|c| c.0)
                .collect::<Vec<_>>(),
            ["subscriptions", "resubscriptions", "gift_subscriptions"]
        );
        assert_eq!(counted("how many gift subs?")[0].0, "gift_subscriptions");
        assert_eq!(counted("how many follows and raids")[1].0, "raids");
        assert!(counted("what was chat talking about").is_empty());
    }
}
