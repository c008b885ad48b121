//! The EventSub WebSocket (`/ws`), per Twitch's documentation: a welcome with the
//! session, keepalives when nothing else was sent for `keepalive_timeout_seconds`,
//! notifications, `session_reconnect` (the client connects to the `reconnect_url`,
//! gets a welcome for the same session, then the old connection is closed; until
//! then notifications still go to the old one), revocations, and close codes:
//! 4001 when the client sends anything, 4003 when no subscription arrives in time.

use crate::frames::{close_reason, message};
use crate::state::{random_token, Conn, ConnCmd, FakeTwitch};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::mpsc;

pub fn routes() -> Router<FakeTwitch> {
    Router::new().route("/ws", get(upgrade))
}

async fn upgrade(
    State(fake): State<FakeTwitch>,
    Query(q): Query<HashMap<String, String>>,
    ws: WebSocketUpgrade,
) -> Response {
    ws.on_upgrade(move |socket| serve(fake, socket, q.get("session").cloned()))
}

async fn serve(fake: FakeTwitch, socket: WebSocket, reconnect: Option<String>) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let admitted = {
        let mut s = fake.state();
        s.next_conn += 1;
        let id = s.next_conn;
        let found = match reconnect {
            Some(sid) if s.conns.iter().any(|c| c.session_id == sid) => {
                let old: Vec<u64> = s
                    .conns
                    .iter()
                    .filter(|c| c.session_id == sid)
                    .map(|c| c.id)
                    .collect();
                Some((sid, old))
            }
            // A reconnect URL for a session that no longer exists.
            Some(_) => None,
            None => Some((random_token(24), vec![])),
        };
        found.map(|(session, replaced)| {
            s.conns.push(Conn {
                id,
                session_id: session.clone(),
                tx: tx.clone(),
            });
            fake.0.conns_changed.notify_waiters();
            (id, session, replaced)
        })
    };
    let Some((conn_id, session_id, replaced)) = admitted else {
        let (mut sink, _) = socket.split();
        let _ = sink
            .send(Message::Close(Some(CloseFrame {
                code: 4007,
                reason: close_reason(4007).into(),
            })))
            .await;
        return;
    };
    let cfg = fake.config().clone();
    let (mut sink, mut stream) = socket.split();
    let welcome = message(
        "session_welcome",
        json!({"session": {"id": session_id, "status": "connected", "connected_at": chrono::Utc::now().to_rfc3339(),
            "keepalive_timeout_seconds": cfg.keepalive_secs, "reconnect_url": null, "recovery_url": null}}),
        None,
    );
    if sink.send(Message::Text(welcome.into())).await.is_err() {
        forget(&fake, conn_id, &session_id, false);
        return;
    }
    // The new connection is welcomed: the old one of the same session goes.
    if !replaced.is_empty() {
        let s = fake.state();
        for c in s.conns.iter().filter(|c| replaced.contains(&c.id)) {
            let _ = c.tx.send(ConnCmd::Close(1000, "reconnected".into()));
        }
    }

    // Twitch promises no silence longer than `keepalive_timeout_seconds`: look four
    // times per period and send a keepalive once three quarters have passed quietly.
    let keepalive = Duration::from_secs(cfg.keepalive_secs.max(1));
    let mut last_sent = tokio::time::Instant::now();
    let mut tick = tokio::time::interval(keepalive / 4);
    tick.tick().await;
    let mut silent = false;
    let unused = tokio::time::sleep(cfg.unused_timeout);
    tokio::pin!(unused);
    let mut unused_checked = false;
    let mut handed_over = false;
    loop {
        tokio::select! {
            cmd = rx.recv() => match cmd {
                Some(ConnCmd::Send(text)) if !silent => {
                    if sink.send(Message::Text(text.into())).await.is_err() { break; }
                    last_sent = tokio::time::Instant::now();
                }
                Some(ConnCmd::Send(_)) => {}
                Some(ConnCmd::Silence) => silent = true,
                Some(ConnCmd::Drop(stale)) => {
                    // Keeping them is what a handover does: reuse that path.
                    handed_over = stale;
                    break;
                }
                Some(ConnCmd::Close(code, reason)) => {
                    handed_over = code == 1000;
                    let _ = sink.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
                    break;
                }
                None => break,
            },
            _ = tick.tick() => {
                if !silent && last_sent.elapsed() >= keepalive * 3 / 4 {
                    let k = message("session_keepalive", json!({}), None);
                    if sink.send(Message::Text(k.into())).await.is_err() { break; }
                    last_sent = tokio::time::Instant::now();
                }
            }
            _ = &mut unused, if !unused_checked => {
                unused_checked = true;
                let used = fake.state().subscriptions.values().any(|s| s.session_id == session_id);
                if !used && replaced.is_empty() {
                    let _ = sink.send(Message::Close(Some(CloseFrame { code: 4003, reason: close_reason(4003).into() }))).await;
                    break;
                }
            }
            incoming = stream.next() => match incoming {
                Some(Ok(Message::Text(_))) | Some(Ok(Message::Binary(_))) => {
                    let _ = sink.send(Message::Close(Some(CloseFrame { code: 4001, reason: close_reason(4001).into() }))).await;
                    break;
                }
                Some(Ok(Message::Ping(p))) => { let _ = sink.send(Message::Pong(p)).await; }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => break,
            },
        }
    }
    forget(&fake, conn_id, &session_id, handed_over);
}

/// A connection ended. Unless it was handed over to a reconnect, its session's
/// subscriptions end with it (Twitch disables them: a new session must subscribe).
fn forget(fake: &FakeTwitch, conn_id: u64, session_id: &str, handed_over: bool) {
    let mut s = fake.state();
    s.conns.retain(|c| c.id != conn_id);
    fake.0.conns_changed.notify_waiters();
    if !handed_over && !s.conns.iter().any(|c| c.session_id == session_id) {
        s.subscriptions
            .retain(|_, sub| sub.session_id != session_id);
    }
}
