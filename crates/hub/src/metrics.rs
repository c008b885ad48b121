//! Prometheus metrics, served at `/metrics` in the text format.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

pub type SocketLabel = Vec<(&'static str, String)>;

pub struct Metrics {
    registry: Registry,
    /// Events accepted by the pipeline.
    pub events_in: Counter,
    /// Events rejected by validation.
    pub events_rejected: Counter,
    /// Frames written to sockets (every delivery, replies included).
    pub frames_out: Counter,
    /// Events written to the activity log.
    pub events_stored: Counter,
    /// Events published but not stored because the store queue was full.
    pub store_dropped: Counter,
    /// Sockets closed because they could not keep up.
    pub slow_consumer_disconnects: Counter,
    /// Open sockets.
    pub sockets: Gauge,
    /// Frames queued per socket.
    pub socket_queue_depth: Family<SocketLabel, Gauge>,
    /// Seconds from publish to the frame being written to a socket.
    pub fanout_latency: Histogram,
    /// Stream producer items dropped at the queue bound.
    pub producer_dropped: Counter,
    /// Stream producer alerts merged into an identical one (or a gift bomb).
    pub producer_coalesced: Counter,
    /// Bus messages the stream producer had to re-read after falling behind.
    pub producer_lagged: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("landale");
        let m = Metrics {
            events_in: Counter::default(),
            events_rejected: Counter::default(),
            frames_out: Counter::default(),
            events_stored: Counter::default(),
            store_dropped: Counter::default(),
            slow_consumer_disconnects: Counter::default(),
            sockets: Gauge::default(),
            socket_queue_depth: Family::default(),
            fanout_latency: Histogram::new(exponential_buckets(0.000_025, 2.0, 16)),
            producer_dropped: Counter::default(),
            producer_coalesced: Counter::default(),
            producer_lagged: Counter::default(),
            registry: Registry::default(),
        };
        registry.register(
            "events_in",
            "Events accepted by the pipeline",
            m.events_in.clone(),
        );
        registry.register(
            "events_rejected",
            "Events rejected by validation",
            m.events_rejected.clone(),
        );
        registry.register(
            "frames_out",
            "Frames written to sockets",
            m.frames_out.clone(),
        );
        registry.register(
            "producer_dropped",
            "Stream producer items dropped at the queue bound",
            m.producer_dropped.clone(),
        );
        registry.register(
            "producer_coalesced",
            "Stream producer alerts merged into another",
            m.producer_coalesced.clone(),
        );
        registry.register(
            "producer_lagged",
            "Bus messages the stream producer re-read from the ring after falling behind",
            m.producer_lagged.clone(),
        );
        registry.register(
            "events_stored",
            "Events written to the activity log",
            m.events_stored.clone(),
        );
        registry.register(
            "store_dropped",
            "Events published but not stored (store queue full)",
            m.store_dropped.clone(),
        );
        registry.register(
            "slow_consumer_disconnects",
            "Sockets closed because their outbound queue was full",
            m.slow_consumer_disconnects.clone(),
        );
        registry.register("sockets", "Open WebSocket connections", m.sockets.clone());
        registry.register(
            "socket_queue_depth",
            "Frames queued per socket",
            m.socket_queue_depth.clone(),
        );
        registry.register(
            "fanout_latency_seconds",
            "Time from publish to the frame being written to a socket",
            m.fanout_latency.clone(),
        );
        Metrics { registry, ..m }
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        // Encoding into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}
