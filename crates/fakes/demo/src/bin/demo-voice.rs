//! `demo-voice [--to ws://127.0.0.1:8889/] [--clips deploy/voice] [--pause-secs 6]
//! [--journal FILE]`: a streamer's voice for the demo, spoken into phononmaser as OBS's
//! audio plugin would send it, forever; it reconnects (with backoff) when phononmaser
//! restarts. With `--journal`, each sentence sent whole is appended to FILE as a JSON
//! line (`text`, `started_ms`, `ended_ms`: wall-clock milliseconds of its first and
//! last frame of speech), which the rehearsal scores the captions against.

use futures_util::SinkExt;
use landale_demo::voice;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut to = "ws://127.0.0.1:8889/".to_string();
    let mut clips_dir = std::path::PathBuf::from("deploy/voice");
    let mut pause = 6u64;
    let mut journal: Option<std::path::PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match (a.as_str(), args.next()) {
            ("--to", Some(v)) => to = v,
            ("--clips", Some(v)) => clips_dir = v.into(),
            ("--pause-secs", Some(v)) if v.parse::<u64>().is_ok() => pause = v.parse().unwrap_or(6),
            ("--journal", Some(v)) => journal = Some(v.into()),
            _ => {
                eprintln!(
                    "usage: demo-voice [--to ws://127.0.0.1:8889/] [--clips DIR] [--pause-secs N] [--journal FILE]"
                );
                std::process::exit(2);
            }
        }
    }
    // Spoken now when espeak-ng is here; else the clips it made once.
    let mut lines: Vec<voice::Clip> = voice::SENTENCES
        .iter()
        .filter_map(|s| voice::speak(s))
        .collect();
    if lines.is_empty() {
        lines = voice::clips(&clips_dir);
        eprintln!(
            "demo-voice: espeak-ng is not installed; {} clips from {}",
            lines.len(),
            clips_dir.display()
        );
    } else {
        eprintln!(
            "demo-voice: {} sentences spoken with espeak-ng",
            lines.len()
        );
    }
    if lines.is_empty() {
        eprintln!(
            "demo-voice: nothing to say (no espeak-ng, no clips in {})",
            clips_dir.display()
        );
        std::process::exit(1);
    }
    let pcm: Vec<Vec<u8>> = lines.iter().map(voice::to_plugin).collect();
    let mut wait = Duration::from_secs(1);
    let mut n = 0usize;
    loop {
        match tokio_tungstenite::connect_async(&to).await {
            Ok((mut ws, _)) => {
                wait = Duration::from_secs(1);
                eprintln!("demo-voice: speaking to {to}");
                let _ = ws
                    .send(Message::text(r#"{"type":"start","timestamp":1}"#))
                    .await;
                let mut ts = 0u64;
                loop {
                    let i = n % pcm.len();
                    let started_ms = now_ms();
                    // The speech, then the pause that ends it: sent apart so the
                    // journal knows when the speech ended.
                    let sent = async {
                        voice::say(&mut ws, "Demo voice", &pcm[i], Duration::ZERO, &mut ts).await?;
                        let ended_ms = now_ms();
                        voice::say(
                            &mut ws,
                            "Demo voice",
                            &[],
                            Duration::from_millis(2500),
                            &mut ts,
                        )
                        .await?;
                        anyhow::Ok(ended_ms)
                    }
                    .await;
                    match sent {
                        Ok(ended_ms) => {
                            if let Some(j) = &journal {
                                record(j, &lines[i].text, started_ms, ended_ms);
                            }
                        }
                        Err(e) => {
                            eprintln!("demo-voice: {e}; reconnecting");
                            break;
                        }
                    }
                    n += 1;
                    tokio::time::sleep(Duration::from_secs(pause)).await;
                }
            }
            Err(e) => eprintln!(
                "demo-voice: cannot reach {to} ({e}); again in {} s",
                wait.as_secs()
            ),
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(30));
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// One sentence sent whole, appended to the journal (a failure to write is said, once
/// per sentence, and the voice goes on).
fn record(path: &std::path::Path, text: &str, started_ms: u64, ended_ms: u64) {
    use std::io::Write;
    let line = serde_json::json!({"text": text, "started_ms": started_ms, "ended_ms": ended_ms});
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| writeln!(f, "{line}"));
    if let Err(e) = written {
        eprintln!(
            "demo-voice: cannot write the journal {}: {e}",
            path.display()
        );
    }
}
