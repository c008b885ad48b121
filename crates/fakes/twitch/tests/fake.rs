//! The fake follows Twitch's documented flows; these check it on its own, so a
//! failure in Landale's Twitch tests points at Landale, not at the fake.

use fake_twitch::{FakeConfig, FakeTwitch, Fault};
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

async fn start(config: FakeConfig) -> FakeTwitch {
    FakeTwitch::start(config, ([127, 0, 0, 1], 0).into())
        .await
        .unwrap()
        .0
}

async fn next_json(
    ws: &mut (impl StreamExt<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin),
) -> Result<Value, Option<u16>> {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a frame within 10 s")
        {
            Some(Ok(Message::Text(t))) => return Ok(serde_json::from_str(&t).unwrap()),
            Some(Ok(Message::Close(c))) => return Err(c.map(|c| u16::from(c.code))),
            Some(Ok(_)) => continue,
            _ => return Err(None),
        }
    }
}

#[tokio::test]
async fn device_flow_validate_and_refresh() {
    let fake = start(FakeConfig::default()).await;
    let http = reqwest::Client::new();
    let d: Value = http
        .post(format!("{}/device", fake.auth_url()))
        .form(&[
            ("client_id", "fake-client-id"),
            ("scopes", "user:read:chat bits:read"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let code = d["device_code"].as_str().unwrap();
    let poll = || {
        http.post(format!("{}/token", fake.auth_url()))
            .form(&[
                ("client_id", "fake-client-id"),
                ("device_code", code),
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ])
            .send()
    };
    let first = poll().await.unwrap();
    assert_eq!(first.status(), 400);
    assert_eq!(
        first.json::<Value>().await.unwrap()["message"],
        "authorization_pending"
    );
    let t: Value = poll().await.unwrap().json().await.unwrap();
    assert_eq!(t["scope"], json!(["user:read:chat", "bits:read"]));
    let access = t["access_token"].as_str().unwrap();
    let v: Value = http
        .get(format!("{}/validate", fake.auth_url()))
        .header("authorization", format!("OAuth {access}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["user_id"], "12826");

    let refresh = t["refresh_token"].as_str().unwrap();
    let r = http
        .post(format!("{}/token", fake.auth_url()))
        .form(&[
            ("client_id", "fake-client-id"),
            ("client_secret", "fake-client-secret"),
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // A used refresh token is gone; an expired one says so.
    let again = http
        .post(format!("{}/token", fake.auth_url()))
        .form(&[
            ("client_id", "fake-client-id"),
            ("client_secret", "fake-client-secret"),
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        again.json::<Value>().await.unwrap()["message"],
        "Invalid refresh token"
    );
}

#[tokio::test]
async fn helix_channel_rate_limit_and_401() {
    let fake = start(FakeConfig::default()).await;
    let (access, _) = fake.issue_tokens(&["channel:manage:broadcast"]);
    let http = reqwest::Client::new();
    let get = || {
        http.get(format!("{}/channels?broadcaster_id=12826", fake.api_url()))
            .bearer_auth(&access)
            .header("client-id", "fake-client-id")
            .send()
    };
    let r = get().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("ratelimit-remaining"));
    let patch = http
        .patch(format!("{}/channels?broadcaster_id=12826", fake.api_url()))
        .bearer_auth(&access)
        .header("client-id", "fake-client-id")
        .json(&json!({"title": "New title", "game_id": "490100"}))
        .send()
        .await
        .unwrap();
    assert_eq!(patch.status(), 204);
    assert_eq!(fake.channel()["game_name"], "Pokémon FireRed/LeafGreen");
    let no_query = http
        .patch(format!("{}/channels", fake.api_url()))
        .bearer_auth(&access)
        .header("client-id", "fake-client-id")
        .json(&json!({"title": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(no_query.status(), 400);

    fake.fault(Fault::RateLimit {
        count: 1,
        reset_secs: 2,
    });
    let limited = get().await.unwrap();
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["ratelimit-remaining"], "0");
    assert_eq!(get().await.unwrap().status(), 200, "one 429 only");

    fake.fault(Fault::InvalidateAccessTokens);
    assert_eq!(get().await.unwrap().status(), 401);
}

#[tokio::test]
async fn eventsub_welcome_subscribe_notify_reconnect_revoke() {
    let fake = start(FakeConfig {
        keepalive_secs: 1,
        ..FakeConfig::default()
    })
    .await;
    let (access, _) = fake.issue_tokens(&["moderator:read:followers"]);
    let (mut ws, _) = tokio_tungstenite::connect_async(fake.eventsub_url())
        .await
        .unwrap();
    let welcome = next_json(&mut ws).await.unwrap();
    assert_eq!(welcome["metadata"]["message_type"], "session_welcome");
    let session = welcome["payload"]["session"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    let http = reqwest::Client::new();
    let create = |t: &'static str| {
        http.post(format!("{}/eventsub/subscriptions", fake.api_url()))
        .bearer_auth(&access).header("client-id", "fake-client-id")
        .json(&json!({"type": t, "version": "2", "condition": {"broadcaster_user_id": "12826", "moderator_user_id": "12826"},
            "transport": {"method": "websocket", "session_id": session}}))
        .send()
    };
    assert_eq!(create("channel.follow").await.unwrap().status(), 202);
    assert_eq!(create("channel.follow").await.unwrap().status(), 409);
    assert_eq!(
        create("channel.cheer").await.unwrap().status(),
        403,
        "missing bits:read"
    );

    // Keepalive after a quiet second, then a notification.
    assert_eq!(
        next_json(&mut ws).await.unwrap()["metadata"]["message_type"],
        "session_keepalive"
    );
    assert_eq!(
        fake.notify("channel.follow", json!({"user_name": "Ann"}), None),
        1
    );
    let n = loop {
        let m = next_json(&mut ws).await.unwrap();
        if m["metadata"]["message_type"] == "notification" {
            break m;
        }
    };
    assert_eq!(n["payload"]["event"]["user_name"], "Ann");
    assert_eq!(n["metadata"]["subscription_type"], "channel.follow");

    // session_reconnect: a new connection to the URL keeps the session; the old closes.
    fake.fault(Fault::Reconnect);
    let url = loop {
        let m = next_json(&mut ws).await.unwrap();
        if m["metadata"]["message_type"] == "session_reconnect" {
            break m["payload"]["session"]["reconnect_url"]
                .as_str()
                .unwrap()
                .to_string();
        }
    };
    let (mut ws2, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let w2 = next_json(&mut ws2).await.unwrap();
    assert_eq!(w2["payload"]["session"]["id"], session.as_str());
    let closed = loop {
        match next_json(&mut ws).await {
            Ok(_) => continue,
            Err(code) => break code,
        };
    };
    assert_eq!(closed, Some(1000));
    assert_eq!(fake.subscriptions().len(), 1, "subscriptions carry over");

    fake.fault(Fault::Revoke {
        sub_type: "channel.follow".into(),
        status: "authorization_revoked".into(),
    });
    let r = loop {
        let m = next_json(&mut ws2).await.unwrap();
        if m["metadata"]["message_type"] == "revocation" {
            break m;
        }
    };
    assert_eq!(
        r["payload"]["subscription"]["status"],
        "authorization_revoked"
    );
    assert!(fake.subscriptions().is_empty());

    fake.fault(Fault::Close { code: 4005 });
    assert_eq!(
        loop {
            match next_json(&mut ws2).await {
                Ok(_) => continue,
                Err(c) => break c,
            }
        },
        Some(4005)
    );
}

#[tokio::test]
async fn an_unused_connection_is_closed_with_4003() {
    let fake = start(FakeConfig {
        unused_timeout: Duration::from_millis(200),
        ..FakeConfig::default()
    })
    .await;
    let (mut ws, _) = tokio_tungstenite::connect_async(fake.eventsub_url())
        .await
        .unwrap();
    next_json(&mut ws).await.unwrap();
    let code = loop {
        match next_json(&mut ws).await {
            Ok(_) => continue,
            Err(c) => break c,
        }
    };
    assert_eq!(code, Some(4003));
}

#[tokio::test]
async fn control_routes_issue_tokens_script_faults_and_report_state() {
    let fake = start(FakeConfig {
        keepalive_secs: 1,
        ..FakeConfig::default()
    })
    .await;
    let base = format!("http://{}", fake.addr());
    let http = reqwest::Client::new();
    let t: Value = http
        .post(format!("{base}/_fake/tokens"))
        .json(&json!({"scopes": ["user:read:chat"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = t["access_token"].as_str().unwrap();
    let v = http
        .get(format!("{}/validate", fake.auth_url()))
        .header("authorization", format!("OAuth {access}"))
        .send()
        .await
        .unwrap();
    assert_eq!(v.status(), 200, "an issued token validates");

    let bad = http
        .post(format!("{base}/_fake/fault"))
        .json(&json!({"fault": "melt"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("not a fault"));

    // A dropped connection ends without a close frame.
    let (mut ws, _) = tokio_tungstenite::connect_async(fake.eventsub_url())
        .await
        .unwrap();
    next_json(&mut ws).await.expect("welcome");
    let ok = http
        .post(format!("{base}/_fake/fault"))
        .json(&json!({"fault": "drop_connection"}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(next_json(&mut ws).await, Err(None), "no close frame");

    let st: Value = http
        .get(format!("{base}/_fake/state"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(st["channel"]["title"], "Building Landale");
    assert_eq!(st["connections"], 0);
    let n: Value = http
        .post(format!("{base}/_fake/notify"))
        .json(&json!({"type": "channel.follow", "event": {}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(n["sent"], 0, "nobody subscribed");
}
