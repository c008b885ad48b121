//! The analysis prompt, built to fit the model's context: instructions first and
//! never trimmed, then facts seed counted itself, what the streamer said, and chat.
//! When it does not fit, the oldest chat goes first, then the oldest speech.
//! No per-line timestamps: they cost a quarter of a window's tokens and the model
//! does not need them.

use crate::correlator;
use crate::input::{Chat, Interaction, Speech};

/// Tokens kept free for the answer.
pub const ANSWER_TOKENS: usize = 600;

/// A conservative token estimate for text seed cannot tokenize: one per 3 bytes.
pub fn estimate_tokens(text: &str) -> usize {
    text.len().div_ceil(3) + 4
}

/// A typical estimate (one token per 4 bytes), to compare with what the server counted.
pub fn typical_tokens(text: &str) -> usize {
    text.len().div_ceil(4) + 4
}

pub const SYSTEM: &str =
    "You watch a live stream for its streamer and describe what is happening. \
Answer with one JSON object only, matching the schema you are given, with no other text.";

#[derive(Debug, Clone)]
pub struct Prompt {
    pub system: String,
    pub user: String,
    /// Conservative estimate of the prompt's tokens.
    pub tokens: usize,
    pub chat_dropped: usize,
    pub speech_dropped: usize,
}

impl Prompt {
    /// The typical token count of what is sent (system + user).
    pub fn typical_tokens(&self) -> usize {
        typical_tokens(&self.system) + typical_tokens(&self.user)
    }
}

fn instructions(window_secs: f64, streamer: &str) -> String {
    format!(
        "Below is the last {:.0} seconds of {streamer}'s live stream: what the streamer said, what chat wrote, \
and facts counted exactly. Describe it:\n\
- context: one or two sentences on what is happening (the game, the moment, how chat reacts).\n\
- sentiment: positive, negative, neutral or mixed. topics: up to 5 short topics. mood: one word.\n\
- patterns: energy_level, engagement_depth, community_sync from 0 to 1, temporal_flow in a few words.\n\
- dynamics and sentiment_trajectory when you can tell.\n\
Use only what is below; do not invent numbers.\n",
        window_secs
    )
}

pub struct Input<'a> {
    pub speech: &'a [Speech],
    pub chat: &'a [Chat],
    pub interactions: &'a [Interaction],
    pub window_secs: f64,
    pub streamer: &'a str,
}

fn facts(i: &Input<'_>) -> String {
    let mut f = vec![format!(
        "{} chat messages from {} people ({:.1} a minute)",
        i.chat.len(),
        correlator::participants(i.chat).len(),
        correlator::chat_velocity(i.chat)
    )];
    let ctx = correlator::interaction_context(i.interactions);
    if !ctx.is_empty() {
        f.push(ctx);
    }
    let emotes = correlator::emote_frequency(i.chat);
    if !emotes.is_empty() {
        f.push(format!(
            "emotes: {}",
            emotes
                .iter()
                .take(5)
                .map(|(e, n)| format!("{e} x{n}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    format!("Facts: {}.\n", f.join("; "))
}

/// Build the prompt within `budget` tokens (the model's context minus the answer).
pub fn build(i: &Input<'_>, context_tokens: usize) -> Prompt {
    let budget = context_tokens.saturating_sub(ANSWER_TOKENS + 64);
    let head = format!("{}{}", instructions(i.window_secs, i.streamer), facts(i));
    let speech: Vec<String> = i
        .speech
        .iter()
        .map(|s| format!("{}\n", s.text.trim()))
        .collect();
    let chat: Vec<String> = i
        .chat
        .iter()
        .map(|c| format!("{}: {}\n", c.user, c.message.trim()))
        .collect();
    let fixed = estimate_tokens(SYSTEM) + estimate_tokens(&head) + 16;
    let cost = |lines: &[String]| lines.iter().map(|l| l.len().div_ceil(3)).sum::<usize>();
    let (mut s_from, mut c_from) = (0, 0);
    while fixed + cost(&speech[s_from..]) + cost(&chat[c_from..]) > budget {
        if c_from < chat.len() {
            c_from += 1;
        } else if s_from < speech.len() {
            s_from += 1;
        } else {
            break;
        }
    }
    let mut user = head;
    user.push_str("\nThe streamer said:\n");
    if speech[s_from..].is_empty() {
        user.push_str("(nothing)\n");
    }
    user.extend(speech[s_from..].iter().cloned());
    user.push_str("\nChat:\n");
    if chat[c_from..].is_empty() {
        user.push_str("(nothing)\n");
    }
    user.extend(chat[c_from..].iter().cloned());
    Prompt {
        tokens: estimate_tokens(SYSTEM) + estimate_tokens(&user),
        system: SYSTEM.to_string(),
        user,
        chat_dropped: c_from,
        speech_dropped: s_from,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(t: &str) -> Speech {
        Speech {
            ts: 0,
            duration: 1.0,
            text: t.into(),
            confidence: None,
            id: None,
            seq: None,
        }
    }
    fn c(i: usize) -> Chat {
        Chat {
            ts: i as i64,
            user: format!("viewer{i}"),
            message: format!("message number {i} with some words in it"),
            emotes: vec![],
            native_emotes: vec![],
            subscriber: false,
            moderator: false,
            id: i.to_string(),
            seq: None,
        }
    }

    #[test]
    fn fits_the_budget_dropping_the_oldest_chat_first() {
        let speech: Vec<Speech> = (0..20)
            .map(|i| s(&format!("sentence {i} about the boss fight")))
            .collect();
        let chat: Vec<Chat> = (0..400).map(c).collect();
        let input = Input {
            speech: &speech,
            chat: &chat,
            interactions: &[],
            window_secs: 120.0,
            streamer: "Avalonstar",
        };
        let big = build(&input, 1 << 20);
        assert_eq!((big.chat_dropped, big.speech_dropped), (0, 0));
        let p = build(&input, 2048);
        assert!(p.tokens <= 2048 - ANSWER_TOKENS, "{} tokens", p.tokens);
        assert!(p.chat_dropped > 0 && p.speech_dropped == 0);
        assert!(
            p.user.contains("viewer399: message number 399"),
            "the newest chat stays"
        );
        assert!(!p.user.contains("viewer0: "), "the oldest chat goes");
        assert!(p
            .user
            .starts_with("Below is the last 120 seconds of Avalonstar's live stream"));
        assert!(
            p.user.contains("Facts: 400 chat messages from 400 people"),
            "counts cover everything, trimmed or not"
        );
        // Too small for any chat: the speech is trimmed next, the instructions never.
        let tiny = build(&input, 1024);
        assert_eq!(tiny.chat_dropped, 400);
        assert!(tiny.speech_dropped > 0);
        assert!(tiny.user.contains("do not invent numbers"));
    }
}
