//! Traces: the OTLP pipeline when the `otlp` feature is on ([`super::otlp`]); without it, a
//! configured endpoint is an error naming the feature, and the standard variables a warning.

use crate::config::Config;
use crate::error::Result;

/// Installs the trace pipeline `config` and the `OTEL_*` variables ask for, if any.
///
/// # Errors
/// [`ErrorKind::Config`](crate::ErrorKind::Config): the exporter cannot be built; without the
/// `otlp` feature, `[telemetry] endpoint` is set.
pub(crate) fn install(config: &Config) -> Result<()> {
    #[cfg(feature = "otlp")]
    {
        super::otlp::install(config).map(drop)
    }
    #[cfg(not(feature = "otlp"))]
    {
        if let Some(endpoint) = &config.telemetry.endpoint {
            return Err(crate::error::Error::new(
                crate::error::ErrorKind::Config,
                format!(
                    "the configuration sets [telemetry] endpoint = \"{endpoint}\", but porticus was built without its cargo feature `otlp`; enable it: porticus = {{ features = [\"otlp\"] }}, or remove [telemetry] endpoint"
                ),
            ));
        }
        for variable in [
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        ] {
            if std::env::var_os(variable).is_some_and(|v| !v.is_empty()) {
                tracing::warn!(
                    variable,
                    "{variable} is set, but porticus was built without its cargo feature `otlp`: no traces are exported"
                );
            }
        }
        Ok(())
    }
}

/// Exports the spans ended so far; nothing without a pipeline.
pub(crate) async fn flush() {
    #[cfg(feature = "otlp")]
    super::otlp::flush().await;
}

/// Where spans are exported to, if anywhere.
pub(crate) fn endpoint() -> Option<&'static str> {
    #[cfg(feature = "otlp")]
    {
        super::otlp::endpoint()
    }
    #[cfg(not(feature = "otlp"))]
    {
        None
    }
}

#[cfg(all(test, not(feature = "otlp")))]
mod tests {
    use crate::config::Config;

    #[test]
    fn an_endpoint_without_the_feature_is_an_error_naming_it() {
        let config = Config::from_toml_str("[telemetry]\nendpoint = \"http://127.0.0.1:4318\"")
            .expect("a valid config");
        let err = super::install(&config).expect_err("no otlp feature");
        assert!(err.to_string().contains("`otlp`"), "{err}");
        assert!(super::install(&Config::default()).is_ok());
    }
}
