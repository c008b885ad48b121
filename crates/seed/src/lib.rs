//! seed: what is happening on stream. Speech (`transcription:live`), chat and Twitch
//! events (`events:all`) arrive from the hub (`input`, through `hub`) onto one
//! timeline (`correlator`). Every context window a timer closes the window, an
//! `analysis` is made (by the `llm`, with a `prompt` built to fit, or seed's own), and
//! the `context` record with its sources is stored in the hub. Every analysis
//! interval, a live analysis is published as `seed.analysis`. `http` answers health,
//! status and questions (`query`); `service` wires it together.

pub mod analysis;
pub mod clock;
pub mod context;
pub mod correlator;
pub mod engine;
pub mod export;
pub mod http;
pub mod hub;
pub mod input;
pub mod llm;
pub mod prompt;
pub mod query;
pub mod service;
pub mod settings;

/// The correlator's buffer statistics.
pub fn service_stats(s: &service::Service) -> serde_json::Value {
    s.correlator.lock().map(|c| c.stats()).unwrap_or_default()
}
