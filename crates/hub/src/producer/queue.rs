//! The alert queue: what waits for the screen, what is on it, and for how long.
//!
//! Items are kept in display order: priority descending, arrival ascending (ties keep
//! arrival order). Only the first item's clock runs; an item pushed ahead of it
//! preempts it, and the preempted item later resumes with the time it had left.
//! The queue is bounded ([`MAX_ITEMS`]): past the bound the lowest-priority item
//! that is not on screen is dropped, oldest first, and counted.
//!
//! Everything takes `now` from the caller, so the queue is a plain value that tests
//! drive with any clock.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::VecDeque;

pub const ALERT_PRIORITY: i64 = 100;
pub const SUB_TRAIN_PRIORITY: i64 = 50;
pub const TICKER_PRIORITY: i64 = 10;
/// Longest item (and takeover) duration accepted: 24 h.
pub const MAX_DURATION_MS: u64 = 24 * 3600 * 1000;
/// Queue bound (items, including the one on screen).
pub const MAX_ITEMS: usize = 50;
/// A wake-up later than this after an item's end is a clock jump (or a suspend).
const LATE_WAKE_MS: i64 = 1_000;
/// Alerts kept for `replay_alerts` and `GET /api/queue` (an evening's alerts; oldest
/// dropped first).
pub const HISTORY: usize = 200;

fn ms(d: u64) -> chrono::Duration {
    chrono::Duration::milliseconds(d.min(MAX_DURATION_MS) as i64)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub id: String,
    /// `alert`, `manual_override` or `sub_train`.
    pub kind: String,
    pub priority: i64,
    /// Full display time.
    pub duration_ms: u64,
    /// Display time left when its clock last stopped (or its full duration).
    pub remaining_ms: u64,
    pub queued_at: DateTime<Utc>,
    /// Last change to the item (a sub train's extension, a coalesced alert).
    pub touched_at: DateTime<Utc>,
    /// First time it was on screen.
    pub started_at: Option<DateTime<Utc>>,
    /// Set while its clock runs (it is the first item and the queue is not paused).
    pub running_since: Option<DateTime<Utc>>,
    pub arrival: u64,
    pub data: Value,
    /// Identity for coalescing identical alerts (`follow:<login>`, ...).
    pub key: Option<String>,
}

impl Item {
    /// Display time left at `now`.
    pub fn left(&self, now: DateTime<Utc>) -> u64 {
        match self.running_since {
            Some(since) => {
                let ran = (now - since).num_milliseconds().max(0) as u64;
                self.remaining_ms.saturating_sub(ran)
            }
            None => self.remaining_ms,
        }
    }

    /// When it leaves the screen, if its clock runs.
    pub fn ends_at(&self) -> Option<DateTime<Utc>> {
        self.running_since.map(|s| s + ms(self.remaining_ms))
    }
}

/// What a new item is.
#[derive(Debug, Clone)]
pub struct NewItem {
    pub kind: &'static str,
    pub priority: i64,
    pub duration_ms: u64,
    pub data: Value,
    pub key: Option<String>,
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Queue {
    pub items: Vec<Item>,
    pub paused: bool,
    next_arrival: u64,
    /// Alerts that were on screen, oldest first (for replay).
    pub history: VecDeque<Item>,
    pub dropped: u64,
    pub coalesced: u64,
    pub last_processed: Option<DateTime<Utc>>,
}

impl Queue {
    fn stop_clock(&mut self, now: DateTime<Utc>) {
        if let Some(first) = self.items.first_mut() {
            if first.running_since.is_some() {
                first.remaining_ms = first.left(now);
                first.running_since = None;
            }
        }
    }

    fn start_clock(&mut self, at: DateTime<Utc>) {
        if self.paused {
            return;
        }
        if let Some(first) = self.items.first_mut() {
            if first.running_since.is_none() {
                first.running_since = Some(at);
                if first.started_at.is_none() {
                    first.started_at = Some(at);
                    if first.kind == "alert" {
                        tracing::info!(alert = %first.id, event_id = %first.data["event_id"].as_str().unwrap_or(""), "alert on air");
                    }
                }
            }
        }
    }

    fn retire(&mut self, item: Item, at: DateTime<Utc>) {
        self.last_processed = Some(at);
        if item.kind == "alert" && item.started_at.is_some() {
            if self.history.len() == HISTORY {
                self.history.pop_front();
            }
            self.history.push_back(item);
        }
    }

    /// Add an item in display order. Returns its id, and the item dropped to keep
    /// the bound (which may be the new one).
    pub fn push(&mut self, now: DateTime<Utc>, new: NewItem, id: String) -> (String, Option<Item>) {
        self.stop_clock(now);
        self.next_arrival += 1;
        let duration = new.duration_ms.clamp(1, MAX_DURATION_MS);
        let item = Item {
            id: id.clone(),
            kind: new.kind.to_string(),
            priority: new.priority,
            duration_ms: duration,
            remaining_ms: duration,
            queued_at: now,
            touched_at: now,
            started_at: None,
            running_since: None,
            arrival: self.next_arrival,
            data: new.data,
            key: new.key,
        };
        let pos = self.items.partition_point(|i| i.priority >= item.priority);
        self.items.insert(pos, item);
        let dropped = if self.items.len() > MAX_ITEMS {
            // Never the item on screen (index 0); the lowest priority, oldest first.
            let victim = (1..self.items.len())
                .min_by_key(|&i| (self.items[i].priority, self.items[i].arrival))
                .expect("more than one item");
            self.dropped += 1;
            Some(self.items.remove(victim))
        } else {
            None
        };
        self.start_clock(now);
        (id, dropped)
    }

