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
use crate::store::activity::is_storable;
use crate::store::writer::StoreQueue;
use landale_protocol::Event;
pub use normalize::Envelope;
use serde_json::Value;
use std::sync::Arc;
use validate::FieldErrors;

/// One event as a producer hands it in.
#[derive(Debug, Clone)]
pub struct Input {
    pub event_type: String,
    pub data: Value,
    pub envelope: Envelope,
}

impl Input {
    pub fn new(event_type: impl Into<String>, data: Value) -> Input {
        Input {
            event_type: event_type.into(),
            data,
            envelope: Envelope::default(),
        }
    }
}

/// Why an event was refused: field → messages. Nothing was published or stored.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("event {event_type} failed validation: {errors:?}")]
pub struct Rejected {
    pub event_type: String,
    pub errors: FieldErrors,
}

#[derive(Clone)]
pub struct Pipeline {
    bus: Arc<Bus>,
    store: StoreQueue,
    metrics: Arc<Metrics>,
    options: Arc<normalize::Options>,
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
        }
    }

    /// Validate, normalise, publish once, and queue for storage.
    pub fn ingest(&self, input: Input) -> Result<Arc<BusMessage>, Rejected> {
        let Input {
            event_type,
            data,
            envelope,
        } = input;
        if let Err(errors) = validate::validate(&event_type, &data) {
            self.metrics.events_rejected.inc();
            tracing::warn!(event_type = %event_type, ?errors, "event rejected");
            return Err(Rejected { event_type, errors });
        }
        let Value::Object(map) = data else {
            unreachable!("validate rejects non-objects")
        };
        let event = normalize::normalize(&event_type, map, envelope, &self.options);
        let msg = self.bus.publish_event(event);
        self.metrics.events_in.inc();
        if let Some(event) = published_event(&msg) {
            tracing::debug!(event_type = %event.kind, seq = event.seq, correlation_id = %event.correlation_id, "event published");
            if is_storable(&event.kind) {
                self.store.enqueue(event);
            }
        }
        Ok(msg)
    }
}

fn published_event(msg: &BusMessage) -> Option<Arc<Event>> {
    match &msg.kind {
        crate::bus::BusKind::Event { event } => Some(event.clone()),
        _ => None,
    }
}
