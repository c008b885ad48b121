//! `cargo xtask bench nurvus` (or `cargo bench -p nurvus --bench nurvus`):
//!
//! 1. nurvus's own idle cost: the release `nurvus serve` supervising 20 `sleep`s, its
//!    CPU over 10 s and its RSS.
//! 2. Crash → running again: a supervised child SIGKILLed, until its replacement runs;
//!    the scheduled backoff wait (about 1 s by design) is reported apart from nurvus's
//!    own overhead.
//! 3. Log capture: lines a second from a chatty child (`yes`), against the floor of
//!    the same child writing to /dev/null, in the same run.
//!
//! Prints tables and writes bench-results/nurvus.json. `--quick`: 5 crashes, not 30.

use nurvus::supervisor::{State, Supervisor};
use serde_json::json;
use std::time::{Duration, Instant};

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(run(if quick { 5 } else { 30 }));
}

fn entry(json: serde_json::Value) -> nurvus::config::Entry {
    let (mut good, problems) = nurvus::config::parse(&json!([json]).to_string()).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    good.remove(0)
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn cpu_seconds(pid: u32) -> f64 {
    nurvus::platform::usage(pid)
        .map(|u| u.cpu_seconds)
        .unwrap_or(0.0)
}

async fn idle() -> serde_json::Value {
    let bin = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/release/nurvus");
    let bin = std::env::var_os("NURVUS_BIN")
        .map(std::path::PathBuf::from)
        .unwrap_or(bin);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("p.json");
    let entries: Vec<_> = (0..20).map(|i| json!({"id": format!("s{i}"), "name": "sleeper", "command": "sleep", "args": ["1000"], "auto_restart": true})).collect();
    std::fs::write(&file, json!(entries).to_string()).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = tokio::process::Command::new(&bin)
        .arg("serve")
        .env("NURVUS_PORT", port.to_string())
        .env("NURVUS_CONFIG", &file)
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e} (cargo build --release -p nurvus)", bin.display()));
    let pid = child.id().unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let c0 = cpu_seconds(pid);
    tokio::time::sleep(Duration::from_secs(10)).await;
    let cpu_pct = (cpu_seconds(pid) - c0) / 10.0 * 100.0;
    let rss_mb = nurvus::platform::usage(pid)
        .map(|u| u.rss_bytes as f64 / 1048576.0)
        .unwrap_or(0.0);
    let _ = child.start_kill();
    let _ = child.wait().await;
    println!("\nnurvus idle with 20 supervised processes\n\n| CPU % (10 s) | RSS MB |\n|---|---|\n| {cpu_pct:.2} | {rss_mb:.1} |");
    json!({"processes": 20, "cpu_percent": cpu_pct, "rss_mb": rss_mb})
}

async fn restarts(n: usize) -> serde_json::Value {
    let sup = Supervisor::default();
    sup.add(entry(json!({"id": "victim", "name": "victim", "command": "sleep", "args": ["1000"], "auto_restart": true, "max_restarts": 1000, "restart_window": 1})));
    let p = sup.get("victim").unwrap();
    p.start().await.unwrap();
    let (mut total, mut overhead) = (vec![], vec![]);
    for _ in 0..n {
        // Running a little over the window, so the backoff starts from 1 s each time.
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let old = p.snapshot().pid.unwrap();
        let t = Instant::now();
        nurvus::platform::signal_group(old, 9);
        let mut rx = p.snap.subscribe();
        rx.wait_for(|s| s.state == State::Running && s.pid.is_some_and(|x| x != old))
            .await
            .unwrap();
        let took = t.elapsed().as_secs_f64() * 1000.0;
        let wait: f64 = p
            .logs
            .lock()
            .unwrap()
            .tail(10)
            .iter()
            .rev()
            .find_map(|l| {
                l.text
                    .strip_prefix("restarting in ")?
                    .strip_suffix(" ms")?
                    .parse()
                    .ok()
            })
            .unwrap_or(0.0);
        total.push(took);
        overhead.push(took - wait);
    }
    sup.shutdown().await;
    let (t50, t99, o50, o99) = (
        pct(&mut total, 0.5),
        pct(&mut total, 0.99),
        pct(&mut overhead, 0.5),
        pct(&mut overhead, 0.99),
    );
    println!("\nCrash → running again ({n} SIGKILLs)\n\n| | p50 ms | p99 ms |\n|---|---|---|\n| total (with the backoff wait) | {t50:.0} | {t99:.0} |\n| nurvus's overhead (total − scheduled wait) | {o50:.1} | {o99:.1} |");
    json!({"crashes": n, "total_p50_ms": t50, "total_p99_ms": t99, "overhead_p50_ms": o50, "overhead_p99_ms": o99})
}

async fn logs() -> serde_json::Value {
    let lines = 2_000_000u64;
    let body = "x".repeat(99);
    let cmd = format!("yes {body} | head -n {lines}");
    let t = Instant::now();
    let st = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{cmd} > /dev/null"))
        .status()
        .await
        .unwrap();
    assert!(st.success());
    let floor = lines as f64 / t.elapsed().as_secs_f64();
    let sup = Supervisor::default();
    sup.add(entry(json!({"id": "chatty", "name": "chatty", "command": "sh", "args": ["-c", format!("{cmd}; echo END")]})));
    let p = sup.get("chatty").unwrap();
    let t = Instant::now();
    p.start().await.unwrap();
    loop {
        if p.logs
            .lock()
            .unwrap()
            .tail(5)
            .iter()
            .any(|l| l.text == "END")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let through = lines as f64 / t.elapsed().as_secs_f64();
    sup.shutdown().await;
    println!("\nLog capture ({lines} lines of 100 bytes)\n\n| path | lines/s |\n|---|---|\n| the child to /dev/null (floor) | {floor:.0} |\n| captured by nurvus | {through:.0} |\n\nnurvus / floor: {:.2}×", through / floor);
    json!({"lines": lines, "floor_lines_per_s": floor, "captured_lines_per_s": through, "ratio": through / floor})
}

async fn run(n: usize) {
    let out = json!({"idle": idle().await, "restart": restarts(n).await, "logs": logs().await});
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench-results");
    let _ = std::fs::create_dir_all(&dir);
    std::fs::write(
        dir.join("nurvus.json"),
        serde_json::to_string_pretty(&out).unwrap(),
    )
    .unwrap();
}
