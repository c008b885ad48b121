//! Two machines for real: the services host (the hub, seed, its nurvus) in this
//! network namespace and the streaming PC (phononmaser, the audio source, its nurvus)
//! in a namespace of its own, joined by a veth pair (10.77.0.1 ↔ 10.77.0.2). Each part
//! reaches the others only by the other machine's address. The check:
//!
//! 1. the hub's fleet view shows both machines and their programs running;
//! 2. captions spoken on the streaming PC reach the hub;
//! 3. the link is cut (veth down): the fleet shows the streaming PC unreachable, with
//!    the reason, and phononmaser keeps its finals waiting;
//! 4. the link is restored: the fleet shows it again, and every final phononmaser made
//!    is stored by the hub once (nothing lost, nothing twice).
//!
//! Without `ip netns` (not root, no iproute2) it says so and runs the same parts on
//! loopback with distinct ports, without the cut.

use crate::{root, target_dir};
use anyhow::{bail, Context, Result};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const NS: &str = "landale-b";
const TOKEN: &str = "two-machines-token-0123456789";
const HUB_PORT: u16 = 17175;

struct Net {
    netns: bool,
    a: &'static str,
    b: &'static str,
}

fn ip(args: &[&str]) -> Result<()> {
    let o = Command::new("ip")
        .args(args)
        .output()
        .context("ip (iproute2)")?;
    if !o.status.success() {
        bail!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&o.stderr).trim()
        );
    }
    Ok(())
}

fn teardown_netns() {
    let _ = Command::new("ip").args(["netns", "delete", NS]).output();
    let _ = Command::new("ip")
        .args(["link", "delete", "lnd-a"])
        .output();
}

fn setup_netns() -> Result<()> {
    teardown_netns();
    ip(&["netns", "add", NS])?;
    ip(&[
        "link", "add", "lnd-a", "type", "veth", "peer", "name", "lnd-b",
    ])?;
    ip(&["link", "set", "lnd-b", "netns", NS])?;
    ip(&["addr", "add", "10.77.0.1/24", "dev", "lnd-a"])?;
    ip(&["link", "set", "lnd-a", "up"])?;
    ip(&[
        "netns",
        "exec",
        NS,
        "ip",
        "addr",
        "add",
        "10.77.0.2/24",
        "dev",
        "lnd-b",
    ])?;
    ip(&["netns", "exec", NS, "ip", "link", "set", "lnd-b", "up"])?;
    ip(&["netns", "exec", NS, "ip", "link", "set", "lo", "up"])?;
    Ok(())
}

/// A nurvus with its process file, on machine A (here) or B (the namespace).
fn nurvus(
    bin: &Path,
    dir: &Path,
    name: &str,
    host: &str,
    port: u16,
    file: &Value,
    in_ns: bool,
) -> Result<Child> {
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, serde_json::to_string_pretty(file)?)?;
    let mut c = if in_ns {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", NS]).arg(bin);
        c
    } else {
        Command::new(bin)
    };
    c.arg("serve")
        .env("NURVUS_CONFIG", &path)
        .env("NURVUS_HOST", host)
        .env("NURVUS_PORT", port.to_string())
        .env("LANDALE_TOKEN", TOKEN)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    c.spawn()
        .with_context(|| format!("could not start nurvus for {name}"))
}

/// GET `url` from machine B's side when it lives in the namespace (the link may be cut).
fn get_from_b(net: &Net, url: &str) -> Option<Value> {
    let me = std::env::current_exe().ok()?;
    let out = if net.netns {
        Command::new("ip")
            .args(["netns", "exec", NS])
            .arg(me)
            .args(["probe", url])
            .output()
            .ok()?
    } else {
        Command::new(me).args(["probe", url]).output().ok()?
    };
    serde_json::from_slice(&out.stdout).ok()
}

/// `cargo xtask probe URL`: print a GET's JSON body (used from inside a namespace).
pub fn probe(url: &str) -> Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let body = rt.block_on(async {
        reqwest::Client::new()
            .get(url)
            .timeout(Duration::from_secs(3))
            .send()
            .await?
            .text()
            .await
    })?;
    println!("{body}");
    Ok(())
}

