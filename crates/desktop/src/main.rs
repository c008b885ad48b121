//! `landale-desktop`: the hub's own dashboard in a window, the fleet's health in the
//! tray, notifications for what needs the streamer now, and global hotkeys.
//!
//! - First run (no hub in the settings, no `LANDALE_URL`): a setup window asks for the
//!   hub's address and token and tests them before keeping them.
//! - The dashboard window is the hub's `/dashboard` (not a copy of the pages); closing
//!   it hides it, the tray brings it back, Quit quits.
//! - A poll every few seconds (backing off while the hub is away) colours the tray,
//!   rebuilds its menu when something changed, and raises notifications by the rules
//!   of `landale_desktop::notices`.

mod hotkeys;
mod poll;
mod tray;
mod windows;

use landale_desktop::action::Action;
use landale_desktop::health::Tray;
use landale_desktop::hub::Hub;
use landale_desktop::notices::Notifier;
use landale_desktop::settings::{normalise_url, Settings, Store};
use std::sync::{Arc, Mutex, RwLock};
use tauri::{AppHandle, Manager};
use tauri_plugin_notification::NotificationExt;

/// What the tray, the hotkeys, the windows and the poll share.
pub struct Shared {
    pub store: Store,
    pub settings: Mutex<Settings>,
    pub hub: RwLock<Option<Hub>>,
    pub tray: Mutex<Option<Tray>>,
    pub notifier: Mutex<Notifier>,
    /// Poll now (after an action, or a new connection).
    pub wake: tokio::sync::Notify,
}

impl Shared {
    pub fn hub(&self) -> Option<Hub> {
        self.hub.read().expect("hub lock").clone()
    }

    pub fn settings(&self) -> Settings {
        self.settings.lock().expect("settings lock").clone()
    }
}

pub fn shared(app: &AppHandle) -> Arc<Shared> {
    app.state::<Arc<Shared>>().inner().clone()
}

/// A desktop notification; a failure to show one is logged, never fatal.
pub fn notify(app: &AppHandle, title: &str, body: &str) {
    tracing::info!(title, "notification");
    if let Err(e) = app.notification().builder().title(title).body(body).show() {
        tracing::warn!(error = %e, "the notification could not be shown");
    }
}

/// Do what a tray item or a hotkey asks; a failure becomes a notification (a hotkey
/// pressed in a game has nowhere else to say it).
pub fn act(app: &AppHandle, action: Action) {
    if action == Action::OpenDashboard {
        if let Err(e) = windows::open_dashboard(app) {
            tracing::warn!(error = %e, "the dashboard window could not open");
        }
        return;
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let shared = shared(&app);
        let Some(hub) = shared.hub() else {
            notify(
                &app,
                "Landale is not set up",
                "Open the app and connect it to the hub first.",
            );
            return;
        };
        match hub.run(&action).await {
            Ok(_) => tracing::info!(action = %action, "action done"),
            Err(e) => {
                tracing::warn!(action = %action, error = %e, "action failed");
                notify(
                    &app,
                    &format!("{} did not work", action.label()),
                    &e.to_string(),
                );
            }
        }
        shared.wake.notify_one();
    });
}

/// Read the settings file again (after an edit): hotkeys registered anew, the
/// notification rules and poll interval taken; what does not read is said in a
/// notification and the settings before stay.
pub fn reload(app: &AppHandle) {
    let shared = shared(app);
    let mut s = match shared.store.load() {
        Ok(s) => s,
        Err(e) => {
            notify(app, "Settings not reloaded", &e);
            return;
        }
    };
    // The connection is the setup window's: an edit of the file does not move it.
    let kept = shared.settings();
    s.url = kept.url;
    s.token = kept.token;
    *shared.settings.lock().expect("settings lock") = s.clone();
    shared.notifier.lock().expect("notifier lock").rules = s.rules();
    let mut problems = s.problems();
    problems.extend(hotkeys::register(app, &s.bindings()));
    if !problems.is_empty() {
        notify(app, "Some settings were not used", &problems.join("\n"));
    }
    let last = shared.tray.lock().expect("tray lock").clone();
    if let Some(t) = last {
        tray::show(app, &t);
    }
    shared.wake.notify_one();
    tracing::info!(hotkeys = s.hotkeys.len(), "settings reloaded");
}

