//! Exponential backoff with jitter: the one implementation every reconnect and retry
//! uses (OBS, EventSub, Helix, tokens, and the services' hub link).
//!
//! A wait starts at `min`, doubles per attempt up to `max`, and is scaled by a random
//! factor from the jitter range, so many clients that lost the same server do not
//! come back in step.

use rand::Rng;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Backoff {
    min: Duration,
    max: Duration,
    jitter: (f64, f64),
    attempt: u32,
}

impl Backoff {
    /// `min` doubling to `max`, ±20 % jitter.
    pub fn new(min: Duration, max: Duration) -> Backoff {
        Backoff {
            min,
            max: max.max(min),
            jitter: (0.8, 1.2),
            attempt: 0,
        }
    }

    /// Scale each wait by a random factor in `low..high` instead of ±20 %.
    pub fn jitter(mut self, low: f64, high: f64) -> Backoff {
        self.jitter = (low.min(high), high.max(low));
        self
    }

    /// The wait before attempt `attempt` (0: the first retry), without jitter:
    /// `min · 2^attempt`, at most `max`.
    pub fn base(&self, attempt: u32) -> Duration {
        self.min
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.max)
    }

    /// The wait before attempt `attempt`, jittered.
    pub fn wait(&self, attempt: u32) -> Duration {
        jittered(self.base(attempt), self.jitter)
    }

    /// The next wait, jittered; each call counts one attempt.
    pub fn next_wait(&mut self) -> Duration {
        let wait = self.wait(self.attempt);
        self.attempt = self.attempt.saturating_add(1);
        wait
    }

    /// Attempts counted since the last [`Backoff::reset`].
    pub fn attempts(&self) -> u32 {
        self.attempt
    }

    /// Start again from `min` (after a success).
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

/// `wait` scaled by a random factor in `low..high` (exactly `low` when they are equal).
pub fn jittered(wait: Duration, (low, high): (f64, f64)) -> Duration {
    let factor = if high > low {
        rand::rng().random_range(low..high)
    } else {
        low
    };
    wait.mul_f64(factor.max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_from_min_to_max_within_the_jitter() {
        let s = Duration::from_secs;
        let mut b = Backoff::new(s(1), s(60));
        let waits: Vec<Duration> = (0..9).map(|_| b.next_wait()).collect();
        for (i, w) in waits.iter().enumerate() {
            let base = s(1u64 << i).min(s(60));
            assert!(
                *w >= base.mul_f64(0.8) && *w <= base.mul_f64(1.2),
                "attempt {i}: {w:?} not within ±20 % of {base:?}"
            );
        }
        assert_eq!(b.attempts(), 9);
        b.reset();
        assert_eq!(b.base(b.attempts()), s(1));
        assert_eq!(b.base(40), s(60), "no overflow on a long outage");
    }

    #[test]
    fn a_narrow_jitter_is_exact() {
        let mut b =
            Backoff::new(Duration::from_millis(250), Duration::from_secs(16)).jitter(1.0, 1.0);
        assert_eq!(b.next_wait(), Duration::from_millis(250));
        assert_eq!(b.next_wait(), Duration::from_millis(500));
    }
}
