//! The activity-log writer: one task that stores published events in batches.
//!
//! Queue policy: the queue holds [`QUEUE_CAPACITY`] events. The live path never waits
//! on the database: when the queue is full (database down or far too slow) the event
//! is still published but not stored, and that is counted
//! (`landale_store_dropped_total`) and logged. A failed batch is retried, in order,
//! with backoff capped at 5 s, so a database blip loses nothing.

use super::Store;
use crate::metrics::Metrics;
use landale_protocol::Event;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch, Notify};

pub const QUEUE_CAPACITY: usize = 50_000;
const BATCH: usize = 500;

#[derive(Clone)]
pub struct StoreQueue {
    tx: mpsc::Sender<Arc<Event>>,
    metrics: Arc<Metrics>,
    /// Events queued or being written.
    pending: Arc<AtomicUsize>,
    settled: Arc<Notify>,
}

impl StoreQueue {
    /// Start the writer task. On shutdown it stores what is queued, then ends.
    pub fn start(
        store: Store,
        metrics: Arc<Metrics>,
        shutdown: watch::Receiver<bool>,
    ) -> (StoreQueue, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
        let pending = Arc::new(AtomicUsize::new(0));
        let settled = Arc::new(Notify::new());
        let writer = Writer {
            store,
            metrics: metrics.clone(),
            pending: pending.clone(),
            settled: settled.clone(),
        };
        let handle = tokio::spawn(run(writer, rx, shutdown));
        (
            StoreQueue {
                tx,
                metrics,
                pending,
                settled,
            },
            handle,
        )
    }

    /// Wait (at most `limit`) until every queued event has been written.
    pub async fn settled(&self, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let notified = self.settled.notified();
            if self.pending.load(Ordering::Acquire) == 0 {
                return;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return;
            }
        }
    }

    pub fn enqueue(&self, event: Arc<Event>) {
        self.pending.fetch_add(1, Ordering::AcqRel);
        if let Err(e) = self.tx.try_send(event) {
            self.pending.fetch_sub(1, Ordering::AcqRel);
            self.metrics.store_dropped.inc();
            let ev = match &e {
                mpsc::error::TrySendError::Full(ev) | mpsc::error::TrySendError::Closed(ev) => ev,
            };
            tracing::warn!(event_id = %ev.id, event_type = %ev.kind, "store queue full: event published but not stored");
        }
    }
}

struct Writer {
    store: Store,
    metrics: Arc<Metrics>,
    pending: Arc<AtomicUsize>,
    settled: Arc<Notify>,
}

async fn run(w: Writer, mut rx: mpsc::Receiver<Arc<Event>>, mut shutdown: watch::Receiver<bool>) {
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        let stopping = tokio::select! {
            n = rx.recv_many(&mut batch, BATCH) => {
                if n == 0 {
                    return;
                }
                false
            }
            _ = shutdown.changed() => {
                while let Ok(e) = rx.try_recv() {
                    batch.push(e);
                }
                true
            }
        };
        for chunk in batch.chunks(BATCH) {
            write(&w.store, chunk, &w.metrics, stopping).await;
            if w.pending.fetch_sub(chunk.len(), Ordering::AcqRel) == chunk.len() {
                w.settled.notify_waiters();
            }
        }
        batch.clear();
        if stopping {
            return;
        }
    }
}

/// Store one batch, retrying with backoff; on shutdown give up after a few tries.
async fn write(store: &Store, batch: &[Arc<Event>], metrics: &Metrics, stopping: bool) {
    let mut delay = Duration::from_millis(50);
    for attempt in 1.. {
        match store.insert_events(batch).await {
            Ok(()) => {
                metrics.events_stored.inc_by(batch.len() as u64);
                return;
            }
            Err(e) if stopping && attempt >= 3 => {
                tracing::error!(error = %e, lost = batch.len(), "storing events failed at shutdown");
                return;
            }
            Err(e) => {
                tracing::error!(error = %e, batch = batch.len(), retry_in_ms = delay.as_millis() as u64, "storing events failed; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
        }
    }
}
