//! Twitch tokens against the fake Twitch: the vault in the database (SQLite and
//! PostgreSQL), a wrong key, one refresh under concurrency, 401 → one refresh and a
//! retry, a revoked refresh token, the OAuth REST routes and `landale twitch login`
//! (device code, and the browser flow with its forged and denied callbacks).

use fake_twitch::{FakeConfig, FakeTwitch, Fault};
use landale_core::vault::Vault;
use landale_testkit::twitch::{settings, KEY};
use landale_testkit::{backends, twitch, Db, Opts, PgDb, TestHub, TOKEN};
use landale_twitch::oauth::TokenSet;
use landale_twitch::tokens::{TokenState, Tokens};
use serde_json::{json, Value};
use std::time::Duration;

async fn fake() -> FakeTwitch {
    twitch::fake(FakeConfig::default()).await
}

/// A pair from the fake, expiring `in_secs` from now (as the hub would store it).
fn pair(f: &FakeTwitch, in_secs: i64) -> TokenSet {
    let (access, refresh) = f.issue_tokens(&["channel:manage:broadcast", "user:read:chat"]);
    TokenSet {
        access_token: access,
        refresh_token: Some(refresh),
        expires_at: chrono::Utc::now() + chrono::Duration::seconds(in_secs),
        scopes: vec!["channel:manage:broadcast".into(), "user:read:chat".into()],
        user_id: None,
        client_id: None,
    }
}

async fn store(dir: &std::path::Path, url: Option<&str>) -> landale::store::Store {
    landale::store::Store::connect(url, dir).await.unwrap()
}

#[tokio::test]
async fn tokens_are_encrypted_in_the_database_and_a_wrong_key_is_a_clear_state() {
    let f = fake().await;
    for db in backends() {
        let pg = match &db {
            Db::Postgres(admin) => Some(PgDb::create(admin).await),
            Db::Sqlite => None,
        };
        let dir = tempfile::tempdir().unwrap();
        let url = pg.as_ref().map(|p| p.url.as_str());
        let tokens = Tokens::new(
            &settings(&f, KEY),
            std::sync::Arc::new(store(dir.path(), url).await),
        );
        assert!(
            matches!(tokens.load().await, TokenState::NeedsLogin { .. }),
            "{db:?}: nothing stored yet"
        );
        let t = pair(&f, 3600);
        tokens.put(t.clone()).await.unwrap();

        // What is in the row is ciphertext in the reference layout, not the token.
        let row = store(dir.path(), url)
            .await
            .oauth_get("twitch")
            .await
            .unwrap()
            .unwrap();
        assert!(row.encrypted);
        assert_ne!(row.access_token, t.access_token);
        assert!(!row.access_token.contains(&t.access_token));
        let vault = Vault::from_base64(KEY).unwrap();
        assert_eq!(vault.decrypt(&row.access_token).unwrap(), t.access_token);
        assert_eq!(
            vault
                .decrypt(row.refresh_token.as_deref().unwrap())
                .unwrap(),
            t.refresh_token.clone().unwrap()
        );

        // Another process with the same key reads it back.
        let again = Tokens::new(
            &settings(&f, KEY),
            std::sync::Arc::new(store(dir.path(), url).await),
        );
        assert!(
            matches!(again.load().await, TokenState::Valid { .. }),
            "{db:?}"
        );
        assert_eq!(again.access().await.unwrap().access_token, t.access_token);

        // A different key: a clear state, no panic, nothing overwritten.
        let other = base64_key(9);
        let wrong = Tokens::new(
            &settings(&f, &other),
            std::sync::Arc::new(store(dir.path(), url).await),
        );
        match wrong.load().await {
            TokenState::VaultError { reason } => {
                assert!(reason.contains("CLOAK_SECRET_KEY"), "{reason}");
                assert!(!reason.contains(&t.access_token));
            }
            s => panic!("{db:?}: expected vault_error, got {s:?}"),
        }
        assert!(wrong.access().await.is_err());
        let row2 = store(dir.path(), url)
            .await
            .oauth_get("twitch")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row2, row, "a wrong key changes nothing stored");
    }
}

