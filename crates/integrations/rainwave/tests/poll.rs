//! The poller against the fake Rainwave: songs and their changes, a station change
//! and enable/disable that really change what is polled, and each of Rainwave's
//! failure modes (5xx, a slow answer, a body that is not JSON, a refused key, a user
//! not tuned in) seen in the status and the events, then recovered from.

use fake_rainwave::{FakeRainwave, Fault};
use landale_core::{Ingest, IngestError, Input, Integration};
use landale_rainwave::{Rainwave, RainwaveArgs};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

struct Events(mpsc::UnboundedSender<Input>);

impl Ingest for Events {
    fn ingest_event(&self, input: Input) -> Result<(), IngestError> {
        let _ = self.0.send(input);
        Ok(())
    }
}

struct Rig {
    fake: FakeRainwave,
    rw: Arc<Rainwave>,
    rx: mpsc::UnboundedReceiver<Input>,
    _stop: watch::Sender<bool>,
}

impl Rig {
    async fn start(key: &str) -> Rig {
        let (fake, addr) = FakeRainwave::start(([127, 0, 0, 1], 0).into(), "4242", "right-key")
            .await
            .unwrap();
        let mut s = RainwaveArgs {
            rainwave_api_key: Some(key.into()),
            rainwave_user_id: Some("4242".into()),
            rainwave_api_url: Some(format!("http://{addr}/api4")),
            rainwave_poll_ms: Some("100".into()),
            ..Default::default()
        }
        .settings()
        .unwrap();
        s.timeout = Duration::from_millis(400);
        let (tx, rx) = mpsc::unbounded_channel();
        let rw = Rainwave::new(s, Arc::new(Events(tx)));
        let (stop, shutdown) = watch::channel(false);
        rw.clone().start(shutdown);
        Rig {
            fake,
            rw,
            rx,
            _stop: stop,
        }
    }

    /// The next event of `kind` (others are skipped), within 10 s.
    async fn next(&mut self, kind: &str) -> Value {
        loop {
            let e = tokio::time::timeout(Duration::from_secs(10), self.rx.recv())
                .await
                .unwrap_or_else(|_| panic!("no {kind} within 10 s; status {}", self.rw.status()))
                .expect("events");
            if e.event_type == kind {
                return e.data;
            }
        }
    }

    /// Wait until the status satisfies `f` (each poll publishes or not; poll the
    /// status on the poller's own interval).
    async fn until(&self, what: &str, f: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let s = self.rw.status();
            if f(&s) {
                return s;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{what} within 10 s; status {s}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[tokio::test]
async fn songs_changes_station_and_enable() {
    let mut r = Rig::start("right-key").await;
    let first = r.next("rainwave.update").await;
    assert_eq!(first["listening"], true);
    assert_eq!(first["station_id"], 3);
    assert_eq!(first["station_name"], "Covers");
    let song = &first["current_song"];
    assert_eq!(song["title"], "Gusty Garden Galaxy");
    assert_eq!(song["artist"], "Mahito Yokota, Koji Kondo");
    let art = song["album_art"].as_str().unwrap().to_string();
    assert!(art.ends_with("/album_art/1010_320.jpg"), "{art}");
    assert_eq!(
        reqwest::get(&art).await.unwrap().status(),
        200,
        "the art URL serves an image"
    );
    assert_eq!(
        song["end_time"].as_u64().unwrap() - song["start_time"].as_u64().unwrap(),
        212
    );

    r.fake.next_song();
    let changed = r.next("rainwave.song_changed").await;
    assert_eq!(changed["current_song"]["title"], "Corridors of Time");

    // A station change is polled at once with the new station.
    r.rw.set_station(&Value::from("chiptunes")).unwrap();
    let st = r.next("rainwave.station_changed").await;
    assert_eq!(
        (
            st["station_id"].as_u64(),
            st["previous_station_id"].as_u64()
        ),
        (Some(4), Some(3))
    );
    let update = r.next("rainwave.update").await;
    assert_eq!(update["station_name"], "Chiptunes");
    assert_eq!(r.fake.calls().last().unwrap()["sid"], "4");
    assert!(r.rw.set_station(&Value::from(9)).is_err());

    // Off clears the song at once and polling stops; on starts it again.
    r.rw.set_enabled(false);
    let off = r.next("rainwave.update").await;
    assert_eq!(
        (off["enabled"].clone(), off["current_song"].clone()),
        (Value::Bool(false), Value::Null)
    );
    let calls = r.fake.calls().len();
    r.rw.set_enabled(true);
    let on = r.next("rainwave.update").await;
    assert_eq!(on["current_song"]["title"], "Corridors of Time");
    assert!(r.fake.calls().len() > calls);
}

#[tokio::test]
async fn each_failure_is_seen_and_recovered_from() {
    let mut r = Rig::start("right-key").await;
    r.next("rainwave.update").await;
    for (fault, words) in [
        (Fault::ServerError, "HTTP 502"),
        (Fault::Malformed, "not JSON"),
        (Fault::Timeout, "did not answer within 400 ms"),
        (Fault::BadKey, "Rainwave said: Authorization failed."),
    ] {
        r.fake.fault(Some(fault), Some(2));
        let lost = r.next("rainwave.update").await;
        assert_eq!(
            lost["current_song"],
            Value::Null,
            "{fault:?} clears the song"
        );
        assert!(
            lost["error"].as_str().unwrap().contains(words),
            "{fault:?}: {lost}"
        );
        let s = r
            .until("two errors in a row", |s| {
                s["api_health"]["consecutive_errors"] == 2
            })
            .await;
        assert_eq!(s["api_health"]["status"], "degraded", "{fault:?}");
        let back = r.next("rainwave.update").await;
        assert_eq!(
            back["current_song"]["title"], "Gusty Garden Galaxy",
            "{fault:?} recovered"
        );
        assert_eq!(r.rw.status()["api_health"]["status"], "healthy");
    }
    // Five in a row is down.
    r.fake.fault(Some(Fault::ServerError), None);
    r.until("down after five errors", |s| {
        s["api_health"]["status"] == "down"
    })
    .await;
    r.fake.fault(None, None);
    // Backoff has grown; a control wakes the poller at once.
    r.rw.set_station(&Value::from(1)).unwrap();
    r.until("healthy again", |s| s["api_health"]["status"] == "healthy")
        .await;

    // Not tuned in: no song, not an error.
    r.fake.set_listening(false);
    let away = r.next("rainwave.update").await;
    assert_eq!(
        (away["listening"].clone(), away["current_song"].clone()),
        (Value::Bool(false), Value::Null)
    );
    assert_eq!(r.rw.status()["api_health"]["status"], "healthy");
}

#[tokio::test]
async fn without_credentials_nothing_is_polled() {
    let (fake, addr) = FakeRainwave::start(([127, 0, 0, 1], 0).into(), "1", "k")
        .await
        .unwrap();
    let s = RainwaveArgs {
        rainwave_api_url: Some(format!("http://{addr}/api4")),
        ..Default::default()
    }
    .settings()
    .unwrap();
    let (tx, _rx) = mpsc::unbounded_channel();
    let rw = Rainwave::new(s, Arc::new(Events(tx)));
    assert_eq!(rw.health_word(), "not_configured");
    assert_eq!(rw.status()["has_credentials"], false);
    let st = rw.service_status();
    assert!(st.error.unwrap().contains("RAINWAVE_API_KEY"));
    assert!(fake.calls().is_empty());
}
