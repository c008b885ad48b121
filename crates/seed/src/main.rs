//! `seed`: connect to the hub, correlate, analyse, store, answer.

use clap::Parser;
use seed::service::Service;
use seed::settings::{Args, Command, Settings};

#[tokio::main]
async fn main() {
    let _ = dotenvy::dotenv();
    let args = Args::parse();
    let settings = match Settings::from_args(&args) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("seed: {e}");
            std::process::exit(2);
        }
    };
    if let Some(Command::Export(e)) = &args.command {
        std::process::exit(export(&settings, e).await);
    }
    landale_core::logging::init_with_extra(
        settings.log_format,
        "info",
        landale_seq::from_env("seed").map(|(layer, _)| layer),
    );
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

/// `seed export`: fetch, shape, write; prints the files. Returns the exit code.
async fn export(s: &Settings, e: &seed::export::ExportArgs) -> i32 {
    let rest = seed::hub::Rest::new(&s.server_url, None);
    let now = chrono::Utc::now();
    let contexts = match seed::export::fetch(&rest, e, now).await {
        Ok(c) => c,
        Err(why) => {
            eprintln!("seed export: {why}");
            return 1;
        }
    };
    let examples = seed::export::dataset(e.kind, &contexts, e.min_length);
    if examples.is_empty() {
        eprintln!(
            "seed export: no examples: {} contexts in the last {} days, none fit this dataset",
            contexts.len(),
            e.days
        );
        return 1;
    }
    match seed::export::write(e, &examples, &now.format("%Y%m%d_%H%M%S").to_string()) {
        Ok(files) => {
            println!(
                "{} examples from {} contexts:",
                examples.len().min(e.max_examples),
                contexts.len()
            );
            for f in files {
                println!("  {}", f.display());
            }
            0
        }
        Err(why) => {
            eprintln!("seed export: {why}");
            1
        }
    }
}
