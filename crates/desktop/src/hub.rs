//! The app's HTTP client for the hub: the reads one poll makes, the actions, and the
//! first run's check of an address and a token. Every request has a timeout; the
//! poll loop (`poll`) backs off with jitter while the hub is out of reach.

use crate::action::Action;
use crate::health::Snapshot;
use serde_json::Value;
use std::time::Duration;

/// Each request's limit.
pub const TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Clone, Debug)]
pub struct Hub {
    pub base: String,
    token: Option<String>,
    http: reqwest::Client,
}

/// What went wrong with a request, in words for a menu or a notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HubError {
    /// No answer: not running, wrong address, or the network.
    Unreachable(String),
    /// 401: the token is missing or wrong.
    Unauthorized,
    /// The hub answered with an error (its own message).
    Refused { status: u16, message: String },
}

impl std::fmt::Display for HubError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HubError::Unreachable(w) => f.write_str(w),
            HubError::Unauthorized => f.write_str(
                "the hub refused the token: set it again (the hub prints it with `landale token`)",
            ),
            HubError::Refused { status, message } => write!(f, "{message} (HTTP {status})"),
        }
    }
}

fn unreachable(base: &str, e: &reqwest::Error) -> HubError {
    HubError::Unreachable(if e.is_timeout() {
        format!("no answer from {base} within {} s", TIMEOUT.as_secs())
    } else if e.is_connect() {
        format!("nothing answers at {base} (is landale running there?)")
    } else {
        format!("{base}: {e}")
    })
}

/// The message of a hub error envelope (`{"error": {"message"}}` or `{"error": "..."}`).
fn message(body: &Value) -> String {
    body["error"]["message"]
        .as_str()
        .or(body["error"].as_str())
        .or(body["message"].as_str())
        .unwrap_or("the hub refused")
        .to_string()
}

/// What the first run's check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub version: String,
    /// `Some(true)`: the token is the hub's; `Some(false)`: wrong, though this machine
    /// is let in without one; `None`: no token was given.
    pub token_valid: Option<bool>,
}

impl Hub {
    pub fn new(base: &str, token: Option<String>) -> Hub {
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(Duration::from_secs(3))
            .build()
            .expect("a reqwest client with rustls builds");
        Hub {
            base: base.trim_end_matches('/').to_string(),
            token: token.filter(|t| !t.is_empty()),
            http,
        }
    }

    pub fn dashboard_url(&self) -> String {
        format!("{}/dashboard", self.base)
    }

    async fn answer(&self, req: reqwest::RequestBuilder) -> Result<Value, HubError> {
        let req = match &self.token {
            Some(t) => req.bearer_auth(t),
            None => req,
        };
        let r = req.send().await.map_err(|e| unreachable(&self.base, &e))?;
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        match status {
            200..=299 => Ok(body),
            401 => Err(HubError::Unauthorized),
            _ => Err(HubError::Refused {
                status,
                message: message(&body),
            }),
        }
    }

    pub async fn get(&self, path: &str) -> Result<Value, HubError> {
        self.answer(self.http.get(format!("{}{path}", self.base)))
            .await
    }

    pub async fn post(&self, path: &str, body: Option<&Value>) -> Result<Value, HubError> {
        let req = self.http.post(format!("{}{path}", self.base));
        let req = match body {
            Some(b) => req.json(b),
            None => req,
        };
        self.answer(req).await
    }

    /// One poll: health, fleet, queue and OBS's stats, read together.
    pub async fn snapshot(&self) -> Snapshot {
        // `/api/health` answers 503 with its body when the database is down.
        let health = match self.get("/api/health").await {
            Ok(v) => v,
            Err(HubError::Unreachable(w)) => return Snapshot::unreachable(w),
            Err(HubError::Refused { status: 503, .. }) => {
                serde_json::json!({"services": {"database": {"connected": false, "status": "unhealthy"}}})
            }
            Err(e) => return Snapshot::unreachable(e.to_string()),
        };
        let (fleet, queue, obs) = tokio::join!(
            self.get("/api/fleet"),
            self.get("/api/queue"),
            self.get("/api/obs/stats")
        );
        Snapshot {
            hub: Ok(()),
            health,
            fleet: fleet.unwrap_or(Value::Null),
            queue: queue.map(|v| v["data"].clone()).unwrap_or(Value::Null),
            obs: obs.map(|v| v["data"].clone()).unwrap_or(Value::Null),
            seen_up: Default::default(),
        }
    }

