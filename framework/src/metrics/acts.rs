//! [`ActMeter`]: the series of one route on one side — an action's acts or a subscriber's
//! event deliveries — counted in per-thread shards of its own, not through the `metrics`
//! facade: at a million acts a second, the facade's histogram (every sample kept until the
//! next upkeep) and its shared atomics cost a third of the throughput on two cores, where
//! these cost a few uncontended increments. A scrape sums the shards ([`render`]).

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use super::names::{Series, ACT_SERIES, EVENT_SERIES};
use super::shards::{self, Shard, Totals, SHARDS};
use crate::action::Kind;
use crate::error::Code;

/// Distinct error codes counted apart per meter; more are counted as `outcome="other"`, so a
/// peer that answers with ever new codes cannot grow the series without bound.
const MAX_CODES: usize = 32;

/// Every meter made in this process, for [`render`].
static METERS: Mutex<Vec<Arc<ActMeter>>> = Mutex::new(Vec::new());

/// The series of one (pattern, side, transport).
pub(crate) struct ActMeter {
    series: Series,
    pattern: String,
    side: &'static str,
    transport: String,
    /// Only `…_total` (acts that matched no route have no duration worth a histogram).
    counts_only: bool,
    shards: [Shard; SHARDS],
    /// Failures by outcome: touched only when an act fails.
    errors: Mutex<BTreeMap<String, u64>>,
}

impl std::fmt::Debug for ActMeter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActMeter")
            .field("pattern", &self.pattern)
            .field("side", &self.side)
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

impl ActMeter {
    /// The series of `pattern` (a registered pattern or a client pin, never a message's
    /// values) on `side` over `transport`: acts, or event deliveries for a subscriber's route
    /// (`Kind::Event`). The empty pattern (a catch-all client's pin) is labelled `(any)`.
    pub(crate) fn new(
        kind: Kind,
        pattern: &str,
        side: &'static str,
        transport: &str,
    ) -> Arc<ActMeter> {
        let series = match kind {
            Kind::Event => EVENT_SERIES,
            _ => ACT_SERIES,
        };
        Self::register(series, pattern, side, transport, false)
    }

    /// The count of acts on `side` that no route matched (`pattern="(none)"`).
    pub(crate) fn unmatched(side: &'static str) -> Arc<ActMeter> {
        Self::register(ACT_SERIES, "(none)", side, "none", true)
    }

    fn register(
        series: Series,
        pattern: &str,
        side: &'static str,
        transport: &str,
        counts_only: bool,
    ) -> Arc<ActMeter> {
        let meter = Arc::new(ActMeter {
            series,
            pattern: super::names::pattern_label(pattern).to_owned(),
            side,
            transport: transport.to_owned(),
            counts_only,
            shards: Default::default(),
            errors: Mutex::default(),
        });
        METERS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(meter.clone());
        meter
    }

    /// The `transport` label it was made with.
    pub(crate) fn transport(&self) -> &str {
        &self.transport
    }

    /// An act starts.
    #[inline]
    pub(crate) fn started(&self) {
        self.shards[shards::mine()]
            .in_flight
            .fetch_add(1, Ordering::Relaxed);
    }

    /// An act is no longer running (finished or abandoned).
    #[inline]
    pub(crate) fn stopped(&self) {
        self.shards[shards::mine()]
            .in_flight
            .fetch_sub(1, Ordering::Relaxed);
    }

    /// An act finished after `elapsed`, failing with `error` when it did.
    #[inline]
    pub(crate) fn finished(&self, error: Option<&Code>, elapsed: Duration) {
        let shard = &self.shards[shards::mine()];
        shard.record(u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX));
        match error {
            None => {
                shard.ok.fetch_add(1, Ordering::Relaxed);
            }
            Some(code) => self.failed(code.as_str()),
        }
    }

    /// Counts a failure with `code` (itself, or `other` past [`MAX_CODES`] distinct ones).
    pub(crate) fn failed(&self, code: &str) {
        let mut errors = self.errors.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = errors.get_mut(code) {
            *n += 1;
        } else if errors.len() < MAX_CODES {
            errors.insert(code.to_owned(), 1);
        } else {
            *errors.entry("other".to_owned()).or_insert(0) += 1;
        }
    }

    fn totals(&self) -> Totals {
        let mut totals = Totals::default();
        for shard in &self.shards {
            totals.merge(&shard.totals());
        }
        totals
    }
}

/// One series' label set and what it counted, summed over the meters that share it.
struct Summed {
    totals: Totals,
    errors: BTreeMap<String, u64>,
    counts_only: bool,
}

