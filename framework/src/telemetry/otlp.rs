//! The OTLP trace pipeline (the `otlp` feature): an HTTP/protobuf exporter behind the SDK's
//! batch span processor, installed once per process by [`init`](super::init) when an endpoint
//! is configured, flushed when a server shuts down.
//!
//! The standard `OTEL_*` variables win over `[telemetry]`: the exporter reads
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` / `OTEL_EXPORTER_OTLP_ENDPOINT` (and `_HEADERS`,
//! `_TIMEOUT`) itself, the SDK `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`,
//! `OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG` and `OTEL_BSP_*`; the section only fills
//! in what they leave unset.
//!
//! Plain `http://` only: the exporter's `reqwest` has no TLS provider (an `https://` endpoint is
//! a configuration error), and no gzip (`OTEL_EXPORTER_OTLP_COMPRESSION` is ignored).

use std::sync::OnceLock;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry::InstrumentationScope;
use opentelemetry_otlp::{Protocol, SpanExporter, WithExportConfig};
use opentelemetry_sdk::trace::{Sampler as SdkSampler, SdkTracer, SdkTracerProvider};
use opentelemetry_sdk::Resource;

use crate::config::{Config, Sampler, TelemetryConfig};
use crate::error::{Error, ErrorKind, Result};

/// The process's pipeline, once installed.
static PIPELINE: OnceLock<Pipeline> = OnceLock::new();

#[derive(Debug)]
struct Pipeline {
    provider: SdkTracerProvider,
    tracer: SdkTracer,
    /// Where spans go, for the startup summary.
    endpoint: String,
}

/// The tracer exported spans start from, once the pipeline is installed.
#[inline]
pub(crate) fn tracer() -> Option<&'static SdkTracer> {
    PIPELINE.get().map(|p| &p.tracer)
}

/// Where spans are exported to, once the pipeline is installed.
pub(crate) fn endpoint() -> Option<&'static str> {
    PIPELINE.get().map(|p| p.endpoint.as_str())
}

/// Installs the pipeline when an endpoint is configured and traces are not disabled
/// (`OTEL_SDK_DISABLED=true`, `OTEL_TRACES_EXPORTER=none`); returns whether spans are
/// exported. A second call keeps the first pipeline.
///
/// # Errors
/// [`ErrorKind::Config`] when the endpoint is an `https://` URL (no TLS provider is built in),
/// is not a URL, or the exporter cannot be built.
pub(crate) fn install(config: &Config) -> Result<bool> {
    if PIPELINE.get().is_some() {
        return Ok(true);
    }
    let Some(endpoint) = endpoint_of(&config.telemetry) else {
        return Ok(false);
    };
    if disabled() {
        return Ok(false);
    }
    if endpoint.to_string().starts_with("https://") {
        return Err(Error::new(
            ErrorKind::Config,
            format!(
                "{} = {endpoint}: the otlp feature exports over plain http:// only (no TLS provider); send to a collector on the host or a sidecar",
                endpoint.source()
            ),
        ));
    }
    let mut exporter = SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary);
    if let Endpoint::Configured(url) = &endpoint {
        exporter = exporter.with_endpoint(url.clone());
    }
    let exporter = exporter.build().map_err(|e| {
        Error::new(
            ErrorKind::Config,
            format!("the OTLP trace exporter for {endpoint} cannot be built: {e}"),
        )
    })?;
    let mut resource = Resource::builder();
    if env("OTEL_SERVICE_NAME").is_none() {
        let name = config
            .telemetry
            .service_name
            .clone()
            .unwrap_or_else(|| config.service.name.clone());
        resource = resource.with_service_name(name);
    }
    let mut provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource.build());
    if env("OTEL_TRACES_SAMPLER").is_none() {
        if let Some(sampler) = config.telemetry.sampler {
            provider = provider.with_sampler(sampler_of(sampler, config.telemetry.sampler_arg));
        }
    }
    let provider = provider.build();
    let tracer = provider.tracer_with_scope(
        InstrumentationScope::builder("porticus")
            .with_version(env!("CARGO_PKG_VERSION"))
            .build(),
    );
    let installed = PIPELINE.set(Pipeline {
        provider,
        tracer,
        endpoint: endpoint.to_string(),
    });
    if let Err(lost) = installed {
        // Another thread installed one meanwhile: keep it, drop this one quietly.
        let _ = lost.provider.shutdown();
    }
    Ok(true)
}

/// Exports every span ended so far (the batch processor otherwise waits for its delay), in a
/// blocking task: the exporter's HTTP client blocks.
pub(crate) async fn flush() {
    let Some(pipeline) = PIPELINE.get() else {
        return;
    };
    let provider = pipeline.provider.clone();
    let flushed = tokio::task::spawn_blocking(move || provider.force_flush()).await;
    match flushed {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "traces not flushed"),
        Err(e) => tracing::warn!(error = %e, "traces not flushed"),
    }
}

