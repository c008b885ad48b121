//! What every part of Landale shares: the ingest interface integrations hand events
//! to, field errors, the clock, ids, backoff with jitter, and settings parsing.
//!
//! Architecture invariant: `core` depends on no other Landale crate. The hub, every
//! integration and every service depend on it; it does no I/O of its own.

pub mod backoff;
pub mod clock;
pub mod fields;
pub mod ids;
pub mod ingest;
pub mod settings;
pub mod status;

pub use backoff::Backoff;
pub use clock::Clock;
pub use fields::FieldErrors;
pub use ingest::{Envelope, Ingest, IngestError, Input, Rejected};
pub use settings::SettingError;
pub use status::ServiceStatus;
