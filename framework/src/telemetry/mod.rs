//! Logs and traces: the tracing subscriber a service gets unless it installs its own, the
//! OTLP trace export (the `otlp` feature), and the startup summary.
//!
//! [`porticus::run`](crate::run) calls [`init`]; a custom `main` calls it after loading its
//! configuration. Lines go to stdout:
//!
//! - on a terminal, human-readable text with colours (`[log] format = "auto"`, the default);
//! - otherwise — a container, a pipe, a file — JSON lines with
//!   [Elastic Common Schema](https://www.elastic.co/guide/en/ecs/current/index.html) field
//!   names (`@timestamp`, `log.level`, `message`, `service.name`, `service.instance.id`,
//!   `trace.id`, `span.id`, `transaction.id`, `event.dataset`, `error.message`, …), which
//!   Filebeat and Elastic Agent ingest as they are; `format = "json"` or `"text"` forces one.
//!
//! `RUST_LOG` filters when set, else `[log] level` (default `info`). A line written while an
//! act or an event is handled carries its trace id.
//!
//! With the `otlp` feature, [`init`] also starts exporting spans over OTLP (HTTP/protobuf) when
//! `[telemetry] endpoint` or `OTEL_EXPORTER_OTLP_ENDPOINT` says where to: a client, server,
//! producer or consumer span for each act and event, linked across services by the
//! `traceparent` every transport carries. The export does not depend on the log subscriber
//! or its filter. See `docs/operations.md`.

mod ecs;
#[cfg(feature = "otlp")]
mod otlp;
mod summary;
#[cfg(test)]
mod tests;
mod traces;

use std::io::IsTerminal;

use tracing_subscriber::fmt::format::JsonFields;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

use crate::config::{Config, LogFormat};
use crate::error::{Error, ErrorKind, Result};

pub(crate) use ecs::set_instance;
#[cfg(feature = "otlp")]
pub(crate) use otlp::tracer;
pub(crate) use summary::{startup, Listening};
pub(crate) use traces::{endpoint as traces_endpoint, flush as flush_traces};

/// Installs the log subscriber described by `config` (`[log]`, `RUST_LOG`) as the global
/// default, unless the application installed one already: returns whether it did. With the
/// `otlp` feature, also starts the trace export when `[telemetry]` or the `OTEL_*` variables
/// name an endpoint (once per process).
///
/// ```
/// use porticus::config::Config;
///
/// let config = Config::from_toml_str("[service]\nname = \"math\"\n[log]\nformat = \"json\"")?;
/// porticus::telemetry::init(&config)?;
/// // A second call leaves the first subscriber in place.
/// assert!(!porticus::telemetry::init(&config)?);
/// tracing::info!(answer = 42, "json lines on stdout");
/// # Ok::<_, porticus::Error>(())
/// ```
///
/// # Errors
/// [`ErrorKind::Config`] when `RUST_LOG` or `[log] level` is not a valid filter, when the
/// OTLP exporter cannot be built, or when `[telemetry] endpoint` is set without the `otlp`
/// feature.
pub fn init(config: &Config) -> Result<bool> {
    let filter = filter(config)?;
    let stdout_is_terminal = std::io::stdout().is_terminal();
    let json = match config.log.format {
        LogFormat::Json => true,
        LogFormat::Text => false,
        _ => !stdout_is_terminal,
    };
    let installed = if json {
        tracing::subscriber::set_global_default(json_subscriber(
            &config.service.name,
            filter,
            std::io::stdout,
        ))
    } else {
        tracing::subscriber::set_global_default(
            tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_ansi(stdout_is_terminal)
                .with_writer(std::io::stdout)
                .finish(),
        )
    };
    traces::install(config)?;
    Ok(installed.is_ok())
}

/// The JSON-lines (ECS) subscriber of `service`, writing to `writer`.
fn json_subscriber<W>(
    service: &str,
    filter: EnvFilter,
    writer: W,
) -> impl tracing::Subscriber + Send + Sync + 'static
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .fmt_fields(JsonFields::new())
        .event_format(ecs::Ecs::new(service))
        .with_writer(writer)
        .finish()
}

/// `RUST_LOG` when set, else `[log] level`.
fn filter(config: &Config) -> Result<EnvFilter> {
    let (text, source) = match std::env::var(EnvFilter::DEFAULT_ENV) {
        Ok(text) if !text.trim().is_empty() => (text, "the RUST_LOG environment variable"),
        _ => (config.log.level.clone(), "[log] level"),
    };
    EnvFilter::try_new(&text).map_err(|e| {
        Error::new(
            ErrorKind::Config,
            format!("{source} `{text}` is not a valid log filter: {e}"),
        )
    })
}
