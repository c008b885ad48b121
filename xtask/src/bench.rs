//! `cargo xtask bench hub`: fan-out latency, throughput, loss and memory of a release
//! `landale`, measured in the same run against a floor: a bare tokio WebSocket
//! broadcast of frames of the same size to the same number of clients.
//!
//! Latency is receive time minus publish time on the machine's wall clock: for the hub
//! the publish time is the event's own `timestamp` (set when the pipeline normalises
//! it), for the floor the time stamped just before the broadcast. The bench re-runs
//! itself in release mode so the clients are not the bottleneck.

use anyhow::{bail, Context, Result};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::net::TcpListener;
use tokio::sync::broadcast;
use tokio_tungstenite::tungstenite::Message;

const TOKEN: &str = "bench-token-0123456789abcdef";

/// `cargo xtask bench producer`: the stream producer's bench (crates/hub/benches).
pub fn producer(args: &[String]) -> Result<()> {
    let mut bench = crate::cargo();
    bench.args(["bench", "-p", "landale", "--bench", "producer", "--"]);
    bench.args(args);
    crate::status(bench, "cargo bench -p landale --bench producer")
}

/// IronMON: a tracker message to an overlay, and a recorded run's throughput.
pub fn ironmon(args: &[String]) -> Result<()> {
    let mut bench = crate::cargo();
    bench.args(["bench", "-p", "landale", "--bench", "ironmon", "--"]);
    bench.args(args);
    crate::status(bench, "cargo bench -p landale --bench ironmon")
}

/// Scene switch in real OBS → overlay channel push, against a bare obs-websocket
/// client (needs obs-studio and xvfb; skipped with a reason without them).
pub fn obs(args: &[String]) -> Result<()> {
    let mut bench = crate::cargo();
    bench.args(["bench", "-p", "landale", "--bench", "obs", "--"]);
    bench.args(args);
    crate::status(bench, "cargo bench -p landale --bench obs")
}

/// An EventSub notification from the fake Twitch → an overlay's socket, against a bare
/// EventSub client of the same fake.
pub fn twitch(args: &[String]) -> Result<()> {
    let mut bench = crate::cargo();
    bench.args(["bench", "-p", "landale", "--bench", "twitch", "--"]);
    bench.args(args);
    crate::status(bench, "cargo bench -p landale --bench twitch")
}

/// Live captions: espeak-ng speech at real-time pace through phononmaser to the hub,
/// against the reference's fixed 1.5 s windows in the same run.
pub fn stt(args: &[String]) -> Result<()> {
    let models = crate::model::ensure()?;
    let mut bench = crate::cargo();
    bench
        .args(["bench", "-p", "phononmaser", "--bench", "stt", "--"])
        .args(args)
        .env("LANDALE_MODELS", models.parent().unwrap_or(&models));
    crate::status(bench, "cargo bench -p phononmaser --bench stt")
}

/// seed: the correlator at a chat flood, prompt builds, a context end to end with the
/// fake LLM and with the embedded model (fetched when missing).
pub fn seed(args: &[String]) -> Result<()> {
    let model = crate::model::ensure_llm()?;
    let mut bench = crate::cargo();
    bench
        .args(["bench", "-p", "seed", "--bench", "seed", "--"])
        .args(args)
        .env("LANDALE_MODELS", model.parent().unwrap_or(&model))
        .env("OMP_WAIT_POLICY", "PASSIVE");
    crate::status(bench, "cargo bench -p seed --bench seed")
}

/// nurvus: idle cost with 20 processes, crash → running again, log capture rate.
pub fn nurvus(args: &[String]) -> Result<()> {
    let mut build = crate::cargo();
    build.args(["build", "--release", "-p", "nurvus"]);
    crate::status(build, "cargo build --release -p nurvus")?;
    let mut bench = crate::cargo();
    bench
        .args(["bench", "-p", "nurvus", "--bench", "nurvus", "--"])
        .args(args)
        .env(
            "NURVUS_BIN",
            crate::target_dir().join("release").join("nurvus"),
        );
    crate::status(bench, "cargo bench -p nurvus --bench nurvus")
}

