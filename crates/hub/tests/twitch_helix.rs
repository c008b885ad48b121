//! Helix against the fake Twitch: the dashboard's stream info commands over the
//! socket, rate-limit headers, 429 and 5xx retries, 401 → one refresh (none for a
//! missing scope), and the circuit breaker.

use fake_twitch::{FakeConfig, FakeTwitch, Fault};
use landale_testkit::{join, push, twitch, ws, ws_anon, TestHub};
use landale_twitch::helix::{HelixError, BREAKER_THRESHOLD};
use serde_json::json;
use std::time::{Duration, Instant};

/// A hub signed in to a fresh fake Twitch, with EventSub's own Helix calls done.
async fn signed_in() -> (FakeTwitch, TestHub) {
    let (f, hub) = twitch::signed_in(
        FakeConfig::default(),
        &["channel:manage:broadcast", "channel:read:goals"],
    )
    .await;
    // EventSub subscribes through Helix as soon as the token is valid: let it finish,
    // so the counts below are this test's calls only.
    twitch::eventsub_until(&hub, "ready", |s| s.state == "ready").await;
    (f, hub)
}

#[tokio::test]
async fn stream_info_commands_round_trip_over_the_socket() {
    let (f, hub) = signed_in().await;
    let mut dash = ws(&hub.ws_url(), "").await;
    join(&mut dash, "stream:overlays", json!({})).await;

    let (status, info) = push(&mut dash, "stream:overlays", "get_channel_info", json!({})).await;
    assert_eq!(status, "ok", "{info}");
    assert_eq!(info["data"]["broadcaster_id"], "12826");
    assert_eq!(info["data"]["title"], "Building Landale");

    let (status, found) = push(
        &mut dash,
        "stream:overlays",
        "search_categories",
        json!({"query": "firered"}),
    )
    .await;
    assert_eq!(status, "ok");
    assert_eq!(found["data"][0]["id"], "490100");

    let change =
        json!({"title": "IronMON attempt 1001", "game_id": "490100", "broadcaster_language": "en"});
    let (status, r) = push(
        &mut dash,
        "stream:overlays",
        "update_channel_info",
        change.clone(),
    )
    .await;
    assert_eq!(status, "ok", "{r}");
    assert_eq!(f.channel()["title"], "IronMON attempt 1001");
    assert_eq!(f.channel()["game_name"], "Pokémon FireRed/LeafGreen");

    // Bad input is refused before Twitch sees it, by name.
    let calls = f.counters()["helix_calls"].as_u64().unwrap();
    let (status, r) = push(
        &mut dash,
        "stream:overlays",
        "update_channel_info",
        json!({"title": ""}),
    )
    .await;
    assert_eq!(status, "error");
    assert!(
        r["error"]["message"].as_str().unwrap().starts_with("title"),
        "{r}"
    );
    let (_, r) = push(
        &mut dash,
        "stream:overlays",
        "update_channel_info",
        json!({"colour": "red"}),
    )
    .await;
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("colour: not a channel field"),
        "{r}"
    );
    assert_eq!(f.counters()["helix_calls"].as_u64().unwrap(), calls);

    // A control: without the token, refused.
    let mut anon = ws_anon(&hub.ws_url(), "").await;
    join(&mut anon, "stream:overlays", json!({})).await;
    let (status, r) = push(&mut anon, "stream:overlays", "update_channel_info", change).await;
    assert_eq!(status, "error");
    assert_eq!(r["error"]["code"], "unauthorized");
    hub.stop().await;
}

#[tokio::test]
async fn rate_limits_server_errors_and_401s_are_retried() {
    let (f, hub) = signed_in().await;
    let helix = hub.hub().twitch.helix.clone();

    // 429 with a reset 1 s away: waited out, then answered.
    f.fault(Fault::RateLimit {
        count: 1,
        reset_secs: 1,
    });
    let t = Instant::now();
    assert_eq!(
        helix.channel_info().await.unwrap()["broadcaster_id"],
        "12826"
    );
    assert!(
        t.elapsed() >= Duration::from_millis(900),
        "waited for the reset: {:?}",
        t.elapsed()
    );

    // Two 503s, then success: retried with backoff.
    f.fault(Fault::ServerError { count: 2 });
    let before = f.counters()["helix_calls"].as_u64().unwrap();
    assert!(helix.search_categories("art").await.is_ok());
    assert_eq!(f.counters()["helix_calls"].as_u64().unwrap() - before, 3);

    // 401: one refresh, one retry.
    f.fault(Fault::InvalidateAccessTokens);
    assert_eq!(helix.goals().await.unwrap()[0]["type"], "follower");
    assert_eq!(f.counters()["refreshes"], 1);

    // A reset far away: a clear error at once, not a long hang; and until that reset
    // no call goes to Twitch at all (its headers said nothing is left).
    f.fault(Fault::RateLimit {
        count: 1,
        reset_secs: 120,
    });
    match helix.channel_info().await {
        Err(HelixError::RateLimited(s)) => assert!((100..=121).contains(&s), "{s}"),
        other => panic!("{other:?}"),
    }
    let calls = f.counters()["helix_calls"].as_u64().unwrap();
    assert!(matches!(
        helix.search_categories("art").await,
        Err(HelixError::RateLimited(_))
    ));
    assert_eq!(f.counters()["helix_calls"].as_u64().unwrap(), calls);
    hub.stop().await;
}

