//! Logs to Seq (`SEQ_URL`): each `tracing` event becomes a CLEF object (`@t`, `@m`,
//! `@l`, `@x` for an error, the event's fields, its spans' fields such as
//! `correlation_id`, and `Application`), queued in a bounded buffer and sent in
//! batches to Seq's documented ingestion endpoint, `POST {SEQ_URL}/ingest/clef` with
//! `Content-Type: application/vnd.serilog.clef` (and `X-Seq-ApiKey` from
//! `SEQ_API_KEY`).
//!
//! Overflow policy: the buffer holds [`BUFFER`] events; beyond that the oldest is
//! dropped and counted, and the next batch carries one event saying how many were
//! lost. Logging never waits on the network: the program only pushes to the buffer;
//! one thread of its own sends (every [`FLUSH_EVERY`] or [`BATCH`] events), retrying
//! a failed batch with backoff while newer events keep the buffer bounded.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// Events held while Seq is slow or away.
pub const BUFFER: usize = 10_000;
/// Events per request at most.
pub const BATCH: usize = 500;
/// How often the sender wakes when the buffer is not full enough for a batch.
pub const FLUSH_EVERY: Duration = Duration::from_secs(2);
/// Each request's limit.
pub const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Default)]
struct Queue {
    events: VecDeque<String>,
    /// The absolute number of `events[0]` (how many ever left the front).
    first: u64,
    dropped: u64,
    /// Sent and accepted by Seq.
    sent: u64,
    closed: bool,
}

/// The buffer shared by the layer and the sender thread.
#[derive(Clone, Default)]
pub struct Shipper {
    q: Arc<(Mutex<Queue>, Condvar)>,
}

impl Shipper {
    fn push(&self, line: String, capacity: usize) {
        let (lock, wake) = &*self.q;
        let mut q = lock.lock().unwrap_or_else(|p| p.into_inner());
        if q.events.len() >= capacity {
            q.events.pop_front();
            q.first += 1;
            q.dropped += 1;
        }
        q.events.push_back(line);
        if q.events.len() >= BATCH {
            wake.notify_one();
        }
    }

    /// `(queued, dropped, sent)`.
    pub fn counts(&self) -> (usize, u64, u64) {
        let q = self.q.0.lock().unwrap_or_else(|p| p.into_inner());
        (q.events.len(), q.dropped, q.sent)
    }

    /// Stop the sender after a last attempt to send what is queued.
    pub fn close(&self) {
        let (lock, wake) = &*self.q;
        lock.lock().unwrap_or_else(|p| p.into_inner()).closed = true;
        wake.notify_all();
    }
}

/// The `tracing` layer: formats each event and hands it to the shipper.
pub struct SeqLayer {
    shipper: Shipper,
    application: String,
    capacity: usize,
}

/// CLEF level names (Serilog's).
fn level(l: &tracing::Level) -> &'static str {
    match *l {
        tracing::Level::ERROR => "Error",
        tracing::Level::WARN => "Warning",
        tracing::Level::INFO => "Information",
        tracing::Level::DEBUG => "Debug",
        tracing::Level::TRACE => "Verbose",
    }
}

#[derive(Default)]
struct Fields(serde_json::Map<String, serde_json::Value>);

impl Visit for Fields {
    fn record_str(&mut self, f: &Field, v: &str) {
        self.0.insert(f.name().into(), v.into());
    }
    fn record_i64(&mut self, f: &Field, v: i64) {
        self.0.insert(f.name().into(), v.into());
    }
    fn record_u64(&mut self, f: &Field, v: u64) {
        self.0.insert(f.name().into(), v.into());
    }
    fn record_f64(&mut self, f: &Field, v: f64) {
        self.0.insert(f.name().into(), v.into());
    }
    fn record_bool(&mut self, f: &Field, v: bool) {
        self.0.insert(f.name().into(), v.into());
    }
    fn record_error(&mut self, f: &Field, v: &(dyn std::error::Error + 'static)) {
        self.0.insert(f.name().into(), v.to_string().into());
    }
    fn record_debug(&mut self, f: &Field, v: &dyn std::fmt::Debug) {
        self.0.insert(f.name().into(), format!("{v:?}").into());
    }
}

/// Span fields, kept in the span's extensions for the events inside it.
struct SpanFields(serde_json::Map<String, serde_json::Value>);

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for SeqLayer {
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        ctx: Context<'_, S>,
    ) {
        let mut f = Fields::default();
        attrs.record(&mut f);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanFields(f.0));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut f = Fields::default();
        event.record(&mut f);
        let mut o = serde_json::Map::new();
        o.insert(
            "@t".into(),
            chrono::Utc::now()
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
                .into(),
        );
        let message = f.0.remove("message").unwrap_or_default();
        let text = match message {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        };
        o.insert("@m".into(), text.into());
        o.insert("@l".into(), level(event.metadata().level()).into());
        if let Some(e) = f.0.remove("error") {
            o.insert("@x".into(), e);
        }
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(sf) = span.extensions().get::<SpanFields>() {
                    for (k, v) in &sf.0 {
                        o.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
            }
        }
        for (k, v) in f.0 {
            // CLEF reserves `@`: a field named so is escaped by doubling.
            let k = if k.starts_with('@') {
                format!("@{k}")
            } else {
                k
            };
            o.insert(k, v);
        }
        o.insert("Application".into(), self.application.clone().into());
        o.insert("SourceContext".into(), event.metadata().target().into());
        self.shipper
            .push(serde_json::Value::Object(o).to_string(), self.capacity);
    }
}

