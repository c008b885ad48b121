//! Replaying a recorded tracker session: the test helper behind the end-to-end tests
//! and `cargo xtask ironmon-replay FILE`.
//!
//! A session is JSON Lines: each line one tracker message (`{"type", "data"}` or the
//! v1 `{"type", "metadata"}`) with `after_ms`, the pause before it; blank lines and
//! lines starting with `#` are skipped. Each message is sent framed as the tracker
//! frames it. `speed` divides the pauses (`0` sends as fast as the socket takes it).

use crate::framing::encode;
use serde_json::Value;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub after: Duration,
    /// The message as sent (without `after_ms`).
    pub message: Value,
}

/// Read a session; a bad line is named with its number.
pub fn parse(text: &str) -> Result<Vec<Step>, String> {
    let mut out = vec![];
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut v: Value =
            serde_json::from_str(line).map_err(|e| format!("line {}: not JSON: {e}", i + 1))?;
        let Some(o) = v
            .as_object_mut()
            .filter(|o| o.get("type").is_some_and(Value::is_string))
        else {
            return Err(format!(
                "line {}: expected an object with a string \"type\"",
                i + 1
            ));
        };
        let after = o.remove("after_ms").and_then(|a| a.as_u64()).unwrap_or(0);
        out.push(Step {
            after: Duration::from_millis(after),
            message: v,
        });
    }
    Ok(out)
}

/// Renumber the session's seeds so its runs continue from `first` (a demo replayed
/// again is new runs, not the old ones resumed): each distinct seed, in order of
/// appearance, becomes `first`, `first + 1`, ...; checkpoints' `seed` follow.
pub fn renumber(steps: &mut [Step], first: i64) {
    let mut map: Vec<(i64, i64)> = vec![];
    let mut to = |old: i64| -> i64 {
        if let Some((_, n)) = map.iter().find(|(o, _)| *o == old) {
            return *n;
        }
        let n = first + map.len() as i64;
        map.push((old, n));
        n
    };
    for s in steps.iter_mut() {
        let kind = s.message["type"].as_str().unwrap_or_default().to_string();
        for key in ["data", "metadata"] {
            let field = match kind.as_str() {
                "seed" => "count",
                "checkpoint" => "seed",
                _ => continue,
            };
            if let Some(old) = s.message[key][field].as_i64() {
                s.message[key][field] = to(old).into();
            }
        }
    }
}

/// The frames of a session, back to back.
pub fn frames(steps: &[Step]) -> Vec<u8> {
    steps
        .iter()
        .flat_map(|s| encode(s.message.to_string().as_bytes()))
        .collect()
}

/// Send `steps` to `addr` (`host:port`), pausing `after / speed` before each;
/// `progress(i, step)` is told as each is sent.
pub async fn send(
    addr: &str,
    steps: &[Step],
    speed: f64,
    mut progress: impl FnMut(usize, &Step),
) -> std::io::Result<()> {
    let mut sock = tokio::time::timeout(
        Duration::from_secs(10),
        tokio::net::TcpStream::connect(addr),
    )
    .await
    .map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!("no answer from {addr} within 10 s"),
        )
    })??;
    sock.set_nodelay(true)?;
    for (i, step) in steps.iter().enumerate() {
        if speed > 0.0 && !step.after.is_zero() {
            tokio::time::sleep(step.after.div_f64(speed)).await;
        }
        sock.write_all(&encode(step.message.to_string().as_bytes()))
            .await?;
        progress(i, step);
    }
    sock.flush().await?;
    sock.shutdown().await
}

/// The demo session shipped with the crate: a FireRed run that clears four
/// checkpoints and dies to Brock, then the next seed begins.
pub const DEMO: &str = include_str!("../sessions/brock.jsonl");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_session_is_valid_tracker_messages() {
        let steps = parse(DEMO).unwrap();
        assert!(steps.len() > 10);
        for s in &steps {
            let bytes = s.message.to_string();
            crate::message::parse(bytes.as_bytes()).unwrap_or_else(|e| panic!("{bytes}: {e}"));
        }
        let f = frames(&steps);
        let decoded = crate::framing::Decoder::new().push(&f);
        assert_eq!(decoded.len(), steps.len());
    }

    #[test]
    fn renumbered_seeds_continue_from_a_number() {
        let mut steps = parse(DEMO).unwrap();
        renumber(&mut steps, 9000);
        let seeds: Vec<i64> = steps
            .iter()
            .filter(|s| s.message["type"] == "seed")
            .map(|s| s.message["data"]["count"].as_i64().unwrap())
            .collect();
        assert_eq!(seeds, [9000, 9001]);
        let cp = steps
            .iter()
            .find(|s| s.message["type"] == "checkpoint")
            .unwrap();
        assert_eq!(cp.message["data"]["seed"], 9000);
    }

    #[test]
    fn a_bad_line_is_named() {
        assert_eq!(
            parse("# c\n{\"type\":\"seed\"}\n{oops").unwrap_err(),
            "line 3: not JSON: key must be a string at line 1 column 2"
        );
        assert!(parse("[1]")
            .unwrap_err()
            .starts_with("line 1: expected an object"));
    }
}
