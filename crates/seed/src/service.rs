//! The running service: what it has heard (the correlator), its LLM, its link to the
//! hub, and the tasks that move things along:
//!
//! ```text
//! hub socket ──▶ listen ──▶ Correlator ──▶ windows (timer) ──▶ analyst ──▶ outbox ──▶ POST /api/contexts
//!                                  └──────▶ live (timer) ──▶ POST /api/events (seed.analysis)
//! ```
//!
//! Queues: closed windows wait for the analyst in a channel of [`WINDOW_QUEUE`] (when
//! full, a window gets the deterministic analysis at once instead of waiting); stored
//! contexts wait in the outbox, at most [`OUTBOX`], dropping the oldest (counted) when
//! the hub is away that long.

use crate::analysis::{self, Analysis};
use crate::correlator::{Config, Correlator, Window};
use crate::hub::Rest;
use crate::input::{self, Observation, SECOND};
use crate::llm::Llm;
use crate::settings::Settings;
use crate::{clock, context, prompt};
use landale_core::{Backoff, Clock};
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Notify};

pub const WINDOW_QUEUE: usize = 4;

/// The embedded model's state.
pub enum EngineState {
    /// Not asked for (an LLM server is configured, or SEED_LLM__ENABLED=false).
    Off,
    Loading,
    #[cfg(feature = "embedded")]
    Ready(Arc<crate::engine::Engine>),
    /// Cannot run, and why.
    Failed(String),
}

#[derive(Default, Clone, serde::Serialize)]
pub struct EngineStats {
    pub windows: u64,
    pub failures: u64,
    pub last_ms: Option<u64>,
    pub last_prompt_tokens: Option<usize>,
    pub last_generated_tokens: Option<usize>,
    pub last_error: Option<String>,
}
pub const OUTBOX: usize = 100;

#[derive(Default, Debug)]
pub struct Counters {
    pub transcriptions: AtomicU64,
    pub partials_ignored: AtomicU64,
    pub chat: AtomicU64,
    pub interactions: AtomicU64,
    pub malformed: AtomicU64,
    pub windows_closed: AtomicU64,
    pub windows_empty: AtomicU64,
    pub contexts_stored: AtomicU64,
    pub contexts_duplicate: AtomicU64,
    pub contexts_refused: AtomicU64,
    pub contexts_dropped: AtomicU64,
    pub contexts_llm: AtomicU64,
    pub contexts_deterministic: AtomicU64,
    pub analyses_published: AtomicU64,
    pub analyses_failed: AtomicU64,
}

impl Counters {
    pub fn json(&self) -> Value {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        json!({
            "transcriptions": g(&self.transcriptions), "partials_ignored": g(&self.partials_ignored),
            "chat": g(&self.chat), "interactions": g(&self.interactions), "malformed": g(&self.malformed),
            "windows_closed": g(&self.windows_closed), "windows_empty": g(&self.windows_empty),
            "contexts_stored": g(&self.contexts_stored), "contexts_duplicate": g(&self.contexts_duplicate),
            "contexts_refused": g(&self.contexts_refused), "contexts_dropped": g(&self.contexts_dropped),
            "contexts_llm": g(&self.contexts_llm), "contexts_deterministic": g(&self.contexts_deterministic),
            "analyses_published": g(&self.analyses_published), "analyses_failed": g(&self.analyses_failed),
        })
    }
}

