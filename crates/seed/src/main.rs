//! `seed`: connect to the hub, correlate, analyse, store, answer.

use clap::Parser;
use seed::service::Service;
use seed::settings::{Args, Settings};

#[tokio::main]
async fn main() {
    let _ = dotenvy::dotenv();
    let settings = match Settings::from_args(&Args::parse()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("seed: {e}");
            std::process::exit(2);
        }
    };
    landale_core::logging::init(settings.log_format);
    let addr = std::net::SocketAddr::new(settings.host, settings.health_port);
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("seed: cannot listen on {addr}: {e} (set SEED_HEALTH__PORT or SEED_HOST)");
            std::process::exit(1);
        }
    };
    match &settings.llm {
        Some(l) => {
            tracing::info!(url = %l.api_url, model = %l.model, "analysing with an OpenAI-compatible server")
        }
        None => tracing::info!("no SEED_LMS__API_URL: contexts use seed's own analysis"),
    }
    tracing::info!(hub = %settings.server_url, "seed on http://{}", listener.local_addr().map(|a| a.to_string()).unwrap_or_default());
    let service = Service::start(settings, landale_core::Clock::system());
    let app = seed::http::router(service);
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let shutdown = async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! { _ = shutdown => {}, _ = term.recv() => {} }
    };
    if let Err(e) = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
    {
        tracing::error!("{e}");
        std::process::exit(1);
    }
}
