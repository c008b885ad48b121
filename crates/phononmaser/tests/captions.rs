//! phononmaser end to end: speech made with espeak-ng, streamed in the OBS plugin's
//! frame format (48 kHz stereo s16le, 1024-frame chunks, faster than real time) into
//! the real binary, recognised by whisper.cpp with the default model, delivered to a
//! real hub and read by a `transcription:live` subscriber.
//!
//! Needs espeak-ng and sox (Debian) and the model (`cargo xtask model`); says it was
//! skipped and why when one is missing (.ci/run installs them all).

use futures_util::SinkExt;
use landale_testkit::speech::*;
use landale_testkit::{Opts, TestHub};
use serde_json::Value;
use std::path::Path;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// One phononmaser decoding at a time: each test's own whisper threads would
/// otherwise share two cores with every other test's, and a busy machine should
/// slow these tests down, not change what they see.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn start(hub: &TestHub) -> Phononmaser {
    start_with(hub, false)
}

fn start_with(hub: &TestHub, prompt: bool) -> Phononmaser {
    let prompt = prompt.to_string();
    start_phononmaser(
        Path::new(env!("CARGO_BIN_EXE_phononmaser")),
        hub,
        &[("ENABLE_PROMPT_MANAGER", &prompt)],
    )
}

/// A hub, phononmaser pointed at it, and a `transcription:live` subscriber; `None`
/// (after saying why) when this machine cannot run these tests.
async fn rig() -> Option<(Rig, TestHub, Phononmaser, landale_client::Channel)> {
    if let Some(why) = missing() {
        eprintln!("skipped: {why}");
        return None;
    }
    let turn = SERIAL.lock().await;
    let hub = TestHub::start(Opts::default()).await;
    let pm = start(&hub);
    let sub = subscriber(&hub).await;
    Some((turn, hub, pm, sub))
}

/// This test's turn to decode (see [`SERIAL`]).
type Rig = tokio::sync::MutexGuard<'static, ()>;

