//! A closed window becomes a context record: the reference's fields (`duration` in
//! seconds), the analysis, and its sources (the time range and the hub `seq` and id of
//! every transcription, chat message and event it was built from).

use crate::analysis::Analysis;
use crate::correlator::{self, Window};
use crate::input::{Kind, Micros, SECOND};
use serde_json::{json, Map, Value};

pub fn iso(t: Micros) -> String {
    chrono::DateTime::from_timestamp_micros(t)
        .map(landale_core::ids::iso)
        .unwrap_or_default()
}

/// The key that makes a retried POST store the window once.
pub fn idempotency_key(session: &str, w: &Window) -> String {
    format!("seed:{session}:{}", w.started)
}

/// The context body for `POST /api/contexts`.
pub fn record(w: &Window, a: &Analysis, session: &str, correlation_window: Micros) -> Value {
    let duration = (w.ended - w.started) as f64 / SECOND as f64;
    let chat = (!w.chat.is_empty()).then(|| {
        json!({"message_count": w.chat.len(), "velocity": correlator::chat_velocity(&w.chat),
               "participants": correlator::participants(&w.chat)})
    });
    let interactions = (!w.interactions.is_empty()).then(|| {
        let count = |k: Kind| w.interactions.iter().filter(|i| i.kind == k).count();
        let amount = |k: Kind| w.interactions.iter().filter(|i| i.kind == k).map(|i| i.amount).sum::<u64>();
        json!({"follows": count(Kind::Follow), "subscriptions": count(Kind::Subscription),
               "resubscriptions": count(Kind::Resubscription), "gift_subscriptions": amount(Kind::GiftSubscription),
               "cheers": count(Kind::Cheer), "bits": amount(Kind::Cheer), "raids": count(Kind::Raid),
               "raiders": amount(Kind::Raid), "channel_updates": count(Kind::ChannelUpdate)})
    });
    let emotes = correlator::emote_frequency(&w.chat);
    let emotes = (!emotes.is_empty()).then(|| {
        let total: usize = w
            .chat
            .iter()
            .map(|c| c.emotes.len() + c.native_emotes.len())
            .sum();
        let unique: std::collections::HashSet<&str> = w
            .chat
            .iter()
            .flat_map(|c| c.emotes.iter().chain(&c.native_emotes))
            .map(String::as_str)
            .collect();
        let map = |v: Vec<(String, usize)>| {
            v.into_iter()
                .map(|(k, n)| (k, Value::from(n)))
                .collect::<Map<_, _>>()
        };
        json!({"total_count": total, "unique_emotes": unique.len(), "top_emotes": map(emotes),
               "native_emotes": map(correlator::native_emote_frequency(&w.chat))})
    });
    let (reactions, avg_delay) = correlator::reactions(&w.speech, &w.chat, correlation_window);
    let at = |t: Micros| iso(t);
    let sources = json!({
        "time_range": {"from": at(w.started), "to": at(w.ended)},
        "transcriptions": w.speech.iter().map(|s| json!({"seq": s.seq, "id": s.id, "at": at(s.ts)})).collect::<Vec<_>>(),
        "chat": w.chat.iter().map(|c| json!({"seq": c.seq, "id": c.id, "at": at(c.ts)})).collect::<Vec<_>>(),
        "events": w.interactions.iter().map(|i| json!({"seq": i.seq, "id": i.id, "type": i.kind.as_str(), "at": at(i.ts)})).collect::<Vec<_>>(),
        "dropped": w.dropped,
    });
    let mut v = json!({
        "started": at(w.started), "ended": at(w.ended), "session": session,
        "transcript": correlator::transcript(&w.speech), "duration": duration,
        "chat": chat, "interactions": interactions, "emotes": emotes,
        "patterns": a.patterns, "sentiment": a.sentiment, "topics": a.topics,
        "idempotency_key": idempotency_key(session, w),
        "summary": a.summary, "mood": a.mood, "analysis": a.kind(), "analysis_source": a.source,
        "dynamics": a.dynamics, "sentiment_trajectory": a.sentiment_trajectory,
        "speaking": correlator::speaking(&w.speech),
        "reactions": {"average_delay_seconds": avg_delay,
                      "sentences_with_reactions": reactions.iter().filter(|r| r.related_chat_count > 0).count()},
        "segments": correlator::segments(&w.speech, &w.chat),
        "engagement": correlator::engagement(&w.interactions, duration),
        "sources": sources,
    });
    if let Some(o) = v.as_object_mut() {
        o.retain(|_, v| !v.is_null());
    }
    v
}