    /// Retire every item whose time is up, chaining the next one from the moment the
    /// previous ended. True when anything changed.
    pub fn settle(&mut self, now: DateTime<Utc>) -> bool {
        let mut changed = false;
        while let Some(end) = self.items.first().and_then(Item::ends_at) {
            if end > now {
                break;
            }
            let done = self.items.remove(0);
            self.retire(done, end);
            // Chain from the end when the wake-up was on time; after a clock jump or a
            // suspend the next item starts now rather than expiring unseen.
            let late = now - end > chrono::Duration::milliseconds(LATE_WAKE_MS);
            self.start_clock(if late { now } else { end });
            changed = true;
        }
        changed
    }

    pub fn next_end(&self) -> Option<DateTime<Utc>> {
        self.items.first().and_then(Item::ends_at)
    }

    /// The first item, when it is on screen.
    pub fn on_screen(&self) -> Option<&Item> {
        self.items.first().filter(|i| i.running_since.is_some())
    }

    /// The newest item with this coalescing key queued at or after `since`.
    pub fn newest_with_key_since(&mut self, key: &str, since: DateTime<Utc>) -> Option<&mut Item> {
        self.items
            .iter_mut()
            .filter(|i| i.key.as_deref() == Some(key) && i.queued_at >= since)
            .max_by_key(|i| i.arrival)
    }

    pub fn find_kind_mut(&mut self, kind: &str) -> Option<&mut Item> {
        self.items.iter_mut().find(|i| i.kind == kind)
    }

    pub fn get_mut(&mut self, id: &str) -> Option<&mut Item> {
        self.items.iter_mut().find(|i| i.id == id)
    }

    /// Give an item its full duration again from `now` (a sub train's extension).
    pub fn rearm(&mut self, id: &str, now: DateTime<Utc>, duration_ms: u64) {
        if let Some(i) = self.get_mut(id) {
            i.duration_ms = duration_ms;
            i.remaining_ms = duration_ms;
            i.touched_at = now;
            if i.running_since.is_some() {
                i.running_since = Some(now);
            }
        }
    }

    pub fn remove(&mut self, id: &str, now: DateTime<Utc>) -> Option<Item> {
        let pos = self.items.iter().position(|i| i.id == id)?;
        self.stop_clock(now);
        let gone = self.items.remove(pos);
        self.retire(gone.clone(), now);
        self.start_clock(now);
        Some(gone)
    }

    /// Take the first item off (whether or not it is on screen).
    pub fn skip(&mut self, now: DateTime<Utc>) -> Option<Item> {
        let id = self.items.first()?.id.clone();
        self.remove(&id, now)
    }

    pub fn clear(&mut self, now: DateTime<Utc>) -> usize {
        self.stop_clock(now);
        let n = self.items.len();
        let items = std::mem::take(&mut self.items);
        for i in items {
            self.retire(i, now);
        }
        n
    }

    /// Stop showing items; the one on screen keeps the time it had left.
    pub fn pause(&mut self, now: DateTime<Utc>) -> bool {
        if self.paused {
            return false;
        }
        self.stop_clock(now);
        self.paused = true;
        true
    }

    pub fn resume(&mut self, now: DateTime<Utc>) -> bool {
        if !self.paused {
            return false;
        }
        self.paused = false;
        self.start_clock(now);
        true
    }

    /// The last `n` alerts that were on screen, oldest first, as new items.
    pub fn replayable(&self, n: usize) -> Vec<Item> {
        let skip = self.history.len().saturating_sub(n);
        self.history.iter().skip(skip).cloned().collect()
    }

    /// After a restart at `now`: an item whose time ran out while the hub was down
    /// is gone (not replayed); waiting items untouched for longer than `stale_ms`
    /// are dropped; the first item's clock runs again.
    pub fn restored(&mut self, now: DateTime<Utc>, stale_ms: u64) -> Vec<Item> {
        let mut gone = Vec::new();
        if let Some(end) = self.next_end() {
            if end <= now {
                let done = self.items.remove(0);
                self.last_processed = Some(end);
                gone.push(done);
            }
        }
        let cutoff = now - ms(stale_ms);
        let (keep, stale): (Vec<Item>, Vec<Item>) = std::mem::take(&mut self.items)
            .into_iter()
            .partition(|i| self.paused || i.running_since.is_some() || i.touched_at >= cutoff);
        self.items = keep;
        gone.extend(stale);
        // A running item keeps its wall-clock deadline; anything else starts now.
        self.start_clock(now);
        gone
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap()
    }

