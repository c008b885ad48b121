//! A real hub, a fake LLM, and seed in process on a manual clock.

#![allow(dead_code)]

use landale_testkit::*;
use seed::service::Service;
use seed::settings::{Args, Settings};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

pub struct Rig {
    pub hub: TestHub,
    pub seed: Arc<Service>,
    pub clock: landale_core::Clock,
    pub llm: Option<fake_llm::FakeLlm>,
    pub caption: Ws,
    pub watch: Ws,
    pub said: u64,
    /// seed's HTTP port.
    pub seed_addr: std::net::SocketAddr,
    /// How long to wait for a window's context.
    pub patience: Duration,
}

pub async fn rig(llm: Option<&str>, tune: impl FnOnce(&mut Settings)) -> Rig {
    // seed's port first, so the hub knows where seed is.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let seed_addr = listener.local_addr().unwrap();
    let hub = TestHub::start(Opts {
        seed_health_url: Some(format!("http://{seed_addr}/health")),
        ..Opts::default()
    })
    .await;
    let (fake, url) = match llm {
        Some("fake") => {
            let (f, addr) = fake_llm::FakeLlm::start(([127, 0, 0, 1], 0).into())
                .await
                .unwrap();
            (Some(f), Some(format!("http://{addr}/v1")))
        }
        Some(other) => (None, Some(other.to_string())),
        None => (None, None),
    };
    let mut s = Settings::from_args(&Args {
        server_url: Some(format!("http://{}", hub.addr)),
        token: Some(TOKEN.into()),
        lms_api_url: url,
        lms_model: Some("fake-model".into()),
        streamer: Some("Avalonstar".into()),
        ..Args::default()
    })
    .unwrap();
    if let Some(l) = s.llm.as_mut() {
        l.timeout = Duration::from_secs(1);
        l.load_timeout = Duration::from_secs(1);
        l.rate_limit = 100;
    }
    s.live_llm = false;
    s.embedded = None;
    tune(&mut s);
    let clock = landale_core::Clock::manual(chrono::Utc::now());
    let seed = Service::start(s, clock.clone());
    let app = seed::http::router(seed.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    tokio::time::timeout(DEADLINE, seed.ready())
        .await
        .expect("seed joins the hub's channels");
    let mut caption = ws(&hub.ws_url(), "").await;
    join(&mut caption, "transcription:live", json!({})).await;
    let mut watch = ws(&hub.ws_url(), "").await;
    join(&mut watch, "events:seed", json!({})).await;
    Rig {
        hub,
        seed,
        clock,
        llm: fake,
        caption,
        watch,
        said: 0,
        seed_addr,
        patience: DEADLINE,
    }
}

impl Rig {
    /// New sockets to the hub (after a restart).
    pub async fn reconnect(&mut self) {
        self.caption = ws(&self.hub.ws_url(), "").await;
        join(&mut self.caption, "transcription:live", json!({})).await;
        self.watch = ws(&self.hub.ws_url(), "").await;
        join(&mut self.watch, "events:seed", json!({})).await;
    }

    /// A caption through the hub, as phononmaser sends it; returns its seq.
    pub async fn say(&mut self, text: &str) -> Value {
        let (status, resp) = push(&mut self.caption, "transcription:live", "submit_transcription",
            json!({"timestamp": rfc3339(chrono::Utc::now()), "duration": 2.0, "text": text, "stream_session_id": "s", "confidence": 0.9})).await;
        assert_eq!(status, "ok", "{resp}");
        self.said += 1;
        resp
    }

    /// A chat message through the pipeline; returns its seq.
    pub fn chat(&mut self, user: &str, text: &str, emotes: &[&str]) -> u64 {
        let mut fragments = vec![json!({"type": "text", "text": text})];
        for e in emotes {
            fragments.push(json!({"type": "emote", "text": e, "emote": {"id": "25"}}));
        }
        let data = json!({"message_id": format!("m{}", self.said), "broadcaster_user_id": "12826", "broadcaster_user_login": "avalonstar",
            "chatter_user_id": "1001", "chatter_user_login": user, "chatter_user_name": user,
            "message": {"text": format!("{text} {}", emotes.join(" ")), "fragments": fragments},
            "badges": [{"set_id": "subscriber", "id": "12", "info": "12"}]});
        self.said += 1;
        self.hub
            .hub()
            .pipeline
            .ingest(landale_core::Input::new("channel.chat.message", data))
            .expect("valid chat")
            .seq
    }

    pub fn event(&mut self, kind: &str, data: Value) -> u64 {
        self.said += 1;
        self.hub
            .hub()
            .pipeline
            .ingest(landale_core::Input::new(kind, data))
            .expect("valid event")
            .seq
    }

    /// Wait until seed has everything sent so far.
    pub async fn heard(&self) {
        tokio::time::timeout(DEADLINE, self.seed.wait_observed(self.said))
            .await
            .expect("seed hears what the hub publishes");
    }

    /// Close the window: move the clock one window on.
    pub fn close_window(&self) {
        self.clock.advance(self.seed.settings.context_window);
    }

    /// The next stored context's announcement, within `patience` (a real model may
    /// think for a while: the socket's heartbeat keeps it open meanwhile).
    pub async fn next_context(&mut self) -> Value {
        let end = tokio::time::Instant::now() + self.patience;
        loop {
            let left = end.saturating_duration_since(tokio::time::Instant::now());
            assert!(
                !left.is_zero(),
                "no context announced within {:?}",
                self.patience
            );
            send(
                &mut self.watch,
                json!([null, "hb", "phoenix", "heartbeat", {}]),
            )
            .await;
            match next_within(&mut self.watch, left.min(Duration::from_secs(20))).await {
                Ok(Some(f)) if f[3] == "seed_event" && f[4]["type"] == "seed.context" => {
                    return f[4].clone()
                }
                Ok(Some(_)) | Err(_) => continue,
                Ok(None) => panic!("the socket closed while waiting for a context"),
            }
        }
    }

    pub async fn contexts(&self) -> Vec<Value> {
        let v = self.hub.get_json("/api/contexts?limit=100").await;
        v["data"]["contexts"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Say one sentence, close the window, and return the stored context.
    pub async fn window(&mut self, text: &str) -> Value {
        self.say(text).await;
        self.heard().await;
        self.close_window();
        let announced = self.next_context().await;
        let key = announced["idempotency_key"].as_str().unwrap().to_string();
        self.contexts()
            .await
            .into_iter()
            .find(|c| c["idempotency_key"] == key.as_str())
            .expect("the announced context is stored")
    }
}
