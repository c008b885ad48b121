//! EventSub against the fake Twitch, end to end to a channel subscriber: scope-gated
//! subscriptions, notifications through the pipeline (a redelivery once), the
//! session_reconnect handover with nothing lost, keepalive silence, every close code
//! 4000–4007, network loss without a close frame, 429s while subscribing, an access
//! token that dies mid-session, and a revocation; the overlay and system reads.

use fake_twitch::{FakeConfig, FakeTwitch, Fault};
use landale_testkit::{join, next, next_event, push, twitch, ws, TestHub, Ws};
use landale_twitch::eventsub::Status;
use serde_json::{json, Value};
use std::time::Duration;

const SCOPES: &[&str] = &[
    "moderator:read:followers",
    "user:read:chat",
    "channel:read:subscriptions",
];

async fn signed_in() -> (FakeTwitch, TestHub) {
    let config = FakeConfig {
        keepalive_secs: 1,
        ..FakeConfig::default()
    };
    twitch::signed_in(config, SCOPES).await
}

async fn ready(hub: &TestHub) -> Status {
    twitch::eventsub_until(hub, "ready", |s| {
        s.state == "ready" && s.subscription_count > 0
    })
    .await
}

/// After a fault: a reconnect whose reason mentions `why`, then a new session ready.
async fn reconnected(hub: &TestHub, before: &Status, why: &str) -> Status {
    let s =
        twitch::eventsub_until(hub, &format!("a reconnect ({why})"), |s| s.reconnects >= 1).await;
    assert!(
        s.last_error.as_deref().unwrap_or_default().contains(why),
        "{s:?}"
    );
    let after = ready(hub).await;
    assert_ne!(after.session_id, before.session_id, "a new session");
    after
}

fn follow(name: &str) -> Value {
    json!({"user_id": "9001", "user_login": name.to_lowercase(), "user_name": name,
           "broadcaster_user_id": "12826", "broadcaster_user_login": "avalonstar", "broadcaster_user_name": "Avalonstar",
           "followed_at": chrono::Utc::now().to_rfc3339()})
}

/// Follows seen on `events:all`, in order, until `last` arrives.
async fn follows_until(sock: &mut Ws, last: &str) -> Vec<String> {
    let mut seen = vec![];
    loop {
        let Some(f) = next(sock).await else {
            panic!("socket closed")
        };
        let p = &f[4];
        if p["type"] == "channel.follow" {
            let n = p["user_name"].as_str().unwrap_or_default().to_string();
            seen.push(n.clone());
            if n == last {
                return seen;
            }
        }
    }
}

async fn listener(hub: &TestHub) -> Ws {
    let mut sock = ws(&hub.ws_url(), "").await;
    join(&mut sock, "events:all", json!({})).await;
    sock
}

#[tokio::test]
async fn subscriptions_notifications_and_redelivery() {
    let (f, hub) = signed_in().await;
    let s = ready(&hub).await;
    let subs = f.subscriptions();
    let types: Vec<&str> = subs.iter().map(|s| s.0.as_str()).collect();
    assert!(
        types.contains(&"channel.follow")
            && types.contains(&"channel.chat.message")
            && types.contains(&"stream.online")
    );
    assert!(
        !types.contains(&"channel.cheer"),
        "no bits:read, no cheer subscription"
    );
    assert!(s.skipped.contains(&"channel.cheer".to_string()));
    let follow_sub = subs.iter().find(|s| s.0 == "channel.follow").unwrap();
    assert_eq!(follow_sub.1, "2");
    assert_eq!(
        follow_sub.2,
        json!({"broadcaster_user_id": "12826", "moderator_user_id": "12826"})
    );
    let raid = subs.iter().find(|s| s.0 == "channel.raid").unwrap();
    assert_eq!(raid.2, json!({"to_broadcaster_user_id": "12826"}));
    assert_eq!(s.subscription_count, subs.len());
    let health: Value = hub.get_json("/api/health").await;
    let tw = &health["services"]["twitch"];
    assert_eq!(tw["status"], "healthy", "{tw}");
    assert_eq!(tw["eventsub"]["session_id"], json!(s.session_id));

    let mut sock = listener(&hub).await;
    assert_eq!(
        f.notify("channel.follow", follow("Ann"), Some("msg-ann")),
        1
    );
    assert_eq!(
        f.notify("channel.follow", follow("Ann"), Some("msg-ann")),
        1,
        "Twitch redelivers"
    );
    f.notify("channel.follow", follow("Bob"), None);
    assert_eq!(
        follows_until(&mut sock, "Bob").await,
        ["Ann", "Bob"],
        "Ann once, then Bob"
    );
    twitch::eventsub_until(&hub, "one duplicate counted", |s| s.duplicates == 1).await;

    // Overlays read the live state, without a token.
    let mut ov = landale_testkit::ws_anon(&hub.ws_url(), "").await;
    join(&mut ov, "overlay:twitch", json!({})).await;
    let init = next_event(&mut ov, "initial_state").await;
    assert_eq!(init[4]["data"]["connected"], true, "{init}");
    assert_eq!(init[4]["data"]["status"]["status"], "healthy", "{init}");
    let (ok, status) = push(&mut ov, "overlay:twitch", "twitch:status", json!({})).await;
    assert_eq!(ok, "ok", "{status}");
    assert_eq!(status["eventsub"]["session_id"], json!(s.session_id));
    join(&mut ov, "overlay:system", json!({})).await;
    let (_, sys) = push(&mut ov, "overlay:system", "system:services", json!({})).await;
    assert_eq!(sys["twitch"]["connected"], true, "{sys}");
    assert_eq!(
        sys["twitch"]["subscriptions"]["enabled_subscriptions"],
        json!(subs.len()),
        "{sys}"
    );
    hub.stop().await;
}

