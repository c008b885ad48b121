//! `nurvus serve` and the CLI verbs.

use clap::Parser;
use nurvus::cli::{Cli, Verb};
use std::sync::Arc;

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let code = match &cli.command {
        Verb::Serve => serve().await,
        Verb::Validate { file } => nurvus::validate(file.as_deref()),
        Verb::InstallService { file } => {
            let config = file.clone().unwrap_or_else(nurvus::config_path);
            match nurvus::install_service(&config) {
                Ok(unit) => {
                    println!("wrote {}", unit.display());
                    println!("enable it:  systemctl --user daemon-reload && systemctl --user enable --now nurvus");
                    println!("keep it running after you log out:  loginctl enable-linger $USER");
                    0
                }
                Err(e) => {
                    eprintln!("nurvus: {e}");
                    1
                }
            }
        }
        _ => nurvus::cli::run(&cli).await,
    };
    std::process::exit(code);
}

async fn serve() -> i32 {
    match landale_core::logging::LogFormat::parse(std::env::var("LOG_FORMAT").ok().as_deref()) {
        Ok(f) => landale_core::logging::init_with_extra(
            f,
            "info",
            landale_seq::from_env("nurvus").map(|(layer, _)| layer),
        ),
        Err(e) => {
            eprintln!("nurvus: {e}");
            return 2;
        }
    }
    let setting = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    let port: u16 = match setting("NURVUS_PORT").map(|p| p.parse()) {
        None => 4001,
        Some(Ok(p)) => p,
        Some(Err(_)) => {
            eprintln!(
                "nurvus: NURVUS_PORT={:?}: expected a port number",
                setting("NURVUS_PORT").unwrap_or_default()
            );
            return 2;
        }
    };
    let host: std::net::IpAddr = match setting("NURVUS_HOST").map(|h| h.parse()) {
        None => [127, 0, 0, 1].into(),
        Some(Ok(h)) => h,
        Some(Err(_)) => {
            eprintln!("nurvus: NURVUS_HOST: expected an IP address such as 127.0.0.1 or 0.0.0.0");
            return 2;
        }
    };
    let trust = match setting("LANDALE_TRUST_LOOPBACK")
        .map(|v| landale_core::settings::parse_bool("LANDALE_TRUST_LOOPBACK", &v))
    {
        None => true,
        Some(Ok(b)) => b,
        Some(Err(e)) => {
            eprintln!("nurvus: {e}");
            return 2;
        }
    };
    // Without a token, only loopback may control (when trusted).
    let token = setting("LANDALE_TOKEN").unwrap_or_else(|| landale_core::ids::random_hex(32));
    let path = nurvus::config_path();
    let entries = match nurvus::config::load(&path) {
        Ok((good, problems)) => {
            for p in &problems {
                tracing::error!("{}: {p} (this entry is skipped)", path.display());
            }
            good
        }
        Err(e) if !path.exists() => {
            tracing::warn!("{e}: starting with no processes");
            vec![]
        }
        Err(e) => {
            eprintln!("nurvus: {e}");
            return 1;
        }
    };
    let app = Arc::new(nurvus::http::App {
        sup: Default::default(),
        started: std::time::Instant::now(),
        config: path.clone(),
    });
    let starts: Vec<String> = entries
        .iter()
        .filter(|e| e.autostart)
        .map(|e| e.id.clone())
        .collect();
    for e in entries {
        app.sup.add(e);
    }
    // Each starts once what it depends on is ready.
    for id in starts {
        app.sup
            .start_when_ready(&id, std::time::Duration::from_secs(60));
    }
    // SIGHUP reloads the process file.
    let hup_app = app.clone();
    tokio::spawn(async move {
        let Some(mut hup) = nurvus::platform::ReloadRequests::listen() else {
            return;
        };
        while hup.next().await.is_some() {
            match nurvus::reload(&hup_app.sup, &hup_app.config).await {
                Ok(r) => {
                    tracing::info!(added = ?r.added, removed = ?r.removed, changed = ?r.changed, "reloaded {}", hup_app.config.display())
                }
                Err(e) => tracing::error!("reload: {e}"),
            }
        }
    });
    let listener = match tokio::net::TcpListener::bind((host, port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!(
                "nurvus: cannot listen on {host}:{port}: {e} (set NURVUS_PORT or NURVUS_HOST)"
            );
            app.sup.shutdown().await;
            return 1;
        }
    };
    eprintln!(
        "nurvus on http://{} ({} processes from {})",
        listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default(),
        app.sup.list().len(),
        path.display()
    );
    let auth = landale_core::Auth::new(token, trust, vec![]);
    let router = nurvus::http::router(app.clone(), auth)
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    let served = axum::serve(listener, router)
        .with_graceful_shutdown(nurvus::platform::terminate_signal())
        .await;
    app.sup.shutdown().await;
    match served {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("nurvus: {e}");
            1
        }
    }
}