/// `SEQ_URL` (and `SEQ_API_KEY`): the layer for `application`, its sender thread
/// started; `None` when `SEQ_URL` is unset or empty.
pub fn from_env(application: &str) -> Option<(SeqLayer, Shipper)> {
    let url = std::env::var("SEQ_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())?;
    let key = std::env::var("SEQ_API_KEY").ok().filter(|k| !k.is_empty());
    Some(start(&url, key, application, BUFFER))
}

/// The layer and its sender thread, for `url` (Seq's base address).
pub fn start(
    url: &str,
    api_key: Option<String>,
    application: &str,
    capacity: usize,
) -> (SeqLayer, Shipper) {
    let shipper = Shipper::default();
    let endpoint = format!("{}/ingest/clef", url.trim_end_matches('/'));
    let s = shipper.clone();
    let app = application.to_string();
    let _ = std::thread::Builder::new()
        .name("seq-shipper".into())
        .spawn(move || send_loop(s, endpoint, api_key, app));
    (
        SeqLayer {
            shipper: shipper.clone(),
            application: application.into(),
            capacity: capacity.max(1),
        },
        shipper,
    )
}

fn send_loop(s: Shipper, endpoint: String, key: Option<String>, app: String) {
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        eprintln!("seq: cannot start its runtime; logs go to stderr only");
        return;
    };
    let _runtime = rt.enter();
    let http = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
        .build()
        .unwrap_or_default();
    let mut failures = 0u32;
    let mut warned = false;
    loop {
        // Wait for a batch's worth, the flush interval, or close.
        let (batch, start, events, reported, closing) = {
            let (lock, wake) = &*s.q;
            let mut q = lock.lock().unwrap_or_else(|p| p.into_inner());
            if !q.closed && q.events.len() < BATCH {
                q = wake
                    .wait_timeout(q, FLUSH_EVERY)
                    .map(|r| r.0)
                    .unwrap_or_else(|p| p.into_inner().0);
            }
            let n = q.events.len().min(BATCH);
            let mut batch: Vec<String> = q.events.iter().take(n).cloned().collect();
            let reported = q.dropped;
            if reported > 0 {
                batch.push(
                    serde_json::json!({"@t": chrono::Utc::now().to_rfc3339(), "@l": "Warning",
                        "@m": format!("{reported} log events were dropped while Seq was slow or away (buffer of {BUFFER})"),
                        "Application": app, "Dropped": reported})
                    .to_string(),
                );
            }
            (batch, q.first, n, reported, q.closed)
        };
        if batch.is_empty() {
            if closing {
                return;
            }
            continue;
        }
        let body = batch.join("\n");
        let mut req = http
            .post(&endpoint)
            .header("content-type", "application/vnd.serilog.clef")
            .body(body);
        if let Some(k) = &key {
            req = req.header("X-Seq-ApiKey", k);
        }
        let ok = match rt.block_on(req.send()) {
            Ok(r) if r.status().is_success() => true,
            Ok(r) => {
                if !warned {
                    eprintln!(
                        "seq: {endpoint} answered HTTP {}; retrying",
                        r.status().as_u16()
                    );
                }
                false
            }
            Err(e) => {
                if !warned {
                    eprintln!("seq: cannot send to {endpoint}: {e}; retrying");
                }
                false
            }
        };
        let (lock, _) = &*s.q;
        let mut q = lock.lock().unwrap_or_else(|p| p.into_inner());
        if ok {
            failures = 0;
            warned = false;
            // What was sent leaves the front, unless overflow took it already.
            let done = (start + events as u64)
                .saturating_sub(q.first)
                .min(q.events.len() as u64);
            q.events.drain(..done as usize);
            q.first += done;
            q.sent += events as u64;
            q.dropped -= reported.min(q.dropped);
        } else {
            warned = true;
            failures += 1;
            let closed = q.closed;
            drop(q);
            if closed {
                return;
            }
            let wait = Duration::from_millis((250u64 << failures.min(7)).min(30_000));
            std::thread::sleep(wait);
        }
    }
}
