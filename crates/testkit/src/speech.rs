//! Speech for phononmaser's tests and benchmark: sentences made with espeak-ng and
//! sox as the OBS plugin sends them, the phononmaser binary pointed at a test hub,
//! its `/events` stream and health, a `transcription:live` subscriber, chat for the
//! prompt, and the word error rate.

use crate::{TestHub, TOKEN};
use futures_util::SinkExt;
use landale_client::{Client, Options};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// Where the default model is: `LANDALE_MODELS`, else the repo's `data/models`.
pub fn model_dir() -> PathBuf {
    std::env::var_os("LANDALE_MODELS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/models")))
        .join("whisper-tiny.en")
}

/// Why this machine cannot run these tests, if it cannot.
pub fn missing() -> Option<String> {
    for tool in ["espeak-ng", "sox"] {
        if Command::new(tool).arg("--version").output().is_err() {
            return Some(format!(
                "{tool} is not installed (apt-get install {tool}; .ci/run installs it)"
            ));
        }
    }
    (!model_dir().join("model.bin").exists()).then(|| {
        format!(
            "no model at {} (run `cargo xtask model`; .ci/run does)",
            model_dir().display()
        )
    })
}

/// `text` spoken by espeak-ng as the plugin sends it: 48 kHz stereo s16le, with
/// `before` and `after` seconds of silence.
pub fn speech(text: &str, before: f32, after: f32) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("s.wav");
    let ok = Command::new("espeak-ng")
        .args(["-v", "en-us", "-s", "160", "-w"])
        .arg(&wav)
        .arg(text)
        .status()
        .unwrap()
        .success();
    assert!(ok, "espeak-ng failed");
    sox(
        &[wav.to_str().unwrap()],
        &["pad", &before.to_string(), &after.to_string()],
    )
}