const SENTENCE: &str =
    "Okay chat, this is the last attempt of the night, so wish me luck with the gym leader.";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spoken_sentences_reach_the_hub_as_partials_then_a_final() {
    let Some((_turn, hub, pm, mut sub)) = rig().await else {
        return;
    };
    let mut events = Events::open(&pm).await;
    // At the plugin's own pace, so partials come while the sentence is spoken.
    stream(&pm.audio, "Mic/Aux", &speech(SENTENCE, 0.5, 1.5), 1.0).await;
    let mut partials = Vec::new();
    let f = next_final(&mut sub, &mut partials, Duration::from_secs(60))
        .await
        .expect("a final");
    let text = f["text"].as_str().unwrap();
    let e = wer(SENTENCE, text);
    assert!(e <= 0.2, "WER {e:.2}: heard {text:?}");
    assert!(
        !partials.is_empty(),
        "partials while the sentence was spoken"
    );
    assert!(partials
        .iter()
        .all(|p| p["utterance_id"] == partials[0]["utterance_id"]));
    // The reference payload shape, with a real confidence, the language, a wall-clock time.
    assert_eq!(f["source_id"], "phononmaser");
    let conf = f["confidence"].as_f64().unwrap();
    assert!(conf > 0.3 && conf <= 1.0, "confidence {conf}");
    let at = chrono::DateTime::parse_from_rfc3339(f["timestamp"].as_str().unwrap()).unwrap();
    let age = chrono::Utc::now().signed_duration_since(at).num_seconds();
    assert!((0..120).contains(&age), "timestamp {at} is {age} s old");
    assert!(f["stream_session_id"]
        .as_str()
        .unwrap()
        .starts_with("stream_"));
    // The hub publishes before it replies: wait for phononmaser to hear the reply.
    let delivered = events
        .next("audio:delivered", Duration::from_secs(30))
        .await;
    assert_eq!(delivered["utterance_id"], f["id"]);
    let health = health(&pm).await;
    assert_eq!(health["status"], "healthy", "{health}");
    assert_eq!(health["counts"]["captions_delivered"], 1, "{health}");
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silence_and_noise_give_no_text_and_lying_frames_are_survived() {
    let Some((_turn, hub, pm, mut sub)) = rig().await else {
        return;
    };
    // Lying frames first, on the same connection as the audio that follows.
    let (mut ws, _) = tokio_tungstenite::connect_async(&pm.audio).await.unwrap();
    for bad in [vec![1u8; 10], {
        let mut f = phononmaser::frame::encode_binary(
            0,
            phononmaser::frame::Format {
                sample_rate: 48_000,
                channels: 2,
                bit_depth: 16,
            },
            "m",
            "m",
            &[0; 8],
        );
        f[20..24].copy_from_slice(&9999u32.to_le_bytes());
        f
    }] {
        ws.send(Message::binary(bad)).await.unwrap();
    }
    ws.send(Message::text("{not json")).await.unwrap();
    // One source too many for one connection: its frame is dropped too.
    let stereo = phononmaser::frame::Format {
        sample_rate: 48_000,
        channels: 2,
        bit_depth: 16,
    };
    for n in 0..=phononmaser::server::MAX_SOURCES {
        let id = format!("source-{n}");
        let f = phononmaser::frame::encode_binary(0, stereo, &id, &id, &[0; 4096]);
        ws.send(Message::binary(f)).await.unwrap();
    }
    // A clean close (an abrupt one could discard frames not yet read).
    ws.close(None).await.unwrap();
    while let Some(Ok(_)) = futures_util::StreamExt::next(&mut ws).await {}
    // 20 s of silence, then 20 s of noise, then a sentence: the only final is the sentence.
    let mut pcm = sox(&["-n"], &["synth", "20", "sine", "0", "vol", "0"]);
    pcm.extend(sox(&["-n"], &["synth", "20", "pinknoise", "vol", "0.3"]));
    pcm.extend(speech("Thanks for the raid everyone.", 0.3, 1.5));
    stream(&pm.audio, "Desk", &pcm, 20.0).await;
    let mut partials = Vec::new();
    let f = next_final(&mut sub, &mut partials, Duration::from_secs(90))
        .await
        .expect("the sentence's final");
    let text = f["text"].as_str().unwrap();
    assert!(
        wer("Thanks for the raid everyone.", text) <= 0.4,
        "the first final is the sentence, heard {text:?}"
    );
    let health = health(&pm).await;
    assert_eq!(health["counts"]["bad_frames"], 4, "{health}");
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_that_leaves_mid_sentence_is_finished_and_a_hub_restart_loses_nothing() {
    let Some((_turn, mut hub, pm, mut sub)) = rig().await else {
        return;
    };
    // Cut off with no trailing silence: the final comes from the disconnect.
    let pcm = speech(
        "Welcome back everyone, grab a drink and settle in.",
        0.3,
        0.0,
    );
    stream(&pm.audio, "Mic", &pcm, 4.0).await;
    let mut partials = Vec::new();
    let f = next_final(&mut sub, &mut partials, Duration::from_secs(60))
        .await
        .expect("a final for the cut sentence");
    assert!(
        words(f["text"].as_str().unwrap()).contains(&"welcome".to_string()),
        "{f}"
    );

    drop(sub);

    // The hub goes away; two sentences are spoken; it comes back: both are stored,
    // once each, in order. (The first sentence's final may be waiting too, if the hub
    // stopped before its reply: its resend is then answered as a duplicate.)
    let mut events = Events::open(&pm).await;
    hub.pause().await;
    let mut pcm = speech("First, the hub is down.", 0.3, 1.0);
    pcm.extend(speech("Second, it is still down.", 0.3, 1.0));
    stream(&pm.audio, "Mic", &pcm, 4.0).await;
    let mut made = Vec::new();
    for _ in 0..2 {
        let t = events
            .next("audio:transcription", Duration::from_secs(60))
            .await;
        made.push(t["utterance_id"].clone());
    }
    let h = health(&pm).await;
    assert_eq!(
        (h["status"].as_str(), h["websocket"]["connected"].as_bool()),
        (Some("degraded"), Some(false)),
        "{h}"
    );
    assert!(
        h["queues"]["captions_waiting_for_hub"].as_u64() >= Some(2),
        "{h}"
    );
    hub.resume().await;
    let mut delivered = Vec::new();
    while delivered.len() < 2 {
        let d = events
            .next("audio:delivered", Duration::from_secs(60))
            .await;
        if made.contains(&d["utterance_id"]) {
            delivered.push(d["utterance_id"].clone());
        }
    }
    assert_eq!(delivered, made, "delivered in the order spoken");
    let stored: Value = hub.get_json("/api/transcriptions?limit=10").await;
    let texts: Vec<String> = stored["data"]["transcriptions"]
        .as_array()
        .or(stored["data"].as_array())
        .expect("a list")
        .iter()
        .map(|t| t["text"].as_str().unwrap_or_default().to_lowercase())
        .collect();
    assert_eq!(texts.len(), 3, "{texts:?}");
    // Newest first.
    assert!(texts[0].contains("still"), "{texts:?}");
    assert!(texts[1].contains("first"), "{texts:?}");
    hub.stop().await;
}

/// What phononmaser hears in `sentence`, with or without the chatters' names prompt.
async fn heard_with_names(sentence: &str, prompt: bool) -> Option<String> {
    if let Some(why) = missing() {
        eprintln!("skipped: {why}");
        return None;
    }
    let _turn = SERIAL.lock().await;
    let hub = TestHub::start(Opts::default()).await;
    chat(
        &hub,
        &["Zephyrine", "Zephyrine", "Zephyrine", "Someone", "Other"],
    )
    .await;
    let pm = start_with(&hub, prompt);
    let mut events = Events::open(&pm).await;
    // The first poll of the hub may be done already, or still coming.
    if prompt && health(&pm).await["prompt_terms"] == "" {
        events.next("prompt:terms", Duration::from_secs(20)).await;
    }
    let h = health(&pm).await;
    assert_eq!(
        h["prompt_terms"].as_str().unwrap().contains("Zephyrine"),
        prompt,
        "{h}"
    );
    let mut sub = subscriber(&hub).await;
    // Silence enough after the sentence for the pause to end the utterance: one cut
    // off by the socket closing decodes a shorter tail, and whisper spells the name
    // differently from it (seen on a loaded machine).
    stream(&pm.audio, "Mic", &speech(sentence, 0.3, 2.5), 4.0).await;
    let f = next_final(&mut sub, &mut Vec::new(), Duration::from_secs(60))
        .await
        .expect("a final");
    hub.stop().await;
    Some(f["text"].as_str().unwrap().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chatters_unusual_name_is_spelled_right_with_the_prompt_and_not_without() {
    let sentence = "Thank you so much for the raid, Zephyrine, welcome in.";
    let Some(without) = heard_with_names(sentence, false).await else {
        return;
    };
    let with = heard_with_names(sentence, true).await.unwrap();
    // How far the closest word is from the name, in letters changed.
    let distance = |t: &str| {
        t.split(|c: char| !c.is_alphanumeric())
            .map(|w| edits(&w.to_lowercase(), "zephyrine"))
            .min()
            .unwrap_or(usize::MAX)
    };
    eprintln!("without the prompt: {without:?}; with it: {with:?}");
    // Whisper's spelling of a name it never heard moves a letter with how an utterance
    // is cut (load changes that): what is checked is that the prompt brings the word
    // to the name (at most one letter off), from further away without it.
    assert!(distance(&without) >= 2, "without the prompt: {without:?}");
    assert!(distance(&with) <= 1, "with the prompt: {with:?}");
}

/// Letters inserted, removed or changed to turn `a` into `b`.
fn edits(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_decode_overload_partials_are_skipped_and_every_final_is_kept() {
    let Some((_turn, hub, pm, _sub)) = rig().await else {
        return;
    };
    let mut events = Events::open(&pm).await;
    // Three sources at once, far faster than real time: the decoder falls behind.
    let lines = [
        (
            "Desk",
            "The weather today is sunny with a light breeze from the west.",
        ),
        (
            "Mic",
            "We will try the gym leader again after a short break for snacks.",
        ),
        (
            "Guest",
            "Remember to drink some water and stretch your legs every hour.",
        ),
    ];
    let mut streams = Vec::new();
    for (source, line) in lines {
        let mut pcm = speech(line, 0.3, 1.0);
        pcm.extend(speech(line, 0.3, 1.0));
        let url = pm.audio.clone();
        streams.push(tokio::spawn(async move {
            stream(&url, source, &pcm, 40.0).await
        }));
    }
    for s in streams {
        s.await.unwrap();
    }
    // Wait on /events until every source has ended and every final it queued was
    // decoded (kept or dropped as not speech) and, if kept, delivered.
    let mut ended = 0;
    let mut sources = std::collections::HashSet::new();
    loop {
        let kinds = [
            "audio:transcription",
            "audio:not_speech",
            "audio:delivered",
            "audio:source_ended",
        ];
        let e = tokio::time::timeout(Duration::from_secs(120), events.next_any(&kinds))
            .await
            .expect("the finals kept coming");
        match e["type"].as_str() {
            Some("audio:transcription") => {
                sources.insert(e["source_id"].as_str().unwrap().to_string());
            }
            Some("audio:source_ended") => ended += 1,
            _ => {}
        }
        let c = &health(&pm).await["counts"];
        let decided = c["finals"].as_u64().unwrap() + c["finals_not_speech"].as_u64().unwrap();
        if ended == 3
            && decided == c["finals_queued"].as_u64().unwrap()
            && c["captions_delivered"] == c["finals"]
        {
            break;
        }
    }
    let h = health(&pm).await;
    assert_eq!(sources.len(), 3, "every source was heard: {sources:?}");
    assert!(
        h["counts"]["finals"].as_u64() >= Some(6),
        "both sentences of every source: {h}"
    );
    assert!(
        h["counts"]["partials_skipped"].as_u64() > Some(0),
        "the decoder was behind: {h}"
    );
    assert_eq!(h["counts"]["finals_dropped"], 0, "{h}");
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hubs_health_shows_phononmasers_real_state() {
    if let Some(why) = missing() {
        eprintln!("skipped: {why}");
        return;
    }
    let _turn = SERIAL.lock().await;
    // A port for phononmaser's health, known to the hub before either starts.
    let port = landale_testkit::free_port();
    let hub = TestHub::start(Opts {
        phononmaser_health_url: Some(format!("http://127.0.0.1:{port}/health")),
        ..Opts::default()
    })
    .await;
    let entry = || async {
        let h: Value = hub.get_json("/api/health").await;
        h["services"]["phononmaser"].clone()
    };
    assert_eq!(entry().await["connected"], false, "not started yet");
    let port = port.to_string();
    let pm = start_phononmaser(
        Path::new(env!("CARGO_BIN_EXE_phononmaser")),
        &hub,
        &[("PHONONMASER_HEALTH_PORT", &port)],
    );
    let e = entry().await;
    assert_eq!(e["connected"], true, "{e}");
    // Healthy, or degraded for a moment while its hub link connects: the model either way.
    assert!(
        e["detail"]
            .as_str()
            .unwrap()
            .contains("whisper-tiny.en (q8_0)"),
        "{e}"
    );
    let mut events = Events::open(&pm).await;
    stream(
        &pm.audio,
        "Mic",
        &speech("Welcome back to the stream everyone.", 0.3, 1.0),
        4.0,
    )
    .await;
    events
        .next("audio:delivered", Duration::from_secs(60))
        .await;
    let e = entry().await;
    assert_eq!(e["status"], "healthy", "{e}");
    let detail = e["detail"].as_str().unwrap();
    assert!(
        detail.contains("RTF") && detail.ends_with("· 1 captions"),
        "{detail}"
    );
    drop(pm);
    assert_eq!(entry().await["connected"], false, "stopped");
    hub.stop().await;
}

#[test]
fn a_missing_or_corrupt_model_stops_it_with_a_line_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("ggml-junk.bin");
    std::fs::write(&junk, b"lmgg but not a model").unwrap();
    let missing = dir.path().join("nowhere.bin");
    let mut cases = vec![
        (missing, "no Whisper model at"),
        (junk, "is not a Whisper model"),
    ];
    if model_dir().join("model.bin").exists() {
        // A real model cut short: whisper.cpp refuses it, and says which.
        let cut = dir.path().join("ggml-cut.bin");
        let whole = phononmaser::model::load(&model_dir()).unwrap().ggml;
        std::fs::write(&cut, &whole[..whole.len() / 3]).unwrap();
        cases.push((cut, "could not load the model"));
    }
    for (path, says) in &cases {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_phononmaser"))
            .env("WHISPER_MODEL_PATH", path)
            .env("PHONONMASER_PORT", "0")
            .env("PHONONMASER_HEALTH_PORT", "0")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        let line = err
            .lines()
            .find(|l| l.starts_with("phononmaser: "))
            .unwrap_or_default();
        assert!(
            line.contains(says) && line.contains(path.file_name().unwrap().to_str().unwrap()),
            "{err}"
        );
    }
}
