//! A fake Rainwave for tests and the demo, following the public api4 `info` call:
//! `POST /api4/info` with a form body `sid`, `key`, `user_id`, answering the
//! documented shape (`user`, `station_name`, `sched_current` with `songs[0]`'s
//! `title`, `artists`, `albums` with `art`, `length`, `url`, and the event's
//! `start_actual`/`end`). Album art is served at `/album_art/<n>_320.jpg`.
//!
//! Faults on demand ([`Fault`]): a 5xx, an answer slower than any client waits, a body
//! that is not JSON, Rainwave's `{"error": ...}` for a bad key (HTTP 403), and a user
//! who is not tuned in (`user.id` absent, as Rainwave answers for a listener it does
//! not see). Each fault can be set for the next N calls or until cleared.
//!
//! Control (for tests and `cargo xtask run`): `POST /fake/song` (next song, or a given
//! one), `POST /fake/fault`, `POST /fake/listening`, `GET /fake/calls`.

use axum::extract::{Form, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    ServerError,
    /// Answer after 60 s (longer than any client's timeout).
    Timeout,
    Malformed,
    BadKey,
}

/// The stations and their names, as Rainwave numbers them.
pub const STATIONS: [(u32, &str); 5] = [
    (1, "Video Game Music"),
    (2, "OCR Radio"),
    (3, "Covers"),
    (4, "Chiptunes"),
    (5, "All"),
];

#[derive(Debug, Clone)]
pub struct Song {
    pub id: u64,
    pub title: String,
    pub artists: Vec<String>,
    pub album: String,
    pub length: u64,
}

fn songs() -> Vec<Song> {
    let s = |id, title: &str, artists: &[&str], album: &str, length| Song {
        id,
        title: title.into(),
        artists: artists.iter().map(|a| a.to_string()).collect(),
        album: album.into(),
        length,
    };
    vec![
        s(
            101,
            "Gusty Garden Galaxy",
            &["Mahito Yokota", "Koji Kondo"],
            "Super Mario Galaxy",
            212,
        ),
        s(
            102,
            "Corridors of Time",
            &["Yasunori Mitsuda"],
            "Chrono Trigger",
            187,
        ),
        s(
            103,
            "Bloody Tears",
            &["Kenichi Matsubara"],
            "Castlevania II",
            143,
        ),
        s(
            104,
            "Aquatic Ambience",
            &["David Wise"],
            "Donkey Kong Country",
            241,
        ),
    ]
}

struct Inner {
    user_id: String,
    key: String,
    listening: bool,
    song: usize,
    started: u64,
    fault: Option<(Fault, Option<u32>)>,
    calls: Vec<Value>,
}

#[derive(Clone)]
pub struct FakeRainwave(Arc<Mutex<Inner>>);

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The album art: a 16×16 PNG (browsers go by the bytes, not the `.jpg` name).
const ART: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x10, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x91, 0x68,
    0x36, 0x00, 0x00, 0x00, 0x16, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0x38, 0x11, 0xb0, 0x80,
    0x24, 0xc4, 0x30, 0xaa, 0x61, 0x54, 0xc3, 0xf0, 0xd5, 0x00, 0x00, 0x12, 0x8e, 0xb8, 0x10, 0x4c,
    0xda, 0x37, 0x9d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

