//! The event pipeline: validate → normalise → publish (with `seq`) → store.
//!
//! Architecture invariant: every producer (EventSub, OBS, REST, demo, the stream
//! producer) calls [`Pipeline::ingest`]; nothing publishes events around it.
//!
//! Publishing happens before the database write: `seq` must be assigned in publish
//! order, and the live path never waits on the database (see `store::writer`).

pub mod normalize;
pub mod validate;

use crate::bus::{Bus, BusMessage};
use crate::metrics::Metrics;
use crate::store::writer::StoreQueue;
use landale_core::{Ingest, IngestError, Input, Rejected};
use landale_protocol::Event;
use serde_json::Value;
use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};

/// Producer-supplied ids remembered for de-duplication (oldest forgotten first).
pub const RECENT_IDS: usize = 10_000;

#[derive(Default)]
struct RecentIds {
    set: HashSet<String>,
    order: VecDeque<String>,
}

impl RecentIds {
    /// Record `id`; false when it was already there.
    fn insert(&mut self, id: &str) -> bool {
        if self.set.contains(id) {
            return false;
        }
        if self.order.len() >= RECENT_IDS {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        self.set.insert(id.to_string());
        self.order.push_back(id.to_string());
        true
    }
}

#[derive(Clone)]
pub struct Pipeline {
    bus: Arc<Bus>,
    store: StoreQueue,
    metrics: Arc<Metrics>,
    options: Arc<normalize::Options>,
    recent: Arc<Mutex<RecentIds>>,
}

impl Pipeline {
    pub fn new(
        bus: Arc<Bus>,
        store: StoreQueue,
        metrics: Arc<Metrics>,
        options: normalize::Options,
    ) -> Pipeline {
        Pipeline {
            bus,
            store,
            metrics,
            options: Arc::new(options),
            recent: Arc::default(),
        }
    }

    /// Wait (at most `limit`) until queued events are in the database.
    pub async fn store_settled(&self, limit: std::time::Duration) {
        self.store.settled(limit).await
    }

    /// Validate, normalise, publish once, and queue for storage.
    pub fn ingest(&self, input: Input) -> Result<Arc<BusMessage>, IngestError> {
        let Input {
            event_type,
            data,
            envelope,
        } = input;
        if let Err(errors) = validate::validate(&event_type, &data) {
            self.metrics.events_rejected.inc();
            tracing::warn!(event_type = %event_type, ?errors, "event rejected");
            return Err(Rejected { event_type, errors }.into());
        }
        if let Some(id) = &envelope.id {
            let fresh = self
                .recent
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(id);
            if !fresh {
                tracing::info!(event_type = %event_type, id = %id, "duplicate event ignored");
                return Err(IngestError::Duplicate { id: id.clone() });
            }
        }
        let Value::Object(map) = data else {
            unreachable!("validate rejects non-objects")
        };
        let event = normalize::normalize(&event_type, map, envelope, &self.options);
        let msg = self.bus.publish_event(event);
        self.metrics.events_in.inc();
        if let Some(event) = published_event(&msg) {
            tracing::debug!(event_type = %event.kind, seq = event.seq, correlation_id = %event.correlation_id, "event published");
            if landale_protocol::catalogue::is_storable(&event.kind) {
                self.store.enqueue(event);
            }
        }
        Ok(msg)
    }
}

impl Ingest for Pipeline {
    fn ingest_event(&self, input: Input) -> Result<(), IngestError> {
        self.ingest(input).map(|_| ())
    }
}

fn published_event(msg: &BusMessage) -> Option<Arc<Event>> {
    match &msg.kind {
        crate::bus::BusKind::Event { event } => Some(event.clone()),
        _ => None,
    }
}
