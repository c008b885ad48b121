//! The demo's stand-ins for what cannot run on a newcomer's machine: the fake
//! Rainwave (a song that changes every 45 s), the fake Twitch's emote images (so chat
//! and emote rain draw emotes without the internet), and an IronMON tracker replaying
//! a recorded run every few minutes; plus `cargo xtask ironmon-replay`.

use crate::{free_port, target_dir};
use anyhow::{bail, Context, Result};
use landale_ironmon::replay;
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Wait until something listens on `port` (at most `limit`).
fn wait_port(port: u16, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// The fakes' processes and the hub's settings for them.
pub struct Fakes {
    pub children: Vec<Child>,
    pub env: Vec<(String, String)>,
}

/// Start the fakes (release builds).
pub fn fakes() -> Result<Fakes> {
    let release = target_dir().join("release");
    let mut children = vec![];
    let mut env = vec![];
    let rw = free_port()?;
    let child = Command::new(release.join("fake-rainwave"))
        .args([
            "--port",
            &rw.to_string(),
            "--user-id",
            "4242",
            "--key",
            "demo-key",
            "--rotate-secs",
            "45",
        ])
        .stderr(Stdio::null())
        .spawn()
        .context("could not start fake-rainwave")?;
    children.push(child);
    let tw = free_port()?;
    let child = Command::new(release.join("fake-twitch"))
        .args(["--port", &tw.to_string(), "--quiet"])
        .stdout(Stdio::null())
        .spawn()
        .context("could not start fake-twitch (for emote images)")?;
    children.push(child);
    for (port, what) in [(rw, "fake-rainwave"), (tw, "fake-twitch")] {
        if !wait_port(port, Duration::from_secs(20)) {
            for mut c in children {
                let _ = c.kill();
            }
            bail!("{what} did not start on port {port}");
        }
    }
    for (k, v) in [
        ("RAINWAVE_API_URL", format!("http://127.0.0.1:{rw}/api4")),
        ("RAINWAVE_USER_ID", "4242".into()),
        ("RAINWAVE_API_KEY", "demo-key".into()),
        (
            "TWITCH_EMOTE_URL",
            format!("http://127.0.0.1:{tw}/emoticons/v2"),
        ),
    ] {
        if std::env::var_os(k).is_none() {
            env.push((k.to_string(), v));
        }
    }
    eprintln!("xtask: demo music from a local fake Rainwave (port {rw}); emote images from a local fake Twitch (port {tw})");
    Ok(Fakes { children, env })
}

/// The run number the hub's tracker is at (0 before any), read over REST.
async fn current_run(hub: &str) -> Option<i64> {
    let v: serde_json::Value = reqwest::Client::new()
        .get(format!("{hub}/api/ironmon/status"))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    Some(v["data"]["run"]["run_number"].as_i64().unwrap_or(0))
}

/// Replay `steps` to `to`, seeds continuing from the hub's run when `hub` is given.
pub async fn replay_to(
    to: &str,
    hub: Option<&str>,
    mut steps: Vec<replay::Step>,
    speed: f64,
    verbose: bool,
) -> Result<()> {
    if let Some(hub) = hub {
        let Some(n) = current_run(hub).await else {
            bail!("cannot read {hub}/api/ironmon/status (is landale running?)");
        };
        replay::renumber(&mut steps, n + 1);
    }
    let total = steps.len();
    replay::send(to, &steps, speed, |i, s| {
        if verbose {
            eprintln!(
                "  {}/{total} {}",
                i + 1,
                s.message["type"].as_str().unwrap_or("?")
            );
        }
    })
    .await
    .with_context(|| {
        format!("could not replay to {to} (is landale's IronMON listener on? IRONMON_PORT)")
    })
}

/// The demo's tracker: once the hub listens, a recorded run every three minutes.
pub fn ironmon_loop(hub_port: u16) {
    let port: u16 = std::env::var("IRONMON_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(8080);
    std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        if !wait_port(port, Duration::from_secs(120)) {
            eprintln!("xtask: no IronMON listener on port {port}; the demo's IronMON run is off");
            return;
        }
        eprintln!("xtask: demo IronMON: a recorded run replays every 3 minutes (the ironmon overlay and, on the ironmon show, the omnibar)");
        let hub = format!("http://127.0.0.1:{hub_port}");
        loop {
            let steps = replay::parse(replay::DEMO).unwrap_or_default();
            if let Err(e) = rt.block_on(replay_to(
                &format!("127.0.0.1:{port}"),
                Some(&hub),
                steps,
                1.0,
                false,
            )) {
                eprintln!("xtask: IronMON replay: {e:#}");
            }
            std::thread::sleep(Duration::from_secs(180));
        }
    });
}

/// `cargo xtask ironmon-replay [FILE] [--to HOST:PORT] [--speed N] [--hub URL]`.
pub fn replay_command(args: &[String]) -> Result<()> {
    let mut file: Option<String> = None;
    let mut to = "127.0.0.1:8080".to_string();
    let mut speed = 1.0f64;
    let mut hub: Option<String> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--to" => to = it.next().context("--to needs HOST:PORT")?.clone(),
            "--speed" => {
                speed = it
                    .next()
                    .and_then(|s| s.parse().ok())
                    .filter(|s: &f64| *s >= 0.0)
                    .context("--speed needs a number (0: as fast as possible)")?
            }
            "--hub" => {
                hub = Some(
                    it.next()
                        .context("--hub needs a URL")?
                        .trim_end_matches('/')
                        .to_string(),
                )
            }
            other if other.starts_with("--") => bail!("unknown option {other}"),
            other => file = Some(other.to_string()),
        }
    }
    let text = match &file {
        Some(f) => std::fs::read_to_string(f).with_context(|| format!("cannot read {f}"))?,
        None => replay::DEMO.to_string(),
    };
    let steps = replay::parse(&text)
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.as_deref().unwrap_or("the demo session")))?;
    eprintln!(
        "xtask: replaying {} ({} messages) to {to} at {}",
        file.as_deref().unwrap_or("the demo session"),
        steps.len(),
        if speed == 0.0 {
            "full speed".to_string()
        } else {
            format!("{speed}x")
        }
    );
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(replay_to(&to, hub.as_deref(), steps, speed, true))?;
    eprintln!("xtask: done");
    Ok(())
}