impl FakeRainwave {
    /// Serve on `addr` (port 0 for any); the credentials it accepts are given here.
    pub async fn start(
        addr: SocketAddr,
        user_id: &str,
        key: &str,
    ) -> std::io::Result<(FakeRainwave, SocketAddr)> {
        let fake = FakeRainwave(Arc::new(Mutex::new(Inner {
            user_id: user_id.into(),
            key: key.into(),
            listening: true,
            song: 0,
            started: now(),
            fault: None,
            calls: vec![],
        })));
        let app = Router::new()
            .route("/api4/info", post(info))
            .route("/album_art/{file}", get(art))
            .route("/fake/song", post(next_song))
            .route("/fake/fault", post(set_fault))
            .route("/fake/listening", post(set_listening))
            .route("/fake/calls", get(calls))
            .with_state(fake.clone());
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let bound = listener.local_addr()?;
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok((fake, bound))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Move to the next song (it starts now).
    pub fn next_song(&self) -> u64 {
        let mut i = self.lock();
        i.song = (i.song + 1) % songs().len();
        i.started = now();
        songs()[i.song].id
    }

    /// Fail the next `times` calls (`None`: until cleared) with `fault`.
    pub fn fault(&self, fault: Option<Fault>, times: Option<u32>) {
        self.lock().fault = fault.map(|f| (f, times));
    }

    pub fn set_listening(&self, on: bool) {
        self.lock().listening = on;
    }

    /// Every `info` call's form fields, oldest first.
    pub fn calls(&self) -> Vec<Value> {
        self.lock().calls.clone()
    }
}

#[derive(Deserialize)]
struct InfoForm {
    sid: Option<String>,
    key: Option<String>,
    user_id: Option<String>,
}

async fn info(State(f): State<FakeRainwave>, Form(form): Form<InfoForm>) -> Response {
    let fault = {
        let mut i = f.lock();
        i.calls.push(
            json!({"sid": form.sid, "user_id": form.user_id, "key_given": form.key.is_some()}),
        );
        match i.fault {
            Some((fault, Some(n))) => {
                i.fault = (n > 1).then_some((fault, Some(n - 1)));
                Some(fault)
            }
            Some((fault, None)) => Some(fault),
            None => None,
        }
    };
    match fault {
        Some(Fault::ServerError) => {
            return (StatusCode::BAD_GATEWAY, "<html>502 Bad Gateway</html>").into_response()
        }
        Some(Fault::Timeout) => {
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
        Some(Fault::Malformed) => {
            return ([(header::CONTENT_TYPE, "application/json")], "{\"sched_current\": {\"songs\": [").into_response()
        }
        Some(Fault::BadKey) => {
            return (
                StatusCode::FORBIDDEN,
                Json(json!({"error": {"tl_key": "auth_failed", "text": "Authorization failed.", "code": 403}})),
            )
                .into_response()
        }
        None => {}
    }
    let sid: u32 = form
        .sid
        .as_deref()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let Some((_, station)) = STATIONS.iter().find(|(id, _)| *id == sid) else {
        return Json(json!({"error": {"tl_key": "invalid_station_id", "text": "Invalid station ID.", "code": 400}})).into_response();
    };
    let i = f.lock();
    if form.key.as_deref() != Some(i.key.as_str())
        || form.user_id.as_deref() != Some(i.user_id.as_str())
    {
        return (
            StatusCode::FORBIDDEN,
            Json(json!({"error": {"tl_key": "auth_failed", "text": "Authorization failed.", "code": 403}})),
        )
            .into_response();
    }
    let song = &songs()[i.song];
    // A listener Rainwave does not see tuned in is answered as an anonymous user.
    let user = if i.listening {
        json!({"id": i.user_id.parse::<u64>().map(Value::from).unwrap_or(Value::from(i.user_id.clone())),
               "name": "landale", "tuned_in": true})
    } else {
        json!({"id": 1, "name": "Anonymous", "tuned_in": false})
    };
    Json(json!({
        "user": user,
        "station_name": station,
        "sched_current": {
            "id": 9000 + song.id, "sid": sid, "start": i.started, "start_actual": i.started,
            "end": i.started + song.length, "type": "Election",
            "songs": [{
                "id": song.id, "title": song.title, "length": song.length,
                "url": format!("https://ocremix.org/remix/{}", song.id),
                "artists": song.artists.iter().enumerate().map(|(n, a)| json!({"id": n + 1, "name": a})).collect::<Vec<_>>(),
                "albums": [{"id": song.id * 10, "name": song.album, "art": format!("/album_art/{}", song.id * 10)}],
            }],
        },
        "sched_next": [],
        "sched_history": [],
    }))
    .into_response()
}

async fn art(Path(file): Path<String>) -> Response {
    if !file.ends_with("_320.jpg") {
        return StatusCode::NOT_FOUND.into_response();
    }
    ([(header::CONTENT_TYPE, "image/png")], ART).into_response()
}

async fn next_song(State(f): State<FakeRainwave>) -> Json<Value> {
    Json(json!({"song_id": f.next_song()}))
}

#[derive(Deserialize)]
struct FaultBody {
    fault: Option<Fault>,
    times: Option<u32>,
}

async fn set_fault(State(f): State<FakeRainwave>, Json(b): Json<FaultBody>) -> Json<Value> {
    f.fault(b.fault, b.times);
    Json(json!({"ok": true}))
}

async fn set_listening(
    State(f): State<FakeRainwave>,
    Json(b): Json<HashMap<String, bool>>,
) -> Json<Value> {
    f.set_listening(b.get("listening").copied().unwrap_or(true));
    Json(json!({"ok": true}))
}

async fn calls(State(f): State<FakeRainwave>) -> Json<Value> {
    Json(Value::Array(f.calls()))
}
