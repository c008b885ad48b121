//! Landale's desktop app, the parts that need no window: what the tray and the
//! hotkeys can do ([`action`]), the hub client ([`hub`]), the fleet's health as the
//! tray shows it ([`health`]), when to notify ([`notices`]) and the settings file
//! ([`settings`]). The Tauri shell (`main.rs` and its modules) wires them to the
//! window, the tray, the notifications and the global hotkeys.

pub mod action;
pub mod health;
pub mod hub;
pub mod notices;
pub mod settings;
