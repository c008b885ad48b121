//! What every part of Landale shares: the ingest interface integrations hand events
//! to, the integration interface the hub mounts them by, the control token and the
//! REST answers every route gives, field errors, the clock, ids, backoff with jitter,
//! and settings parsing.
//!
//! Architecture invariant: `core` depends on no Landale crate but `protocol`. The
//! hub, every integration and every service depend on it; it does no network I/O.

pub mod auth;
pub mod backoff;
pub mod clock;
pub mod fields;
pub mod http;
pub mod ids;
pub mod ingest;
pub mod integration;
pub mod logging;
pub mod settings;
pub mod status;
pub mod vault;

pub use auth::Auth;
pub use backoff::Backoff;
pub use clock::Clock;
pub use fields::FieldErrors;
pub use ingest::{Envelope, Ingest, IngestError, Input, Rejected};
pub use integration::{Caller, Command, CommandError, Integration, Surface};
pub use settings::SettingError;
pub use status::ServiceStatus;
