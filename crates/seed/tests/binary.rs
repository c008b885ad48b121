//! The `seed` program itself: a bad setting stops it with one line naming the
//! variable; it serves `/health` against a real hub; `seed export` writes datasets
//! from the hub's stored contexts.

use landale_testkit::*;
use serde_json::{json, Value};
use std::process::{Command, Stdio};

const SEED: &str = env!("CARGO_BIN_EXE_seed");

#[test]
fn a_bad_setting_is_named_in_one_line() {
    let out = Command::new(SEED)
        .env("SEED_CORRELATOR__CONTEXT_WINDOW_SECONDS", "5")
        .env("SEED_LLM__ENABLED", "false")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(
            "seed: SEED_CORRELATOR__CONTEXT_WINDOW_SECONDS=\"5\": expected seconds from 30 to 600"
        ),
        "{err}"
    );
}

struct Child(std::process::Child);
impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn it_serves_health_beside_a_real_hub() {
    let hub = TestHub::start(Opts::default()).await;
    let port = landale_testkit::free_port();
    let _seed = Child(
        Command::new(SEED)
            .env("SEED_WEBSOCKET__SERVER_URL", format!("http://{}", hub.addr))
            .env("LANDALE_TOKEN", TOKEN)
            .env("SEED_HEALTH__PORT", port.to_string())
            .env("SEED_LLM__ENABLED", "false")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    // The port answering is the signal it started; then it reports healthy once joined.
    let deadline = tokio::time::Instant::now() + DEADLINE;
    let health = loop {
        if let Ok(r) = reqwest::get(format!("http://127.0.0.1:{port}/health")).await {
            let h: Value = r.json().await.unwrap();
            if h["status"] == "healthy" {
                break h;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "seed never became healthy"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(health["service"], "landale-seed");
    assert!(
        health["summary"]
            .as_str()
            .unwrap()
            .contains("no LLM (seed's own analysis)"),
        "{health}"
    );
    hub.stop().await;
}

#[tokio::test]
async fn export_writes_datasets_from_the_hub() {
    let hub = TestHub::start(Opts::default()).await;
    let now = chrono::Utc::now();
    for i in 0..6 {
        let start = now - chrono::Duration::minutes(20 - 2 * i);
        let body = json!({"started": rfc3339(start), "ended": rfc3339(start + chrono::Duration::minutes(2)), "session": "stream_x",
            "transcript": format!("window {i}: we are fighting the boss and chat is cheering loudly"), "duration": 120.0,
            "sentiment": "positive", "topics": ["boss"], "summary": format!("summary {i}"), "idempotency_key": format!("k{i}")});
        assert_eq!(hub.post("/api/contexts", &body).await.status(), 201);
    }
    let dir = tempfile::tempdir().unwrap();
    let run = |format: &'static str, kind: &'static str| {
        tokio::process::Command::new(SEED)
            .args([
                "export",
                "--format",
                format,
                "--type",
                kind,
                "--days",
                "1",
                "--output-dir",
            ])
            .arg(dir.path())
            .env("SEED_WEBSOCKET__SERVER_URL", format!("http://{}", hub.addr))
            .env("SEED_LLM__ENABLED", "false")
            .output()
    };
    let hf = run("huggingface", "conversation").await.unwrap();
    let oa = run("openai", "temporal").await.unwrap();
    let csv = run("csv", "pattern").await.unwrap();
    for o in [&hf, &oa, &csv] {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let said = String::from_utf8_lossy(&hf.stdout);
    assert!(said.starts_with("6 examples from 6 contexts:"), "{said}");
    let files: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(
        files
            .iter()
            .filter(|f| f.starts_with("hf_conversation_"))
            .count(),
        3,
        "{files:?}"
    );
    let train = files.iter().find(|f| f.ends_with("_train.jsonl")).unwrap();
    let first: Value = serde_json::from_str(
        std::fs::read_to_string(dir.path().join(train))
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(first["summary"], "summary 0", "oldest first");
    assert!(
        String::from_utf8_lossy(&oa.stdout).starts_with("2 examples"),
        "six contexts make two runs of five"
    );
    hub.stop().await;
}
