//! The Prometheus recorder: installed once per process, rendered for each scrape.

use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use std::sync::Arc;

use super::acts::ActMeter;
use super::{names, openmetrics};
use crate::node::Side;

/// The installed recorder's handle and the process collector.
struct Exporter {
    handle: PrometheusHandle,
    process: metrics_process::Collector,
    /// The `service` label, for the series rendered here (acts and event deliveries).
    service: String,
}

static EXPORTER: OnceLock<Exporter> = OnceLock::new();
static INSTALLING: Mutex<()> = Mutex::new(());

/// How often histogram samples are folded into their buckets between scrapes.
const UPKEEP: Duration = Duration::from_secs(5);

/// Whether a recorder is installed (acts record only then).
#[inline]
pub(crate) fn enabled() -> bool {
    EXPORTER.get().is_some()
}

/// Installs the Prometheus recorder for this process, labelling every series with
/// `service="<service>"`, unless one is installed: returns whether Porticus's is.
pub(crate) fn install(service: &str) -> bool {
    let _once = INSTALLING.lock().unwrap_or_else(PoisonError::into_inner);
    if enabled() {
        return true;
    }
    let builder = PrometheusBuilder::new()
        .add_global_label("service", service)
        .set_buckets_for_metric(
            Matcher::Suffix("_seconds".to_owned()),
            &names::DURATION_BUCKETS,
        );
    let handle = match builder.map(PrometheusBuilder::install_recorder) {
        Ok(Ok(handle)) => handle,
        Ok(Err(error)) => {
            tracing::warn!(%error, "cannot install the Prometheus recorder (another metrics recorder is installed?): /metrics shows nothing");
            return false;
        }
        Err(error) => {
            tracing::warn!(%error, "the Prometheus recorder's buckets are invalid");
            return false;
        }
    };
    describe();
    let process = metrics_process::Collector::default();
    process.describe();
    let upkeep = handle.clone();
    let _ = std::thread::Builder::new()
        .name("porticus-metrics".into())
        .spawn(move || loop {
            std::thread::sleep(UPKEEP);
            upkeep.run_upkeep();
        });
    EXPORTER.get_or_init(|| Exporter {
        handle,
        process,
        service: service.to_owned(),
    });
    true
}

/// An act on `side` that no route matched: counted under `pattern="(none)"`, since nothing
/// from the message may become a label.
pub(crate) fn not_found(side: Side) {
    static UNMATCHED: [OnceLock<Arc<ActMeter>>; 3] =
        [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    if enabled() {
        UNMATCHED[side as usize]
            .get_or_init(|| ActMeter::unmatched(side.as_str()))
            .failed("act_not_found");
    }
}

fn describe() {
    // Acts and event deliveries are rendered by `acts::render`, with their own help texts.
    let own = [names::ACT_SERIES, names::EVENT_SERIES]
        .map(|s| [s.total.name, s.duration.name, s.in_flight.name]);
    for metric in names::ALL
        .into_iter()
        .filter(|m| !own.iter().flatten().any(|name| *name == m.name))
    {
        match metric.kind {
            names::Kind::Counter => metrics::describe_counter!(metric.name, metric.help),
            names::Kind::Gauge => metrics::describe_gauge!(metric.name, metric.help),
            names::Kind::Histogram => {
                metrics::describe_histogram!(metric.name, metrics::Unit::Seconds, metric.help)
            }
        }
    }
}

/// The current metrics as a scrape answers them: `(body, content type)`, in OpenMetrics when
/// `accept` asks for it, else the Prometheus text format. `None` when no recorder is installed.
pub(crate) fn render(accept: Option<&str>) -> Option<(String, &'static str)> {
    let exporter = EXPORTER.get()?;
    exporter.process.collect();
    let mut text = exporter.handle.render();
    if !text.is_empty() && !text.ends_with("\n\n") {
        text.push('\n');
    }
    text.push_str(&super::acts::render(&exporter.service));
    Some(if openmetrics::wanted(accept) {
        (openmetrics::convert(&text), openmetrics::CONTENT_TYPE)
    } else {
        (text, openmetrics::PROMETHEUS_CONTENT_TYPE)
    })
}
