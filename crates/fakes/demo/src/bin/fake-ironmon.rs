//! `fake-ironmon [FILE] [--to 127.0.0.1:8080] [--hub http://127.0.0.1:7175] [--every-secs 180]`:
//! the demo's IronMON tracker: a recorded run (the built-in one by default) replayed at
//! its pace, again every few minutes, each time as new runs after the hub's current
//! one. It waits (with backoff) while landale is not up.

use landale_demo::ironmon::replay_to;
use landale_ironmon::replay;
use std::time::Duration;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut to = "127.0.0.1:8080".to_string();
    let mut hub = "http://127.0.0.1:7175".to_string();
    let mut every = 180u64;
    let mut file: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--to" => to = args.next().unwrap_or(to),
            "--hub" => hub = args.next().unwrap_or(hub),
            "--every-secs" => every = args.next().and_then(|v| v.parse().ok()).unwrap_or(every),
            f if !f.starts_with("--") => file = Some(f.to_string()),
            _ => {
                eprintln!(
                    "usage: fake-ironmon [FILE] [--to HOST:PORT] [--hub URL] [--every-secs N]"
                );
                std::process::exit(2);
            }
        }
    }
    let text = match &file {
        Some(f) => std::fs::read_to_string(f).unwrap_or_else(|e| {
            eprintln!("fake-ironmon: cannot read {f}: {e}");
            std::process::exit(2)
        }),
        None => replay::DEMO.to_string(),
    };
    let steps = replay::parse(&text).unwrap_or_else(|e| {
        eprintln!("fake-ironmon: {e}");
        std::process::exit(2)
    });
    let mut wait = Duration::from_secs(2);
    loop {
        match replay_to(&to, Some(&hub), steps.clone(), 1.0, |_, _| {}).await {
            Ok(()) => {
                eprintln!("fake-ironmon: a run replayed to {to}; the next in {every} s");
                wait = Duration::from_secs(2);
                tokio::time::sleep(Duration::from_secs(every)).await;
            }
            Err(e) => {
                eprintln!("fake-ironmon: {e:#}; again in {} s", wait.as_secs());
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(30));
            }
        }
    }
}
