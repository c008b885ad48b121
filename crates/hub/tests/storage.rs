//! Storage round-trips, the same suite on SQLite and on PostgreSQL
//! (`LANDALE_TEST_DATABASE_URL`; skipped with a message when unset).

use chrono::{Duration, Utc};
use landale::pipeline::normalize::{normalize, Options};
use landale::store::activity::EventQuery;
use landale::store::community::{NewPronunciation, NewVocabulary};
use landale::store::contexts::NewContext;
use landale::store::transcriptions::NewTranscription;
use landale::store::Store;
use landale_core::Envelope;
use landale_testkit::*;
use serde_json::json;
use std::sync::Arc;

async fn each_backend<F, Fut>(f: F)
where
    F: Fn(Store) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for db in backends() {
        let dir = tempfile::tempdir().unwrap();
        let pg = match &db {
            Db::Postgres(admin) => Some(PgDb::create(admin).await),
            Db::Sqlite => None,
        };
        let store = Store::connect(pg.as_ref().map(|p| p.url.as_str()), dir.path())
            .await
            .expect("connect + migrate");
        eprintln!("storage suite on {}", store.engine());
        f(store).await;
    }
}

fn event(ty: &str, seq: u64, data: serde_json::Value) -> Arc<landale_protocol::Event> {
    let mut e = normalize(
        ty,
        data.as_object().unwrap().clone(),
        Envelope::default(),
        &Options::default(),
    );
    e.seq = seq;
    Arc::new(e)
}

