//! The ingest interface: how an integration hands an event to the hub's pipeline
//! without knowing the hub. The hub's `Pipeline` implements [`Ingest`]; integrations
//! hold an `Arc<dyn Ingest>`.

use crate::fields::FieldErrors;
use serde_json::Value;

/// Producer-supplied envelope parts.
#[derive(Debug, Clone, Default)]
pub struct Envelope {
    /// A unique id from the producer (an EventSub message id); generated when absent.
    pub id: Option<String>,
    pub source_id: Option<String>,
    pub correlation_id: Option<String>,
}

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

/// Why an ingest published nothing.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Invalid(#[from] Rejected),
    /// The producer's id was seen recently (an EventSub redelivery): not published again.
    #[error("event {id} was already published")]
    Duplicate { id: String },
}

/// Where events go: validate, normalise, publish once, store.
pub trait Ingest: Send + Sync + 'static {
    /// Hand one event in; `Err` means nothing was published or stored.
    fn ingest_event(&self, input: Input) -> Result<(), IngestError>;
}
