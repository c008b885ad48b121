//! Shared state of the fake, and the handle tests drive it with.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

#[derive(Clone, Debug)]
pub struct FakeConfig {
    pub client_id: String,
    pub client_secret: String,
    /// The broadcaster the tokens belong to.
    pub user_id: String,
    pub login: String,
    /// Lifetime of issued access tokens.
    pub token_ttl: Duration,
    /// `keepalive_timeout_seconds` in the welcome.
    pub keepalive_secs: u64,
    /// A connection with no subscription after this long is closed with 4003.
    pub unused_timeout: Duration,
    /// Device codes are approved on the second poll (as if the user typed the code).
    pub auto_approve: bool,
}

impl Default for FakeConfig {
    fn default() -> Self {
        FakeConfig {
            client_id: "fake-client-id".into(),
            client_secret: "fake-client-secret".into(),
            user_id: "12826".into(),
            login: "avalonstar".into(),
            token_ttl: Duration::from_secs(4 * 3600),
            keepalive_secs: 10,
            unused_timeout: Duration::from_secs(10),
            auto_approve: true,
        }
    }
}

/// A scripted failure. Over HTTP: `{"fault": "<snake_case name>", ...fields}`.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(tag = "fault", rename_all = "snake_case")]
pub enum Fault {
    /// Stop sending keepalives (and notifications) on the live connection.
    SilenceKeepalives,
    /// Send `session_reconnect` on the live connection.
    Reconnect,
    /// Revoke every subscription of this type with this status.
    Revoke { sub_type: String, status: String },
    /// Close the live connection with this code.
    Close { code: u16 },
    /// The live connection ends with no close frame, as when the network goes away.
    DropConnection,
    /// The same, but Twitch has not noticed yet: the session's subscriptions stay
    /// enabled, so creating them again on a new session conflicts (409) until the
    /// old ones are deleted.
    DropConnectionStale,
    /// The next `count` Helix calls answer 429 with `Ratelimit-Reset` in `reset_secs`.
    RateLimit { count: u32, reset_secs: u64 },
    /// The next `count` Helix calls answer 503.
    ServerError { count: u32 },
    /// Every access token issued so far stops being valid (401 on Helix and validate).
    InvalidateAccessTokens,
    /// Every refresh token issued so far is revoked ("Invalid refresh token").
    ExpireRefreshTokens,
    /// The user clicks "Cancel" on the next authorization page.
    DenyAuthorization,
}

#[derive(Clone, Debug)]
pub(crate) struct Token {
    pub scopes: Vec<String>,
    pub expires_at: DateTime<Utc>,
    pub valid: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct Device {
    pub user_code: String,
    pub scopes: Vec<String>,
    pub polls: u32,
    pub approved: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct Subscription {
    pub id: String,
    pub sub_type: String,
    pub version: String,
    pub condition: Value,
    pub session_id: String,
    pub created_at: DateTime<Utc>,
}

impl Subscription {
    pub fn json(&self, status: &str) -> Value {
        json!({
            "id": self.id, "status": status, "type": self.sub_type, "version": self.version,
            "condition": self.condition, "created_at": self.created_at.to_rfc3339(),
            "transport": {"method": "websocket", "session_id": self.session_id, "connected_at": self.created_at.to_rfc3339()},
            "cost": 0,
        })
    }
}

/// What a WebSocket connection task is told to do.
#[derive(Debug)]
pub(crate) enum ConnCmd {
    Send(String),
    Close(u16, String),
    Silence,
    /// End the TCP connection without a close frame (`true`: keep the session's
    /// subscriptions, as Twitch does until it notices).
    Drop(bool),
}

pub(crate) struct Conn {
    pub id: u64,
    pub session_id: String,
    pub tx: mpsc::UnboundedSender<ConnCmd>,
}

#[derive(Default)]
pub(crate) struct State {
    pub tokens: HashMap<String, Token>,
    pub refresh: HashMap<String, (Vec<String>, bool)>,
    pub devices: HashMap<String, Device>,
    /// Authorization codes: scopes and the redirect_uri they were issued for.
    pub codes: HashMap<String, (Vec<String>, String)>,
    /// The next authorization is denied by the user.
    pub deny_next_authorization: bool,
    pub subscriptions: HashMap<String, Subscription>,
    /// Live connections, newest last. A session_reconnect moves a session to a new one.
    pub conns: Vec<Conn>,
    pub next_conn: u64,
    pub rate_limited: Option<(u32, u64)>,
    pub server_errors: u32,
    pub channel: Value,
    pub helix_calls: u64,
    pub refreshes: u64,
    pub validations: u64,
    pub notifications_sent: u64,
}

pub(crate) struct Inner {
    pub config: FakeConfig,
    pub state: Mutex<State>,
    pub addr: Mutex<Option<SocketAddr>>,
    /// Woken whenever a WebSocket connection opens or ends.
    pub conns_changed: tokio::sync::Notify,
}

/// The running fake. Cheap to clone.
#[derive(Clone)]
pub struct FakeTwitch(pub(crate) Arc<Inner>);

pub(crate) fn random_token(len: usize) -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
        .collect()
}

impl FakeTwitch {
    pub fn new(config: FakeConfig) -> FakeTwitch {
        let state = State {
            channel: json!({
                "broadcaster_id": config.user_id, "broadcaster_login": config.login,
                "broadcaster_name": "Avalonstar", "broadcaster_language": "en",
                "game_id": "509658", "game_name": "Software and Game Development",
                "title": "Building Landale", "delay": 0, "tags": ["English"],
                "content_classification_labels": [], "is_branded_content": false,
            }),
            ..State::default()
        };
        FakeTwitch(Arc::new(Inner {
            config,
            state: Mutex::new(state),
            addr: Mutex::new(None),
            conns_changed: tokio::sync::Notify::new(),
        }))
    }

