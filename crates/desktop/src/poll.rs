//! The poll: every `poll_seconds` (backing off with jitter while the hub is away, and
//! at once after an action), read the hub, update the tray when what it shows
//! changed, and raise the notifications the rules allow.

use crate::Shared;
use landale_desktop::health::derive;
use landale_desktop::hub::next_poll;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tauri::AppHandle;

pub async fn run(app: AppHandle, shared: Arc<Shared>) {
    let mut failures = 0u32;
    // The probed services seen working since the app started (see `Snapshot::seen_up`).
    let mut seen_up = std::collections::BTreeSet::new();
    loop {
        if let Some(hub) = shared.hub() {
            let mut snapshot = hub.snapshot().await;
            seen_up.extend(snapshot.probed_up());
            snapshot.seen_up = seen_up.clone();
            failures = if snapshot.hub.is_err() {
                failures.saturating_add(1)
            } else {
                0
            };
            let tray = derive(&snapshot);
            let changed = shared.tray.lock().expect("tray lock").as_ref() != Some(&tray);
            if changed {
                tracing::debug!(tooltip = %tray.tooltip, "tray changed");
                crate::tray::show(&app, &tray);
                *shared.tray.lock().expect("tray lock") = Some(tray);
            }
            let notices = shared
                .notifier
                .lock()
                .expect("notifier lock")
                .observe(&snapshot, Instant::now());
            for n in notices {
                crate::notify(&app, &n.title, &n.body);
            }
        }
        let every = Duration::from_secs(shared.settings().poll_seconds.max(1));
        let wait = next_poll(every, failures, rand::random::<f64>());
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = shared.wake.notified() => {}
        }
    }
}
