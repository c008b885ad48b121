//! The Landale hub. See ARCHITECTURE.md at the repository root for the map.
//!
//! Event flow: producer (EventSub, OBS, REST, demo) → [`pipeline::Pipeline::ingest`]
//! → [`bus::Bus`] (seq, replay ring) + [`store::writer`] → each socket's reader
//! ([`socket::conn`]) → its channels' routing → its [`outbox`] → client.

pub mod auth;
pub mod bus;
pub mod channels;
pub mod config;
pub mod demo;
pub mod http;
pub mod hub;
pub mod logging;
pub mod metrics;
pub mod outbox;
pub mod pipeline;
pub mod producer;
pub mod server;
pub mod socket;
pub mod status;
pub mod store;
