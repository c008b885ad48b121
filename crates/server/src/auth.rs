//! The control token and loopback trust: one check used by REST and socket commands.
//!
//! Control actions (every mutating REST call, every state-changing channel command)
//! need the token, as `Authorization: Bearer <token>` or the socket param `token`.
//! Reads never do. Loopback clients are trusted unless `LANDALE_TRUST_LOOPBACK=false`.

use std::io::Write;
use std::net::IpAddr;
use std::path::Path;

#[derive(Clone)]
pub struct Auth {
    token: String,
    trust_loopback: bool,
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
    let token = crate::pipeline::normalize::random_hex(48);
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
    pub fn new(token: String, trust_loopback: bool) -> Auth {
        Auth {
            token,
            trust_loopback,
        }
    }

    /// Is a request from `peer` presenting `presented` allowed to control?
    pub fn allows(&self, presented: Option<&str>, peer: IpAddr) -> bool {
        if self.trust_loopback && is_loopback(peer) {
            return true;
        }
        presented.is_some_and(|p| constant_time_eq(p.as_bytes(), self.token.as_bytes()))
    }

    /// The token itself, for `landale token` and the loopback dashboard.
    pub fn token(&self) -> &str {
        &self.token
    }
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

    #[test]
    fn rules() {
        let a = Auth::new("0123456789abcdef".into(), true);
        let lo: IpAddr = "127.0.0.1".parse().unwrap();
        let far: IpAddr = "100.64.0.7".parse().unwrap();
        assert!(a.allows(None, lo));
        assert!(!a.allows(None, far));
        assert!(!a.allows(Some("wrong"), far));
        assert!(a.allows(Some("0123456789abcdef"), far));
        let strict = Auth::new("0123456789abcdef".into(), false);
        assert!(!strict.allows(None, lo));
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
