//! What the hub's tests and benches share: a real hub on a loopback port
//! ([`TestHub`]), raw v2 socket helpers and waits, a fresh PostgreSQL database per
//! test when `LANDALE_TEST_DATABASE_URL` is set, real OBS ([`obs`]), the stream
//! contracts ([`stream`]), a hub signed in to the fake Twitch ([`twitch`]), and the
//! latency benches' frames, percentiles and report ([`bench`]).

/// A loopback port nothing listens on (for a process started later, or for "nothing
/// there").
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub mod bench;
pub mod obs;
pub mod speech;
pub mod stream;
pub mod twitch;

use futures_util::{SinkExt, StreamExt};
use landale::config::{Config, ConfigArgs};
use landale::server::Running;
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

pub const TOKEN: &str = "test-token-0123456789abcdef";
pub const DEADLINE: Duration = Duration::from_secs(10);

#[derive(Clone, Debug)]
pub enum Db {
    Sqlite,
    Postgres(String),
}

/// The backends this run can test: SQLite always, PostgreSQL when configured.
pub fn backends() -> Vec<Db> {
    let mut v = vec![Db::Sqlite];
    match std::env::var("LANDALE_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => v.push(Db::Postgres(url)),
        _ => eprintln!(
            "skipped: PostgreSQL backend (LANDALE_TEST_DATABASE_URL is not set; .ci/run sets it)"
        ),
    }
    v
}

/// A throwaway PostgreSQL database, dropped with this value.
pub struct PgDb {
    admin: String,
    pub name: String,
    pub url: String,
}

impl PgDb {
    pub async fn create(admin_url: &str) -> PgDb {
        let name = format!("landale_t_{}", landale_core::ids::random_hex(12));
        let pool = sqlx::PgPool::connect(admin_url)
            .await
            .expect("connect to LANDALE_TEST_DATABASE_URL");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&pool)
            .await
            .expect("create test database");
        pool.close().await;
        let base = admin_url
            .rsplit_once('/')
            .map(|(b, _)| b)
            .unwrap_or(admin_url);
        PgDb {
            admin: admin_url.to_string(),
            url: format!("{base}/{name}"),
            name,
        }
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        // Drop on a separate thread with its own runtime: Drop cannot await.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(pool) = sqlx::PgPool::connect(&admin).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&pool)
                        .await;
                }
            });
        })
        .join();
    }
}

#[derive(Default, Clone)]
pub struct Opts {
    pub database_url: Option<String>,
    pub trust_loopback: bool,
    pub socket_queue: Option<usize>,
    pub idle_ms: Option<u64>,
    pub replay_ring: Option<usize>,
    /// A smaller bus broadcast channel (socket tasks and the producer fall behind sooner).
    pub broadcast_capacity: Option<usize>,
    pub port: Option<u16>,
    pub nurvus_url: Option<String>,
    /// The fleet (`NURVUS_URLS`).
    pub nurvus_urls: Option<String>,
    /// Where the hub probes phononmaser's health.
    pub phononmaser_health_url: Option<String>,
    /// Where the hub finds seed.
    pub seed_health_url: Option<String>,
    /// A manual clock the test advances (shared across restarts).
    pub clock: Option<landale_core::clock::Clock>,
    /// OBS connection settings (URL, password, shortened timings).
    pub obs: Option<landale_obs::ObsSettings>,
    /// Twitch settings (the fake Twitch's URLs, client id and secret, vault key).
    pub twitch: Option<landale_twitch::TwitchSettings>,
    /// Rainwave settings (the fake Rainwave's URL and credentials).
    pub rainwave: Option<landale_rainwave::RainwaveSettings>,
}

pub struct TestHub {
    pub running: Option<Running>,
    pub addr: std::net::SocketAddr,
    pub dir: tempfile::TempDir,
    pub opts: Opts,
}

pub fn config(opts: &Opts, dir: &std::path::Path) -> Config {
    let args = ConfigArgs {
        port: Some(opts.port.unwrap_or(0).to_string()),
        data_dir: Some(dir.display().to_string()),
        database_url: opts.database_url.clone(),
        token: Some(TOKEN.into()),
        trust_loopback: Some(opts.trust_loopback.to_string()),
        socket_queue: opts.socket_queue.map(|n| n.to_string()),
        idle_timeout_ms: opts.idle_ms.map(|n| n.to_string()),
        replay_ring: opts.replay_ring.map(|n| n.to_string()),
        nurvus: landale_nurvus::NurvusArgs {
            nurvus_url: opts.nurvus_url.clone(),
            nurvus_urls: opts.nurvus_urls.clone(),
        },
        phononmaser_health_url: opts.phononmaser_health_url.clone(),
        seed_health_url: opts.seed_health_url.clone(),
        // Any free port: tests run side by side.
        ironmon: landale_ironmon::IronmonArgs {
            ironmon_port: Some("0".into()),
            ironmon_host: None,
        },
        ..Default::default()
    };
    let mut c = Config::from_args(&args).expect("test config");
    if let Some(n) = opts.broadcast_capacity {
        c.broadcast_capacity = n;
    }
    if let Some(clock) = &opts.clock {
        c.clock = clock.clone();
    }
    if let Some(obs) = &opts.obs {
        c.obs = obs.clone();
    }
    if let Some(t) = &opts.twitch {
        c.twitch = t.clone();
    }
    if let Some(r) = &opts.rainwave {
        c.rainwave = r.clone();
    }
    c
}

