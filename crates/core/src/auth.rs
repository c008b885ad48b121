//! The control token and loopback trust: one check used by REST and socket commands.
//!
//! Control actions (every mutating REST call, every state-changing channel command)
//! need the token, as `Authorization: Bearer <token>` or the socket param `token`.
//! Reads never do. Loopback clients are trusted unless `LANDALE_TRUST_LOOPBACK=false`.
//! The hub, and every service that takes controls, checks with this one type.

use axum::http::{header, HeaderMap};
use std::io::Write;
use std::net::IpAddr;
use std::path::Path;

#[derive(Clone)]
pub struct Auth {
    token: std::sync::Arc<str>,
    trust_loopback: bool,
    /// Browser origins (besides loopback ones) whose pages count as local.
    allowed_origins: std::sync::Arc<[String]>,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("token", &"<redacted>")
            .field("trust_loopback", &self.trust_loopback)
            .finish()
    }
}

pub const TOKEN_FILE: &str = "token";

/// The configured token, or the one kept in the data dir, or a new one written there
/// with mode 0600.
pub fn load_or_create_token(configured: Option<&str>, data_dir: &Path) -> std::io::Result<String> {
    if let Some(t) = configured {
        return Ok(t.to_string());
    }
    let path = data_dir.join(TOKEN_FILE);
    if let Ok(t) = std::fs::read_to_string(&path) {
        let t = t.trim().to_string();
        if t.len() >= 16 {
            return Ok(t);
        }
    }
    std::fs::create_dir_all(data_dir)?;
    let token = crate::ids::random_hex(48);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&path)?;
    f.write_all(token.as_bytes())?;
    f.write_all(b"\n")?;
    Ok(token)
}

impl Auth {
    pub fn new(token: String, trust_loopback: bool, allowed_origins: Vec<String>) -> Auth {
        Auth {
            token: token.into(),
            trust_loopback,
            allowed_origins: allowed_origins.into(),
        }
    }

    /// May a request from `peer` with these headers, presenting `presented`, control?
    ///
    /// Loopback trust applies only to requests that are really local: a loopback
    /// peer, a `Host` that names loopback (a DNS-rebinding page on a foreign name is
    /// not), and no `Origin` other than a loopback or allowed one (a page the streamer
    /// happens to have open elsewhere cannot post to the hub). The token always works.
    /// Whether `presented` is the token itself (loopback trust aside): how a tool
    /// learns that the token it keeps is right before it leaves the hub's machine.
    pub fn is_token(&self, presented: &str) -> bool {
        constant_time_eq(presented.as_bytes(), self.token.as_bytes())
    }

    pub fn allows(&self, presented: Option<&str>, peer: IpAddr, headers: &HeaderMap) -> bool {
        if self.trust_loopback && is_loopback(peer) && local_request(headers, &self.allowed_origins)
        {
            return true;
        }
        presented.is_some_and(|p| self.is_token(p))
    }
}

/// The host part of `host[:port]` (IPv6 in brackets kept).
fn host_part(h: &str) -> &str {
    if h.starts_with('[') {
        h.split_once(']')
            .map(|(a, _)| &h[..a.len() + 1])
            .unwrap_or(h)
    } else {
        h.rsplit_once(':').map(|(a, _)| a).unwrap_or(h)
    }
}

fn loopback_name(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host == "[::1]"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn local_request(headers: &HeaderMap, allowed_origins: &[String]) -> bool {
    let get = |name: header::HeaderName| headers.get(name).map(|v| v.to_str().unwrap_or("\u{0}"));
    let host_ok = match get(header::HOST) {
        None => true,
        Some(h) => loopback_name(host_part(h)),
    };
    let origin_ok = match get(header::ORIGIN) {
        None => true,
        Some(o) => {
            allowed_origins.iter().any(|a| a == o)
                || o.split_once("://").is_some_and(|(scheme, rest)| {
                    (scheme == "http" || scheme == "https") && loopback_name(host_part(rest))
                })
        }
    };
    host_ok && origin_ok
}

fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The bearer token of an `Authorization` header value.
pub fn bearer(header: Option<&str>) -> Option<&str> {
    header
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .map(str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.insert(*k, v.parse().unwrap());
        }
        m
    }

    #[test]
    fn rules() {
        let allowed = vec!["http://localhost:5173".to_string()];
        let a = Auth::new("0123456789abcdef".into(), true, allowed);
        let lo: IpAddr = "127.0.0.1".parse().unwrap();
        let far: IpAddr = "100.64.0.7".parse().unwrap();
        let none = HeaderMap::new();
        assert!(a.allows(None, lo, &none));
        assert!(a.allows(None, lo, &h(&[("host", "127.0.0.1:7175")])));
        assert!(a.allows(
            None,
            lo,
            &h(&[
                ("host", "localhost:7175"),
                ("origin", "http://localhost:7175")
            ])
        ));
        assert!(a.allows(
            None,
            lo,
            &h(&[("host", "[::1]:7175"), ("origin", "http://localhost:5173")])
        ));
        // DNS rebinding: a foreign name that resolves to loopback.
        assert!(!a.allows(
            None,
            lo,
            &h(&[
                ("host", "evil.example:7175"),
                ("origin", "http://evil.example:7175")
            ])
        ));
        // A foreign page posting to the loopback hub.
        assert!(!a.allows(
            None,
            lo,
            &h(&[
                ("host", "127.0.0.1:7175"),
                ("origin", "https://evil.example")
            ])
        ));
        assert!(a.allows(
            Some("0123456789abcdef"),
            lo,
            &h(&[("origin", "https://evil.example")])
        ));
        assert!(!a.allows(None, far, &none));
        assert!(!a.allows(Some("wrong"), far, &none));
        assert!(a.allows(Some("0123456789abcdef"), far, &none));
        let strict = Auth::new("0123456789abcdef".into(), false, vec![]);
        assert!(!strict.allows(None, lo, &none));
        assert!(format!("{strict:?}").contains("redacted"));
        assert_eq!(bearer(Some("Bearer abc")), Some("abc"));
        assert_eq!(bearer(Some("Basic abc")), None);
    }

    #[test]
    fn generated_token_is_kept_private() {
        let dir = std::env::temp_dir().join(format!("landale-auth-{}", std::process::id()));
        let t1 = load_or_create_token(None, &dir).unwrap();
        let t2 = load_or_create_token(None, &dir).unwrap();
        assert_eq!(t1, t2);
        assert_eq!(t1.len(), 48);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join(TOKEN_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
