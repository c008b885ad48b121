//! A faithful local Twitch, for tests and demos (`fake-twitch` binary).
//!
//! It follows Twitch's public documentation: the OAuth endpoints of `id.twitch.tv`
//! (`/oauth2/device`, `/oauth2/token`, `/oauth2/validate`, `/oauth2/revoke`,
//! `/oauth2/authorize`), the Helix endpoints Landale uses (`/helix/channels`,
//! `/helix/search/categories`, `/helix/goals`, `/helix/eventsub/subscriptions`) with
//! `Ratelimit-*` headers, and the EventSub WebSocket (`/ws`: welcome, keepalive,
//! notification, session_reconnect, revocation, close codes 4000–4007).
//!
//! Faults are scripted through [`FakeTwitch`] in process, or `POST /_fake/fault` on
//! a running fake (see `control.rs`): keepalive silence, session_reconnect,
//! revocation, any close code, a connection dropped without a close frame, 429 with
//! reset headers, 503s, invalid access tokens, expired refresh tokens; notifications
//! (and redeliveries) through `POST /_fake/notify`.

mod control;
mod eventsub;
mod frames;
mod helix;
mod oauth;
mod state;

pub use state::{FakeConfig, FakeTwitch, Fault};

impl FakeTwitch {
    /// Serve on `addr` (port 0 for any); returns the bound address. Each module
    /// contributes its routes; this is where they meet.
    pub async fn start(
        config: FakeConfig,
        addr: std::net::SocketAddr,
    ) -> std::io::Result<(FakeTwitch, std::net::SocketAddr)> {
        let fake = FakeTwitch::new(config);
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let bound = listener.local_addr()?;
        fake.set_addr(bound);
        let app = oauth::routes()
            .merge(helix::routes())
            .merge(eventsub::routes())
            .merge(control::routes())
            .with_state(fake.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok((fake, bound))
    }
}
