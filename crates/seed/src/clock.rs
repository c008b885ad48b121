//! Waiting on the service's clock: the system clock in production, a manual clock
//! the tests advance (so a two-minute window closes without waiting two minutes).

use landale_core::Clock;
use std::time::Duration;

/// Sleep until `clock` reaches `at` (wakes early on a manual clock's advance).
pub async fn until(clock: &Clock, at: chrono::DateTime<chrono::Utc>) {
    let mut watch = clock.watch();
    loop {
        let now = clock.now();
        if now >= at {
            return;
        }
        let left = (at - now).to_std().unwrap_or(Duration::ZERO);
        tokio::select! {
            _ = tokio::time::sleep(left) => {}
            _ = watch.changed() => {}
        }
    }
}

pub fn micros(clock: &Clock) -> i64 {
    clock.now().timestamp_micros()
}
