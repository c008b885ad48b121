//! Serving: bind, run the HTTP/WebSocket server, shut down gracefully on Ctrl-C or
//! SIGTERM (sockets get close code 1001, the store writer drains).

use crate::config::Config;
use crate::hub::Hub;
use axum::serve::ListenerExt;
use std::net::SocketAddr;
use std::sync::Arc;

/// A running hub, for tests and the binary.
pub struct Running {
    pub addr: SocketAddr,
    pub hub: Arc<Hub>,
    stop: tokio::sync::oneshot::Sender<()>,
    done: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Stop serving and wait for background work to finish.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.done.await;
    }
}

/// Start the hub and serve it; returns once the port is bound.
pub async fn start(config: Config) -> anyhow::Result<Running> {
    let addr = SocketAddr::new(config.bind_ip, config.port);
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        anyhow::anyhow!("cannot listen on {addr}: {e} (is another landale running? set PORT)")
    })?;
    let addr = listener.local_addr()?;
    let (hub, tasks) = Hub::start(config).await?;
    let app = crate::http::router(hub.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let hub2 = hub.clone();
    let done = tokio::spawn(async move {
        let (inner_stop_tx, mut inner_stop) = tokio::sync::watch::channel(false);
        // TCP_NODELAY: pushes are small and latency-sensitive; Nagle's algorithm would
        // hold them back waiting for the client's (delayed) ACK.
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
            let _ = inner_stop.changed().await;
        });
        let serve = tokio::spawn(async move { serve.await });
        let _ = stop_rx.await;
        // Close sockets and stop producers, then stop serving HTTP, then drain the
        // store and record the last seq: nothing can ingest after that point.
        tasks.begin_shutdown();
        let _ = inner_stop_tx.send(true);
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), serve).await;
        tasks.finish(hub2).await;
    });
    tracing::info!(%addr, "landale listening");
    Ok(Running {
        addr,
        hub,
        stop,
        done,
    })
}