fn base64_key(b: u8) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode([b; 32])
}

#[tokio::test]
async fn twenty_concurrent_callers_share_one_refresh() {
    let f = fake().await;
    let dir = tempfile::tempdir().unwrap();
    let tokens = Tokens::new(
        &settings(&f, KEY),
        std::sync::Arc::new(store(dir.path(), None).await),
    );
    // Expires in 2 minutes: inside the 5-minute window, so the next access refreshes.
    let old = pair(&f, 120);
    tokens.put(old.clone()).await.unwrap();
    let calls: Vec<_> = (0..20)
        .map(|_| {
            let t = tokens.clone();
            tokio::spawn(async move { t.access().await })
        })
        .collect();
    let mut got = vec![];
    for c in calls {
        got.push(c.await.unwrap().unwrap().access_token);
    }
    assert_eq!(f.counters()["refreshes"], 1, "one refresh at Twitch");
    assert_eq!(tokens.refreshes(), 1);
    assert!(
        got.iter().all(|a| *a == got[0]),
        "everyone got the same new token"
    );
    assert_ne!(got[0], old.access_token);
}

#[tokio::test]
async fn a_401_refreshes_once_and_the_call_is_retried() {
    let f = fake().await;
    let dir = tempfile::tempdir().unwrap();
    let tokens = Tokens::new(
        &settings(&f, KEY),
        std::sync::Arc::new(store(dir.path(), None).await),
    );
    tokens.put(pair(&f, 3600)).await.unwrap();
    let v = tokens.validate().await.unwrap();
    assert_eq!(v.user_id, "12826");
    assert_eq!(f.counters()["refreshes"], 0);

    // Twitch stops accepting the access token: validate sees 401, refreshes, retries.
    f.fault(Fault::InvalidateAccessTokens);
    let failed = tokens.access().await.unwrap().access_token;
    let v = tokens.validate().await.unwrap();
    assert_eq!(v.user_id, "12826");
    assert_eq!(f.counters()["refreshes"], 1);

    // Ten callers reporting the same stale token: still one refresh in total.
    let calls: Vec<_> = (0..10)
        .map(|_| {
            let (t, a) = (tokens.clone(), failed.clone());
            tokio::spawn(async move { t.after_unauthorized(&a).await })
        })
        .collect();
    for c in calls {
        c.await.unwrap().unwrap();
    }
    assert_eq!(
        f.counters()["refreshes"],
        1,
        "the stale token was already replaced"
    );
    match tokens.state() {
        TokenState::Valid { user_id, .. } => assert_eq!(user_id.as_deref(), Some("12826")),
        s => panic!("{s:?}"),
    }
}

#[tokio::test]
async fn a_revoked_refresh_token_means_needs_login() {
    let f = fake().await;
    let dir = tempfile::tempdir().unwrap();
    let tokens = Tokens::new(
        &settings(&f, KEY),
        std::sync::Arc::new(store(dir.path(), None).await),
    );
    tokens.put(pair(&f, 60)).await.unwrap();
    f.fault(Fault::ExpireRefreshTokens);
    let e = tokens.access().await.unwrap_err();
    assert!(e.to_string().contains("landale twitch login"), "{e}");
    match tokens.state() {
        TokenState::NeedsLogin { reason } => {
            assert!(reason.contains("Invalid refresh token"), "{reason}")
        }
        s => panic!("{s:?}"),
    }
    // And it stays there: no retry loop against Twitch, even when the stored row
    // (still the refused pair) is read again, as the hub does while logged out.
    assert!(tokens.access().await.is_err());
    assert!(matches!(tokens.load().await, TokenState::NeedsLogin { .. }));
    assert!(tokens.access().await.is_err());
    assert_eq!(f.counters()["refreshes"], 1);
    // A new login replaces it.
    tokens.put(pair(&f, 3600)).await.unwrap();
    assert!(matches!(tokens.load().await, TokenState::Valid { .. }));
    assert!(tokens.access().await.is_ok());
}

