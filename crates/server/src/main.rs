//! `landale`: the hub. `landale` (or `landale serve`) runs it; `landale token`
//! prints the control token.

use clap::{Parser, Subcommand};
use landale::config::{Config, ConfigArgs};

#[derive(Parser)]
#[command(
    name = "landale",
    version,
    about = "Landale: the control plane for one streamer's OBS setup"
)]
struct Cli {
    #[command(flatten)]
    config: ConfigArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the hub (the default).
    Serve,
    /// Print the control token (generating and saving it on first use).
    Token,
}

fn main() -> std::process::ExitCode {
    // A missing .env is normal; a broken one is worth a line.
    if let Err(e) = dotenvy::dotenv() {
        if !e.not_found() {
            eprintln!("landale: .env could not be read: {e}");
            return std::process::ExitCode::from(2);
        }
    }
    let cli = Cli::parse();
    let config = match Config::from_args(&cli.config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("landale: bad setting {e}");
            return std::process::ExitCode::from(2);
        }
    };
    match cli.command.unwrap_or(Command::Serve) {
        Command::Token => {
            match landale::auth::load_or_create_token(config.token.as_deref(), &config.data_dir) {
                Ok(t) => {
                    println!("{t}");
                    std::process::ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!(
                        "landale: cannot read or create the token in {}: {e}",
                        config.data_dir.display()
                    );
                    std::process::ExitCode::from(1)
                }
            }
        }
        Command::Serve => {
            landale::logging::init(config.log_format);
            let rt = match tokio::runtime::Runtime::new() {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("landale: cannot start the runtime: {e}");
                    return std::process::ExitCode::from(1);
                }
            };
            match rt.block_on(serve(config)) {
                Ok(()) => std::process::ExitCode::SUCCESS,
                Err(e) => {
                    tracing::error!("{e:#}");
                    eprintln!("landale: {e:#}");
                    std::process::ExitCode::from(1)
                }
            }
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let demo = config.demo;
    let running = landale::server::start(config).await?;
    let base = format!("http://{}", running.addr);
    let obs = running.hub.config.obs.url.clone();
    println!("Landale is running at {base}");
    println!("  Dashboard:  {base}/dashboard");
    println!(
        "  Overlays:   {base}/overlays/omnibar (and /takeover, /captions, /ironmon: OBS browser sources, 1920x1080)"
    );
    println!("  WebSocket:  ws://{}/socket/websocket", running.addr);
    println!("  Health:     {base}/api/health");
    println!("  Metrics:    {base}/metrics");
    if demo {
        println!("  Demo mode:  generating follows, subs, gift bombs, cheers, raids and chat");
    }
    match obs {
        Some(url) => println!("  OBS:        {url} (status: {base}/api/obs/status)"),
        None => println!("  OBS:        off (set OBS_WEBSOCKET_URL to connect)"),
    }
    println!("  Token:      run `landale token` (loopback clients are trusted by default)");
    wait_for_signal().await;
    tracing::info!("shutting down");
    running.stop().await;
    Ok(())
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
