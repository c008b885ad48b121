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
    init_with_extra(format, default, None::<tracing_subscriber::layer::Identity>);
}

/// What an extra layer is stacked on: the registry under the level filter.
pub type Base = tracing_subscriber::layer::Layered<EnvFilter, tracing_subscriber::Registry>;

/// The same, plus `extra` beside the stderr output (Seq's shipper, `landale-seq`), under
/// the same filter.
pub fn init_with_extra<L>(format: LogFormat, default: &str, extra: Option<L>)
where
    L: tracing_subscriber::Layer<Base> + Send + Sync + 'static,
{
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::Layer;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let out = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(false);
    let mut layers: Vec<Box<dyn Layer<Base> + Send + Sync>> = vec![match format {
        LogFormat::Json => Box::new(out.json().flatten_event(true).with_current_span(true)),
        LogFormat::Pretty => Box::new(out),
    }];
    if let Some(e) = extra {
        layers.push(Box::new(e));
    }
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(layers)
        .try_init();
}