    fn alert(p: i64, d: u64, name: &str) -> NewItem {
        NewItem {
            kind: "alert",
            priority: p,
            duration_ms: d,
            data: json!({"user_name": name}),
            key: None,
        }
    }

    fn names(q: &Queue) -> Vec<String> {
        q.items
            .iter()
            .map(|i| i.data["user_name"].as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn one_at_a_time_in_arrival_order() {
        let mut q = Queue::default();
        q.push(t(0), alert(100, 10_000, "a"), "1".into());
        q.push(t(1), alert(100, 10_000, "b"), "2".into());
        assert_eq!(names(&q), ["a", "b"]);
        assert_eq!(q.next_end(), Some(t(10)));
        assert!(!q.settle(t(9)));
        assert!(q.settle(t(10)));
        assert_eq!(names(&q), ["b"]);
        // b started when a ended, not when settle ran.
        assert_eq!(q.items[0].started_at, Some(t(10)));
        assert_eq!(q.next_end(), Some(t(20)));
        assert!(q.settle(t(20)));
        assert!(q.items.is_empty());
        assert_eq!(q.history.len(), 2);
    }

    #[test]
    fn a_clock_jump_does_not_flush_the_queue_unseen() {
        let mut q = Queue::default();
        q.push(t(0), alert(100, 10_000, "a"), "1".into());
        q.push(t(0), alert(100, 10_000, "b"), "2".into());
        assert!(q.settle(t(3600)), "woke an hour late");
        assert_eq!(names(&q), ["b"]);
        assert_eq!(q.next_end(), Some(t(3610)), "b gets its full time from now");
    }

    #[test]
    fn preemption_resumes_with_remaining_time() {
        let mut q = Queue::default();
        q.push(t(0), alert(50, 300_000, "train"), "t".into());
        q.push(t(100), alert(100, 10_000, "alert"), "a".into());
        assert_eq!(names(&q), ["alert", "train"]);
        assert_eq!(
            q.items[1].remaining_ms, 200_000,
            "the train paused with 200 s left"
        );
        assert!(q.items[1].running_since.is_none());
        q.settle(t(110));
        assert_eq!(names(&q), ["train"]);
        assert_eq!(
            q.next_end(),
            Some(t(310)),
            "resumed at 110 s with 200 s left"
        );
    }

    #[test]
    fn bound_drops_lowest_priority_oldest_first() {
        let mut q = Queue::default();
        q.push(t(0), alert(100, 1000, "shown"), "s".into());
        for i in 0..(MAX_ITEMS - 1) {
            q.push(
                t(0),
                alert(if i < 2 { 10 } else { 100 }, 1000, &format!("n{i}")),
                format!("{i}"),
            );
        }
        assert_eq!(q.items.len(), MAX_ITEMS);
        let (_, dropped) = q.push(t(0), alert(100, 1000, "new"), "new".into());
        assert_eq!(
            dropped.unwrap().data["user_name"],
            "n0",
            "lowest priority, oldest"
        );
        let (_, dropped) = q.push(t(0), alert(5, 1000, "low"), "low".into());
        assert_eq!(
            dropped.unwrap().data["user_name"],
            "low",
            "the new item is the lowest"
        );
        assert_eq!(q.dropped, 2);
        assert_eq!(q.items[0].data["user_name"], "shown");
    }

    #[test]
    fn pause_keeps_time_left() {
        let mut q = Queue::default();
        q.push(t(0), alert(100, 10_000, "a"), "a".into());
        assert!(q.pause(t(4)));
        assert!(q.on_screen().is_none());
        assert!(!q.settle(t(100)));
        assert!(q.resume(t(100)));
        assert_eq!(q.next_end(), Some(t(106)));
    }

    #[test]
    fn restart_drops_expired_and_stale() {
        let mut q = Queue::default();
        q.push(t(0), alert(100, 10_000, "a"), "a".into());
        q.push(t(0), alert(100, 10_000, "b"), "b".into());
        let mut r = q.clone();
        assert!(r.restored(t(3), 600_000).is_empty());
        assert_eq!(r.next_end(), Some(t(10)), "mid-display keeps its deadline");
        let gone = q.restored(t(12), 600_000);
        assert_eq!(gone.len(), 1);
        assert_eq!(names(&q), ["b"]);
        assert_eq!(q.next_end(), Some(t(22)));
        let mut s = Queue::default();
        s.push(t(0), alert(100, 10_000, "a"), "a".into());
        s.push(t(0), alert(100, 10_000, "b"), "b".into());
        assert_eq!(
            s.restored(t(3600), 600_000).len(),
            2,
            "both gone after an hour"
        );
        let mut p = Queue::default();
        p.push(t(0), alert(100, 10_000, "a"), "a".into());
        p.push(t(0), alert(100, 10_000, "b"), "b".into());
        p.pause(t(2));
        assert!(
            p.restored(t(3600), 600_000).is_empty(),
            "a paused queue is kept"
        );
        assert_eq!(p.items[0].remaining_ms, 8_000);
    }
}
