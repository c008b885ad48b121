//! `phononmaser`: start the audio port, the health port, the decoder and the hub link.

use clap::Parser;
use phononmaser::deliver::Delivery;
use phononmaser::recognize::{self, DecodeSettings, Queue};
use phononmaser::service::{session_id, Service};
use phononmaser::settings::{Args, Settings};
use phononmaser::{health, model, server};
use std::future::IntoFuture;
use std::sync::Arc;

#[tokio::main]
async fn main() {
    let _ = dotenvy::dotenv();
    let settings = match Settings::from_args(&Args::parse()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("phononmaser: {e}");
            std::process::exit(2);
        }
    };
    // whisper.cpp reports every buffer it allocates at info: only its warnings show.
    landale_core::logging::init_with_extra(
        settings.log_format,
        "info,whisper_rs=warn",
        landale_seq::from_env("phononmaser").map(|(layer, _)| layer),
    );
    // whisper.cpp's own log lines become tracing events.
    whisper_rs::install_logging_hooks();
    if let Err(e) = run(settings).await {
        tracing::error!("{e}");
        eprintln!("phononmaser: {e}");
        std::process::exit(1);
    }
}

async fn run(s: Settings) -> Result<(), String> {
    // The model first: without one there is nothing to do, and the error names the file.
    let path = s.model.clone();
    let loaded = tokio::task::spawn_blocking(move || model::load(&path))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    let ctx = recognize::context(&loaded.ggml, &loaded.name)?;
    drop(loaded.ggml);
    let ctx = Arc::new(ctx);

    let delivery = Delivery::connect(&s.server_ws_url, s.token.as_deref());
    let queue = Arc::new(Queue::default());
    let service = Service::new(
        loaded.name.clone(),
        s.language.clone(),
        queue.clone(),
        delivery.clone(),
    );
    if s.prompt_manager {
        tokio::spawn(phononmaser::prompt::run(
            s.phoenix_base_url.clone(),
            service.terms.clone(),
            service.events.clone(),
        ));
    }
    let join = Delivery::join_payload(&session_id(std::time::SystemTime::now()));
    tokio::spawn(delivery.run(join, service.events.clone()));
    let (tx, mut rx) = tokio::sync::mpsc::channel(256);
    recognize::spawn(
        ctx,
        DecodeSettings {
            threads: s.threads,
            language: s.language.clone(),
        },
        queue.clone(),
        tx,
    )
    .map_err(|e| format!("cannot start the decoder thread: {e}"))?;
    let svc = service.clone();
    tokio::spawn(async move {
        while let Some(o) = rx.recv().await {
            svc.deliver(o).await;
        }
    });

    let audio = tokio::net::TcpListener::bind((s.host, s.port))
        .await
        .map_err(|e| {
            format!(
                "cannot listen on {}:{} (PHONONMASER_PORT): {e}",
                s.host, s.port
            )
        })?;
    let health_l = tokio::net::TcpListener::bind((s.host, s.health_port))
        .await
        .map_err(|e| {
            format!(
                "cannot listen on {}:{} (PHONONMASER_HEALTH_PORT): {e}",
                s.host, s.health_port
            )
        })?;
    let (a, h) = (
        audio.local_addr().map_err(|e| e.to_string())?,
        health_l.local_addr().map_err(|e| e.to_string())?,
    );
    tracing::info!(model = %loaded.name, "phononmaser listening: audio ws://{a}/ , events ws://{a}/events, health http://{h}/health");
    // The first line on stdout says where it listens (tests and `xtask run` wait for it).
    println!("phononmaser on {a} (health {h})");
    tokio::spawn(axum::serve(health_l, health::router(service.clone())).into_future());
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    axum::serve(audio, server::router(service))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| e.to_string())
}
