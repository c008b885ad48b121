//! Delivery guarantees: `last_seq` replay, slow consumers, idle close, rejoin.

use futures_util::StreamExt;
use landale_client::{Client, Options};
use landale_testkit::*;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// Read `n` follower pushes; return their seqs in arrival order.
async fn read_follows(ws: &mut Ws, n: usize) -> Vec<u64> {
    let mut seqs = Vec::with_capacity(n);
    while seqs.len() < n {
        let f = next(ws).await.expect("socket open");
        if f[3] == "follower" {
            seqs.push(f[4]["seq"].as_u64().expect("seq"));
        }
    }
    seqs
}

fn assert_exactly(seqs: &[u64], expected: &[u64]) {
    let unique: HashSet<_> = seqs.iter().collect();
    assert_eq!(unique.len(), seqs.len(), "no duplicates");
    assert_eq!(seqs, expected, "every missed event, in order");
}

async fn replay_1000(hub: &TestHub) {
    let mut a = ws(&hub.ws_url(), "").await;
    let head = join(&mut a, "events:interactions", json!({})).await["seq"]
        .as_u64()
        .unwrap();
    let first = hub.follow("before");
    assert_eq!(read_follows(&mut a, 1).await, [first]);
    drop(a);

    let expected: Vec<u64> = (0..1000)
        .map(|i| hub.follow(&format!("missed_{i}")))
        .collect();
    assert!(expected[0] > head);
    hub.wait_stored(1001).await;

    let mut b = ws(&hub.ws_url(), "").await;
    let resp = join(&mut b, "events:interactions", json!({"last_seq": first})).await;
    assert!(resp["seq"].as_u64().unwrap() >= *expected.last().unwrap());
    let live = hub.follow("after");
    let mut got = read_follows(&mut b, 1001).await;
    assert_eq!(got.pop(), Some(live), "live events follow the replay");
    assert_exactly(&got, &expected);
}

/// A replay far larger than the socket's queue (64 frames) is delivered whole: replay
/// frames wait for room instead of tripping the slow-consumer rule.
#[tokio::test]
async fn replay_larger_than_the_socket_queue_is_delivered() {
    let hub = TestHub::start(Opts {
        socket_queue: Some(64),
        ..Default::default()
    })
    .await;
    // (The first socket, dropped while the 1,000 are published, may count as a slow
    // consumer; the rejoining one must receive everything.)
    replay_1000(&hub).await;
    hub.stop().await;
}

#[tokio::test]
async fn last_seq_replays_1000_missed_events_from_memory() {
    let hub = TestHub::start(Opts::default()).await;
    replay_1000(&hub).await;
    hub.stop().await;
}

/// With a ring of 100 messages, most of the 1,000 come from the database.
#[tokio::test]
async fn last_seq_replays_1000_missed_events_from_storage_on_every_backend() {
    for db in backends() {
        let pg = match &db {
            Db::Postgres(admin) => Some(PgDb::create(admin).await),
            Db::Sqlite => None,
        };
        let opts = Opts {
            replay_ring: Some(100),
            database_url: pg.as_ref().map(|p| p.url.clone()),
            ..Default::default()
        };
        let hub = TestHub::start(opts).await;
        replay_1000(&hub).await;
        hub.stop().await;
    }
}

/// The resilient client reconnects after the hub restarts and, rejoining with its
/// `last_seq`, gets what was published before it got back (from storage).
#[tokio::test]
async fn client_reconnects_across_a_hub_restart_and_misses_nothing() {
    let mut hub = TestHub::start(Opts::default()).await;
    let opts = Options {
        backoff_min: Duration::from_millis(20),
        backoff_max: Duration::from_millis(200),
        ..Default::default()
    };
    let client = Client::connect(&hub.ws_url(), &[("environment", "test")], opts);
    let (mut ch, _) = client
        .join("events:interactions", json!({}))
        .await
        .expect("join");
    let before = hub.follow("before_restart");
    let m = ch.recv_event("follower", DEADLINE).await.expect("follower");
    assert_eq!(m.payload["seq"], before);

    hub.restart().await;
    // Published before the client is back: it must still arrive, exactly once.
    let during: Vec<u64> = (0..5).map(|i| hub.follow(&format!("during_{i}"))).collect();
    hub.wait_stored(5).await;
    client.wait_connections(2).await;
    let mut got = Vec::new();
    while got.len() < 5 {
        let m = ch
            .recv_event("follower", DEADLINE)
            .await
            .expect("replayed follower");
        got.push(m.payload["seq"].as_u64().unwrap());
    }
    assert_exactly(&got, &during);
    assert!(during[0] > before, "seq keeps increasing across a restart");
    client.close().await;
    hub.stop().await;
}

