//! Every metric Porticus exports: its name, unit and help text, in one place.

/// One exported metric.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Metric {
    pub(crate) name: &'static str,
    pub(crate) kind: Kind,
    pub(crate) help: &'static str,
}

/// What kind of series a metric is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Counter,
    Gauge,
    Histogram,
}

/// Acts, by pattern (the registered pattern or the client's pin), side, transport and outcome.
pub(crate) const ACTS: Metric = Metric {
    name: "porticus_acts_total",
    kind: Kind::Counter,
    help: "Acts finished, by registered pattern (or client pin), side (local, client, server), transport and outcome (ok or the error code).",
};

/// How long acts took.
pub(crate) const ACT_DURATION: Metric = Metric {
    name: "porticus_act_duration_seconds",
    kind: Kind::Histogram,
    help: "How long acts took, from routing to reply, in seconds.",
};

/// Acts running now.
pub(crate) const ACTS_IN_FLIGHT: Metric = Metric {
    name: "porticus_acts_in_flight",
    kind: Kind::Gauge,
    help: "Acts started and not finished yet.",
};

/// Every metric, for `describe`.
pub(crate) const ALL: [Metric; 3] = [ACTS, ACT_DURATION, ACTS_IN_FLIGHT];

/// Histogram buckets of durations, in seconds: 50 µs to 30 s, about ×2.5 apart.
pub(crate) const DURATION_BUCKETS: [f64; 16] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1.0, 5.0, 30.0,
];
