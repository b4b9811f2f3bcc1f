//! The operations sections: `[log]` (how a service logs) and `[admin]` (its probes, metrics
//! and drain).

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
