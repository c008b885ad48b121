//! The tray icon: its colour is the fleet's worst level, its tooltip and the first
//! lines of its menu say what is wrong; the menu opens the dashboard, runs the stream
//! controls, restarts a failed service and mutes notifications.
//!
//! Menu item ids are the actions' own words (`skip_alert`, `takeover:screen-cover`,
//! `restart:streaming/phononmaser`), so a click runs `Action::from_str(id)`; the few
//! that are not hub actions are `window`, `setup`, `reload`, `quit` and `mute:<kind>`.

use landale_desktop::action::{Action, TAKEOVER_PRESETS};
use landale_desktop::health::{icon_rgba, Level, Tray};
use landale_desktop::notices::Kind;
use landale_desktop::settings::Settings;
use tauri::image::Image;
use tauri::menu::{CheckMenuItem, IsMenuItem, Menu, MenuItem, PredefinedMenuItem, Submenu};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Wry};

pub const ID: &str = "landale";
const ICON: u32 = 32;

fn image(level: Level) -> Image<'static> {
    Image::new_owned(icon_rgba(level, ICON), ICON, ICON)
}

fn item(app: &AppHandle, id: &str, text: &str, enabled: bool) -> tauri::Result<MenuItem<Wry>> {
    MenuItem::with_id(app, id, text, enabled, None::<&str>)
}

/// The menu for what the last poll showed.
fn menu(app: &AppHandle, tray: &Tray, settings: &Settings) -> tauri::Result<Menu<Wry>> {
    let mut status: Vec<MenuItem<Wry>> = vec![item(app, "status", &tray.tooltip, false)?];
    for p in tray.parts.iter().filter(|p| p.level >= Level::Warn).take(8) {
        status.push(item(
            app,
            &format!("status:{}", p.name),
            &format!("   {} {}", p.name, p.detail),
            false,
        )?);
    }
    let sep = || PredefinedMenuItem::separator(app);
    let connected = settings.url.is_some();
    let queue = if tray.paused {
        item(
            app,
            &Action::ResumeQueue.to_string(),
            "Resume queue",
            connected,
        )?
    } else {
        item(
            app,
            &Action::PauseQueue.to_string(),
            "Pause queue",
            connected,
        )?
    };
    let mut takeovers: Vec<MenuItem<Wry>> = TAKEOVER_PRESETS
        .iter()
        .map(|(kind, label)| {
            item(
                app,
                &Action::Takeover((*kind).into()).to_string(),
                label,
                connected,
            )
        })
        .collect::<tauri::Result<_>>()?;
    takeovers.push(item(
        app,
        &Action::ClearTakeover.to_string(),
        "Clear takeover",
        connected && tray.takeover_on,
    )?);
    let takeover_refs: Vec<&dyn IsMenuItem<Wry>> = takeovers
        .iter()
        .map(|i| i as &dyn IsMenuItem<Wry>)
        .collect();
    let takeover =
        Submenu::with_id_and_items(app, "takeover", "Takeover", connected, &takeover_refs)?;
    let restarts: Vec<MenuItem<Wry>> = if tray.failed.is_empty() {
        vec![item(app, "restart:none", "Nothing has failed", false)?]
    } else {
        tray.failed
            .iter()
            .map(|f| {
                let a = Action::Restart {
                    machine: f.machine.clone(),
                    process: f.process.clone(),
                };
                item(
                    app,
                    &a.to_string(),
                    &format!("{} on {}", f.process, f.machine),
                    true,
                )
            })
            .collect::<tauri::Result<_>>()?
    };
    let restart_refs: Vec<&dyn IsMenuItem<Wry>> =
        restarts.iter().map(|i| i as &dyn IsMenuItem<Wry>).collect();
    let restart = Submenu::with_id_and_items(
        app,
        "restart",
        "Restart a failed service",
        true,
        &restart_refs,
    )?;
    let mutes: Vec<CheckMenuItem<Wry>> = Kind::ALL
        .iter()
        .map(|k| {
            let on = !settings.muted.iter().any(|m| m == k.key());
            CheckMenuItem::with_id(
                app,
                format!("mute:{}", k.key()),
                k.label(),
                true,
                on,
                None::<&str>,
            )
        })
        .collect::<tauri::Result<_>>()?;
    let mute_refs: Vec<&dyn IsMenuItem<Wry>> =
        mutes.iter().map(|i| i as &dyn IsMenuItem<Wry>).collect();
    let notifications =
        Submenu::with_id_and_items(app, "notifications", "Notifications", true, &mute_refs)?;
    let (s1, s2, s3) = (sep()?, sep()?, sep()?);
    let open = item(
        app,
        &Action::OpenDashboard.to_string(),
        "Open dashboard",
        connected,
    )?;
    let skip = item(app, &Action::SkipAlert.to_string(), "Skip alert", connected)?;
    let window = item(app, "window", "Show or hide the window", true)?;
    let setup = item(app, "setup", "Connect to a hub…", true)?;
    let reload = item(app, "reload", "Reload settings (hotkeys, mutes)", true)?;
    let quit = item(app, "quit", "Quit Landale", true)?;
    let mut all: Vec<&dyn IsMenuItem<Wry>> =
        status.iter().map(|i| i as &dyn IsMenuItem<Wry>).collect();
    all.extend([
        &s1 as &dyn IsMenuItem<Wry>,
        &open,
        &skip,
        &queue,
        &takeover,
        &restart,
        &s2,
        &notifications,
        &window,
        &setup,
        &reload,
        &s3,
        &quit,
    ]);
    Menu::with_items(app, &all)
}

