//! Subs: the sub train a sub or resub starts or extends, and gift bombs, whose
//! gifted subs (which EventSub does not order) become one alert's recipients.

use super::*;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct OpenBomb {
    /// `None` when the bomb's alert was dropped at the queue bound.
    pub(super) item_id: Option<String>,
    pub(super) expected: u64,
    pub(super) absorbed: u64,
    pub(super) opened_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Orphan {
    pub(super) user_name: String,
    pub(super) at: DateTime<Utc>,
}

impl Machine {
    pub(super) fn sub_train(&mut self, now: DateTime<Utc>, e: &Event) {
        let user = user_of(e);
        let tier = e.str_field("tier").unwrap_or("1000").to_string();
        let months = e
            .field("cumulative_months")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        let style = if e.kind == "channel.subscription.message" {
            "resub"
        } else {
            "sub"
        };
        let settings = self.alert_settings.get(style);
        if !settings.enabled || months < settings.min_amount {
            return;
        }
        if let Some(train) = self.queue.find_kind_mut("sub_train") {
            let count = train.data["count"].as_u64().unwrap_or(1).saturating_add(1);
            let total = train.data["total_months"]
                .as_u64()
                .unwrap_or(0)
                .saturating_add(months);
            train.data["count"] = json!(count);
            train.data["latest_subscriber"] = json!(user);
            train.data["latest_tier"] = json!(tier);
            train.data["latest_months"] = json!(months);
            train.data["style"] = json!(style);
            train.data["total_months"] = json!(total);
            let id = train.id.clone();
            self.queue.rearm(&id, now, SUB_TRAIN_DURATION_MS);
            self.touch();
        } else {
            let data = json!({"subscriber": user, "tier": tier, "latest_subscriber": user,
                              "latest_tier": tier, "latest_months": months, "style": style,
                              "count": 1, "total_months": months});
            self.add(
                now,
                NewItem {
                    kind: "sub_train",
                    priority: SUB_TRAIN_PRIORITY,
                    duration_ms: SUB_TRAIN_DURATION_MS,
                    data,
                    key: None,
                },
            );
        }
    }

    pub(super) fn prune_gifts(&mut self, now: DateTime<Utc>) {
        let window = chrono::Duration::milliseconds(GIFT_WINDOW_MS);
        self.bombs
            .retain(|b| b.absorbed < b.expected && now - b.opened_at <= window);
        self.orphans.retain(|o| now - o.at <= window);
    }

    pub(super) fn add_recipient(&mut self, item_id: &str, name: String) {
        if let Some(item) = self.queue.get_mut(item_id) {
            if let Some(list) = item
                .data
                .get_mut("recipients")
                .and_then(Value::as_array_mut)
            {
                if list.len() < RECIPIENTS_KEPT {
                    list.push(json!(name));
                }
            }
        }
    }

    /// A gifted `channel.subscribe`: it belongs to a gift bomb's alert, never its own.
    pub(super) fn gifted_sub(&mut self, now: DateTime<Utc>, e: &Event) {
        self.prune_gifts(now);
        let user = user_of(e);
        self.queue.coalesced += 1;
        if let Some(b) = self.bombs.front_mut() {
            b.absorbed += 1;
            if let Some(id) = b.item_id.clone() {
                self.add_recipient(&id, user);
                self.touch();
            }
        } else {
            // Its bomb has not arrived yet (EventSub does not order them).
            if self.orphans.len() >= 500 {
                self.orphans.pop_front();
            }
            self.orphans.push_back(Orphan {
                user_name: user,
                at: now,
            });
        }
    }

    pub(super) fn gift_bomb(&mut self, now: DateTime<Utc>, e: &Event) {
        self.prune_gifts(now);
        let anonymous = e.field("is_anonymous") == Some(&Value::Bool(true));
        let gifter = if anonymous {
            "Anonymous".to_string()
        } else {
            user_of(e)
        };
        let total = e.field("total").and_then(Value::as_u64).unwrap_or(1).max(1);
        let take = (total as usize).min(self.orphans.len());
        let early: Vec<String> = self.orphans.drain(..take).map(|o| o.user_name).collect();
        let mut data = json!({"type": e.kind, "user_name": gifter, "total": total,
                              "tier": e.str_field("tier").unwrap_or("1000"), "is_anonymous": anonymous,
                              "event_id": e.id, "recipients": early.iter().take(RECIPIENTS_KEPT).collect::<Vec<_>>()});
        copy_fields(e, &mut data, &["cumulative_total"]);
        let key = (!anonymous).then(|| format!("gift:{}", gifter.to_lowercase()));
        let id = self.alert(now, "gift", total, key, data, |into, new| {
            let t = into["total"]
                .as_u64()
                .unwrap_or(0)
                .saturating_add(new["total"].as_u64().unwrap_or(0));
            into["total"] = json!(t);
            if let (Some(dst), Some(src)) = (
                into["recipients"].as_array().cloned(),
                new["recipients"].as_array(),
            ) {
                let mut all = dst;
                all.extend(src.iter().cloned());
                all.truncate(RECIPIENTS_KEPT);
                into["recipients"] = Value::Array(all);
            }
        });
        let expected = total - take as u64;
        if expected > 0 {
            self.bombs.push_back(OpenBomb {
                item_id: id,
                expected,
                absorbed: 0,
                opened_at: now,
            });
        }
    }
}
