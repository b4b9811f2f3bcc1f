//! Metrics for Prometheus (feature `metrics`, on by default): acts and event deliveries by
//! pattern, side, transport and outcome, their durations and what is in flight; events
//! emitted, redelivered and dead-lettered and the brokers' backlog; broker connections,
//! reconnections and publisher confirms; HTTP connections and refusals; and the process's own
//! (memory, CPU, open files, threads) — served as `GET /metrics` on the admin endpoint.
//!
//! Recording goes through the [`metrics`](https://docs.rs/metrics) facade into
//! `metrics-exporter-prometheus`'s recorder, installed once per process by the first node
//! started with an admin endpoint. Until then (and without the feature) nothing is recorded
//! and an act pays one atomic load. The recording functions of [`events`], [`queues`], [`links`]
//! and [`http`] exist with or without the feature (they do nothing without it), so that their
//! callers need no `cfg`. Labels are bounded: `pattern` is always a registered
//! pattern or a client's pin, never a value from a message. `docs/operations.md` lists every
//! metric.

#[cfg(feature = "metrics")]
mod acts;
pub(crate) mod events;
#[cfg(feature = "metrics")]
mod exporter;
#[cfg(feature = "http")]
pub(crate) mod http;
#[cfg_attr(not(any(feature = "amqp", feature = "nats")), allow(dead_code))]
pub(crate) mod links;
#[cfg(feature = "metrics")]
mod names;
#[cfg(feature = "metrics")]
mod openmetrics;
#[cfg(feature = "metrics")]
mod page;
#[cfg(any(feature = "amqp", feature = "nats"))]
pub(crate) mod queues;
pub(crate) mod resilience;
#[cfg(feature = "metrics")]
mod shards;
#[cfg(feature = "socketio")]
pub(crate) mod sockets;

#[cfg(feature = "metrics")]
pub(crate) use acts::ActMeter;
#[cfg(feature = "metrics")]
pub(crate) use exporter::{install, not_found, render};
#[cfg(feature = "metrics")]
pub(crate) use page::MetricsPage;

/// Whether a recorder is installed (everything records only then); always `false` without
/// the `metrics` feature.
#[cfg_attr(not(feature = "metrics"), allow(dead_code))]
#[inline]
pub(crate) fn enabled() -> bool {
    #[cfg(feature = "metrics")]
    return exporter::enabled();
    #[cfg(not(feature = "metrics"))]
    false
}
