//! `cargo xtask bench stt` (or `cargo bench -p phononmaser --bench stt`): live captions
//! as a viewer gets them. espeak-ng sentences are streamed at real-time pace in the OBS
//! plugin's frame format into the release phononmaser and a real hub; a
//! `transcription:live` subscriber times each line.
//!
//! Per utterance: end of speech → the final on the hub, start of speech → the first
//! partial, word error rate. Overall: p50/p95, phononmaser's real-time factor and peak
//! RSS. In the same run, the reference's strategy as the baseline: fixed 1.5 s windows,
//! no VAD, one decode each, same model and threads, in order (a window is decoded
//! when it is complete and the previous decode is done); its decode times are measured
//! and its timeline computed from them. Prints a table and writes
//! bench-results/stt.json. `--quick` speaks 4 sentences instead of 12.

use landale_testkit::bench::pct;
use landale_testkit::speech::{
    missing, model_dir, speech, start_phononmaser, stream, subscriber, wer, CHUNK_BYTES,
};
use landale_testkit::{Opts, TestHub};
use phononmaser::audio::ToMono16k;
use phononmaser::frame::Format;
use phononmaser::recognize::{self, DecodeSettings, Job, Kind, Queue};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

const SENTENCES: &[&str] = &[
    "Okay chat, this is the last attempt of the night.",
    "We need to beat the gym leader without losing a single pokemon.",
    "Thank you so much for the follow, and welcome to the stream.",
    "Let me check the map before we walk into the next route.",
    "That was a really close fight, my heart is still racing.",
    "I think we should save the potions for the final battle.",
    "Remember to drink some water and stretch your legs.",
    "The music tonight is from a game I played as a kid.",
    "If we clear this checkpoint, the run is almost over.",
    "Someone in chat asked about my keyboard, it is very loud.",
    "We will take a short break after this next section.",
    "Good night everyone, and thank you for hanging out with me.",
];
const RATE: f64 = 48_000.0;
/// A sample louder than this (of 32768) is speech, for the ground truth.
const LOUD: i16 = 300;

struct Sentence {
    text: &'static str,
    /// Frames (48 kHz) where speech starts and ends in the whole stream.
    start: usize,
    end: usize,
}

fn main() {
    landale_testkit::bench::run(4, SENTENCES.len(), run);
}

/// The first and last loud frame of stereo s16le `pcm`.
fn loud_span(pcm: &[u8]) -> (usize, usize) {
    let loud: Vec<usize> = pcm
        .chunks_exact(4)
        .enumerate()
        .filter(|(_, f)| i16::from_le_bytes([f[0], f[1]]).unsigned_abs() > LOUD as u16)
        .map(|(i, _)| i)
        .collect();
    (loud[0], loud[loud.len() - 1])
}

fn ms(d: f64) -> f64 {
    (d * 1000.0).round()
}

