//! The IronMON tracker's stand-in: a recorded session replayed to the hub's IronMON
//! port, its seeds renumbered to follow the hub's current run (read over REST), so a
//! replay is a new run, not an old one resumed.

use anyhow::{bail, Context, Result};
use landale_ironmon::replay::{self, Step};
use std::time::Duration;

/// The run number the hub's tracker is at (0 before any).
pub async fn current_run(hub: &str) -> Result<i64> {
    let v: serde_json::Value = reqwest::Client::new()
        .get(format!("{hub}/api/ironmon/status"))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .with_context(|| format!("cannot reach {hub}/api/ironmon/status (is landale running?)"))?
        .json()
        .await
        .context("landale's IronMON status is not JSON")?;
    if v["data"]["listening"] != true {
        bail!("landale's IronMON listener is not running (IRONMON_PORT)");
    }
    Ok(v["data"]["run"]["run_number"].as_i64().unwrap_or(0))
}

/// Replay `steps` to `to` at `speed` (0: at once); with `hub`, seeds continue from its
/// run. `progress(i, step)` is told as each message is sent.
pub async fn replay_to(
    to: &str,
    hub: Option<&str>,
    mut steps: Vec<Step>,
    speed: f64,
    progress: impl FnMut(usize, &Step),
) -> Result<()> {
    if let Some(hub) = hub {
        let n = current_run(hub).await?;
        replay::renumber(&mut steps, n + 1);
    }
    replay::send(to, &steps, speed, progress)
        .await
        .with_context(|| {
            format!("could not replay to {to} (is landale's IronMON listener on? IRONMON_PORT)")
        })
}
