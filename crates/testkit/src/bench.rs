//! Helpers the latency benches share: reading frames, percentiles, and the report
//! (a table on stdout and `bench-results/<name>.json`) of a path against its floor.

use futures_util::StreamExt;
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next text frame (10 s at most).
pub async fn text(ws: &mut Ws) -> String {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("frame within 10 s")
        {
            Some(Ok(Message::Text(t))) => return t.as_str().to_string(),
            Some(Ok(_)) => continue,
            other => panic!("socket ended: {other:?}"),
        }
    }
}

pub fn pct(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Print the floor, the path through Landale and the per-sample difference (µs), with
/// the ratios; write them with `extra` to `bench-results/<file>.json`.
pub fn report(
    file: &str,
    title: &str,
    (floor_name, mut floor): (&str, Vec<f64>),
    (hub_name, mut hub): (&str, Vec<f64>),
    added_name: &str,
    mut extra: Value,
) {
    let mut added: Vec<f64> = hub.iter().zip(&floor).map(|(h, f)| h - f).collect();
    added.sort_by(f64::total_cmp);
    floor.sort_by(f64::total_cmp);
    hub.sort_by(f64::total_cmp);
    let row = |name: &str, v: &[f64]| {
        json!({"path": name, "p50_us": pct(v, 0.5).round(), "p95_us": pct(v, 0.95).round(),
               "p99_us": pct(v, 0.99).round(), "max_us": v[v.len() - 1].round()})
    };
    let rows = vec![
        row(floor_name, &floor),
        row(hub_name, &hub),
        row(added_name, &added),
    ];
    let ratio_p50 = pct(&hub, 0.5) / pct(&floor, 0.5);
    let ratio_p99 = pct(&hub, 0.99) / pct(&floor, 0.99);
    println!("\n{title}\n");
    println!("| path | p50 µs | p95 µs | p99 µs | max µs |\n|---|---|---|---|---|");
    for r in &rows {
        println!(
            "| {} | {} | {} | {} | {} |",
            r["path"].as_str().unwrap_or_default(),
            r["p50_us"],
            r["p95_us"],
            r["p99_us"],
            r["max_us"]
        );
    }
    println!("\nLandale / floor: p50 {ratio_p50:.2}×, p99 {ratio_p99:.2}×");
    extra["rows"] = json!(rows);
    extra["ratio_p50"] = json!(ratio_p50);
    extra["ratio_p99"] = json!(ratio_p99);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench-results");
    let _ = std::fs::create_dir_all(&dir);
    std::fs::write(
        dir.join(format!("{file}.json")),
        serde_json::to_string_pretty(&extra).unwrap_or_default(),
    )
    .expect("write the bench result");
}

/// A bench's `main`: its async body on a multi-threaded runtime, with `quick` samples
/// under `--quick` and `full` otherwise.
pub fn run<F: std::future::Future<Output = ()>>(
    quick: usize,
    full: usize,
    body: impl FnOnce(usize) -> F,
) {
    let n = if std::env::args().any(|a| a == "--quick") {
        quick
    } else {
        full
    };
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(body(n));
}