#[tokio::test]
async fn oauth_routes_upload_status_refresh() {
    let f = fake().await;
    let hub = TestHub::start(Opts {
        twitch: Some(settings(&f, KEY)),
        ..Opts::default()
    })
    .await;
    let http = reqwest::Client::new();
    let status = || async {
        http.get(hub.http("/api/oauth/status"))
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    };
    let s = status().await;
    assert_eq!(s["connected"], false);
    assert_eq!(s["state"], "needs_login");

    let (access, refresh) = f.issue_tokens(&["user:read:chat"]);
    let body = json!({"access_token": access, "refresh_token": refresh, "expires_in": 14400, "scope": "user:read:chat"});
    // A control action: from elsewhere it needs the token (this hub trusts nobody).
    let r = http
        .post(hub.http("/api/oauth/upload"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = http
        .post(hub.http("/api/oauth/upload"))
        .bearer_auth(TOKEN)
        .json(&json!({"access_token": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "Missing required fields: access_token and refresh_token"
    );
    let r = http
        .post(hub.http("/api/oauth/upload"))
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let s = status().await;
    assert_eq!(s["connected"], true);
    assert_eq!(s["valid"], true);
    assert_eq!(s["user_id"], "12826");
    let text = s.to_string();
    assert!(
        !text.contains(&access) && !text.contains(&refresh),
        "no token in the status"
    );

    // A pair Twitch refuses changes nothing: the working login stays.
    let bogus = json!({"access_token": "not-a-token", "refresh_token": "nope"});
    let r = http
        .post(hub.http("/api/oauth/upload"))
        .bearer_auth(TOKEN)
        .json(&bogus)
        .send()
        .await
        .unwrap();
    assert_ne!(r.status(), 200);
    assert_eq!(status().await["user_id"], "12826");
    assert_eq!(status().await["state"], "valid");

    let r = http
        .post(hub.http("/api/oauth/refresh"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(f.counters()["refreshes"], 1);
    hub.stop().await;
}

#[tokio::test]
async fn landale_twitch_login_with_the_device_flow() {
    let f = fake().await;
    let dir = tempfile::tempdir().unwrap();
    let out = tokio::time::timeout(
        Duration::from_secs(30),
        tokio::process::Command::new(env!("CARGO_BIN_EXE_landale"))
            .args(["twitch", "login"])
            .env("LANDALE_DATA_DIR", dir.path())
            .env("TWITCH_CLIENT_ID", "fake-client-id")
            .env("TWITCH_CLIENT_SECRET", "fake-client-secret")
            .env("CLOAK_SECRET_KEY", KEY)
            .env("TWITCH_AUTH_URL", f.auth_url())
            .env("TWITCH_API_URL", f.api_url())
            .env("TWITCH_EVENTSUB_URL", f.eventsub_url())
            .env_remove("DATABASE_URL")
            .output(),
    )
    .await
    .expect("login finishes")
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("enter the code"), "{stdout}");
    assert!(
        stdout.contains("Signed in as avalonstar (user 12826)"),
        "{stdout}"
    );

    // The stored pair works for a hub on the same data dir.
    let tokens = Tokens::new(
        &settings(&f, KEY),
        std::sync::Arc::new(store(dir.path(), None).await),
    );
    match tokens.load().await {
        TokenState::Valid {
            user_id, scopes, ..
        } => {
            assert_eq!(user_id.as_deref(), Some("12826"));
            assert!(scopes.iter().any(|s| s == "moderator:read:followers"));
        }
        s => panic!("{s:?}"),
    }
}

/// `landale twitch login --browser` against `f`, its stdout read until it prints the
/// address to open. Returns the child, the authorize URL and the redirect URI.
async fn browser_login(
    f: &FakeTwitch,
    dir: &std::path::Path,
) -> (tokio::process::Child, String, String) {
    use tokio::io::AsyncBufReadExt;
    let port = landale_testkit::free_port();
    let redirect = format!("http://localhost:{port}/callback");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_landale"))
        .args(["twitch", "login", "--browser", "--redirect-uri", &redirect])
        .env("LANDALE_DATA_DIR", dir)
        .env("TWITCH_CLIENT_ID", "fake-client-id")
        .env("TWITCH_CLIENT_SECRET", "fake-client-secret")
        .env("CLOAK_SECRET_KEY", KEY)
        .env("TWITCH_AUTH_URL", f.auth_url())
        .env("TWITCH_API_URL", f.api_url())
        .env_remove("DATABASE_URL")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let url = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(l) = lines.next_line().await.unwrap() {
            if let Some(u) = l.trim().strip_prefix("http") {
                return format!("http{u}");
            }
        }
        panic!("landale ended without printing the address")
    })
    .await
    .expect("the address within 20 s");
    // Keep reading so the child never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, url, redirect)
}

#[tokio::test]
async fn landale_twitch_login_with_the_browser_flow() {
    let f = fake().await;
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url, redirect) = browser_login(&f, dir.path()).await;
    let u = reqwest::Url::parse(&url).unwrap();
    let q: std::collections::HashMap<_, _> = u.query_pairs().into_owned().collect();
    assert_eq!(q["client_id"], "fake-client-id");
    assert_eq!(q["redirect_uri"], redirect);
    assert!(q["scope"].contains("moderator:read:followers"), "{url}");
    assert!(q["state"].len() >= 16, "{url}");

    // A callback that is not from this login (a forged or stale link) is refused, and
    // the login keeps waiting.
    let forged = reqwest::get(format!("{redirect}?code=abc&state=not-ours"))
        .await
        .unwrap();
    assert_eq!(forged.status(), 400);
    assert!(forged.text().await.unwrap().contains("does not belong"));

    // The browser: Twitch's page approves and sends it back to the local address.
    let back = reqwest::get(&url).await.unwrap();
    assert_eq!(back.status(), 200);
    assert!(back
        .text()
        .await
        .unwrap()
        .contains("Signed in to Twitch as avalonstar"),);
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("login exits")
        .unwrap();
    assert!(status.success());
    let tokens = Tokens::new(
        &settings(&f, KEY),
        std::sync::Arc::new(store(dir.path(), None).await),
    );
    match tokens.load().await {
        TokenState::Valid { user_id, .. } => assert_eq!(user_id.as_deref(), Some("12826")),
        s => panic!("{s:?}"),
    }
}

#[tokio::test]
async fn a_denied_browser_login_says_so_and_stores_nothing() {
    let f = fake().await;
    f.fault(Fault::DenyAuthorization);
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url, _) = browser_login(&f, dir.path()).await;
    let back = reqwest::get(&url).await.unwrap();
    assert_eq!(back.status(), 400);
    assert!(back
        .text()
        .await
        .unwrap()
        .contains("Twitch said: The user denied you access"));
    let mut stderr = String::new();
    tokio::io::AsyncReadExt::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr)
        .await
        .unwrap();
    let status = child.wait().await.unwrap();
    assert!(!status.success());
    assert!(
        stderr.contains("Twitch did not authorize Landale: The user denied you access"),
        "{stderr}"
    );
    let tokens = Tokens::new(
        &settings(&f, KEY),
        std::sync::Arc::new(store(dir.path(), None).await),
    );
    assert!(
        matches!(tokens.load().await, TokenState::NeedsLogin { .. }),
        "nothing stored"
    );
}

#[tokio::test]
async fn looking_again_for_a_login_wakes_nobody_unless_something_changed() {
    // The hub looks for a new login every 5 s; each look must not announce a status
    // (every announcement is a stored twitch.service_status event).
    let f = fake().await;
    let dir = tempfile::tempdir().unwrap();
    let tokens = Tokens::new(
        &settings(&f, KEY),
        std::sync::Arc::new(store(dir.path(), None).await),
    );
    let mut w = tokens.watch();
    assert!(matches!(tokens.load().await, TokenState::NeedsLogin { .. }));
    assert!(w.has_changed().unwrap(), "not loaded → needs login");
    w.borrow_and_update();
    tokens.load().await;
    assert!(!w.has_changed().unwrap(), "the same state again");
    tokens.put(pair(&f, 3600)).await.unwrap();
    tokens.load().await;
    assert!(w.has_changed().unwrap(), "a login is a change");
}
