//! The operations sections: `[log]` (how a service logs), `[admin]` (its probes, metrics
//! and drain) and `[telemetry]` (where its traces go).

use serde::{Deserialize, Serialize};

/// `[log]`: the log lines a service writes to stdout when Porticus installs the subscriber
/// ([`porticus::run`](crate::run) or `porticus::telemetry::init`).
///
/// ```
/// use porticus::config::{Config, LogFormat};
///
/// let config = Config::from_toml_str("[log]\nformat = \"json\"\nlevel = \"debug\"")?;
/// assert_eq!(config.log.format, LogFormat::Json);
/// assert_eq!(config.log.level, "debug");
/// # Ok::<_, porticus::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct LogConfig {
    /// `auto` (the default): human-readable on a terminal, JSON lines otherwise; `json`;
    /// `text`.
    pub format: LogFormat,
    /// The filter when `RUST_LOG` is not set, in `RUST_LOG`'s syntax (`info`,
    /// `warn,porticus=debug`). Default `info`.
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            format: LogFormat::Auto,
            level: "info".to_owned(),
        }
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum LogFormat {
    /// Text with colours on a terminal, JSON lines when stdout is not a terminal (a container,
    /// a pipe, a file): what a log shipper reads.
    #[default]
    Auto,
    /// JSON lines with Elastic Common Schema field names, always.
    Json,
    /// Human-readable text, always (colours only on a terminal).
    Text,
}

/// `[admin]`: the admin HTTP endpoint (`/livez`, `/readyz`, `/metrics`), off unless `bind` is
/// set — in a file or with `PORTICUS__ADMIN__BIND`.
///
/// ```
/// use porticus::config::Config;
///
/// let config = Config::from_toml_str("[admin]\nbind = \"127.0.0.1:9464\"")?;
/// assert_eq!(config.admin.bind.as_deref(), Some("127.0.0.1:9464"));
/// assert_eq!(config.admin.drain_delay_ms, 5_000);
/// assert_eq!(Config::default().admin.bind, None); // off
/// # Ok::<_, porticus::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct AdminConfig {
    /// Address of the admin endpoint (`127.0.0.1:9464`; port 0 picks one). Default none: off.
    pub bind: Option<String>,
    /// On SIGTERM, how long `/readyz` answers 503 while the service keeps serving, before it
    /// stops taking work, in ms — so that load balancers and Kubernetes endpoints stop sending
    /// to it first. Only with the admin endpoint on. Default 5,000.
    pub drain_delay_ms: u64,
}

impl Default for AdminConfig {
    fn default() -> Self {
        AdminConfig {
            bind: None,
            drain_delay_ms: 5_000,
        }
    }
}

/// `[telemetry]`: OpenTelemetry traces, exported over OTLP (HTTP/protobuf) by the `otlp`
/// feature, off unless an endpoint is set — here, with `PORTICUS__TELEMETRY__ENDPOINT`, or
/// with the standard `OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`.
///
/// The standard `OTEL_*` variables win over this section: `OTEL_EXPORTER_OTLP_*ENDPOINT` over
/// `endpoint`, `OTEL_SERVICE_NAME` over `service_name`, `OTEL_TRACES_SAMPLER` and
/// `OTEL_TRACES_SAMPLER_ARG` over `sampler` and `sampler_arg` (see `docs/operations.md`).
///
/// ```
/// use porticus::config::{Config, Sampler};
///
/// let config = Config::from_toml_str(
///     "[telemetry]\nendpoint = \"http://127.0.0.1:4318\"\nsampler = \"parentbased_traceidratio\"\nsampler_arg = 0.25",
/// )?;
/// assert_eq!(config.telemetry.endpoint.as_deref(), Some("http://127.0.0.1:4318"));
/// assert_eq!(config.telemetry.sampler, Some(Sampler::ParentBasedTraceIdRatio));
/// assert_eq!(config.telemetry.sampler_arg, Some(0.25));
/// assert_eq!(Config::default().telemetry.endpoint, None); // off
/// # Ok::<_, porticus::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[non_exhaustive]
pub struct TelemetryConfig {
    /// The OTLP/HTTP base URL of the collector (`http://127.0.0.1:4318`); spans are posted to
    /// `<endpoint>/v1/traces`. Default none: no traces are exported.
    pub endpoint: Option<String>,
    /// The `service.name` of the spans. Default: `[service] name`.
    pub service_name: Option<String>,
    /// Which traces are recorded. Default `parentbased_always_on`: every trace this service
    /// starts, and every one its callers sampled.
    pub sampler: Option<Sampler>,
    /// The ratio (0.0 to 1.0) of the `traceidratio` samplers. Default 1.0.
    pub sampler_arg: Option<f64>,
}

/// A trace sampler, named as in `OTEL_TRACES_SAMPLER`.
///
/// ```
/// use porticus::config::{Config, Sampler};
///
/// let config = Config::from_toml_str("[telemetry]\nsampler = \"always_off\"")?;
/// assert_eq!(config.telemetry.sampler, Some(Sampler::AlwaysOff));
/// # Ok::<_, porticus::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Sampler {
    /// Every trace.
    AlwaysOn,
    /// No trace.
    AlwaysOff,
    /// The ratio `sampler_arg` of traces, chosen by trace id.
    #[serde(rename = "traceidratio")]
    TraceIdRatio,
    /// As the caller decided; `always_on` for a trace that starts here (the default).
    #[serde(rename = "parentbased_always_on")]
    ParentBasedAlwaysOn,
    /// As the caller decided; `always_off` for a trace that starts here.
    #[serde(rename = "parentbased_always_off")]
    ParentBasedAlwaysOff,
    /// As the caller decided; `traceidratio` for a trace that starts here.
    #[serde(rename = "parentbased_traceidratio")]
    ParentBasedTraceIdRatio,
}
