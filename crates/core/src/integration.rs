//! What an integration (OBS, Twitch, and the ones to come) offers the hub, so the hub
//! mounts, starts and reports on each the same way and only `hub.rs` names them.
//!
//! An integration is one crate: settings, pure protocol and state, one I/O task
//! started by [`Integration::start`], its events handed to [`crate::Ingest`], its status,
//! the REST routes it contributes and the channel commands it answers.
//!
//! Architecture invariant: the hub's HTTP, channel and status modules reach
//! integrations only through this trait.

use crate::status::ServiceStatus;
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use tokio::sync::watch;

/// The channel family a command arrives on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Surface {
    /// `dashboard:<room>`: reads and controls for the dashboard (enveloped replies).
    Dashboard,
    /// `stream:overlays` and `stream:queue` (enveloped replies).
    Stream,
    /// `overlay:<type>`: reads for overlays (raw replies, never controls).
    Overlay,
}

/// Who sent a command.
#[derive(Clone, Debug)]
pub struct Caller {
    /// May this caller run control actions (the token, or trusted loopback)?
    pub authorized: bool,
    /// The socket's correlation id, carried onto whatever the command causes.
    pub correlation: String,
}

/// A refused or failed command: a code from the envelope's list and words for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandError {
    pub code: String,
    pub message: String,
}

impl CommandError {
    pub fn new(code: &str, message: impl Into<String>) -> CommandError {
        CommandError {
            code: code.to_string(),
            message: message.into(),
        }
    }

    /// The control needs the token the socket did not present.
    pub fn unauthorized() -> CommandError {
        CommandError::new("unauthorized", SOCKET_UNAUTHORIZED)
    }
}

/// What a socket without the permission is told.
pub const SOCKET_UNAUTHORIZED: &str =
    "this action needs the Landale token: connect with the socket param `token` (see `landale token`)";

/// A command's answer, resolved off the socket's read loop; it must finish in bounded
/// time (the integration's own request timeout).
pub type Command = Pin<Box<dyn Future<Output = Result<Value, CommandError>> + Send>>;

/// Wrap a future as a [`Command`].
pub fn command(f: impl Future<Output = Result<Value, CommandError>> + Send + 'static) -> Command {
    Box::pin(f)
}

/// An answer known at once.
pub fn answer(result: Result<Value, CommandError>) -> Command {
    Box::pin(std::future::ready(result))
}

pub trait Integration: Send + Sync + 'static {
    /// Its name in `/api/health`, `system:status`, `overlay:<name>` and command
    /// prefixes (`obs`, `twitch`).
    fn name(&self) -> &'static str;

    /// Start its I/O tasks (once); they hand events to the ingest the
    /// integration was built with ([`Ingest`](crate::Ingest)) and stop on `shutdown`.
    fn start(self: Arc<Self>, shutdown: watch::Receiver<bool>);

    /// Working or not, and why.
    fn service_status(&self) -> ServiceStatus;

    /// Its entry under `services` in `GET /api/health`.
    fn health(&self) -> Value;

    /// Its entry under `services` in `system:status`.
    fn system_entry(&self) -> Value;

    /// Its entry under `services` in the dashboard's telemetry, if it has one there.
    fn telemetry_entry(&self) -> Option<Value> {
        None
    }

    /// The `data` of the `initial_state` an `overlay:<name>` join pushes.
    fn overlay_initial(&self) -> Value;

    /// The REST routes it contributes, with their state applied; controls take the
    /// [`crate::http::Control`] extractor.
    fn routes(self: Arc<Self>) -> axum::Router {
        axum::Router::new()
    }

    /// Answer `event` on `surface`, or `None` when it is not this integration's.
    fn command(
        self: Arc<Self>,
        surface: Surface,
        event: &str,
        payload: &Value,
        caller: &Caller,
    ) -> Option<Command>;
}