/// Run sox on `input` (a file, or `-n` with a synth effect) to 48 kHz stereo s16le.
pub fn sox(input: &[&str], effects: &[&str]) -> Vec<u8> {
    let out = Command::new("sox")
        .args(input)
        .args([
            "-r",
            "48000",
            "-c",
            "2",
            "-b",
            "16",
            "-e",
            "signed-integer",
            "-t",
            "raw",
            "-",
        ])
        .args(effects)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "sox: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A running phononmaser: its audio URL (`ws://…/`) and health URL; killed on drop.
pub struct Phononmaser {
    pub child: Child,
    pub audio: String,
    pub health: String,
}

impl Drop for Phononmaser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The phononmaser binary `bin` pointed at `hub` (two decoder threads, the names
/// prompt off, ports picked by the system), with `env` on top; returns once it says
/// where it listens.
pub fn start_phononmaser(bin: &Path, hub: &TestHub, env: &[(&str, &str)]) -> Phononmaser {
    let mut cmd = Command::new(bin);
    cmd.env("SERVER_WS_URL", hub.ws_url())
        .env("LANDALE_TOKEN", TOKEN)
        .env("PHONONMASER_PORT", "0")
        .env("PHONONMASER_HEALTH_PORT", "0")
        .env("WHISPER_MODEL_PATH", model_dir())
        .env("WHISPER_THREADS", "2")
        .env("ENABLE_PROMPT_MANAGER", "false")
        .env("PHOENIX_BASE_URL", hub.http(""));
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.stdout(Stdio::piped()).spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    // "phononmaser on 127.0.0.1:PORT (health 127.0.0.1:PORT)"
    let words: Vec<&str> = line.split_whitespace().collect();
    assert!(line.starts_with("phononmaser on"), "{line:?}");
    Phononmaser {
        child,
        audio: format!("ws://{}/", words[2]),
        health: format!("http://{}/health", words[4].trim_end_matches(')')),
    }
}

/// Bytes in one chunk the plugin sends: 1024 frames of 48 kHz stereo s16le.
pub const CHUNK_BYTES: usize = 4096;

/// Stream `pcm` in the plugin's 1024-frame chunks at `speed` times real time, then
/// close cleanly; returns when each chunk was sent.
pub async fn stream(url: &str, source: &str, pcm: &[u8], speed: f64) -> Vec<std::time::Instant> {
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    ws.send(Message::text(r#"{"type":"start","timestamp":1}"#))
        .await
        .unwrap();
    let format = landale_protocol::audio_frame::Format {
        sample_rate: 48_000,
        channels: 2,
        bit_depth: 16,
    };
    // The plugin's pace (one chunk per OBS audio callback), sped up: a pace to keep,
    // not a wait for something to happen.
    let mut pace = tokio::time::interval(Duration::from_secs_f64(1024.0 / 48_000.0 / speed));
    let mut ts = 0u64;
    let mut sent = Vec::with_capacity(pcm.len() / CHUNK_BYTES + 1);
    for c in pcm.chunks(CHUNK_BYTES) {
        pace.tick().await;
        let f = landale_protocol::audio_frame::encode_binary(ts, format, source, source, c);
        ws.send(Message::binary(f)).await.unwrap();
        sent.push(std::time::Instant::now());
        ts += 21_333_333;
    }
    let _ = ws.close(None).await;
    sent
}

/// A subscriber to `transcription:live`.
pub async fn subscriber(hub: &TestHub) -> landale_client::Channel {
    let client = Client::connect(&hub.ws_url(), &[], Options::default());
    let (ch, _) = client
        .join("transcription:live", serde_json::json!({}))
        .await
        .unwrap();
    ch
}

/// phononmaser's `/events` stream: what it recognised and what the hub took.
pub struct Events(
    pub tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
);

impl Events {
    pub async fn open(pm: &Phononmaser) -> Events {
        let (ws, _) = tokio_tungstenite::connect_async(format!("{}events", pm.audio))
            .await
            .unwrap();
        Events(ws)
    }

    /// The next event of type `kind` (others skipped), within `within`.
    pub async fn next(&mut self, kind: &str, within: Duration) -> Value {
        let found = tokio::time::timeout(within, self.next_any(&[kind])).await;
        found.unwrap_or_else(|_| panic!("no {kind} within {within:?}"))
    }

    /// The next event of any of `kinds` (others skipped).
    pub async fn next_any(&mut self, kinds: &[&str]) -> Value {
        while let Some(Ok(m)) = futures_util::StreamExt::next(&mut self.0).await {
            if let Message::Text(t) = m {
                let v: Value = serde_json::from_str(&t).unwrap();
                if kinds.iter().any(|k| v["type"] == *k) {
                    return v;
                }
            }
        }
        panic!("phononmaser's /events closed");
    }
}

pub async fn health(pm: &Phononmaser) -> Value {
    reqwest::get(&pm.health)
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The next final, skipping partials (returned in order seen).
pub async fn next_final(
    ch: &mut landale_client::Channel,
    partials: &mut Vec<Value>,
    within: Duration,
) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let m = tokio::time::timeout_at(deadline, ch.recv()).await.ok()??;
        match m.event.as_str() {
            "new_transcription" => return Some(m.payload),
            "partial_transcription" => partials.push(m.payload),
            _ => {}
        }
    }
}

/// Lowercase words, diacritics folded ("Pokémon" is "pokemon"), as WER normalisers
/// (Whisper's own among them) compare them.
pub fn words(s: &str) -> Vec<String> {
    const FROM: &str = "àáâãäåçèéêëìíîïñòóôõöùúûüýÿ";
    const TO: &str = "aaaaaaceeeeiiiinooooouuuuyy";
    s.to_lowercase()
        .chars()
        .map(|c| {
            FROM.chars()
                .position(|f| f == c)
                .and_then(|i| TO.chars().nth(i))
                .unwrap_or(c)
        })
        .collect::<String>()
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Word error rate: edits over the reference's words.
pub fn wer(reference: &str, heard: &str) -> f64 {
    let (r, h) = (words(reference), words(heard));
    let mut row: Vec<usize> = (0..=h.len()).collect();
    for (i, rw) in r.iter().enumerate() {
        let mut next = vec![i + 1; h.len() + 1];
        for (j, hw) in h.iter().enumerate() {
            next[j + 1] = (row[j] + usize::from(rw != hw))
                .min(row[j + 1] + 1)
                .min(next[j] + 1);
        }
        row = next;
    }
    row[h.len()] as f64 / r.len().max(1) as f64
}

/// Chat from these names, stored in the hub (the prompt's source).
pub async fn chat(hub: &TestHub, names: &[&str]) {
    for (i, n) in names.iter().enumerate() {
        let data = serde_json::json!({"message_id": format!("m{i}"), "broadcaster_user_id": "12826",
            "broadcaster_user_login": "avalonstar", "broadcaster_user_name": "Avalonstar",
            "chatter_user_id": format!("{}", 5000 + i), "chatter_user_login": n.to_lowercase(), "chatter_user_name": n,
            "message": {"text": "hi", "fragments": [{"type": "text", "text": "hi"}]}, "color": "", "badges": [],
            "message_type": "text"});
        hub.hub()
            .pipeline
            .ingest(landale_core::Input::new("channel.chat.message", data))
            .expect("valid chat");
    }
    hub.wait_stored(names.len() as u64).await;
}

#[cfg(test)]
mod tests {
    use super::wer;

    #[test]
    fn word_error_rate_counts_edits() {
        assert_eq!(wer("the cat sat", "the cat sat"), 0.0);
        assert_eq!(wer("the cat sat", "the bat sat down"), 2.0 / 3.0);
        assert_eq!(wer("Okay, chat!", "okay chat"), 0.0);
        assert_eq!(wer("a single pokemon", "a single Pokémon."), 0.0);
    }
}