    pub(crate) fn set_addr(&self, addr: SocketAddr) {
        *self.0.addr.lock().unwrap() = Some(addr);
    }

    pub fn config(&self) -> &FakeConfig {
        &self.0.config
    }

    pub(crate) fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn addr(&self) -> SocketAddr {
        self.0.addr.lock().unwrap().expect("started")
    }
    /// `TWITCH_AUTH_URL`
    pub fn auth_url(&self) -> String {
        format!("http://{}/oauth2", self.addr())
    }
    /// `TWITCH_API_URL`
    pub fn api_url(&self) -> String {
        format!("http://{}/helix", self.addr())
    }
    /// `TWITCH_EVENTSUB_URL`
    pub fn eventsub_url(&self) -> String {
        format!("ws://{}/ws", self.addr())
    }

    /// Issue a token pair directly (as if logged in), with these scopes.
    pub fn issue_tokens(&self, scopes: &[&str]) -> (String, String) {
        let scopes: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
        self.issue(scopes)
    }

    pub(crate) fn issue(&self, scopes: Vec<String>) -> (String, String) {
        let access = random_token(30);
        let refresh = random_token(50);
        let ttl = chrono::Duration::from_std(self.0.config.token_ttl)
            .unwrap_or(chrono::Duration::hours(4));
        let mut s = self.state();
        s.tokens.insert(
            access.clone(),
            Token {
                scopes: scopes.clone(),
                expires_at: Utc::now() + ttl,
                valid: true,
            },
        );
        s.refresh.insert(refresh.clone(), (scopes, true));
        (access, refresh)
    }

    /// The scopes of a valid, unexpired access token.
    pub(crate) fn check(&self, access: &str) -> Option<Token> {
        let s = self.state();
        s.tokens
            .get(access)
            .filter(|t| t.valid && t.expires_at > Utc::now())
            .cloned()
    }

