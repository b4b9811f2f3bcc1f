//! [`ActMeter`]: the series of one route on one side — an action's acts or a subscriber's
//! event deliveries — with its handles resolved once.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use metrics::{Counter, Gauge, Histogram, Label};

use super::names::{Series, ACT_SERIES, EVENT_SERIES};
use crate::error::Code;

/// Distinct error codes counted apart per meter; more are counted as `outcome="other"`, so a
/// peer that answers with ever new codes cannot grow the series without bound.
const MAX_CODES: usize = 32;

/// The series of one (pattern, side, transport): handles looked up once, so that recording
/// an act (or event delivery) that succeeds is a few atomic operations.
pub(crate) struct ActMeter {
    total: &'static str,
    labels: [Label; 3],
    ok: Counter,
    duration: Histogram,
    in_flight: Gauge,
    codes: Mutex<HashSet<String>>,
}

impl std::fmt::Debug for ActMeter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActMeter")
            .field("labels", &self.labels)
            .finish_non_exhaustive()
    }
}

impl ActMeter {
    /// The series of `pattern` (a registered pattern or a client pin, never a message's
    /// values) on `side` over `transport`: acts, or event deliveries when `subscriber`.
    /// The empty pattern (a catch-all client's pin) is labelled `(any)`.
    pub(crate) fn new(
        subscriber: bool,
        pattern: &str,
        side: &'static str,
        transport: &'static str,
    ) -> ActMeter {
        let series: Series = if subscriber { EVENT_SERIES } else { ACT_SERIES };
        let pattern = if pattern.is_empty() { "(any)" } else { pattern };
        let labels = [
            Label::new("pattern", pattern.to_owned()),
            Label::new("side", side),
            Label::new("transport", transport),
        ];
        let with_outcome = |outcome: &str| {
            let mut all = labels.to_vec();
            all.push(Label::new("outcome", outcome.to_owned()));
            all
        };
        ActMeter {
            total: series.total.name,
            ok: metrics::counter!(series.total.name, with_outcome("ok")),
            duration: metrics::histogram!(series.duration.name, labels.to_vec()),
            in_flight: metrics::gauge!(series.in_flight.name, labels.to_vec()),
            labels,
            codes: Mutex::new(HashSet::new()),
        }
    }

    /// The `transport` label it was made with.
    pub(crate) fn transport(&self) -> &str {
        self.labels[2].value()
    }

    /// An act starts.
    pub(crate) fn started(&self) {
        self.in_flight.increment(1.0);
    }

    /// An act is no longer running (finished or abandoned).
    pub(crate) fn stopped(&self) {
        self.in_flight.decrement(1.0);
    }

    /// An act finished after `elapsed`, failing with `error` when it did.
    pub(crate) fn finished(&self, error: Option<&Code>, elapsed: Duration) {
        self.duration.record(elapsed.as_secs_f64());
        match error {
            None => self.ok.increment(1),
            Some(code) => {
                let outcome = self.outcome(code.as_str());
                let mut labels = self.labels.to_vec();
                labels.push(Label::new("outcome", outcome));
                metrics::counter!(self.total, labels).increment(1);
            }
        }
    }

    /// The `outcome` label of `code`: itself, or `other` past [`MAX_CODES`] distinct ones.
    fn outcome(&self, code: &str) -> String {
        let mut codes = self
            .codes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if codes.contains(code) {
            return code.to_owned();
        }
        if codes.len() < MAX_CODES {
            codes.insert(code.to_owned());
            return code.to_owned();
        }
        "other".to_owned()
    }
}
