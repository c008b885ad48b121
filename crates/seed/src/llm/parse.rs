//! Reading what an OpenAI-compatible server answers, whichever way it answers:
//! reasoning in `reasoning` / `reasoning_content` or inline `<think>…</think>`, the
//! JSON bare, in code fences or inside prose, keys in camelCase or snake_case.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub content: String,
    pub reasoning: Option<String>,
    pub finish_reason: Option<String>,
    pub prompt_tokens: Option<u64>,
    pub completion_tokens: Option<u64>,
}

/// The first choice of a `chat.completion` body.
pub fn reply(body: &Value) -> Result<Reply, String> {
    let choice = body
        .get("choices")
        .and_then(Value::as_array)
        .and_then(|c| c.first())
        .ok_or("the answer has no choices")?;
    let message = choice
        .get("message")
        .ok_or("the answer's choice has no message")?;
    let text = |k: &str| message.get(k).and_then(Value::as_str).map(str::to_owned);
    let usage = body.get("usage");
    Ok(Reply {
        content: text("content").unwrap_or_default(),
        reasoning: text("reasoning_content").or_else(|| text("reasoning")),
        finish_reason: choice
            .get("finish_reason")
            .and_then(Value::as_str)
            .map(str::to_owned),
        prompt_tokens: usage
            .and_then(|u| u.get("prompt_tokens"))
            .and_then(Value::as_u64),
        completion_tokens: usage
            .and_then(|u| u.get("completion_tokens"))
            .and_then(Value::as_u64),
    })
}

/// The text without its reasoning: `<think>…</think>` blocks removed; a lone
/// `</think>` (the opening tag was in the prompt template) ends the reasoning; an
/// unclosed `<think>` means the answer never came (`None`).
pub fn strip_thinking(text: &str) -> Option<String> {
    let mut s = text.to_string();
    if let Some(end) = s.rfind("</think>") {
        if !s[..end].contains("<think>") || s.find("<think>").is_some_and(|start| start < end) {
            s = s[end + "</think>".len()..].to_string();
        }
    }
    if s.contains("<think>") {
        return None;
    }
    Some(s.trim().to_string())
}

/// The JSON object in `text`: bare, in a ```json fence, or the first balanced
/// `{…}` inside prose.
pub fn find_json(text: &str) -> Option<Value> {
    let t = text.trim();
    if let Ok(v @ Value::Object(_)) = serde_json::from_str::<Value>(t) {
        return Some(v);
    }
    if let Some(start) = t.find("```") {
        let after = &t[start + 3..];
        let body = after
            .strip_prefix("json")
            .or_else(|| after.strip_prefix("JSON"))
            .unwrap_or(after);
        if let Some(end) = body.find("```") {
            if let Ok(v @ Value::Object(_)) = serde_json::from_str::<Value>(body[..end].trim()) {
                return Some(v);
            }
        }
    }
    // Balanced braces, aware of strings.
    let bytes = t.as_bytes();
    let mut from = 0;
    while let Some(rel) = t[from..].find('{') {
        let start = from + rel;
        let (mut depth, mut in_str, mut esc) = (0i32, false, false);
        for (i, &b) in bytes.iter().enumerate().skip(start) {
            if in_str {
                match (esc, b) {
                    (true, _) => esc = false,
                    (false, b'\\') => esc = true,
                    (false, b'"') => in_str = false,
                    _ => {}
                }
                continue;
            }
            match b {
                b'"' => in_str = true,
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        if let Ok(v @ Value::Object(_)) =
                            serde_json::from_str::<Value>(&t[start..=i])
                        {
                            return Some(v);
                        }
                        break;
                    }
                }
                _ => {}
            }
        }
        from = start + 1;
    }
    None
}