impl TestHub {
    pub async fn start(opts: Opts) -> TestHub {
        let dir = tempfile::tempdir().unwrap();
        let running = landale::server::start(config(&opts, dir.path()))
            .await
            .expect("hub starts");
        TestHub {
            addr: running.addr,
            running: Some(running),
            dir,
            opts,
        }
    }

    pub fn hub(&self) -> &std::sync::Arc<landale::hub::Hub> {
        &self.running.as_ref().expect("running").hub
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/socket/websocket", self.addr)
    }

    pub fn http(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Stop, then start again on the same port and data dir.
    pub async fn restart(&mut self) {
        self.pause().await;
        self.resume().await;
    }

    /// Stop, keeping the port and data dir for [`TestHub::resume`].
    pub async fn pause(&mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await;
        }
    }

    /// Start again on the same port and data dir.
    pub async fn resume(&mut self) {
        let mut opts = self.opts.clone();
        opts.port = Some(self.addr.port());
        let running = landale::server::start(config(&opts, self.dir.path()))
            .await
            .expect("hub restarts");
        self.running = Some(running);
    }

    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await;
        }
    }

    /// `GET` `path` and read its JSON body.
    pub async fn get_json(&self, path: &str) -> Value {
        reqwest::get(self.http(path))
            .await
            .expect("request")
            .json()
            .await
            .expect("a JSON body")
    }

    /// `POST` JSON to `path` with the token.
    pub async fn post(&self, path: &str, body: &Value) -> reqwest::Response {
        reqwest::Client::new()
            .post(self.http(path))
            .bearer_auth(TOKEN)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// Publish a follow through the pipeline; returns its seq.
    pub fn follow(&self, login: &str) -> u64 {
        let data = json!({"user_id": "1001", "user_login": login, "user_name": login,
                          "broadcaster_user_id": "12826", "broadcaster_user_login": "avalonstar"});
        self.hub()
            .pipeline
            .ingest(landale_core::Input::new("channel.follow", data))
            .expect("valid")
            .seq
    }

    /// Wait for the store writer to settle (its own signal), then check that at
    /// least `n` events are in the activity log.
    pub async fn wait_stored(&self, n: u64) {
        self.hub().pipeline.store_settled(DEADLINE).await;
        let stored = self.hub().metrics.events_stored.get();
        assert!(stored >= n, "only {stored} of {n} events stored");
    }
}

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A raw v2 socket that presents the token.
pub async fn ws(url: &str, query: &str) -> Ws {
    ws_anon(url, &format!("&token={TOKEN}{query}")).await
}

/// A raw v2 socket without the token.
pub async fn ws_anon(url: &str, query: &str) -> Ws {
    let (ws, _) = tokio_tungstenite::connect_async(format!("{url}?vsn=2.0.0{query}"))
        .await
        .expect("ws connects");
    ws
}

pub async fn send(ws: &mut Ws, frame: Value) {
    ws.send(Message::Text(frame.to_string().into()))
        .await
        .expect("send");
}

/// The next text frame as JSON, or `None` when the socket closed.
pub async fn next(ws: &mut Ws) -> Option<Value> {
    next_within(ws, DEADLINE)
        .await
        .expect("frame within deadline")
}

/// The next text frame as JSON within `within` (`Err` when none came), or `None`
/// when the socket closed.
pub async fn next_within(
    ws: &mut Ws,
    within: Duration,
) -> Result<Option<Value>, tokio::time::error::Elapsed> {
    tokio::time::timeout(within, async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(t))) => {
                    return Some(serde_json::from_str(t.as_str()).expect("json frame"))
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
                Some(Ok(_)) => continue,
            }
        }
    })
    .await
}

/// Next frame whose event (index 3) is `event`.
pub async fn next_event(ws: &mut Ws, event: &str) -> Value {
    loop {
        let f = next(ws)
            .await
            .unwrap_or_else(|| panic!("socket closed while waiting for {event}"));
        if f[3] == event {
            return f;
        }
    }
}

/// Join and return the reply response (panics on error replies).
pub async fn join(ws: &mut Ws, topic: &str, payload: Value) -> Value {
    send(ws, json!(["1", "1", topic, "phx_join", payload])).await;
    loop {
        let f = next(ws).await.expect("join reply");
        if f[3] == "phx_reply" && f[2] == topic {
            assert_eq!(f[4]["status"], "ok", "join {topic}: {f}");
            return f[4]["response"].clone();
        }
    }
}

/// Push and return `(status, response)` of the reply.
pub async fn push(ws: &mut Ws, topic: &str, event: &str, payload: Value) -> (String, Value) {
    let r = landale_core::ids::random_hex(6);
    send(ws, json!(["1", r, topic, event, payload])).await;
    loop {
        let f = next(ws).await.expect("reply");
        if f[3] == "phx_reply" && f[1] == r.as_str() {
            return (
                f[4]["status"].as_str().unwrap_or("").to_string(),
                f[4]["response"].clone(),
            );
        }
    }
}

/// A time as the wire carries it. Tests build times relative to `Utc::now()` (or a
/// manual clock), never fixed dates: a fixed date drifts out of every window.
pub fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}
