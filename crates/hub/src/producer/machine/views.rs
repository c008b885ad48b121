//! What the machine's state looks like to clients: the `stream_state` and
//! `queue_state` contracts and the `takeover` push.

use super::*;

impl Machine {
    pub(super) fn item_json(&self, i: &Item) -> Value {
        json!({
            "id": i.id,
            "type": i.kind,
            "layer": layer_for(&self.show, &i.kind),
            "priority": i.priority,
            "started_at": iso(i.started_at.unwrap_or(i.queued_at)),
            "duration": i.duration_ms,
            "data": i.data,
        })
    }

    pub(super) fn base_json(&self, now: DateTime<Utc>) -> Value {
        let Some(t) = self.base_type() else {
            return Value::Null;
        };
        json!({
            "id": format!("ticker-{t}"),
            "type": t,
            "layer": layer_for(&self.show, t),
            "priority": TICKER_PRIORITY,
            "started_at": iso(self.base_started_at),
            "duration": TICKER_INTERVAL_MS,
            "data": self.content.content(t, now),
        })
    }

    /// The `stream_state` contract (docs/schema/stream_state.schema.json).
    pub fn stream_state(&self, now: DateTime<Utc>) -> Value {
        let alerts: Vec<Value> = if self.queue.paused {
            Vec::new()
        } else {
            self.queue.items.iter().map(|i| self.item_json(i)).collect()
        };
        let timeline: Vec<Value> = self
            .timeline
            .iter()
            .map(|t| {
                let mut t = t.clone();
                let layer = layer_for(&self.show, t["type"].as_str().unwrap_or(""));
                t["layer"] = json!(layer);
                t
            })
            .collect();
        json!({
            "current_show": self.show,
            "base": self.base_json(now),
            "alerts": alerts,
            "ticker": self.ticker,
            "timeline": timeline,
            "metadata": {"last_updated": iso(self.last_updated), "state_version": self.version},
        })
    }

    /// The `queue_state` contract (docs/schema/queue_state.schema.json). Waits are in
    /// ms: `wait_time` is how long an item has waited to be shown (0 once shown),
    /// `estimated_start` how long until it should be, given the items ahead of it.
    pub fn queue_state(&self, now: DateTime<Utc>) -> Value {
        let q = &self.queue;
        let mut ahead = 0u64;
        let mut waits = Vec::new();
        let queue: Vec<Value> = q
            .items
            .iter()
            .enumerate()
            .map(|(pos, i)| {
                let status = if q.paused {
                    "paused"
                } else if i.running_since.is_some() {
                    "active"
                } else if i.started_at.is_some() {
                    "interrupted"
                } else {
                    "pending"
                };
                let wait = if i.started_at.is_none() {
                    let w = (now - i.queued_at).num_milliseconds().max(0) as u64;
                    waits.push(w);
                    w
                } else {
                    0
                };
                let left = i.left(now);
                let v = json!({
                    "id": i.id,
                    "type": i.kind,
                    "priority": i.priority,
                    "content_type": i.data.get("type").and_then(Value::as_str).unwrap_or(&i.kind),
                    "data": i.data,
                    "duration": i.duration_ms,
                    "remaining": left,
                    "started_at": iso(i.started_at.unwrap_or(i.queued_at)),
                    "queued_at": iso(i.queued_at),
                    "status": status,
                    "position": pos,
                    "wait_time": wait,
                    "estimated_start": ahead,
                });
                ahead += left;
                v
            })
            .collect();
        let avg = if waits.is_empty() {
            0
        } else {
            waits.iter().sum::<u64>() / waits.len() as u64
        };
        let active = usize::from(q.on_screen().is_some());
        json!({
            "queue": queue,
            "metadata": {
                "total_items": q.items.len(),
                "active_items": active,
                "pending_items": q.items.len() - active,
                "average_wait_time": avg,
                "last_processed": q.last_processed.map(iso),
                "dropped_items": q.dropped,
                "coalesced_items": q.coalesced,
                "paused": q.paused,
            },
            "is_processing": active == 1,
            "is_paused": q.paused,
        })
    }

    /// The alerts that were on screen, oldest first (`GET /api/queue`'s `history`).
    pub fn queue_history(&self) -> Value {
        self.queue
            .history
            .iter()
            .map(|i| {
                json!({
                    "id": i.id,
                    "content_type": i.data.get("type").and_then(Value::as_str).unwrap_or(&i.kind),
                    "started_at": i.started_at.map(iso),
                    "data": i.data,
                })
            })
            .collect()
    }

    /// The `takeover` push for a client joining while one is up (remaining duration).
    pub fn takeover_push(&self, now: DateTime<Utc>) -> Option<Value> {
        let t = self.takeover.as_ref()?;
        let duration = match t.ends_at() {
            Some(end) => (end - now).num_milliseconds().max(1),
            None => 0,
        };
        Some(
            json!({"type": t.kind, "message": t.message, "duration": duration,
                    "timestamp": iso(t.started_at), "id": t.id}),
        )
    }
}