fn bump(a: &AtomicU64) {
    a.fetch_add(1, Ordering::Relaxed);
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

pub struct Service {
    pub settings: Settings,
    pub clock: Clock,
    pub correlator: Mutex<Correlator>,
    pub llm: Option<Arc<Llm>>,
    pub engine: Mutex<EngineState>,
    /// Set once the embedded model is ready or has failed.
    engine_settled: tokio::sync::watch::Sender<bool>,
    pub engine_stats: Mutex<EngineStats>,
    pub rest: Rest,
    pub socket: landale_client::Client,
    pub counters: Counters,
    outbox: Mutex<VecDeque<Value>>,
    outbox_ready: Notify,
    /// One LLM request at a time: context windows wait for it, live analysis skips.
    llm_gate: tokio::sync::Mutex<()>,
    pub last_analysis: Mutex<Option<Value>>,
    pub last_context: Mutex<Option<Value>>,
    /// Channels joined so far, and observations taken (for readiness and tests).
    joined: tokio::sync::watch::Sender<usize>,
    observed: tokio::sync::watch::Sender<u64>,
    /// Contexts the hub has (stored now or already before).
    delivered: tokio::sync::watch::Sender<u64>,
    /// A malformed payload is logged once per burst.
    malformed_logged: Mutex<Option<Instant>>,
    started: Instant,
}

impl Service {
    /// Connect to the hub and start every task.
    pub fn start(settings: Settings, clock: Clock) -> Arc<Service> {
        let socket = landale_client::Client::connect(
            &settings.socket_url(),
            &settings
                .token
                .as_deref()
                .map(|t| vec![("token", t)])
                .unwrap_or_default(),
            landale_client::Options::default(),
        );
        let now = clock::micros(&clock);
        let cfg = Config {
            context_window: (settings.context_window.as_secs_f64() * SECOND as f64) as i64,
            correlation_window: (settings.correlation_window.as_secs_f64() * SECOND as f64) as i64,
            max_buffer: settings.max_buffer_size,
        };
        let svc = Arc::new(Service {
            rest: Rest::new(&settings.server_url, settings.token.clone()),
            llm: settings.llm.clone().map(|l| Arc::new(Llm::new(l))),
            engine: Mutex::new(if settings.embedded.is_some() {
                EngineState::Loading
            } else {
                EngineState::Off
            }),
            engine_stats: Mutex::default(),
            engine_settled: tokio::sync::watch::Sender::new(false),
            correlator: Mutex::new(Correlator::new(cfg, now)),
            socket,
            clock,
            settings,
            counters: Counters::default(),
            outbox: Mutex::new(VecDeque::new()),
            outbox_ready: Notify::new(),
            llm_gate: tokio::sync::Mutex::new(()),
            last_analysis: Mutex::new(None),
            last_context: Mutex::new(None),
            malformed_logged: Mutex::new(None),
            joined: tokio::sync::watch::Sender::new(0),
            observed: tokio::sync::watch::Sender::new(0),
            delivered: tokio::sync::watch::Sender::new(0),
            started: Instant::now(),
        });
        if let Some(e) = svc.settings.embedded.clone() {
            tokio::spawn(svc.clone().load_engine(e));
        }
        let (tx, rx) = mpsc::channel(WINDOW_QUEUE);
        tokio::spawn(svc.clone().listen("transcription:live"));
        tokio::spawn(svc.clone().listen("events:all"));
        tokio::spawn(svc.clone().windows(tx));
        tokio::spawn(svc.clone().analyst(rx));
        tokio::spawn(svc.clone().deliver());
        tokio::spawn(svc.clone().live());
        svc
    }

    async fn load_engine(self: Arc<Self>, e: crate::settings::EmbeddedSettings) {
        #[cfg(feature = "embedded")]
        let state = {
            tracing::info!(model = %e.model_path.display(), threads = e.threads, "loading the embedded model");
            let started = Instant::now();
            match tokio::task::spawn_blocking(move || {
                crate::engine::Engine::load(&e.model_path, e.threads)
            })
            .await
            {
                Ok(Ok(engine)) => {
                    tracing::info!(model = %engine.name, "embedded model ready in {:?}", started.elapsed());
                    EngineState::Ready(Arc::new(engine))
                }
                Ok(Err(why)) => EngineState::Failed(why),
                Err(join) => EngineState::Failed(format!("loading the model crashed: {join}")),
            }
        };
        #[cfg(not(feature = "embedded"))]
        let state = {
            let _ = e;
            EngineState::Failed(
                "this seed was built without the embedded model (cargo feature `embedded`)".into(),
            )
        };
        if let EngineState::Failed(why) = &state {
            tracing::warn!("no embedded model: {why}; contexts use seed's own analysis");
        }
        *lock(&self.engine) = state;
        self.engine_settled.send_replace(true);
    }

    /// Wait until the embedded model is ready or has failed.
    pub async fn engine_settled(&self) {
        let _ = self.engine_settled.subscribe().wait_for(|s| *s).await;
    }

    /// The embedded model's state for `/status`.
    pub fn engine_status(&self) -> Value {
        let stats = serde_json::to_value(lock(&self.engine_stats).clone()).unwrap_or_default();
        let (state, detail) = match &*lock(&self.engine) {
            EngineState::Off => ("off", Value::Null),
            EngineState::Loading => ("loading", Value::Null),
            #[cfg(feature = "embedded")]
            EngineState::Ready(e) => ("ready", e.name.clone().into()),
            EngineState::Failed(why) => ("failed", why.clone().into()),
        };
        json!({"kind": "embedded", "state": state, "detail": detail, "available": state == "ready", "stats": stats,
               "model_path": self.settings.embedded.as_ref().map(|e| e.model_path.display().to_string())})
    }

    /// Wait until both channels are joined.
    pub async fn ready(&self) {
        let _ = self.joined.subscribe().wait_for(|n| *n >= 2).await;
    }

    /// Wait until `n` observations (speech, chat, interactions) were taken.
    pub async fn wait_observed(&self, n: u64) {
        let _ = self.observed.subscribe().wait_for(|c| *c >= n).await;
    }

    /// Wait until the hub has `n` of seed's contexts.
    pub async fn wait_delivered(&self, n: u64) {
        let _ = self.delivered.subscribe().wait_for(|c| *c >= n).await;
    }

    /// Contexts the hub has from this seed.
    pub fn delivered(&self) -> u64 {
        *self.delivered.borrow()
    }

    pub fn observed(&self) -> u64 {
        *self.observed.borrow()
    }

    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }

    pub fn hub_connected(&self) -> bool {
        self.socket.status() == landale_client::Status::Connected
    }

    pub fn outbox_len(&self) -> usize {
        lock(&self.outbox).len()
    }

    fn malformed(&self, what: &str, e: &input::Malformed) {
        bump(&self.counters.malformed);
        let mut last = lock(&self.malformed_logged);
        if last.is_none_or(|t| t.elapsed() > Duration::from_secs(10)) {
            *last = Some(Instant::now());
            tracing::warn!(error = %e, total = self.counters.malformed.load(Ordering::Relaxed), "ignored a malformed {what} (logged once per 10 s)");
        }
    }

    /// Hand one observation to the correlator.
    pub fn observe(&self, o: Observation) {
        let c = match &o {
            Observation::Speech(_) => &self.counters.transcriptions,
            Observation::Chat(_) => &self.counters.chat,
            Observation::Interaction(_) => &self.counters.interactions,
        };
        bump(c);
        lock(&self.correlator).add(o, clock::micros(&self.clock));
        self.observed.send_modify(|n| *n += 1);
    }

    async fn listen(self: Arc<Self>, topic: &'static str) {
        let mut backoff = Backoff::new(Duration::from_millis(500), Duration::from_secs(30));
        let mut channel = loop {
            self.socket.wait_connections(1).await;
            match self.socket.join(topic, json!({"source": "seed"})).await {
                Ok((ch, _)) => break ch,
                Err(e) => {
                    let wait = backoff.next_wait();
                    tracing::warn!(topic, error = %e, "cannot join; trying again in {wait:?}");
                    tokio::time::sleep(wait).await;
                }
            }
        };
        tracing::info!(topic, "listening");
        self.joined.send_modify(|n| *n += 1);
        while let Some(m) = channel.recv().await {
            self.handle(topic, &m);
        }
    }

    /// One push from the hub on `topic`.
    pub fn handle(&self, topic: &str, m: &landale_client::Message) {
        {
            match (topic, m.event.as_str()) {
                ("transcription:live", "new_transcription") => {
                    match input::transcription(&m.payload) {
                        Ok(s) => self.observe(Observation::Speech(s)),
                        Err(e) => self.malformed("transcription", &e),
                    }
                }
                ("transcription:live", "partial_transcription") => {
                    bump(&self.counters.partials_ignored)
                }
                ("events:all", _) => match input::event(&m.payload) {
                    Ok(Some(o)) => self.observe(o),
                    Ok(None) => {}
                    Err(e) => self.malformed("event", &e),
                },
                _ => {}
            }
        }
    }

    /// Close a window every `context_window` of the clock, spoken in or not.
    async fn windows(self: Arc<Self>, tx: mpsc::Sender<Window>) {
        let mut every = clock::Every::new(&self.clock, self.settings.context_window);
        loop {
            let now = every.tick().await;
            let w = lock(&self.correlator).close(now.timestamp_micros());
            bump(&self.counters.windows_closed);
            if w.is_empty() {
                bump(&self.counters.windows_empty);
                tracing::debug!("window closed with nothing in it: skipped");
                continue;
            }
            if let Err(mpsc::error::TrySendError::Full(w)) = tx.try_send(w) {
                tracing::warn!("the analyst is {WINDOW_QUEUE} windows behind: this one gets seed's own analysis");
                let a = analysis::deterministic(
                    &w.speech,
                    &w.chat,
                    &w.interactions,
                    "the LLM was too far behind",
                );
                self.store(&w, &a);
            }
        }
    }

    /// The analysis of a window: the LLM's, or seed's own with the reason.
    pub async fn analyze(
        &self,
        speech: &[input::Speech],
        chat: &[input::Chat],
        interactions: &[input::Interaction],
        window_secs: f64,
        wait: bool,
    ) -> Analysis {
        let Some(llm) = &self.llm else {
            return self
                .analyze_embedded(speech, chat, interactions, window_secs, wait)
                .await;
        };
        let _gate = if wait {
            self.llm_gate.lock().await
        } else {
            match self.llm_gate.try_lock() {
                Ok(g) => g,
                Err(_) => {
                    let mut a = analysis::deterministic(
                        speech,
                        chat,
                        interactions,
                        "the LLM is busy with a context window",
                    );
                    if let Some(Value::String(s)) = lock(&self.last_context)
                        .as_ref()
                        .and_then(|c| c.get("summary"))
                        .cloned()
                    {
                        a.summary = format!("{} Last window: {s}", a.summary);
                    }
                    return a;
                }
            }
        };
        let p = prompt::build(
            &prompt::Input {
                speech,
                chat,
                interactions,
                window_secs,
                streamer: &self.settings.streamer,
            },
            self.settings.context_tokens,
        );
        match llm.analyze(&p).await {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(error = %e, code = e.code(), "LLM analysis failed; using seed's own");
                analysis::deterministic(speech, chat, interactions, &e.to_string())
            }
        }
    }

    /// With the embedded model (context windows only: it takes tens of seconds).
    async fn analyze_embedded(
        &self,
        speech: &[input::Speech],
        chat: &[input::Chat],
        interactions: &[input::Interaction],
        window_secs: f64,
        wait: bool,
    ) -> Analysis {
        let counted = |reason: &str| analysis::deterministic(speech, chat, interactions, reason);
        #[cfg(feature = "embedded")]
        {
            let engine = match &*lock(&self.engine) {
                EngineState::Ready(e) => Some(e.clone()),
                _ => None,
            };
            if let (Some(engine), true) = (engine, wait) {
                let _gate = self.llm_gate.lock().await;
                let p = prompt::build(
                    &prompt::Input {
                        speech,
                        chat,
                        interactions,
                        window_secs,
                        streamer: &self.settings.streamer,
                    },
                    crate::engine::PROMPT_TOKENS + prompt::ANSWER_TOKENS + 64,
                );
                let started = Instant::now();
                let name = engine.name.clone();
                let result =
                    tokio::task::spawn_blocking(move || engine.generate(&p.system, &p.user)).await;
                let mut st = lock(&self.engine_stats);
                let outcome = match result {
                    Ok(Ok(out)) => {
                        st.last_ms = Some(started.elapsed().as_millis() as u64);
                        st.last_prompt_tokens = Some(out.prompt_tokens);
                        st.last_generated_tokens = Some(out.generated);
                        if out.truncated {
                            Err("the answer was cut at the token limit".to_string())
                        } else {
                            crate::llm::parse::find_json(&out.text)
                                .ok_or_else(|| "the model's answer is not JSON".to_string())
                                .and_then(|v| crate::engine::merge(&v, counted("unused"), &name))
                        }
                    }
                    Ok(Err(e)) => Err(e),
                    Err(e) => Err(format!("the model's thread failed: {e}")),
                };
                st.windows += 1;
                return match outcome {
                    Ok(a) => a,
                    Err(e) => {
                        st.failures += 1;
                        st.last_error = Some(e.clone());
                        tracing::warn!(error = %e, "the embedded model failed; using seed's own analysis");
                        counted(&format!("embedded model: {e}"))
                    }
                };
            }
        }
        let _ = (window_secs, wait);
        match &*lock(&self.engine) {
            EngineState::Off => counted("no LLM configured"),
            EngineState::Loading => counted("the embedded model is still loading"),
            EngineState::Failed(why) => counted(&format!("no embedded model: {why}")),
            #[cfg(feature = "embedded")]
            EngineState::Ready(_) => counted(
                "live analyses are seed's own with the embedded model (it sums up each window)",
            ),
        }
    }

    async fn analyst(self: Arc<Self>, mut rx: mpsc::Receiver<Window>) {
        while let Some(w) = rx.recv().await {
            let secs = (w.ended - w.started) as f64 / SECOND as f64;
            let a = self
                .analyze(&w.speech, &w.chat, &w.interactions, secs, true)
                .await;
            self.store(&w, &a);
        }
    }

    fn store(&self, w: &Window, a: &Analysis) {
        bump(if a.kind() == "llm" {
            &self.counters.contexts_llm
        } else {
            &self.counters.contexts_deterministic
        });
        let session = landale_core::ids::stream_session(
            chrono::DateTime::from_timestamp_micros(w.started).unwrap_or_default(),
        );
        let record = context::record(
            w,
            a,
            &session,
            lock(&self.correlator).cfg.correlation_window,
        );
        *lock(&self.last_context) = Some(record.clone());
        let mut q = lock(&self.outbox);
        if q.len() >= OUTBOX {
            q.pop_front();
            bump(&self.counters.contexts_dropped);
            tracing::warn!(
                "the outbox is full ({OUTBOX} contexts while the hub is away): dropped the oldest"
            );
        }
        q.push_back(record);
        drop(q);
        self.outbox_ready.notify_one();
    }

    /// Post contexts in order; a failed post waits (backoff, or the next hub
    /// connection) and is sent again with the same idempotency key.
    async fn deliver(self: Arc<Self>) {
        let mut backoff = Backoff::new(Duration::from_millis(500), Duration::from_secs(30));
        loop {
            let next = lock(&self.outbox).front().cloned();
            let Some(record) = next else {
                self.outbox_ready.notified().await;
                continue;
            };
            let key = record["idempotency_key"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            match self.rest.post("/api/contexts", &record, &key).await {
                Ok(resp) => {
                    backoff.reset();
                    lock(&self.outbox).pop_front();
                    self.delivered.send_modify(|n| *n += 1);
                    if resp["data"]["duplicate"] == true {
                        bump(&self.counters.contexts_duplicate);
                        tracing::info!(key, "context was already stored (a retry)");
                    } else {
                        bump(&self.counters.contexts_stored);
                        tracing::info!(key, analysis = %record["analysis"], "context stored");
                    }
                }
                Err(e) if e.retryable() => {
                    let wait = backoff.next_wait();
                    tracing::warn!(key, error = %e, "storing a context failed; trying again in {wait:?}");
                    let seen = self.socket.connections();
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = self.socket.wait_connections(seen + 1) => {}
                    }
                }
                Err(e) => {
                    lock(&self.outbox).pop_front();
                    bump(&self.counters.contexts_refused);
                    tracing::error!(key, error = %e, "the hub refused a context; it cannot be stored as it is");
                }
            }
        }
    }

    /// Every analysis interval: what is happening now, published as `seed.analysis`.
    async fn live(self: Arc<Self>) {
        let mut every = clock::Every::new(&self.clock, self.settings.analysis_interval);
        loop {
            every.tick().await;
            if let Some(event) = self.live_analysis().await {
                match self
                    .rest
                    .post("/api/events", &event, &landale_core::ids::random_hex(8))
                    .await
                {
                    Ok(_) => bump(&self.counters.analyses_published),
                    Err(e) => {
                        bump(&self.counters.analyses_failed);
                        tracing::warn!(error = %e, "publishing the live analysis failed (the next one replaces it)");
                    }
                }
            }
        }
    }

    /// The `seed.analysis` event for now, or `None` when nothing happened lately.
    pub async fn live_analysis(&self) -> Option<Value> {
        let now = clock::micros(&self.clock);
        let (speech, chat, interactions, window) = {
            let mut c = lock(&self.correlator);
            c.prune(now);
            (
                c.speech.to_vec(),
                c.chat.to_vec(),
                c.interactions.to_vec(),
                c.cfg.context_window,
            )
        };
        if speech.is_empty() && chat.is_empty() && interactions.is_empty() {
            return None;
        }
        let a = if self.settings.live_llm {
            self.analyze(
                &speech,
                &chat,
                &interactions,
                window as f64 / SECOND as f64,
                false,
            )
            .await
        } else {
            analysis::deterministic(
                &speech,
                &chat,
                &interactions,
                "live analyses are seed's own (SEED_CORRELATOR__LIVE_LLM=false)",
            )
        };
        let emotes: serde_json::Map<String, Value> = crate::correlator::emote_frequency(&chat)
            .into_iter()
            .take(5)
            .map(|(k, n)| (k, n.into()))
            .collect();
        let mut data = json!({
            "summary": a.summary, "analysis": a.kind(), "sentiment": a.sentiment, "topics": a.topics,
            "since": context::iso(now - window), "until": context::iso(now),
            "chat_velocity": crate::correlator::chat_velocity(&chat),
            "counts": {"transcriptions": speech.len(), "chat": chat.len(), "interactions": interactions.len()},
            "top_emotes": emotes,
            "patterns": a.patterns,
        });
        if let Some(m) = &a.mood {
            data["mood"] = m.clone().into();
        }
        if let analysis::Source::Deterministic { reason } = &a.source {
            data["reason"] = reason.clone().into();
        }
        *lock(&self.last_analysis) = Some(data.clone());
        Some(json!({"type": "seed.analysis", "data": data, "source_id": "seed"}))
    }

    /// `/health`'s verdict and the problems behind it, in words.
    pub fn problems(&self) -> Vec<String> {
        let mut p = vec![];
        if !self.hub_connected() {
            p.push(format!(
                "the hub link is down ({})",
                self.settings.server_url
            ));
        }
        if let Some(e) = self.llm.as_ref().and_then(|l| l.problem()) {
            p.push(format!("LLM: {e}"));
        }
        if let EngineState::Failed(why) = &*lock(&self.engine) {
            p.push(format!("embedded model: {why}"));
        }
        let n = self.outbox_len();
        if n > 0 && !self.hub_connected() {
            p.push(format!("{n} contexts wait for the hub"));
        }
        p
    }
}
