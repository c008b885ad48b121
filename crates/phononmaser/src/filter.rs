//! What Whisper says that is not speech. Silence and noise rarely reach Whisper (the
//! VAD sees to that), but music, breathing or a cough can, and tiny models answer
//! them with stock phrases ("Thank you.", "you", "[BLANK_AUDIO]") or loops. A result
//! is kept only when it passes all three checks: the model's no-speech probability,
//! a stock-phrase and sound-tag check, and a repetition check.

/// Above this no-speech probability a result is dropped.
pub const MAX_NO_SPEECH: f32 = 0.6;
/// Below this mean token probability a result is dropped.
pub const MIN_CONFIDENCE: f32 = 0.35;
/// A partial's first words are often half heard: it may be less sure.
pub const MIN_PARTIAL_CONFIDENCE: f32 = 0.2;

/// Why a result was dropped, or `None` to keep it. A `partial` is the start of speech
/// the VAD heard, so a stock phrase there ("Thank you" of "Thank you for the raid")
/// is kept; the final is judged in full.
pub fn reject(text: &str, no_speech: f32, confidence: f32, partial: bool) -> Option<&'static str> {
    let t = text.trim();
    if t.is_empty() {
        return Some("empty");
    }
    if no_speech > MAX_NO_SPEECH {
        return Some("no_speech");
    }
    if confidence
        < if partial {
            MIN_PARTIAL_CONFIDENCE
        } else {
            MIN_CONFIDENCE
        }
    {
        return Some("low_confidence");
    }
    if is_tag(t) {
        return Some("sound_tag");
    }
    let folded: String = t
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || c.is_whitespace())
        .collect();
    let folded = folded.split_whitespace().collect::<Vec<_>>().join(" ");
    const STOCK: &[&str] = &[
        "you",
        "thank you",
        "thanks for watching",
        "thank you for watching",
        "thank you so much for watching",
        "please subscribe",
        "bye",
        "so",
        "oh",
        "uh",
        "um",
        "hmm",
    ];
    if folded.is_empty() || (!partial && STOCK.contains(&folded.as_str())) {
        return Some("stock_phrase");
    }
    if repetitive(&folded) {
        return Some("repetition");
    }
    None
}

/// A sentence of three or more words said twice or more in a row is Whisper looping
/// on a short utterance ("Thanks for the raid, everyone. Thanks for the raid,
/// everyone."): kept once. Short ones ("No. No.") are how people talk, and stay.
pub fn collapse_repeats(text: &str) -> String {
    let mut sentences: Vec<&str> = vec![];
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if matches!(c, '.' | '!' | '?') {
            sentences.push(&text[start..i + c.len_utf8()]);
            start = i + c.len_utf8();
        }
    }
    if start < text.len() {
        sentences.push(&text[start..]);
    }
    let fold = |s: &str| -> String {
        s.to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || c.is_whitespace())
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut out: Vec<&str> = vec![];
    for s in sentences {
        let f = fold(s);
        let repeat = out
            .last()
            .is_some_and(|prev| fold(prev) == f && f.split(' ').count() >= 3);
        if !repeat && !s.trim().is_empty() {
            out.push(s);
        }
    }
    out.concat().trim().to_string()
}

/// `[BLANK_AUDIO]`, `(music)`, `*coughs*`, `♪ ♪`: only tags and symbols.
fn is_tag(t: &str) -> bool {
    let mut depth = 0i32;
    let mut outside = String::new();
    for c in t.chars() {
        match c {
            '[' | '(' => depth += 1,
            ']' | ')' => depth -= 1,
            _ if depth <= 0 => outside.push(c),
            _ => {}
        }
    }
    let words: String = outside
        .chars()
        .filter(|c| c.is_alphanumeric() && *c != '*')
        .collect();
    words.is_empty() || (t.starts_with('*') && t.ends_with('*'))
}

/// A phrase of 1 to 4 words said four or more times in a row, or a text whose words
/// are mostly one word: the decoder looping, not a person.
fn repetitive(folded: &str) -> bool {
    let words: Vec<&str> = folded.split_whitespace().collect();
    for n in 1..=4 {
        if words.len() < n * 4 {
            break;
        }
        let mut run = 1;
        let mut i = n;
        while i + n <= words.len() {
            if words[i..i + n] == words[i - n..i] {
                run += 1;
                if run >= 4 {
                    return true;
                }
                i += n;
            } else {
                run = 1;
                i += 1;
            }
        }
    }
    if words.len() >= 8 {
        let mut counts = std::collections::HashMap::new();
        for w in &words {
            *counts.entry(*w).or_insert(0) += 1;
        }
        let top = counts.values().max().copied().unwrap_or(0);
        return top * 2 > words.len();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_looped_sentence_is_kept_once_and_short_repeats_stay() {
        assert_eq!(
            collapse_repeats("Thanks for the raid, everyone. Thanks for the raid, everyone."),
            "Thanks for the raid, everyone."
        );
        assert_eq!(collapse_repeats("No. No. No way."), "No. No. No way.");
        assert_eq!(
            collapse_repeats("We go left. Then we go left again!"),
            "We go left. Then we go left again!"
        );
        assert_eq!(
            collapse_repeats("no ending punctuation"),
            "no ending punctuation"
        );
    }

    #[test]
    fn speech_passes_and_stock_answers_to_silence_do_not() {
        assert_eq!(
            reject("Okay chat, this is the last attempt.", 0.1, 0.8, false),
            None
        );
        assert_eq!(
            reject("Thank you so much for the raid, everyone!", 0.1, 0.8, false),
            None
        );
        for junk in [
            "",
            " you",
            "Thank you.",
            "[BLANK_AUDIO]",
            "(music)",
            "♪ ♪",
            "*coughs*",
            "[ Silence ]",
        ] {
            assert!(reject(junk, 0.1, 0.8, false).is_some(), "{junk:?}");
        }
        assert_eq!(
            reject("I will be right back", 0.9, 0.8, false),
            Some("no_speech")
        );
        assert_eq!(
            reject("I will be right back", 0.1, 0.2, false),
            Some("low_confidence")
        );
        assert_eq!(
            reject("the the the the the", 0.1, 0.8, false),
            Some("repetition")
        );
        assert_eq!(
            reject("go team go team go team go team", 0.1, 0.8, false),
            Some("repetition")
        );
        assert_eq!(reject("no no no", 0.1, 0.8, false), None, "three is speech");
        // The start of "Thank you for the raid" is kept while it is being spoken.
        assert_eq!(reject("Thank you.", 0.1, 0.8, true), None);
        assert_eq!(reject("[BLANK_AUDIO]", 0.1, 0.8, true), Some("sound_tag"));
        assert_eq!(reject("Some one", 0.1, 0.25, true), None);
        assert_eq!(reject("Some one", 0.1, 0.25, false), Some("low_confidence"));
    }
}