    /// Run an action; a toggle reads the queue first so it turns the right way.
    pub async fn run(&self, action: &Action) -> Result<Value, HubError> {
        let (paused, takeover_on) = if action.is_toggle() {
            let q = self.get("/api/queue").await?;
            (
                q["data"]["is_paused"] == true,
                !q["data"]["takeover"].is_null(),
            )
        } else {
            (false, false)
        };
        match action.request(paused, takeover_on) {
            Some(r) => self.post(&r.path, r.body.as_ref()).await,
            None => Ok(Value::Null),
        }
    }

    /// The first run's check: is it a Landale hub, and is the token its own?
    pub async fn check(&self) -> Result<Checked, String> {
        let health = match self.get("/api/health").await {
            Ok(v) => v,
            // A hub whose database is down still answers; it is a Landale hub.
            Err(HubError::Refused { status: 503, .. }) => serde_json::json!({"services": {}}),
            Err(HubError::Refused { status, .. }) => {
                return Err(format!(
                    "{} answered HTTP {status} to /api/health: is it a Landale hub?",
                    self.base
                ))
            }
            Err(e) => return Err(e.to_string()),
        };
        if !health["services"].is_object() {
            return Err(format!(
                "{} answered, but not as a Landale hub (check the address and port)",
                self.base
            ));
        }
        let version = health["system"]["version"]
            .as_str()
            .unwrap_or("unknown")
            .to_string();
        match self.post("/api/control/ping", None).await {
            Ok(v) => Ok(Checked {
                version,
                token_valid: v["data"]["token_valid"].as_bool(),
            }),
            Err(HubError::Unauthorized) if self.token.is_none() => Err(
                "the hub needs its token from this machine: paste the output of `landale token`"
                    .into(),
            ),
            Err(HubError::Unauthorized) => Err(
                "the hub refused this token: paste the output of `landale token` on the hub's machine"
                    .into(),
            ),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// The wait before the next poll after `failures` polls in a row found the hub out of
/// reach: the poll interval, doubling to 60 s, with full jitter on the doubling.
pub fn next_poll(every: Duration, failures: u32, jitter: f64) -> Duration {
    if failures == 0 {
        return every;
    }
    let cap = Duration::from_secs(60);
    let grown = every.saturating_mul(1 << failures.min(6)).min(cap);
    every + (grown - every.min(grown)).mul_f64(jitter.clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polls_back_off_with_jitter_while_the_hub_is_away() {
        let every = Duration::from_secs(5);
        assert_eq!(next_poll(every, 0, 0.9), every);
        assert_eq!(next_poll(every, 1, 0.0), every);
        assert_eq!(next_poll(every, 1, 1.0), Duration::from_secs(10));
        assert_eq!(next_poll(every, 3, 1.0), Duration::from_secs(40));
        assert_eq!(next_poll(every, 30, 1.0), Duration::from_secs(60));
        assert!(next_poll(every, 30, 0.5) < Duration::from_secs(60));
    }

    /// A server on a free port that answers every request with `response` (raw HTTP).
    async fn answering(response: &'static str) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", l.local_addr().unwrap());
        tokio::spawn(async move {
            while let Ok((mut c, _)) = l.accept().await {
                let mut buf = [0u8; 4096];
                let _ = c.read(&mut buf).await;
                let _ = c.write_all(response.as_bytes()).await;
            }
        });
        base
    }

    #[tokio::test]
    async fn the_first_run_check_says_what_is_at_the_address() {
        let web = answering(
            "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello",
        )
        .await;
        let e = Hub::new(&web, None).check().await.unwrap_err();
        assert!(e.contains("not as a Landale hub"), "{e}");
        let missing =
            answering("HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                .await;
        let e = Hub::new(&missing, None).check().await.unwrap_err();
        assert!(e.contains("HTTP 404 to /api/health"), "{e}");
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let gone = format!("http://{}", closed.local_addr().unwrap());
        drop(closed);
        let e = Hub::new(&gone, None).check().await.unwrap_err();
        assert!(e.starts_with("nothing answers at"), "{e}");
        let s = Hub::new(&gone, None).snapshot().await;
        assert!(s.hub.is_err());
    }

    #[test]
    fn hub_errors_read_as_their_message() {
        let v = serde_json::json!({"success": false, "error": {"type": "x", "message": "No scene \"Nope\""}});
        assert_eq!(message(&v), "No scene \"Nope\"");
        assert_eq!(
            message(&serde_json::json!({"error": "Service not found"})),
            "Service not found"
        );
    }
}
