//! The two windows: the dashboard (the hub's own `/dashboard`, a 1920×400 strip as
//! the original app had; closing hides it) and the first run's setup (the app's one
//! local page, `ui/setup.html`), with the commands the setup page calls.

use crate::shared;
use landale_desktop::hub::Hub;
use landale_desktop::settings::normalise_url;
use serde_json::{json, Value};
use tauri::{AppHandle, Manager, WebviewUrl, WebviewWindowBuilder, Window, WindowEvent};

pub const MAIN: &str = "main";
pub const SETUP: &str = "setup";

/// Show the dashboard (made on first use); the setup window when no hub is set.
pub fn open_dashboard(app: &AppHandle) -> anyhow::Result<()> {
    if let Some(w) = app.get_webview_window(MAIN) {
        w.show()?;
        w.unminimize()?;
        w.set_focus()?;
        return Ok(());
    }
    let s = shared(app).settings();
    let Some(url) = s.url else {
        return open_setup(app);
    };
    let hub = Hub::new(&url, None);
    let page: tauri::Url = hub.dashboard_url().parse()?;
    let mut b = WebviewWindowBuilder::new(app, MAIN, WebviewUrl::External(page.clone()))
        .title("Landale")
        .inner_size(1920.0, 400.0)
        .min_inner_size(320.0, 240.0);
    if let Some(token) = s.token.filter(|t| !t.is_empty()) {
        // The dashboard keeps its token in localStorage (`landale.token`); hand it over
        // there, on the hub's origin only, rather than in the address.
        b = b.initialization_script(format!(
            "if (location.origin === {origin}) {{ try {{ localStorage.setItem('landale.token', {token}); }} catch (e) {{}} }}",
            origin = serde_json::to_string(&page.origin().ascii_serialization())?,
            token = serde_json::to_string(&token)?,
        ));
    }
    b.build()?;
    Ok(())
}

pub fn toggle_dashboard(app: &AppHandle) {
    match app.get_webview_window(MAIN) {
        Some(w) if w.is_visible().unwrap_or(false) => {
            let _ = w.hide();
        }
        _ => {
            if let Err(e) = open_dashboard(app) {
                tracing::warn!(error = %e, "the dashboard window could not open");
            }
        }
    }
}

pub fn open_setup(app: &AppHandle) -> anyhow::Result<()> {
    if let Some(w) = app.get_webview_window(SETUP) {
        w.show()?;
        w.set_focus()?;
        return Ok(());
    }
    WebviewWindowBuilder::new(app, SETUP, WebviewUrl::App("setup.html".into()))
        .title("Connect Landale to your hub")
        .inner_size(560.0, 460.0)
        .build()?;
    Ok(())
}

/// Closing the dashboard hides it (the tray brings it back); closing the setup
/// window before any hub is set quits, since there is nothing to show.
pub fn on_event(window: &Window, event: &WindowEvent) {
    if let WindowEvent::CloseRequested { api, .. } = event {
        if window.label() == MAIN {
            api.prevent_close();
            let _ = window.hide();
        } else if window.label() == SETUP && shared(window.app_handle()).settings().url.is_none() {
            window.app_handle().exit(0);
        }
    }
}

/// What the setup page starts from.
#[tauri::command]
pub fn setup_state(app: AppHandle) -> Value {
    let shared = shared(&app);
    let s = shared.settings();
    json!({
        "url": s.url.unwrap_or_else(|| "http://127.0.0.1:7175".into()),
        "has_token": s.token.is_some(),
        "settings_file": shared.store.path().display().to_string(),
    })
}

/// The token typed, or the one kept when the field was left empty.
fn typed_or_kept(app: &AppHandle, typed: &str) -> Option<String> {
    let typed = typed.trim();
    if typed.is_empty() {
        shared(app).settings().token
    } else {
        Some(typed.to_string())
    }
}

/// Test an address and a token: the words to show, or what is wrong.
#[tauri::command]
pub async fn check_connection(
    app: AppHandle,
    url: String,
    token: String,
) -> Result<String, String> {
    let base = normalise_url(&url)?;
    let token = typed_or_kept(&app, &token);
    let checked = Hub::new(&base, token).check().await?;
    match checked.token_valid {
        Some(true) => Ok(format!(
            "Connected to Landale {} at {base}; the token is right.",
            checked.version
        )),
        Some(false) => Err(format!(
            "Landale {} answers at {base}, but this is not its token (it lets this machine in \
             without one; from another machine it would be refused). Paste the output of \
             `landale token`.",
            checked.version
        )),
        None => Ok(format!(
            "Connected to Landale {} at {base}. No token: this machine may control without \
             one; add it to use the app from another machine.",
            checked.version
        )),
    }
}

/// Test, then keep the address and token, and open the dashboard.
#[tauri::command]
pub async fn save_connection(app: AppHandle, url: String, token: String) -> Result<String, String> {
    let said = check_connection(app.clone(), url.clone(), token.clone()).await?;
    let base = normalise_url(&url)?;
    let token = typed_or_kept(&app, &token);
    let shared = shared(&app);
    let settings = {
        let mut s = shared.settings.lock().expect("settings lock");
        s.url = Some(base.clone());
        s.token = token.clone();
        s.clone()
    };
    shared.store.save(&settings)?;
    *shared.hub.write().expect("hub lock") = Some(Hub::new(&base, token));
    shared.wake.notify_one();
    tracing::info!(hub = %base, "connection saved");
    // A dashboard from another hub goes; the new one opens.
    if let Some(w) = app.get_webview_window(MAIN) {
        let _ = w.destroy();
    }
    open_dashboard(&app).map_err(|e| e.to_string())?;
    if let Some(w) = app.get_webview_window(SETUP) {
        let _ = w.close();
    }
    Ok(said)
}