async fn run(n: usize) {
    if let Some(why) = missing() {
        eprintln!("skipped: {why}");
        return;
    }
    // The stream: each sentence with silence around it, as a streamer pauses.
    let mut pcm = Vec::new();
    let mut sentences = Vec::new();
    for text in &SENTENCES[..n] {
        let s = speech(text, 1.0, 1.2);
        let (a, b) = loud_span(&s);
        let at = pcm.len() / 4;
        sentences.push(Sentence {
            text,
            start: at + a,
            end: at + b,
        });
        pcm.extend(s);
    }
    let audio_secs = pcm.len() as f64 / 4.0 / RATE;

    // Landale: the hub, phononmaser (release), a subscriber timing every line.
    let hub = TestHub::start(Opts::default()).await;
    let pm = start_phononmaser(
        std::path::Path::new(env!("CARGO_BIN_EXE_phononmaser")),
        &hub,
        &[("ENABLE_PROMPT_MANAGER", "true")],
    );
    let mut sub = subscriber(&hub).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(m) = sub.recv().await {
            let _ = tx.send((Instant::now(), m.event, m.payload));
        }
    });
    eprintln!("streaming {n} sentences ({audio_secs:.0} s) at real-time pace…");
    let sent = stream(&pm.audio, "Mic/Aux", &pcm, 1.0).await;
    let frames_per_chunk = CHUNK_BYTES / 4;
    let sent_at = |frame: usize| sent[(frame / frames_per_chunk).min(sent.len() - 1)];
    // The last line: wait for its final (or 10 s).
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while let Ok(Some(m)) = tokio::time::timeout_at(deadline, rx.recv()).await {
        let done = m.1 == "new_transcription" && m.0 > sent_at(sentences[n - 1].end);
        seen.push(m);
        if done {
            break;
        }
    }
    while let Ok(m) = rx.try_recv() {
        seen.push(m);
    }
    let health: Value = reqwest::get(&pm.health)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let status =
        std::fs::read_to_string(format!("/proc/{}/status", pm.child.id())).unwrap_or_default();
    let peak_rss_mb = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| (kb / 1024.0).round());
    drop(pm);
    hub.stop().await;

    // Per sentence: the finals and partials that arrived from its start until the
    // next one starts.
    let mut rows = Vec::new();
    for (i, s) in sentences.iter().enumerate() {
        let from = sent_at(s.start);
        let until = sentences.get(i + 1).map(|n| sent_at(n.start));
        let mine = |ev: &'static str| {
            seen.iter()
                .filter(move |(t, e, _)| e == ev && *t >= from && until.is_none_or(|u| *t < u))
        };
        let finals: Vec<_> = mine("new_transcription").collect();
        let text: Vec<&str> = finals
            .iter()
            .filter_map(|(_, _, p)| p["text"].as_str())
            .collect();
        let final_ms = finals
            .last()
            .map(|(t, _, _)| ms(t.duration_since(sent_at(s.end)).as_secs_f64()));
        let partial_ms = mine("partial_transcription")
            .next()
            .map(|(t, _, _)| ms(t.duration_since(from).as_secs_f64()));
        rows.push(json!({"sentence": i + 1, "words": s.text.split_whitespace().count(),
            "final_ms": final_ms, "first_partial_ms": partial_ms,
            "wer": (wer(s.text, &text.join(" ")) * 1000.0).round() / 1000.0, "heard": text.join(" ")}));
    }

    // The baseline: 1.5 s windows of the same audio through the same decoder.
    let loaded = phononmaser::model::load(&model_dir()).expect("the model");
    let ctx = Arc::new(recognize::context(&loaded.ggml, &loaded.name).expect("whisper loads it"));
    let queue = Arc::new(Queue::default());
    let (otx, mut orx) = tokio::sync::mpsc::channel(4);
    recognize::spawn(
        ctx,
        DecodeSettings {
            threads: 2,
            language: "en".into(),
        },
        queue.clone(),
        otx,
    )
    .unwrap();
    let mut mono = Vec::new();
    let mut to16k = ToMono16k::new(Format {
        sample_rate: 48_000,
        channels: 2,
        bit_depth: 16,
    });
    to16k.push(&pcm, &mut mono);
    to16k.flush(&mut mono);
    let window = 24_000; // 1.5 s at 16 kHz
    let mut windows = Vec::new(); // (complete at s, decoded at s, text)
    let mut busy_until = 0f64;
    for (k, w) in mono.chunks(window).enumerate() {
        queue.push(Job {
            kind: Kind::Final,
            source: "baseline".into(),
            utterance: format!("w{k}"),
            audio: Arc::new(w.to_vec()),
            voiced: w.len(),
            prompt: String::new(),
            started_at: SystemTime::now(),
            made: Instant::now(),
        });
        let o = orx.recv().await.expect("the decoder answers");
        let complete = (k + 1) as f64 * 1.5;
        let start = complete.max(busy_until);
        busy_until = start + o.decode.as_secs_f64();
        windows.push((
            complete,
            busy_until,
            o.text.unwrap_or_default(),
            o.decode.as_secs_f64(),
        ));
    }
    queue.close();
    let base_rtf = windows.iter().map(|w| w.3).sum::<f64>() / audio_secs;
    for (row, s) in rows.iter_mut().zip(&sentences) {
        let (a, b) = (s.start as f64 / RATE, s.end as f64 / RATE);
        let covering = |t: f64| {
            windows
                .iter()
                .find(|w| w.0 >= t)
                .unwrap_or(&windows[windows.len() - 1])
        };
        let text: Vec<&str> = windows
            .iter()
            .filter(|w| w.0 > a && w.0 - 1.5 < b)
            .map(|w| w.2.as_str())
            .collect();
        row["baseline_final_ms"] = json!(ms(covering(b).1 - b));
        row["baseline_first_text_ms"] = json!(ms(covering(a).1 - a));
        row["baseline_wer"] = json!((wer(s.text, &text.join(" ")) * 1000.0).round() / 1000.0);
    }

    // Report.
    let col = |k: &str| {
        let mut v: Vec<f64> = rows.iter().filter_map(|r| r[k].as_f64()).collect();
        v.sort_by(f64::total_cmp);
        v
    };
    let summary = |k: &str| {
        let v = col(k);
        if v.is_empty() {
            return json!(null);
        }
        json!({"p50": pct(&v, 0.5), "p95": pct(&v, 0.95), "n": v.len()})
    };
    let mean = |k: &str| {
        let v = col(k);
        (v.iter().sum::<f64>() / v.len().max(1) as f64 * 1000.0).round() / 1000.0
    };
    println!("\nLive captions, {n} sentences at real-time pace (tiny.en q8_0, 2 threads)\n");
    println!("| # | words | final ms | first partial ms | WER | baseline final ms | baseline WER |\n|---|---|---|---|---|---|---|");
    for r in &rows {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            r["sentence"],
            r["words"],
            r["final_ms"],
            r["first_partial_ms"],
            r["wer"],
            r["baseline_final_ms"],
            r["baseline_wer"]
        );
    }
    let (f, p, bf) = (
        summary("final_ms"),
        summary("first_partial_ms"),
        summary("baseline_final_ms"),
    );
    println!("\nend of speech → final: p50 {} ms, p95 {} ms (baseline 1.5 s windows: p50 {} ms, p95 {} ms)", f["p50"], f["p95"], bf["p50"], bf["p95"]);
    println!(
        "start of speech → first partial: p50 {} ms, p95 {} ms",
        p["p50"], p["p95"]
    );
    println!(
        "WER (mean): {} (baseline {})",
        mean("wer"),
        mean("baseline_wer")
    );
    println!(
        "real-time factor: {} (baseline {:.3}); phononmaser peak RSS: {:?} MB",
        health["real_time_factor"], base_rtf, peak_rss_mb
    );
    let out = json!({
        "sentences": n, "audio_seconds": audio_secs, "rows": rows,
        "final_ms": f, "first_partial_ms": p, "baseline_final_ms": bf,
        "wer_mean": mean("wer"), "baseline_wer_mean": mean("baseline_wer"),
        "real_time_factor": health["real_time_factor"], "baseline_real_time_factor": base_rtf,
        "peak_rss_mb": peak_rss_mb, "health": health,
    });
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench-results");
    let _ = std::fs::create_dir_all(&dir);
    std::fs::write(
        dir.join("stt.json"),
        serde_json::to_string_pretty(&out).unwrap(),
    )
    .expect("write bench-results/stt.json");
}