/// Omnibar frame times in Chromium during an alert burst (web/bench/frames.mjs).
pub fn frames() -> Result<()> {
    crate::web_build()?;
    let mut build = crate::cargo();
    build.args(["build", "--release", "-p", "landale"]);
    crate::status(build, "cargo build --release -p landale")?;
    let mut node = std::process::Command::new("node");
    node.arg("bench/frames.mjs")
        .current_dir(crate::root().join("web"))
        .env(
            "LANDALE_BIN",
            crate::target_dir().join("release").join("landale"),
        );
    crate::status(node, "node web/bench/frames.mjs")
}

/// The desktop app at rest: CPU and memory with the dashboard open (web/bench/desktop.mjs),
/// in a private X display and D-Bus session.
pub fn desktop() -> Result<()> {
    crate::desktop::buildable()?;
    crate::web_build()?;
    crate::build(true, &["landale", "landale-desktop"], "")?;
    let release = crate::target_dir().join("release");
    let mut node = crate::desktop::session("node");
    node.arg("bench/desktop.mjs")
        .current_dir(crate::root().join("web"))
        .env("LANDALE_BIN", release.join("landale"))
        .env("LANDALE_DESKTOP_BIN", release.join("landale-desktop"));
    crate::status(
        node,
        "node web/bench/desktop.mjs (dbus-run-session, xvfb-run)",
    )
}

pub fn hub(args: &[String]) -> Result<()> {
    if std::env::var_os("LANDALE_BENCH_INNER").is_none() {
        // Build the hub and re-run this command from a release xtask.
        let mut build = crate::cargo();
        build.args(["build", "--release", "-p", "landale", "-p", "xtask"]);
        crate::status(build, "cargo build --release -p landale -p xtask")?;
        let me = crate::target_dir().join("release").join("xtask");
        let s = std::process::Command::new(me)
            .args(["bench", "hub"])
            .args(args)
            .env("LANDALE_BENCH_INNER", "1")
            .current_dir(crate::root())
            .status()?;
        if !s.success() {
            bail!("bench failed ({s})");
        }
        return Ok(());
    }
    let quick = args.iter().any(|a| a == "--quick");
    let secs = if quick { 3 } else { 10 };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(run(secs))
}