#[tokio::test]
async fn the_circuit_opens_after_repeated_failures() {
    let (f, hub) = signed_in().await;
    let helix = hub.hub().twitch.helix.clone();
    // Each call makes 3 attempts; enough failures for the threshold.
    f.fault(Fault::ServerError {
        count: 3 * BREAKER_THRESHOLD,
    });
    for _ in 0..BREAKER_THRESHOLD {
        assert!(matches!(
            helix.channel_info().await,
            Err(HelixError::Api { status: 503, .. })
        ));
    }
    let calls = f.counters()["helix_calls"].as_u64().unwrap();
    match helix.channel_info().await {
        Err(e @ HelixError::CircuitOpen(_)) => assert!(e.to_string().contains("paused")),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        f.counters()["helix_calls"].as_u64().unwrap(),
        calls,
        "no call while open"
    );
    hub.stop().await;
}

#[tokio::test]
async fn a_401_for_a_missing_scope_is_not_refreshed() {
    // No channel:read:goals: Twitch's 401 names the scope, and a new token would not
    // have it either.
    let (f, hub) = twitch::signed_in(FakeConfig::default(), &["channel:manage:broadcast"]).await;
    twitch::eventsub_until(&hub, "ready", |s| s.state == "ready").await;
    let before = f.counters();
    match hub.hub().twitch.helix.goals().await {
        Err(HelixError::Api {
            status: 401,
            message,
        }) => {
            assert!(message.contains("channel:read:goals"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    let after = f.counters();
    assert_eq!(after["refreshes"], before["refreshes"], "no refresh");
    assert_eq!(
        after["helix_calls"].as_u64().unwrap() - before["helix_calls"].as_u64().unwrap(),
        1,
        "no retry"
    );
    hub.stop().await;
}

#[tokio::test]
async fn cheermotes_redirect_to_the_tier_reached_from_one_kept_list() {
    let (f, hub) = signed_in().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let get = |path: String| {
        let client = client.clone();
        let url = hub.http(&path);
        async move { client.get(url).send().await.unwrap() }
    };
    let calls = || f.counters()["helix_calls"].as_u64().unwrap();
    let before = calls();

    let r = get("/cheermotes/Cheer/150".into()).await;
    assert_eq!(r.status(), 302);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert!(
        location.ends_with("/_fake/cheermotes/Cheer/100-dark-animated-2.svg"),
        "{location}"
    );
    // The image behind it is one.
    let image = reqwest::get(&location).await.unwrap();
    assert_eq!(image.headers()["content-type"], "image/svg+xml");

    // The channel's own prefix (the login), any case; the top tier; the list is kept.
    let r = get("/cheermotes/AVALONSTAR/25000".into()).await;
    assert_eq!(r.status(), 302);
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .contains("/avalonstar/10000-dark-animated-2.svg"));
    assert_eq!(calls(), before + 1, "one Helix call for both");

    // A prefix Twitch does not know, or one that is not a word: 404.
    for bad in [
        "/cheermotes/Kappa/100",
        "/cheermotes/..%2Fx/1",
        "/cheermotes/Cheer/lots",
    ] {
        let status = get(bad.into()).await.status();
        assert!(status == 404 || status == 400, "{bad}: {status}");
    }
    hub.stop().await;
}

#[tokio::test]
async fn cheermotes_are_a_404_and_one_call_a_minute_while_twitch_fails() {
    let (f, hub) = signed_in().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    f.fault(Fault::ServerError { count: 100 });
    let before = f.counters()["helix_calls"].as_u64().unwrap();
    for _ in 0..3 {
        let r = client
            .get(hub.http("/cheermotes/Cheer/100"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
    }
    // The first ask tried (with Helix's retries); the next two did not call again.
    let spent = f.counters()["helix_calls"].as_u64().unwrap() - before;
    assert_eq!(spent, landale_twitch::helix::ATTEMPTS as u64);
    hub.stop().await;
}
