//! `cargo xtask bench ironmon` (or `cargo bench -p landale --bench ironmon`): the IronMON
//! tracker's messages through Landale, against floors measured in the same run.
//!
//! 1. Latency: one framed `location` message at a time from a tracker socket to an
//!    overlay's socket on `overlay:ironmon` (`ironmon_event`, carrying the run), against
//!    the floor of the same bytes echoed back by a bare TCP server on loopback.
//! 2. Throughput: a recorded run's messages (the demo session, 25 messages, repeated)
//!    sent back to back, until the overlay has seen the last; against the floor of the
//!    same bytes only decoded and checked (`framing` + `message`) in memory.
//!
//! Prints tables and writes bench-results/ironmon.json. `--quick`: 200 samples, not 2000.

use landale_ironmon::framing::{encode, Decoded, Decoder};
use landale_ironmon::{message, replay};
use landale_testkit::bench::{pct, report, text};
use landale_testkit::{Opts, TestHub};
use serde_json::json;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn main() {
    landale_testkit::bench::run(200, 2000, |n| async move { bench(n).await });
}

async fn bench(n: usize) {
    let hub = TestHub::start(Opts::default()).await;
    let port = hub
        .hub()
        .ironmon
        .listening(Duration::from_secs(10))
        .await
        .expect("listening");
    // An overlay: the anonymous read socket on overlay:ironmon.
    let (mut overlay, _) = tokio_tungstenite::connect_async(format!("{}?vsn=2.0.0", hub.ws_url()))
        .await
        .unwrap();
    use futures_util::SinkExt;
    overlay
        .send(tokio_tungstenite::tungstenite::Message::text(
            json!(["1", "1", "overlay:ironmon", "phx_join", {}]).to_string(),
        ))
        .await
        .unwrap();
    let mut tracker = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    tracker.set_nodelay(true).unwrap();
    // A run, so events carry a real run view.
    tracker
        .write_all(&encode(br#"{"type":"seed","data":{"count":1}}"#))
        .await
        .unwrap();
    loop {
        let t = text(&mut overlay).await;
        if t.contains("ironmon_event") && t.contains("ironmon.run_started") {
            break;
        }
    }

    // The floor: the same frame echoed by a bare TCP server.
    let echo = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let echo_addr = echo.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut s, _) = echo.accept().await.unwrap();
        s.set_nodelay(true).unwrap();
        let mut buf = vec![0u8; 4096];
        loop {
            let Ok(k) = s.read(&mut buf).await else {
                return;
            };
            if k == 0 || s.write_all(&buf[..k]).await.is_err() {
                return;
            }
        }
    });
    let mut floor_sock = tokio::net::TcpStream::connect(echo_addr).await.unwrap();
    floor_sock.set_nodelay(true).unwrap();
    let (mut floor, mut hub_us) = (vec![], vec![]);
    let mut back = vec![0u8; 4096];
    for i in 0..n {
        let frame = encode(
            format!(r#"{{"type":"location","data":{{"id":{i},"name":"Route {i}"}}}}"#).as_bytes(),
        );
        let t = Instant::now();
        floor_sock.write_all(&frame).await.unwrap();
        let mut got = 0;
        while got < frame.len() {
            got += floor_sock.read(&mut back).await.unwrap();
        }
        floor.push(t.elapsed().as_secs_f64() * 1e6);
        let t = Instant::now();
        tracker.write_all(&frame).await.unwrap();
        loop {
            let m = text(&mut overlay).await;
            if m.contains("ironmon.location") && m.contains(&format!("\"Route {i}\"")) {
                break;
            }
        }
        hub_us.push(t.elapsed().as_secs_f64() * 1e6);
    }

    // Throughput: the recorded run's messages back to back.
    let steps = replay::parse(replay::DEMO).unwrap();
    let mut stream: Vec<u8> = vec![];
    // Below the overlay socket's queue (2,048 frames), read as they come.
    let rounds = (n / 40).clamp(5, 60);
    for r in 0..rounds {
        let mut s = steps.clone();
        replay::renumber(&mut s, 1000 + 2 * r as i64);
        stream.extend(replay::frames(&s));
    }
    let messages = rounds * steps.len();
    let t = Instant::now();
    let mut d = Decoder::new();
    let mut ok = 0;
    for chunk in stream.chunks(16 * 1024) {
        for f in d.push(chunk) {
            if let Decoded::Frame(f) = f {
                ok += usize::from(message::parse(&f).is_ok());
            }
        }
    }
    let decode_s = t.elapsed().as_secs_f64();
    assert_eq!(ok, messages);
    let last_seed = 1000 + 2 * (rounds as i64 - 1) + 1;
    let t = Instant::now();
    let read = async {
        loop {
            let m = text(&mut overlay).await;
            if m.contains("ironmon.pokemon_update")
                && m.contains(&format!("\"run_number\":{last_seed}"))
            {
                break;
            }
        }
    };
    let write = async { tracker.write_all(&stream).await.unwrap() };
    tokio::join!(read, write);
    let through_s = t.elapsed().as_secs_f64();
    let (decode_rate, hub_rate) = (messages as f64 / decode_s, messages as f64 / through_s);
    println!("\nIronMON throughput: {messages} messages (a recorded run {rounds} times, stored seeds and results included)\n");
    println!("| path | messages/s |\n|---|---|");
    println!("| floor: decode and check only | {decode_rate:.0} |");
    println!("| Landale: tracker socket → store → pipeline → overlay | {hub_rate:.0} |");
    println!(
        "\nLandale / floor: {:.3}× the floor's rate",
        hub_rate / decode_rate
    );
    let mut sorted = hub_us.clone();
    sorted.sort_by(f64::total_cmp);
    report(
        "ironmon",
        &format!("IronMON message → overlay push, {n} messages one at a time (µs)"),
        ("floor: TCP echo on loopback", floor),
        ("Landale: tracker → overlay:ironmon", hub_us),
        "added by Landale",
        json!({"samples": n, "throughput": {"messages": messages, "floor_per_s": decode_rate.round(),
               "landale_per_s": hub_rate.round(), "ratio": hub_rate / decode_rate},
               "landale_p50_us": pct(&sorted, 0.5)}),
    );
    hub.stop().await;
}