#[tokio::test]
async fn events_and_users_round_trip() {
    each_backend(|s| async move {
        let follow = event("channel.follow", 10, json!({"user_id": "7", "user_login": "alice", "user_name": "Alice", "broadcaster_user_id": "1", "broadcaster_user_login": "b"}));
        let chat = event("channel.chat.message", 11, json!({"message_id": "m", "broadcaster_user_id": "1", "chatter_user_id": "7", "chatter_user_login": "alice", "message": {"text": "hi", "fragments": []}}));
        let chat2 = event("channel.chat.message", 12, json!({"message_id": "m2", "broadcaster_user_id": "1", "chatter_user_id": "8", "chatter_user_login": "bob", "message": {"text": "yo", "fragments": []}}));
        s.insert_events(&[follow.clone(), chat.clone(), chat2.clone()]).await.unwrap();
        // Idempotent: a retried batch does not duplicate.
        s.insert_events(std::slice::from_ref(&follow)).await.unwrap();

        let any = EventQuery::default();
        let rows = s.recent_events(10, &any).await.unwrap();
        assert_eq!(rows.len(), 3);
        let follows = EventQuery { event_type: Some("channel.follow"), ..any };
        let only_follow = s.recent_events(10, &follows).await.unwrap();
        assert_eq!(only_follow.len(), 1);
        assert_eq!(only_follow[0].user_login.as_deref(), Some("alice"));
        assert_eq!(only_follow[0].data.0["user_name"], "Alice");
        assert_eq!(only_follow[0].seq, 10);
        assert_eq!(s.recent_events(10, &EventQuery { user_id: Some("8"), ..any }).await.unwrap().len(), 1);
        // A time range: the events were stamped just now.
        let hour = Duration::hours(1);
        let now = Utc::now();
        let later = EventQuery { since: Some(now + hour), ..any };
        assert_eq!(s.recent_events(10, &later).await.unwrap().len(), 0);
        let around = EventQuery { since: Some(now - hour), until: Some(now + hour), ..follows };
        assert_eq!(s.recent_events(10, &around).await.unwrap().len(), 1);
        let before = EventQuery { until: Some(now - hour), ..any };
        assert_eq!(s.recent_events(10, &before).await.unwrap().len(), 0);

        let replay = s.events_between_seq(10, 13, 100).await.unwrap();
        assert_eq!(replay.iter().map(|v| v["seq"].as_u64().unwrap()).collect::<Vec<_>>(), [11, 12]);
        assert_eq!(replay[0]["message"], "hi");

        let stats = s.event_stats(now - hour, None).await.unwrap();
        assert_eq!(stats["total_events"], 3);
        assert_eq!(stats["chat_messages"], 2);
        assert_eq!(stats["follows"], 1);
        assert_eq!(stats["unique_users"], 2);
        let top = s.most_active_users(now - hour, None, 10).await.unwrap();
        assert_eq!(top.as_array().unwrap().len(), 2);
        let none = s.event_stats(now - hour * 3, Some(now - hour)).await.unwrap();
        assert_eq!(none["total_events"], 0, "until excludes what came after");

        assert!(s.last_seq().await.unwrap() >= 12);
        s.meta_set("seq_reserved", "500").await.unwrap();
        assert_eq!(s.meta_get("seq_reserved").await.unwrap().as_deref(), Some("500"));
        assert_eq!(s.last_seq().await.unwrap(), 500);
        assert_eq!(s.apply_retention(30).await.unwrap(), 0, "nothing is old yet");
        s.ping().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn transcriptions_round_trip() {
    each_backend(|s| async move {
        let now = Utc::now();
        let mk = |text: &str, secs_ago: i64, session: Option<&str>| {
            NewTranscription::parse(&json!({
                "timestamp": (now - Duration::seconds(secs_ago)).to_rfc3339(),
                "duration": 1.5, "text": text, "confidence": 0.9, "source_id": "mic",
                "stream_session_id": session, "metadata": {"model": "tiny"}
            }))
            .unwrap()
        };
        s.insert_transcription(uuid::Uuid::new_v4(), &mk("hello chat", 30, Some("s1")), 1)
            .await
            .unwrap();
        s.insert_transcription(uuid::Uuid::new_v4(), &mk("50% off_sale", 20, Some("s1")), 2)
            .await
            .unwrap();
        s.insert_transcription(
            uuid::Uuid::new_v4(),
            &mk("another session", 10, Some("s2")),
            3,
        )
        .await
        .unwrap();
        s.insert_transcription(uuid::Uuid::new_v4(), &mk("an hour ago", 3600, None), 4)
            .await
            .unwrap();

        let all = s.list_transcriptions(10, None).await.unwrap();
        assert_eq!(all.len(), 4);
        assert_eq!(all[0].text, "another session", "newest first");
        assert_eq!(all[0].metadata.0["model"], "tiny");
        assert_eq!(
            s.list_transcriptions(10, Some("s1")).await.unwrap().len(),
            2
        );
        // LIKE wildcards in the query are literal.
        assert_eq!(
            s.search_transcriptions("50%", 10, None)
                .await
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            s.search_transcriptions("%", 10, None).await.unwrap().len(),
            1
        );
        assert_eq!(
            s.search_transcriptions("_", 10, None).await.unwrap().len(),
            1
        );
        assert_eq!(
            s.search_transcriptions("HELLO", 10, None)
                .await
                .unwrap()
                .len(),
            1
        );
        let recent = s.recent_transcriptions(5).await.unwrap();
        assert_eq!(
            recent.iter().map(|t| t.text.as_str()).collect::<Vec<_>>(),
            ["hello chat", "50% off_sale", "another session"]
        );
        let session = s.session_transcriptions("s1", 100).await.unwrap();
        assert_eq!(session.len(), 2);
        assert_eq!(session[0].text, "hello chat", "oldest first");
        let range = s
            .transcriptions_between(now - Duration::seconds(25), now, 100, None)
            .await
            .unwrap();
        assert_eq!(range.len(), 2);
        let seqd = s.transcriptions_between_seq(1, 4, 100).await.unwrap();
        assert_eq!(seqd.iter().map(|t| t.seq).collect::<Vec<_>>(), [2, 3]);
        let analytics = s.transcription_analytics().await.unwrap();
        assert_eq!(analytics["total_transcriptions_24h"], 4);
        assert_eq!(
            analytics["duration"]["total_text_length"],
            10 + 12 + 15 + 11
        );
        assert_eq!(analytics["confidence"]["distribution"]["high"], 4);
        let stats = s.transcription_stats(24).await.unwrap();
        assert_eq!(stats["total_count"], 4);
        assert_eq!(stats["unique_sessions"], 2);
        assert!((stats["avg_confidence"].as_f64().unwrap() - 0.9).abs() < 1e-9);
        assert!((stats["total_duration"].as_f64().unwrap() - 6.0).abs() < 1e-9);
    })
    .await;
}

#[tokio::test]
async fn contexts_round_trip() {
    each_backend(|s| async move {
        let now = Utc::now();
        for (i, (sentiment, topics)) in [("positive", vec!["ironmon", "chat"]), ("neutral", vec!["ironmon"])].into_iter().enumerate() {
            let c = NewContext::parse(&json!({
                "started": (now - Duration::minutes(10 - i as i64)).to_rfc3339(),
                "ended": (now - Duration::minutes(9 - i as i64)).to_rfc3339(),
                "session": "stream_1", "transcript": format!("talking about ironmon {i}"), "duration": 60.0,
                "sentiment": sentiment, "topics": topics, "chat": {"messages": 3}
            }))
            .unwrap();
            s.insert_context(&c).await.unwrap();
        }
        let list = s.list_contexts(10, None, (None, None)).await.unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].transcript, "talking about ironmon 1");
        assert_eq!(list[1].chat.as_ref().unwrap().0["messages"], 3);
        assert_eq!(s.search_contexts("IRONMON 0", 10, None).await.unwrap().len(), 1);
        assert_eq!(s.list_contexts(10, Some("other"), (None, None)).await.unwrap().len(), 0);
        // Paging back: before the newest one's start, only the older one.
        let older = s.list_contexts(10, None, (None, Some(list[0].started))).await.unwrap();
        assert_eq!(older.iter().map(|c| c.transcript.as_str()).collect::<Vec<_>>(), ["talking about ironmon 0"]);
        let newer = s.list_contexts(10, None, (Some(list[0].started), None)).await.unwrap();
        assert_eq!(newer.len(), 1);
        let stats = s.context_stats(24).await.unwrap();
        assert_eq!(stats["overall"]["total_count"], 2);
        assert_eq!(stats["sentiment_distribution"]["positive"], 1);
        assert_eq!(stats["popular_topics"][0], json!({"topic": "ironmon", "count": 2}));
    })
    .await;
}

#[tokio::test]
async fn community_round_trip() {
    each_backend(|s| async move {
        let (m, created) = s.member_activity("Alice", Some("Alice!")).await.unwrap();
        assert!(created);
        assert_eq!((m.username.as_str(), m.message_count), ("alice", 1));
        let (m, created) = s.member_activity("alice", None).await.unwrap();
        assert!(!created);
        assert_eq!(m.message_count, 2);
        assert_eq!(m.display_name.as_deref(), Some("Alice!"));
        s.member_activity("bob", None).await.unwrap();
        assert_eq!(s.active_members(10).await.unwrap().len(), 2);
        let stats = s.community_stats().await.unwrap();
        assert_eq!(stats, json!({"active_members": 2, "total_messages": 3, "weekly_active": 2}));

        assert_eq!(s.pronunciation_for("alice").await.unwrap(), None);
        let p = NewPronunciation::parse(&json!({"username": "Alice", "phonetic": "AL-iss", "created_by": "me"})).unwrap();
        s.upsert_pronunciation(&p).await.unwrap();
        assert_eq!(s.pronunciation_for("ALICE").await.unwrap().as_deref(), Some("AL-iss"));
        assert_eq!(s.list_pronunciations().await.unwrap().len(), 1);
        assert!(NewPronunciation::parse(&json!({"username": "x", "phonetic": "y", "confidence": 2})).is_err());

        let v = NewVocabulary::parse(&json!({"phrase": "  Kaizo Moment ", "category": "meme", "definition": "when it all goes wrong", "tags": ["ironmon"]})).unwrap();
        let row = s.create_vocabulary(&v).await.unwrap().expect("created");
        assert_eq!(row.phrase, "kaizo moment");
        assert_eq!(row.tags.0, ["ironmon"]);
        assert!(s.create_vocabulary(&v).await.unwrap().is_none(), "duplicate phrase");
        assert_eq!(s.search_vocabulary("WRONG", 10).await.unwrap().len(), 1);
        assert_eq!(s.list_vocabulary(Some("meme"), 10).await.unwrap().len(), 1);
        assert_eq!(s.list_vocabulary(Some("slang"), 10).await.unwrap().len(), 0);
        assert!(NewVocabulary::parse(&json!({"phrase": "x", "category": "nope"})).is_err());
    })
    .await;
}

#[tokio::test]
async fn ironmon_seed_data() {
    each_backend(|s| async move {
        let challenges = s.challenges().await.unwrap();
        assert_eq!(challenges[0]["name"], "Kaizo IronMON");
        let cps = s.checkpoints(1).await.unwrap();
        assert_eq!(cps.len(), 24);
        assert_eq!(
            (cps[0].name.as_str(), cps[23].name.as_str()),
            ("LAB", "CHAMP")
        );
        assert_eq!(
            s.checkpoint_stats(1).await.unwrap(),
            json!({"wins": 0, "losses": 0, "total": 0, "win_rate": 0.0})
        );
        assert_eq!(s.active_challenge(999).await.unwrap(), None);
    })
    .await;
}
