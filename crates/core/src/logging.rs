//! `tracing` set-up for every Landale program: human-readable by default, one JSON
//! object per line with `LOG_FORMAT=json` (production), on stderr (stdout is for
//! what a program prints on purpose, such as where it listens). `RUST_LOG`
//! overrides the level (default `info`).

use tracing_subscriber::EnvFilter;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

impl LogFormat {
    /// `LOG_FORMAT`'s value: unset, empty or `pretty`, or `json`.
    pub fn parse(v: Option<&str>) -> Result<LogFormat, crate::SettingError> {
        match v.map(str::trim) {
            None | Some("") | Some("pretty") => Ok(LogFormat::Pretty),
            Some("json") => Ok(LogFormat::Json),
            Some(other) => Err(crate::settings::bad(
                "LOG_FORMAT",
                other,
                "expected pretty or json",
            )),
        }
    }
}

/// Install the subscriber (once; later calls do nothing).
pub fn init(format: LogFormat) {
    init_with(format, "info");
}

/// The same, with `default` as the filter when `RUST_LOG` is unset (a program whose
/// libraries chatter at `info` quietens them here).
pub fn init_with(format: LogFormat, default: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}