#[tokio::test]
async fn session_reconnect_hands_over_without_losing_anything() {
    let (f, hub) = signed_in().await;
    ready(&hub).await;
    let mut sock = listener(&hub).await;
    let created = f.counters()["helix_calls"].as_u64().unwrap();
    let count = f.subscriptions().len();

    f.fault(Fault::Reconnect);
    // Sent during the handover: to the old connection until the new one is welcomed.
    f.notify("channel.follow", follow("Cy"), None);
    twitch::eventsub_until(&hub, "the handover done", |s| {
        s.handovers == 1 && s.state == "ready"
    })
    .await;
    tokio::time::timeout(Duration::from_secs(10), f.wait_connections(1))
        .await
        .expect("the old connection closed");
    f.notify("channel.follow", follow("Di"), None);
    assert_eq!(follows_until(&mut sock, "Di").await, ["Cy", "Di"]);
    assert_eq!(f.subscriptions().len(), count, "subscriptions carried over");
    assert_eq!(
        f.counters()["helix_calls"].as_u64().unwrap(),
        created,
        "none re-created"
    );
    assert_eq!(
        hub.hub().twitch.eventsub.status().reconnects,
        0,
        "a handover is not a reconnect"
    );
    hub.stop().await;
}

#[tokio::test]
async fn keepalive_silence_reconnects_and_resubscribes() {
    let (f, hub) = signed_in().await;
    let before = ready(&hub).await;
    f.fault(Fault::SilenceKeepalives);
    reconnected(&hub, &before, "keepalive").await;
    let mut sock = listener(&hub).await;
    f.notify("channel.follow", follow("Eve"), None);
    assert_eq!(follows_until(&mut sock, "Eve").await, ["Eve"]);
    hub.stop().await;
}

#[tokio::test]
async fn every_close_code_reconnects_with_a_clear_reason() {
    let (f, hub) = signed_in().await;
    ready(&hub).await;
    let mut sock = listener(&hub).await;
    for (i, code) in (4000u16..=4007).enumerate() {
        f.fault(Fault::Close { code });
        let s = twitch::eventsub_until(&hub, &format!("a reconnect after {code}"), |s| {
            s.reconnects as usize > i
        })
        .await;
        assert!(
            s.last_error
                .as_deref()
                .unwrap_or_default()
                .contains(&format!("({code})")),
            "{code}: {s:?}"
        );
        ready(&hub).await;
        let name = format!("After{code}");
        f.notify("channel.follow", follow(&name), None);
        assert_eq!(
            follows_until(&mut sock, &name).await,
            vec![name.clone()],
            "{code}: events flow again"
        );
    }
    hub.stop().await;
}

#[tokio::test]
async fn a_revocation_updates_the_count() {
    let (f, hub) = signed_in().await;
    let s = ready(&hub).await;
    f.fault(Fault::Revoke {
        sub_type: "channel.follow".into(),
        status: "authorization_revoked".into(),
    });
    let after = twitch::eventsub_until(&hub, "one fewer subscription", |x| {
        x.subscription_count == s.subscription_count - 1
    })
    .await;
    assert!(after
        .last_error
        .unwrap()
        .contains("channel.follow revoked: authorization_revoked"));
    hub.stop().await;
}

