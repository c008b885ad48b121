//! `demo-voice [--to ws://127.0.0.1:8889/] [--clips deploy/voice] [--pause-secs 6]`:
//! a streamer's voice for the demo, spoken into phononmaser as OBS's audio plugin
//! would send it, forever; it reconnects (with backoff) when phononmaser restarts.

use futures_util::SinkExt;
use landale_demo::voice;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut to = "ws://127.0.0.1:8889/".to_string();
    let mut clips_dir = std::path::PathBuf::from("deploy/voice");
    let mut pause = 6u64;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match (a.as_str(), args.next()) {
            ("--to", Some(v)) => to = v,
            ("--clips", Some(v)) => clips_dir = v.into(),
            ("--pause-secs", Some(v)) if v.parse::<u64>().is_ok() => pause = v.parse().unwrap_or(6),
            _ => {
                eprintln!(
                    "usage: demo-voice [--to ws://127.0.0.1:8889/] [--clips DIR] [--pause-secs N]"
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
                    if let Err(e) = voice::say(
                        &mut ws,
                        "Demo voice",
                        &pcm[i],
                        Duration::from_millis(2500),
                        &mut ts,
                    )
                    .await
                    {
                        eprintln!("demo-voice: {e}; reconnecting");
                        break;
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