/// The act and event-delivery families in the Prometheus text format (0.0.4), every series
/// also labelled `service="<service>"`.
pub(crate) fn render(service: &str) -> String {
    let meters = METERS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    let mut out = String::new();
    for series in [ACT_SERIES, EVENT_SERIES] {
        let mut summed: BTreeMap<String, Summed> = BTreeMap::new();
        for meter in meters
            .iter()
            .filter(|m| m.series.total.name == series.total.name)
        {
            let labels = format!(
                "service=\"{}\",pattern=\"{}\",side=\"{}\",transport=\"{}\"",
                escape(service),
                escape(&meter.pattern),
                meter.side,
                escape(&meter.transport)
            );
            let entry = summed.entry(labels).or_insert_with(|| Summed {
                totals: Totals::default(),
                errors: BTreeMap::new(),
                counts_only: true,
            });
            entry.totals.merge(&meter.totals());
            entry.counts_only &= meter.counts_only;
            let errors = meter.errors.lock().unwrap_or_else(PoisonError::into_inner);
            for (code, n) in errors.iter() {
                *entry.errors.entry(code.clone()).or_insert(0) += n;
            }
        }
        if summed.is_empty() {
            continue;
        }
        family(&mut out, series.total.name, "counter", series.total.help);
        for (labels, s) in &summed {
            if !s.counts_only || s.totals.ok > 0 {
                line(
                    &mut out,
                    series.total.name,
                    labels,
                    ",outcome=\"ok\"",
                    s.totals.ok,
                );
            }
            for (code, n) in &s.errors {
                let outcome = format!(",outcome=\"{}\"", escape(code));
                line(&mut out, series.total.name, labels, &outcome, *n);
            }
        }
        let timed: Vec<_> = summed.iter().filter(|(_, s)| !s.counts_only).collect();
        if timed.is_empty() {
            continue;
        }
        let duration = series.duration.name;
        family(&mut out, duration, "histogram", series.duration.help);
        for (labels, s) in &timed {
            let mut cumulative = 0;
            for (i, bound) in super::names::DURATION_BUCKETS.iter().enumerate() {
                cumulative += s.totals.buckets[i];
                let le = format!(",le=\"{bound}\"");
                line(
                    &mut out,
                    &format!("{duration}_bucket"),
                    labels,
                    &le,
                    cumulative,
                );
            }
            let count = cumulative + s.totals.buckets[shards::BUCKETS - 1];
            line(
                &mut out,
                &format!("{duration}_bucket"),
                labels,
                ",le=\"+Inf\"",
                count,
            );
            let sum = s.totals.sum_ns as f64 / 1e9;
            out.push_str(&format!("{duration}_sum{{{labels}}} {sum}\n"));
            line(&mut out, &format!("{duration}_count"), labels, "", count);
        }
        let in_flight = series.in_flight.name;
        family(&mut out, in_flight, "gauge", series.in_flight.help);
        for (labels, s) in &timed {
            out.push_str(&format!(
                "{in_flight}{{{labels}}} {}\n",
                s.totals.in_flight.max(0)
            ));
        }
    }
    out
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
}

fn line(out: &mut String, name: &str, labels: &str, more: &str, value: u64) {
    out.push_str(&format!("{name}{{{labels}{more}}} {value}\n"));
}

/// A label value as the text format writes it: `\`, `"` and newlines escaped.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scrape_sums_the_meters_of_one_series_and_bounds_the_codes() {
        let service = "acts-test";
        let a = ActMeter::new(Kind::Action, "role:render,cmd:a", "local", "in-process");
        let b = ActMeter::new(Kind::Action, "role:render,cmd:a", "local", "in-process");
        a.started();
        a.finished(None, Duration::from_micros(10));
        b.finished(None, Duration::from_millis(2));
        for i in 0..(MAX_CODES + 3) {
            b.finished(Some(&Code::new(format!("code_{i}"))), Duration::ZERO);
        }
        let text = render(service);
        let labels = r#"service="acts-test",pattern="role:render,cmd:a",side="local",transport="in-process""#;
        assert!(
            text.contains(&format!(
                "porticus_acts_total{{{labels},outcome=\"ok\"}} 2\n"
            )),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "porticus_acts_total{{{labels},outcome=\"other\"}} 3\n"
            )),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "porticus_act_duration_seconds_count{{{labels}}} {}\n",
                2 + MAX_CODES + 3
            )),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "porticus_act_duration_seconds_bucket{{{labels},le=\"0.00005\"}} {}\n",
                1 + MAX_CODES + 3
            )),
            "{text}"
        );
        assert!(
            text.contains(&format!("porticus_acts_in_flight{{{labels}}} 1\n")),
            "{text}"
        );
        assert_eq!(
            text.matches("# TYPE porticus_acts_total counter").count(),
            1
        );
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
