//! What Whisper is told to expect: the channel's words and its chatters' names, so it
//! spells "GlitchWitch" rather than "glitch which". Polled from the hub every
//! [`EVERY`] (±20 %): the chat of the last messages (`GET /api/activity/events?
//! event_type=channel.chat.message`, the most frequent names kept, not the least),
//! the community vocabulary (most used first) and the names with a pronunciation
//! entry. A failed poll keeps the last terms; the prompt never waits for the hub.

use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

pub const EVERY: Duration = Duration::from_secs(30);
/// Characters of names and words in a prompt (with the previous sentence's 200, it
/// stays inside Whisper's 224-token prompt even for names that tokenise badly).
pub const TERMS_BUDGET: usize = 250;
/// Chat messages read per poll.
pub const CHAT_WINDOW: usize = 500;
/// Longest name or word taken.
const MAX_TERM: usize = 30;

/// The names in a list of chat events, most frequent first (ties: most recent first,
/// as the hub lists newest first), each once whatever its case.
pub fn chatters(events: &[Value]) -> Vec<String> {
    let mut counts: HashMap<String, (usize, usize, String)> = HashMap::new();
    for (i, e) in events.iter().enumerate() {
        let name = [
            "user_name",
            "chatter_user_name",
            "user_login",
            "chatter_user_login",
        ]
        .iter()
        .find_map(|k| e[*k].as_str().or_else(|| e["data"][*k].as_str()))
        .map(str::trim)
        .filter(|n| !n.is_empty() && n.chars().count() <= MAX_TERM);
        if let Some(n) = name {
            let entry = counts
                .entry(n.to_lowercase())
                .or_insert((0, i, n.to_string()));
            entry.0 += 1;
        }
    }
    let mut list: Vec<_> = counts.into_values().collect();
    list.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    list.into_iter().map(|(_, _, n)| n).collect()
}

/// The terms part of the prompt: words first, then names, as far as the budget goes.
pub fn terms(words: &[String], names: &[String]) -> String {
    let mut out = String::new();
    let mut seen = std::collections::HashSet::new();
    for t in words.iter().chain(names) {
        let t = t.trim();
        if t.is_empty() || t.chars().count() > MAX_TERM || !seen.insert(t.to_lowercase()) {
            continue;
        }
        let add = if out.is_empty() { t.len() } else { t.len() + 2 };
        if out.len() + add + 1 > TERMS_BUDGET {
            break;
        }
        if !out.is_empty() {
            out.push_str(", ");
        }
        out.push_str(t);
    }
    if !out.is_empty() {
        out.push('.');
    }
    out
}

/// The list in a hub answer (`{data: {events}}`, `{data: [...]}` or a bare list).
fn list<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v["data"][key]
        .as_array()
        .or(v["data"].as_array())
        .or(v.as_array())
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

async fn get(http: &reqwest::Client, url: &str) -> Result<Value, String> {
    let r = http
        .get(url)
        .send()
        .await
        .map_err(|e| e.without_url().to_string())?;
    if !r.status().is_success() {
        return Err(format!("HTTP {}", r.status().as_u16()));
    }
    r.json().await.map_err(|e| e.to_string())
}

/// One poll: the terms, or why not.
pub async fn fetch(http: &reqwest::Client, base: &str) -> Result<String, String> {
    let chat = get(
        http,
        &format!("{base}/api/activity/events?event_type=channel.chat.message&limit={CHAT_WINDOW}"),
    )
    .await?;
    let names = chatters(list(&chat, "events"));
    // Words and pronounced names are extras: their absence does not stop the names.
    let vocab = get(http, &format!("{base}/api/community/vocabulary?limit=50"))
        .await
        .unwrap_or_default();
    let words: Vec<String> = list(&vocab, "vocabulary")
        .iter()
        .filter_map(|v| v["phrase"].as_str().map(str::to_owned))
        .collect();
    let spoken = get(http, &format!("{base}/api/community/pronunciation"))
        .await
        .unwrap_or_default();
    let mut all_names: Vec<String> = list(&spoken, "pronunciations")
        .iter()
        .filter_map(|v| v["username"].as_str().map(str::to_owned))
        .collect();
    all_names.splice(0..0, names);
    Ok(terms(&words, &all_names))
}

/// Poll forever, writing the terms into `into` and announcing a change on `events`
/// (`prompt:terms`).
pub async fn run(
    base: String,
    into: Arc<std::sync::Mutex<String>>,
    events: tokio::sync::broadcast::Sender<Value>,
) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap_or_default();
    let mut failing = false;
    loop {
        match fetch(&http, &base).await {
            Ok(t) => {
                let changed = into.lock().map(|mut v| {
                    let changed = *v != t;
                    v.clone_from(&t);
                    changed
                });
                if matches!(changed, Ok(true)) {
                    tracing::debug!(terms = %t, "prompt terms updated");
                    let _ = events.send(serde_json::json!({"type": "prompt:terms", "terms": t}));
                }
                failing = false;
            }
            Err(e) if !failing => {
                failing = true;
                tracing::warn!(error = %e, "cannot read chatters' names from the hub; keeping the last ones");
            }
            Err(_) => {}
        }
        tokio::time::sleep(landale_core::backoff::jittered(EVERY, (0.8, 1.2))).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_most_frequent_chatters_come_first_and_fit_the_budget() {
        let chat = |n: &str| json!({"user_name": n});
        let events = vec![
            chat("Quiet"),
            chat("GlitchWitch"),
            chat("glitchwitch"),
            chat("SundaySauce"),
            chat("GlitchWitch"),
            chat("SundaySauce"),
            json!({"data": {"chatter_user_login": "kaizo_kid"}}),
            chat(&"x".repeat(40)),
        ];
        let names = chatters(&events);
        assert_eq!(names, ["GlitchWitch", "SundaySauce", "Quiet", "kaizo_kid"]);
        let words = vec!["IronMON".to_string(), "nuzlocke".to_string()];
        assert_eq!(
            terms(&words, &names),
            "IronMON, nuzlocke, GlitchWitch, SundaySauce, Quiet, kaizo_kid."
        );
        // Many names: cut at the budget, keeping the most frequent.
        let many: Vec<String> = (0..200).map(|i| format!("Chatter{i:03}")).collect();
        let t = terms(&[], &many);
        assert!(
            t.len() <= TERMS_BUDGET && t.starts_with("Chatter000, Chatter001"),
            "{t}"
        );
        assert_eq!(terms(&[], &[]), "");
    }
}
