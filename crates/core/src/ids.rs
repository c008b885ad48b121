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

/// The stream session a moment belongs to, `stream_YYYY_MM_DD` by this machine's
/// local date (phononmaser's captions and seed's contexts share it).
pub fn stream_session(t: impl Into<chrono::DateTime<chrono::Utc>>) -> String {
    let local: chrono::DateTime<chrono::Local> = t.into().into();
    local.format("stream_%Y_%m_%d").to_string()
}
