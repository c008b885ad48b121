//! Captions to the hub over its socket (`crates/client`: reconnects with backoff and
//! jitter, rejoins). Finals wait in a bounded queue ([`MAX_PENDING`], drop-oldest,
//! counted and logged) while the hub is away and are sent in order, each with its
//! utterance id so a resend after a lost reply is stored once. Partials are sent only
//! while connected and never retried: the next partial or the final replaces them.

use landale_client::{Client, Error, Options, Pusher, Status};
use landale_core::Backoff;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast;
use tokio::sync::Notify;

pub const MAX_PENDING: usize = 500;
pub const TOPIC: &str = "transcription:live";

/// A caption for the hub.
#[derive(Debug, Clone)]
pub struct Caption {
    pub event: &'static str,
    pub payload: Value,
}

#[derive(Default)]
pub struct DeliveryStats {
    pub delivered: AtomicU64,
    pub dropped: AtomicU64,
    pub refused: AtomicU64,
    pub partials_sent: AtomicU64,
    /// Milliseconds from the end of speech to the hub's reply, of the last final.
    pub last_latency_ms: AtomicU64,
}

pub struct Delivery {
    client: Client,
    pending: Mutex<VecDeque<(Caption, std::time::Instant)>>,
    wake: Notify,
    pub stats: DeliveryStats,
    pusher: Mutex<Option<Pusher>>,
}

impl Delivery {
    pub fn connect(url: &str, token: Option<&str>) -> Arc<Delivery> {
        let params: Vec<(&str, &str)> = token.map(|t| vec![("token", t)]).unwrap_or_default();
        let client = Client::connect(
            url,
            &params,
            Options {
                push_timeout: Duration::from_secs(5),
                ..Options::default()
            },
        );
        Arc::new(Delivery {
            client,
            pending: Mutex::new(VecDeque::new()),
            wake: Notify::new(),
            stats: DeliveryStats::default(),
            pusher: Mutex::new(None),
        })
    }

    pub fn connected(&self) -> bool {
        self.client.status() == Status::Connected
    }

    pub fn status(&self) -> Status {
        self.client.status()
    }

    pub fn pending(&self) -> usize {
        self.pending.lock().map(|p| p.len()).unwrap_or(0)
    }

    /// Queue a final; `ended` is when its speech ended (for the latency figure).
    pub fn final_caption(&self, payload: Value, ended: std::time::Instant) {
        let mut q = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        if q.len() >= MAX_PENDING {
            q.pop_front();
            self.stats.dropped.fetch_add(1, Ordering::Relaxed);
            tracing::error!("the hub has been away for {MAX_PENDING} captions: dropped the oldest");
        }
        q.push_back((
            Caption {
                event: "submit_transcription",
                payload,
            },
            ended,
        ));
        drop(q);
        self.wake.notify_one();
    }

    /// Send a partial now if the hub is there; otherwise let it go.
    pub async fn partial(&self, payload: Value) {
        let pusher = self.pusher.lock().ok().and_then(|c| c.clone());
        if let (Some(p), true) = (pusher, self.connected()) {
            if p.push("partial_transcription", payload).await.is_ok() {
                self.stats.partials_sent.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Join `transcription:live` and send finals in order, forever; each one the hub
    /// took is announced on `events` (`audio:delivered`).
    pub async fn run(self: Arc<Self>, join: Value, events: broadcast::Sender<Value>) {
        let mut backoff = Backoff::new(Duration::from_millis(250), Duration::from_secs(10));
        let mut channel = loop {
            match self.client.join(TOPIC, join.clone()).await {
                Ok((ch, _)) => break ch,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot join {TOPIC} yet");
                    tokio::time::sleep(backoff.next_wait()).await;
                }
            }
        };
        backoff.reset();
        let pusher = channel.pusher();
        if let Ok(mut p) = self.pusher.lock() {
            *p = Some(pusher.clone());
        }
        // The topic's broadcasts (everyone's captions) are not ours to keep, but the
        // client waits for them to be read.
        tokio::spawn(async move { while channel.recv().await.is_some() {} });
        loop {
            let next = self.pending.lock().ok().and_then(|q| q.front().cloned());
            let Some((caption, ended)) = next else {
                self.wake.notified().await;
                continue;
            };
            match pusher.push(caption.event, caption.payload.clone()).await {
                Ok(_) => {
                    backoff.reset();
                    let latency = ended.elapsed().as_millis() as u64;
                    self.stats.delivered.fetch_add(1, Ordering::Relaxed);
                    self.stats.last_latency_ms.store(latency, Ordering::Relaxed);
                    self.pop_front();
                    let _ = events.send(json!({"type": "audio:delivered",
                        "utterance_id": caption.payload["id"], "latency_ms": latency}));
                }
                Err(Error::Reply(why)) => {
                    // Refused for what it is (validation, the token): no resend helps.
                    self.stats.refused.fetch_add(1, Ordering::Relaxed);
                    tracing::error!(reply = %why, "the hub refused a caption");
                    self.pop_front();
                }
                Err(e) if self.connected() => {
                    // Slow or busy: the same caption again after a wait (its id makes
                    // it once).
                    tracing::debug!(error = %e, "caption not delivered yet; resending");
                    tokio::time::sleep(backoff.next_wait()).await;
                }
                Err(_) => {
                    // Away: resend once the client has connected again (counted
                    // before the check, so a reconnect in between is not missed).
                    let seen = self.client.connections();
                    if !self.connected() {
                        self.client.wait_connections(seen + 1).await;
                    }
                }
            }
        }
    }

    fn pop_front(&self) {
        if let Ok(mut q) = self.pending.lock() {
            q.pop_front();
        }
    }

    /// The join payload: who is sending.
    pub fn join_payload(session: &str) -> Value {
        json!({"source": "phononmaser", "stream_session_id": session})
    }
}
