//! The one I/O task: read the store, listen (retrying with backoff while the port is
//! taken), accept up to `max_connections` trackers, and for each connection decode,
//! check and apply its messages in order. The store is written before an event is
//! published, so what overlays saw survives a restart.

use crate::framing::{Decoded, Decoder};
use crate::message::{self, Kind, Message};
use crate::run::{Outcome, Tracker};
use crate::{Conn, Ironmon};
use landale_core::{Backoff, Input};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// Read buffer per connection.
const READ: usize = 16 * 1024;

pub async fn run(im: Arc<Ironmon>, mut shutdown: watch::Receiver<bool>) {
    let Some(port) = im.settings.port else {
        im.with_status(|s| s.error = Some("off (IRONMON_PORT=off)".into()));
        return;
    };
    tokio::select! {
        _ = serve(im.clone(), port) => {}
        _ = shutdown.wait_for(|s| *s) => {}
    }
    im.with_status(|s| s.listening = false);
}

async fn load(im: &Ironmon) {
    let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(30));
    loop {
        match im.store.load().await {
            Ok(l) => {
                let t = Tracker::new(l);
                im.view.send_replace(t.view());
                *im.tracker.lock().await = Some(t);
                im.with_status(|s| s.store_error = None);
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, "ironmon: cannot read the runs; retrying");
                im.with_status(|s| s.store_error = Some(format!("cannot read the runs: {e}")));
                tokio::time::sleep(backoff.next_wait()).await;
            }
        }
    }
}

async fn serve(im: Arc<Ironmon>, port: u16) {
    load(&im).await;
    let addr = (im.settings.host, port);
    let mut backoff = Backoff::new(Duration::from_secs(2), Duration::from_secs(60));
    let listener = loop {
        match TcpListener::bind(addr).await {
            Ok(l) => break l,
            Err(e) => {
                let why = format!(
                    "cannot listen on {}:{port}: {e} (set IRONMON_PORT to another port)",
                    im.settings.host
                );
                tracing::warn!("ironmon: {why}; retrying");
                im.with_status(|s| s.error = Some(why));
                tokio::time::sleep(backoff.next_wait()).await;
            }
        }
    };
    let bound = listener.local_addr().map(|a| a.port()).unwrap_or(port);
    im.with_status(|s| {
        s.listening = true;
        s.port = Some(bound);
        s.error = None;
    });
    im.view.send_modify(|_| {}); // wake `listening()`
    tracing::info!(port = bound, "ironmon: listening for the tracker");
    let mut next_id = 0u64;
    loop {
        let (sock, peer) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                tracing::warn!(error = %e, "ironmon: accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let full = im.with_status(|s| s.connections.len() >= im.settings.max_connections);
        if full {
            im.with_status(|s| s.refused += 1);
            tracing::warn!(%peer, "ironmon: refused a connection ({} already open)", im.settings.max_connections);
            continue;
        }
        next_id += 1;
        let id = next_id;
        im.with_status(|s| {
            s.accepted += 1;
            s.connections.insert(
                id,
                Conn {
                    peer: peer.to_string(),
                    connected_at: landale_core::ids::now_iso(),
                    messages: 0,
                    last_message_at: None,
                },
            );
        });
        tracing::info!(%peer, "ironmon: tracker connected");
        let im2 = im.clone();
        tokio::spawn(async move {
            let why = connection(&im2, id, sock, peer.to_string()).await;
            im2.with_status(|s| s.connections.remove(&id));
            tracing::info!(%peer, "ironmon: tracker disconnected ({why})");
        });
    }
}

/// Read one connection to its end; returns why it ended.
async fn connection(im: &Ironmon, id: u64, mut sock: TcpStream, peer: String) -> String {
    let mut decoder = Decoder::new();
    let mut buf = vec![0u8; READ];
    loop {
        let n = match sock.read(&mut buf).await {
            Ok(0) => return "closed".into(),
            Ok(n) => n,
            Err(e) => return e.to_string(),
        };
        for d in decoder.push(&buf[..n]) {
            match d {
                Decoded::Frame(f) => match message::parse(&f) {
                    Ok(m) => {
                        im.with_status(|s| {
                            s.messages += 1;
                            if let Some(c) = s.connections.get_mut(&id) {
                                c.messages += 1;
                                c.last_message_at = Some(landale_core::ids::now_iso());
                            }
                        });
                        apply(im, m).await;
                    }
                    Err(e) => im.rejected(&peer, e.reason(), e.to_string()),
                },
                Decoded::Rejected(r) => im.rejected(&peer, r.reason(), r.to_string()),
                Decoded::Lost(why) => {
                    im.rejected(&peer, "lost", why.clone());
                    return why;
                }
            }
        }
    }
}

/// Apply one message: the tracker, the store, then the events.
pub(crate) async fn apply(im: &Ironmon, m: Message) {
    let mut guard = im.tracker.lock().await;
    let Some(t) = guard.as_mut() else { return };
    let outcome = match &m.kind {
        Kind::Seed { count } => t.seed(*count),
        Kind::Checkpoint { name, .. } => t.checkpoint(name),
        Kind::Location { .. } => {
            t.location(Value::Object(m.event_fields()));
            Outcome::default()
        }
        Kind::PokemonUpdate { team } => {
            t.team(Value::Array(team.clone()));
            Outcome::default()
        }
        Kind::BattleStart { trainer, pokemon } => {
            t.battle_start(trainer, Value::Array(pokemon.clone()));
            Outcome::default()
        }
        Kind::BattleEnd { result, .. } => t.battle_end(result),
        _ => Outcome::default(),
    };
    for w in &outcome.writes {
        if let Err(e) = im.store.write(w).await {
            tracing::error!(error = %e, write = ?w, "ironmon: could not store");
            im.with_status(|s| s.store_error = Some(format!("could not store a run change: {e}")));
        }
    }
    let view = t.view();
    let seed = t.active_seed();
    drop(guard);
    im.view.send_replace(view.clone());
    let Some(event_type) = m.event_type() else {
        return;
    };
    let mut fields = m.event_fields();
    if let Some(s) = seed {
        fields.insert("run_id".into(), s.into());
    }
    if let Some(ts) = &m.timestamp {
        fields.insert("tracker_timestamp".into(), ts.clone());
    }
    fields.insert("run".into(), view);
    publish(im, Input::new(event_type, Value::Object(fields)));
    for (kind, data) in outcome.events {
        publish(im, Input::new(kind, data));
    }
}

fn publish(im: &Ironmon, input: Input) {
    let kind = input.event_type.clone();
    if let Err(e) = im.ingest.ingest_event(input) {
        tracing::warn!(event_type = %kind, error = %e, "ironmon: event refused by the pipeline");
    }
}
