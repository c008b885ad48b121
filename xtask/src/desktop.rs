//! The desktop app's part of xtask: whether it can build here, the workspace
//! arguments without it where it cannot, its test (web/tests/desktop) in a private
//! D-Bus session and X display, and where tauri-driver is.

use crate::{build, root, status, target_dir};
use anyhow::{bail, Result};
use std::path::PathBuf;
use std::process::Command;

/// `--workspace`, without the desktop app where it cannot build (its libraries are
/// missing: said once, as a skip), so the rest is still linted and tested.
pub fn workspace() -> Vec<&'static str> {
    static SAID: std::sync::Once = std::sync::Once::new();
    match buildable() {
        Ok(()) => vec!["--workspace"],
        Err(e) => {
            SAID.call_once(|| eprintln!("skipped: landale-desktop (lint, tests): {e:#}"));
            vec!["--workspace", "--exclude", "landale-desktop"]
        }
    }
}

/// What the desktop app needs to build on Linux, as Debian names it.
pub const PACKAGES: &str =
    "libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev libdbus-1-dev";

/// Whether the desktop app can build here (its GTK/WebKit libraries are installed).
pub fn buildable() -> Result<()> {
    if cfg!(target_os = "linux") {
        let found = Command::new("pkg-config")
            .args(["--exists", "webkit2gtk-4.1", "ayatana-appindicator3-0.1"])
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !found {
            bail!("the desktop app needs WebKitGTK and the tray library to build: apt-get install {PACKAGES}");
        }
    }
    Ok(())
}

/// tauri-driver: `TAURI_DRIVER_BIN`, the copy `.ci/run` installs under
/// `/var/tmp/landale-tools`, or one on PATH.
fn tauri_driver() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("TAURI_DRIVER_BIN") {
        return Some(p.into());
    }
    let tools = std::env::var_os("LANDALE_TOOLS")
        .map_or_else(|| PathBuf::from("/var/tmp/landale-tools"), PathBuf::from);
    let kept = tools.join("bin").join("tauri-driver");
    if kept.exists() {
        return Some(kept);
    }
    let on_path = Command::new("sh")
        .args(["-c", "command -v tauri-driver"])
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    Some(PathBuf::from(
        String::from_utf8_lossy(&on_path.stdout).trim(),
    ))
}

/// The desktop app under WebDriver (web/tests/desktop), in a private X display
/// (xvfb-run, 1920×1080) and D-Bus session (dbus-run-session) so its tray, hotkeys and
/// notifications are its own. Without those programs the test says it was skipped.
pub fn test() -> Result<()> {
    if let Err(e) = buildable() {
        eprintln!("skipped: the desktop app's test: {e:#} (.ci/run installs them)");
        return Ok(());
    }
    build(false, &["landale-desktop", "landale", "nurvus"], "")?;
    let web = root().join("web");
    let mut node = if onpath("xvfb-run") && onpath("dbus-run-session") {
        session("node")
    } else {
        Command::new("node")
    };
    node.args(["--test", "--test-concurrency=1", "tests/desktop/"])
        .current_dir(&web)
        .env("LANDALE_BIN", target_dir().join("debug").join("landale"))
        .env("NURVUS_BIN", target_dir().join("debug").join("nurvus"))
        .env(
            "LANDALE_DESKTOP_BIN",
            target_dir().join("debug").join("landale-desktop"),
        )
        .env("DESKTOP_SHOTS", target_dir().join("desktop"));
    if let Some(d) = tauri_driver() {
        node.env("TAURI_DRIVER_BIN", d);
    }
    status(
        node,
        "node --test web/tests/desktop (the desktop app under WebDriver, xvfb-run, dbus-run-session)",
    )
}

/// `program` in a private D-Bus session and X display (1920×1080): what the desktop
/// app's test and benchmark run in.
pub fn session(program: &str) -> Command {
    let mut c = Command::new("dbus-run-session");
    c.args([
        "--",
        "xvfb-run",
        "-a",
        "-s",
        "-screen 0 1920x1080x24",
        program,
    ]);
    c
}

fn onpath(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program} >/dev/null")])
        .status()
        .is_ok_and(|s| s.success())
}