#[tokio::test]
async fn idle_sockets_are_closed_and_heartbeats_keep_them_open() {
    let hub = TestHub::start(Opts {
        idle_ms: Some(400),
        ..Default::default()
    })
    .await;
    let started = Instant::now();
    let mut quiet = ws(&hub.ws_url(), "").await;
    let mut chatty = ws(&hub.ws_url(), "").await;
    // The chatty socket heartbeats every 100 ms until the quiet one is closed.
    let closed = async {
        loop {
            match tokio::time::timeout(DEADLINE, quiet.next())
                .await
                .expect("close in time")
            {
                Some(Ok(tokio_tungstenite::tungstenite::Message::Close(f))) => {
                    return f.map(|f| f.reason.to_string())
                }
                None | Some(Err(_)) => return None,
                _ => {}
            }
        }
    };
    // A client heartbeat schedule (the load, not a synchronisation).
    let beat = async {
        let mut every = tokio::time::interval(Duration::from_millis(100));
        loop {
            every.tick().await;
            let (status, _) = push(&mut chatty, "phoenix", "heartbeat", json!({})).await;
            assert_eq!(status, "ok");
        }
    };
    let reason = tokio::select! { r = closed => r, _ = beat => unreachable!() };
    assert!(started.elapsed() >= Duration::from_millis(400));
    let reason = reason.expect("a close frame with a reason");
    assert!(reason.contains("idle"), "{reason}");
    let (status, _) = push(&mut chatty, "phoenix", "heartbeat", json!({})).await;
    assert_eq!(status, "ok", "the heartbeating socket is still open");
    hub.stop().await;
}

#[tokio::test]
async fn second_join_replaces_the_first_and_leave_stops_pushes() {
    let hub = TestHub::start(Opts::default()).await;
    let mut c = ws(&hub.ws_url(), "").await;
    send(&mut c, json!(["1", "1", "events:all", "phx_join", {}])).await;
    send(&mut c, json!(["2", "2", "events:all", "phx_join", {}])).await;
    // Both joins are answered before anything is published.
    let (mut replies, mut closes) = (0, 0);
    while replies < 2 {
        let f = next(&mut c).await.unwrap();
        if f[3] == "phx_reply" {
            assert_eq!(f[4]["status"], "ok");
            replies += 1;
        }
        if f[3] == "phx_close" {
            assert_eq!(f[0], "1", "the first join is closed");
            closes += 1;
        }
    }
    let s = hub.follow("once");
    let mut follows = 0;
    // Read until a heartbeat reply proves everything before it arrived.
    send(&mut c, json!([null, "hb", "phoenix", "heartbeat", {}])).await;
    loop {
        let f = next(&mut c).await.unwrap();
        match (f[3].as_str(), f[1].as_str()) {
            (Some("follower"), _) => {
                assert_eq!(f[0], "2", "pushes carry the new join_ref");
                assert_eq!(f[4]["seq"], s);
                follows += 1;
            }
            (Some("phx_close"), _) => {
                assert_eq!(f[0], "1");
                closes += 1;
            }
            (Some("phx_reply"), Some("hb")) if follows > 0 => break,
            (Some("phx_reply"), Some("hb")) => {
                send(&mut c, json!([null, "hb", "phoenix", "heartbeat", {}])).await
            }
            _ => {}
        }
    }
    assert_eq!((follows, closes), (1, 1));

    // A late leave carrying the replaced join's ref changes nothing (the `push`
    // helper sends join_ref "1"): the channel still answers.
    let (status, _) = push(&mut c, "events:all", "phx_leave", json!({})).await;
    assert_eq!(status, "ok");
    let (status, _) = push(&mut c, "events:all", "ping", json!({})).await;
    assert_eq!(status, "ok", "still joined after a stale leave");
    // The real leave: reply ok, then phx_close.
    send(&mut c, json!(["2", "lv", "events:all", "phx_leave", {}])).await;
    let reply = next_event(&mut c, "phx_reply").await;
    assert_eq!(
        (reply[1].as_str(), reply[4]["status"].as_str()),
        (Some("lv"), Some("ok"))
    );
    let close = next_event(&mut c, "phx_close").await;
    assert_eq!(close[0], "2");
    hub.follow("after_leave");
    let (status, resp) = push(&mut c, "events:all", "ping", json!({})).await;
    assert_eq!(
        (status.as_str(), resp["reason"].as_str()),
        ("error", Some("unmatched topic"))
    );
    hub.stop().await;
}

#[tokio::test]
async fn bad_frames_close_the_socket_with_a_reason() {
    let hub = TestHub::start(Opts::default()).await;
    let mut c = ws(&hub.ws_url(), "").await;
    use futures_util::SinkExt;
    c.send(tokio_tungstenite::tungstenite::Message::Text("[1,2".into()))
        .await
        .unwrap();
    let mut reason = String::new();
    while let Some(Ok(m)) = c.next().await {
        if let tokio_tungstenite::tungstenite::Message::Close(Some(f)) = m {
            assert_eq!(u16::from(f.code), 1007);
            reason = f.reason.to_string();
            break;
        }
    }
    assert!(reason.contains("JSON"), "{reason}");
    let _: Value = json!(null);
    hub.stop().await;
}