#[derive(Debug, Clone, serde::Serialize)]
struct Row {
    scenario: String,
    system: String,
    clients: usize,
    rate: u64,
    seconds: u64,
    published: u64,
    delivered: u64,
    lost: u64,
    deliveries_per_sec: f64,
    p50_us: u64,
    p99_us: u64,
    max_us: u64,
    /// The hub's own publish-to-socket-write latency (bucket upper bound), landale only.
    server_p50_us: Option<u64>,
    server_p99_us: Option<u64>,
}

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// Minimal RFC 3339 `YYYY-MM-DDTHH:MM:SS.ffffffZ` to unix microseconds.
fn chrono_like_parse(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() < 20 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut frac_us = 0i64;
    if b.get(19) == Some(&b'.') {
        let end = s[20..]
            .find(|c: char| !c.is_ascii_digit())
            .map(|i| i + 20)
            .unwrap_or(s.len());
        let digits = &s[20..end];
        let mut v: i64 = digits.parse().ok()?;
        let mut n = digits.len();
        while n < 6 {
            v *= 10;
            n += 1;
        }
        while n > 6 {
            v /= 10;
            n -= 1;
        }
        frac_us = v;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = if y2 >= 0 { y2 } else { y2 - 399 } / 400;
    let yoe = y2 - era * 400;
    let doy = (153 * (if mo > 2 { mo - 3 } else { mo + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + h * 3600 + mi * 60 + se;
    Some((secs * 1_000_000 + frac_us) as u64)
}

/// Find `"key":"value"` in a frame without parsing all of it.
fn str_field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let pat = format!("\"{key}\":\"");
    let i = text.find(&pat)? + pat.len();
    let j = text[i..].find('"')? + i;
    Some(&text[i..j])
}

fn num_field(text: &str, key: &str) -> Option<u64> {
    let pat = format!("\"{key}\":");
    let i = text.find(&pat)? + pat.len();
    let j = text[i..]
        .find(|c: char| !c.is_ascii_digit())
        .map(|k| k + i)
        .unwrap_or(text.len());
    text[i..j].parse().ok()
}

struct Stats {
    delivered: AtomicU64,
    lat: std::sync::Mutex<Vec<u32>>,
}

/// Connect `n` v2 clients to `url`, join `events:all`, and record latencies of frames
/// carrying a time field, until the stream has been quiet for 2 s.
async fn clients(
    url: String,
    n: usize,
    time_field: &'static str,
    iso: bool,
    stats: Arc<Stats>,
) -> Result<Vec<tokio::task::JoinHandle<()>>> {
    let mut handles = Vec::new();
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel(n);
    for _ in 0..n {
        let (mut ws, _) = tokio_tungstenite::connect_async(url.as_str())
            .await
            .context("bench client connect")?;
        ws.send(Message::Text(
            r#"["1","1","events:all","phx_join",{}]"#.into(),
        ))
        .await?;
        let (stats, ready) = (stats.clone(), ready_tx.clone());
        handles.push(tokio::spawn(async move {
            let mut local = Vec::with_capacity(1 << 16);
            let mut joined = false;
            while let Ok(Some(Ok(m))) =
                tokio::time::timeout(Duration::from_secs(2), ws.next()).await
            {
                let Message::Text(t) = m else { continue };
                let t = t.as_str();
                if !joined && t.contains("phx_reply") {
                    joined = true;
                    let _ = ready.send(()).await;
                    continue;
                }
                if !t.contains("\"chat_message\"") {
                    continue;
                }
                let sent = if iso {
                    str_field(t, time_field).and_then(chrono_like_parse)
                } else {
                    num_field(t, time_field)
                };
                if let Some(sent) = sent {
                    let lat = now_us().saturating_sub(sent);
                    local.push(lat.min(u32::MAX as u64) as u32);
                    stats.delivered.fetch_add(1, Ordering::Relaxed);
                }
            }
            stats.lat.lock().unwrap().extend(local);
        }));
    }
    for _ in 0..n {
        tokio::time::timeout(Duration::from_secs(10), ready_rx.recv())
            .await
            .context("clients joined")?;
    }
    Ok(handles)
}

/// What one scenario run was.
struct Run<'a> {
    scenario: &'a str,
    system: &'a str,
    clients: usize,
    rate: u64,
    secs: u64,
}

fn summarize(run: Run<'_>, published: u64, stats: &Stats, elapsed: Duration) -> Row {
    let mut lat = std::mem::take(&mut *stats.lat.lock().unwrap());
    lat.sort_unstable();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0) as u64
    };
    let delivered = stats.delivered.load(Ordering::Relaxed);
    let expected = published * run.clients as u64;
    Row {
        scenario: run.scenario.into(),
        system: run.system.into(),
        clients: run.clients,
        rate: run.rate,
        seconds: run.secs,
        published,
        delivered,
        lost: expected.saturating_sub(delivered),
        deliveries_per_sec: delivered as f64 / elapsed.as_secs_f64(),
        p50_us: pct(0.50),
        p99_us: pct(0.99),
        max_us: lat.last().copied().unwrap_or(0) as u64,
        server_p50_us: None,
        server_p99_us: None,
    }
}

/// A realistic chat message (the hub's busiest event type).
fn chat_data(i: u64) -> Value {
    json!({"message_id": format!("bench-{i}"), "broadcaster_user_id": "12826", "broadcaster_user_login": "avalonstar",
           "broadcaster_user_name": "Avalonstar", "chatter_user_id": "1001", "chatter_user_login": format!("bench_{}", i % 1000),
           "chatter_user_name": "Bench", "color": "#9146FF", "badges": [], "message_type": "text",
           "message": {"text": "that was clean avalonHYPE", "fragments": [
               {"type": "text", "text": "that was clean "}, {"type": "emote", "text": "avalonHYPE"}]}})
}

