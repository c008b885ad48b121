//! `cargo xtask bench seed` (or `cargo bench -p seed --bench seed`): what seed costs.
//!
//! 1. The correlator at a chat flood (1,000 messages a second for a minute of stream
//!    time): nanoseconds per message added (ring push, window list, pruning), against
//!    the floor of pushing the same message into a bare bounded `VecDeque`.
//! 2. Building the prompt for a busy window (40 sentences, 240 chat lines) at the
//!    server budget (4,096 tokens) and at the embedded model's cap.
//! 3. A context end to end through a real hub with the fake LLM answering at once:
//!    window close → the context stored, against the fake's own round trip.
//! 4. The same with the default embedded model (Qwen2.5-Coder-1.5B Q4_K_M, 2 threads),
//!    when it is in the model cache: seconds per window, tokens, tokens a second, peak RSS.
//!
//! Prints tables and writes bench-results/seed.json. `--quick`: fewer samples, and one
//! embedded window.

use landale_testkit::bench::{pct, report};
use landale_testkit::{rfc3339, Opts, TestHub, TOKEN};
use seed::correlator::{Config, Correlator};
use seed::input::{Chat, Observation, Speech, SECOND};
use seed::service::Service;
use seed::settings::{Args, Settings};
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

fn main() {
    landale_testkit::bench::run(5, 30, run);
}

fn chat(i: usize, ts: i64) -> Chat {
    Chat {
        ts,
        user: format!("viewer{}", i % 300),
        message: format!("message {i} LUL that was close"),
        emotes: vec!["LUL".into()],
        native_emotes: if i.is_multiple_of(3) {
            vec!["avalonHYPE".into()]
        } else {
            vec![]
        },
        subscriber: i.is_multiple_of(2),
        moderator: false,
        id: format!("c{i}"),
        seq: Some(i as u64),
    }
}

