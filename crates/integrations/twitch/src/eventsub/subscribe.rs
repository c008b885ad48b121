//! Creating the subscriptions of a session: the catalogue's EventSub types in order,
//! skipped without their scope, retried with backoff while the session lives when
//! they fail for a transient reason, and a 409 resolved by adopting or replacing
//! the subscription Twitch still holds.

use super::{EventSub, BACKOFF_MAX};
use crate::helix::{Helix, HelixError};
use crate::tokens::TokenState;
use landale_core::Backoff;
use landale_protocol::catalogue::{self, Condition};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// The JSON condition of a subscription for the signed-in user (every id is theirs).
pub fn condition(kind: Condition, user: &str) -> Value {
    match kind {
        Condition::Broadcaster => json!({"broadcaster_user_id": user}),
        Condition::Moderator => json!({"broadcaster_user_id": user, "moderator_user_id": user}),
        Condition::User => json!({"broadcaster_user_id": user, "user_id": user}),
        Condition::UserOnly => json!({"user_id": user}),
        Condition::RaidTo => json!({"to_broadcaster_user_id": user}),
    }
}

pub(super) enum SubResult {
    Made {
        kind: String,
        id: String,
        cost: u64,
    },
    Skipped(String),
    /// Not created; `retry` in this long, or never (a refusal).
    Failed {
        kind: String,
        why: String,
        retry: Option<Duration>,
    },
}

/// First wait before subscriptions that failed for a transient reason are retried.
const RETRY_MIN: Duration = Duration::from_secs(2);

/// Create every subscription the token's scopes allow, the catalogue's list in order (the
/// critical ones first, so the 10 s "unused" window is met). Ones that fail for a
/// transient reason (429, 5xx, network, open breaker) are retried with backoff and
/// jitter, never sooner than a rate-limit reset, for as long as the session lives;
/// a refusal (403, 400) is final for this session.
pub(super) async fn subscribe_all(
    es: Arc<EventSub>,
    user: String,
    session: String,
    out: mpsc::Sender<SubResult>,
) {
    let scopes = match es.tokens.state() {
        TokenState::Valid { scopes, .. } => scopes,
        _ => vec![],
    };
    let mut todo = vec![];
    // The catalogue's subscriptions, in its order (the critical ones first).
    for entry in catalogue::subscriptions() {
        match entry.1.scope {
            Some(scope) if !scopes.iter().any(|s| s == scope) => {
                let _ = out.send(SubResult::Skipped(entry.0.to_string())).await;
            }
            _ => todo.push(entry),
        }
    }
    let mut rounds = Backoff::new(RETRY_MIN, BACKOFF_MAX);
    loop {
        let mut again = vec![];
        let mut floor = Duration::ZERO;
        let mut left = todo.into_iter();
        while let Some(entry @ (kind, sub)) = left.next() {
            let condition = condition(sub.condition, &user);
            let body = json!({
                "type": kind, "version": sub.version, "condition": condition,
                "transport": {"method": "websocket", "session_id": session},
            });
            let r = match create(&es.helix, &body).await {
                // Twitch still has one of the same type and condition: ours from a try
                // whose answer was lost, or one bound to an older session it has not
                // yet noticed is gone (then it would never deliver here).
                Err(HelixError::Api { status: 409, .. }) => {
                    adopt_or_replace(&es.helix, kind, &condition, &session, &body).await
                }
                r => r,
            };
            let msg = match r {
                Ok((id, cost)) => SubResult::Made {
                    kind: kind.to_string(),
                    id,
                    cost,
                },
                Err(e) => {
                    let retry = e.is_transient().then(|| rounds.base(rounds.attempts()));
                    tracing::warn!(subscription = kind, error = %e, retrying = retry.is_some(), "EventSub subscription failed");
                    if retry.is_some() {
                        floor = floor.max(e.retry_after().unwrap_or_default());
                        again.push(entry);
                    }
                    // Rate limit, open breaker or token trouble: the rest of this round
                    // would meet the same answer (and ask for a refresh each time).
                    if retry.is_some() && e.ends_round() {
                        again.extend(left.by_ref());
                    }
                    SubResult::Failed {
                        kind: kind.to_string(),
                        why: e.to_string(),
                        retry,
                    }
                }
            };
            if out.send(msg).await.is_err() {
                return;
            }
        }
        if again.is_empty() {
            return;
        }
        tokio::time::sleep(rounds.next_wait().max(floor)).await;
        todo = again;
    }
}

/// Create one subscription: (id, cost).
async fn create(helix: &Helix, body: &Value) -> Result<(String, u64), HelixError> {
    let (_, b) = helix
        .call(
            reqwest::Method::POST,
            "/eventsub/subscriptions",
            &[],
            Some(body),
        )
        .await?;
    let d = &b["data"][0];
    Ok((
        d["id"].as_str().unwrap_or_default().to_string(),
        d["cost"].as_u64().unwrap_or(0),
    ))
}

/// After a 409: keep the existing subscription when it is on this session, otherwise
/// delete it and create ours.
async fn adopt_or_replace(
    helix: &Helix,
    kind: &str,
    condition: &Value,
    session: &str,
    body: &Value,
) -> Result<(String, u64), HelixError> {
    let (_, list) = helix
        .call(
            reqwest::Method::GET,
            "/eventsub/subscriptions",
            &[("type", kind)],
            None,
        )
        .await?;
    let existing = list["data"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["type"] == kind && s["condition"] == *condition);
    if let Some(s) = existing {
        let id = s["id"].as_str().unwrap_or_default().to_string();
        if s["transport"]["session_id"] == session {
            return Ok((id, s["cost"].as_u64().unwrap_or(0)));
        }
        tracing::info!(
            subscription = kind,
            "replacing a subscription bound to an older EventSub session"
        );
        match helix
            .call(
                reqwest::Method::DELETE,
                "/eventsub/subscriptions",
                &[("id", &id)],
                None,
            )
            .await
        {
            // Gone already: Twitch noticed the old session meanwhile.
            Ok(_) | Err(HelixError::Api { status: 404, .. }) => {}
            Err(e) => return Err(e),
        }
    }
    create(helix, body).await
}
