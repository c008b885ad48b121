//! A socket's bounded outbound queue and the writer task that drains it.
//!
//! Queue policy: at most `capacity` frames wait for one socket. A push that finds the
//! queue full marks the socket a slow consumer: the connection is closed with code
//! 1013 and reason `slow consumer`, and the client recovers through `last_seq`. No
//! other socket is ever slowed by it and its memory never grows past the bound.
//!
//! The writer sends whatever is pending as one batch (`feed` each frame, one
//! `flush`): an idle socket gets a frame at once, a busy one gets fewer syscalls.

use crate::metrics::{Metrics, SocketLabel};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::stream::SplitSink;
use futures_util::SinkExt;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

pub(crate) const CLOSE_SLOW_CONSUMER: u16 = 1013;
pub(crate) const MAX_BATCH: usize = 128;

pub(crate) struct Out {
    pub(crate) text: String,
    pub(crate) published_at: Option<Instant>,
}

#[derive(Clone)]
pub(crate) struct Outbox {
    tx: mpsc::Sender<Out>,
}

/// The queue is full: this socket is a slow consumer.
#[derive(Debug)]
pub(crate) struct Full;

/// How long a replay frame may wait for room in the outbox.
pub(crate) const REPLAY_WAIT: Duration = Duration::from_secs(10);

impl Outbox {
    /// Queue a live frame; a full queue means the socket is a slow consumer.
    pub(crate) fn push(&self, text: String, published_at: Option<Instant>) -> Result<(), Full> {
        self.tx
            .try_send(Out { text, published_at })
            .map_err(|_| Full)
    }

    /// Queue a replay frame, waiting for room: a replay may be far larger than the
    /// queue, and is itself bounded. A client that takes no frame for
    /// [`REPLAY_WAIT`] is a slow consumer.
    pub(crate) async fn push_wait(&self, text: String) -> Result<(), Full> {
        let out = Out {
            text,
            published_at: None,
        };
        match tokio::time::timeout(REPLAY_WAIT, self.tx.send(out)).await {
            Ok(Ok(())) => Ok(()),
            _ => Err(Full),
        }
    }
}

/// Start the writer for one socket. Send a close code and reason on the returned
/// sender to end it (it then tries to send a close frame for up to 1 s).
pub(crate) fn start(
    sink: SplitSink<WebSocket, Message>,
    capacity: usize,
    metrics: Arc<Metrics>,
    label: SocketLabel,
) -> (
    Outbox,
    oneshot::Sender<(u16, String)>,
    tokio::task::JoinHandle<()>,
) {
    let (tx, rx) = mpsc::channel(capacity);
    let (kill_tx, kill_rx) = oneshot::channel();
    let handle = tokio::spawn(run(sink, rx, kill_rx, metrics, label));
    (Outbox { tx }, kill_tx, handle)
}

async fn run(
    mut sink: SplitSink<WebSocket, Message>,
    mut rx: mpsc::Receiver<Out>,
    mut kill: oneshot::Receiver<(u16, String)>,
    metrics: Arc<Metrics>,
    label: SocketLabel,
) {
    let depth = metrics.socket_queue_depth.get_or_create(&label).clone();
    let mut batch: Vec<Out> = Vec::with_capacity(MAX_BATCH);
    loop {
        tokio::select! {
            biased;
            close = &mut kill => {
                if let Ok((code, reason)) = close {
                    let frame = Message::Close(Some(CloseFrame { code, reason: reason.into() }));
                    let _ = tokio::time::timeout(Duration::from_secs(1), sink.send(frame)).await;
                }
                break;
            }
            n = rx.recv_many(&mut batch, MAX_BATCH) => {
                if n == 0 {
                    break;
                }
                let result = {
                    let write = async {
                        for out in batch.iter() {
                            sink.feed(Message::Text(out.text.as_str().into())).await?;
                        }
                        sink.flush().await
                    };
                    tokio::select! {
                        r = write => Ok(r.is_ok()),
                        close = &mut kill => Err(close),
                    }
                };
                match result {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(close) => {
                        if let Ok((code, reason)) = close {
                            let frame = Message::Close(Some(CloseFrame { code, reason: reason.into() }));
                            let _ = tokio::time::timeout(Duration::from_secs(1), sink.send(frame)).await;
                        }
                        break;
                    }
                }
                let now = Instant::now();
                metrics.frames_out.inc_by(batch.len() as u64);
                for out in batch.drain(..) {
                    if let Some(t) = out.published_at {
                        metrics.fanout_latency.observe(now.duration_since(t).as_secs_f64());
                    }
                }
                depth.set(rx.len() as i64);
            }
        }
    }
    metrics.socket_queue_depth.remove(&label);
}