async fn until<T>(what: &str, secs: u64, mut f: impl FnMut() -> Option<T>) -> Result<T> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return Ok(v);
        }
        if Instant::now() > deadline {
            bail!("{what}: not within {secs} s");
        }
        // Another machine's state, read over the network: polled, there is no push.
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next `fleet_update` on `dashboard:services` that satisfies `ok`.
async fn fleet_until(
    ws: &mut Ws,
    what: &str,
    secs: u64,
    ok: impl Fn(&Value) -> bool,
) -> Result<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    let mut beat = tokio::time::interval(Duration::from_secs(15));
    loop {
        let msg = tokio::select! {
            _ = beat.tick() => {
                // Phoenix's heartbeat, so the hub does not close an idle socket.
                ws.send(tokio_tungstenite::tungstenite::Message::text(
                    json!([null, "hb", "phoenix", "heartbeat", {}]).to_string(),
                ))
                .await?;
                continue;
            }
            m = tokio::time::timeout_at(deadline, ws.next()) => m,
        };
        let msg = msg
            .map_err(|_| anyhow::anyhow!("{what}: no such fleet view within {secs} s"))?
            .context("the hub closed the socket")??;
        let Ok(text) = msg.to_text() else { continue };
        let Ok(f) = serde_json::from_str::<Value>(text) else {
            continue;
        };
        if f[3] == "fleet_update" {
            let v: Value = match &f[4] {
                Value::String(s) => serde_json::from_str(s).unwrap_or(Value::Null),
                other => other.clone(),
            };
            if ok(&v) {
                return Ok(v);
            }
        }
    }
}

fn machine<'a>(fleet: &'a Value, name: &str) -> &'a Value {
    fleet["machines"]
        .as_array()
        .and_then(|m| m.iter().find(|x| x["name"] == name))
        .unwrap_or(&Value::Null)
}

fn running(m: &Value, id: &str) -> bool {
    m["reachable"] == true
        && m["processes"]
            .as_array()
            .is_some_and(|p| p.iter().any(|x| x["id"] == id && x["status"] == "running"))
}

