//! The Landale hub. See ARCHITECTURE.md at the repository root for the map.
//!
//! Event flow: producer (EventSub, OBS, REST, demo) → [`pipeline::Pipeline::ingest`]
//! → [`bus::Bus`] (seq, replay ring) + [`store::writer`] → each socket's reader
//! ([`socket::conn`]) → its channels' routing → its [`outbox`] → client.

pub mod bus;
pub(crate) mod channels;
pub mod config;
pub(crate) mod demo;
pub(crate) mod http;
pub mod hub;
pub mod metrics;
pub(crate) mod outbox;
pub mod pipeline;
pub mod producer;
pub mod server;
pub(crate) mod socket;
pub(crate) mod status;
pub mod store;

/// Which built pages this binary serves (`landale pages`).
pub fn pages_summary() -> String {
    http::pages::summary()
}
