//! Global hotkeys: each binding of the settings runs its action when pressed, whatever
//! window (a full-screen game) has the focus.

use landale_desktop::action::Action;
use tauri::AppHandle;
use tauri_plugin_global_shortcut::{GlobalShortcutExt, ShortcutState};

/// Register `bindings` in place of the ones before; the ones that could not be
/// registered (keys not understood, or taken by another program), in words.
pub fn register(app: &AppHandle, bindings: &[(String, Action)]) -> Vec<String> {
    let shortcuts = app.global_shortcut();
    if let Err(e) = shortcuts.unregister_all() {
        tracing::warn!(error = %e, "hotkeys not released");
    }
    let mut problems = vec![];
    for (keys, action) in bindings {
        let run = action.clone();
        let done = shortcuts.on_shortcut(keys.as_str(), move |app, _, event| {
            if event.state() == ShortcutState::Pressed {
                tracing::info!(action = %run, "hotkey");
                crate::act(app, run.clone());
            }
        });
        match done {
            Ok(()) => tracing::info!(keys = %keys, action = %action, "hotkey registered"),
            Err(e) => problems.push(format!("{keys} ({action}): {e}")),
        }
    }
    problems
}