/// The answer's JSON: from the content after its reasoning, else from a reasoning
/// field when the content is empty (some servers put everything there).
pub fn answer_json(r: &Reply) -> Result<Value, String> {
    let content = strip_thinking(&r.content);
    if let Some(v) = content.as_deref().and_then(find_json) {
        return Ok(crate::analysis::snake_keys(v));
    }
    if content.as_deref().unwrap_or("").is_empty() {
        if let Some(v) = r.reasoning.as_deref().and_then(find_json) {
            return Ok(crate::analysis::snake_keys(v));
        }
    }
    match content {
        None => Err("the answer stopped inside its <think> reasoning".into()),
        Some(c) if c.is_empty() => Err("the answer was empty".into()),
        Some(c) => Err(format!(
            "no JSON object in the answer: {:?}",
            c.chars().take(80).collect::<String>()
        )),
    }
}

/// The error text of a failed request: `{"error": "..."}`, `{"error": {"message"}}`,
/// `{"message"}` or the body itself.
pub fn error_message(body: &str) -> String {
    let from_json = serde_json::from_str::<Value>(body).ok().and_then(|v| {
        v.get("error")
            .and_then(|e| {
                e.as_str()
                    .map(str::to_owned)
                    .or_else(|| e.get("message").and_then(Value::as_str).map(str::to_owned))
            })
            .or_else(|| v.get("message").and_then(Value::as_str).map(str::to_owned))
            .or_else(|| v.get("detail").and_then(Value::as_str).map(str::to_owned))
    });
    let m = from_json.unwrap_or_else(|| body.trim().to_string());
    m.chars().take(300).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn r(content: &str) -> Reply {
        reply(&json!({"choices": [{"message": {"content": content}, "finish_reason": "stop"}]}))
            .unwrap()
    }

    #[test]
    fn every_wrapping_gives_the_same_object() {
        let want = json!({"context": "x", "sentiment_trajectory": "stable"});
        for text in [
            r#"{"context":"x","sentimentTrajectory":"stable"}"#,
            "<think>first I consider {braces}</think>\n{\"context\":\"x\",\"sentiment_trajectory\":\"stable\"}",
            "Okay, so the stream...</think>{\"context\":\"x\",\"sentimentTrajectory\":\"stable\"}",
            "```json\n{\"context\": \"x\", \"sentimentTrajectory\": \"stable\"}\n```",
            "Here is the analysis: {\"context\": \"x\", \"sentiment_trajectory\": \"stable\"} Hope it helps {:",
            "```\n{\"context\":\"x\",\"sentimentTrajectory\":\"stable\"}```",
        ] {
            assert_eq!(answer_json(&r(text)).unwrap(), want, "{text}");
        }
        let reasoning = reply(&json!({"choices": [{"message": {"content": "", "reasoning_content": "{\"context\":\"x\",\"sentiment_trajectory\":\"stable\"}"}}]})).unwrap();
        assert_eq!(answer_json(&reasoning).unwrap(), want);
        let braces_in_strings =
            r(r#"note: {"context": "a } b {", "sentiment_trajectory": "stable"}"#);
        assert_eq!(
            answer_json(&braces_in_strings).unwrap()["context"],
            "a } b {"
        );
    }

    #[test]
    fn failures_say_what_came_back() {
        assert!(answer_json(&r("<think>still thinking about"))
            .unwrap_err()
            .contains("<think>"));
        assert!(answer_json(&r("")).unwrap_err().contains("empty"));
        assert!(answer_json(&r("{\"context\": \"x\","))
            .unwrap_err()
            .contains("no JSON"));
        assert!(reply(&json!({"choices": []})).is_err());
        assert_eq!(
            error_message(
                r#"{"error":{"message":"model \"x\" not found, try pulling it first","type":"api_error"}}"#
            ),
            "model \"x\" not found, try pulling it first"
        );
        assert_eq!(
            error_message(r#"{"error":"No models loaded."}"#),
            "No models loaded."
        );
        assert_eq!(error_message("Service Unavailable"), "Service Unavailable");
    }
}