    pub fn fault(&self, fault: Fault) {
        match fault {
            Fault::SilenceKeepalives => self.each_conn(|| ConnCmd::Silence),
            Fault::Reconnect => {
                let url = format!("ws://{}/ws?reconnect=1", self.addr());
                let s = self.state();
                if let Some(c) = s.conns.last() {
                    let msg = crate::frames::message(
                        "session_reconnect",
                        json!({"session": {"id": c.session_id, "status": "reconnecting",
                            "keepalive_timeout_seconds": null, "reconnect_url": format!("{url}&session={}", c.session_id),
                            "connected_at": Utc::now().to_rfc3339()}}),
                        None,
                    );
                    let _ = c.tx.send(ConnCmd::Send(msg));
                }
            }
            Fault::Revoke { sub_type, status } => {
                let mut s = self.state();
                let gone: Vec<Subscription> = s
                    .subscriptions
                    .values()
                    .filter(|x| x.sub_type == sub_type)
                    .cloned()
                    .collect();
                for sub in gone {
                    s.subscriptions.remove(&sub.id);
                    let msg = crate::frames::message(
                        "revocation",
                        json!({"subscription": sub.json(&status)}),
                        Some((&sub.sub_type, &sub.version)),
                    );
                    if let Some(c) = s
                        .conns
                        .iter()
                        .rev()
                        .find(|c| c.session_id == sub.session_id)
                    {
                        let _ = c.tx.send(ConnCmd::Send(msg));
                    }
                }
            }
            Fault::Close { code } => {
                let s = self.state();
                if let Some(c) = s.conns.last() {
                    let _ = c.tx.send(ConnCmd::Close(
                        code,
                        crate::frames::close_reason(code).into(),
                    ));
                }
            }
            Fault::DropConnection | Fault::DropConnectionStale => {
                let stale = matches!(fault, Fault::DropConnectionStale);
                if let Some(c) = self.state().conns.last() {
                    let _ = c.tx.send(ConnCmd::Drop(stale));
                }
            }
            Fault::RateLimit { count, reset_secs } => {
                self.state().rate_limited = Some((count, reset_secs));
            }
            Fault::ServerError { count } => self.state().server_errors = count,
            Fault::InvalidateAccessTokens => {
                for t in self.state().tokens.values_mut() {
                    t.valid = false;
                }
            }
            Fault::DenyAuthorization => self.state().deny_next_authorization = true,
            Fault::ExpireRefreshTokens => {
                for r in self.state().refresh.values_mut() {
                    r.1 = false;
                }
            }
        }
    }

    fn each_conn(&self, cmd: impl Fn() -> ConnCmd) {
        for c in &self.state().conns {
            let _ = c.tx.send(cmd());
        }
    }

    /// Deliver a notification to every subscription of `sub_type`; returns how many
    /// were sent. `message_id` repeats a delivery (Twitch may redeliver).
    pub fn notify(&self, sub_type: &str, event: Value, message_id: Option<&str>) -> usize {
        let mut s = self.state();
        let subs: Vec<Subscription> = s
            .subscriptions
            .values()
            .filter(|x| x.sub_type == sub_type)
            .cloned()
            .collect();
        let mut n = 0;
        for sub in subs {
            let msg = crate::frames::message_with_id(
                message_id.map(str::to_owned),
                "notification",
                json!({"subscription": sub.json("enabled"), "event": event}),
                Some((&sub.sub_type, &sub.version)),
            );
            // The newest connection of the session gets it (the old one until the new
            // one is welcomed, during a reconnect).
            if let Some(c) = s
                .conns
                .iter()
                .rev()
                .find(|c| c.session_id == sub.session_id)
            {
                if c.tx.send(ConnCmd::Send(msg)).is_ok() {
                    n += 1;
                }
            }
        }
        s.notifications_sent += n as u64;
        n
    }

    /// Subscriptions as (type, version, condition).
    pub fn subscriptions(&self) -> Vec<(String, String, Value)> {
        let mut v: Vec<_> = self
            .state()
            .subscriptions
            .values()
            .map(|s| (s.sub_type.clone(), s.version.clone(), s.condition.clone()))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }

    pub fn live_connections(&self) -> usize {
        self.state().conns.len()
    }

    /// Wait until exactly `n` EventSub connections are open.
    pub async fn wait_connections(&self, n: usize) {
        loop {
            let changed = self.0.conns_changed.notified();
            if self.live_connections() == n {
                return;
            }
            changed.await;
        }
    }

    pub fn channel(&self) -> Value {
        self.state().channel.clone()
    }

    /// Counters: Helix calls, refreshes, validations, notifications sent.
    pub fn counters(&self) -> Value {
        let s = self.state();
        json!({"helix_calls": s.helix_calls, "refreshes": s.refreshes, "validations": s.validations,
               "notifications_sent": s.notifications_sent})
    }

    /// Approve a pending device code by its user code (the user typed it).
    pub fn approve(&self, user_code: &str) -> bool {
        let mut s = self.state();
        match s.devices.values_mut().find(|d| d.user_code == user_code) {
            Some(d) => {
                d.approved = true;
                true
            }
            None => false,
        }
    }
}