pub fn run() -> Result<()> {
    crate::build(
        false,
        &["landale", "nurvus", "seed", "phononmaser", "landale-demo"],
        " (two machines)",
    )?;
    let model = std::env::var_os("LANDALE_MODELS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("data/models"))
        .join("whisper-tiny.en");
    if !model.join("model.bin").exists() {
        eprintln!(
            "skipped: two machines: no Whisper model at {} (cargo xtask model; .ci/run fetches it)",
            model.display()
        );
        return Ok(());
    }
    let net = match setup_netns() {
        Ok(()) => Net {
            netns: true,
            a: "10.77.0.1",
            b: "10.77.0.2",
        },
        Err(e) => {
            teardown_netns();
            eprintln!("xtask: two machines: `ip netns` cannot be used here ({e:#}); running on loopback with distinct ports instead, without cutting a link");
            Net {
                netns: false,
                a: "127.0.0.1",
                b: "127.0.0.1",
            }
        }
    };
    let result = with_machines(&net, &model);
    if net.netns {
        teardown_netns();
    }
    result
}

fn with_machines(net: &Net, model: &Path) -> Result<()> {
    let bin = target_dir().join("debug");
    let dir = tempfile_dir()?;
    let (na, nb) = (14001u16, if net.netns { 14001 } else { 14002 });
    let (a, b) = (net.a, net.b);
    let services = json!([
        {"id": "landale", "name": "hub", "command": bin.join("landale"), "port": HUB_PORT,
         "env": {"BIND_IP": a, "PORT": HUB_PORT.to_string(), "LANDALE_DATA_DIR": dir.join("hub"), "LANDALE_TOKEN": TOKEN,
                 "LANDALE_TRUST_LOOPBACK": "false", "IRONMON_PORT": "off", "RUST_LOG": "warn",
                 "NURVUS_URLS": format!("services=http://{a}:{na},streaming=http://{b}:{nb}"),
                 "PHONONMASER_HEALTH_URL": format!("http://{b}:18890/health"),
                 "SEED_HEALTH_URL": format!("http://{a}:18891/health")},
         "health_check": {"type": "http", "url": format!("http://{a}:{HUB_PORT}/api/health"), "interval": 5, "startup_interval": 0.2, "startup_retries": 300}},
        {"id": "seed", "name": "seed", "command": bin.join("seed"), "depends_on": ["landale"],
         "env": {"SEED_HOST": a, "SEED_HEALTH__PORT": "18891", "SEED_LLM__ENABLED": "false", "RUST_LOG": "warn",
                 "SEED_WEBSOCKET__SERVER_URL": format!("http://{a}:{HUB_PORT}"), "LANDALE_TOKEN": TOKEN,
                 "LANDALE_DATA_DIR": dir.join("seed")}}
    ]);
    let streaming = json!([
        {"id": "phononmaser", "name": "phononmaser", "command": bin.join("phononmaser"),
         "env": {"PHONONMASER_HOST": b, "PHONONMASER_PORT": "18889", "PHONONMASER_HEALTH_PORT": "18890",
                 "PHOENIX_BASE_URL": format!("http://{a}:{HUB_PORT}"), "LANDALE_TOKEN": TOKEN,
                 "SERVER_WS_URL": format!("ws://{a}:{HUB_PORT}/socket/websocket"),
                 "WHISPER_MODEL_PATH": model, "WHISPER_THREADS": "1", "RUST_LOG": "warn"}},
        {"id": "voice", "name": "audio source", "command": bin.join("demo-voice"), "depends_on": ["phononmaser"],
         "args": ["--to", format!("ws://{b}:18889/"), "--clips", root().join("deploy/voice"), "--pause-secs", "1"]}
    ]);
    let mut ka = nurvus(
        &bin.join("nurvus"),
        &dir,
        "services",
        a,
        na,
        &services,
        false,
    )?;
    let mut kb = nurvus(
        &bin.join("nurvus"),
        &dir,
        "streaming",
        b,
        nb,
        &streaming,
        net.netns,
    )?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let outcome = rt.block_on(check(net, &dir));
    for k in [&mut ka, &mut kb] {
        // SIGINT: nurvus stops what it runs.
        let _ = Command::new("kill")
            .args(["-INT", &k.id().to_string()])
            .status();
    }
    for k in [&mut ka, &mut kb] {
        let _ = k.wait();
    }
    let _ = std::fs::remove_dir_all(&dir);
    outcome
}

fn tempfile_dir() -> Result<PathBuf> {
    let d = std::env::temp_dir().join(format!("landale-machines-{}", std::process::id()));
    std::fs::create_dir_all(&d)?;
    Ok(d)
}

async fn check(net: &Net, _dir: &Path) -> Result<()> {
    let (a, b) = (net.a, net.b);
    let hub = format!("http://{a}:{HUB_PORT}");
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()?;
    until("the hub on the services host", 120, || {
        std::net::TcpStream::connect((a, HUB_PORT)).ok().map(|_| ())
    })
    .await?;
    let (mut ws, _) = tokio_tungstenite::connect_async(format!(
        "ws://{a}:{HUB_PORT}/socket/websocket?vsn=2.0.0&token={TOKEN}"
    ))
    .await
    .context("the hub's socket")?;
    ws.send(tokio_tungstenite::tungstenite::Message::text(
        json!(["1", "1", "dashboard:services", "phx_join", {}]).to_string(),
    ))
    .await?;
    fleet_until(
        &mut ws,
        "both machines with their programs running",
        180,
        |f| {
            running(machine(f, "services"), "landale")
                && running(machine(f, "services"), "seed")
                && running(machine(f, "streaming"), "phononmaser")
                && running(machine(f, "streaming"), "voice")
        },
    )
    .await?;
    eprintln!("xtask: two machines: the fleet shows both machines, every program running");
    let stored = |http: reqwest::Client, hub: String| async move {
        let v: Value = http
            .get(format!("{hub}/api/transcriptions?limit=1000"))
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        v["data"].as_array().cloned()
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if stored(http.clone(), hub.clone())
            .await
            .is_some_and(|t| t.len() >= 2)
        {
            break;
        }
        if Instant::now() > deadline {
            let logs = |id: &str| {
                get_from_b(
                    net,
                    &format!("http://{b}:14001/api/processes/{id}/logs?lines=15"),
                )
            };
            bail!(
                "no captions from the streaming PC reached the hub within 120 s; phononmaser: {}; its log: {}; the voice's log: {}",
                get_from_b(net, &format!("http://{b}:18890/health")).unwrap_or_default(),
                logs("phononmaser").unwrap_or_default(),
                logs("voice").unwrap_or_default()
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    eprintln!("xtask: two machines: captions spoken on the streaming PC reach the hub on the services host");
    if !net.netns {
        eprintln!("skipped: two machines: cutting the link (needs `ip netns`)");
        return Ok(());
    }
    // Cut the link.
    ip(&["link", "set", "lnd-a", "down"])?;
    let lost = fleet_until(&mut ws, "the streaming PC shown unreachable", 60, |f| {
        machine(f, "streaming")["reachable"] == false
    })
    .await?;
    eprintln!(
        "xtask: two machines: link cut; the fleet shows the streaming PC unreachable: {}",
        machine(&lost, "streaming")["error"]
    );
    let health = format!("http://{b}:18890/health");
    let waiting = until(
        "phononmaser keeping finals while the hub is away",
        120,
        || {
            get_from_b(net, &health).filter(|h| {
                h["queues"]["captions_waiting_for_hub"]
                    .as_u64()
                    .unwrap_or(0)
                    >= 2
            })
        },
    )
    .await?;
    eprintln!(
        "xtask: two machines: phononmaser holds {} finals for the hub",
        waiting["queues"]["captions_waiting_for_hub"]
    );
    // Restore it.
    ip(&["link", "set", "lnd-a", "up"])?;
    fleet_until(&mut ws, "the streaming PC back", 90, |f| {
        running(machine(f, "streaming"), "phononmaser")
    })
    .await?;
    // Stop speaking so the counts settle, then compare.
    let nurvus_b = format!("http://{b}:14001/api/processes/voice/stop");
    http.post(&nurvus_b)
        .bearer_auth(TOKEN)
        .send()
        .await
        .context("stop the voice")?;
    // Settled: nothing waiting, every final delivered, and the same on two reads a
    // second apart (an utterance cut by the voice stopping is finished meanwhile).
    let mut last: Option<Value> = None;
    let settled = until("every final delivered", 120, || {
        let h = get_from_b(net, &health)?;
        let c = &h["counts"];
        let done = h["queues"]["captions_waiting_for_hub"] == 0
            && h["queues"]["finals_waiting"] == 0
            && c["captions_delivered"] == c["finals"];
        let same = last.as_ref().is_some_and(|l| l["counts"] == h["counts"]);
        last = Some(h.clone());
        std::thread::sleep(Duration::from_millis(750));
        (done && same).then_some(h)
    })
    .await?;
    let delivered = settled["counts"]["captions_delivered"]
        .as_u64()
        .unwrap_or(0);
    let mut rows = vec![];
    for _ in 0..120 {
        rows = stored(http.clone(), hub.clone()).await.unwrap_or_default();
        if rows.len() as u64 >= delivered {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // A final stored twice would be two rows with one time and one text.
    let mut ids: Vec<String> = rows
        .iter()
        .map(|r| format!("{} {}", r["timestamp"], r["text"]))
        .collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    let dropped = settled["counts"]["captions_dropped"].as_u64().unwrap_or(0);
    eprintln!("xtask: two machines: phononmaser delivered {delivered} finals (dropped {dropped}); the hub stored {n} ({} distinct)", ids.len());
    if dropped > 0 || ids.len() != n || n as u64 != delivered {
        bail!("finals lost or duplicated across the cut: delivered {delivered}, dropped {dropped}, stored {n}, distinct {}", ids.len());
    }
    eprintln!("xtask: two machines: nothing lost, nothing twice");
    Ok(())
}