/// The settings directory: `LANDALE_DESKTOP_CONFIG_DIR`, or the platform's.
fn config_dir(app: &AppHandle) -> std::path::PathBuf {
    match std::env::var_os("LANDALE_DESKTOP_CONFIG_DIR") {
        Some(d) => d.into(),
        None => app
            .path()
            .app_config_dir()
            .unwrap_or_else(|_| std::env::temp_dir().join("landale-desktop")),
    }
}

/// The settings, with `LANDALE_URL` / `LANDALE_TOKEN` taking over (and remembered).
fn settings(store: &Store) -> Settings {
    let mut s = store.load().unwrap_or_else(|e| {
        tracing::error!(error = %e, "settings not read; starting from defaults (the file is left as it is)");
        Settings::default()
    });
    let mut changed = false;
    if let Ok(url) = std::env::var("LANDALE_URL") {
        match normalise_url(&url) {
            Ok(u) => {
                changed |= s.url.as_deref() != Some(u.as_str());
                s.url = Some(u);
            }
            Err(e) => tracing::error!(error = %e, "LANDALE_URL is not used"),
        }
    }
    if let Ok(t) = std::env::var("LANDALE_TOKEN") {
        changed |= s.token.as_deref() != Some(t.as_str());
        s.token = Some(t);
    }
    if changed {
        if let Err(e) = store.save(&s) {
            tracing::warn!(error = %e, "settings not saved");
        }
    }
    for p in s.problems() {
        tracing::warn!(problem = %p, "settings");
    }
    s
}

/// WebKitGTK's accelerated compositing renders the dashboard through GL: on a streaming
/// machine that GPU belongs to the game and OBS, and without one (software GL) it costs
/// ~2 % of a core and ~125 MiB at rest (docs/PERFORMANCE.md). The dashboard has nothing
/// that needs it, so it is off unless `LANDALE_DESKTOP_COMPOSITING=1` (or WebKit's own
/// variable is already set).
fn quiet_webview() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none()
        && std::env::var("LANDALE_DESKTOP_COMPOSITING").as_deref() != Ok("1")
    {
        // Before any thread exists: nothing reads the environment concurrently.
        std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    }
}

/// SIGINT (Ctrl-C where it was started, `cargo xtask run --desktop` stopping) and
/// SIGTERM quit as the tray's Quit does: hotkeys released, the tray icon gone.
async fn quit_on_signal(app: AppHandle) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut int), Ok(mut term)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) else {
            tracing::warn!("signals not watched: quit from the tray");
            return;
        };
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
        }
        tracing::info!("signal: quitting");
        app.exit(0);
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        app.exit(0);
    }
}

fn main() {
    quiet_webview();
    let format =
        landale_core::logging::LogFormat::parse(std::env::var("LOG_FORMAT").ok().as_deref())
            .unwrap_or_else(|e| {
                eprintln!("{e}");
                std::process::exit(2)
            });
    landale_core::logging::init_with(format, "info,landale_desktop=info");
    let app = tauri::Builder::default()
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_global_shortcut::Builder::new().build())
        .invoke_handler(tauri::generate_handler![
            windows::setup_state,
            windows::check_connection,
            windows::save_connection
        ])
        .setup(|app| {
            let handle = app.handle().clone();
            let store = Store::new(config_dir(&handle));
            let s = settings(&store);
            tracing::info!(config = %store.path().display(), hub = ?s.url, "landale-desktop starting");
            let hub = s.url.as_deref().map(|u| Hub::new(u, s.token.clone()));
            let shared = Arc::new(Shared {
                notifier: Mutex::new(Notifier::new(s.rules())),
                hub: RwLock::new(hub.clone()),
                settings: Mutex::new(s.clone()),
                tray: Mutex::new(None),
                store,
                wake: tokio::sync::Notify::new(),
            });
            app.manage(shared.clone());
            tray::create(&handle)?;
            for p in hotkeys::register(&handle, &s.bindings()) {
                tracing::warn!(problem = %p, "hotkey not registered");
            }
            if hub.is_some() {
                windows::open_dashboard(&handle)?;
            } else {
                windows::open_setup(&handle)?;
            }
            tauri::async_runtime::spawn(quit_on_signal(handle.clone()));
            tauri::async_runtime::spawn(poll::run(handle, shared));
            Ok(())
        })
        .on_window_event(windows::on_event)
        .build(tauri::generate_context!())
        .expect("the app could not start");
    app.run(|_, event| {
        // The tray keeps the app alive with every window hidden; Quit exits.
        if let tauri::RunEvent::ExitRequested {
            api, code: None, ..
        } = event
        {
            api.prevent_exit();
        }
    });
}
