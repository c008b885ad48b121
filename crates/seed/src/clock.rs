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

/// A tick every `period` of the clock, from now. A tick that comes late (the process
/// was busy or asleep) is not repeated: the next one is a period after it.
pub struct Every {
    clock: Clock,
    period: chrono::Duration,
    next: chrono::DateTime<chrono::Utc>,
}

impl Every {
    pub fn new(clock: &Clock, period: Duration) -> Every {
        let period = chrono::Duration::from_std(period).unwrap_or(chrono::Duration::seconds(60));
        Every {
            clock: clock.clone(),
            period,
            next: clock.now() + period,
        }
    }

    /// Wait for the next tick; returns the clock's time then.
    pub async fn tick(&mut self) -> chrono::DateTime<chrono::Utc> {
        until(&self.clock, self.next).await;
        let now = self.clock.now();
        self.next = (self.next + self.period).max(now + chrono::Duration::seconds(1));
        now
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_late_tick_is_not_repeated() {
        let start = chrono::Utc::now();
        let clock = Clock::manual(start);
        let mut every = Every::new(&clock, Duration::from_secs(10));
        clock.advance(Duration::from_secs(35));
        assert_eq!(every.tick().await, start + chrono::Duration::seconds(35));
        // The ticks at 20 s and 30 s were missed: they are not made up for.
        let next = tokio::time::timeout(Duration::from_millis(50), every.tick()).await;
        assert!(next.is_err(), "no second tick without the clock moving");
        clock.advance(Duration::from_secs(1));
        assert_eq!(every.tick().await, start + chrono::Duration::seconds(36));
    }
}
