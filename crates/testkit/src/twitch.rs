//! Twitch test helpers: settings pointing at a fake Twitch, and a hub signed in to it.

use super::{Opts, TestHub};
use fake_twitch::{FakeConfig, FakeTwitch};
use landale_core::vault::Vault;
use landale_twitch::eventsub::Status;
use landale_twitch::oauth::TokenSet;
use landale_twitch::TwitchSettings;
use std::time::Duration;

/// The vault key of the fixed test vector (bytes 0..32).
pub const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

pub async fn fake(config: FakeConfig) -> FakeTwitch {
    FakeTwitch::start(config, ([127, 0, 0, 1], 0).into())
        .await
        .unwrap()
        .0
}

/// Settings for a hub talking to `f`, with vault key `key` and a short reconnect.
pub fn settings(f: &FakeTwitch, key: &str) -> TwitchSettings {
    TwitchSettings {
        client_id: Some("fake-client-id".into()),
        client_secret: Some("fake-client-secret".into()),
        vault: Some(Vault::from_base64(key).unwrap()),
        auth_url: f.auth_url(),
        api_url: f.api_url(),
        eventsub_url: f.eventsub_url(),
        reconnect_min: Duration::from_millis(50),
        ..Default::default()
    }
}

/// A hub signed in to a fresh fake Twitch with `scopes` (tokens stored and validated).
pub async fn signed_in(config: FakeConfig, scopes: &[&str]) -> (FakeTwitch, TestHub) {
    let f = fake(config).await;
    let hub = signed_in_to(&f, scopes).await;
    (f, hub)
}

/// A hub signed in to `f` with `scopes` (faults scripted beforehand apply).
pub async fn signed_in_to(f: &FakeTwitch, scopes: &[&str]) -> TestHub {
    let hub = TestHub::start(Opts {
        twitch: Some(settings(f, KEY)),
        ..Opts::default()
    })
    .await;
    let (access, refresh) = f.issue_tokens(scopes);
    let tokens = &hub.hub().twitch.tokens;
    tokens
        .put(TokenSet {
            access_token: access,
            refresh_token: Some(refresh),
            expires_at: chrono::Utc::now() + chrono::Duration::hours(4),
            scopes: vec![],
            user_id: None,
            client_id: None,
        })
        .await
        .unwrap();
    tokens.validate().await.unwrap();
    hub
}

/// Wait (on the status watch, at most 20 s) until EventSub's status satisfies `want`.
pub async fn eventsub_until(hub: &TestHub, what: &str, want: impl Fn(&Status) -> bool) -> Status {
    let mut w = hub.hub().twitch.eventsub.watch();
    tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let s = w.borrow_and_update().clone();
            if want(&s) {
                return s;
            }
            w.changed().await.unwrap();
        }
    })
    .await
    .unwrap_or_else(|_| {
        panic!(
            "EventSub never reached: {what}; status {:?}",
            hub.hub().twitch.eventsub.status()
        )
    })
}
