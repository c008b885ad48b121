//! `cargo xtask ironmon-replay`: a recorded IronMON session sent as the tracker sends
//! it (the demo's own tracker is `fake-ironmon`, under nurvus).

use anyhow::{bail, Context, Result};
use landale_ironmon::replay;

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
    let name = file.as_deref().unwrap_or("the demo session");
    let steps = replay::parse(&text).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    let total = steps.len();
    let pace = if speed == 0.0 {
        "full speed".to_string()
    } else {
        format!("{speed}x")
    };
    eprintln!("xtask: replaying {name} ({total} messages) to {to} at {pace}");
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(landale_demo::ironmon::replay_to(
        &to,
        hub.as_deref(),
        steps,
        speed,
        |i, s| {
            eprintln!(
                "  {}/{total} {}",
                i + 1,
                s.message["type"].as_str().unwrap_or("?")
            )
        },
    ))?;
    eprintln!("xtask: done");
    Ok(())
}