#[tokio::test]
async fn network_loss_without_a_close_frame_reconnects_and_resubscribes() {
    let (f, hub) = signed_in().await;
    let before = ready(&hub).await;
    let mut sock = listener(&hub).await;
    f.notify("channel.follow", follow("Fay"), None);
    assert_eq!(follows_until(&mut sock, "Fay").await, ["Fay"]);

    // Twitch has not noticed the loss: the old session's subscriptions are still
    // enabled, so every create on the new session conflicts (409). Landale must
    // replace them, not count the old ones (which deliver nowhere) as its own.
    f.fault(Fault::DropConnectionStale);
    reconnected(&hub, &before, "connection lost").await;
    twitch::eventsub_until(&hub, "every subscription again", |s| {
        s.state == "ready" && s.subscription_count == before.subscription_count
    })
    .await;
    assert_eq!(
        f.subscriptions().len(),
        before.subscription_count,
        "replaced, not doubled"
    );
    assert!(hub.hub().twitch.eventsub.status().failed.is_empty());
    assert_eq!(f.notify("channel.follow", follow("Gus"), None), 1);
    assert_eq!(
        follows_until(&mut sock, "Gus").await,
        ["Gus"],
        "Gus once, Fay not again"
    );
    hub.stop().await;
}

#[tokio::test]
async fn rate_limits_while_subscribing_are_waited_out_and_retried() {
    // Room for the waits before Twitch's "unused connection" cut-off.
    let f = twitch::fake(FakeConfig {
        keepalive_secs: 1,
        unused_timeout: Duration::from_secs(30),
        ..FakeConfig::default()
    })
    .await;
    // Four 429s, each with a reset a second away: the first subscription uses up its
    // three attempts, the second waits for the reset and gets through on a retry.
    f.fault(Fault::RateLimit {
        count: 4,
        reset_secs: 1,
    });
    let hub = twitch::signed_in_to(&f, SCOPES).await;
    let failing = twitch::eventsub_until(&hub, "a failed subscription", |s| {
        s.failed.contains(&"stream.online".to_string())
    })
    .await;
    let why = failing.last_error.clone().unwrap_or_default();
    assert!(why.contains("429") && why.contains("retrying"), "{why}");
    assert_ne!(failing.state, "ready", "not ready while one is missing");
    let health: Value = hub.get_json("/api/health").await;
    assert_eq!(
        health["services"]["twitch"]["status"], "degraded",
        "{health}"
    );

    let done = twitch::eventsub_until(&hub, "every subscription made", |s| {
        s.state == "ready" && s.failed.is_empty()
    })
    .await;
    let made = f.subscriptions();
    assert!(made.iter().any(|s| s.0 == "stream.online"), "retried");
    assert_eq!(done.subscription_count, made.len());
    assert_eq!(done.reconnects, 0, "no reconnect needed: {done:?}");
    let mut sock = listener(&hub).await;
    f.notify("channel.follow", follow("Hal"), None);
    assert_eq!(follows_until(&mut sock, "Hal").await, ["Hal"]);
    hub.stop().await;
}

#[tokio::test]
async fn an_access_token_that_dies_mid_session_is_refreshed_once_on_resubscribe() {
    let (f, hub) = signed_in().await;
    let before = ready(&hub).await;
    let refreshes = f.counters()["refreshes"].as_u64().unwrap();
    // Twitch ends the token early (a password change, say), then the session drops:
    // the new session's first subscription gets a 401.
    f.fault(Fault::InvalidateAccessTokens);
    f.fault(Fault::Close { code: 4000 });
    twitch::eventsub_until(&hub, "a reconnect", |s| s.reconnects >= 1).await;
    let after = twitch::eventsub_until(&hub, "ready on a new session", |s| {
        s.state == "ready"
            && s.session_id.is_some()
            && s.session_id != before.session_id
            && s.subscription_count == before.subscription_count
    })
    .await;
    assert!(after.failed.is_empty(), "{after:?}");
    assert_eq!(
        f.counters()["refreshes"].as_u64().unwrap(),
        refreshes + 1,
        "one refresh for the whole batch"
    );
    assert!(matches!(
        hub.hub().twitch.tokens.state(),
        landale_twitch::tokens::TokenState::Valid { .. }
    ));
    let mut sock = listener(&hub).await;
    f.notify("channel.follow", follow("Ivy"), None);
    assert_eq!(follows_until(&mut sock, "Ivy").await, ["Ivy"]);
    hub.stop().await;
}
