//! Ids and timestamps as the wire carries them.

use rand::Rng;

/// `n` random lowercase hex digits.
pub fn random_hex(n: usize) -> String {
    let mut rng = rand::rng();
    (0..n)
        .map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap_or('0'))
        .collect()
}

/// Now, as RFC 3339 UTC with microseconds (the wire's timestamp format).
pub fn now_iso() -> String {
    iso(chrono::Utc::now())
}

/// A time in the wire's timestamp format: RFC 3339 UTC with microseconds.
pub fn iso(t: impl Into<chrono::DateTime<chrono::Utc>>) -> String {
    t.into()
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}
