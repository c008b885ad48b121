//! `landale`: the hub. `landale` (or `landale serve`) runs it; `landale token`
//! prints the control token; `landale twitch login` signs in to Twitch.

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
    /// Say which built pages this binary serves (embedded in release builds).
    Pages,
    /// Twitch sign-in.
    Twitch {
        #[command(subcommand)]
        action: TwitchCommand,
    },
}

#[derive(Subcommand)]
enum TwitchCommand {
    /// Sign in to Twitch. By default with the device code flow (works on a machine
    /// with no browser): open the printed address anywhere, enter the code, done.
    /// With --browser, the authorization code flow: approve in a browser on this
    /// machine, which Twitch sends back to a local address. The tokens are stored
    /// encrypted; a running hub picks them up within seconds.
    Login {
        /// Use the authorization code flow with a local redirect instead.
        #[arg(long)]
        browser: bool,
        /// Where Twitch sends the browser back (--browser); it must be registered as
        /// an OAuth Redirect URL of your application in the Twitch console.
        #[arg(long, env = "TWITCH_REDIRECT_URI", default_value = landale_twitch::login::DEFAULT_REDIRECT)]
        redirect_uri: String,
    },
    /// Show whether Twitch tokens are stored and valid.
    Status,
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
        Command::Pages => {
            println!("{}", landale::pages_summary());
            std::process::ExitCode::SUCCESS
        }
        Command::Token => {
            match landale_core::auth::load_or_create_token(
                config.token.as_deref(),
                &config.data_dir,
            ) {
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
        Command::Twitch { action } => {
            let rt = match tokio::runtime::Runtime::new() {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("landale: cannot start the runtime: {e}");
                    return std::process::ExitCode::from(1);
                }
            };
            match rt.block_on(twitch(config, action)) {
                Ok(()) => std::process::ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("landale: {e:#}");
                    std::process::ExitCode::from(1)
                }
            }
        }
        Command::Serve => {
            landale_core::logging::init_with_extra(
                config.log_format,
                "info",
                landale_seq::from_env("landale").map(|(layer, _)| layer),
            );
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
    println!("  Overlays (OBS browser sources, 1920x1080):");
    for o in landale_protocol::OVERLAYS {
        println!("              {base}/overlays/{o}");
    }
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
    // Commands that work as written: this binary's own path (it is rarely on PATH).
    let me = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "landale".into());
    println!("  Token:      {me} token   (loopback clients are trusted by default)");
    println!("  Twitch:     {me} twitch login");
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

async fn twitch(mut config: Config, action: TwitchCommand) -> anyhow::Result<()> {
    use landale_twitch::tokens::{TokenState, Tokens};
    config
        .twitch
        .open_vault()
        .map_err(|e| anyhow::anyhow!("bad setting {e}"))?;
    let store =
        landale::store::Store::connect(config.database_url.as_deref(), &config.data_dir).await?;
    let tokens = Tokens::new(&config.twitch, std::sync::Arc::new(store));
    match action {
        TwitchCommand::Status => {
            let state = tokens.load().await;
            if matches!(state, TokenState::Valid { .. }) {
                match tokens.validate().await {
                    Ok(v) => println!(
                        "Twitch: signed in as {} (user {}), {} scopes",
                        v.login.unwrap_or_default(),
                        v.user_id,
                        v.scopes.len()
                    ),
                    Err(e) => println!("Twitch: stored tokens, but {e}"),
                }
            } else {
                println!("Twitch: {}", serde_json::to_string(&state)?);
            }
            Ok(())
        }
        TwitchCommand::Login {
            browser,
            redirect_uri,
        } => {
            let say = |line: String| println!("{line}");
            let v = if browser {
                landale_twitch::login::browser(
                    &tokens,
                    &redirect_uri,
                    landale_twitch::login::BROWSER_WAIT,
                    say,
                )
                .await?
            } else {
                landale_twitch::login::device(&tokens, say).await?
            };
            println!(
                "Signed in as {} (user {}) with {} scopes. Tokens are stored encrypted.",
                v.login.unwrap_or_default(),
                v.user_id,
                v.scopes.len()
            );
            Ok(())
        }
    }
}