/// Publish `rate` events/s for `secs` through the hub's REST ingest (`POST /api/events`).
async fn publish_hub(port: u16, rate: u64, secs: u64) -> Result<u64> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;
    let url = format!("http://127.0.0.1:{port}/api/events");
    // Workers of 250 events/s each, one request per tick: an even stream, with
    // enough requests in flight that HTTP round trips do not cap the rate.
    let workers = (rate / 250).max(1);
    let per = rate / workers;
    let period = Duration::from_micros(1_000_000 / per.max(1));
    let mut tasks = Vec::new();
    for w in 0..workers {
        let (http, url) = (http.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            let mut sent = 0u64;
            let mut tick = tokio::time::interval(period);
            let total = per * secs;
            while sent < total {
                tick.tick().await;
                let body = json!({"type": "channel.chat.message", "data": chat_data(w * 1_000_000 + sent)});
                let r = http.post(&url).bearer_auth(TOKEN).json(&body).send().await;
                if matches!(r, Ok(ref r) if r.status().is_success()) {
                    sent += 1;
                } else {
                    eprintln!("bench: publish failed: {:?}", r.map(|r| r.status()));
                    return sent;
                }
            }
            sent
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await?;
    }
    Ok(total)
}

/// The hub's own fan-out histogram (publish → frame written to the socket):
/// cumulative counts per bucket upper bound, in seconds.
async fn fanout_histogram(port: u16) -> Result<Vec<(f64, u64)>> {
    let text = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
        .await?
        .text()
        .await?;
    let mut out = Vec::new();
    for line in text
        .lines()
        .filter(|l| l.starts_with("landale_fanout_latency_seconds_bucket"))
    {
        let le = line
            .split("le=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap_or("+Inf");
        let le = if le == "+Inf" {
            f64::INFINITY
        } else {
            le.parse().unwrap_or(f64::INFINITY)
        };
        let count = line
            .rsplit(' ')
            .next()
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        out.push((le, count));
    }
    Ok(out)
}

/// Upper bound of the bucket holding quantile `q` of the deliveries between two scrapes.
fn histogram_quantile(before: &[(f64, u64)], after: &[(f64, u64)], q: f64) -> f64 {
    let total = after.last().map(|b| b.1).unwrap_or(0) - before.last().map(|b| b.1).unwrap_or(0);
    let want = (total as f64 * q).ceil() as u64;
    for ((le, a), (_, b)) in after.iter().zip(before) {
        if a - b >= want {
            return *le;
        }
    }
    f64::INFINITY
}

async fn scenario_hub(port: u16, name: &str, n: usize, rate: u64, secs: u64) -> Result<Row> {
    let before = fanout_histogram(port).await?;
    let stats = Arc::new(Stats {
        delivered: AtomicU64::new(0),
        lat: Default::default(),
    });
    let url = format!("ws://127.0.0.1:{port}/socket/websocket?vsn=2.0.0");
    let handles = clients(url, n, "timestamp", true, stats.clone()).await?;
    let start = std::time::Instant::now();
    let published = publish_hub(port, rate, secs).await?;
    let elapsed = start.elapsed();
    for h in handles {
        let _ = h.await;
    }
    let after = fanout_histogram(port).await?;
    let mut row = summarize(
        Run {
            scenario: name,
            system: "landale",
            clients: n,
            rate,
            secs,
        },
        published,
        &stats,
        elapsed,
    );
    row.server_p50_us = Some((histogram_quantile(&before, &after, 0.5) * 1e6) as u64);
    row.server_p99_us = Some((histogram_quantile(&before, &after, 0.99) * 1e6) as u64);
    Ok(row)
}

/// `xtask bench floor-server N R S`: the floor, as its own process like the hub. A
/// bare tokio + tungstenite broadcast server: it prints its port, answers each
/// client's join, and once N clients have joined publishes R frames/s for S seconds
/// (each stamped with its send time), then lingers 3 s for the clients to drain.
pub fn floor_server(args: &[String]) -> Result<()> {
    let num = |i: usize| -> Result<u64> {
        args.get(i)
            .and_then(|a| a.parse().ok())
            .context("usage: floor-server CLIENTS RATE SECS")
    };
    let (n, rate, secs) = (num(0)? as usize, num(1)?, num(2)?);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        println!("FLOOR PORT {}", listener.local_addr()?.port());
        let (tx, _) = broadcast::channel::<Arc<str>>(65_536);
        let joined = Arc::new(tokio::sync::Semaphore::new(0));
        let (tx2, joined2) = (tx.clone(), joined.clone());
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let mut rx = tx2.subscribe();
                let joined = joined2.clone();
                tokio::spawn(async move {
                    // Same socket option as the hub.
                    let _ = tcp.set_nodelay(true);
                    let Ok(ws) = tokio_tungstenite::accept_async(tcp).await else { return };
                    let (mut sink, mut stream) = ws.split();
                    // Answer the join like the hub does, then broadcast.
                    if let Some(Ok(Message::Text(_))) = stream.next().await {
                        let reply = r#"["1","1","events:all","phx_reply",{"status":"ok","response":{}}]"#;
                        let _ = sink.send(Message::Text(reply.into())).await;
                        joined.add_permits(1);
                    }
                    while let Ok(frame) = rx.recv().await {
                        if sink.send(Message::Text(frame.to_string().into())).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        let _ = joined.acquire_many(n as u32).await?;
        // A frame the size of the hub's chat_message push.
        let template = json!({"id": "evt_000000000000000000000000", "type": "channel.chat.message", "timestamp": "2026-11-24T06:00:00.000000Z",
            "correlation_id": "00000000", "source": "twitch", "source_id": null, "raw_type": "channel.chat.message", "seq": 1,
            "data": chat_data(0), "emotes": [], "native_emotes": ["avalonHYPE"], "reply_parent_message_id": null,
            "reply_parent_user_id": null, "reply_parent_user_login": null, "reply_parent_user_name": null,
            "reply_parent_message_body": null, "reply_thread_message_id": null, "reply_thread_user_id": null,
            "reply_thread_user_login": null, "reply_thread_user_name": null, "cheer_bits": null});
        let mut published = 0u64;
        let mut tick = tokio::time::interval(Duration::from_millis(1));
        let per_tick = (rate / 1000).max(1);
        while published < rate * secs {
            tick.tick().await;
            for _ in 0..per_tick {
                let mut v = template.clone();
                v["seq"] = json!(published);
                v["sent_us"] = json!(now_us());
                let frame = format!(r#"[null,null,"events:all","chat_message",{v}]"#);
                let _ = tx.send(frame.into());
                published += 1;
            }
        }
        tokio::time::sleep(Duration::from_secs(3)).await;
        anyhow::Ok(())
    })
}

/// Run the floor server process and measure it with the same clients as the hub.
async fn scenario_floor(name: &str, n: usize, rate: u64, secs: u64) -> Result<Row> {
    use tokio::io::AsyncBufReadExt;
    let me = crate::target_dir().join("release").join("xtask");
    let mut child = tokio::process::Command::new(me)
        .args([
            "bench",
            "floor-server",
            &n.to_string(),
            &rate.to_string(),
            &secs.to_string(),
        ])
        .env("LANDALE_BENCH_INNER", "1")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .context("start the floor server")?;
    let mut lines = tokio::io::BufReader::new(child.stdout.take().context("floor stdout")?).lines();
    let port: u16 = loop {
        match lines.next_line().await? {
            Some(l) if l.starts_with("FLOOR PORT ") => break l[11..].trim().parse()?,
            Some(_) => continue,
            None => bail!("the floor server exited before reporting its port"),
        }
    };
    let stats = Arc::new(Stats {
        delivered: AtomicU64::new(0),
        lat: Default::default(),
    });
    let start = std::time::Instant::now();
    let handles = clients(
        format!("ws://127.0.0.1:{port}/"),
        n,
        "sent_us",
        false,
        stats.clone(),
    )
    .await?;
    let status = child.wait().await?;
    if !status.success() {
        bail!("the floor server failed ({status})");
    }
    let published = rate * secs;
    let elapsed = start.elapsed().saturating_sub(Duration::from_secs(3));
    for h in handles {
        let _ = h.await;
    }
    Ok(summarize(
        Run {
            scenario: name,
            system: "floor",
            clients: n,
            rate,
            secs,
        },
        published,
        &stats,
        elapsed,
    ))
}

fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

async fn run(secs: u64) -> Result<()> {
    let bin = crate::target_dir().join("release").join("landale");
    let hub = crate::start_hub(
        &bin,
        TOKEN,
        &[("LANDALE_TRUST_LOOPBACK", "false"), ("RUST_LOG", "error")],
    )?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle_rss = rss_kb(hub.child.id());

    // Memory with 200 idle clients joined, on the fresh hub.
    let mut conns = Vec::new();
    for _ in 0..200 {
        let (mut ws, _) = tokio_tungstenite::connect_async(format!(
            "ws://127.0.0.1:{}/socket/websocket?vsn=2.0.0",
            hub.port
        ))
        .await?;
        ws.send(Message::Text(
            r#"["1","1","events:all","phx_join",{}]"#.into(),
        ))
        .await?;
        let _ = ws.next().await;
        conns.push(ws);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_200 = rss_kb(hub.child.id());
    drop(conns);

    let mut rows = Vec::new();
    for (name, n, rate) in [("latency", 50usize, 1000u64), ("throughput", 50, 4000)] {
        eprintln!("bench: {name}: {n} clients, {rate} events/s, {secs} s (floor, then landale)");
        rows.push(scenario_floor(name, n, rate, secs).await?);
        rows.push(scenario_hub(hub.port, name, n, rate, secs).await?);
    }
    let rss_after = rss_kb(hub.child.id());

    println!();
    println!("| scenario | system | clients | events/s | delivered | lost | deliveries/s | p50 µs | p99 µs | max µs | hub-side p50 / p99 µs |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for r in &rows {
        let server = match (r.server_p50_us, r.server_p99_us) {
            (Some(a), Some(b)) => format!("≤{a} / ≤{b}"),
            _ => "–".into(),
        };
        println!(
            "| {} | {} | {} | {} | {} | {} | {:.0} | {} | {} | {} | {} |",
            r.scenario,
            r.system,
            r.clients,
            r.rate,
            r.delivered,
            r.lost,
            r.deliveries_per_sec,
            r.p50_us,
            r.p99_us,
            r.max_us,
            server
        );
    }
    let ratio = |s: &str| {
        let f = rows
            .iter()
            .find(|r| r.scenario == s && r.system == "floor")
            .map(|r| r.p99_us)
            .unwrap_or(1)
            .max(1);
        let h = rows
            .iter()
            .find(|r| r.scenario == s && r.system == "landale")
            .map(|r| r.p99_us)
            .unwrap_or(0);
        h as f64 / f as f64
    };
    println!();
    println!(
        "p99 ratio landale/floor: latency {:.2}x, throughput {:.2}x",
        ratio("latency"),
        ratio("throughput")
    );
    println!(
        "RSS: idle {:.1} MB, 200 idle clients {:.1} MB, after the load runs {:.1} MB",
        idle_rss as f64 / 1024.0,
        rss_200 as f64 / 1024.0,
        rss_after as f64 / 1024.0
    );

    let out = crate::root().join("bench-results");
    std::fs::create_dir_all(&out)?;
    let report = json!({
        "command": "cargo xtask bench hub",
        "rows": rows,
        "p99_ratio": {"latency": ratio("latency"), "throughput": ratio("throughput")},
        "rss_kb": {"idle": idle_rss, "clients_200": rss_200, "after_load": rss_after},
    });
    std::fs::write(out.join("hub.json"), serde_json::to_string_pretty(&report)?)?;
    println!("wrote {}", out.join("hub.json").display());
    drop(hub);
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_iso() {
        assert_eq!(
            super::chrono_like_parse("1970-01-01T00:00:01.5Z"),
            Some(1_500_000)
        );
        assert_eq!(
            super::chrono_like_parse("2000-03-01T00:00:00Z"),
            Some(951_868_800_000_000)
        );
    }
}
