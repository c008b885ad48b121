//! `landale twitch login`: the two ways to sign in.
//!
//! - Device code (the default): works on any machine, even one with no browser. The
//!   user opens Twitch's address anywhere and types the code; we poll.
//! - Authorization code with a local redirect (`--browser`): for a machine with a
//!   browser. We listen once on the loopback redirect address (it must be registered
//!   as an OAuth Redirect URL of the application), check `state` against forgery,
//!   exchange the code and tell the browser tab how it went.
//!
//! Either way the pair is stored encrypted and validated; a running hub adopts it
//! within seconds.

use super::oauth::{Poll, Validation};
use super::tokens::{TokenState, Tokens};
use anyhow::{anyhow, bail, Context};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// The default redirect for `--browser` (register it in the Twitch console).
pub const DEFAULT_REDIRECT: &str = "http://localhost:17563/callback";
/// How long `--browser` waits for the user.
pub const BROWSER_WAIT: Duration = Duration::from_secs(600);

fn configured(tokens: &Tokens) -> anyhow::Result<()> {
    if let TokenState::NotConfigured { reason } = tokens.state() {
        bail!("Twitch is not configured: {reason}");
    }
    Ok(())
}

async fn store(tokens: &Tokens, t: super::oauth::TokenSet) -> anyhow::Result<Validation> {
    tokens.put(t).await?;
    Ok(tokens.validate().await?)
}

/// The device code flow. `say` gets each line for the user.
pub async fn device(tokens: &Tokens, say: impl Fn(String)) -> anyhow::Result<Validation> {
    configured(tokens)?;
    let scopes = super::SCOPES;
    let device = tokens.oauth().device(scopes).await?;
    say(format!(
        "To sign in to Twitch, open {}",
        device.verification_uri
    ));
    say(format!("and enter the code {}", device.user_code));
    say(format!(
        "(waiting up to {} minutes)",
        device.expires_in / 60
    ));
    let until = Instant::now() + Duration::from_secs(device.expires_in);
    let every = Duration::from_secs(device.interval.max(1));
    loop {
        if Instant::now() > until {
            bail!("the code expired before it was entered; run `landale twitch login` again");
        }
        // The interval Twitch asks for between polls.
        tokio::time::sleep(every).await;
        match tokens.oauth().poll(&device.device_code, scopes).await? {
            Poll::Pending => continue,
            Poll::Done(t) => return store(tokens, t).await,
        }
    }
}

/// What the redirect brought back, and where to tell the browser the outcome.
type Callback = (HashMap<String, String>, oneshot::Sender<(bool, String)>);

/// The authorization code flow with a loopback redirect.
pub async fn browser(
    tokens: &Tokens,
    redirect_uri: &str,
    wait: Duration,
    say: impl Fn(String),
) -> anyhow::Result<Validation> {
    configured(tokens)?;
    let url = reqwest::Url::parse(redirect_uri)
        .with_context(|| format!("the redirect URI {redirect_uri:?} is not a URL"))?;
    let host = url.host_str().unwrap_or_default();
    let ip: std::net::IpAddr = match host {
        "localhost" | "127.0.0.1" => [127, 0, 0, 1].into(),
        "[::1]" | "::1" => std::net::Ipv6Addr::LOCALHOST.into(),
        _ => bail!(
            "the redirect URI must be on this machine (http://localhost:PORT/...), not {host:?}"
        ),
    };
    if url.scheme() != "http" {
        bail!(
            "the redirect URI must be plain http on loopback, not {}",
            url.scheme()
        );
    }
    let port = url.port_or_known_default().unwrap_or(80);
    let listener = tokio::net::TcpListener::bind((ip, port))
        .await
        .with_context(|| {
            format!("cannot listen on {ip}:{port} for the redirect (is the port taken? pick another with --redirect-uri and register it in the Twitch console)")
        })?;
    let state = landale_core::ids::random_hex(16);
    let authorize = tokens
        .oauth()
        .authorize_url(redirect_uri, super::SCOPES, &state)?;

    let (tx, mut rx) = mpsc::channel::<Callback>(4);
    let app = axum::Router::new()
        .route(url.path(), axum::routing::get(callback))
        .with_state(tx);
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stop_rx.await;
            })
            .await;
    });

    say("Open this address in a browser on this machine and approve Landale:".into());
    say(format!("  {authorize}"));
    say(format!(
        "(waiting up to {} minutes for Twitch to send the browser back to {redirect_uri})",
        wait.as_secs() / 60
    ));
    let outcome = tokio::time::timeout(wait, async {
        while let Some((q, answer)) = rx.recv().await {
            // Anything without our state is not this login (a stale tab, a forgery).
            if q.get("state") != Some(&state) {
                let _ = answer.send((
                    false,
                    "This sign-in link does not belong to the login that is waiting. Start again from the address it printed.".into(),
                ));
                continue;
            }
            if let Some(err) = q.get("error") {
                let why = q.get("error_description").cloned().unwrap_or_else(|| err.clone());
                let _ = answer.send((false, format!("Twitch said: {why}")));
                return Err(anyhow!("Twitch did not authorize Landale: {why}"));
            }
            let Some(code) = q.get("code") else {
                let _ = answer.send((false, "No code came back from Twitch.".into()));
                return Err(anyhow!("Twitch sent the browser back without a code"));
            };
            let result = match tokens.oauth().exchange(code, redirect_uri).await {
                Ok(t) => store(tokens, t).await,
                Err(e) => Err(e.into()),
            };
            let _ = answer.send(match &result {
                Ok(v) => (
                    true,
                    format!(
                        "Signed in to Twitch as {}. You can close this tab.",
                        v.login.clone().unwrap_or_default()
                    ),
                ),
                Err(e) => (false, format!("Signing in failed: {e:#}")),
            });
            return result;
        }
        Err(anyhow!("the redirect listener stopped"))
    })
    .await;
    // Callbacks still queued (a reloaded tab) get "already finished" at once, and the
    // listener stops; a stuck connection cannot hold the command open.
    drop(rx);
    let _ = stop_tx.send(());
    let _ = tokio::time::timeout(Duration::from_secs(2), server).await;
    match outcome {
        Ok(r) => r,
        Err(_) => bail!(
            "nobody came back from Twitch within {} minutes; run `landale twitch login --browser` again",
            wait.as_secs() / 60
        ),
    }
}

async fn callback(
    State(tx): State<mpsc::Sender<Callback>>,
    Query(q): Query<HashMap<String, String>>,
) -> impl IntoResponse {
    let (answer_tx, answer_rx) = oneshot::channel();
    if tx.send((q, answer_tx)).await.is_err() {
        return page(false, "This login has already finished.".into());
    }
    match tokio::time::timeout(Duration::from_secs(30), answer_rx).await {
        Ok(Ok((ok, text))) => page(ok, text),
        _ => page(
            false,
            "Landale did not finish the sign-in; look at the terminal.".into(),
        ),
    }
}

fn page(ok: bool, text: String) -> (StatusCode, Html<String>) {
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let escaped = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    (
        status,
        Html(format!(
            "<!doctype html><meta charset=utf-8><title>Landale</title><body style=\"font-family:sans-serif;background:#16121f;color:#eee;padding:3em\"><h1>Landale</h1><p>{escaped}</p>"
        )),
    )
}