fn speech(i: usize, ts: i64) -> Speech {
    Speech {
        ts,
        duration: 2.5,
        text: format!("sentence {i}: the boss has one more phase, watch the timing"),
        confidence: Some(0.9),
        id: None,
        seq: Some(i as u64),
    }
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|k| k.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn correlator_flood() -> Value {
    let t0 = 1_767_225_600 * SECOND;
    let n = 60_000;
    let msgs: Vec<Chat> = (0..n).map(|i| chat(i, t0 + (i as i64) * 1_000)).collect();
    let cfg = Config {
        context_window: 120 * SECOND,
        correlation_window: 10 * SECOND,
        max_buffer: 1000,
    };
    let mut c = Correlator::new(cfg, t0);
    let started = Instant::now();
    for m in msgs.iter().cloned() {
        let now = m.ts;
        c.add(Observation::Chat(m), now);
    }
    let seed_ns = started.elapsed().as_nanos() as f64 / n as f64;
    // Floor: the same clone into a bare bounded deque.
    let mut floor: VecDeque<Chat> = VecDeque::with_capacity(2000);
    let started = Instant::now();
    for m in msgs.iter().cloned() {
        if floor.len() == 2000 {
            floor.pop_front();
        }
        floor.push_back(m);
    }
    let floor_ns = started.elapsed().as_nanos() as f64 / n as f64;
    std::hint::black_box(&floor);
    let w = c.close(t0 + 61 * SECOND);
    println!("\nCorrelator at 1,000 chat messages a second ({n} messages)\n");
    println!("| path | ns per message |\n|---|---|\n| bare bounded VecDeque (floor) | {floor_ns:.0} |\n| correlator add + prune | {seed_ns:.0} |");
    println!(
        "\ncorrelator / floor: {:.2}×; the window kept {} messages ({} dropped at its bound)",
        seed_ns / floor_ns,
        w.chat.len(),
        w.dropped
    );
    json!({"messages": n, "floor_ns": floor_ns, "correlator_ns": seed_ns, "ratio": seed_ns / floor_ns, "window_kept": w.chat.len(), "window_dropped": w.dropped})
}

fn prompt_build() -> Value {
    let t0 = 1_767_225_600 * SECOND;
    let speech: Vec<Speech> = (0..40)
        .map(|i| speech(i, t0 + i as i64 * 3 * SECOND))
        .collect();
    let chat: Vec<Chat> = (0..240)
        .map(|i| chat(i, t0 + i as i64 * SECOND / 2))
        .collect();
    let input = seed::prompt::Input {
        speech: &speech,
        chat: &chat,
        interactions: &[],
        window_secs: 120.0,
        streamer: "Avalonstar",
    };
    let mut out = json!({});
    println!("\nPrompt build for a busy window (40 sentences, 240 chat lines)\n\n| budget | µs per build | estimated tokens | chat lines dropped |\n|---|---|---|---|");
    for (name, budget) in [
        ("server", 4096),
        (
            "embedded",
            seed::engine::PROMPT_TOKENS + seed::prompt::ANSWER_TOKENS + 64,
        ),
    ] {
        let reps = 300;
        let started = Instant::now();
        let mut p = None;
        for _ in 0..reps {
            p = Some(std::hint::black_box(seed::prompt::build(&input, budget)));
        }
        let us = started.elapsed().as_secs_f64() * 1e6 / reps as f64;
        let p = p.unwrap();
        println!(
            "| {name} ({budget} tokens) | {us:.0} | {} | {} |",
            p.tokens, p.chat_dropped
        );
        out[name] =
            json!({"budget": budget, "us": us, "tokens": p.tokens, "chat_dropped": p.chat_dropped});
    }
    out
}

async fn service(
    hub: &TestHub,
    tune: impl FnOnce(&mut Settings),
) -> (std::sync::Arc<Service>, landale_core::Clock) {
    let mut s = Settings::from_args(&Args {
        server_url: Some(format!("http://{}", hub.addr)),
        token: Some(TOKEN.into()),
        ..Args::default()
    })
    .unwrap();
    s.embedded = None;
    s.live_llm = false;
    tune(&mut s);
    let clock = landale_core::Clock::manual(chrono::Utc::now());
    let svc = Service::start(s, clock.clone());
    svc.ready().await;
    (svc, clock)
}

/// Feed one window (`sentences`, `lines` of chat) through the hub and time close → stored.
async fn window(
    hub: &TestHub,
    svc: &Service,
    clock: &landale_core::Clock,
    i: usize,
    (sentences, lines): (usize, usize),
) -> Duration {
    let mut ws = landale_testkit::ws(&hub.ws_url(), "").await;
    landale_testkit::join(&mut ws, "transcription:live", json!({})).await;
    let before = svc.observed();
    for k in 0..sentences {
        let (status, _) = landale_testkit::push(&mut ws, "transcription:live", "submit_transcription",
            json!({"timestamp": rfc3339(chrono::Utc::now()), "duration": 2.0, "text": format!("window {i} sentence {k}: the boss fight is on"), "stream_session_id": "bench"})).await;
        assert_eq!(status, "ok");
    }
    for k in 0..lines {
        let data = json!({"message_id": format!("m{i}-{k}"), "broadcaster_user_id": "12826", "chatter_user_id": "1001",
            "chatter_user_login": format!("viewer{k}"), "chatter_user_name": format!("viewer{k}"),
            "message": {"text": format!("LUL nice one {k}, that dodge was clean"), "fragments": [{"type": "text", "text": "LUL"}]}});
        hub.hub()
            .pipeline
            .ingest(landale_core::Input::new("channel.chat.message", data))
            .unwrap();
    }
    svc.wait_observed(before + (sentences + lines) as u64).await;
    let target = svc.delivered() + 1;
    let started = Instant::now();
    clock.advance(svc.settings.context_window);
    svc.wait_delivered(target).await;
    started.elapsed()
}

async fn fake_end_to_end(n: usize) -> Value {
    let hub = TestHub::start(Opts::default()).await;
    let (fake, addr) = fake_llm::FakeLlm::start(([127, 0, 0, 1], 0).into())
        .await
        .unwrap();
    let url = format!("http://{addr}/v1");
    let (svc, clock) = service(&hub, |s| {
        s.llm = Settings::from_args(&Args {
            lms_api_url: Some(url.clone()),
            ..Args::default()
        })
        .unwrap()
        .llm;
        if let Some(l) = s.llm.as_mut() {
            l.rate_limit = 100;
        }
    })
    .await;
    let http = reqwest::Client::new();
    let body = json!({"model": "default", "messages": [{"role": "user", "content": "x".repeat(2000)}], "max_tokens": 600});
    let (mut floor, mut through) = (vec![], vec![]);
    for i in 0..n {
        let t = Instant::now();
        let r = http
            .post(format!("{url}/chat/completions"))
            .json(&body)
            .send()
            .await
            .unwrap();
        let _ = r.bytes().await.unwrap();
        floor.push(t.elapsed().as_secs_f64() * 1e6);
        through.push(window(&hub, &svc, &clock, i, (3, 20)).await.as_secs_f64() * 1e6);
    }
    assert!(fake.requests().len() >= n);
    let out = json!({"windows": n});
    report(
        "seed",
        "A context end to end (window close → stored in the hub), the fake LLM answering at once",
        ("fake LLM round trip (floor)", floor),
        ("seed: prompt, LLM, check, POST /api/contexts", through),
        "added by seed and the hub",
        out.clone(),
    );
    hub.stop().await;
    out
}

async fn embedded(n: usize) -> Value {
    let path = landale_core::settings::model_cache(std::path::Path::new("../../data"))
        .join(seed::engine::DEFAULT_MODEL);
    if !path.is_file() {
        println!(
            "\nskipped: the embedded model is not in the model cache ({}): cargo xtask model llm",
            path.display()
        );
        return json!({"skipped": format!("{} missing", path.display())});
    }
    let hub = TestHub::start(Opts::default()).await;
    let (svc, clock) = service(&hub, |s| {
        s.embedded = Some(seed::settings::EmbeddedSettings {
            model_path: path.clone(),
            threads: 2,
        })
    })
    .await;
    let load = Instant::now();
    svc.engine_settled().await;
    let load_s = load.elapsed().as_secs_f64();
    let mut secs = vec![];
    let mut stats = vec![];
    for i in 0..n {
        secs.push(window(&hub, &svc, &clock, i, (3, 20)).await.as_secs_f64());
        stats.push(svc.engine_status()["stats"].clone());
    }
    let last = stats.last().cloned().unwrap_or_default();
    // A busy window: the prompt at its cap.
    let busy_s = window(&hub, &svc, &clock, n, (40, 240)).await.as_secs_f64();
    let busy = svc.engine_status()["stats"].clone();
    println!(
        "\nA busy window (40 sentences, 240 chat lines): {busy_s:.1} s, {} prompt tokens, {} generated",
        busy["last_prompt_tokens"], busy["last_generated_tokens"]
    );
    let newest = &hub.get_json("/api/contexts?limit=1").await["data"]["contexts"][0];
    secs.sort_by(f64::total_cmp);
    let prompt = last["last_prompt_tokens"].as_f64().unwrap_or(0.0);
    let generated = last["last_generated_tokens"].as_f64().unwrap_or(0.0);
    let rss = peak_rss_mb();
    println!("\nThe embedded model (Qwen2.5-Coder-1.5B-Instruct Q4_K_M, 2 threads), {n} windows\n");
    println!("| load s | window p50 s | window max s | prompt tokens | generated tokens | peak RSS MB |\n|---|---|---|---|---|---|");
    println!(
        "| {load_s:.1} | {:.1} | {:.1} | {prompt} | {generated} | {rss:.0} |",
        pct(&secs, 0.5),
        secs[secs.len() - 1]
    );
    println!(
        "\nanalysis: {}, summary: {}",
        newest["analysis"], newest["summary"]
    );
    hub.stop().await;
    json!({"busy_window_s": busy_s, "busy_prompt_tokens": busy["last_prompt_tokens"], "busy_generated_tokens": busy["last_generated_tokens"],
           "load_s": load_s, "window_p50_s": pct(&secs, 0.5), "window_max_s": secs[secs.len() - 1], "prompt_tokens": prompt,
           "generated_tokens": generated, "peak_rss_mb": rss, "analysis": newest["analysis"], "summary": newest["summary"],
           "failures": last["failures"]})
}

async fn run(n: usize) {
    let flood = correlator_flood();
    let prompts = prompt_build();
    let fake = fake_end_to_end(n).await;
    let quick = std::env::args().any(|a| a == "--quick");
    let emb = embedded(if quick { 1 } else { 3 }).await;
    // report() wrote the end-to-end rows; add the rest to the same file.
    let file =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench-results/seed.json");
    let mut all: Value = std::fs::read_to_string(&file)
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_else(|| json!({}));
    all["correlator"] = flood;
    all["prompt"] = prompts;
    all["fake"] = fake;
    all["embedded"] = emb;
    std::fs::write(
        &file,
        serde_json::to_string_pretty(&all).unwrap_or_default(),
    )
    .expect("write bench-results/seed.json");
}
