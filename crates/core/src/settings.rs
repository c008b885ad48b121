//! Reading settings: one error shape and the parsers every part's settings share.
//! A bad value stops a program at start with one line naming the variable, what was
//! wrong and what to do, never echoing a secret.

/// One bad setting: `VAR="value": what is wrong`.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{var}={value:?}: {problem}")]
pub struct SettingError {
    pub var: &'static str,
    pub value: String,
    pub problem: String,
}

pub fn bad(var: &'static str, value: &str, problem: impl Into<String>) -> SettingError {
    SettingError {
        var,
        value: value.to_string(),
        problem: problem.into(),
    }
}

/// The value, trimmed, when it is set and not blank.
pub fn nonempty(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

pub fn parse_bool(var: &'static str, v: &str) -> Result<bool, SettingError> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        _ => Err(bad(var, v, "expected true/false (or 1/0)")),
    }
}

/// A number within `min..=max`; `what` says what was expected, in words.
pub fn parse_num<T>(
    var: &'static str,
    v: &str,
    min: T,
    max: T,
    what: &str,
) -> Result<T, SettingError>
where
    T: std::str::FromStr + PartialOrd + Copy,
{
    match v.trim().parse::<T>() {
        Ok(n) if n >= min && n <= max => Ok(n),
        _ => Err(bad(var, v, format!("expected {what}"))),
    }
}

/// An optional number: unset or blank → `default`, else as [`parse_num`].
pub fn num_or<T>(
    var: &'static str,
    v: &Option<String>,
    default: T,
    (min, max): (T, T),
    what: &str,
) -> Result<T, SettingError>
where
    T: std::str::FromStr + PartialOrd + Copy,
{
    match nonempty(v) {
        None => Ok(default),
        Some(s) => parse_num(var, &s, min, max, what),
    }
}

/// An `http://` or `https://` base URL, without a trailing slash.
pub fn parse_http_url(var: &'static str, v: &str) -> Result<String, SettingError> {
    let t = v.trim().trim_end_matches('/');
    if t.starts_with("http://") || t.starts_with("https://") {
        Ok(t.to_string())
    } else {
        Err(bad(var, v, "expected an http:// or https:// URL"))
    }
}

/// A `ws://` or `wss://` URL; `example` shows one in the error.
pub fn parse_ws_url(var: &'static str, v: &str, example: &str) -> Result<String, SettingError> {
    let t = v.trim();
    if t.starts_with("ws://") || t.starts_with("wss://") {
        Ok(t.to_string())
    } else {
        Err(bad(
            var,
            v,
            format!("expected a ws:// or wss:// URL{example}"),
        ))
    }
}

/// Where downloaded models live: `LANDALE_MODELS`, else `<data dir>/models`
/// (`cargo xtask model` fills it; phononmaser and seed read it).
pub fn model_cache(data_dir: &std::path::Path) -> std::path::PathBuf {
    std::env::var_os("LANDALE_MODELS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| data_dir.join("models"))
}