pub fn create(app: &AppHandle) -> tauri::Result<()> {
    let settings = crate::shared(app).settings();
    let tray = Tray {
        level: Level::Offline,
        tooltip: "Landale: connecting to the hub…".into(),
        parts: vec![],
        failed: vec![],
        paused: false,
        takeover_on: false,
    };
    TrayIconBuilder::with_id(ID)
        .icon(image(tray.level))
        .tooltip(&tray.tooltip)
        .menu(&menu(app, &tray, &settings)?)
        .show_menu_on_left_click(true)
        .on_menu_event(|app, event| on_menu(app, event.id().as_ref()))
        .build(app)?;
    Ok(())
}

/// Show a new poll's tray (called only when it changed).
pub fn show(app: &AppHandle, tray: &Tray) {
    let Some(icon) = app.tray_by_id(ID) else {
        return;
    };
    let settings = crate::shared(app).settings();
    let result = (|| {
        icon.set_icon(Some(image(tray.level)))?;
        icon.set_tooltip(Some(&tray.tooltip))?;
        icon.set_menu(Some(menu(app, tray, &settings)?))
    })();
    if let Err(e) = result {
        tracing::warn!(error = %e, "the tray could not be updated");
    }
}

pub fn on_menu(app: &AppHandle, id: &str) {
    tracing::info!(item = id, "tray menu");
    match id {
        "quit" => app.exit(0),
        "setup" => {
            if let Err(e) = crate::windows::open_setup(app) {
                tracing::warn!(error = %e, "the setup window could not open");
            }
        }
        "window" => crate::windows::toggle_dashboard(app),
        "reload" => crate::reload(app),
        _ => {
            if let Some(kind) = id.strip_prefix("mute:").and_then(Kind::from_key) {
                toggle_mute(app, kind);
            } else if let Ok(action) = id.parse::<Action>() {
                crate::act(app, action);
            }
        }
    }
}

fn toggle_mute(app: &AppHandle, kind: Kind) {
    let shared = crate::shared(app);
    let settings = {
        let mut s = shared.settings.lock().expect("settings lock");
        if s.muted.iter().any(|m| m == kind.key()) {
            s.muted.retain(|m| m != kind.key());
        } else {
            s.muted.push(kind.key().into());
        }
        s.clone()
    };
    shared.notifier.lock().expect("notifier lock").rules = settings.rules();
    if let Err(e) = shared.store.save(&settings) {
        tracing::warn!(error = %e, "settings not saved");
    }
    let last = shared.tray.lock().expect("tray lock").clone();
    if let Some(t) = last {
        show(app, &t);
    }
}