/// Where the endpoint comes from.
enum Endpoint {
    /// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT`, which the
    /// exporter reads itself (the first as it is, the second with `/v1/traces` appended).
    Environment(String),
    /// `[telemetry] endpoint` with `/v1/traces` appended.
    Configured(String),
}

impl Endpoint {
    /// Where it was set, for errors.
    fn source(&self) -> &'static str {
        match self {
            Endpoint::Environment(_) => "OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT",
            Endpoint::Configured(_) => "[telemetry] endpoint",
        }
    }
}

/// The URL as errors and the startup summary show it: a password in it masked.
impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Endpoint::Environment(url) | Endpoint::Configured(url) => {
                f.write_str(&crate::config::masked_url(url))
            }
        }
    }
}

fn endpoint_of(config: &TelemetryConfig) -> Option<Endpoint> {
    if let Some(url) = env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
        return Some(Endpoint::Environment(url));
    }
    if let Some(url) = env("OTEL_EXPORTER_OTLP_ENDPOINT") {
        return Some(Endpoint::Environment(traces_url(&url)));
    }
    config
        .endpoint
        .as_deref()
        .map(str::trim)
        .filter(|url| !url.is_empty())
        .map(|url| Endpoint::Configured(traces_url(url)))
}

/// `<base>/v1/traces`, as the OTLP/HTTP specification builds it from a base URL.
fn traces_url(base: &str) -> String {
    format!("{}/v1/traces", base.trim_end_matches('/'))
}

/// Traces turned off by the standard variables.
fn disabled() -> bool {
    env("OTEL_SDK_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true"))
        || env("OTEL_TRACES_EXPORTER").is_some_and(|v| v.eq_ignore_ascii_case("none"))
}

fn sampler_of(sampler: Sampler, arg: Option<f64>) -> SdkSampler {
    let ratio = || SdkSampler::TraceIdRatioBased(arg.unwrap_or(1.0));
    let parent_based = |root: SdkSampler| SdkSampler::ParentBased(Box::new(root));
    match sampler {
        Sampler::AlwaysOn => SdkSampler::AlwaysOn,
        Sampler::AlwaysOff => SdkSampler::AlwaysOff,
        Sampler::TraceIdRatio => ratio(),
        Sampler::ParentBasedAlwaysOff => parent_based(SdkSampler::AlwaysOff),
        Sampler::ParentBasedAlwaysOn => parent_based(SdkSampler::AlwaysOn),
        Sampler::ParentBasedTraceIdRatio => parent_based(ratio()),
    }
}

/// A set, non-empty environment variable.
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endpoint_is_shown_without_its_password() {
        let endpoint = Endpoint::Configured(traces_url("http://otel:s3cr3t@127.0.0.1:4318"));
        assert_eq!(
            endpoint.to_string(),
            "http://otel:***@127.0.0.1:4318/v1/traces"
        );
        assert!(endpoint.to_string().starts_with("http://"));
    }

    #[test]
    fn the_traces_path_is_appended_to_a_base_url() {
        assert_eq!(
            traces_url("http://127.0.0.1:4318/"),
            "http://127.0.0.1:4318/v1/traces"
        );
        assert_eq!(
            traces_url("http://collector:4318"),
            "http://collector:4318/v1/traces"
        );
    }

    #[test]
    fn an_https_endpoint_is_refused_naming_where_it_was_set() {
        let config = Config::from_toml_str("[telemetry]\nendpoint = \"https://collector:4318\"")
            .expect("a valid config");
        if std::env::var_os("OTEL_EXPORTER_OTLP_ENDPOINT").is_none()
            && std::env::var_os("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").is_none()
        {
            let err = install(&config).expect_err("no TLS provider");
            assert!(err.to_string().contains("[telemetry] endpoint"), "{err}");
            assert!(err.to_string().contains("http://"), "{err}");
        }
        assert!(tracer().is_none(), "nothing installed");
    }

    #[test]
    fn each_sampler_maps_to_the_sdks() {
        assert!(matches!(
            sampler_of(Sampler::TraceIdRatio, Some(0.5)),
            SdkSampler::TraceIdRatioBased(r) if r == 0.5
        ));
        assert!(matches!(
            sampler_of(Sampler::AlwaysOff, None),
            SdkSampler::AlwaysOff
        ));
        assert!(matches!(
            sampler_of(Sampler::ParentBasedTraceIdRatio, None),
            SdkSampler::ParentBased(_)
        ));
    }
}
