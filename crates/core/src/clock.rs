//! The hub's wall clock. Production reads the system clock; tests use a manual
//! clock they advance themselves, so nothing waits for real seconds.
//!
//! Anything that schedules by the wall clock (the stream producer's alert expiry,
//! ticker rotation, takeover expiry, the daily reset) takes its time from here and
//! waits on [`Clock::changed`] as well as its own sleep, so an advance is seen at once.

use chrono::{DateTime, Utc};
use std::sync::Arc;
use tokio::sync::watch;

#[derive(Clone)]
pub struct Clock(Arc<Inner>);

enum Inner {
    System,
    Manual(watch::Sender<DateTime<Utc>>),
}

impl Clock {
    pub fn system() -> Clock {
        Clock(Arc::new(Inner::System))
    }

    /// A clock that stands still at `start` until [`Clock::advance`] moves it.
    pub fn manual(start: DateTime<Utc>) -> Clock {
        Clock(Arc::new(Inner::Manual(watch::Sender::new(start))))
    }

    pub fn now(&self) -> DateTime<Utc> {
        match &*self.0 {
            Inner::System => Utc::now(),
            Inner::Manual(tx) => *tx.borrow(),
        }
    }

    /// Move a manual clock forward (no effect on the system clock).
    pub fn advance(&self, by: std::time::Duration) {
        if let Inner::Manual(tx) = &*self.0 {
            let by = chrono::Duration::from_std(by).unwrap_or(chrono::Duration::MAX);
            tx.send_modify(|t| *t = t.checked_add_signed(by).unwrap_or(*t));
        }
    }

    /// A handle that wakes when a manual clock moves; never wakes for the system clock.
    pub fn watch(&self) -> ClockWatch {
        ClockWatch(match &*self.0 {
            Inner::System => None,
            Inner::Manual(tx) => Some(tx.subscribe()),
        })
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &*self.0 {
            Inner::System => f.write_str("Clock::System"),
            Inner::Manual(tx) => write!(f, "Clock::Manual({})", *tx.borrow()),
        }
    }
}

pub struct ClockWatch(Option<watch::Receiver<DateTime<Utc>>>);

impl ClockWatch {
    /// Resolves when the clock was advanced since the last call (at once if it was
    /// advanced in between); pending forever for the system clock.
    pub async fn changed(&mut self) {
        match &mut self.0 {
            Some(rx) => {
                if rx.changed().await.is_err() {
                    std::future::pending::<()>().await
                }
            }
            None => std::future::pending::<()>().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn manual_clock_moves_only_when_told() {
        let start = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let c = Clock::manual(start);
        let mut w = c.watch();
        assert_eq!(c.now(), start);
        c.advance(std::time::Duration::from_secs(15));
        w.changed().await; // resolves: an advance happened after the watch was made
        assert_eq!(c.now(), start + chrono::Duration::seconds(15));
    }
}
